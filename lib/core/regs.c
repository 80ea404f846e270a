/* SPDX-License-Identifier: MIT */
/* regs.c — register names and the public vCPU register calls. */
#include <string.h>
#include <strings.h>

#include <armvmi/abi.h>

#include "drivers/driver.h"

static const char *const reg_names[ARMVMI_REG_COUNT] = {
    "X0",
    "X1",
    "X2",
    "X3",
    "X4",
    "X5",
    "X6",
    "X7",
    "X8",
    "X9",
    "X10",
    "X11",
    "X12",
    "X13",
    "X14",
    "X15",
    "X16",
    "X17",
    "X18",
    "X19",
    "X20",
    "X21",
    "X22",
    "X23",
    "X24",
    "X25",
    "X26",
    "X27",
    "X28",
    "X29",
    "X30",
    [ARMVMI_REG_SP] = "SP",
    [ARMVMI_REG_PC] = "PC",
    [ARMVMI_REG_PSTATE] = "PSTATE",
    [ARMVMI_REG_SP_EL0] = "SP_EL0",
    [ARMVMI_REG_SP_EL1] = "SP_EL1",
    [ARMVMI_REG_ELR_EL1] = "ELR_EL1",
    [ARMVMI_REG_SPSR_EL1] = "SPSR_EL1",
    [ARMVMI_REG_SCTLR_EL1] = "SCTLR_EL1",
    [ARMVMI_REG_TCR_EL1] = "TCR_EL1",
    [ARMVMI_REG_TTBR0_EL1] = "TTBR0_EL1",
    [ARMVMI_REG_TTBR1_EL1] = "TTBR1_EL1",
    [ARMVMI_REG_MAIR_EL1] = "MAIR_EL1",
    [ARMVMI_REG_VBAR_EL1] = "VBAR_EL1",
    [ARMVMI_REG_CONTEXTIDR_EL1] = "CONTEXTIDR_EL1",
    [ARMVMI_REG_TPIDR_EL1] = "TPIDR_EL1",
    [ARMVMI_REG_ESR_EL1] = "ESR_EL1",
    [ARMVMI_REG_FAR_EL1] = "FAR_EL1",
    [ARMVMI_REG_SP_EL2] = "SP_EL2",
    [ARMVMI_REG_ELR_EL2] = "ELR_EL2",
    [ARMVMI_REG_SPSR_EL2] = "SPSR_EL2",
    [ARMVMI_REG_SCTLR_EL2] = "SCTLR_EL2",
    [ARMVMI_REG_TCR_EL2] = "TCR_EL2",
    [ARMVMI_REG_TTBR0_EL2] = "TTBR0_EL2",
    [ARMVMI_REG_TTBR1_EL2] = "TTBR1_EL2",
    [ARMVMI_REG_MAIR_EL2] = "MAIR_EL2",
    [ARMVMI_REG_VBAR_EL2] = "VBAR_EL2",
    [ARMVMI_REG_CONTEXTIDR_EL2] = "CONTEXTIDR_EL2",
    [ARMVMI_REG_TPIDR_EL2] = "TPIDR_EL2",
    [ARMVMI_REG_ESR_EL2] = "ESR_EL2",
    [ARMVMI_REG_FAR_EL2] = "FAR_EL2",
    [ARMVMI_REG_HPFAR_EL2] = "HPFAR_EL2",
    [ARMVMI_REG_HCR_EL2] = "HCR_EL2",
    [ARMVMI_REG_VTCR_EL2] = "VTCR_EL2",
    [ARMVMI_REG_VTTBR_EL2] = "VTTBR_EL2",
    [ARMVMI_REG_TPIDR_EL0] = "TPIDR_EL0",
    [ARMVMI_REG_TPIDRRO_EL0] = "TPIDRRO_EL0",
    [ARMVMI_REG_ID_AA64MMFR0_EL1] = "ID_AA64MMFR0_EL1",
    [ARMVMI_REG_ID_AA64MMFR2_EL1] = "ID_AA64MMFR2_EL1",
};

