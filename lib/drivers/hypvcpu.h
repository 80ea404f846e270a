/* SPDX-License-Identifier: MIT */
/* hypvcpu.h — the guest's vCPU of a VM under the armvmi hypervisor, wherever its CPU paused. */
#ifndef ARMVMI_HYPVCPU_H
#define ARMVMI_HYPVCPU_H

#include "drivers/driver.h"

/* How a driver lets hypvcpu look at (and move) the physical CPU. */
struct hypvcpu_cpu_ops {
    /* Read the physical CPU's registers (all the driver has) into *out. */
    int (*read)(struct armvmi *h, unsigned vcpu, struct armvmi_regs *out);
    /* Execute exactly one instruction on that CPU only; NULL for a target that cannot (dumps). */
    int (*step)(struct armvmi *h, unsigned vcpu);
};

/*
 * For a VM with an armvmi hypervisor carve-out: turn *regs, the physical CPU's registers just
 * read, into the guest's vCPU. At EL0/EL1 they already are. At EL2 the guest's state comes
 * from the hypervisor's per-vCPU record (include/armvmi/abi.h); a CPU caught in the few
 * instructions of the hypervisor's exception entry or return is stepped (at most
 * HYPVCPU_MAX_STEPS instructions) until the record is whole or the CPU is back in the guest.
 * Returns 0, or a negative ARMVMI error with a message (a vCPU that is off: ARMVMI_ESTATE).
 */
#define HYPVCPU_MAX_STEPS 4096
int hypvcpu_guest_regs(struct armvmi *h, unsigned vcpu, const struct hypvcpu_cpu_ops *ops,
                       struct armvmi_regs *regs);

/* Whether a physical PSTATE is at EL2 (AArch64 state, M[3:2] = 2). */
static inline bool hypvcpu_at_el2(const struct armvmi_regs *r)
{
    uint64_t ps = r->regs[ARMVMI_REG_PSTATE];
    return armvmi_reg_valid(r, ARMVMI_REG_PSTATE) && !(ps & 0x10) && ((ps >> 2) & 3) == 2;
}

#endif
