/* SPDX-License-Identifier: MIT */
/* enum.c — armvmi_enum_ranges(): every mapped range of an address space, coalesced, bounded. */
#include <stdlib.h>
#include <string.h>

#include "arch/arch_priv.h"

#define ENUM_DEFAULT_MAX_TABLES (1ull << 20)
#define ENUM_CHUNK 4096u                /* stage-2 pages are at least this large */
#define ENUM_MAX_START_BYTES (1u << 20) /* 64K granule, 16 concatenated tables of 8192 entries */
#define ENUM_LEVEL_BYTES 65536u

struct ectx {
    const struct armvmi_tt_config *cfg;
    struct walk_ctx w;
    struct armvmi_translation scratch; /* receives stage-2 walks and translations */
    armvmi_range_fn cb;
    void *arg;
    struct armvmi_enum_stats *st;
    uint64_t max_tables;
    struct armvmi_range cur;
    bool have;
    int stopped; /* 1: callback stopped; 2: table budget exhausted */
    uint8_t *start_buf;
    uint8_t *level_buf[4]; /* levels 0..3 below the start level */
    uint64_t lo, hi;       /* input-address window of the current root */
    uint64_t s2_lookups;   /* combined regime: bounded by 64 * max_tables */
    unsigned s2_gran;      /* stage-2 granule shift (combined regime) */
    bool nomem;
};

static bool same_attrs(const struct armvmi_range *a, const struct armvmi_range *b)
{
    return a->page_size == b->page_size && a->level == b->level && a->perm_el0 == b->perm_el0 &&
           a->perm_el1 == b->perm_el1 && a->s2_perm == b->s2_perm && a->attrindx == b->attrindx &&
           a->attr == b->attr && a->sh == b->sh && a->domain == b->domain && a->ns == b->ns &&
           a->ng == b->ng;
}

static void flush(struct ectx *e)
{
    if (!e->have || e->stopped)
        return;
    e->have = false;
    e->st->ranges++;
    if (e->cb && e->cb(e->arg, &e->cur) != 0)
        e->stopped = 1;
}

static void emit(struct ectx *e, const struct armvmi_range *r)
{
    if (e->stopped)
        return;
    if (e->have && e->cur.va + e->cur.size == r->va && e->cur.pa + e->cur.size == r->pa &&
        e->cur.ipa + e->cur.size == r->ipa && same_attrs(&e->cur, r)) {
        e->cur.size += r->size;
        return;
    }
    flush(e);
    if (e->stopped)
        return;
    e->cur = *r;
    e->have = true;
}

static bool spend_table(struct ectx *e)
{
    if (e->st->tables >= e->max_tables) {
        e->st->truncated = true;
        e->stopped = 2;
        return false;
    }
    e->st->tables++;
    return true;
}

/* Report [va, va+size) whose stage-1 result is t (t->ipa is the output of va), clipped to
 * the root's window and, in the combined regime, split along stage-2 mappings. */
