/* SPDX-License-Identifier: MIT */
/* Software walk of the guest's AArch64 stage-1 tables: FAR to guest PA for stage-2 permission
 * faults, where HPFAR_EL2 may be invalid and AT would walk with the restricted stage 2. */
#include <hyp/arch.h>
#include <hyp/s1walk.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>

#define TCR_T0SZ(t) FIELD(t, 0, 6)
#define TCR_EPD0 BIT(7)
#define TCR_TG0(t) FIELD(t, 14, 2) /* 0: 4K, 1: 64K, 2: 16K */
#define TCR_T1SZ(t) FIELD(t, 16, 6)
#define TCR_EPD1 BIT(23)
#define TCR_TG1(t) FIELD(t, 30, 2) /* 1: 16K, 2: 4K, 3: 64K */
#define TCR_IPS(t) FIELD(t, 32, 3)
#define TCR_TBI0 BIT(37)
#define TCR_TBI1 BIT(38)
#define TCR_DS BIT(59)
#define SCTLR_M BIT(0)

static u64 read_desc(u64 pa, bool *ok)
{
    /* 8-byte aligned, inside guest RAM (not the carve-out, not a device) */
    if ((pa & 7) || !stage2_ipa_is_ram(pa)) {
        *ok = false;
        return 0;
    }
    return *(volatile u64 *)pa;
}

/* Output address of a table/block/page descriptor (Arm ARM D8.3.1): bits 47:g, and 51:48 from
 * bits 15:12 with 64K and 52-bit PAs, or 51:50 from bits 9:8 with DS (LPA2). */
static u64 desc_oa(u64 d, unsigned g, bool ds, bool pa52)
{
    u64 oa = d & 0x0000fffffffff000UL & ~((1UL << g) - 1);

    if (ds)
        oa = (d & 0x0003fffffffff000UL & ~((1UL << g) - 1)) | (FIELD(d, 8, 2) << 50);
    else if (pa52 && g == 16)
        oa |= FIELD(d, 12, 4) << 48;
    return oa;
}

bool s1walk(u64 va, u64 sctlr, u64 tcr, u64 ttbr0, u64 ttbr1, struct s1walk *w)
{
    bool upper = va >> 55 & 1, ds = tcr & TCR_DS, ok = true;
    unsigned tsz, g, stride, ia;
    int level;
    u64 ttbr, base, tg;

    w->ndesc = 0;
    w->leaf_addr = 0;
    if (!(sctlr & SCTLR_M)) {
        w->pa = va; /* stage 1 off: VA = IPA */
        return true;
    }
    /* TCR_EL1 fields of the half va is in (Arm ARM D17.2.131) */
    if (tcr & (upper ? TCR_EPD1 : TCR_EPD0))
        return false;
    tsz = upper ? TCR_T1SZ(tcr) : TCR_T0SZ(tcr);
    tg = upper ? TCR_TG1(tcr) : TCR_TG0(tcr);
    g = upper ? (tg == 1 ? 14 : tg == 3 ? 16 : 12) : (tg == 2 ? 14 : tg == 1 ? 16 : 12);
    ttbr = upper ? ttbr1 : ttbr0;
    if (tcr & (upper ? TCR_TBI1 : TCR_TBI0))
        va = upper ? va | 0xffUL << 56 : va & ~(0xffUL << 56);
    if (g == 16)
        ds = false; /* DS applies to 4K and 16K only */
    if (tsz < (ds || g == 16 ? 12 : 16) || tsz > 48)
        return false;
    ia = 64 - tsz;
    /* the VA must be all ones (upper) or all zeros (lower) above ia */
    if ((upper ? ~va : va) >> ia)
        return false;
    stride = g - 3;
    level = 4 - (int)((ia - g + stride - 1) / stride);
    bool pa52 = ds || (g == 16 && TCR_IPS(tcr) == 6);
    base = ttbr & 0x0000fffffffffffeUL;
    if (pa52)
        base = (base & ~0x3fUL) | (FIELD(ttbr, 2, 4) << 48);
    base &= ~7UL;
    for (; level <= 3; level++) {
        unsigned shift = g + (unsigned)(3 - level) * stride;
        unsigned bits = shift + stride > ia ? ia - shift : stride;
        u64 idx = (va >> shift) & ((1UL << bits) - 1), da = base + idx * 8, d;

        if (w->ndesc < ARRAY_SIZE(w->desc))
            w->desc[w->ndesc++] = da;
        d = read_desc(da, &ok);
        if (!ok || !(d & 1))
            return false;
        if (level < 3 && (d & 2)) {
            base = desc_oa(d, g, ds, pa52);
            continue;
        }
        if (level == 3 && !(d & 2))
            return false; /* reserved at level 3 */
        w->leaf_addr = da;
        w->pa = desc_oa(d, g, ds, pa52) & ~((1UL << shift) - 1);
        w->pa |= va & ((1UL << shift) - 1);
        return true;
    }
    return false;
}

u64 s1walk_fault_ipa(const struct armvmi_abi_vcpu *r, u64 esr, bool iabt)
{
    bool far_ok = iabt || !(esr & ESR_xABT_FNV);
    u64 far = read_far_el2(), hpfar = HPFAR_IPA(read_hpfar_el2()), gpa;
    struct s1walk w;
    bool walked = far_ok && s1walk(far, r->sctlr_el1, r->tcr_el1, r->ttbr0_el1, r->ttbr1_el1, &w);

    if (esr & ESR_xABT_S1PTW) {
        gpa = hpfar;
        for (unsigned i = 0; walked && i < w.ndesc && i < 6; i++)
            if ((w.desc[i] & ~0xfffUL) == hpfar)
                gpa = w.desc[i];
        return gpa;
    }
    return walked ? w.pa : hpfar | (far & 0xfff);
}