const char *armvmi_reg_name(enum armvmi_reg r)
{
    if ((unsigned)r >= ARMVMI_REG_COUNT)
        return NULL;
    return reg_names[r];
}

int armvmi_reg_from_name(const char *name)
{
    if (!name)
        return -ARMVMI_ENOENT;
    for (int i = 0; i < ARMVMI_REG_COUNT; i++)
        if (strcasecmp(name, reg_names[i]) == 0)
            return i;
    if (strcasecmp(name, "cpsr") == 0)
        return ARMVMI_REG_PSTATE;
    if (strcasecmp(name, "lr") == 0)
        return ARMVMI_REG_X30;
    return -ARMVMI_ENOENT;
}

int armvmi_get_regs(armvmi_t *h, unsigned vcpu, struct armvmi_regs *out)
{
    if (!h || !out)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_get_regs: NULL argument.");
    memset(out, 0, sizeof(*out));
    if (!h->ops->get_regs)
        return armvmi_fail(ARMVMI_ENOTSUP, "%s has no vCPU registers.", h->target);
    if (vcpu >= h->vcpus)
        return armvmi_fail(ARMVMI_EINVAL, "vCPU %u does not exist: %s has %u vCPU(s).", vcpu,
                           h->target, h->vcpus);
    return h->ops->get_regs(h, vcpu, out);
}

int armvmi_set_reg(armvmi_t *h, unsigned vcpu, enum armvmi_reg r, uint64_t value)
{
    if (!h)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_set_reg: NULL handle.");
    if ((unsigned)r >= ARMVMI_REG_COUNT)
        return armvmi_fail(ARMVMI_EINVAL, "register number %d is out of range.", (int)r);
    if (!h->ops->set_reg)
        return armvmi_fail(ARMVMI_ENOTSUP, "%s: registers cannot be written on this target.",
                           h->target);
    if (vcpu >= h->vcpus)
        return armvmi_fail(ARMVMI_EINVAL, "vCPU %u does not exist: %s has %u vCPU(s).", vcpu,
                           h->target, h->vcpus);
    return h->ops->set_reg(h, vcpu, r, value);
}

void armvmi_regs_from_hyp(struct armvmi_regs *r, const struct armvmi_abi_regs *a)
{
    static const struct {
        enum armvmi_reg reg;
        size_t off;
    } sys[] = {
#define R(reg, field) {ARMVMI_REG_##reg, offsetof(struct armvmi_abi_regs, field)}
        R(PC, pc),
        R(PSTATE, pstate),
        R(SP_EL0, sp_el0),
        R(SP_EL1, sp_el1),
        R(ELR_EL1, elr_el1),
        R(SPSR_EL1, spsr_el1),
        R(SCTLR_EL1, sctlr_el1),
        R(TCR_EL1, tcr_el1),
        R(TTBR0_EL1, ttbr0_el1),
        R(TTBR1_EL1, ttbr1_el1),
        R(MAIR_EL1, mair_el1),
        R(VBAR_EL1, vbar_el1),
        R(CONTEXTIDR_EL1, contextidr_el1),
        R(TPIDR_EL1, tpidr_el1),
        R(ESR_EL1, esr_el1),
        R(FAR_EL1, far_el1),
        R(ESR_EL2, esr_el2),
        R(FAR_EL2, far_el2),
        R(HPFAR_EL2, hpfar_el2),
#undef R
    };
    for (int i = 0; i < 31; i++)
        armvmi_reg_set(r, ARMVMI_REG_X0 + i, a->x[i]);
    for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
        uint64_t v;
        memcpy(&v, (const char *)a + sys[i].off, sizeof(v));
        armvmi_reg_set(r, sys[i].reg, v);
    }
    /* Arm ARM D1.2.2: SP is SP_EL0 at EL0 or with PSTATE.SP = 0, else SP_ELx of the EL. */
    bool el0_or_t = ((a->pstate >> 2) & 3) == 0 || !(a->pstate & 1);
    armvmi_reg_set(r, ARMVMI_REG_SP, el0_or_t ? a->sp_el0 : a->sp_el1);
    r->source = ARMVMI_REGS_HYP_RECORD;
}
