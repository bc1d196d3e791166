# certgen/: libcertgen (SSH keys in, X.509 out) and sdc-docker-certgen.
# The command is main.c plus one cmd_*.c per subcommand; everything else
# is the library.  The command links only the libraries it uses (not
# $(LINK)'s every library): it starts once per certificate in scripts, and
# each shared library it need not load is start-up time saved.
CERTGEN_CMD_SRCS := certgen/main.c $(wildcard certgen/cmd_*.c)
CERTGEN_LIB_SRCS := $(filter-out $(CERTGEN_CMD_SRCS),$(wildcard certgen/*.c))
LIBCERTGEN := $(BUILD)/libcertgen.a
CERTGEN_BIN := $(BUILD)/bin/sdc-docker-certgen
CERTGEN_LDLIBS = $(shell pkg-config --libs openssl 2>/dev/null)
LIBRARIES += $(LIBCERTGEN)
BINS += $(CERTGEN_BIN)
MANPAGES += man/sdc-docker-certgen.1

$(LIBCERTGEN): $(CERTGEN_LIB_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(Q)$(AR) rcs $@ $^

$(CERTGEN_BIN): $(CERTGEN_CMD_SRCS:%.c=$(BUILD)/%.o) $(LIBCERTGEN) $(BUILD)/libsdc.a
	@mkdir -p $(dir $@)
	$(LINK_ECHO) $(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $(filter %.o,$^) $(LIBCERTGEN) \
		$(BUILD)/libsdc.a $(CERTGEN_LDLIBS)
