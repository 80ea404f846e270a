/* SPDX-License-Identifier: MIT */
/* oracle_a64.c — AArch64 CPU oracle: random tables, AT in QEMU, the same walks in lib/arch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocheck.h"
#include "ogen_a32.h"
#include "ogen_ld.h"

#ifndef GUEST_A64
#define GUEST_A64 "build/oracle/guest_a64.elf"
#endif

#define HCR_RW (1ull << 31)
#define HCR_VM 1ull
#define TTBCR_EAE (1ull << 31)
#define SCTLR_EL1_RES1 0x30d00800ull
#define SCTLR_M 1ull
#define SCTLR_EL2_RES1 0x30c50830ull
#define TCR_EL2_RES1 ((1ull << 31) | (1ull << 23))
#define HCR_E2H (1ull << 34)
#define HCR_TGE (1ull << 27)
#define SCTLR_WXN (1ull << 19)
#define VTCR_RES1 (1ull << 31)
#define PAR_F 1ull
#define CPU_PA_BITS 52
#define CPU_FEATURES (ARMVMI_FEAT_LPA | ARMVMI_FEAT_LVA | ARMVMI_FEAT_LPA2 | ARMVMI_FEAT_TTST)

static const unsigned GRAN[3] = {12, 14, 16};
static const unsigned TG0[3] = {0, 2, 1};
static const unsigned TG1[3] = {2, 1, 3};
static const unsigned PSBITS[7] = {32, 36, 40, 42, 44, 48, 52};

enum { T_S1_4K, T_S1_16K, T_S1_64K, T_S2, T_S12, T_EL2, T_EL20, T_A32S12, T_ENUM, T_COUNT };
static struct otally tally[T_COUNT] = {
    {.name = "AArch64 stage 1, 4K granule (AT S1E1R/S1E1W/S1E0R)"},
    {.name = "AArch64 stage 1, 16K granule (AT S1E1R/S1E1W/S1E0R)"},
    {.name = "AArch64 stage 1, 64K granule (AT S1E1R/S1E1W/S1E0R)"},
    {.name = "AArch64 stage 2 with concatenation (AT S12E1R/S12E1W/S12E0R, stage 1 off)"},
    {.name = "AArch64 stage 1 + stage 2 combined (AT S12E1R/S12E1W/S12E0R)"},
    {.name = "AArch64 EL2 regime, E2H=0, EL2 MMU on (AT S1E2R/S1E2W)"},
    {.name = "AArch64 EL2&0 regime, E2H=1 TGE=1, EL2 MMU on (AT S1E2R/S1E2W/S1E0R)"},
    {.name = "AArch32 stage 1 (short and LPAE) under AArch64 stage 2 (HCR_EL2.RW=0, AT "
             "S12E1R/S12E1W/S12E0R)"},
    {.name = "AArch64 page enumeration (armvmi_enum_ranges) vs AT S1E1R/S12E1R ('mapped' counts "
             "ranges)"},
};

/* Coverage: agreeing mapped results by granule and leaf level (-1..3), TTBR1 hits, start
 * levels and concatenated stage-2 start tables seen. */
static unsigned long cov_leaf[T_COUNT][3][5], cov_ttbr1[3], cov_start[T_COUNT][3][5], cov_concat;

/* Host-side description of a job, for classifying its addresses. */
struct jobinfo {
    unsigned gi[2]; /* granule index per TTBR */
    int kind;       /* T_S1_4K (by TTBR), T_S2 or T_S12 */
};
static struct jobinfo jinfo[512];

static unsigned pick_ips(struct ogen *g)
{
    uint64_t r = og_below(g, 10);
    return r < 4 ? 6 : r < 7 ? 5 : (unsigned)og_below(g, 5);
}

static unsigned oabits_for(unsigned ps, bool wide)
{
    unsigned b = PSBITS[ps];
    return (!wide && b > 48) ? 48 : b;
}

static void ld_common(struct ldgen *l, unsigned gi, bool ds, unsigned ps)
{
    l->gran = GRAN[gi];
    l->ds = ds && gi != 2;
    l->lpa64 = gi == 2;
    l->oabits = oabits_for(ps, l->ds || l->lpa64);
    /* QEMU 7.2 reads the extra OA bits only when the PA size is 52; keep to what both agree
     * on architecturally (see README.md). */
    l->fmtbits = l->oabits == 52 ? 52 : l->ds ? 50 : 48;
}

static int start_level(unsigned gran, unsigned inbits)
{
    unsigned stride = gran - 3;
    return 4 - (int)((inbits - gran + stride - 1) / stride);
}

/* Random input addresses near the mapped ones, in clusters, plus wild ones. */
struct cluster {
    uint64_t base, span;
    int n;
};

