/* SPDX-License-Identifier: MIT */
/* Register-write events: HCR_EL2.TVM on while the monitor subscribes to a register; every
 * trapped write of the group performed here, a subscribed one raised as ARMVMI_EV_REG when it
 * passes the filter, and the monitor's CONTINUE / DENY applied. */
#include <hyp/arch.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/events.h>
#include <hyp/inject.h>
#include <hyp/regcall.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>

#define HCR_TVM BIT(26)
#define MMFR0_FGT(r) FIELD(r, 56, 4) /* ID_AA64MMFR0_EL1.FGT (Arm ARM D17.2.64) */

SYSREG_RW(afsr0_el1, "afsr0_el1")
SYSREG_RW(afsr1_el1, "afsr1_el1")
SYSREG_RW(amair_el1, "amair_el1")

/* The TVM group (Arm ARM D17.2.48, HCR_EL2.TVM): name, accessor, op0 op1 CRn CRm op2. The first
 * six are ARMVMI_SYSREG_SCTLR_EL1..CONTEXTIDR_EL1, in that order. */
#define TVM_GROUP(X)                                                                               \
    X(SCTLR, sctlr_el1, 3, 0, 1, 0, 0)                                                             \
    X(TTBR0, ttbr0_el1, 3, 0, 2, 0, 0)                                                             \
    X(TTBR1, ttbr1_el1, 3, 0, 2, 0, 1)                                                             \
    X(TCR, tcr_el1, 3, 0, 2, 0, 2)                                                                 \
    X(MAIR, mair_el1, 3, 0, 10, 2, 0)                                                              \
    X(CONTEXTIDR, contextidr_el1, 3, 0, 13, 0, 1)                                                  \
    X(AFSR0, afsr0_el1, 3, 0, 5, 1, 0)                                                             \
    X(AFSR1, afsr1_el1, 3, 0, 5, 1, 1)                                                             \
    X(ESR, esr_el1, 3, 0, 5, 2, 0)                                                                 \
    X(FAR, far_el1, 3, 0, 6, 0, 0)                                                                 \
    X(AMAIR, amair_el1, 3, 0, 10, 3, 0)

#define TVM_ENUM(n, acc, o0, o1, crn, crm, o2) TVM_##n,
enum tvm_reg { TVM_GROUP(TVM_ENUM) TVM_NONE };
_Static_assert(TVM_CONTEXTIDR == ARMVMI_SYSREG_CONTEXTIDR_EL1, "TVM_GROUP order is abi.h's");

/* The subscriptions, by ARMVMI_SYSREG_*. */
static volatile u64 sub_mask[ARMVMI_SYSREG_COUNT];
static volatile u32 sub_flags[ARMVMI_SYSREG_COUNT];
static volatile bool tvm_want;

static enum tvm_reg tvm_decode(u64 esr)
{
#define TVM_CASE(n, acc, o0, o1, crn, crm, o2)                                                     \
    case ESR_SYS_REG(o0, o1, crn, crm, o2):                                                        \
        return TVM_##n;
    switch (esr & ESR_SYS_REG_MASK) {
        TVM_GROUP(TVM_CASE)
    }
    return TVM_NONE;
}

static u64 tvm_read(enum tvm_reg r)
{
#define TVM_READ(n, acc, o0, o1, crn, crm, o2)                                                     \
    case TVM_##n:                                                                                  \
        return read_##acc();
    switch (r) {
        TVM_GROUP(TVM_READ)
    default:
        return 0;
    }
}

static void tvm_write(enum tvm_reg r, u64 v)
{
#define TVM_WRITE(n, acc, o0, o1, crn, crm, o2)                                                    \
    case TVM_##n:                                                                                  \
        write_##acc(v);                                                                            \
        break;
    switch (r) {
        TVM_GROUP(TVM_WRITE)
    default:
        break;
    }
}

static void tvm_update(void)
{
    bool want = false;

    for (unsigned i = 0; i < ARMVMI_SYSREG_COUNT; i++)
        want |= sub_mask[i] != 0;
    __atomic_store_n(&tvm_want, want, __ATOMIC_SEQ_CST);
    regevent_enter();
    events_kick_others(); /* each vCPU applies it on its way back to the guest */
}

