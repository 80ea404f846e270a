/* SPDX-License-Identifier: MIT */
/* ogen_a32.c — random AArch32 translation tables (short-descriptor and LPAE) for the oracle. */
#include <stdlib.h>
#include <string.h>

#include "ogen_a32.h"
#include "ogen_ld.h"

#define SCTLR_BASE 0x00c50078ull /* Cortex-A15 reset value, MMU off */
#define SCTLR_M 1ull
#define SCTLR_WXN (1ull << 19)
#define SCTLR_UWXN (1ull << 20)
#define SCTLR_TRE (1ull << 28)
#define SCTLR_AFE (1ull << 29)
#define TTBCR_EAE (1ull << 31)
#define OUTSIDE_RAM 0x80000000u

/* ---- short-descriptor tables ---- */

struct sdgen {
    unsigned n;
    uint32_t dacr;
    uint32_t l1[2]; /* L1 tables of TTBR0 and TTBR1 */
};

static uint32_t sd_rand_ap_bits_section(struct ogen *g)
{
    uint32_t r = (uint32_t)og_rand(g);
    /* B, C, XN, IMP, AP[1:0], TEX, AP[2], S, nG, NS; PXN in bit 0 */
    return r & ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (3u << 10) | (7u << 12) |
                (1u << 15) | (1u << 16) | (1u << 17) | (1u << 19));
}

/* L1 slot of va; NULL-equivalent 0 if none. */
static uint64_t sd_l1_slot(const struct sdgen *s, uint32_t va)
{
    bool hi = s->n && (va >> (32 - s->n)) != 0;
    uint32_t idx = hi ? va >> 20 : (va >> 20) & ((1u << (12 - s->n)) - 1);
    return (uint64_t)s->l1[hi] + idx * 4ull;
}

/* DACR field of a domain: 1 Client, 3 Manager, 0/2 No access. */
static unsigned sd_dacr(const struct sdgen *s, uint32_t domain)
{
    return (s->dacr >> (2 * (domain & 15))) & 3;
}

/* Small pages filling a whole level-2 table (used under No-access domains, see below). */
static void sd_fill_l2(struct ogen *g, uint64_t l2)
{
    for (int i = 0; i < 256; i++)
        og_w32(g, l2 + 4ull * i,
               ((uint32_t)og_rand(g) & 0xfffff000u) | 2 | (1u << 4) |
                   ((uint32_t)og_rand(g) & ((1u << 0) | (3u << 2) | (1u << 5) | (7u << 6) |
                                            (1u << 9) | (1u << 10) | (1u << 11))));
}

/*
 * QEMU 7.2 checks the domain before the Access flag and, for a page table, before it fetches
 * the level-2 descriptor; the architecture (TranslationTableWalkSD, then CheckDomain) faults
 * an AF=0, invalid or unreadable descriptor first. So the generator keeps AP[0]=1 outside
 * Client domains and gives No-access page tables a full, readable level-2 table.
 */
