# dockerapi/: the Docker endpoint daemon.  Its subfolders (images/,
# runtime/, monitor/) are libraries and binaries with module.mk files of
# their own.
DOCKERAPI_SRCS := $(wildcard dockerapi/*.c)
BINS += $(BUILD)/bin/dockerapi
MANPAGES += man/dockerapi.8 man/sdc-docker-config.5

$(BUILD)/bin/dockerapi: $(DOCKERAPI_SRCS:%.c=$(BUILD)/%.o) $(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
