# SPDX-License-Identifier: MIT
# Build fragment for the freestanding EL2 hypervisor (hyp/), cross-compiled with $(CROSS64)gcc.

HYP_CC := $(CROSS64)gcc
# The board: hyp/platform/$(HYP_PLATFORM)/include/hyp/platform.h is <hyp/platform.h>.
HYP_PLATFORM := qemu-virt
HYP_SRCS := $(sort $(wildcard hyp/arch/*.c hyp/arch/*.S hyp/core/*.c hyp/drivers/*.c))
HYP_OBJS := $(patsubst %,$(BUILD)/hyp/obj/%.o,$(HYP_SRCS))
HYP_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -O2 -g -ffreestanding \
	-nostdlib -fno-builtin -fno-stack-protector -fno-pic -fno-pie -mgeneral-regs-only \
	-mstrict-align -mno-outline-atomics -march=armv8.1-a -Ihyp/include \
	-Ihyp/platform/$(HYP_PLATFORM)/include -Iinclude -MMD -MP
HYP_ELF := $(BUILD)/hyp/armvmi-hyp.elf

ifneq ($(shell command -v $(HYP_CC) 2>/dev/null),)
ALL_TARGETS += $(HYP_ELF)
INSTALL_LIBEXEC += $(HYP_ELF)
endif

$(BUILD)/hyp/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(HYP_CC) $(HYP_CFLAGS) -c $< -o $@

$(BUILD)/hyp/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(HYP_CC) $(HYP_CFLAGS) -c $< -o $@

$(HYP_ELF): $(HYP_OBJS) hyp/hyp.lds
	@mkdir -p $(dir $@)
	$(HYP_CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T hyp/hyp.lds -o $@ $(HYP_OBJS) -lgcc

.PHONY: hyp
hyp: $(HYP_ELF)

-include $(HYP_OBJS:.o=.d)

# Bare-metal EL1 test guest (tests/integration/50-hyp-traps.t): a raw Image loaded like a kernel.
HYP_TG := $(BUILD)/hyp/trapguest.img
HYP_TG_SRCS := hyp/tests/trapguest/head.S hyp/tests/trapguest/main.c
ifneq ($(shell command -v $(HYP_CC) 2>/dev/null),)
ALL_TARGETS += $(HYP_TG)
endif
$(HYP_TG): $(HYP_TG_SRCS) hyp/tests/trapguest/trapguest.lds
	@mkdir -p $(dir $@)
	$(HYP_CC) $(filter-out -MMD -MP,$(HYP_CFLAGS)) -nostdlib -static -no-pie -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -T hyp/tests/trapguest/trapguest.lds -o $(@:.img=.elf) $(HYP_TG_SRCS)
	$(CROSS64)objcopy -O binary $(@:.img=.elf) $@
