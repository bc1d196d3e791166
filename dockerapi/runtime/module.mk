# dockerapi/runtime/: libsdcnode, the node backend (runtime.h).
LIBSDCNODE_SRCS := $(wildcard dockerapi/runtime/*.c)
LIBSDCNODE := $(BUILD)/libsdcnode.a
LIBRARIES += $(LIBSDCNODE)

$(LIBSDCNODE): $(LIBSDCNODE_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