static uint64_t pick_tsz(struct ogen *g, unsigned gi, bool ds)
{
    unsigned min = (ds && gi != 2) || gi == 2 ? 12 : 16, max = gi == 2 ? 47 : 48;
    static const unsigned common[] = {16, 25, 39, 12, 20, 33, 48, 42};
    if (og_pct(g, 50)) {
        unsigned t = common[og_below(g, 8)];
        if (t >= min && t <= max)
            return t;
    }
    return min + og_below(g, max - min + 1);
}

static void fill_queries(struct ogen *g, uint64_t *va, uint32_t nva, const uint64_t *mapped,
                         uint32_t nmapped, const struct cluster *cl, int ncl, uint64_t wildmask)
{
    for (uint32_t i = 0; i < nva; i++) {
        uint64_t r = og_below(g, 100), v;
        if (r < 65 && nmapped) {
            v = mapped[og_below(g, nmapped)];
            v += og_pct(g, 50) ? og_below(g, 1ull << 16)
                               : og_below(g, 1ull << (12 + og_below(g, 20)));
        } else if (r < 90 && ncl) {
            const struct cluster *c = &cl[og_below(g, (uint64_t)ncl)];
            v = c->base + og_below(g, c->span);
        } else {
            v = og_rand(g) & wildmask;
        }
        va[i] = v;
    }
}

/* Stage-1 tables for TTBR0 and TTBR1 of a job; fills tcr/ttbr and the list of mapped VAs. */
struct windows {
    int n;
    uint64_t base[6], span[6];
};

/* Identity-map the oracle program, mailbox and data ([RAM base, table area)) with level-2
 * blocks, so that the program keeps running with the EL2 MMU on. */
static int ident_map(struct ogen *g, struct ldgen *l)
{
    unsigned bad = l->bad_pct;
    l->bad_pct = 0;
    l->plain_tables = true; /* no XNTable/APTable on the program's own path */
    uint64_t step = ldg_level_size(l, 2);
    for (uint64_t va = ORACLE_RAM_BASE; va < ORACLE_TABLE_PA; va += step) {
        uint64_t slot = ldg_slot(g, l, va, 2);
        if (!slot)
            return -1;
        if (!og_r64(g, slot))
            og_w64(g, slot, ldg_encode(l, va) | 1 | (1ull << 10) | (l->ds ? 0 : 3ull << 8));
    }
    l->bad_pct = bad;
    l->plain_tables = false;
    return 0;
}

