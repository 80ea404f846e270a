/* SPDX-License-Identifier: MIT */
/* Guest exits: the handler table indexed by ESR_EL2.EC, trap reports. */
#include <hyp/abort.h>
#include <hyp/arch.h>
#include <hyp/console.h>
#include <hyp/entry.h>
#include <hyp/frame.h>
#include <hyp/idregs.h>
#include <hyp/inject.h>
#include <hyp/psci.h>
#include <hyp/sysreg.h>
#include <hyp/trap.h>
#include <hyp/vcpu.h>
#include <hyp/vgic.h>

typedef void (*exit_handler_t)(struct trap_frame *f, u64 esr);

static const char *const ec_names[ESR_EC_MAX + 1] = {
    [ESR_EC_UNKNOWN] = "unknown reason",
    [ESR_EC_WFX] = "WFI/WFE",
    [ESR_EC_CP15_32] = "AArch32 MCR/MRC cp15",
    [ESR_EC_CP15_64] = "AArch32 MCRR/MRRC cp15",
    [ESR_EC_FP_ASIMD] = "FP/SIMD access",
    [ESR_EC_PAC] = "pointer authentication",
    [ESR_EC_BTI] = "branch target",
    [ESR_EC_ILL] = "illegal execution state",
    [ESR_EC_SVC64] = "SVC (AArch64)",
    [ESR_EC_HVC64] = "HVC (AArch64)",
    [ESR_EC_SMC64] = "SMC (AArch64)",
    [ESR_EC_SYS64] = "MSR/MRS/system instruction",
    [ESR_EC_SVE] = "SVE access",
    [ESR_EC_ERET] = "ERET",
    [ESR_EC_FPAC] = "FPAC",
    [ESR_EC_SME] = "SME access",
    [ESR_EC_IABT_LOW] = "instruction abort from lower EL",
    [ESR_EC_IABT_CUR] = "instruction abort at EL2",
    [ESR_EC_PC_ALIGN] = "PC alignment",
    [ESR_EC_DABT_LOW] = "data abort from lower EL",
    [ESR_EC_DABT_CUR] = "data abort at EL2",
    [ESR_EC_SP_ALIGN] = "SP alignment",
    [ESR_EC_FP_EXC64] = "FP exception",
    [ESR_EC_SERROR] = "SError",
    [ESR_EC_BREAKPT_LOW] = "breakpoint",
    [ESR_EC_SOFTSTP_LOW] = "software step",
    [ESR_EC_WATCHPT_LOW] = "watchpoint",
    [ESR_EC_BRK64] = "BRK",
};

static const char *fsc_name(u64 fsc)
{
    switch (fsc & 0x3c) {
    case 0x04:
        return "translation fault";
    case 0x08:
        return "access flag fault";
    case 0x0c:
        return "permission fault";
    case 0x00:
        return "address size fault";
    }
    if (fsc == FSC_SEA)
        return "synchronous external abort";
    if (fsc == 0x21)
        return "alignment fault";
    return "other fault";
}

static const char *mode_name(u64 spsr)
{
    if (spsr & PSR_nRW)
        return "AArch32";
    switch (spsr & PSR_MODE_MASK) {
    case PSR_MODE_EL0t:
        return "EL0t";
    case PSR_MODE_EL1t:
        return "EL1t";
    case PSR_MODE_EL1h:
        return "EL1h";
    case PSR_MODE_EL2h:
        return "EL2h";
    }
    return "?";
}

/* Reports a guest can trigger at will are capped, so it cannot flood the console. */
#define TRAP_REPORT_BUDGET 200
static u32 reports;

bool trap_report_allowed(void)
{
    u32 n = __atomic_add_fetch(&reports, 1, __ATOMIC_RELAXED);

    if (n == TRAP_REPORT_BUDGET + 1)
        hyp_printf("further trap reports suppressed (%u printed)\n", TRAP_REPORT_BUDGET);
    return n <= TRAP_REPORT_BUDGET;
}

