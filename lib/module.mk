# lib/: the shared core every binary links (libsdc.a).
LIBSDC_SRCS := $(wildcard lib/*.c)
LIBSDC := $(BUILD)/libsdc.a
LIBRARIES += $(LIBSDC)

$(LIBSDC): $(LIBSDC_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^
