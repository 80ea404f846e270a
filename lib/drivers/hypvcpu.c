/* SPDX-License-Identifier: MIT */
/* hypvcpu.c — the guest's vCPU of a VM under the armvmi hypervisor, wherever its CPU paused. */
#include <string.h>

#include <armvmi/abi.h>

#include "drivers/hypvcpu.h"

static int read_record(struct armvmi *h, unsigned vcpu, struct armvmi_abi_vcpu *rec)
{
    uint64_t pa = ARMVMI_VCPU_REC(vcpu);
    if (vcpu >= ARMVMI_MAX_VCPUS || pa < h->carve_base ||
        pa + sizeof(*rec) > h->carve_base + h->carve_size)
        return armvmi_fail(
            ARMVMI_EFORMAT, "vCPU %u has no record in the hypervisor's carve-out (0x%llx+0x%llx).",
            vcpu, (unsigned long long)h->carve_base, (unsigned long long)h->carve_size);
    int rc = armvmi_read_pa(h, pa, rec, sizeof(*rec));
    if (rc)
        return rc;
    if (rec->magic != ARMVMI_VCPU_MAGIC || rec->version != ARMVMI_ABI_VERSION || rec->id != vcpu)
        return armvmi_fail(ARMVMI_EFORMAT,
                           "the hypervisor's record of vCPU %u at 0x%llx is not one this armvmi "
                           "reads (magic 0x%x, ABI version %u, this armvmi speaks %u): run the "
                           "armvmi-hyp.elf built with this armvmi.",
                           vcpu, (unsigned long long)pa, rec->magic, rec->version,
                           ARMVMI_ABI_VERSION);
    return 0;
}

/* The guest's registers from the record; the EL2 ones stay the physical CPU's. */
static void regs_from_record(struct armvmi_regs *r, const struct armvmi_abi_vcpu *rec)
{
    struct armvmi_abi_regs a; /* the record's tail from x[] is this struct (abi.h checks it) */
    memcpy(&a, rec->x, sizeof(a));
    uint64_t hyp_pc = r->regs[ARMVMI_REG_PC];
    armvmi_regs_from_hyp(r, &a);
    r->hyp_pc = hyp_pc;
}

int hypvcpu_guest_regs(struct armvmi *h, unsigned vcpu, const struct hypvcpu_cpu_ops *ops,
                       struct armvmi_regs *regs)
{
    struct armvmi_abi_vcpu rec;
    for (unsigned steps = 0;; steps++) {
        if (!hypvcpu_at_el2(regs)) {
            regs->settle_steps = steps;
            return 0; /* guest code: the physical CPU is the guest's vCPU */
        }
        int rc = read_record(h, vcpu, &rec);
        if (rc)
            return rc;
        if (rec.state == ARMVMI_VCPU_IN_HYP) {
            regs_from_record(regs, &rec);
            regs->settle_steps = steps;
            return 0;
        }
        if (rec.state == ARMVMI_VCPU_OFF)
            return armvmi_fail(ARMVMI_ESTATE,
                               "vCPU %u is off: the guest has not started it (PSCI CPU_ON) or "
                               "has turned it off.",
                               vcpu);
        if (rec.state != ARMVMI_VCPU_IN_GUEST)
            return armvmi_fail(ARMVMI_EFORMAT, "the hypervisor's record of vCPU %u has state %u.",
                               vcpu, rec.state);
        /* IN_GUEST at EL2: inside exception entry or return; a few instructions settle it. */
        if (!ops->step)
            return armvmi_fail(ARMVMI_ESTATE,
                               "vCPU %u was caught inside the hypervisor's exception entry or "
                               "return (PC 0x%llx), where the guest's state is not whole, and "
                               "this target cannot be stepped.",
                               vcpu, (unsigned long long)regs->regs[ARMVMI_REG_PC]);
        if (steps >= HYPVCPU_MAX_STEPS)
            return armvmi_fail(ARMVMI_EIO,
                               "vCPU %u stayed in the hypervisor's exception entry or return for "
                               "%u instructions (PC 0x%llx): the hypervisor seems stuck.",
                               vcpu, steps, (unsigned long long)regs->regs[ARMVMI_REG_PC]);
        if ((rc = ops->step(h, vcpu)))
            return rc;
        memset(regs, 0, sizeof(*regs));
        if ((rc = ops->read(h, vcpu, regs)))
            return rc;
    }
}
