/* SPDX-License-Identifier: MIT */
/* vmem.c — virtual addresses over a handle: contexts from vCPUs, a translation cache, VA I/O. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/driver.h"

#define TLB_ENTRIES 4096u /* direct-mapped; a power of two */
#define PAGE_4K 4096ull

/* A compact entry for the hot lookup; the full translation of the page sits beside it. */
struct tlb_entry {
    uint64_t vpage;   /* key: 4 KiB page of the VA, with bit 0 set when the entry is valid */
    uint64_t root;    /* key: the TTBR that translates vpage (with its ASID), or both hashed */
    uint64_t tcr;     /* key */
    uint64_t vttbr;   /* key: 0 unless the combined regime; the regime is folded in */
    uint64_t pa_page; /* value: the output address of vpage */
};

struct armvmi_tlb {
    struct tlb_entry e[TLB_ENTRIES];
    struct armvmi_translation t[TLB_ENTRIES]; /* without steps */
};

void armvmi_tlb_flush(armvmi_t *h)
{
    if (h && h->tlb)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            h->tlb->e[i].vpage = 0;
}

void armvmi_tlb_free(struct armvmi *h)
{
    free(h->tlb);
    h->tlb = NULL;
}

const char *armvmi_regime_name(enum armvmi_regime r)
{
    switch (r) {
    case ARMVMI_REGIME_EL10:
        return "EL1&0";
    case ARMVMI_REGIME_EL20:
        return "EL2&0";
    case ARMVMI_REGIME_EL2:
        return "EL2";
    case ARMVMI_REGIME_STAGE2:
        return "stage 2";
    case ARMVMI_REGIME_A32_SHORT:
        return "AArch32 short";
    case ARMVMI_REGIME_A32_LPAE:
        return "AArch32 LPAE";
    }
    return "unknown";
}

static int need(const struct armvmi_regs *r, enum armvmi_reg id, uint64_t *v)
{
    if (!armvmi_reg_valid(r, id))
        return armvmi_fail(ARMVMI_ENOTSUP,
                           "the target does not give %s, which this "
                           "translation regime needs.",
                           armvmi_reg_name(id));
    *v = r->regs[id];
    return 0;
}

