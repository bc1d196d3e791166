# adm/: sdcadm-docker, the operator's command.  Everything but main.c goes
# into libadm.a, so the unit tests (linked against every library) can drive
# the subcommands directly.
ADM_SRCS := $(filter-out adm/main.c,$(wildcard adm/*.c))
LIBADM := $(BUILD)/libadm.a
LIBRARIES += $(LIBADM)
BINS += $(BUILD)/bin/sdcadm-docker
MANPAGES += man/sdcadm-docker.8
ETC_FILES += etc/cron.d/sdc-docker-logs etc/systemd/sdc-docker-logs.service \
	etc/systemd/sdc-docker-logs.timer etc/bash_completion.d/sdcadm-docker

$(LIBADM): $(ADM_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

# Second expansion: the modules after this one add their libraries later.
.SECONDEXPANSION:
$(BUILD)/bin/sdcadm-docker: $(BUILD)/adm/main.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
