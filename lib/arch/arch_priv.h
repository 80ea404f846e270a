/* SPDX-License-Identifier: MIT */
/* arch_priv.h — architecture constants and the shared long-descriptor walk used by lib/arch. */
#ifndef ARMVMI_ARCH_PRIV_H
#define ARMVMI_ARCH_PRIV_H

#include <armvmi/arch.h>
#include <armvmi/armvmi.h>

#define BIT64(n) (1ull << (n))
#define FIELD(v, lo, w) (((v) >> (lo)) & ((1ull << (w)) - 1))
#define MASK64(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* TCR_EL1 / TCR_EL2 with E2H=1 (Arm ARM, TCR_EL1). */
#define TCR_T0SZ_SHIFT 0
#define TCR_EPD0 BIT64(7)
#define TCR_SH0_SHIFT 12
#define TCR_TG0_SHIFT 14
#define TCR_T1SZ_SHIFT 16
#define TCR_EPD1 BIT64(23)
#define TCR_SH1_SHIFT 28
#define TCR_TG1_SHIFT 30
#define TCR_IPS_SHIFT 32
#define TCR_TBI0 BIT64(37)
#define TCR_TBI1 BIT64(38)
#define TCR_HA BIT64(39)
#define TCR_HD BIT64(40)
#define TCR_HPD0 BIT64(41)
#define TCR_HPD1 BIT64(42)
#define TCR_DS BIT64(59)
/* TG0 and TG1 encode the granule differently. */
#define TCR_TG0_4K 0u
#define TCR_TG0_64K 1u
#define TCR_TG0_16K 2u
#define TCR_TG1_16K 1u
#define TCR_TG1_4K 2u
#define TCR_TG1_64K 3u

/* TCR_EL2 with E2H=0 (one range). */
#define TCR2_PS_SHIFT 16
#define TCR2_TBI BIT64(20)
#define TCR2_HA BIT64(21)
#define TCR2_HD BIT64(22)
#define TCR2_HPD BIT64(24)
#define TCR2_DS BIT64(32)

/* VTCR_EL2. */
#define VTCR_SL0_SHIFT 6
#define VTCR_PS_SHIFT 16
#define VTCR_HA BIT64(21)
#define VTCR_HD BIT64(22)
#define VTCR_DS BIT64(32)
#define VTCR_SL2 BIT64(33)

/* TTBRn_ELx / VTTBR_EL2. */
#define TTBR_CNP BIT64(0)
#define TTBR_BADDR_MASK MASK64(47, 1)
#define TTBR_BADDR_HI_SHIFT 2 /* BADDR[51:48] in bits [5:2] with 52-bit PA */

/* SCTLR. */
#define SCTLR_WXN BIT64(19)
#define SCTLR_UWXN BIT64(20) /* AArch32 */
#define SCTLR_TRE BIT64(28)  /* AArch32 */
#define SCTLR_AFE BIT64(29)  /* AArch32 */

/* VMSAv8-64 / LPAE descriptor bits are ARMVMI_DESC_* in <armvmi/arch.h>. */

/* AArch32 TTBCR. */
#define TTBCR_N_MASK 7u
#define TTBCR_PD0 (1u << 4)
#define TTBCR_PD1 (1u << 5)
#define TTBCR_T1SZ_SHIFT 16
#define TTBCR_EAE (1ull << 31)

/* One decoded long-descriptor walk (VMSAv8-64 stage 1 or 2, or AArch32 LPAE). */
struct ld_params {
    unsigned gran;   /* granule shift: 12, 14, 16 */
    int start;       /* start level, -1..3 */
    unsigned inbits; /* input address size */
    unsigned oabits; /* output address size for address-size faults */
    uint64_t base;   /* start table address */
    bool ds;         /* FEAT_LPA2 layout: OA[51:50] in descriptor bits [9:8] */
    bool lpa64;      /* 64K with FEAT_LPA: OA[51:48] in descriptor bits [15:12] */
    bool stage2;
    bool aarch32;   /* AArch32 LPAE: XN applies to PL0 and PL1 */
    bool two_el;    /* regime has an unprivileged level */
    bool hpd;       /* hierarchical permissions disabled */
    bool ha, hd;    /* hardware AF and dirty-state management */
    unsigned ds_sh; /* shareability from TCR when ds */
};

/* The walker's state shared by both stages of one armvmi_translate() call. */
struct walk_ctx {
    const struct armvmi_tt_config *cfg;
    armvmi_read_phys_fn read;
    void *rctx;
    struct armvmi_translation *out;
};

/* What a long-descriptor walk found. */
struct ld_leaf {
    uint64_t oa;   /* output address including the offset */
    uint64_t desc; /* leaf descriptor */
    uint64_t size;
    int level;
    bool ns_table, ro_table, noel0_table, xn_table, pxn_table;
};

/* A fault found by a walk (ARMVMI_FAULT_NONE if none). */
struct walk_fault {
    enum armvmi_fault kind;
    int level;
    unsigned stage; /* 1 or 2 */
    bool s1ptw;     /* stage-2 fault on a stage-1 table read */
    int s1level;    /* with s1ptw: the stage-1 level being read */
    uint64_t ipa;   /* the IPA of a stage-2 fault */
};

/* A fault of the given kind at a level of a stage. (This and the small helpers below are
 * inline: they run several times per walk, and the walk's cost is spread over such calls.) */
