# sapi-client/: libsapi.a (the C client of the config service) and the
# sapiadm command (sapiadm*.c), which is only a user of the library.
SAPIADM_SRCS := $(wildcard sapi-client/sapiadm*.c)
LIBSAPI_SRCS := $(filter-out $(SAPIADM_SRCS),$(wildcard sapi-client/*.c))
LIBSAPI := $(BUILD)/libsapi.a
LIBRARIES += $(LIBSAPI)
BINS += $(BUILD)/bin/sapiadm
MANPAGES += man/sapiadm.1

$(LIBSAPI): $(LIBSAPI_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

# Every library, including those of modules read after this one.
.SECONDEXPANSION:
$(BUILD)/bin/sapiadm: $(SAPIADM_SRCS:%.c=$(BUILD)/%.o) $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