/* el2mode: 0 EL1&0; 1 EL2&0 (E2H=1); 2 EL2 (E2H=0, one range, TCR_EL2 layout). */
static int gen_s1(struct ogen *g, struct ojob *j, struct jobinfo *ji, uint64_t ipa_off,
                  unsigned maxips, uint32_t nmaps, uint64_t *vas, uint32_t nva,
                  const struct windows *win, int force_ds, int el2mode)
{
    const int nt = el2mode == 2 ? 1 : 2;
    bool ds = force_ds >= 0 ? force_ds != 0 : og_pct(g, 30);
    unsigned ps = pick_ips(g);
    if (ps > maxips)
        ps = maxips;
    struct ldgen l[2];
    uint64_t tcr = (uint64_t)ps << 32 | (uint64_t)ds << 59;
    tcr |= og_rand(g) & ((0x3full << 8) | (0x3full << 24) | (1ull << 22)); /* RGN, SH, A1 */
    for (int n = 0; n < nt; n++) {
        memset(&l[n], 0, sizeof(l[n]));
        ld_common(&l[n], ji->gi[n], ds, ps);
        uint64_t tsz = pick_tsz(g, ji->gi[n], ds);
        /* with the EL2 MMU on, TTBR0 must reach the program at 0x40000000 */
        for (int tries = 0; el2mode && n == 0 && tsz > 33 && tries < 100; tries++)
            tsz = pick_tsz(g, ji->gi[n], ds);
        if (el2mode && n == 0 && tsz > 33)
            tsz = 25;
        l[n].inbits = 64 - (unsigned)tsz;
        l[n].start = start_level(l[n].gran, l[n].inbits);
        l[n].ipa_off = ipa_off;
        l[n].bad_pct = 2;
        if (ldg_alloc_root(g, &l[n]))
            return -1;
        bool tbi = og_pct(g, 40), hpd = og_pct(g, 20), epd = og_pct(g, 4) && !(el2mode && !n);
        if (el2mode && n == 0 && ident_map(g, &l[0]))
            return -1;
        if (el2mode == 2) /* TCR_EL2 with E2H=0: PS [18:16], TBI [20], HPD [24], DS [32] */
            tcr = tsz | (uint64_t)TG0[ji->gi[0]] << 14 | (uint64_t)ps << 16 | (uint64_t)tbi << 20 |
                  (uint64_t)hpd << 24 | (uint64_t)ds << 32 | TCR_EL2_RES1 |
                  (og_rand(g) & (0x3full << 8));
        else
            tcr |= tsz << (n ? 16 : 0) | (uint64_t)(n ? TG1 : TG0)[ji->gi[n]] << (n ? 30 : 14) |
                   (uint64_t)tbi << (37 + n) | (uint64_t)hpd << (41 + n) |
                   (uint64_t)epd << (7 + 16 * n);
        uint64_t ttbr = (l[n].root + ipa_off) | (og_rand(g) & (0xffffull << 48)) | og_below(g, 2);
        if (n)
            j->ttbr1 = ttbr;
        else
            j->ttbr0 = ttbr;
    }
    j->tcr = tcr;
    j->mair = og_rand(g);
    j->sctlr = SCTLR_EL1_RES1 | SCTLR_M | (og_pct(g, 20) ? SCTLR_WXN : 0);
    if (el2mode) {
        /* the identity map uses AttrIndx 0: Normal write-back; no WXN (it would make the
         * program's own pages execute-never) */
        j->mair = (j->mair & ~0xffull) | 0xff;
        j->sctlr = (el2mode == 2 ? SCTLR_EL2_RES1 : SCTLR_EL1_RES1) | SCTLR_M;
    }

    struct cluster cl[12];
    int ncl = 12;
    for (int c = 0; c < ncl; c++) {
        int n = nt == 2 ? (c & 1) : 0;
        unsigned span_bits = l[n].gran + (unsigned)og_below(g, l[n].inbits - l[n].gran + 1);
        if (span_bits > l[n].gran + 12 && og_pct(g, 60))
            span_bits = l[n].gran + (unsigned)og_below(g, 12);
        cl[c].n = n;
        cl[c].span = 1ull << span_bits;
        uint64_t b = og_rand(g) & ((1ull << l[n].inbits) - 1) & ~(cl[c].span - 1);
        cl[c].base = n ? b | ~((1ull << l[n].inbits) - 1) : b;
    }
    uint64_t *mapped = calloc(nmaps, sizeof(uint64_t));
    uint32_t nm = 0;
    for (uint32_t i = 0; i < nmaps; i++) {
        const struct cluster *c = &cl[og_below(g, (uint64_t)ncl)];
        uint64_t v = c->base + og_below(g, c->span);
        uint64_t oa = ~0ull;
        if (win && win->n && og_pct(g, 70)) {
            int w = (int)og_below(g, (uint64_t)win->n);
            oa = win->base[w] + og_below(g, win->span[w]);
        }
        if (ldg_map_random(g, &l[c->n], v, oa) != -9)
            mapped[nm++] = v;
    }
    fill_queries(g, vas, nva, mapped, nm, cl, ncl, ~0ull);
    /* Tag some top bytes (TBI) and make some addresses wildly out of range. */
    for (uint32_t i = 0; i < nva; i++)
        if (og_pct(g, 10))
            vas[i] = (vas[i] & ~(0xffull << 56)) | (og_rand(g) & (0xffull << 56));
    free(mapped);
    return 0;
}

/* Stage-2 tables: VTCR/VTTBR with a random consistent T0SZ/SL0 (often concatenated). */
static int gen_s2_config(struct ogen *g, struct ojob *j, struct ldgen *l, unsigned min_inbits,
                         bool concat)
{
    for (int tries = 0; tries < 1000; tries++) {
        unsigned gi = (unsigned)og_below(g, 3);
        bool ds = og_pct(g, 25) && gi != 2;
        unsigned ps = pick_ips(g);
        memset(l, 0, sizeof(*l));
        ld_common(l, gi, ds, ps);
        l->stage2 = true;
        l->bad_pct = 2;
        unsigned tsz = (unsigned)pick_tsz(g, gi, ds);
        l->inbits = 64 - tsz;
        if (l->inbits < min_inbits)
            continue;
        /* Start levels whose table(s) resolve 1..stride+4 bits (at most 16 concatenated). */
        int cand[4], nc = 0;
        unsigned stride = l->gran - 3;
        for (int s = 0; s <= 3; s++) {
            int sbits = (int)l->inbits - (int)(l->gran + (unsigned)(3 - s) * stride);
            if (sbits < 1 || sbits > (int)stride + 4 || (concat && sbits <= (int)stride))
                continue;
            if ((gi == 0 && s == 3) || (gi == 1 && s == 0 && !l->ds) || (gi == 2 && s == 0))
                continue;
            /* QEMU 7.2 also rejects these valid starts (it checks the configured PS, not
             * PAMax, and has no 16K level 0): keep to what both accept. See README.md. */
            if ((gi == 1 && s == 0) || (gi == 1 && s == 1 && l->oabits <= 40) ||
                (gi == 2 && s == 1 && l->oabits <= 42) || (gi == 0 && s == 0 && l->oabits <= 42))
                continue;
            cand[nc++] = s;
        }
        if (!nc)
            continue;
        l->start = cand[og_below(g, (uint64_t)nc)];
        unsigned sl0 = gi == 0 ? (unsigned)(2 - l->start) : (unsigned)(3 - l->start);
        if (ldg_alloc_root(g, l))
            return -1;
        j->vtcr = tsz | (uint64_t)sl0 << 6 | (uint64_t)TG0[gi] << 14 | (uint64_t)ps << 16 |
                  VTCR_RES1 | (uint64_t)l->ds << 32 | (og_rand(g) & (0x3full << 8));
        j->vttbr = l->root | (og_rand(g) & (0xffull << 48));
        return 0;
    }
    return -1;
}