u32 regevent_cmd(u64 sysreg, u64 mask, u64 flags)
{
    if (sysreg >= ARMVMI_SYSREG_COUNT || (flags & ~(u64)ARMVMI_REGT_ALL)) {
        events_error(ARMVMI_ERR_CMD_ARGS, "REG_TRAP register or flags", sysreg);
        return ARMVMI_CMDS_EINVAL;
    }
    /* VBAR_EL1 is not in the TVM group: only FEAT_FGT's HFGWTR_EL2 traps its writes, and this
     * hypervisor does not program HFGWTR_EL2 (QEMU 7.2 has no FEAT_FGT). */
    if (sysreg == ARMVMI_SYSREG_VBAR_EL1) {
        if (mask)
            hyp_printf("events: VBAR_EL1 write events: not supported (FEAT_FGT %s)\n",
                       MMFR0_FGT(read_id_aa64mmfr0_el1()) ? "present but not used" : "absent");
        return mask ? ARMVMI_CMDS_ENOTSUP : ARMVMI_CMDS_OK;
    }
    sub_flags[sysreg] = (u32)flags;
    sub_mask[sysreg] = mask;
    tvm_update();
    return ARMVMI_CMDS_OK;
}

void regevent_reset(void)
{
    for (unsigned i = 0; i < ARMVMI_SYSREG_COUNT; i++) {
        sub_mask[i] = 0;
        sub_flags[i] = 0;
    }
    tvm_update();
}

void regevent_enter(void)
{
    u64 hcr = read_hcr_el2();
    bool want = __atomic_load_n(&tvm_want, __ATOMIC_ACQUIRE);

    if (!!(hcr & HCR_TVM) != want) {
        write_hcr_el2(want ? hcr | HCR_TVM : hcr & ~HCR_TVM);
        isb();
    }
}

/* ARMVMI_EV_REG's response: CONTINUE (the write), DENY or SKIP (no write); SET_REGS first, and
 * a new PC from it is where the guest goes on (*advance false). True: perform the write. */
static bool reg_event(struct vcpu *v, struct trap_frame *f, unsigned sysreg, unsigned rt, u64 old,
                      u64 val, bool *advance)
{
    struct armvmi_abi_event ev;
    struct armvmi_abi_response rsp;

    events_fill(&ev, v, ARMVMI_EV_REG);
    ev.u.reg.sysreg = sysreg;
    ev.u.reg.rt = rt;
    ev.u.reg.old_value = old;
    ev.u.reg.new_value = val;
    if (!events_deliver(v, f, &ev, &rsp) ||
        !events_rsp_check(&ev, &rsp, RSP_ACT(CONTINUE) | RSP_ACT(DENY) | RSP_ACT(SKIP),
                          ARMVMI_RSPF_SET_REGS | ARMVMI_RSPF_STEP_ON | ARMVMI_RSPF_STEP_OFF))
        return true; /* no monitor, or a rejected response: as CONTINUE */
    if (rsp.flags & ARMVMI_RSPF_SET_REGS) {
        events_set_regs(f, &rsp);
        *advance = !(rsp.reg_mask >> ARMVMI_RSP_REG_PC & 1);
    }
    debug_rsp_flags(v, rsp.flags);
    return rsp.action == ARMVMI_RSP_CONTINUE;
}

bool regevent_sysreg(struct trap_frame *f, u64 esr)
{
    enum tvm_reg r = tvm_decode(esr);
    unsigned rt = ESR_SYS_RT(esr);
    u64 val, old, mask;
    bool write = true, advance = true;

    if (r == TVM_NONE || (esr & ESR_SYS_READ))
        return false;
    val = rt == 31 ? 0 : f->x[rt];
    /* the six ARMVMI_SYSREG_* are the first six of the group */
    mask = r < ARMVMI_SYSREG_VBAR_EL1 && ev_state != EV_DETACHED ? sub_mask[r] : 0;
    if (mask) {
        old = tvm_read(r);
        if (((old ^ val) & mask) || (sub_flags[r] & ARMVMI_REGT_ALL))
            write = reg_event(vcpu_current(), f, r, rt, old, val, &advance);
        else
            __atomic_add_fetch(&events_chan()->filtered, 1, __ATOMIC_RELAXED);
    } else {
        __atomic_add_fetch(&events_chan()->filtered, 1, __ATOMIC_RELAXED);
    }
    if (write)
        tvm_write(r, val);
    if (advance)
        inject_skip_insn(f, esr);
    return true;
}