static void emit_leaf(struct ectx *e, uint64_t va, uint64_t size,
                      const struct armvmi_translation *t)
{
    uint64_t ipa = t->ipa;
    if (va + (size - 1) < e->lo || va > e->hi)
        return;
    if (va < e->lo) {
        ipa += e->lo - va;
        size -= e->lo - va;
        va = e->lo;
    }
    if (va + (size - 1) > e->hi)
        size = e->hi - va + 1;
    struct armvmi_range r = {
        .va = va,
        .ipa = ipa,
        .pa = ipa,
        .size = size,
        .page_size = t->size,
        .level = t->level,
        .perm_el0 = t->perm_el0,
        .perm_el1 = t->perm_el1,
        .s2_perm = t->s2_perm,
        .attrindx = t->attrindx,
        .attr = t->attr,
        .sh = t->sh,
        .domain = t->domain,
        .ns = t->ns,
        .ng = t->ng,
    };
    if (!e->cfg->stage2) {
        emit(e, &r);
        return;
    }
    /* Combined regime: one stage-2 walk per stage-2 leaf; holes are skipped chunk by chunk. */
    uint64_t off = 0;
    while (off < size && !e->stopped) {
        struct armvmi_translation *s = &e->scratch;
        s->nsteps = 0;
        s->size = ~0ull;
        uint64_t piece;
        if (++e->s2_lookups > e->max_tables * 64) {
            e->st->truncated = true;
            e->stopped = 2;
            return;
        }
        struct walk_fault f = arch_stage2_output(&e->w, ipa + off, 0);
        if (f.kind != ARMVMI_FAULT_NONE) {
            /* skip the span of the descriptor that faulted or could not be read: every IPA
             * in it meets the same descriptor (at least one stage-2 page) */
            uint64_t span = ENUM_CHUNK;
            if (e->s2_gran && f.level >= 0 && f.level <= 3)
                span = 1ull << (e->s2_gran + (unsigned)(3 - f.level) * (e->s2_gran - 3));
            piece = span - ((ipa + off) & (span - 1));
        } else {
            uint64_t s2size = s->size;
            piece = s2size - ((ipa + off) & (s2size - 1));
            struct armvmi_range q = r;
            q.va = va + off;
            q.ipa = ipa + off;
            q.pa = s->pa;
            q.s2_perm = s->s2_perm;
            if (s2size < q.page_size)
                q.page_size = s2size;
            q.size = piece < size - off ? piece : size - off;
            emit(e, &q);
        }
        off += piece;
    }
}

/* Read a whole stage-1 table; in the combined regime each 4K chunk goes through stage 2 and
 * an unreadable chunk reads as invalid entries. Returns false if nothing could be read. */
