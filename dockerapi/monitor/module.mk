# dockerapi/monitor/: sdc-docker-monitor, one process per container.
#
# Linked on its own, not with $(LINK): it needs none of the other libraries
# (of lib, only the objects named below),
# and every shared library mapped costs resident memory in each of a host's
# many monitors.  It is static for the same reason (about 700 KiB resident
# here, against 1.1 MiB for the same program linked dynamically), except in
# the sanitizer build, where static linking is not available.  zlib is
# only for the gelf driver's compression (shipfmt.c), and allocates only
# in a monitor that uses it.
MONITOR_SRCS := $(wildcard dockerapi/monitor/*.c)
MONITOR_OBJS := $(MONITOR_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/lib/error.o \
	$(BUILD)/lib/xalloc.o $(BUILD)/lib/timeutil.o $(BUILD)/lib/fsutil.o \
	$(BUILD)/lib/buf.o
MONITOR_STATIC := $(if $(filter 1,$(SAN)),,-static)
BINS += $(BUILD)/bin/sdc-docker-monitor

$(BUILD)/bin/sdc-docker-monitor: $(MONITOR_OBJS)
	@mkdir -p $(dir $@)
	$(LINK_ECHO) $(CC) $(LDFLAGS) $(MONITOR_STATIC) -o $@ $(MONITOR_OBJS) -lz