static int gen_s2_job(struct ogen *g, struct ojob *j, uint32_t nmaps, bool concat)
{
    struct ldgen l;
    if (gen_s2_config(g, j, &l, 0, concat))
        return -1;
    j->hcr = HCR_RW | HCR_VM;
    j->sctlr = SCTLR_EL1_RES1; /* stage 1 off: IPA = VA */
    struct cluster cl[8];
    for (int c = 0; c < 8; c++) {
        unsigned sb = l.gran + (unsigned)og_below(g, l.inbits - l.gran + 1);
        if (sb > l.gran + 12 && og_pct(g, 60))
            sb = l.gran + (unsigned)og_below(g, 12);
        cl[c].span = 1ull << sb;
        cl[c].base = og_rand(g) & ((1ull << l.inbits) - 1) & ~(cl[c].span - 1);
    }
    uint64_t *mapped = calloc(nmaps, sizeof(uint64_t));
    uint32_t nm = 0;
    for (uint32_t i = 0; i < nmaps; i++) {
        const struct cluster *c = &cl[og_below(g, 8)];
        uint64_t v = c->base + og_below(g, c->span);
        if (ldg_map_random(g, &l, v, ~0ull) != -9)
            mapped[nm++] = v;
    }
    /* With stage 1 off the IPA must stay below the CPU's 52-bit PA size. */
    fill_queries(g, og_job_vas(g, j), j->nva, mapped, nm, cl, 8, (1ull << CPU_PA_BITS) - 1);
    uint64_t *va = og_job_vas(g, j);
    for (uint32_t i = 0; i < j->nva; i++)
        va[i] &= (1ull << CPU_PA_BITS) - 1;
    free(mapped);
    return 0;
}

/* Combined: stage-1 tables live at IPA = PA + off; stage 2 maps them (with some holes and
 * no-read pages) and maps windows of IPA space that stage-1 leaves point into. */
static int gen_s12_job(struct ogen *g, struct ojob *j, struct jobinfo *ji, uint32_t nmaps)
{
    struct ldgen s2;
    if (gen_s2_config(g, j, &s2, 33, og_pct(g, 50)))
        return -1;
    uint64_t room = (1ull << s2.inbits) - (ORACLE_RAM_BASE + ORACLE_RAM_SIZE);
    uint64_t off = og_pct(g, 40) ? 0 : (og_below(g, room >> 30) << 30);
    /* Windows of IPA space mapped by stage 2 that stage-1 leaves point into. */
    struct windows win = {.n = 6};
    for (int w = 0; w < win.n; w++) {
        win.span[w] = 1ull << (s2.gran + og_below(g, 10));
        win.base[w] =
            og_rand(g) & ((1ull << (s2.inbits < 44 ? s2.inbits : 44)) - 1) & ~(win.span[w] - 1);
        /* cover the window with leaves of one level (at most 512 of them) */
        int lv = 3;
        while (lv > s2.start && ldg_block_ok(&s2, lv - 1) &&
               ldg_level_size(&s2, lv - 1) <= win.span[w] &&
               win.span[w] / ldg_level_size(&s2, lv) > 512)
            lv--;
        uint64_t sz = ldg_level_size(&s2, lv);
        for (uint64_t a = 0; a < win.span[w] && a / sz < 512; a += sz) {
            uint64_t slot = ldg_slot(g, &s2, win.base[w] + a, lv);
            if (slot && !og_r64(g, slot)) /* mostly readable, so that walks get through */
                og_w64(g, slot,
                       ldg_leaf(g, &s2, lv, ldg_rand_oa(g, &s2, sz)) |
                           (og_pct(g, 80) ? 1ull << 6 : 0));
        }
    }
    uint64_t t0 = g->next_table;
    /* stage 1 with PA size (IPA size) at most 48 bits */
    if (gen_s1(g, j, ji, off, 5, nmaps, og_job_vas(g, j), j->nva, &win, -1, 0))
        return -1;
    uint64_t t1 = g->next_table;
    j->hcr = HCR_RW | HCR_VM;
    /* Stage 2 for the stage-1 tables, page by page. */
    uint64_t pg = 1ull << s2.gran;
    for (uint64_t pa = t0 & ~(pg - 1); pa < t1; pa += pg) {
        uint64_t slot = ldg_slot(g, &s2, pa + off, 3);
        if (!slot || og_r64(g, slot))
            continue;
        uint64_t d = ldg_leaf(g, &s2, 3, pa) | (1ull << 10) | (1ull << 6);
        if (og_pct(g, 3))
            d &= ~(1ull << 6); /* no read: permission fault on the stage-1 walk */
        if (og_pct(g, 3))
            d &= ~1ull;
        og_w64(g, slot, d);
    }
    return 0;
}

