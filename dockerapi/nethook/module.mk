# dockerapi/nethook/: sdc-docker-nethook, the runtime's createRuntime hook
# that attaches a container's endpoints before its process starts
# (dockerapi/net/plan.c).  Linked like the daemon, with libsdcnet.
NETHOOK_SRCS := $(wildcard dockerapi/nethook/*.c)
BINS += $(BUILD)/bin/sdc-docker-nethook

$(BUILD)/bin/sdc-docker-nethook: $(NETHOOK_SRCS:%.c=$(BUILD)/%.o) $(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