static inline struct walk_fault arch_fault(enum armvmi_fault kind, int level, unsigned stage)
{
    struct walk_fault f = {.kind = kind, .level = level, .stage = stage};
    return f;
}

struct walk_fault arch_s1ptw(struct walk_ctx *w, int level, uint64_t addr, uint64_t *pa);

/* Read a little-endian descriptor of 4 or 8 bytes at addr (an IPA when stage is 1 and the
 * configuration has stage 2). */
static inline struct walk_fault arch_read_desc(struct walk_ctx *w, unsigned stage, int level,
                                               uint64_t addr, unsigned len, uint64_t *val)
{
    uint64_t pa = addr;
    if (stage == 1 && w->cfg->stage2) {
        struct walk_fault f = arch_s1ptw(w, level, addr, &pa);
        if (f.kind != ARMVMI_FAULT_NONE)
            return f;
    }
    uint64_t v = 0; /* descriptors are little-endian */
    if (len > sizeof(v) || w->read(w->rctx, pa, &v, len) != 0)
        return arch_fault(ARMVMI_FAULT_EXTERNAL, level, stage);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v); /* the unread high bytes were zero */
#endif
    *val = v;
    return arch_fault(ARMVMI_FAULT_NONE, 0, 0);
}

/* Record one descriptor read in the translation's steps (up to ARMVMI_WALK_MAX_STEPS). */
static inline void arch_add_step(struct walk_ctx *w, unsigned stage, int level, uint64_t table,
                                 uint64_t addr, uint32_t index, uint64_t desc,
                                 enum armvmi_step_kind kind)
{
    struct armvmi_translation *o = w->out;
    if (o->nsteps >= ARMVMI_WALK_MAX_STEPS)
        return;
    struct armvmi_walk_step *s = &o->steps[o->nsteps++];
    s->table = table;
    s->addr = addr;
    s->desc = desc;
    s->index = index;
    s->level = (int8_t)level;
    s->stage = (uint8_t)stage;
    s->kind = (uint8_t)kind;
}

/* Walk the long-descriptor tables of p for input address ia. */
struct walk_fault ld_walk(struct walk_ctx *w, const struct ld_params *p, uint64_t ia,
                          struct ld_leaf *leaf);
/* Stage-1 permissions (ARMVMI_PERM_*) of a leaf for the privileged and unprivileged level. */
void ld_s1_perms(const struct ld_params *p, const struct ld_leaf *l, uint64_t sctlr, uint8_t *el1,
                 uint8_t *el0);

/* Descriptor helpers shared by the walk and the enumeration. */
/* The address held by a table, block or page descriptor, from bit lowbit up. */
static inline uint64_t ld_desc_addr(const struct ld_params *p, uint64_t d, unsigned lowbit)
{
    if (p->ds) /* Arm ARM, FEAT_LPA2 descriptors: OA[51:50] in bits [9:8] */
        return (d & MASK64(49, lowbit)) | (FIELD(d, 8, 2) << 50);
    uint64_t a = d & MASK64(47, lowbit);
    if (p->lpa64) /* Arm ARM, FEAT_LPA 64K descriptors: OA[51:48] in bits [15:12] */
        a |= FIELD(d, 12, 4) << 48;
    return a;
}

bool ld_block_allowed(const struct ld_params *p, int level);
static inline void ld_table_bits(const struct ld_params *p, uint64_t d, struct ld_leaf *leaf)
{
    if (p->stage2)
        return;
    /* Arm ARM, hierarchical attributes (APTable, XNTable, PXNTable; HPD disables all
     * but NSTable). */
    leaf->ns_table |= (d & ARMVMI_DESC_NSTABLE) != 0;
    if (!p->hpd) {
        leaf->ro_table |= (d & ARMVMI_DESC_APTABLE_RO) != 0;
        leaf->noel0_table |= p->two_el && (d & ARMVMI_DESC_APTABLE_NOEL0);
        leaf->xn_table |= (d & ARMVMI_DESC_XNTABLE) != 0;
        leaf->pxn_table |= p->two_el && (d & ARMVMI_DESC_PXNTABLE);
    }
}
/* Fill the attributes of o from a long-descriptor leaf. */
void arch_ld_fill(struct armvmi_translation *o, const struct ld_params *p, const struct ld_leaf *l,
                  uint64_t mair);
uint8_t arch_s2_perms(uint64_t d, const struct ld_params *p);
/* Translate o->ipa's page through stage 2 for access; sets pa, s2_level, s2_perm, size. */
struct walk_fault arch_stage2_output(struct walk_ctx *w, uint64_t ipa, unsigned access);

/* Regime decoders: fill p for input address va, or return a fault (no walk needed). */
struct walk_fault a64_s1_setup(const struct armvmi_tt_config *c, uint64_t va, struct ld_params *p);
struct walk_fault a64_s2_setup(const struct armvmi_tt_config *c, uint64_t ipa, struct ld_params *p);
struct walk_fault a32_lpae_setup(const struct armvmi_tt_config *c, uint64_t va,
                                 struct ld_params *p);
/* The AArch32 short-descriptor walk, filling w->out (permissions, attributes, pa, fault). */
struct walk_fault a32_short_walk(struct walk_ctx *w, uint32_t va);

#endif