/* Stage 2 for the stage-1 tables in [t0, t1), page by page at IPA = PA + off, with a few
 * holes and no-read pages (faults on the stage-1 walk). */
static void s2_map_tables(struct ogen *g, struct ldgen *s2, uint64_t t0, uint64_t t1, uint64_t off)
{
    uint64_t pg = 1ull << s2->gran;
    for (uint64_t pa = t0 & ~(pg - 1); pa < t1; pa += pg) {
        uint64_t slot = ldg_slot(g, s2, pa + off, 3);
        if (!slot || og_r64(g, slot))
            continue;
        uint64_t d = ldg_leaf(g, s2, 3, pa) | (1ull << 10) | (1ull << 6);
        if (og_pct(g, 3))
            d &= ~(1ull << 6); /* no read: permission fault on the stage-1 walk */
        if (og_pct(g, 3))
            d &= ~1ull;
        og_w64(g, slot, d);
    }
}

/* An AArch32 EL1 (short-descriptor or LPAE) under stage 2: stage 2 maps the low 4 GB of IPA
 * space with level-2 blocks (outputs of stage 1 land there), except guest RAM, where it maps
 * the stage-1 tables page by page (IPA = PA). */
static int gen_a32s12_job(struct ogen *g, struct ojob *j, uint32_t nmaps, bool lpae, unsigned n)
{
    struct ldgen s2;
    int tries = 0;
    do {
        if (gen_s2_config(g, j, &s2, 33, og_pct(g, 50)))
            return -1;
    } while (s2.inbits > s2.oabits && ++tries < 50);
    if (s2.inbits > s2.oabits || s2.start > 2)
        return -1;
    /* QEMU 7.2 mishandles stage-1 table reads that stage 2 sends outside RAM (an Address
     * size fault, or a read from elsewhere; the walker: an External abort), so here stage 2
     * outputs stay inside guest RAM. See README.md. */
    const uint64_t bsz = ldg_level_size(&s2, 2);
    for (uint64_t ipa = 0; ipa < 0x100000000ull; ipa += bsz) {
        if (ipa + bsz > ORACLE_RAM_BASE && ipa < ORACLE_RAM_BASE + ORACLE_RAM_SIZE)
            continue;
        uint64_t slot = ldg_slot(g, &s2, ipa, 2);
        uint64_t oa = ORACLE_RAM_BASE + (og_below(g, ORACLE_RAM_SIZE) & ~(bsz - 1));
        if (slot && !og_r64(g, slot))
            og_w64(g, slot, ldg_leaf(g, &s2, 2, oa) | (og_pct(g, 85) ? 1ull << 6 : 0));
    }
    uint64_t t0 = g->next_table;
    if ((lpae ? gen_lpae(g, j, nmaps, true) : gen_short(g, j, nmaps, n, true)) != 0)
        return -1;
    s2_map_tables(g, &s2, t0, g->next_table, 0);
    j->hcr = HCR_VM; /* RW=0: EL1 is AArch32 */
    return 0;
}

static void par_decode(uint64_t par, struct oanswer *a)
{
    memset(a, 0, sizeof(*a));
    a->fault = par & PAR_F;
    if (!a->fault) {
        a->pa = par & 0x000ffffffffff000ull;
        return;
    }
    unsigned fst = (par >> 1) & 0x3f;
    a->stage = (par >> 9) & 1 ? 2 : 1;
    a->stage_unknown = (par >> 62) & 1;
    a->ptw = (par >> 8) & 1;
    a->known = true;
    a->level = fst & 3;
    switch (fst >> 2) {
    case 0:
        a->kind = ARMVMI_FAULT_ADDR_SIZE;
        break;
    case 1:
        a->kind = ARMVMI_FAULT_TRANSLATION;
        break;
    case 2:
        a->kind = ARMVMI_FAULT_ACCESS_FLAG;
        break;
    case 3:
        a->kind = ARMVMI_FAULT_PERMISSION;
        break;
    case 5:
        a->kind = ARMVMI_FAULT_EXTERNAL;
        break;
    default:
        a->level = -1;
        if (fst == 0x29)
            a->kind = ARMVMI_FAULT_ADDR_SIZE;
        else if (fst == 0x2b)
            a->kind = ARMVMI_FAULT_TRANSLATION;
        else if (fst == 0x13)
            a->kind = ARMVMI_FAULT_EXTERNAL;
        else
            a->known = false;
    }
}

