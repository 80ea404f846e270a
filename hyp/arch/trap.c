/* SPDX-License-Identifier: MIT */
/* Exits to EL2: the C side of the vectors, and the guest-exit handler table by ESR_EL2.EC. */
#include <hyp/abort.h>
#include <hyp/arch.h>
#include <hyp/brkevent.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/entry.h>
#include <hyp/events.h>
#include <hyp/frame.h>
#include <hyp/idregs.h>
#include <hyp/inject.h>
#include <hyp/psci.h>
#include <hyp/regcall.h>
#include <hyp/sysreg.h>
#include <hyp/trap.h>
#include <hyp/vcpu.h>
#include <hyp/vgic.h>

typedef void (*exit_handler_t)(struct trap_frame *f, u64 esr);

static void handle_unhandled(struct trap_frame *f, u64 esr)
{
    trap_report("unhandled trap, injecting UNDEFINED", f, esr);
    inject_undef(f);
}

/* HVC: ELR_EL2 already points after the instruction (Arm ARM D1.10.1). */
static void handle_hvc(struct trap_frame *f, u64 esr)
{
    callevent_call(f, esr, false);
}

/* SMC trapped by HCR_EL2.TSC: ELR_EL2 points at the SMC itself (Arm ARM D1.10.1). */
static void handle_smc(struct trap_frame *f, u64 esr)
{
    callevent_call(f, esr, true);
}

static void handle_sysreg(struct trap_frame *f, u64 esr)
{
    if (regevent_sysreg(f, esr))
        return;
    if (vgic_sysreg(f, esr) || idregs_sysreg(f, esr) || debug_sysreg(f, esr)) {
        inject_skip_insn(f, esr);
        return;
    }
    trap_report("unhandled system register access, injecting UNDEFINED", f, esr);
    inject_undef(f);
}

static void handle_wfx(struct trap_frame *f, u64 esr)
{
    inject_skip_insn(f, esr);
}

/* Debug exceptions, routed here while MDCR_EL2.TDE is on (arch/debug.c, arch/brkevent.c). */
static void handle_softstep(struct trap_frame *f, u64 esr)
{
    debug_softstep(f, esr);
}

static void handle_brk(struct trap_frame *f, u64 esr)
{
    if (!brk_hit(f, esr))
        debug_reinject(f, esr);
}

/* One handler per exception class, as KVM's arm_exit_handlers[] / Bao's handler table. */
static const exit_handler_t exit_handlers[ESR_EC_MAX + 1] = {
    [ESR_EC_WFX] = handle_wfx,
    [ESR_EC_HVC64] = handle_hvc,
    [ESR_EC_SMC64] = handle_smc,
    [ESR_EC_SYS64] = handle_sysreg,
    [ESR_EC_DABT_LOW] = abort_dabt,
    [ESR_EC_IABT_LOW] = abort_iabt,
    [ESR_EC_SOFTSTP_LOW] = handle_softstep,
    [ESR_EC_BRK64] = handle_brk,
    [ESR_EC_BREAKPT_LOW] = debug_guest_exception,
    [ESR_EC_WATCHPT_LOW] = debug_guest_exception,
};

void hyp_trap(struct trap_frame *f, u64 kind)
{
    struct vcpu *v = vcpu_current();
    u64 esr = kind == TRAP_SYNC ? read_esr_el2() : 0;

    v->frame = f;
    v->exits++;
    vcpu_record_exit(v, f);
    events_exit(v);
    debug_exit(v, f, kind, esr);
    switch (kind) {
    case TRAP_SYNC:
        v->exits_by_ec[ESR_EC(esr)]++;
        (exit_handlers[ESR_EC(esr)] ? exit_handlers[ESR_EC(esr)] : handle_unhandled)(f, esr);
        break;
    case TRAP_IRQ:
    case TRAP_FIQ:
        v->irq_exits++;
        vgic_handle_irq(f);
        break;
    default:
        /* Physical SError taken to EL2 (HCR_EL2.AMO): report, hand a virtual SError on. */
        trap_report("SError from guest, injecting virtual SError", f, read_esr_el2());
        write_hcr_el2(read_hcr_el2() | HCR_VSE);
        break;
    }
    events_enter(v, f);
    debug_enter(v, f);
    vcpu_record_enter(v);
}

void hyp_self_trap(struct trap_frame *f, u64 kind)
{
    static const char *const kinds[] = {"synchronous", "IRQ", "FIQ", "SError"};
    static u32 nested;

    /* A fault while reporting a fault: skip the report, just stop the machine. */
    if (__atomic_fetch_add(&nested, 1, __ATOMIC_RELAXED) > 4)
        smc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    trap_report("exception taken at EL2", f, read_esr_el2());
    hyp_panic("%s exception in the hypervisor at 0x%lx", kinds[kind & 3], f->elr);
}
