/* SPDX-License-Identifier: MIT */
/* ogen_a64.c — random AArch64 oracle jobs: EL1&0, EL2, EL2&0, stage 2, combined, AArch32 under
 * stage 2. */
#include <stdlib.h>
#include <string.h>

#include "ogen_a32.h"
#include "ogen_a64.h"
#include "ogen_ld.h"

static const unsigned GRAN[3] = {12, 14, 16};
static const unsigned TG0[3] = {0, 2, 1};
static const unsigned TG1[3] = {2, 1, 3};
static const unsigned PSBITS[7] = {32, 36, 40, 42, 44, 48, 52};

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
static int gen_s1(struct ogen *g, struct ojob *j, const unsigned *gi, uint64_t ipa_off,
                  unsigned maxips, uint32_t nmaps, const struct windows *win, int force_ds,
                  int el2mode)
{
    const int nt = el2mode == 2 ? 1 : 2;
    uint64_t *vas = og_job_vas(g, j);
    const uint32_t nva = j->nva;
    bool ds = force_ds >= 0 ? force_ds != 0 : og_pct(g, 30);
    unsigned ps = pick_ips(g);
    if (ps > maxips)
        ps = maxips;
    struct ldgen l[2];
    uint64_t tcr = (uint64_t)ps << 32 | (uint64_t)ds << 59;
    tcr |= og_rand(g) & ((0x3full << 8) | (0x3full << 24) | (1ull << 22)); /* RGN, SH, A1 */
    for (int n = 0; n < nt; n++) {
        memset(&l[n], 0, sizeof(l[n]));
        ld_common(&l[n], gi[n], ds, ps);
        uint64_t tsz = pick_tsz(g, gi[n], ds);
        /* with the EL2 MMU on, TTBR0 must reach the program at 0x40000000 */
        for (int tries = 0; el2mode && n == 0 && tsz > 33 && tries < 100; tries++)
            tsz = pick_tsz(g, gi[n], ds);
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
            tcr = tsz | (uint64_t)TG0[gi[0]] << 14 | (uint64_t)ps << 16 | (uint64_t)tbi << 20 |
                  (uint64_t)hpd << 24 | (uint64_t)ds << 32 | TCR_EL2_RES1 |
                  (og_rand(g) & (0x3full << 8));
        else
            tcr |= tsz << (n ? 16 : 0) | (uint64_t)(n ? TG1 : TG0)[gi[n]] << (n ? 30 : 14) |
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

int gen_s2_job(struct ogen *g, struct ojob *j, uint32_t nmaps, bool concat)
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

/* Combined: stage-1 tables live at IPA = PA + off; stage 2 maps them (with some holes and
 * no-read pages) and maps windows of IPA space that stage-1 leaves point into. */
int gen_s12_job(struct ogen *g, struct ojob *j, const unsigned *gi, uint32_t nmaps)
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
    if (gen_s1(g, j, gi, off, 5, nmaps, &win, -1, 0))
        return -1;
    uint64_t t1 = g->next_table;
    j->hcr = HCR_RW | HCR_VM;
    s2_map_tables(g, &s2, t0, t1, off);
    return 0;
}

/* An AArch32 EL1 (short-descriptor or LPAE) under stage 2: stage 2 maps the low 4 GB of IPA
 * space with level-2 blocks (outputs of stage 1 land there), except guest RAM, where it maps
 * the stage-1 tables page by page (IPA = PA). */
int gen_a32s12_job(struct ogen *g, struct ojob *j, uint32_t nmaps, bool lpae, unsigned n)
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
     * outputs stay inside the table area of guest RAM, which does not change while QEMU runs
     * (results do). Level-2 blocks (2MB, 32MB), or 64K pages for the 64K granule. See
     * README.md. */
    const int lv = s2.gran == 16 ? 3 : 2;
    const uint64_t bsz = ldg_level_size(&s2, lv);
    const uint64_t area = ORACLE_RAM_BASE + ORACLE_RAM_SIZE - ORACLE_TABLE_PA;
    for (uint64_t ipa = 0; ipa < 0x100000000ull; ipa += bsz) {
        if (ipa + bsz > ORACLE_RAM_BASE && ipa < ORACLE_RAM_BASE + ORACLE_RAM_SIZE)
            continue;
        uint64_t slot = ldg_slot(g, &s2, ipa, lv);
        uint64_t oa = ORACLE_TABLE_PA + (og_below(g, area - bsz) & ~(bsz - 1));
        if (slot && !og_r64(g, slot))
            og_w64(g, slot, ldg_leaf(g, &s2, lv, oa) | (og_pct(g, 85) ? 1ull << 6 : 0));
    }
    uint64_t t0 = g->next_table;
    if ((lpae ? gen_lpae(g, j, nmaps, true) : gen_short(g, j, nmaps, n, true, false)) != 0)
        return -1;
    s2_map_tables(g, &s2, t0, g->next_table, 0);
    j->hcr = HCR_VM; /* RW=0: EL1 is AArch32 */
    return 0;
}

int gen_el10_job(struct ogen *g, struct ojob *j, const unsigned *gi, uint32_t nmaps, bool ds)
{
    j->hcr = HCR_RW;
    return gen_s1(g, j, gi, 0, 6, nmaps, NULL, ds, 0);
}

int gen_el2_job(struct ogen *g, struct ojob *j, const unsigned *gi, uint32_t nmaps, bool ds,
                bool e2h)
{
    j->hcr = HCR_RW | (e2h ? HCR_E2H | HCR_TGE : 0);
    return gen_s1(g, j, gi, 0, 6, nmaps, NULL, ds, e2h ? 1 : 2);
}
