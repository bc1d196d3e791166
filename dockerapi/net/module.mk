# dockerapi/net/: the node's container networking below the Docker network
# routes (libsdcnet.a): bridges, veths, sandboxes, nftables and names.  See
# dockerapi/net/net.h.
LIBSDCNET_SRCS := $(wildcard dockerapi/net/*.c)
LIBSDCNET := $(BUILD)/libsdcnet.a
LIBRARIES += $(LIBSDCNET)

$(LIBSDCNET): $(LIBSDCNET_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# The names tests' driver (net_dns_set and friends from the shell); with
# the unit tests, never installed.
NET_DNS_DRIVER := $(BUILD)/tests/net-dns-driver
UNIT_TESTS += $(NET_DNS_DRIVER)
.SECONDEXPANSION:
$(NET_DNS_DRIVER): $(BUILD)/tests/net-dns-driver.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