int armvmi_vactx_from_vcpu(armvmi_t *h, unsigned vcpu, int regime_override,
                           struct armvmi_tt_config *ctx)
{
    struct armvmi_regs r;
    if (!ctx)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_vactx_from_vcpu: NULL context.");
    memset(ctx, 0, sizeof(*ctx));
    int rc = armvmi_get_regs(h, vcpu, &r);
    if (rc)
        return rc;
    uint64_t pstate = 0, hcr = 0;
    bool have_hcr = armvmi_reg_valid(&r, ARMVMI_REG_HCR_EL2);
    if (have_hcr)
        hcr = r.regs[ARMVMI_REG_HCR_EL2];
    int regime = regime_override;
    if (regime < 0) {
        if ((rc = need(&r, ARMVMI_REG_PSTATE, &pstate)))
            return rc;
        if (pstate & ARMVMI_PSTATE_NRW)
            return armvmi_fail(ARMVMI_ENOTSUP,
                               "vCPU %u is in AArch32 state: give the AArch32 "
                               "registers explicitly.",
                               vcpu);
        unsigned el = (unsigned)(pstate >> 2) & 3;
        if (el == 3)
            return armvmi_fail(ARMVMI_ENOTSUP,
                               "vCPU %u is at EL3, which armvmi does not "
                               "translate for.",
                               vcpu);
        if (el == 2)
            regime = (hcr & ARMVMI_HCR_E2H) ? ARMVMI_REGIME_EL20 : ARMVMI_REGIME_EL2;
        else /* EL0 under VHE (E2H and TGE) uses the EL2&0 regime: Arm ARM D8.1.1 */
            regime = ((hcr & ARMVMI_HCR_E2H) && (hcr & ARMVMI_HCR_TGE)) ? ARMVMI_REGIME_EL20
                                                                        : ARMVMI_REGIME_EL10;
    }
    ctx->regime = (enum armvmi_regime)regime;
    switch (regime) {
    case ARMVMI_REGIME_EL10:
        if ((rc = need(&r, ARMVMI_REG_TCR_EL1, &ctx->tcr)) ||
            (rc = need(&r, ARMVMI_REG_TTBR0_EL1, &ctx->ttbr0)) ||
            (rc = need(&r, ARMVMI_REG_TTBR1_EL1, &ctx->ttbr1)))
            return rc;
        need(&r, ARMVMI_REG_MAIR_EL1, &ctx->mair);
        need(&r, ARMVMI_REG_SCTLR_EL1, &ctx->sctlr);
        if (have_hcr && (hcr & ARMVMI_HCR_VM) && !(hcr & ARMVMI_HCR_E2H)) {
            if ((rc = need(&r, ARMVMI_REG_VTCR_EL2, &ctx->vtcr)) ||
                (rc = need(&r, ARMVMI_REG_VTTBR_EL2, &ctx->vttbr)))
                return rc;
            ctx->stage2 = true;
        }
        break;
    case ARMVMI_REGIME_EL20:
    case ARMVMI_REGIME_EL2:
        if ((rc = need(&r, ARMVMI_REG_TCR_EL2, &ctx->tcr)) ||
            (rc = need(&r, ARMVMI_REG_TTBR0_EL2, &ctx->ttbr0)))
            return rc;
        if (regime == ARMVMI_REGIME_EL20 && (rc = need(&r, ARMVMI_REG_TTBR1_EL2, &ctx->ttbr1)))
            return rc;
        need(&r, ARMVMI_REG_MAIR_EL2, &ctx->mair);
        need(&r, ARMVMI_REG_SCTLR_EL2, &ctx->sctlr);
        break;
    case ARMVMI_REGIME_STAGE2:
        if ((rc = need(&r, ARMVMI_REG_VTCR_EL2, &ctx->vtcr)) ||
            (rc = need(&r, ARMVMI_REG_VTTBR_EL2, &ctx->vttbr)))
            return rc;
        break;
    default:
        return armvmi_fail(ARMVMI_EINVAL, "regime %d cannot be read from an AArch64 vCPU.", regime);
    }
    /* The walk must be the one this CPU's MMU does: its ID registers say which translation
     * features it has. Without them, DS=1 in the TCR/VTCR in use is the evidence (RES0 on a
     * CPU without FEAT_LPA2). */
    if (armvmi_reg_valid(&r, ARMVMI_REG_ID_AA64MMFR0_EL1))
        ctx->features = armvmi_features_from_id(r.regs[ARMVMI_REG_ID_AA64MMFR0_EL1],
                                                armvmi_reg_valid(&r, ARMVMI_REG_ID_AA64MMFR2_EL1)
                                                    ? r.regs[ARMVMI_REG_ID_AA64MMFR2_EL1]
                                                    : 0,
                                                &ctx->pa_bits);
    else
        ctx->features = armvmi_features_from_tcr(ctx);
    return 0;
}

/* The walkers' read callback: the handle's own physical reads. */
static int phys_read(void *arg, uint64_t pa, void *buf, size_t len)
{
    return armvmi_read_pa(arg, pa, buf, len) ? -1 : 0;
}

int armvmi_translate_uncached(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va,
                              unsigned access, struct armvmi_translation *out)
{
    if (!h || !ctx || !out)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_translate_uncached: NULL argument.");
    int rc = armvmi_translate(ctx, phys_read, h, va, access, out);
    if (rc)
        return armvmi_fail(-rc, "cannot translate with this configuration (unknown regime %d).",
                           (int)ctx->regime);
    return 0;
}

int armvmi_va_ranges(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t max_tables,
                     armvmi_range_fn cb, void *arg, struct armvmi_enum_stats *stats)
{
    if (!h || !ctx || !cb)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_va_ranges: NULL argument.");
    int rc = armvmi_enum_ranges(ctx, phys_read, h, max_tables, cb, arg, stats);
    if (rc == -ARMVMI_EINTR)
        return armvmi_fail(ARMVMI_EINTR, "enumeration stopped.");
    if (rc)
        return armvmi_fail(-rc, "cannot enumerate this address space (%s).", armvmi_strerror(rc));
    return 0;
}

