# dockerapi/runtime/: libsdcnode, the node backend (runtime.h).
LIBSDCNODE_SRCS := $(wildcard dockerapi/runtime/*.c)
LIBSDCNODE := $(BUILD)/libsdcnode.a
LIBRARIES += $(LIBSDCNODE)

$(LIBSDCNODE): $(LIBSDCNODE_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# sdc-node: the library from the shell (operators, integration tests).
# Linked with the two libraries it uses rather than all of them.
BINS += $(BUILD)/bin/sdc-node
$(BUILD)/bin/sdc-node: $(BUILD)/dockerapi/runtime/cli/sdc-node.o \
		$(LIBSDCNODE) $(BUILD)/libsdc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $(BUILD)/dockerapi/runtime/cli/sdc-node.o \
		$(LIBSDCNODE) $(BUILD)/libsdc.a $(LDLIBS)
