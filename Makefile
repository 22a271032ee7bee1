# mailcanary — one Makefile for build, deps, tests, demo, benchmarks, fuzzing
# and installation. Library flags come from pkg-config.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system

CC      ?= cc
BUILD   ?= build
# `make V=1` shows the full compiler command lines.
Q        = $(if $(V),,@)
# libesmtp, libcurl, GMime (with GLib/GObject), OpenSSL, libpsl (with
# libidn2/libunistring), zlib, SQLite, inih and jansson are not linked: the
# shims in common/lazy_*.c load them with dlopen() on first use, so the
# commands that never send or read mail, check DKIM/DMARC, read .gz logs,
# open the store, read a config file or build a JSON document do not pay
# for them at start-up (common/lazy.h). Their headers still come from
# pkg-config. Only c-ares is linked. libm is linked only if something
# calls it (--as-needed; common/mc_num.h says why nothing does).
LAZY_PKGS = libesmtp-1.0 libcurl gmime-3.0 openssl libpsl zlib sqlite3 inih \
            jansson
LINK_PKGS = libcares
PKGS     = $(LAZY_PKGS) $(LINK_PKGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(LINK_PKGS)) -lpthread \
             -Wl,--push-state,--as-needed -lm -Wl,--pop-state
# Unit tests may call more of OpenSSL, libpsl, zlib, SQLite and jansson
# than the shims cover (a test TLS server, key generation, writing .gz
# files, opening a store's file behind its back, reading JSON back): those libraries
# are linked to a test only if it needs them (--as-needed), and the shims'
# symbols are not exported from the test (--exclude-libs), so the
# libraries' own calls never detour through a shim.
TEST_LIBS  = -Wl,--exclude-libs,ALL -Wl,--push-state,--as-needed \
             $(shell pkg-config --libs openssl libpsl zlib sqlite3 jansson) -lm \
             -Wl,--pop-state

CFLAGS  ?= -O2 -g
# Messages are bounded on purpose (struct mc_err), so truncation is not a bug.
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 \
           -Wno-format-truncation -Wno-format-nonliteral
VERSION  = 0.1.0
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DMC_VERSION=\"$(VERSION)\" $(WARN) $(CFLAGS) $(SANFLAGS) \
             -Icommon -I. $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

MODULES  = common config probe receiver checks alert store report
LIB_SRC  = $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SRC  = $(wildcard cli/*.c)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer \
      -fno-sanitize-recover=undefined
# intercept_tls_get_addr=0: GCC <= 13's sanitizer runtime misreads a
# dlopen()ed library's thread-local block (gnutls, p11-kit and com_err
# under libcurl) as a glibc 2.19 one when malloc places it at a certain page
# offset, and LeakSanitizer's tracer then crashes at exit, by heap-layout
# chance (google/sanitizers#1322). Without the interceptor LSan just does
# not scan dynamic TLS blocks for pointers.
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:intercept_tls_get_addr=0
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all deps check check-unit check-integration demo bench fuzz \
        fuzz-build install clean
.DELETE_ON_ERROR:

all: $(BUILD)/mailcanary

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libmailcanary.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/mailcanary: $(CLI_OBJ) $(BUILD)/libmailcanary.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmailcanary.a
	@mkdir -p $(@D)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libmailcanary.a \
		$(ALL_LDFLAGS) $(PKG_LIBS) $(TEST_LIBS) \
		$(shell pkg-config --libs cmocka)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# Everything the build, the tests and the demo need, from Debian packages.
deps:
	@tests/env/deps.sh test

check-unit: $(UNIT_BIN)
	@tests/unit/run.sh $(UNIT_BIN)

check-integration: $(BUILD)/mailcanary
	@tests/integration/run.sh $(abspath $(BUILD)/mailcanary)

# The README's test command: installs what it needs, then unit tests in a
# plain and an ASan+UBSan build, the integration suite on the real loopback
# servers with the sanitized binary, and a compile of every fuzz target.
check: deps
	$(MAKE) all check-unit
	$(MAKE) BUILD=build/asan SANFLAGS="$(SAN)" CFLAGS="-O1 -g" \
		all check-unit check-integration
	$(MAKE) fuzz-build

# The first five minutes: install, build, start the loopback mail world,
# send real probes and show the result.
demo: deps
	$(MAKE) all
	@tests/env/demo.sh $(abspath $(BUILD)/mailcanary)

FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined
fuzz-build:
	$(MAKE) CC=clang BUILD=build/fuzz SANFLAGS="$(FUZZ_FLAGS)" \
		CFLAGS="-O1 -g -Wno-unknown-warning-option" build/fuzz/libmailcanary.a
	@mkdir -p build/fuzz/bin
	@set -e; for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); \
		echo "  FUZZ $$n"; \
		clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined \
			-Icommon -I. $(PKG_CFLAGS) -o build/fuzz/bin/$$n $$f \
			build/fuzz/libmailcanary.a $(PKG_LIBS); \
	done

FUZZ_SECONDS ?= 20
fuzz: deps fuzz-build
	@tests/fuzz/run.sh build/fuzz/bin $(FUZZ_SECONDS)

bench: all
	@tests/env/deps.sh bench
	@tests/bench/run.sh $(abspath $(BUILD)/mailcanary)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(SYSCONFDIR)/mailcanary $(DESTDIR)$(UNITDIR)
	install -m 755 $(BUILD)/mailcanary $(DESTDIR)$(BINDIR)/mailcanary
	install -m 644 cli/mailcanary.1 $(DESTDIR)$(MANDIR)/man1/mailcanary.1
	install -m 644 config/mailcanary.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/mailcanary/mailcanary.conf.example
	sed 's|/usr/local/bin/mailcanary|$(BINDIR)/mailcanary|' \
		systemd/mailcanary.service >$(DESTDIR)$(UNITDIR)/mailcanary.service
	chmod 644 $(DESTDIR)$(UNITDIR)/mailcanary.service
	install -m 644 systemd/mailcanary.timer $(DESTDIR)$(UNITDIR)/

clean:
	rm -rf build
