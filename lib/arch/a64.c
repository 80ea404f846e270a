/* SPDX-License-Identifier: MIT */
/* a64.c — decode AArch64 TCR/TTBR (stage 1, three regimes) and VTCR/VTTBR (stage 2) for a walk. */
#include "arch/arch_priv.h"

/* Arm ARM, TCR_EL1.IPS / VTCR_EL2.PS: PA size encodings. */
static unsigned ps_bits(unsigned ps)
{
    static const unsigned bits[8] = {32, 36, 40, 42, 44, 48, 52, 52};
    return bits[ps & 7];
}

static unsigned tg0_shift(unsigned tg)
{
    return tg == TCR_TG0_64K ? 16 : tg == TCR_TG0_16K ? 14 : 12; /* reserved: 4K */
}

static unsigned tg1_shift(unsigned tg)
{
    return tg == TCR_TG1_64K ? 16 : tg == TCR_TG1_16K ? 14 : 12; /* reserved: 4K */
}

/* Effective output size: configured PS/IPS capped by the CPU and the descriptor format. */
static unsigned out_bits(const struct armvmi_tt_config *c, unsigned ps, const struct ld_params *p)
{
    unsigned b = ps_bits(ps);
    unsigned max = c->pa_bits ? c->pa_bits : 48;
    if (!p->ds && !p->lpa64 && max > 48)
        max = 48; /* Arm ARM, output address size: 52 bits needs FEAT_LPA (64K) or DS=1 */
    return b < max ? b : max;
}

/* Start-table base from a TTBR: BADDR, with BADDR[51:48] in bits [5:2] for 52-bit PAs. */
static uint64_t ttbr_base(uint64_t ttbr, const struct ld_params *p)
{
    uint64_t b = ttbr & TTBR_BADDR_MASK; /* ASID/VMID [63:48] and CnP [0] masked off */
    if (p->oabits == 52)
        b |= FIELD(ttbr, TTBR_BADDR_HI_SHIFT, 4) << 48;
    /* Arm ARM, TTBRn_ELx.BADDR: bits below the start table size are treated as zero. */
    unsigned shift = p->gran + (unsigned)(3 - p->start) * (p->gran - 3);
    unsigned tbytes_log2 = p->inbits - shift + 3;
    if (p->oabits == 52 && tbytes_log2 < 6)
        tbytes_log2 = 6;
    return b & ~((1ull << tbytes_log2) - 1);
}

/* Start level: enough levels of (gran-3) bits to resolve inbits above the page offset. */
static int start_level(unsigned gran, unsigned inbits)
{
    unsigned stride = gran - 3;
    unsigned levels = (inbits - gran + stride - 1) / stride;
    return 4 - (int)levels;
}

struct walk_fault a64_s1_setup(const struct armvmi_tt_config *c, uint64_t va, struct ld_params *p)
{
    const uint64_t tcr = c->tcr;
    const bool one_range = c->regime == ARMVMI_REGIME_EL2;
    /* Arm ARM, VA ranges: in a two-range regime VA bit 55 selects TTBR1. */
    const bool hi = !one_range && (va & BIT64(55));
    unsigned tsz, tbi, ps;

    *p = (struct ld_params){0};
    p->two_el = !one_range;
    if (one_range) {
        tsz = (unsigned)FIELD(tcr, TCR_T0SZ_SHIFT, 6);
        tbi = (tcr & TCR2_TBI) != 0;
        p->gran = tg0_shift((unsigned)FIELD(tcr, TCR_TG0_SHIFT, 2));
        ps = (unsigned)FIELD(tcr, TCR2_PS_SHIFT, 3);
        p->ha = (tcr & TCR2_HA) != 0;
        p->hd = p->ha && (tcr & TCR2_HD);
        p->hpd = (tcr & TCR2_HPD) != 0;
        p->ds = (tcr & TCR2_DS) != 0;
        p->ds_sh = (unsigned)FIELD(tcr, TCR_SH0_SHIFT, 2);
    } else {
        tsz = (unsigned)FIELD(tcr, hi ? TCR_T1SZ_SHIFT : TCR_T0SZ_SHIFT, 6);
        tbi = (tcr & (hi ? TCR_TBI1 : TCR_TBI0)) != 0;
        p->gran = hi ? tg1_shift((unsigned)FIELD(tcr, TCR_TG1_SHIFT, 2))
                     : tg0_shift((unsigned)FIELD(tcr, TCR_TG0_SHIFT, 2));
        ps = (unsigned)FIELD(tcr, TCR_IPS_SHIFT, 3);
        p->ha = (tcr & TCR_HA) != 0;
        p->hd = p->ha && (tcr & TCR_HD);
        p->hpd = (tcr & (hi ? TCR_HPD1 : TCR_HPD0)) != 0;
        p->ds = (tcr & TCR_DS) != 0;
        p->ds_sh = (unsigned)FIELD(tcr, hi ? TCR_SH1_SHIFT : TCR_SH0_SHIFT, 2);
    }
    /* DS applies to 4K/16K only, and only with FEAT_LPA2. */
    p->ds = p->ds && p->gran != 16 && (c->features & ARMVMI_FEAT_LPA2);
    p->lpa64 = p->gran == 16 && (c->features & ARMVMI_FEAT_LPA);

