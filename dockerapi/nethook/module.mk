# dockerapi/nethook/: sdc-docker-nethook, the runtime's createRuntime hook
# that makes a container's links before its process starts
# (dockerapi/net/plan.c).
#
# Static, as the monitor, and linked with rtnetlink alone (libnl-route-3;
# the published ports are the daemon's): it runs once per container start,
# waited for by runc, and the dynamic loader's work for libnftables and
# what that loads (libnftnl, libmnl, libxtables, libgmp, libjansson) was
# most of its run.  Not in the sanitizer build, which cannot link static.
# The libraries expand at the link, not when make reads this: on a fresh
# machine the packages are installed after that (the deps target).
NETHOOK_SRCS := $(wildcard dockerapi/nethook/*.c)
NETHOOK_STATIC := $(if $(filter 1,$(SAN)),,-static)
NETHOOK_LIBS = $(shell pkg-config --libs libnl-route-3.0 2>/dev/null) \
	$(shell pkg-config --libs jansson 2>/dev/null) -lpthread
BINS += $(BUILD)/bin/sdc-docker-nethook

$(BUILD)/bin/sdc-docker-nethook: $(NETHOOK_SRCS:%.c=$(BUILD)/%.o) $(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK_ECHO) $(CC) $(LDFLAGS) $(NETHOOK_STATIC) -o $@ $(filter %.o,$^) \
		-Wl,--start-group $(LIBRARIES) -Wl,--end-group $(NETHOOK_LIBS)