static unsigned ldg_gran_of(const struct ojob *j)
{
    unsigned tg = (unsigned)(j->vtcr >> 14) & 3;
    return tg == 1 ? 16 : tg == 2 ? 14 : 12;
}

static unsigned jinfo_s2gran(const struct ojob *j)
{
    return ldg_gran_of(j) == 12 ? 0 : ldg_gran_of(j) == 14 ? 1 : 2;
}

static void check_job(struct ogen *g, unsigned jn, struct ojob *j, const struct jobinfo *ji)
{
    struct armvmi_tt_config c = {0};
    c.regime = ARMVMI_REGIME_EL10;
    c.tcr = j->tcr;
    c.ttbr0 = j->ttbr0;
    c.ttbr1 = j->ttbr1;
    c.mair = j->mair;
    c.sctlr = j->sctlr;
    c.vtcr = j->vtcr;
    c.vttbr = j->vttbr;
    c.pa_bits = CPU_PA_BITS;
    c.features = CPU_FEATURES;
    if (ji->kind == T_S2)
        c.regime = ARMVMI_REGIME_STAGE2;
    else if (ji->kind == T_S12)
        c.stage2 = true;
    else if (ji->kind == T_EL2)
        c.regime = ARMVMI_REGIME_EL2;
    else if (ji->kind == T_EL20)
        c.regime = ARMVMI_REGIME_EL20;
    if (ji->kind == T_A32S12) {
        c.regime = (j->tcr & TTBCR_EAE) ? ARMVMI_REGIME_A32_LPAE : ARMVMI_REGIME_A32_SHORT;
        c.stage2 = true;
        c.dacr = (uint32_t)j->dacr;
        c.prrr = (uint32_t)j->mair;
        c.nmrr = (uint32_t)(j->mair >> 32);
        c.features |= ARMVMI_FEAT_PXN32;
    }
    unsigned acc[3] = {ARMVMI_ACC_READ, ARMVMI_ACC_WRITE, ARMVMI_ACC_READ | ARMVMI_ACC_EL0};
    if (ji->kind == T_EL2)
        acc[2] = ARMVMI_ACC_READ;
    const int wi = j->mode == OMODE_A64_S12 || j->mode == OMODE_A32_S12 ? 1
                   : j->mode == OMODE_A64_S1                            ? 0
                                                                        : 2;
    static const char *what[3][3] = {{"S1E1R", "S1E1W", "S1E0R"},
                                     {"S12E1R", "S12E1W", "S12E0R"},
                                     {"S1E2R", "S1E2W", "S1E0R/S1E2R"}};
    const uint64_t *va = og_job_vas(g, j);
    const uint64_t *res = og_job_res(g, j);
    static struct armvmi_translation r;
    struct oanswer *ans = calloc(j->nva, sizeof(*ans));
    if (getenv("ORACLE_DEBUG"))
        printf("# job %u mode %u: tcr %#llx ttbr0 %#llx ttbr1 %#llx vtcr %#llx vttbr %#llx\n", jn,
               j->mode, (unsigned long long)j->tcr, (unsigned long long)j->ttbr0,
               (unsigned long long)j->ttbr1, (unsigned long long)j->vtcr,
               (unsigned long long)j->vttbr);
    for (uint32_t i = 0; i < j->nva; i++) {
        int t = ji->kind;
        if (t == T_S1_4K)
            t = T_S1_4K + (int)ji->gi[(va[i] >> 55) & 1];
        tally[t].addrs++;
        for (int k = 0; k < 3; k++) {
            struct oanswer a;
            par_decode(res[3 * i + k], &a);
            armvmi_translate(&c, og_read_phys, g, va[i], acc[k], &r);
            if (!a.fault && r.fault == ARMVMI_FAULT_NONE && r.nsteps) {
                const struct armvmi_walk_step *s0 = &r.steps[0];
                unsigned gi = ji->kind == T_S2 || ji->kind == T_A32S12 ? jinfo_s2gran(j)
                              : ji->kind == T_EL2                      ? ji->gi[0]
                                                                       : ji->gi[(va[i] >> 55) & 1];
                cov_leaf[t][gi][r.level + 1]++;
                cov_start[t][gi][s0->level + 1]++;
                if ((t < T_S2 || t == T_EL20) && ((va[i] >> 55) & 1))
                    cov_ttbr1[gi]++;
                if (ji->kind == T_S2 && s0->index >= (1u << (ldg_gran_of(j) - 3)))
                    cov_concat++;
            }
            ocompare(&tally[t], &a, &r, ~0xfffull, what[wi][k], jn, res[3 * i + k]);
            /* stage-1 attributes: PAR_EL1.ATTR is the MAIR byte AttrIndx selects */
            if (!a.fault && r.fault == ARMVMI_FAULT_NONE && !c.stage2 &&
                c.regime != ARMVMI_REGIME_STAGE2 &&
                ((res[3 * i + k] >> 56) != r.attr || ((res[3 * i + k] >> 7) & 3) != r.sh)) {
                tally[t].detail++;
                if (tally[t].detail <= 12)
                    printf("#   ATTR job %u va %#llx: PAR %#llx, walker attr %#x\n", jn,
                           (unsigned long long)va[i], (unsigned long long)res[3 * i + k], r.attr);
            }
            if (k == 0)
                ans[i] = a;
        }
    }
    oenum_check(&tally[T_ENUM], &c, g, og_read_phys, va, ans, j->nva,
                ji->kind == T_A32S12 ? 0xffffffffull : ~0ull, ~0xfffull, jn);
    free(ans);
}

