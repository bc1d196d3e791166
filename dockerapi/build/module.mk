# dockerapi/build/: the classic builder's pieces that stand on their own
# (libsdcbuild.a): the Dockerfile parser and word expansion, the
# .dockerignore matcher.
LIBSDCBUILD_SRCS := $(wildcard dockerapi/build/*.c)
LIBSDCBUILD := $(BUILD)/libsdcbuild.a
LIBRARIES += $(LIBSDCBUILD)

$(LIBSDCBUILD): $(LIBSDCBUILD_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^