static bool read_table(struct ectx *e, uint64_t addr, uint32_t len, uint8_t *buf)
{
    if (!e->cfg->stage2)
        return e->w.read(e->w.rctx, addr, buf, len) == 0;
    bool any = false;
    for (uint32_t o = 0; o < len; o += ENUM_CHUNK) {
        uint32_t n = len - o < ENUM_CHUNK ? len - o : ENUM_CHUNK;
        struct armvmi_translation *s = &e->scratch;
        s->nsteps = 0;
        s->size = ~0ull;
        struct walk_fault f = arch_stage2_output(&e->w, addr + o, ARMVMI_ACC_READ);
        if (f.kind == ARMVMI_FAULT_NONE && e->w.read(e->w.rctx, s->pa, buf + o, n) == 0) {
            any = true;
        } else {
            memset(buf + o, 0, n);
            e->st->bad++;
        }
    }
    return any;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Depth-first walk of one long-descriptor table (at most five levels deep). */
static void ld_enum(struct ectx *e, const struct ld_params *p, uint64_t table, int level,
                    uint64_t va_base, const struct ld_leaf *acc)
{
    if (e->stopped || !spend_table(e))
        return;
    const unsigned stride = p->gran - 3;
    const unsigned shift = p->gran + (unsigned)(3 - level) * stride;
    const unsigned bits = level == p->start ? p->inbits - shift : stride;
    const uint32_t n = 1u << bits;
    uint8_t *buf = level == p->start ? e->start_buf : e->level_buf[level];
    if (!read_table(e, table, n * 8, buf)) {
        e->st->bad++;
        return;
    }
    const uint64_t span = 1ull << shift;
    for (uint32_t i = 0; i < n && !e->stopped; i++) {
        const uint64_t d = le64(buf + 8ull * i);
        const uint64_t va = va_base | ((uint64_t)i << shift);
        if (!(d & ARMVMI_DESC_VALID) || va + (span - 1) < e->lo || va > e->hi)
            continue;
        if (level < 3 && (d & ARMVMI_DESC_TABLE)) {
            uint64_t next = ld_desc_addr(p, d, p->gran);
            if (p->oabits < 64 && (next >> p->oabits) != 0) {
                e->st->bad++;
                continue;
            }
            struct ld_leaf sub = *acc;
            ld_table_bits(p, d, &sub);
            ld_enum(e, p, next, level + 1, va, &sub);
            continue;
        }
        if ((level == 3 && !(d & ARMVMI_DESC_TABLE)) || (level < 3 && !ld_block_allowed(p, level)))
            continue;
        const uint64_t oa = ld_desc_addr(p, d, shift);
        if ((p->oabits < 64 && (oa >> p->oabits) != 0) || (!(d & ARMVMI_DESC_AF) && !p->ha))
            continue;
        e->st->leaves++;
        struct ld_leaf l = *acc;
        l.oa = oa;
        l.desc = d;
        l.size = span;
        l.level = level;
        struct armvmi_translation *t = &e->scratch;
        memset(t, 0, offsetof(struct armvmi_translation, steps));
        arch_ld_fill(t, p, &l, e->cfg->mair);
        if (p->stage2)
            t->s2_perm = t->perm_el0 = t->perm_el1 = arch_s2_perms(d, p);
        else
            ld_s1_perms(p, &l, e->cfg->sctlr, &t->perm_el1, &t->perm_el0);
        struct armvmi_translation copy = *t; /* emit_leaf reuses scratch for stage 2 */
        emit_leaf(e, va, span, &copy);
    }
}

/* One root of a long-descriptor regime: the window [lo, hi] and the upper bits of its VAs. */
static void ld_root(struct ectx *e, const struct ld_params *p, uint64_t lo, uint64_t hi,
                    uint64_t va_base)
{
    struct ld_leaf acc;
    memset(&acc, 0, sizeof(acc));
    e->lo = lo;
    e->hi = hi;
    /* buffers sized for this geometry: the start table(s) and one table per lower level */
    const unsigned shift = p->gran + (unsigned)(3 - p->start) * (p->gran - 3);
    const size_t start_bytes = (size_t)8 << (p->inbits - shift);
    const size_t level_bytes = (size_t)1 << p->gran;
    if (start_bytes > ENUM_MAX_START_BYTES || level_bytes > ENUM_LEVEL_BYTES) {
        e->st->bad++;
        return;
    }
    uint8_t *mem = malloc(start_bytes + 4 * level_bytes);
    if (!mem) {
        e->nomem = true;
        e->stopped = 2;
        return;
    }
    e->start_buf = mem;
    for (int i = 0; i < 4; i++)
        e->level_buf[i] = mem + start_bytes + (size_t)i * level_bytes;
    ld_enum(e, p, p->base, p->start, va_base, &acc);
    free(mem);
    e->start_buf = NULL;
}

static void enum_a64(struct ectx *e)
{
    const struct armvmi_tt_config *c = e->cfg;
    struct ld_params p;
    if (c->regime == ARMVMI_REGIME_STAGE2) {
        if (a64_s2_setup(c, 0, &p).kind == ARMVMI_FAULT_NONE)
            ld_root(e, &p, 0, (1ull << p.inbits) - 1, 0);
        return;
    }
    if (a64_s1_setup(c, 0, &p).kind == ARMVMI_FAULT_NONE)
        ld_root(e, &p, 0, (1ull << p.inbits) - 1, 0);
    flush(e);
    if (c->regime != ARMVMI_REGIME_EL2 && a64_s1_setup(c, ~0ull, &p).kind == ARMVMI_FAULT_NONE)
        ld_root(e, &p, ~0ull << p.inbits, ~0ull, ~0ull << p.inbits);
}

static void enum_lpae(struct ectx *e)
{
    const struct armvmi_tt_config *c = e->cfg;
    const unsigned t0 = (unsigned)FIELD(c->tcr, 0, 3), t1 = (unsigned)FIELD(c->tcr, 16, 3);
    /* Arm ARM, Long-descriptor TTBR0 and TTBR1 regions for TTBCR.T0SZ/T1SZ. */
    const uint64_t lo1 = t1   ? 0x100000000ull - (1ull << (32 - t1))
                         : t0 ? 1ull << (32 - t0)
                              : 0x100000000ull;
    const uint64_t hi0 = t0 ? (1ull << (32 - t0)) - 1 : lo1 - 1;
    struct ld_params p;
    if (a32_lpae_setup(c, 0, &p).kind == ARMVMI_FAULT_NONE)
        ld_root(e, &p, 0, hi0, 0);
    flush(e);
    if (lo1 < 0x100000000ull && a32_lpae_setup(c, 0xffffffffu, &p).kind == ARMVMI_FAULT_NONE)
        ld_root(e, &p, lo1, 0xffffffffull, lo1 & ~((1ull << p.inbits) - 1) & 0xffffffffull);
}

/* The stage-1 short-descriptor result for va in e->scratch (table reads through stage 2). */
static struct walk_fault short_s1(struct ectx *e, uint32_t va)
{
    struct armvmi_translation *t = &e->scratch;
    memset(t, 0, offsetof(struct armvmi_translation, steps));
    t->nsteps = 0;
    t->va = va;
    t->s2_level = -2;
    return a32_short_walk(&e->w, va);
}

/* True if the stage-1 level-1 descriptor seen by the last short_s1() is a page table. */
static bool short_l1_is_table(const struct armvmi_translation *t)
{
    for (unsigned i = 0; i < t->nsteps; i++)
        if (t->steps[i].stage == 1 && t->steps[i].level == 1)
            return (t->steps[i].desc & 3) == 1;
    return false;
}

/* Short-descriptor: one walk per 1MB slot, and per 4K slot under a page table. */
static void enum_short(struct ectx *e)
{
    struct armvmi_translation *t = &e->scratch;
    e->lo = 0;
    e->hi = 0xffffffffull;
    for (uint64_t va = 0; va < 0x100000000ull && !e->stopped; va += 0x100000) {
        struct walk_fault f = short_s1(e, (uint32_t)va);
        if (short_l1_is_table(t)) {
            if (!spend_table(e))
                return;
            for (uint64_t pg = va; pg < va + 0x100000 && !e->stopped; pg += 0x1000) {
                if (short_s1(e, (uint32_t)pg).kind != ARMVMI_FAULT_NONE)
                    continue;
                struct armvmi_translation copy = *t;
                e->st->leaves++;
                emit_leaf(e, pg, 0x1000, &copy);
            }
            continue;
        }
        if (f.kind == ARMVMI_FAULT_NONE) { /* a section, or 1MB of a supersection */
            struct armvmi_translation copy = *t;
            e->st->leaves++;
            emit_leaf(e, va, 0x100000, &copy);
        }
    }
}

int armvmi_enum_ranges(const struct armvmi_tt_config *cfg, armvmi_read_phys_fn read, void *ctx,
                       uint64_t max_tables, armvmi_range_fn cb, void *arg,
                       struct armvmi_enum_stats *stats)
{
    struct armvmi_enum_stats dummy;
    if (!cfg || !read || cfg->regime > ARMVMI_REGIME_A32_LPAE)
        return -ARMVMI_EINVAL;
    struct ectx *e = calloc(1, sizeof(*e));
    if (!e)
        return -ARMVMI_ENOMEM;
    e->cfg = cfg;
    e->w = (struct walk_ctx){.cfg = cfg, .read = read, .rctx = ctx, .out = &e->scratch};
    e->cb = cb;
    e->arg = arg;
    e->st = stats ? stats : &dummy;
    memset(e->st, 0, sizeof(*e->st));
    e->max_tables = max_tables ? max_tables : ENUM_DEFAULT_MAX_TABLES;

    struct ld_params p2;
    if (cfg->stage2 && a64_s2_setup(cfg, 0, &p2).kind == ARMVMI_FAULT_NONE)
        e->s2_gran = p2.gran;
    if (cfg->regime == ARMVMI_REGIME_A32_SHORT)
        enum_short(e);
    else if (cfg->regime == ARMVMI_REGIME_A32_LPAE)
        enum_lpae(e);
    else
        enum_a64(e);
    if (e->stopped == 2) { /* budget exhausted: still report what was found */
        e->stopped = 0;
        flush(e);
        e->stopped = 2;
    } else {
        flush(e);
    }
    int rc = e->nomem ? -ARMVMI_ENOMEM : e->stopped == 1 ? -ARMVMI_EINTR : 0;
    free(e);
    return rc;
}