    /* Arm ARM, TCR_ELx.TnSZ limits: out-of-range values are treated as the limit (one of the
     * CONSTRAINED UNPREDICTABLE choices). */
    unsigned min = 16, max = 39;
    if (p->ds || (p->gran == 16 && (c->features & ARMVMI_FEAT_LVA)))
        min = 12;
    if (c->features & ARMVMI_FEAT_TTST)
        max = p->gran == 16 ? 47 : 48;
    if (tsz < min)
        tsz = min;
    if (tsz > max)
        tsz = max;
    p->inbits = 64 - tsz;
    p->start = start_level(p->gran, p->inbits);
    p->oabits = out_bits(c, ps, p);

    /* Arm ARM, Top Byte Ignore: with TBI the top byte is ignored; otherwise bits [63:inbits] must
     * all equal the selecting bit (all zeros for one range). */
    const unsigned top = tbi ? 55 : 63;
    const uint64_t upper = FIELD(va, p->inbits, top - p->inbits + 1);
    const uint64_t ones = (1ull << (top - p->inbits + 1)) - 1;
    if (upper != (hi ? ones : 0))
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 0, 1);
    /* Arm ARM, TCR_ELx.EPDn: EPDn=1 disables walks from TTBRn. */
    if (!one_range && (tcr & (hi ? TCR_EPD1 : TCR_EPD0)))
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 0, 1);

    const uint64_t ttbr = hi ? c->ttbr1 : c->ttbr0;
    p->base = ttbr_base(ttbr, p);
    /* Arm ARM, Address size fault: a TTBR above the PA size faults at level 0. */
    if ((p->base >> p->oabits) != 0)
        return arch_fault(ARMVMI_FAULT_ADDR_SIZE, 0, 1);
    return arch_fault(ARMVMI_FAULT_NONE, 0, 0);
}

struct walk_fault a64_s2_setup(const struct armvmi_tt_config *c, uint64_t ipa, struct ld_params *p)
{
    const uint64_t vtcr = c->vtcr;
    *p = (struct ld_params){0};
    p->stage2 = true;
    p->gran = tg0_shift((unsigned)FIELD(vtcr, TCR_TG0_SHIFT, 2));
    p->ha = (vtcr & VTCR_HA) != 0;
    p->hd = p->ha && (vtcr & VTCR_HD);
    p->ds = (vtcr & VTCR_DS) && p->gran != 16 && (c->features & ARMVMI_FEAT_LPA2);
    p->lpa64 = p->gran == 16 && (c->features & ARMVMI_FEAT_LPA);
    p->ds_sh = (unsigned)FIELD(vtcr, TCR_SH0_SHIFT, 2);

    unsigned tsz = (unsigned)FIELD(vtcr, TCR_T0SZ_SHIFT, 6);
    unsigned min = (p->ds || (p->gran == 16 && (c->features & ARMVMI_FEAT_LVA))) ? 12 : 16;
    unsigned max = (c->features & ARMVMI_FEAT_TTST) ? (p->gran == 16 ? 47 : 48) : 39;
    if (tsz < min)
        tsz = min;
    if (tsz > max)
        tsz = max;
    p->inbits = 64 - tsz;
    p->oabits = out_bits(c, (unsigned)FIELD(vtcr, VTCR_PS_SHIFT, 3), p);