/* Print ESR, FAR, HPFAR and ELR decoded (issue 4: never hang or fail silently). */
void trap_report(const char *why, struct trap_frame *f, u64 esr)
{
    u64 ec = ESR_EC(esr), far = read_far_el2(), hpfar = read_hpfar_el2();
    const char *name = ec_names[ec] ? ec_names[ec] : "reserved/unhandled class";

    if ((f->spsr & PSR_MODE_MASK) != PSR_MODE_EL2h && !trap_report_allowed())
        return;
    hyp_printf("cpu%u: %s: ESR_EL2=0x%lx EC=0x%02lx (%s) IL=%u ISS=0x%lx\n", vcpu_current()->id,
               why, esr, ec, name, (esr & ESR_IL) ? 1 : 0, ESR_ISS(esr));
    hyp_printf("cpu%u:   ELR_EL2=0x%lx SPSR_EL2=0x%lx (%s) FAR_EL2=0x%lx HPFAR_EL2=0x%lx (IPA page "
               "0x%lx)\n",
               vcpu_current()->id, f->elr, f->spsr, mode_name(f->spsr), far, hpfar,
               (hpfar >> 4) << 12);
    if (ec == ESR_EC_DABT_LOW || ec == ESR_EC_IABT_LOW || ec == ESR_EC_DABT_CUR ||
        ec == ESR_EC_IABT_CUR)
        hyp_printf("cpu%u:   %s at level %lu (FSC=0x%02lx) %s ISV=%u SAS=%lu SRT=x%lu S1PTW=%u\n",
                   vcpu_current()->id, fsc_name(ESR_xABT_FSC(esr)), esr & 3, ESR_xABT_FSC(esr),
                   (esr & ESR_DABT_WNR) ? "write" : "read", (esr & ESR_DABT_ISV) ? 1 : 0,
                   ESR_DABT_SAS(esr), ESR_DABT_SRT(esr), (esr & ESR_DABT_S1PTW) ? 1 : 0);
    if (ec == ESR_EC_SYS64)
        hyp_printf("cpu%u:   %s S%lu_%lu_C%lu_C%lu_%lu with x%lu\n", vcpu_current()->id,
                   (esr & ESR_SYS_READ) ? "mrs" : "msr", FIELD(esr, 20, 2), FIELD(esr, 14, 3),
                   FIELD(esr, 10, 4), FIELD(esr, 1, 4), FIELD(esr, 17, 3), ESR_SYS_RT(esr));
}

static void handle_unhandled(struct trap_frame *f, u64 esr)
{
    trap_report("unhandled trap, injecting UNDEFINED", f, esr);
    inject_undef(f);
}

/* HVC: ELR_EL2 already points after the instruction (Arm ARM D1.10.1). */
static void handle_hvc(struct trap_frame *f, u64 esr)
{
    if (FIELD(esr, 0, 16) != 0) {
        f->x[0] = (u64)-1; /* SMCCC: immediate must be 0 */
        return;
    }
    smccc_handle(f);
}

/* SMC trapped by HCR_EL2.TSC: ELR_EL2 points at the SMC itself (Arm ARM D1.10.1). */
static void handle_smc(struct trap_frame *f, u64 esr)
{
    inject_skip_insn(f, esr);
    if (FIELD(esr, 0, 16) != 0) {
        f->x[0] = (u64)-1;
        return;
    }
    smccc_handle(f);
}

static void handle_sysreg(struct trap_frame *f, u64 esr)
{
    if (vgic_sysreg(f, esr) || idregs_sysreg(f, esr)) {
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

/* One handler per exception class, as KVM's arm_exit_handlers[] / Bao's handler table. */
static const exit_handler_t exit_handlers[ESR_EC_MAX + 1] = {
    [ESR_EC_WFX] = handle_wfx,      [ESR_EC_HVC64] = handle_hvc,    [ESR_EC_SMC64] = handle_smc,
    [ESR_EC_SYS64] = handle_sysreg, [ESR_EC_DABT_LOW] = abort_dabt, [ESR_EC_IABT_LOW] = abort_iabt,
};

void hyp_trap(struct trap_frame *f, u64 kind)
{
    struct vcpu *v = vcpu_current();
    u64 esr;

    v->frame = f;
    v->exits++;
    vcpu_record_exit(v, f);
    switch (kind) {
    case TRAP_SYNC:
        esr = read_esr_el2();
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
