# dockerapi/: the Docker endpoint daemon.  Its subfolders (images/,
# runtime/, monitor/) are libraries and binaries with module.mk files of
# their own; api/ holds the Docker API's routes, part of the daemon.
DOCKERAPI_SRCS := $(wildcard dockerapi/*.c dockerapi/api/*.c)
BINS += $(BUILD)/bin/dockerapi
MANPAGES += man/dockerapi.8 man/sdc-docker-config.5 man/sdc-docker-monitor.8 man/sdc-node.8
# The systemd units of the two daemons of a node (with their LimitNOFILE).
ETC_FILES += etc/systemd/sdc-docker-dockerapi.service \
	etc/systemd/sdc-docker-sapi.service

$(BUILD)/bin/dockerapi: $(DOCKERAPI_SRCS:%.c=$(BUILD)/%.o) $(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)

# The route files see the daemon's headers (containers.h, dockerapi.h,
# ...) by name, as the files beside those headers do.
$(BUILD)/dockerapi/api/%.o $(BUILD)/clang/dockerapi/api/%.ok: \
	CPPFLAGS += -Idockerapi

# The config service's bootstrap file is also dockerapi's built-in
# defaults (tunables.c): one file, so the two cannot disagree.
$(BUILD)/gen/bootstrap.c: etc/sapi-bootstrap.yaml
	@mkdir -p $(dir $@)
	$(Q){ echo 'const char tunables_bootstrap_yaml[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; } > $@
$(BUILD)/gen/bootstrap.o: $(BUILD)/gen/bootstrap.c
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/bin/dockerapi: $(BUILD)/gen/bootstrap.o

# The options table's test renders the pages from dockerapi's own objects;
# the tunables' test reads the built-in defaults as dockerapi does; the
# routes' test walks the route tables api_init() reads; the log usage's
# test checks nodes' answers with the admin route's own check.
$(BUILD)/tests/test_container_options $(BUILD)/tests/test_tunables \
	$(BUILD)/tests/test_api_routes $(BUILD)/tests/test_log_usage: \
	$(filter-out $(BUILD)/dockerapi/main.o,\
	$(DOCKERAPI_SRCS:%.c=$(BUILD)/%.o)) $(BUILD)/gen/bootstrap.o

# Placement and affinity are pure: their test links the two alone.
$(BUILD)/tests/test_placement: $(BUILD)/dockerapi/placement.o \
	$(BUILD)/dockerapi/affinity.o

# build-rootfs.c's test drives it on layer folders of its own.
$(BUILD)/tests/test_build_rootfs: $(BUILD)/dockerapi/build-rootfs.o

# The events' outbox, its file and the ids heard: their test links them alone.
$(BUILD)/tests/test_events_outbox: $(BUILD)/dockerapi/events-outbox.o \
	$(BUILD)/dockerapi/events-outbox-file.o