    /* Arm ARM, VTCR_EL2.SL0 (and SL2): the start level, encoded per granule. */
    const unsigned sl0 = (unsigned)FIELD(vtcr, VTCR_SL0_SHIFT, 2);
    int start;
    if (p->gran == 12) {
        static const int sl4k[4] = {2, 1, 0, 3};
        start = sl4k[sl0];
        if (p->ds && (vtcr & VTCR_SL2) && sl0 == 0)
            start = -1;
        if (sl0 == 3 && !(c->features & ARMVMI_FEAT_TTST))
            return arch_fault(ARMVMI_FAULT_TRANSLATION, 0, 2);
    } else {
        start = 3 - (int)sl0; /* 16K: 3..0 (0 only with DS); 64K: 3..1 */
        if ((p->gran == 16 && sl0 == 3) || (p->gran == 14 && sl0 == 3 && !p->ds))
            return arch_fault(ARMVMI_FAULT_TRANSLATION, 0, 2);
    }
    /* Arm ARM (AArch64.S2InvalidSL): level 0 (4K) and level 1 (16K, 64K) starts need a
     * CPU with PAs of at least 44 (4K, 64K) or 42 (16K) bits. */
    const unsigned pamax = c->pa_bits ? c->pa_bits : 48;
    if (sl0 == 2 && pamax < (p->gran == 14 ? 42u : 44u))
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 0, 2);
    p->start = start;
    /* Arm ARM (AArch64.S2InconsistentSL): the start level resolves 1..stride+4 bits, i.e. at
     * most 16 concatenated tables. */
    const unsigned stride = p->gran - 3;
    const int shift = (int)p->gran + (3 - start) * (int)stride;
    const int sbits = (int)p->inbits - shift;
    if (sbits < 1 || sbits > (int)stride + 4)
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 0, 2);
    /* Arm ARM (VTCR_EL2.T0SZ): an IPA size above the PA size is CONSTRAINED UNPREDICTABLE;
     * like QEMU we take the permitted choice of a level-0 Translation fault. */
    if (p->inbits > p->oabits)
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 0, 2);
    /* The IPA must fit the input size. */
    if ((ipa >> p->inbits) != 0)
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 0, 2);

    uint64_t b = c->vttbr & TTBR_BADDR_MASK;
    if (p->oabits == 52)
        b |= FIELD(c->vttbr, TTBR_BADDR_HI_SHIFT, 4) << 48;
    unsigned tlog2 = (unsigned)sbits + 3;
    if (p->oabits == 52 && tlog2 < 6)
        tlog2 = 6;
    p->base = b & ~((1ull << tlog2) - 1);
    if ((p->base >> p->oabits) != 0)
        return arch_fault(ARMVMI_FAULT_ADDR_SIZE, 0, 2);
    return arch_fault(ARMVMI_FAULT_NONE, 0, 0);
}

/* Arm ARM D19.2.64 ID_AA64MMFR0_EL1 and D19.2.66 ID_AA64MMFR2_EL1 fields. */
#define MMFR0_PARANGE_SHIFT 0
#define MMFR0_TGRAN16_SHIFT 20   /* 0b0010: 16K with 52-bit VA/OA (FEAT_LPA2) */
#define MMFR0_TGRAN64_SHIFT 24   /* 0b1111: 64K not supported */
#define MMFR0_TGRAN4_SHIFT 28    /* 0b0001: 4K with 52-bit VA/OA (FEAT_LPA2) */
#define MMFR0_TGRAN16_2_SHIFT 32 /* stage 2; 0b0011: 52-bit */
#define MMFR0_TGRAN4_2_SHIFT 40  /* stage 2; 0b0011: 52-bit */
#define MMFR2_ST_SHIFT 28
#define MMFR2_VARANGE_SHIFT 16

uint32_t armvmi_features_from_id(uint64_t mmfr0, uint64_t mmfr2, unsigned *pa_bits)
{
    uint32_t f = 0;
    const unsigned parange = (unsigned)FIELD(mmfr0, MMFR0_PARANGE_SHIFT, 4);
    if (FIELD(mmfr0, MMFR0_TGRAN4_SHIFT, 4) == 1 || FIELD(mmfr0, MMFR0_TGRAN16_SHIFT, 4) == 2 ||
        FIELD(mmfr0, MMFR0_TGRAN4_2_SHIFT, 4) == 3 || FIELD(mmfr0, MMFR0_TGRAN16_2_SHIFT, 4) == 3)
        f |= ARMVMI_FEAT_LPA2;
    if (parange == 6 && FIELD(mmfr0, MMFR0_TGRAN64_SHIFT, 4) != 0xf)
        f |= ARMVMI_FEAT_LPA;
    if (FIELD(mmfr2, MMFR2_VARANGE_SHIFT, 4) == 1)
        f |= ARMVMI_FEAT_LVA;
    if (FIELD(mmfr2, MMFR2_ST_SHIFT, 4) == 1)
        f |= ARMVMI_FEAT_TTST;
    if (pa_bits)
        *pa_bits = parange <= 6 ? ps_bits(parange) : 52; /* reserved values: the largest */
    return f;
}

uint32_t armvmi_features_from_tcr(const struct armvmi_tt_config *c)
{
    if (!c)
        return 0;
    bool ds = false;
    switch (c->regime) {
    case ARMVMI_REGIME_EL10:
    case ARMVMI_REGIME_EL20:
        ds = (c->tcr & TCR_DS) != 0;
        break;
    case ARMVMI_REGIME_EL2:
        ds = (c->tcr & TCR2_DS) != 0;
        break;
    default:
        break;
    }
    if ((c->regime == ARMVMI_REGIME_STAGE2 || c->stage2) && (c->vtcr & VTCR_DS))
        ds = true;
    return ds ? ARMVMI_FEAT_LPA2 : 0;
}
