/* SPDX-License-Identifier: MIT */
/* a32.c — AArch32 translation: the short-descriptor walk and the LPAE (long-descriptor) setup. */
#include "arch/arch_priv.h"

/* AArch32 short-descriptor fields (Arm ARM, VMSAv8-32 Short-descriptor format; ARMv7 ARM B3.5). */
#define SD_TYPE_MASK 3u
#define SD_L1_PAGETABLE 1u
#define SD_L1_PXN (1u << 0) /* section, with PXN support */
#define SD_PT_PXN (1u << 2) /* page-table descriptor */
#define SD_PT_NS (1u << 3)
#define SD_DOMAIN_SHIFT 5
#define SD_SEC_B (1u << 2)
#define SD_SEC_C (1u << 3)
#define SD_SEC_XN (1u << 4)
#define SD_SEC_AP_SHIFT 10
#define SD_SEC_TEX_SHIFT 12
#define SD_SEC_AP2 (1u << 15)
#define SD_SEC_S (1u << 16)
#define SD_SEC_NG (1u << 17)
#define SD_SEC_SUPER (1u << 18)
#define SD_SEC_NS (1u << 19)
#define SD_L2_LARGE 1u
#define SD_L2_SMALL_XN (1u << 0)
#define SD_PG_B (1u << 2)
#define SD_PG_C (1u << 3)
#define SD_PG_AP_SHIFT 4
#define SD_PG_AP2 (1u << 9)
#define SD_PG_S (1u << 10)
#define SD_PG_NG (1u << 11)
#define SD_LG_TEX_SHIFT 12
#define SD_LG_XN (1u << 15)
#define SD_SM_TEX_SHIFT 6
#define DACR_NOACCESS 0u
#define DACR_CLIENT 1u
#define DACR_MANAGER 3u

struct sd_leaf {
    uint32_t ap; /* AP[2:0] */
    bool xn, pxn, s, ng, ns;
    unsigned tex, c, b, domain;
};

/* Arm ARM, short-descriptor access permissions: AP[2:0] (AFE=0) or AP[2:1] (AFE=1) to PL1/PL0. */
static void sd_perms(const struct armvmi_tt_config *c, const struct sd_leaf *l, uint8_t *pl1,
                     uint8_t *pl0)
{
    bool pr, pw, ur, uw;
    if (c->sctlr & SCTLR_AFE) {
        bool ro = l->ap & 4, el0 = l->ap & 2;
        pr = true;
        pw = !ro;
        ur = el0;
        uw = el0 && !ro;
    } else {
        static const uint8_t tab[8] = {0x0, 0x3, 0x7, 0xf, 0x0, 0x1, 0x5, 0x5};
        uint8_t t = tab[l->ap & 7]; /* bit0 PL1 R, bit1 PL1 W, bit2 PL0 R, bit3 PL0 W */
        pr = t & 1;
        pw = t & 2;
        ur = t & 4;
        uw = t & 8;
    }
    /* Arm ARM, AArch32.CheckPermission: execute needs read; XN, PXN, UWXN, WXN. */
    bool ux = ur && !l->xn, px = pr && !l->xn && !l->pxn;
    if ((c->sctlr & SCTLR_UWXN) && uw)
        px = false;
    if (c->sctlr & SCTLR_WXN) {
        ux = ux && !uw;
        px = px && !pw;
    }
    *pl1 =
        (uint8_t)((pr ? ARMVMI_PERM_R : 0) | (pw ? ARMVMI_PERM_W : 0) | (px ? ARMVMI_PERM_X : 0));
    *pl0 =
        (uint8_t)((ur ? ARMVMI_PERM_R : 0) | (uw ? ARMVMI_PERM_W : 0) | (ux ? ARMVMI_PERM_X : 0));
}

