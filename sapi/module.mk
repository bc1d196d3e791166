# sapi/: the config service daemon.  Everything but main.c goes into
# libsapid.a, so the unit tests reach the model, the merge and the schema
# validator without starting the daemon.
SAPID_SRCS := $(filter-out sapi/main.c,$(wildcard sapi/*.c))
LIBSAPID := $(BUILD)/libsapid.a
LIBRARIES += $(LIBSAPID)
BINS += $(BUILD)/bin/sapi
MANPAGES += man/sapi.8
ETC_FILES += etc/sapi.yaml etc/sapi-bootstrap.yaml etc/systemd/sdc-docker-sapi.service

$(LIBSAPID): $(SAPID_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

# Where an installed sapi finds its bootstrap file.
$(BUILD)/sapi/options.o: CPPFLAGS += -DSAPI_ETCDIR='"$(PREFIX)/etc/sdc-docker"'

# Every library, including those of modules read after this one.
.SECONDEXPANSION:
$(BUILD)/bin/sapi: $(BUILD)/sapi/main.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
