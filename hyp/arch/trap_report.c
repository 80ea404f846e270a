/* SPDX-License-Identifier: MIT */
/* Trap reports on the console: ESR_EL2 and the fault registers decoded, under a budget. */
#include <hyp/arch.h>
#include <hyp/console.h>
#include <hyp/sysreg.h>
#include <hyp/trap.h>
#include <hyp/vcpu.h>

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

/* Print ESR, FAR, HPFAR and ELR decoded: no unexpected exit passes silently. Reports of guest
 * exits count against the budget; an exception at EL2 is always reported. */
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