struct walk_fault a32_short_walk(struct walk_ctx *w, uint32_t va)
{
    const struct armvmi_tt_config *c = w->cfg;
    struct armvmi_translation *o = w->out;
    const bool pxn_ok = (c->features & ARMVMI_FEAT_PXN32) != 0;
    const unsigned n = (unsigned)c->tcr & TTBCR_N_MASK;
    /* Arm ARM, TTBCR.N: with N>0, VA[31:32-N] != 0 selects TTBR1. */
    const bool hi = n && (va >> (32 - n)) != 0;
    if (c->tcr & (hi ? TTBCR_PD1 : TTBCR_PD0))
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 1, 1);
    /* TTBR0 table is 16KB >> N (base bits [31:14-N]); TTBR1 table is 16KB. */
    const uint32_t base =
        hi ? (uint32_t)c->ttbr1 & 0xffffc000u : (uint32_t)c->ttbr0 & (0xffffffffu << (14 - n));
    const uint32_t idx = hi ? va >> 20 : (va >> 20) & ((1u << (12 - n)) - 1);
    uint64_t d1 = 0, d2 = 0;
    struct walk_fault f = arch_read_desc(w, 1, 1, base + idx * 4ull, 4, &d1);
    if (f.kind != ARMVMI_FAULT_NONE)
        return f;
    struct sd_leaf l = {0};
    const uint32_t t1 = (uint32_t)d1;
    unsigned type = t1 & SD_TYPE_MASK;
    arch_add_step(w, 1, 1, base, base + idx * 4ull, idx, d1,
                  type == 0 || (type == 3 && !pxn_ok) ? ARMVMI_STEP_INVALID
                  : type == SD_L1_PAGETABLE           ? ARMVMI_STEP_TABLE
                                                      : ARMVMI_STEP_BLOCK);
    if (type == 0 || (type == 3 && !pxn_ok))
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 1, 1);
    if (type == SD_L1_PAGETABLE) {
        const uint32_t l2base = t1 & 0xfffffc00u;
        const uint32_t i2 = (va >> 12) & 0xffu;
        f = arch_read_desc(w, 1, 2, l2base + i2 * 4ull, 4, &d2);
        if (f.kind != ARMVMI_FAULT_NONE)
            return f;
        const uint32_t t2 = (uint32_t)d2;
        arch_add_step(w, 1, 2, l2base, l2base + i2 * 4ull, i2, d2,
                      (t2 & SD_TYPE_MASK) == 0 ? ARMVMI_STEP_INVALID : ARMVMI_STEP_PAGE);
        l.pxn = pxn_ok && (t1 & SD_PT_PXN);
        l.ns = (t1 & SD_PT_NS) != 0;
        l.domain = FIELD(t1, SD_DOMAIN_SHIFT, 4);
        o->level = 2;
        if ((t2 & SD_TYPE_MASK) == 0)
            return arch_fault(ARMVMI_FAULT_TRANSLATION, 2, 1);
        if ((t2 & SD_TYPE_MASK) == SD_L2_LARGE) { /* 64KB large page */
            o->pa = (t2 & 0xffff0000u) | (va & 0xffffu);
            o->size = 0x10000;
            l.xn = (t2 & SD_LG_XN) != 0;
            l.tex = FIELD(t2, SD_LG_TEX_SHIFT, 3);
        } else { /* 4KB small page */
            o->pa = (t2 & 0xfffff000u) | (va & 0xfffu);
            o->size = 0x1000;
            l.xn = (t2 & SD_L2_SMALL_XN) != 0;
            l.tex = FIELD(t2, SD_SM_TEX_SHIFT, 3);
        }
        l.ap = (unsigned)FIELD(t2, SD_PG_AP_SHIFT, 2) | ((t2 & SD_PG_AP2) ? 4u : 0u);
        l.b = (t2 & SD_PG_B) != 0;
        l.c = (t2 & SD_PG_C) != 0;
        l.s = (t2 & SD_PG_S) != 0;
        l.ng = (t2 & SD_PG_NG) != 0;
    } else { /* section or supersection; bit 0 is PXN */
        l.pxn = pxn_ok && (t1 & SD_L1_PXN);
        l.xn = (t1 & SD_SEC_XN) != 0;
        l.ns = (t1 & SD_SEC_NS) != 0;
        l.tex = FIELD(t1, SD_SEC_TEX_SHIFT, 3);
        l.ap = (unsigned)FIELD(t1, SD_SEC_AP_SHIFT, 2) | ((t1 & SD_SEC_AP2) ? 4u : 0u);
        l.b = (t1 & SD_SEC_B) != 0;
        l.c = (t1 & SD_SEC_C) != 0;
        l.s = (t1 & SD_SEC_S) != 0;
        l.ng = (t1 & SD_SEC_NG) != 0;
        o->level = 1;
        if (t1 & SD_SEC_SUPER) {
            /* Arm ARM, Supersection descriptor: PA[39:36] in bits [8:5], PA[35:32] in [23:20];
             * supersections are in domain 0. */
            o->pa = (t1 & 0xff000000u) | (FIELD(t1, 20, 4) << 32) | (FIELD(t1, 5, 4) << 36) |
                    (va & 0xffffffu);
            o->size = 0x1000000;
            o->supersection = true;
            l.domain = 0;
        } else {
            o->pa = (t1 & 0xfff00000u) | (va & 0xfffffu);
            o->size = 0x100000;
            l.domain = FIELD(t1, SD_DOMAIN_SHIFT, 4);
        }
    }
    o->ipa = o->pa;
    o->domain = (uint8_t)l.domain;
    o->attrindx = (uint8_t)((l.tex << 2) | (l.c << 1) | l.b);
    if (c->sctlr & SCTLR_TRE) /* PRRR.TRn for the remap index TEX[0]:C:B */
        o->attr = (uint8_t)FIELD(c->prrr, 2 * (o->attrindx & 7), 2);
    o->sh = l.s ? 3 : 0;
    o->ns = l.ns;
    o->ng = l.ng;
    o->af = !(c->sctlr & SCTLR_AFE) || (l.ap & 1);
    /* Arm ARM, TranslationTableWalkSD: with SCTLR.AFE=1, AP[0] is the Access flag, checked
     * during the walk, before the domain. */
    if (!o->af)
        return arch_fault(ARMVMI_FAULT_ACCESS_FLAG, o->level, 1);
    /* Arm ARM, CheckDomain: No access (or reserved) is a Domain fault; a Manager domain skips
     * the permission check. (QEMU 7.2 checks the domain first; see tests/oracle/README.md.) */
    switch (FIELD(c->dacr, 2 * l.domain, 2)) {
    case DACR_CLIENT:
        sd_perms(c, &l, &o->perm_el1, &o->perm_el0);
        break;
    case DACR_MANAGER:
        o->perm_el1 = o->perm_el0 = ARMVMI_PERM_R | ARMVMI_PERM_W | ARMVMI_PERM_X;
        break;
    default:
        return arch_fault(ARMVMI_FAULT_DOMAIN, o->level, 1);
    }
    return arch_fault(ARMVMI_FAULT_NONE, 0, 0);
}

