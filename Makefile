# sdc-docker in C: one non-recursive Makefile.
#
# Each component folder has a module.mk that adds to the lists below; this
# file holds only the rules they share.  Objects go under $(BUILD), binaries
# under $(BUILD)/bin.  `make check` is the same build with ASan and UBSan in
# build-asan/.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
# `make run`'s listeners; empty: dockerapi's defaults (2376 and 8443).
DOCKER_PORT ?=
CLOUDAPI_PORT ?=
CC      ?= cc
VERSION := 0.1.0

# Build on every core unless the caller chose a number (-j1 for one).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc)
endif

# Libraries.  OpenSSL, libcurl and the terminal ones (libedit, ncurses) are
# shared, so Debian's security updates reach TLS and HTTP without a
# rebuild (--as-needed keeps libcurl out of binaries that never call out,
# and its pages are shared with every other process that maps it: PSS,
# not RSS, is what a process costs); the rest are
# linked from their static archives, so a process maps one file and only
# the code it calls: dockerapi idles at about 10 MiB PSS (bench/pss.sh),
# half of it libcurl's tree while no other process maps it (the shared
# libarchive would load libxml2,
# ICU and libstdc++ as well, for formats never read here).  These expand
# when used, not when make reads this: the packages may not be there yet.
STATIC_PKGS := libevent libevent_openssl jansson yaml-0.1 sqlite3 uuid libarchive
SHARED_PKGS := openssl libcurl libedit ncursesw libpq
PKGS := $(STATIC_PKGS) $(SHARED_PKGS)
STATIC_LIBS = $(filter-out -lssl -lcrypto -lxml2 -lm,\
	$(shell pkg-config --static --libs $(STATIC_PKGS) 2>/dev/null)) -lhttp_parser

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -fno-strict-aliasing
CPPFLAGS += -D_GNU_SOURCE -DSDC_VERSION='"$(VERSION)"' -I. -Ilib \
	    $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libarchive's tar writer calls a helper that sits beside the table of
# every writer (xar's needs libxml2): --gc-sections drops the writers
# nothing reaches, so the static link needs no libxml2.
LDFLAGS  += -Wl,--as-needed -Wl,--gc-sections
LDLIBS   += -Wl,-Bstatic $(STATIC_LIBS) -Wl,-Bdynamic \
	    $(shell pkg-config --libs $(SHARED_PKGS) 2>/dev/null) -lpthread -lm
# The unit tests also write tars of every format with libarchive (xar's needs
# libxml2).
TEST_LDLIBS = $(shell pkg-config --libs cmocka libxml-2.0 2>/dev/null)

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# Filled in by the module.mk files.
LIBRARIES :=          # static libraries: $(BUILD)/libX.a
BINS      :=          # binaries: $(BUILD)/bin/X
UNIT_TESTS :=         # cmocka test binaries: $(BUILD)/tests/X
MANPAGES  :=          # man/X.N
ETC_FILES :=          # files under etc/ to install