/* The cache is sound only while the guest cannot change its tables behind our back. */
static bool cache_usable(const struct armvmi *h)
{
    return !(h->caps & ARMVMI_CAP_LIVE) || h->pause_depth > 0;
}

static uint64_t key_root(const struct armvmi_tt_config *c, uint64_t va)
{
    switch (c->regime) {
    case ARMVMI_REGIME_EL10:
    case ARMVMI_REGIME_EL20:
        return (va >> 55) & 1 ? c->ttbr1 : c->ttbr0; /* Arm ARM D8.2.2: bit 55 picks TTBRn */
    case ARMVMI_REGIME_EL2:
        return c->ttbr0;
    case ARMVMI_REGIME_STAGE2:
        return c->vttbr;
    default:
        return c->ttbr0 * 0x9e3779b97f4a7c15ull ^ c->ttbr1 ^ ((uint64_t)c->dacr << 32);
    }
}

static int va_fault(uint64_t va, const struct armvmi_translation *t);

struct tlb_key {
    uint64_t vpage, root, tcr, vttbr;
    unsigned slot;
};

static inline void tlb_key(const struct armvmi_tt_config *ctx, uint64_t va, struct tlb_key *k)
{
    k->vpage = (va & ~(PAGE_4K - 1)) | 1;
    k->root = key_root(ctx, va);
    k->tcr = ctx->tcr;
    k->vttbr = (ctx->stage2 ? ctx->vttbr : 0) ^ ((uint64_t)ctx->regime << 60);
    uint64_t hash = (va >> 12) ^ (k->root * 0x9e3779b97f4a7c15ull >> 20);
    k->slot = (unsigned)(hash & (TLB_ENTRIES - 1));
}

static inline bool tlb_hit(const struct tlb_entry *e, const struct tlb_key *k)
{
    return e->vpage == k->vpage && e->root == k->root && e->tcr == k->tcr && e->vttbr == k->vttbr;
}

/* Walk and, if the page is mapped, remember it. */
static int tlb_fill(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va,
                    const struct tlb_key *k, struct armvmi_translation *out)
{
    int rc = armvmi_translate_uncached(h, ctx, va, 0, out);
    if (rc || out->fault != ARMVMI_FAULT_NONE)
        return rc;
    if (!h->tlb && !(h->tlb = calloc(1, sizeof(*h->tlb))))
        return 0; /* no cache, still a good answer */
    uint64_t off = va & (PAGE_4K - 1);
    struct tlb_entry *e = &h->tlb->e[k->slot];
    struct armvmi_translation *t = &h->tlb->t[k->slot];
    memcpy(t, out, offsetof(struct armvmi_translation, nsteps));
    t->va = va - off;
    t->pa = out->pa - off;
    t->ipa = out->ipa - off;
    e->root = k->root;
    e->tcr = k->tcr;
    e->vttbr = k->vttbr;
    e->pa_page = t->pa;
    e->vpage = k->vpage;
    return 0;
}

int armvmi_va_translate(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va,
                        unsigned access, struct armvmi_translation *out)
{
    if (!h || !ctx || !out)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_va_translate: NULL argument.");
    if (access || !cache_usable(h))
        return armvmi_translate_uncached(h, ctx, va, access, out);
    struct tlb_key k;
    tlb_key(ctx, va, &k);
    if (h->tlb && tlb_hit(&h->tlb->e[k.slot], &k)) {
        /* the entry holds the translation of va's page; place va's offset in it */
        const struct armvmi_translation *t = &h->tlb->t[k.slot];
        uint64_t off = va & (PAGE_4K - 1);
        memcpy(out, t, offsetof(struct armvmi_translation, nsteps));
        out->nsteps = 0;
        out->va = va;
        out->pa = t->pa + off;
        out->ipa = t->ipa + off;
        return 0;
    }
    return tlb_fill(h, ctx, va, &k, out);
}