struct walk_fault a32_lpae_setup(const struct armvmi_tt_config *c, uint64_t va, struct ld_params *p)
{
    const uint32_t v = (uint32_t)va;
    const unsigned t0 = (unsigned)FIELD(c->tcr, 0, 3), t1 = (unsigned)FIELD(c->tcr, 16, 3);
    bool hi;
    /* Arm ARM, Long-descriptor TTBR selection by TTBCR.T0SZ/T1SZ (ARMv7 ARM B3.6.4). */
    if (t1 && (v >> (32 - t1)) == (1u << t1) - 1)
        hi = true;
    else if (t0 == 0 || (v >> (32 - t0)) == 0)
        hi = false;
    else if (t1 == 0)
        hi = true;
    else
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 1, 1);
    *p = (struct ld_params){0};
    p->gran = 12;
    p->inbits = 32 - (hi ? t1 : t0);
    p->start = p->inbits > 30 ? 1 : 2;
    p->oabits = 40;
    p->aarch32 = true;
    p->two_el = true;
    if (c->tcr & (hi ? TCR_EPD1 : TCR_EPD0))
        return arch_fault(ARMVMI_FAULT_TRANSLATION, 1, 1);
    const unsigned shift = p->start == 1 ? 30 : 21;
    const unsigned tlog2 = p->inbits - shift + 3;
    p->base = (hi ? c->ttbr1 : c->ttbr0) & MASK64(39, tlog2);
    return arch_fault(ARMVMI_FAULT_NONE, 0, 0);
}
