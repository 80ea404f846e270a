# SPDX-License-Identifier: MIT
# Top-level build for armvmi: libarmvmi, the armvmi command, guest programs, hypervisor, tests.
#
# Components may add a fragment named *.mk in their own folder (lib/*/, hyp/, tests/*/, bench/);
# fragments append to ALL_TARGETS, TEST_PROGS (TAP-producing executables run by `make test`),
# UNIT_TESTS (cmocka sources, built plain and with ASan/UBSan) and CLEAN_EXTRA.

PREFIX     ?= /usr/local
BUILD      ?= build
CC         ?= gcc
CROSS64    ?= aarch64-linux-gnu-
CROSS32    ?= arm-linux-gnueabihf-
VERSION    := 0.1.0

PKGS       := libelf jansson expat libbpf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Libraries only the armvmi command and host tools use (libfdt: the hypervisor's guest DTB;
# libcapstone: `trace` disassembles the instruction at an event's PC);
# libarmvmi itself does not link them.
TOOL_LIBS  := -lfdt -lcapstone

WARN       := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
CFLAGS     ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -fPIC -Iinclude -Ilib $(PKG_CFLAGS) \
              -DARMVMI_VERSION=\"$(VERSION)\" $(CFLAGS)
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRCS   := $(sort $(wildcard lib/*/*.c lib/*/*/*.c lib/*/*/*/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_SOBJS  := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
TOOL_SRCS  := $(sort $(wildcard tools/armvmi/*.c))
TOOL_OBJS  := $(TOOL_SRCS:%.c=$(BUILD)/obj/%.o)
TOOL_SOBJS := $(TOOL_SRCS:%.c=$(BUILD)/san/%.o)

LIBA       := $(BUILD)/lib/libarmvmi.a
LIBSO      := $(BUILD)/lib/libarmvmi.so.0
LIBSAN     := $(BUILD)/lib/libarmvmi-san.a
ARMVMI     := $(BUILD)/bin/armvmi
ARMVMI_SAN := $(BUILD)/bin/armvmi-san

ALL_TARGETS := $(LIBA) $(LIBSO) $(ARMVMI) $(BUILD)/lib/pkgconfig/armvmi.pc
TEST_PROGS  :=
UNIT_TESTS  := $(sort $(wildcard tests/unit/test_*.c))
CLEAN_EXTRA :=

.PHONY: all test unit-tests install clean format
all: build-all

-include $(sort $(wildcard lib/*/*.mk hyp/*.mk guest/*.mk tests/*/*.mk bench/*.mk))

UNIT_BINS  := $(UNIT_TESTS:tests/unit/%.c=$(BUILD)/tests/unit/%) \
              $(UNIT_TESTS:tests/unit/%.c=$(BUILD)/tests/unit-san/%)
INTEG_TESTS := $(sort $(wildcard tests/integration/*.t))

build-all: $(ALL_TARGETS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBSAN): $(LIB_SOBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBSO): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libarmvmi.so.0 -o $@ $^ $(PKG_LIBS) -lm
	ln -sf libarmvmi.so.0 $(BUILD)/lib/libarmvmi.so

$(ARMVMI): $(TOOL_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(TOOL_OBJS) $(LIBA) $(PKG_LIBS) $(TOOL_LIBS) -lm

$(ARMVMI_SAN): $(TOOL_SOBJS) $(LIBSAN)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $(TOOL_SOBJS) $(LIBSAN) $(PKG_LIBS) $(TOOL_LIBS) -lm

$(BUILD)/lib/pkgconfig/armvmi.pc: armvmi.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(PKG_LIBS) -lcmocka -lm

$(BUILD)/tests/unit-san/%: tests/unit/%.c $(LIBSAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $< $(LIBSAN) $(PKG_LIBS) -lcmocka -lm

unit-tests: $(UNIT_BINS)

# Every test is an executable that prints TAP; prove runs them and prints the summary, with
# failing checks and every test's comments (diagnostics) so that a CI log says why.
# TESTS=... narrows the run (e.g. make test TESTS=tests/integration/10-vm.t).
TESTS ?= $(UNIT_BINS) $(TEST_PROGS) $(INTEG_TESTS)
test: build-all $(ARMVMI_SAN) unit-tests $(TEST_PROGS)
	ARMVMI=$(abspath $(ARMVMI)) ARMVMI_SAN=$(abspath $(ARMVMI_SAN)) ARMVMI_BUILD=$(abspath $(BUILD)) \
	CMOCKA_MESSAGE_OUTPUT=TAP prove --exec '' --timer --failures --comments $(TESTS)

install: build-all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/armvmi
	install -m 755 $(ARMVMI) $(DESTDIR)$(PREFIX)/bin/armvmi
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libarmvmi.so.0 $(DESTDIR)$(PREFIX)/lib/libarmvmi.so
	install -m 644 include/armvmi/*.h $(DESTDIR)$(PREFIX)/include/armvmi/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' armvmi.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/armvmi.pc
	install -d $(DESTDIR)$(PREFIX)/libexec/armvmi
	$(if $(INSTALL_LIBEXEC),cp -r $(INSTALL_LIBEXEC) $(DESTDIR)$(PREFIX)/libexec/armvmi/)

clean:
	rm -rf $(BUILD) $(CLEAN_EXTRA)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

-include $(LIB_OBJS:.o=.d) $(LIB_SOBJS:.o=.d) $(TOOL_OBJS:.o=.d) $(TOOL_SOBJS:.o=.d)
