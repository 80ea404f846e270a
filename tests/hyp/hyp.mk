# SPDX-License-Identifier: MIT
# tests/hyp/hyp.mk — the host-side boot harness of the hypervisor tests (armvmi-hyp-boot).

# Boots a kernel under the hypervisor (or directly) on stdio, with the launcher's host glue
# (tools/armvmi/hyp_host.c); tests and bench/hyp.sh find it through tests/lib/hyp.sh.
HYP_BOOT := $(BUILD)/hyp/armvmi-hyp-boot
HYP_BOOT_SRCS := tests/hyp/hyp-boot.c tools/armvmi/hyp_host.c tools/armvmi/qemu_cmd.c
ALL_TARGETS += $(HYP_BOOT)
$(HYP_BOOT): $(HYP_BOOT_SRCS) tools/armvmi/hyp_host.h tools/armvmi/qemu_cmd.h include/armvmi/abi.h \
             lib/drivers/qemu_rundir.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Iinclude -Ilib -Itools/armvmi -o $@ \
		$(HYP_BOOT_SRCS) $(TOOL_LIBS)

# The raw-ABI test monitor of tests/integration/51-hyp-memevents.t (VMI events).
HYP_EVMON := $(BUILD)/hyp/evmon
ALL_TARGETS += $(HYP_EVMON)
$(HYP_EVMON): tests/hyp/evmon.c tests/hyp/evmon_step.c tests/hyp/evmon_cmds.c tests/hyp/evmon.h include/armvmi/abi.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Iinclude -o $@ tests/hyp/evmon.c \
		tests/hyp/evmon_step.c tests/hyp/evmon_cmds.c

# The single-step trace checker of tests/integration/57-hyp-step.t (capstone, jansson).
HYP_STEPCHECK := $(BUILD)/hyp/stepcheck
ALL_TARGETS += $(HYP_STEPCHECK)
$(HYP_STEPCHECK): tests/hyp/stepcheck.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -o $@ tests/hyp/stepcheck.c \
		-lcapstone -ljansson
