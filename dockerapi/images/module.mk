# dockerapi/images/: the image layer below the Docker API routes
# (libsdcimages.a): blob store, safe layer unpacking, registry client,
# docker-archive save/load, import.  See dockerapi/images/images.h.
LIBSDCIMAGES_SRCS := $(wildcard dockerapi/images/*.c)
LIBSDCIMAGES := $(BUILD)/libsdcimages.a
LIBRARIES += $(LIBSDCIMAGES)

$(LIBSDCIMAGES): $(LIBSDCIMAGES_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

# A test-only driver for the integration tests and bench/pull; it sits with
# the unit tests and is never installed.  Its prerequisites are expanded
# late, when every module.mk has added its library, hence the $$.
IMAGES_DRIVER := $(BUILD)/tests/images-driver
UNIT_TESTS += $(IMAGES_DRIVER)
.SECONDEXPANSION:
$(IMAGES_DRIVER): $(BUILD)/tests/images-driver.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
