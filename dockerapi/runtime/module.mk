# dockerapi/runtime/: libsdcnode, the node backend (runtime.h).
LIBSDCNODE_SRCS := $(wildcard dockerapi/runtime/*.c)
LIBSDCNODE := $(BUILD)/libsdcnode.a
LIBRARIES += $(LIBSDCNODE)

$(LIBSDCNODE): $(LIBSDCNODE_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/seccomp.o
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

# The seccomp profile is built into the library (seccomp.c says why).
$(BUILD)/gen/seccomp.c: etc/seccomp.json
	@mkdir -p $(dir $@)
	$(Q){ echo 'const char rt_seccomp_profile[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; } > $@
$(BUILD)/gen/seccomp.o: $(BUILD)/gen/seccomp.c
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# sdc-node: the library from the shell (operators, integration tests).
# Linked with the two libraries it uses rather than all of them.
BINS += $(BUILD)/bin/sdc-node
$(BUILD)/bin/sdc-node: $(BUILD)/dockerapi/runtime/cli/sdc-node.o \
		$(LIBSDCNODE) $(BUILD)/libsdc.a
	@mkdir -p $(dir $@)
	$(LINK_ECHO) $(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $(BUILD)/dockerapi/runtime/cli/sdc-node.o \
		$(LIBSDCNODE) $(BUILD)/libsdc.a $(LDLIBS)

# The isolation tests' attacker, a static binary put into their image;
# with the unit tests, never installed.
ISOLATION_HELPER := $(BUILD)/tests/isolation-helper
UNIT_TESTS += $(ISOLATION_HELPER)
$(ISOLATION_HELPER): tests/isolation-helper.c | deps
	@mkdir -p $(dir $@)
	$(LINK_ECHO) $(CC) -D_GNU_SOURCE -std=c11 $(WARN) -O2 -static -o $@ $<
