# SPDX-License-Identifier: MIT
# tests/oracle/oracle.mk — the CPU oracle: bare-metal AT programs in QEMU checked against lib/arch.

ORACLE_DIR   := $(BUILD)/oracle
ORACLE_CC64  := $(CROSS64)gcc
ORACLE_CC32  := $(CROSS32)gcc
ORACLE_GFLAGS := -ffreestanding -nostdlib -O2 -Wall -Wextra -Werror -Wl,--no-warn-rwx-segments
ORACLE_HOST  := tests/oracle/ogen.c tests/oracle/ogen_ld.c tests/oracle/ogen_a32.c \
                tests/oracle/ogen_a64.c tools/armvmi/qemu_cmd.c
ORACLE_HDRS  := $(wildcard tests/oracle/*.h) tools/armvmi/qemu_cmd.h
ORACLE_HAVE64 := $(shell command -v $(ORACLE_CC64) >/dev/null 2>&1 && echo y)

$(ORACLE_DIR)/guest_a64.elf: tests/oracle/guest_a64_start.S tests/oracle/guest_a64.c \
                             tests/oracle/guest_a64.ld tests/oracle/mbox.h
	@mkdir -p $(dir $@)
	$(ORACLE_CC64) $(ORACLE_GFLAGS) -march=armv8.2-a -mgeneral-regs-only -T tests/oracle/guest_a64.ld -o $@ \
	    tests/oracle/guest_a64_start.S tests/oracle/guest_a64.c

$(ORACLE_DIR)/oracle_a64: tests/oracle/oracle_a64.c $(ORACLE_HOST) $(ORACLE_HDRS) $(LIBA) \
                          $(if $(ORACLE_HAVE64),$(ORACLE_DIR)/guest_a64.elf)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/oracle -Itools/armvmi -DGUEST_A64=\"$(abspath $(ORACLE_DIR)/guest_a64.elf)\" \
	    -o $@ tests/oracle/oracle_a64.c $(ORACLE_HOST) $(LIBA) -lm

TEST_PROGS += $(ORACLE_DIR)/oracle_a64

ORACLE_HAVE32 := $(shell command -v $(ORACLE_CC32) >/dev/null 2>&1 && echo y)

$(ORACLE_DIR)/guest_a32.elf: tests/oracle/guest_a32_start.S tests/oracle/guest_a32.c \
                             tests/oracle/guest_a32.ld tests/oracle/mbox.h
	@mkdir -p $(dir $@)
	$(ORACLE_CC32) $(ORACLE_GFLAGS) -marm -march=armv7ve -mfloat-abi=soft \
	    -T tests/oracle/guest_a32.ld -o $@ tests/oracle/guest_a32_start.S tests/oracle/guest_a32.c

$(ORACLE_DIR)/oracle_a32: tests/oracle/oracle_a32.c $(ORACLE_HOST) $(ORACLE_HDRS) $(LIBA) \
                          $(if $(ORACLE_HAVE32),$(ORACLE_DIR)/guest_a32.elf)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/oracle -Itools/armvmi -DGUEST_A32=\"$(abspath $(ORACLE_DIR)/guest_a32.elf)\" \
	    -o $@ tests/oracle/oracle_a32.c $(ORACLE_HOST) $(LIBA) -lm

TEST_PROGS += $(ORACLE_DIR)/oracle_a32
