/* SPDX-License-Identifier: MIT */
/* Host-side glue that prepares QEMU to boot a guest under the armvmi hypervisor. */
#ifndef ARMVMI_HYP_HOST_H
#define ARMVMI_HYP_HOST_H

#include <stddef.h>

#include "qemu_cmd.h"

struct hyp_boot {
    const char *rundir;  /* VM runtime directory: write generated files (guest DTB...) here */
    const char *hyp_elf; /* path of armvmi-hyp.elf */
    const char *kernel, *initrd, *append;
    unsigned smp, mem_mib;
    unsigned hold_s; /* nonzero: vCPU 0 held until a monitor releases it, at most this long
                      * without one (abi.h ARMVMI_BOOT_HOLD) */
};

/* Prepare everything to boot under the hypervisor (dump QEMU's DTB, derive the guest DTB with
 * libfdt: carve-out removed from /memory, hyp-only devices hidden, /chosen bootargs and initrd
 * range set, psci method) and append the boot arguments (-kernel hyp.elf, -device loader,...,
 * and the doorbell: a virtio console on rundir/doorbell.sock, which must be the command line's
 * first virtio-mmio device)
 * to cmd, which holds the QEMU command line chosen so far (from qemu_cmd_init; its options that
 * shape the machine are reused to dump QEMU's device tree). Returns 0, or -1 with one clear
 * sentence in err. The environment variable
 * ARMVMI_HYP_PSCI=hvc makes the guest DTB's PSCI method "hvc" (default "smc").
 * ARMVMI_HYP_GIC=passthrough hands the physical GIC to the guest (debugging only); the
 * default is the virtual GIC. */
int hyp_qemu_args(const struct hyp_boot *b, struct qemu_cmd *cmd, char *err, size_t errlen);

/* The carve-out the guest must never see, for tests: fills base/size. */
void hyp_carveout(unsigned mem_mib, unsigned long long *base, unsigned long long *size);

#endif
