/* SPDX-License-Identifier: MIT */
/* Exceptions injected into the guest at EL1: UNDEFINED and synchronous external aborts. */
#include <hyp/arch.h>
#include <hyp/inject.h>
#include <hyp/sysreg.h>

/*
 * Emulate exception entry to EL1 (Arm ARM D1.10 "Exception entry"): save PC and PSTATE in
 * ELR_EL1/SPSR_EL1, pick the vector by source EL and SP, mask DAIF, set PAN when SCTLR_EL1.SPAN
 * is 0 (D5.4.2), SSBS from SCTLR_EL1.DSSBS, clear BTYPE/SS/IL/UAO.
 */
static void enter_el1(struct trap_frame *f, u64 esr, bool set_far, u64 far)
{
    u64 spsr = f->spsr, off, sctlr = read_sctlr_el1(), n;

    if (spsr & PSR_nRW)
        off = VECTOR_LOWER_A32;
    else if ((spsr & PSR_MODE_MASK) == PSR_MODE_EL0t)
        off = VECTOR_LOWER_A64;
    else if ((spsr & PSR_MODE_MASK) == PSR_MODE_EL1t)
        off = VECTOR_CUR_SP0;
    else
        off = VECTOR_CUR_SPX;
    write_elr_el1(f->elr);
    write_spsr_el1(spsr);
    write_esr_el1(esr);
    if (set_far)
        write_far_el1(far);
    n = PSR_MODE_EL1h | PSR_DAIF | (spsr & (PSR_NZCV | PSR_DIT | PSR_PAN));
    if (!(sctlr & SCTLR_EL1_SPAN))
        n |= PSR_PAN;
    if (sctlr & SCTLR_EL1_DSSBS)
        n |= PSR_SSBS;
    if (FIELD(read_id_aa64pfr1_el1(), 8, 4) >= 2)
        n |= PSR_TCO; /* FEAT_MTE2: TCO set on exception entry */
    f->spsr = n;
    f->elr = read_vbar_el1() + off;
}

/* Any synchronous exception to EL1 with this syndrome (a debug exception handed back). */
void inject_sync(struct trap_frame *f, u64 esr, bool set_far, u64 far)
{
    enter_el1(f, esr, set_far, far);
}

/* UNDEFINED instruction at EL1: ESR_EL1.EC = 0 (unknown reason), IL = 1. */
void inject_undef(struct trap_frame *f)
{
    enter_el1(f, ((u64)ESR_EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, false, 0);
}

static bool from_el0(struct trap_frame *f)
{
    return (f->spsr & PSR_MODE_MASK) == PSR_MODE_EL0t;
}

/* Synchronous external abort on a data access (DFSC 0x10), FAR valid. */
void inject_dabt(struct trap_frame *f, u64 far)
{
    u64 ec = from_el0(f) ? ESR_EC_DABT_LOW : ESR_EC_DABT_CUR;
    u64 wnr = read_esr_el2() & ESR_DABT_WNR;

    enter_el1(f, (ec << ESR_EC_SHIFT) | ESR_IL | wnr | FSC_SEA, true, far);
}

/* Synchronous external abort on an instruction fetch (IFSC 0x10), FAR valid. */
void inject_iabt(struct trap_frame *f, u64 far)
{
    u64 ec = from_el0(f) ? ESR_EC_IABT_LOW : ESR_EC_IABT_CUR;

    enter_el1(f, (ec << ESR_EC_SHIFT) | ESR_IL | FSC_SEA, true, far);
}
