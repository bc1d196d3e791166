# agent/: sdc-docker-agent, the daemon on each compute node.  Everything
# but main.c goes into libsdcagent.a: dockerapi reads the nodes table
# through the same nodes-table.c the agent writes it with, and the unit
# tests reach the options and the table without a daemon.
AGENT_SRCS := $(filter-out agent/main.c,$(wildcard agent/*.c))
LIBSDCAGENT := $(BUILD)/libsdcagent.a
LIBRARIES += $(LIBSDCAGENT)
BINS += $(BUILD)/bin/sdc-docker-agent
MANPAGES += man/sdc-docker-agent.8
ETC_FILES += etc/agent.yaml etc/systemd/sdc-docker-agent.service

$(LIBSDCAGENT): $(AGENT_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

.SECONDEXPANSION:
$(BUILD)/bin/sdc-docker-agent: $(BUILD)/agent/main.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