static void sd_map(struct ogen *g, const struct sdgen *s, uint32_t va, bool oa32)
{
    uint64_t slot = sd_l1_slot(s, va);
    uint32_t d = og_r32(g, slot);
    unsigned kind = (unsigned)og_below(g, 100);
    uint32_t dom = (uint32_t)og_below(g, 16) << 5;
    if (d == 0) {
        if (kind < 25) { /* section */
            uint32_t oa = (uint32_t)og_rand(g) & 0xfff00000u;
            d = oa | 2 | sd_rand_ap_bits_section(g) | dom;
            if (sd_dacr(s, dom >> 5) != 1)
                d |= 1u << 10;
            if (og_pct(g, 5))
                d &= ~3u; /* invalid */
            og_w32(g, slot, d);
            return;
        }
        if (kind < 40) { /* supersection: 16 identical entries */
            uint64_t first = slot & ~(uint64_t)63;
            for (int i = 0; i < 16; i++)
                if (og_r32(g, first + 4 * i))
                    return;
            uint32_t oa = (uint32_t)og_rand(g) & 0xff000000u;
            d = oa | 2 | (1u << 18) | (sd_rand_ap_bits_section(g) & ~(0xfu << 5));
            if (sd_dacr(s, 0) != 1) /* supersections are in domain 0 */
                d |= 1u << 10;
            if (!oa32) /* PA[35:32] and PA[39:36] */
                d |= ((uint32_t)og_below(g, 16) << 20) | ((uint32_t)og_below(g, 16) << 5);
            for (int i = 0; i < 16; i++)
                og_w32(g, first + 4 * i, d);
            return;
        }
        /* page table */
        const bool noaccess = !(sd_dacr(s, dom >> 5) & 1);
        /* a level-2 table outside RAM (under stage 2 it may land on arbitrary RAM contents,
         * hence Client domains only, where QEMU also checks AF first) */
        uint64_t l2 = og_pct(g, 2) && sd_dacr(s, dom >> 5) == 1
                          ? OUTSIDE_RAM + (og_below(g, 1u << 20) << 10)
                          : og_alloc_table(g, 1024, 1024);
        if (!l2)
            return;
        uint32_t pxn_ns = (uint32_t)og_rand(g) & 0xc;
        d = (uint32_t)l2 | 1 | pxn_ns | dom;
        og_w32(g, slot, d);
        if (noaccess)
            sd_fill_l2(g, l2);
        if (l2 >= OUTSIDE_RAM)
            return;
    }
    if ((d & 3) != 1 || (d & 0xfffffc00u) >= OUTSIDE_RAM)
        return;
    uint64_t l2 = d & 0xfffffc00u;
    uint64_t s2 = l2 + ((va >> 12) & 0xff) * 4;
    if (og_r32(g, s2))
        return;
    uint32_t r = (uint32_t)og_rand(g);
    if (sd_dacr(s, (d >> 5) & 15) != 1)
        r |= 1u << 4;    /* AP[0] */
    if (og_pct(g, 30)) { /* large page: 16 identical entries */
        uint64_t first = s2 & ~(uint64_t)63;
        for (int i = 0; i < 16; i++)
            if (og_r32(g, first + 4 * i))
                return;
        uint32_t e = ((uint32_t)og_rand(g) & 0xffff0000u) | 1 |
                     (r & ((1u << 2) | (1u << 3) | (3u << 4) | (1u << 9) | (1u << 10) | (1u << 11) |
                           (7u << 12) | (1u << 15)));
        for (int i = 0; i < 16; i++)
            og_w32(g, first + 4 * i, e);
        return;
    }
    uint32_t e = ((uint32_t)og_rand(g) & 0xfffff000u) | 2 |
                 (r & ((1u << 0) | (1u << 2) | (1u << 3) | (3u << 4) | (7u << 6) | (1u << 9) |
                       (1u << 10) | (1u << 11)));
    if (og_pct(g, 5))
        e &= ~3u;
    og_w32(g, s2, e);
}

int gen_short(struct ogen *g, struct ojob *j, uint32_t nmaps, unsigned n, bool oa32, bool pl1)
{
    struct sdgen s;
    s.n = n; /* every TTBCR.N from 0 to 7, twice */
    uint64_t sz0 = 16384u >> s.n;
    s.l1[0] = (uint32_t)og_alloc_table(g, sz0, sz0);
    s.l1[1] = (uint32_t)og_alloc_table(g, 16384, 16384);
    if (!s.l1[0] || !s.l1[1])
        return -1;
    /* PD0/PD1 belong to the Security Extensions, which QEMU's virt board (secure=off) does
     * not have: QEMU ignores them, the walker honours them. Not generated; see README.md. */
    j->tcr = s.n;
    j->ttbr0 = s.l1[0] | (og_rand(g) & 0x7b & ~0ull); /* IRGN/S/RGN/NOS bits */
    j->ttbr1 = s.l1[1] | (og_rand(g) & 0x7b);
    uint32_t dacr = 0;
    for (int d = 0; d < 16; d++) {
        /* QEMU 7.2 aborts (arm_fi_to_lfsc) on a Domain fault of an ATS1C* operation issued
         * from Hyp mode, so there domains are Client or Manager; at PL1 (pl1) they may also
         * be No access or reserved. See README.md. */
        static const uint32_t hyp[8] = {1, 1, 1, 1, 1, 3, 3, 1};
        static const uint32_t pl1d[8] = {1, 1, 1, 1, 3, 0, 0, 2};
        dacr |= (pl1 ? pl1d : hyp)[og_below(g, 8)] << (2 * d);
    }
    if (pl1) /* domain 15: the program's own identity map, Manager */
        dacr |= 3u << 30;
    j->dacr = dacr;
    s.dacr = dacr;
    j->mair = og_rand(g); /* PRRR/NMRR */
    j->sctlr = SCTLR_BASE | SCTLR_M | (og_pct(g, 50) ? SCTLR_AFE : 0) |
               (og_pct(g, 30) ? SCTLR_TRE : 0) | (og_pct(g, 15) && !pl1 ? SCTLR_WXN : 0) |
               (og_pct(g, 15) ? SCTLR_UWXN : 0);
    if (pl1) {
        /* The program runs with this MMU on: identity sections for [RAM base, table area),
         * PL1 read/write (AP=001, so also with AFE=1), Normal memory, executable. */
        for (uint32_t v = (uint32_t)ORACLE_RAM_BASE; v < (uint32_t)ORACLE_TABLE_PA; v += 0x100000)
            og_w32(g, sd_l1_slot(&s, v),
                   v | 2u | (15u << 5) | (1u << 10) | (1u << 12) | (1u << 3) | (1u << 2));
    }
    uint32_t base[8], span[8];
    for (int c = 0; c < 8; c++) {
        span[c] = 1u << (12 + og_below(g, 21));
        base[c] = (uint32_t)og_rand(g) & ~(span[c] - 1);
        if (c < 2 && s.n) /* make sure both TTBRs get traffic */
            base[c] = c ? base[c] | 0x80000000u : base[c] & (0xffffffffu >> s.n) & ~(span[c] - 1);
    }
    uint64_t *va = og_job_vas(g, j);
    uint32_t *mapped = calloc(nmaps, sizeof(uint32_t));
    for (uint32_t i = 0; i < nmaps; i++) {
        int c = (int)og_below(g, 8);
        mapped[i] = base[c] + (uint32_t)og_below(g, span[c]);
        sd_map(g, &s, mapped[i], oa32);
    }
    for (uint32_t i = 0; i < j->nva; i++) {
        uint64_t r = og_below(g, 100);
        if (r < 70)
            va[i] = (uint32_t)(mapped[og_below(g, nmaps)] + og_below(g, 1u << 16));
        else if (r < 90) {
            int c = (int)og_below(g, 8);
            va[i] = base[c] + (uint32_t)og_below(g, span[c]);
        } else
            va[i] = (uint32_t)og_rand(g);
    }
    free(mapped);
    return 0;
}

