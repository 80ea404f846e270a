/* SPDX-License-Identifier: MIT */
/* SMC and HVC events: a call from the guest's EL1 raised as ARMVMI_EV_SMC/HVC while the monitor
 * asks for it; then served as without a monitor (PSCI, SMCCC, our vendor calls) with the PC
 * advanced, or answered by the monitor (x0-x3 from its response), or skipped. */
#include <hyp/arch.h>
#include <hyp/debug.h>
#include <hyp/events.h>
#include <hyp/inject.h>
#include <hyp/psci.h>
#include <hyp/regcall.h>
#include <hyp/vcpu.h>

static volatile u32 call_flags; /* ARMVMI_CALLT_* */

u32 callevent_cmd(u64 calls)
{
    if (calls & ~(u64)(ARMVMI_CALLT_SMC | ARMVMI_CALLT_HVC)) {
        events_error(ARMVMI_ERR_CMD_ARGS, "CALL_TRAP flags", calls);
        return ARMVMI_CMDS_EINVAL;
    }
    __atomic_store_n(&call_flags, (u32)calls, __ATOMIC_RELEASE);
    return ARMVMI_CMDS_OK;
}

void regcall_reset(void)
{
    __atomic_store_n(&call_flags, 0, __ATOMIC_RELEASE);
    regevent_reset();
}

/* The call as without a monitor: SMCCC calls take immediate 0 only (DEN0028 2.5). */
static void call_serve(struct trap_frame *f, u64 esr)
{
    if (FIELD(esr, 0, 16) != 0) {
        f->x[0] = (u64)-1; /* SMCCC NOT_SUPPORTED */
        return;
    }
    smccc_handle(f);
}

void callevent_call(struct trap_frame *f, u64 esr, bool smc)
{
    u32 want = __atomic_load_n(&call_flags, __ATOMIC_ACQUIRE);
    struct vcpu *v = vcpu_current();
    struct armvmi_abi_event ev;
    struct armvmi_abi_response rsp;
    u64 insn =
        smc ? f->elr : f->elr - 4; /* D1.10.1: HVC's ELR is after it, a trapped SMC's at it */

    if (!(want & (smc ? ARMVMI_CALLT_SMC : ARMVMI_CALLT_HVC)) || ev_state == EV_DETACHED) {
        f->elr = insn + 4;
        call_serve(f, esr);
        return;
    }
    events_fill(&ev, v, smc ? ARMVMI_EV_SMC : ARMVMI_EV_HVC);
    ev.regs.pc = insn; /* the call instruction, as the monitor disassembles it */
    ev.u.call.imm = (u32)FIELD(esr, 0, 16);
    f->elr = insn + 4;
    if (!events_deliver(v, f, &ev, &rsp) ||
        !events_rsp_check(&ev, &rsp, RSP_ACT(CONTINUE) | RSP_ACT(ANSWER) | RSP_ACT(SKIP),
                          ARMVMI_RSPF_SET_REGS | ARMVMI_RSPF_STEP_ON | ARMVMI_RSPF_STEP_OFF)) {
        call_serve(f, esr); /* no monitor, or a rejected response: as CONTINUE */
        return;
    }
    if (rsp.flags & ARMVMI_RSPF_SET_REGS)
        events_set_regs(f, &rsp); /* first: the monitor may change the call's arguments */
    debug_rsp_flags(v, rsp.flags);
    switch (rsp.action) {
    case ARMVMI_RSP_ANSWER:
        for (unsigned i = 0; i < 4; i++)
            f->x[i] = rsp.x[i];
        break;
    case ARMVMI_RSP_CONTINUE:
        call_serve(f, esr);
        break;
    default: /* SKIP: nothing done, PC past the call */
        break;
    }
}
