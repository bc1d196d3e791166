# dockerapi/net/: the node's container networking below the Docker network
# routes (libsdcnet.a): bridges, veths, sandboxes, nftables and names.  See
# dockerapi/net/net.h.
LIBSDCNET_SRCS := $(wildcard dockerapi/net/*.c)
LIBSDCNET := $(BUILD)/libsdcnet.a
LIBRARIES += $(LIBSDCNET)

$(LIBSDCNET): $(LIBSDCNET_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

# libnl-route-3 (rtnetlink) and libnftables, shared: Debian ships
# libnftables only so, and its security updates then reach the daemon.
NET_PKGS := libnl-route-3.0 libnftables
CPPFLAGS += $(shell pkg-config --cflags $(NET_PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(NET_PKGS) 2>/dev/null)

# The tests' drivers (the library from the shell: 40-net-plumbing and
# 45-net-dns); with the unit tests, never installed.
NET_DRIVER := $(BUILD)/tests/net-driver
NET_DNS_DRIVER := $(BUILD)/tests/net-dns-driver
UNIT_TESTS += $(NET_DRIVER) $(NET_DNS_DRIVER)
.SECONDEXPANSION:
$(NET_DNS_DRIVER): $(BUILD)/tests/net-dns-driver.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
$(NET_DRIVER): $(BUILD)/tests/net-driver.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