/* ---- LPAE ---- */

int gen_lpae(struct ogen *g, struct ojob *j, uint32_t nmaps, bool oa32)
{
    unsigned tsz[2] = {(unsigned)og_below(g, 8), (unsigned)og_below(g, 8)};
    if (og_pct(g, 25))
        tsz[1] = 0;
    if (og_pct(g, 15))
        tsz[0] = 0;
    struct ldgen l[2];
    for (int n = 0; n < 2; n++) {
        memset(&l[n], 0, sizeof(l[n]));
        l[n].gran = 12;
        l[n].a32 = true;
        l[n].oabits = l[n].fmtbits = oa32 ? 32 : 40;
        l[n].bad_pct = 2;
        l[n].inbits = 32 - tsz[n];
        l[n].start = l[n].inbits > 30 ? 1 : 2;
        if (ldg_alloc_root(g, &l[n]))
            return -1;
    }
    j->tcr = TTBCR_EAE | tsz[0] | (uint64_t)tsz[1] << 16 | (og_pct(g, 4) ? 1u << 7 : 0) |
             (og_pct(g, 4) ? 1u << 23 : 0) | (og_rand(g) & ((0x3full << 8) | (0x3full << 24)));
    j->ttbr0 = l[0].root | (og_rand(g) & (0xffull << 48));
    j->ttbr1 = l[1].root | (og_rand(g) & (0xffull << 48));
    j->mair = og_rand(g);
    j->sctlr =
        SCTLR_BASE | SCTLR_M | (og_pct(g, 15) ? SCTLR_WXN : 0) | (og_pct(g, 15) ? SCTLR_UWXN : 0);
    /* TTBR0 region: VA < 2^(32-T0SZ) (everything if T0SZ=0); TTBR1: the top 2^(32-T1SZ). */
    uint64_t *va = og_job_vas(g, j);
    uint32_t *mapped = calloc(nmaps, sizeof(uint32_t));
    uint32_t base[8], span[8];
    for (int c = 0; c < 8; c++) {
        int n = c & 1;
        span[c] = 1u << (12 + og_below(g, l[n].inbits - 12 + 1));
        uint64_t b = og_rand(g) & ((1ull << l[n].inbits) - 1) & ~(uint64_t)(span[c] - 1);
        base[c] = n ? (uint32_t)(b | (0xffffffffull << l[n].inbits)) : (uint32_t)b;
    }
    for (uint32_t i = 0; i < nmaps; i++) {
        int c = (int)og_below(g, 8);
        mapped[i] = base[c] + (uint32_t)og_below(g, span[c]);
        ldg_map_random(g, &l[c & 1], mapped[i], ~0ull);
    }
    for (uint32_t i = 0; i < j->nva; i++) {
        uint64_t r = og_below(g, 100);
        if (r < 70)
            va[i] = (uint32_t)(mapped[og_below(g, nmaps)] + og_below(g, 1u << 16));
        else if (r < 90) {
            int c = (int)og_below(g, 8);
            va[i] = base[c] + (uint32_t)og_below(g, span[c]);
        } else
            va[i] = (uint32_t)og_rand(g);
    }
    free(mapped);
    return 0;
}