int armvmi_va_to_pa(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va, uint64_t *pa)
{
    if (h && ctx && pa && h->tlb && cache_usable(h)) {
        struct tlb_key k;
        tlb_key(ctx, va, &k);
        const struct tlb_entry *e = &h->tlb->e[k.slot];
        if (tlb_hit(e, &k)) {
            *pa = e->pa_page + (va & (PAGE_4K - 1));
            return 0;
        }
    }
    struct armvmi_translation t;
    int rc = armvmi_va_translate(h, ctx, va, 0, &t);
    if (rc)
        return rc;
    if (t.fault != ARMVMI_FAULT_NONE)
        return va_fault(va, &t);
    *pa = t.pa;
    return 0;
}

static int va_fault(uint64_t va, const struct armvmi_translation *t)
{
    if (t->fault_stage == 2)
        return armvmi_fail(ARMVMI_EFAULT,
                           "virtual address 0x%" PRIx64 " is not mapped: stage-2 %s fault at "
                           "level %d (IPA 0x%" PRIx64 ").",
                           va, armvmi_fault_name(t->fault), t->fault_level, t->fault_ipa);
    return armvmi_fail(ARMVMI_EFAULT,
                       "virtual address 0x%" PRIx64 " is not mapped: %s fault at level %d.", va,
                       armvmi_fault_name(t->fault), t->fault_level);
}

/* Walk [va, va+len) a 4 KiB page at a time; for each piece call fn(pa, offset, n). */
typedef int (*piece_fn)(armvmi_t *h, uint64_t pa, size_t off, size_t n, void *arg);

static int for_each_piece(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va, size_t len,
                          piece_fn fn, void *arg)
{
    if (!h || !ctx)
        return armvmi_fail(ARMVMI_EINVAL, "NULL handle or context.");
    if (len && va + (len - 1) < va)
        return armvmi_fail(ARMVMI_EFAULT, "virtual range 0x%" PRIx64 "+0x%zx wraps around.", va,
                           len);
    size_t off = 0;
    while (off < len) {
        uint64_t cur = va + off;
        size_t n = (size_t)(PAGE_4K - (cur & (PAGE_4K - 1)));
        if (n > len - off)
            n = len - off;
        uint64_t pa;
        int rc = armvmi_va_to_pa(h, ctx, cur, &pa);
        if (rc || (rc = fn(h, pa, off, n, arg)))
            return rc;
        off += n;
    }
    return 0;
}

static int read_piece(armvmi_t *h, uint64_t pa, size_t off, size_t n, void *arg)
{
    return armvmi_read_pa(h, pa, (uint8_t *)arg + off, n);
}

int armvmi_read_va(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va, void *buf,
                   size_t len)
{
    if (!buf && len)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_read_va: NULL buffer.");
    return for_each_piece(h, ctx, va, len, read_piece, buf);
}

static int check_piece(armvmi_t *h, uint64_t pa, size_t off, size_t n, void *arg)
{
    return armvmi_region_find(h, pa, n) ? 0
                                        : armvmi_fail(ARMVMI_EFAULT,
                                                      "virtual address maps to physical 0x%" PRIx64
                                                      ", which is not guest RAM.",
                                                      pa);
}

static int write_piece(armvmi_t *h, uint64_t pa, size_t off, size_t n, void *arg)
{
    return armvmi_write_pa(h, pa, (const uint8_t *)arg + off, n);
}

int armvmi_write_va(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va, const void *buf,
                    size_t len)
{
    if (!buf && len)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_write_va: NULL buffer.");
    if (h && !(h->caps & ARMVMI_CAP_WRITE))
        return armvmi_fail(ARMVMI_ENOTSUP, "%s is read-only (a %s target).", h->target,
                           h->ops->name);
    /* Translate every page first, so a fault writes nothing; then write. The first write
     * flushes the cache, so the second pass walks again: a write can change the tables. */
    int rc = for_each_piece(h, ctx, va, len, check_piece, NULL);
    return rc ? rc : for_each_piece(h, ctx, va, len, write_piece, (void *)buf);
}
