/* SPDX-License-Identifier: MIT */
/* Emulated MMIO from stage-2 data aborts: the access decoded from the syndrome, sized physical
 * reads and writes, and the loaded value written back to the guest's register. */
#ifndef HYP_MMIO_H
#define HYP_MMIO_H

#include <hyp/arch.h>
#include <hyp/frame.h>
#include <hyp/types.h>

struct mmio_access {
    u64 pa, off, val;
    unsigned size, rt;
    bool write;
};

/* Arm ARM D17.2.37.13 (ISS of a data abort): ISV, SAS, SRT, WnR. False if the access cannot be
 * emulated: no valid syndrome, a stage-1 table walk, or misaligned. */
static inline bool mmio_decode(struct mmio_access *a, const struct trap_frame *f, u64 ipa, u64 esr)
{
    if ((esr & ESR_DABT_S1PTW) || !(esr & ESR_DABT_ISV))
        return false;
    a->pa = ipa;
    a->off = 0;
    a->size = 1u << ESR_DABT_SAS(esr);
    a->rt = (unsigned)ESR_DABT_SRT(esr);
    a->write = esr & ESR_DABT_WNR;
    a->val = a->write && a->rt != 31 ? f->x[a->rt] : 0;
    if (a->size < 8)
        a->val &= (1UL << (8 * a->size)) - 1;
    return (ipa & (a->size - 1)) == 0;
}

/* A load's result into Xt: truncated to the access size, sign-extended if ESR.SSE, to 32 bits
 * unless ESR.SF. */
static inline void mmio_complete_read(struct trap_frame *f, u64 esr, const struct mmio_access *a,
                                      u64 v)
{
    if (a->write || a->rt == 31)
        return;
    if (a->size < 8)
        v &= (1UL << (8 * a->size)) - 1;
    if ((esr & ESR_DABT_SSE) && a->size < 8 && (v & (1UL << (8 * a->size - 1))))
        v |= ~((1UL << (8 * a->size)) - 1);
    if (!(esr & ESR_DABT_SF))
        v &= 0xffffffffUL;
    f->x[a->rt] = v;
}

static inline u64 mmio_phys_read(u64 pa, unsigned size)
{
    switch (size) {
    case 1:
        return *(volatile u8 *)pa;
    case 2:
        return *(volatile u16 *)pa;
    case 4:
        return *(volatile u32 *)pa;
    default:
        return *(volatile u64 *)pa;
    }
}

static inline void mmio_phys_write(u64 pa, unsigned size, u64 v)
{
    switch (size) {
    case 1:
        *(volatile u8 *)pa = (u8)v;
        break;
    case 2:
        *(volatile u16 *)pa = (u16)v;
        break;
    case 4:
        *(volatile u32 *)pa = (u32)v;
        break;
    default:
        *(volatile u64 *)pa = v;
        break;
    }
}

#endif