int main(int argc, char **argv)
{
    const char *qemu = "qemu-system-aarch64";
    if (!ohave(qemu)) {
        printf("1..0 # SKIP %s not installed\n", qemu);
        return 0;
    }
    const char *guest = argc > 1 ? argv[1] : GUEST_A64;
    if (access(guest, R_OK) != 0) {
        printf("1..0 # SKIP %s not built (is aarch64-linux-gnu-gcc installed?)\n", guest);
        return 0;
    }
    uint64_t seed = oseed();
    unsigned scale = getenv("ORACLE_SCALE") ? (unsigned)atoi(getenv("ORACLE_SCALE")) : 100;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    printf("1..%d\n# seed %llu (replay with ORACLE_SEED=%llu)\n", T_COUNT, (unsigned long long)seed,
           (unsigned long long)seed);
    fflush(stdout);
    struct ogen g;
    if (og_open(&g, dir, "oracle-a64", seed)) {
        og_close(&g);
        return 1;
    }
    /* 27 stage-1 jobs (all TTBR0 x TTBR1 granule pairs), 12 stage-2, 12 combined, 6 EL2 and
     * 6 EL2&0. */
    const uint32_t nva = 4400 * scale / 100 + 10, nmaps = 1500 * scale / 100 + 10;
    unsigned nj = 0;
    int maxjobs = getenv("ORACLE_JOBS") ? atoi(getenv("ORACLE_JOBS")) : 71;
    int first = getenv("ORACLE_FIRST") ? atoi(getenv("ORACLE_FIRST")) : 0;
    for (int k = first; k < maxjobs && k < 71; k++) {
        int kind = k < 27   ? T_S1_4K
                   : k < 39 ? T_S2
                   : k < 51 ? T_S12
                   : k < 57 ? T_EL2
                   : k < 63 ? T_EL20
                            : T_A32S12;
        /* about 150k addresses per stage-1 granule, 120k for stage 2 and combined */
        uint32_t n = kind == T_S1_4K || kind >= T_EL2 ? nva * 4 : nva * 9 / 4;
        static const uint32_t mode[] = {
            [T_S1_4K] = OMODE_A64_S1, [T_S2] = OMODE_A64_S12,    [T_S12] = OMODE_A64_S12,
            [T_EL2] = OMODE_A64_EL2,  [T_EL20] = OMODE_A64_EL20, [T_A32S12] = OMODE_A32_S12};
        struct ojob *j = og_job(&g, mode[kind], n);
        if (!j)
            break;
        struct jobinfo *ji = &jinfo[nj];
        ji->kind = kind;
        ji->gi[0] = (unsigned)(k % 3);
        ji->gi[1] = (unsigned)((k / 3) % 3);
        g.table_limit = g.next_table + (9ull << 20);
        int rc;
        if (kind == T_S1_4K) {
            j->hcr = HCR_RW;
            /* a third of the jobs (every granule pair) use FEAT_LPA2 (TCR.DS=1) */
            rc = gen_s1(&g, j, ji, 0, 6, nmaps, og_job_vas(&g, j), j->nva, NULL, k / 9 == 0, 0);
        } else if (kind == T_EL2 || kind == T_EL20) {
            j->hcr = HCR_RW | (kind == T_EL20 ? HCR_E2H | HCR_TGE : 0);
            rc = gen_s1(&g, j, ji, 0, 6, nmaps, og_job_vas(&g, j), j->nva, NULL, k % 2,
                        kind == T_EL2 ? 2 : 1);
        } else if (kind == T_A32S12) {
            rc = gen_a32s12_job(&g, j, nmaps, k % 2, (unsigned)(k / 2) % 8);
        } else if (kind == T_S2) {
            rc = gen_s2_job(&g, j, nmaps, k % 2 == 0); /* half with concatenated tables */
        } else {
            rc = gen_s12_job(&g, j, ji, nmaps);
        }
        if (rc) {
            printf("# job %u: out of table memory\n", nj);
            g.mb->njobs--;
            continue;
        }
        nj++;
    }
    char mem[512], kern[512];
    snprintf(mem, sizeof(mem), "memory-backend-file,id=m,size=%llu,mem-path=%s,share=on",
             (unsigned long long)ORACLE_RAM_SIZE, g.path);
    snprintf(kern, sizeof(kern), "%s", guest);
    const char *qargv[] = {
        qemu,       "-M",      "virt,virtualization=on,gic-version=3,memory-backend=m",
        "-cpu",     "max",     "-m",
        "512M",     "-object", mem,
        "-display", "none",    "-monitor",
        "none",     "-serial", "none",
        "-kernel",  kern,      NULL};
    time_t t0 = time(NULL);
    unsigned tmo = getenv("ORACLE_TIMEOUT") ? (unsigned)atoi(getenv("ORACLE_TIMEOUT")) : 600;
    if (og_run_qemu(&g, qargv, tmo) != 0) {
        printf("# QEMU did not finish the jobs (%u of %u done, CurrentEL %#llx, exception %llu: "
               "ESR %#llx ELR %#llx FAR %#llx)\n",
               g.mb->jobs_done, g.mb->njobs, (unsigned long long)g.mb->current_el,
               (unsigned long long)g.mb->exc[3], (unsigned long long)g.mb->exc[0],
               (unsigned long long)g.mb->exc[1], (unsigned long long)g.mb->exc[2]);
        if (g.mb->jobs_done < g.mb->njobs) {
            const struct ojob *fj = &g.mb->jobs[g.mb->jobs_done];
            printf("# the job that did not finish: mode %u hcr %#llx tcr %#llx ttbr0 %#llx "
                   "ttbr1 %#llx mair %#llx sctlr %#llx\n",
                   fj->mode, (unsigned long long)fj->hcr, (unsigned long long)fj->tcr,
                   (unsigned long long)fj->ttbr0, (unsigned long long)fj->ttbr1,
                   (unsigned long long)fj->mair, (unsigned long long)fj->sctlr);
            struct armvmi_tt_config fc = {.regime = fj->mode == OMODE_A64_EL2 ? ARMVMI_REGIME_EL2
                                                                              : ARMVMI_REGIME_EL20,
                                          .tcr = fj->tcr,
                                          .ttbr0 = fj->ttbr0,
                                          .ttbr1 = fj->ttbr1,
                                          .mair = fj->mair,
                                          .sctlr = fj->sctlr,
                                          .pa_bits = CPU_PA_BITS,
                                          .features = CPU_FEATURES};
            static struct armvmi_translation ft;
            armvmi_translate(&fc, og_read_phys, &g, ORACLE_PROG_PA, ARMVMI_ACC_EXEC, &ft);
            printf("# walker on the program address: fault %s, pa %#llx, el1 perm %x\n",
                   armvmi_fault_name(ft.fault), (unsigned long long)ft.pa, ft.perm_el1);
            for (unsigned i = 0; i < ft.nsteps; i++)
                printf("#   L%d %#llx = %#llx\n", ft.steps[i].level,
                       (unsigned long long)ft.steps[i].addr, (unsigned long long)ft.steps[i].desc);
        }
        for (int t = 0; t < T_COUNT; t++)
            printf("not ok %d - %s\n", t + 1, tally[t].name);
        og_close(&g);
        return 1;
    }
    printf(
        "# %u MB of tables; QEMU ran %u jobs in %lds; ID_AA64MMFR0 %#llx MMFR1 %#llx MMFR2 %#llx "
        "PFR0 %#llx\n",
        (unsigned)((g.next_table - ORACLE_TABLE_PA) >> 20), nj, (long)(time(NULL) - t0),
        (unsigned long long)g.mb->id[0], (unsigned long long)g.mb->id[1],
        (unsigned long long)g.mb->id[2], (unsigned long long)g.mb->id[3]);
    for (unsigned k = 0; k < nj; k++)
        check_job(&g, k, &g.mb->jobs[k], &jinfo[k]);
    int fails = 0;
    static const char *gname[3] = {"4K", "16K", "64K"};
    for (int t = 0; t < T_COUNT; t++) {
        otally_print(&tally[t], t + 1);
        for (int gi = 0; gi < 3; gi++) {
            unsigned long *lv = cov_leaf[t][gi], *st = cov_start[t][gi];
            if (lv[0] + lv[1] + lv[2] + lv[3] + lv[4] == 0)
                continue;
            printf("#   %s mapped by leaf level -1/0/1/2/3: %lu/%lu/%lu/%lu/%lu; by start level: "
                   "%lu/%lu/%lu/%lu/%lu",
                   gname[gi], lv[0], lv[1], lv[2], lv[3], lv[4], st[0], st[1], st[2], st[3], st[4]);
            if (t < T_S2)
                printf("; via TTBR1: %lu", cov_ttbr1[gi]);
            printf("\n");
        }
        if (t == T_S2)
            printf("#   walks through the second or later concatenated start table: %lu\n",
                   cov_concat);
        fails += tally[t].mismatch + tally[t].detail != 0;
    }
    og_close(&g);
    return fails ? 1 : 0;
}