include $(sort $(wildcard */module.mk */*/module.mk))

# Modules are read in name order, so a module's own rules cannot see the
# libraries of the ones after it: every binary depends on all of them here.
$(BINS): $(LIBRARIES)

# The libraries each binary may use, and so links: the layering of
# docs/architecture.md, checked by the linker (a call into a library a
# binary may not use is an undefined reference).  The operator's tool and
# the config service never take the daemon's libraries, sapiadm only the
# client, the hook only the networking; a head reads the nodes table
# through the agent's library, and the agent takes of the head's only the
# image store's unpacker (a layer sent to a node is checked by the same
# code).  Unit tests and test drivers, which are not listed, link every
# library.
BIN_LIBS_dockerapi = $(LIBSDCBUILD) $(LIBSDCIMAGES) $(LIBSDCNET) \
	$(LIBSDCNODE) $(LIBSDCAGENT) $(LIBSAPI) $(LIBCERTGEN) $(LIBSDC)
BIN_LIBS_sdc-docker-agent = $(LIBSDCAGENT) $(LIBSDCNET) $(LIBSDCNODE) \
	$(LIBSDCIMAGES) $(LIBSDC)
BIN_LIBS_sapi = $(LIBSAPID) $(LIBSDC)
BIN_LIBS_sapiadm = $(LIBSAPI) $(LIBSDC)
BIN_LIBS_sdcadm-docker = $(LIBADM) $(LIBCERTGEN) $(LIBSAPI) $(LIBSDC)
BIN_LIBS_sdc-docker-nethook = $(LIBSDCNET) $(LIBSDC)

# Prints "LINK target" instead of the command, unless V=1; for every link
# rule, the modules' own too.
LINK_ECHO = $(Q)$(if $(Q),echo "  LINK    $@";)

# Link a binary from its objects and its libraries (above; every library
# for one not listed); the group lets the libraries refer to each other in
# any order.
LINK = $(LINK_ECHO) $(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) \
	-Wl,--start-group $(or $(BIN_LIBS_$(@F)),$(LIBRARIES)) -Wl,--end-group $(LDLIBS)

# Unit tests: tests/unit/test_NAME.c → $(BUILD)/tests/test_NAME, linked
# against every library.
UNIT_TESTS += $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK) $(TEST_LDLIBS)

.PHONY: all deps test test-postgres test-agent check run install bench fuzz clean lint-clang
# Keep the objects of unit tests: they are intermediate files to make.
.SECONDARY:
.DEFAULT_GOAL := all

all: deps $(LIBRARIES) $(BINS) $(UNIT_TESTS) lint-clang

deps:
	@scripts/deps.sh build

# V=1 shows the whole commands.
Q := $(if $(V),,@)

# Every compile waits for the packages, so make -j on a fresh machine
# does not race the install.
$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Every source file again through clang, for its warnings, in every folder
# (fuzz targets are clang's own build); no objects kept.  One stamp per
# file, with its headers as dependencies: make -j checks files side by side,
# and a change checks again only the files it can affect.
CLANG_SRCS := $(sort $(wildcard */*.c */*/*.c */*/*/*.c))
CLANG_SRCS := $(filter-out fuzz/% $(BUILD)/% var/%,$(CLANG_SRCS))
CLANG_OKS := $(patsubst %.c,$(BUILD)/clang/%.ok,$(CLANG_SRCS))
lint-clang: $(CLANG_OKS)
$(BUILD)/clang/%.ok: %.c | deps
	@mkdir -p $(dir $@)
	$(Q)clang $(CPPFLAGS) -std=c11 $(WARN) -fsyntax-only -MMD -MP \
		-MF $(@:.ok=.d) -MT $@ $<
	@touch $@

# make test: every test on SQLite, and the ones that lean on the store's
# SQL again on PostgreSQL (TEST_PG=store, tests/run.sh says which);
# make test-postgres: every test that starts a daemon, on PostgreSQL;
# make test-agent: every test, each head with an agent beside it running
# its containers, as make run has them (SDC_TEST_NODE=agent).
test: all
	@scripts/deps.sh test
	@BUILD=$(BUILD) TEST_PG=store tests/run.sh

test-postgres: all
	@scripts/deps.sh test
	@BUILD=$(BUILD) SDC_TEST_STORE=postgres tests/run.sh

test-agent: all
	@scripts/deps.sh test
	@BUILD=$(BUILD) SDC_TEST_NODE=agent tests/run.sh

check:
	$(MAKE) BUILD=build-asan SAN=1 test

run: deps
	@scripts/deps.sh run
	@$(MAKE) --no-print-directory $(BINS)
	@BUILD=$(BUILD) DOCKER_PORT=$(DOCKER_PORT) CLOUDAPI_PORT=$(CLOUDAPI_PORT) scripts/run.sh

bench: all
	@scripts/deps.sh bench
	@for b in bench/*/run; do echo "== $$b"; BUILD=$(BUILD) $$b || exit 1; done

fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory -f fuzz/Makefile BUILD=build-fuzz

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/etc/sdc-docker
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 sdc-docker-setup.sh $(DESTDIR)$(PREFIX)/bin/
	@for m in $(MANPAGES); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/ || exit 1; \
	done
	@for e in $(ETC_FILES); do \
		d=$(DESTDIR)$(PREFIX)/etc/sdc-docker/$$(dirname $${e#etc/}); \
		install -d $$d && install -m 644 $$e $$d/ || exit 1; \
	done

clean:
	rm -rf build build-asan build-fuzz build-clang

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
