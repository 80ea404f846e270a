/* SPDX-License-Identifier: MIT */
/* ogen_ld.c — random long-descriptor translation tables (VMSAv8-64 stage 1/2, AArch32 LPAE). */
#include "ogen_ld.h"

#define M64(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

static unsigned ldg_shift(const struct ldgen *l, int level)
{
    return l->gran + (unsigned)(3 - level) * (l->gran - 3);
}

uint64_t ldg_level_size(const struct ldgen *l, int level)
{
    return 1ull << ldg_shift(l, level);
}

uint64_t ldg_root_size(const struct ldgen *l)
{
    return 8ull << (l->inbits - ldg_shift(l, l->start));
}

int ldg_alloc_root(struct ogen *g, struct ldgen *l)
{
    uint64_t sz = ldg_root_size(l);
    l->root = og_alloc_table(g, sz, sz < 64 ? 64 : sz);
    return l->root ? 0 : -1;
}

bool ldg_block_ok(const struct ldgen *l, int level)
{
    if (l->gran == 12)
        return level == 1 || level == 2 || (level == 0 && l->ds);
    if (l->gran == 14)
        return level == 2 || (level == 1 && l->ds);
    return level == 2 || (level == 1 && l->lpa64);
}

uint64_t ldg_encode(const struct ldgen *l, uint64_t a)
{
    if (l->ds)
        return (a & M64(49, 12)) | (((a >> 50) & 3) << 8);
    if (l->lpa64)
        return (a & M64(47, 16)) | (((a >> 48) & 15) << 12);
    return a & M64(47, 12);
}

static uint64_t ldg_decode(const struct ldgen *l, uint64_t d)
{
    if (l->ds)
        return (d & M64(49, l->gran)) | (((d >> 8) & 3) << 50);
    if (l->lpa64)
        return (d & M64(47, 16)) | (((d >> 12) & 15) << 48);
    return d & M64(47, l->gran);
}

/* Random hierarchical attributes for a new stage-1 table descriptor. */
static uint64_t ldg_table_bits(struct ogen *g, const struct ldgen *l)
{
    if (l->stage2 || l->plain_tables || !og_pct(g, 30))
        return 0;
    return og_rand(g) & (0xfull << 59); /* PXNTable, XNTable, APTable[1:0] */
}

uint64_t ldg_slot(struct ogen *g, const struct ldgen *l, uint64_t ia, int level)
{
    uint64_t table = l->root;
    for (int lv = l->start; lv <= 3; lv++) {
        unsigned shift = ldg_shift(l, lv);
        unsigned bits = lv == l->start ? l->inbits - shift : l->gran - 3;
        uint64_t slot = table + ((ia >> shift) & ((1ull << bits) - 1)) * 8;
        if (lv == level)
            return slot;
        uint64_t d = og_r64(g, slot);
        if (d == 0) {
            uint64_t bad = 0;
            if (og_pct(g, l->bad_pct)) {
                /* a table outside RAM (external abort) or above the PA size */
                if (og_pct(g, 50) || l->oabits >= l->fmtbits)
                    bad = 0x80000000ull + (og_below(g, 0x7fff0000ull) & ~0xffffull);
                else
                    bad = (1ull << l->oabits) + (og_below(g, 1ull << l->oabits) & ~0xffffull);
            }
            if (bad) {
                og_w64(g, slot, ldg_encode(l, bad) | 3 | ldg_table_bits(g, l));
                return 0;
            }
            uint64_t sz = 1ull << l->gran;
            uint64_t t = og_alloc_table(g, sz, sz);
            if (!t)
                return 0;
            og_w64(g, slot, ldg_encode(l, t + l->ipa_off) | 3 | ldg_table_bits(g, l));
            table = t;
            continue;
        }
        if ((d & 3) != 3)
            return 0; /* a leaf or invalid entry is in the way */
        uint64_t next = ldg_decode(l, d) - l->ipa_off;
        if (next < ORACLE_TABLE_PA || !og_in_ram(next, 1ull << l->gran))
            return 0; /* a broken table */
        table = next;
    }
    return 0;
}

uint64_t ldg_rand_oa(struct ogen *g, const struct ldgen *l, uint64_t size)
{
    unsigned bits = og_pct(g, 75) ? l->oabits : l->fmtbits;
    if (bits > l->fmtbits)
        bits = l->fmtbits;
    uint64_t oa = og_rand(g) & ((bits >= 64 ? 0 : (1ull << bits)) - 1);
    return oa & ~(size - 1);
}

uint64_t ldg_leaf(struct ogen *g, const struct ldgen *l, int level, uint64_t oa)
{
    uint64_t d = ldg_encode(l, oa) | 1 | (level == 3 ? 2 : 0);
    uint64_t r = og_rand(g);
    if (og_pct(g, 90))
        d |= 1ull << 10; /* AF */
    if (l->stage2) {
        d |= r & 0x3fcull;     /* MemAttr[5:2], S2AP[7:6], SH[9:8] */
        d |= r & (3ull << 53); /* XN[1:0] */
    } else {
        d |= r & 0xffcull & ~(1ull << 10); /* AttrIndx, NS, AP, SH, nG */
        d |= r & (7ull << 52);             /* Contiguous, PXN, UXN */
        if (!l->a32)
            d |= r & (1ull << 51); /* DBM (no effect without TCR.HD) */
    }
    if (l->ds)
        d = (d & ~(3ull << 8)) | (((oa >> 50) & 3) << 8);
    return d;
}

int ldg_map_random(struct ogen *g, const struct ldgen *l, uint64_t ia, uint64_t oa_fixed)
{
    int levels[6], n = 0;
    for (int lv = l->start; lv <= 3; lv++)
        if (lv == 3 || ldg_block_ok(l, lv))
            levels[n++] = lv;
    int level = levels[og_below(g, (uint64_t)n)];
    /* QEMU 7.2 accepts block descriptors at levels where the architecture forbids them (4K
     * level 0 without DS, 16K level 1 without DS); the walker follows the architecture (unit
     * tests), so the oracle does not generate them. See README.md. */
    bool broken = og_pct(g, 6);
    uint64_t slot = ldg_slot(g, l, ia, level);
    if (!slot || og_r64(g, slot) != 0)
        return -9;
    uint64_t size = ldg_level_size(l, level);
    uint64_t oa = oa_fixed != ~0ull ? (oa_fixed & ~(size - 1)) : ldg_rand_oa(g, l, size);
    uint64_t d = ldg_leaf(g, l, level, oa);
    if (broken) {
        if (og_pct(g, 50))
            d &= ~1ull; /* invalid */
        else if (level == 3)
            d &= ~2ull; /* reserved 0b01 at level 3 */
    }
    og_w64(g, slot, d);
    return level;
}
