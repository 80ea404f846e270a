/* SPDX-License-Identifier: MIT */
/* kallsyms.c — the kernel's kallsyms tables located, checked and decoded in a copy of its image
 * (pure: no target access; syms_read.c reads the image from guest memory). */
#include <stdlib.h>
#include <string.h>

#include "ksyms_priv.h"

/* Bounds on hostile tables. */
#define MAX_SYMS (1u << 22)        /* kallsyms_num_syms; the kernel's index is 3 bytes since 6.2 */
#define MAX_NAME 1024              /* expanded name incl. type (KSYM_NAME_LEN is 512 since 6.1) */
#define MAX_TOKEN 256              /* one token of kallsyms_token_table */
#define MIN_MARK_STEP (256u * 2)   /* 256 names of at least a length byte and one token */
#define MAX_MARK_STEP (256u * 514) /* 256 names of a 2-byte length and 512 tokens */

/* token_index at ti and token_table at tt: 256 consecutive NUL-terminated printable tokens. */
static bool check_tokens(const struct img *m, struct kt *t)
{
    if (!in(m, t->ti, 512))
        return false;
    uint64_t expect = 0;
    for (unsigned i = 0; i < 256; i++) {
        uint64_t idx = rd16(m, t->ti + 2 * i);
        if (idx != expect)
            return false;
        uint64_t o = t->tt + idx;
        size_t l = 0;
        for (; l < MAX_TOKEN && in(m, o + l, 1) && m->p[o + l]; l++)
            if (m->p[o + l] < 0x21 || m->p[o + l] > 0x7e)
                return false;
        if (!in(m, o + l, 1) || m->p[o + l])
            return false;
        t->tok[i] = (const char *)m->p + o;
        t->tokl[i] = (uint8_t)l;
        expect = idx + l + 1;
    }
    return true;
}

/* Read the length of the name at *o (one byte, or two as ULEB128 since 6.1). */
bool kt_name_len(const struct img *m, uint64_t *o, uint64_t end, unsigned *len, bool *big)
{
    if (*o >= end || !in(m, *o, 1))
        return false;
    unsigned l = m->p[(*o)++];
    if (l & 0x80) {
        if (*o >= end || !in(m, *o, 1))
            return false;
        l = (l & 0x7f) | (unsigned)m->p[(*o)++] << 7;
        *big = true;
    }
    *len = l;
    return l > 0 && *o + l <= end;
}

/*
 * Walk t->n names from t->names, bounded by end. With t->markers known, every 256th name must
 * start where kallsyms_markers says. With s, store each symbol (addresses filled later).
 * *stop is the offset after the last name. Returns NULL or the reason for failing.
 */
static const char *walk_names(const struct img *m, const struct kt *t, uint64_t end,
                              struct armvmi_linux_syms *s, uint64_t *stop, bool *big)
{
    uint64_t o = t->names;
    char buf[MAX_NAME];
    for (uint32_t i = 0; i < t->n; i++) {
        if (t->markers != NONE && (i & 255) == 0) {
            uint64_t mo = t->markers + 4ull * (i >> 8);
            if (!in(m, mo, 4) || rd32(m, mo) != o - t->names)
                return "kallsyms_markers disagree with kallsyms_names";
        }
        unsigned len;
        if (!kt_name_len(m, &o, end, &len, big))
            return "a kallsyms name is empty or runs past the end of the table";
        if (!s) {
            o += len;
            continue;
        }
        size_t bl = 0;
        for (unsigned k = 0; k < len; k++) {
            uint8_t tk = m->p[o + k];
            if (bl + t->tokl[tk] >= MAX_NAME)
                return "a kallsyms name expands to more than 1024 bytes";
            memcpy(buf + bl, t->tok[tk], t->tokl[tk]);
            bl += t->tokl[tk];
        }
        o += len;
        if (bl < 2)
            return "a kallsyms name expands to no name";
        if (ksyms_add(s, buf + 1, bl - 1, 0, buf[0], ARMVMI_SYM_KALLSYMS))
            return "";
    }
    *stop = o;
    return NULL;
}

/* kallsyms_markers at mk: ceil(n / 256) u32 offsets, the first 0. */
static bool markers_fit(const struct img *m, uint64_t mk, uint32_t n)
{
    uint64_t cnt = (n + 255ull) / 256;
    return in(m, mk, 4 * cnt) && rd32(m, mk) == 0;
}

/* kallsyms_seqs_of_names at o (6.2+): n 3-byte big-endian indices, a permutation of [0, n). */
static bool seqs_ok(const struct img *m, uint64_t o, uint32_t n)
{
    if (o == NONE || !in(m, o, 3ull * n))
        return false;
    uint8_t *seen = calloc((n + 7) / 8, 1);
    if (!seen)
        return false;
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++) {
        const uint8_t *p = m->p + o + 3ull * i;
        uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
        ok = v < n && !(seen[v / 8] & (1u << (v % 8)));
        if (ok)
            seen[v / 8] |= (uint8_t)(1u << (v % 8));
    }
    free(seen);
    return ok;
}

/* Offsets and relative base: in bounds; with check, a kernel-VA base and sorted addresses. */
static bool offsets_ok(const struct img *m, const struct kt *t, bool check)
{
    if (t->offs == NONE || t->rb == NONE || !in(m, t->offs, 4ull * t->n) || !in(m, t->rb, 8))
        return false;
    if (!check)
        return true;
    uint64_t rb = rd64(m, t->rb); /* a kernel VA near the image (it is _text's, or the lowest) */
    if ((rb >> 48) != 0xffff || rb > m->va + m->len || rb + (1ull << 30) < m->va)
        return false;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t v = rd32(m, t->offs + 4ull * i);
        if (v & 0x80000000u)
            return true; /* absolute per-CPU encoding: not sorted as stored */
        if (v < prev)
            return false;
        prev = v;
    }
    return true;
}

/* From markers at mk (count cnt): find num_syms and names before them. */
static bool find_names(const struct img *m, struct kt *t, uint64_t mk, uint64_t cnt)
{
    uint32_t last = rd32(m, mk + 4 * (cnt - 1));
    if ((uint64_t)last + 16 > mk)
        return false;
    uint64_t hi = mk - last - 8; /* num_syms is at least last + 8 bytes before the markers */
    hi -= (m->va + hi) & 7;
    uint64_t lo = hi > (uint64_t)MAX_MARK_STEP + 16 ? hi - MAX_MARK_STEP - 16 : 0;
    for (uint64_t xo = hi; xo >= lo; xo -= 8) {
        uint32_t n = rd32(m, xo);
        if (n > (cnt - 1) * 256 && n <= cnt * 256 && n <= MAX_SYMS) {
            struct kt c = *t;
            c.num = xo;
            c.names = xo + 8;
            c.n = n;
            c.markers = mk;
            uint64_t stop;
            bool big = false;
            if (!walk_names(m, &c, mk, NULL, &stop, &big) && al8(m, stop) == mk) {
                *t = c;
                return true;
            }
        }
        if (xo < 8)
            break;
    }
    return false;
}

/* Markers ending at e: walk back to the 0 that starts them. */
static bool markers_ending(const struct img *m, uint64_t e, uint64_t *mk, uint64_t *cnt)
{
    if (e < 4 || !in(m, e - 4, 4))
        return false;
    uint64_t o = e - 4;
    uint32_t v = rd32(m, o);
    for (unsigned k = 0; k < 65536; k++) {
        if (v == 0) {
            if (al8(m, o) != o)
                return false;
            *mk = o;
            *cnt = (e - o) / 4;
            return true;
        }
        if (o < 4)
            return false;
        uint32_t p = rd32(m, o - 4);
        if (p >= v || v - p < MIN_MARK_STEP || v - p > MAX_MARK_STEP)
            return false;
        o -= 4;
        v = p;
    }
    return false;
}

/* Everything before the token table, the token table at t->tt known. */
static bool find_before_tokens(const struct img *m, struct kt *t)
{
    uint64_t mk, cnt;
    /* markers right before the token table (all but 6.2/6.3), or with seqs_of_names between */
    for (uint64_t e = t->tt; e + 8 > t->tt && e >= 4; e -= 4)
        if (markers_ending(m, e, &mk, &cnt) && find_names(m, t, mk, cnt)) {
            t->seqs = NONE;
            return true;
        }
    uint64_t lo = t->tt > 3ull * MAX_SYMS + 16 ? t->tt - 3ull * MAX_SYMS - 16 : 4;
    for (uint64_t e = t->tt - 8; e >= lo && e >= 4 && e < t->tt; e -= 4) {
        if (!markers_ending(m, e, &mk, &cnt))
            continue;
        uint64_t gap = t->tt - e;
        if (gap < 3 * 256 * (cnt - 1) || gap > 3 * 256 * cnt + 8)
            continue;
        if (find_names(m, t, mk, cnt)) {
            uint64_t sq = al8(m, e);
            if (al8(m, sq + 3ull * t->n) == t->tt && seqs_ok(m, sq, t->n)) {
                t->seqs = sq;
                return true;
            }
        }
    }
    return false;
}

/* Offsets and relative base: after token_index (6.4+) or before num_syms (before 6.4). */
static bool find_offsets(const struct img *m, struct kt *t)
{
    struct kt c = *t;
    c.offs = al8(m, t->ti + 512);
    c.rb = al8(m, c.offs + 4ull * t->n);
    if (offsets_ok(m, &c, true)) {
        *t = c;
        t->seqs = al8(m, c.rb + 8);
        if (!seqs_ok(m, t->seqs, t->n))
            t->seqs = NONE;
        return true;
    }
    if (t->num < 8)
        return false;
    c.rb = t->num - 8;
    uint64_t sz = 4ull * t->n;
    sz = (sz + 7) & ~7ull;
    if (c.rb < sz)
        return false;
    c.offs = c.rb - sz;
    if (!offsets_ok(m, &c, true))
        return false;
    *t = c;
    return true;
}

static bool scan_kallsyms(const struct img *m, struct kt *t)
{
    for (uint64_t p = al8(m, 0); in(m, p, 512); p += 8) {
        if (rd16(m, p) != 0 || rd16(m, p + 2) == 0 || rd16(m, p + 2) > MAX_TOKEN)
            continue;
        uint64_t last = rd16(m, p + 510);
        if (last < 255 || last > p)
            continue;
        /* the last token ends with its NUL right before the (aligned) token_index */
        uint64_t z = p; /* the last token's NUL is at z, then up to 7 bytes of padding */
        while (z > 0 && p - z <= 8 && m->p[z - 1] == 0)
            z--;
        if (z == p || p - z > 8 || z == 0)
            continue;
        uint64_t q = z; /* the last token is [q, z) */
        while (q > 0 && z - q < MAX_TOKEN && m->p[q - 1])
            q--;
        if (q < last)
            continue;
        struct kt c = {.ti = p, .tt = q - last, .offs = NONE, .rb = NONE, .seqs = NONE};
        if (al8(m, c.tt) != c.tt || !check_tokens(m, &c))
            continue;
        if (!find_before_tokens(m, &c) || !find_offsets(m, &c))
            continue;
        *t = c;
        return true;
    }
    return false;
}

/* Locate and check the kallsyms tables into *t: at VMCOREINFO's locations, or by a scan. *at
 * says which. Returns NULL or the reason for failing. */
const char *kt_locate(const struct img *m, const struct armvmi_linux_kallsyms_loc *loc,
                      unsigned flags, struct kt *t_, const char **at)
{
#define t (*t_)
    memset(&t, 0, sizeof(t));
    t.markers = t.seqs = NONE;
    bool from_loc = loc && loc->names && loc->num_syms && loc->token_table && loc->token_index &&
                    loc->offsets && loc->relative_base && !(flags & ARMVMI_LINUX_SYMS_SCAN);
    if (from_loc) {
        const uint64_t va[] = {loc->num_syms,    loc->names,   loc->token_table,
                               loc->token_index, loc->offsets, loc->relative_base};
        uint64_t *off[] = {&t.num, &t.names, &t.tt, &t.ti, &t.offs, &t.rb};
        for (int i = 0; i < 6; i++) {
            if (va[i] < m->va || va[i] - m->va >= m->len)
                return "a kallsyms table VMCOREINFO names lies outside the kernel image read";
            *off[i] = va[i] - m->va;
        }
        if (!in(m, t.num, 4))
            return "kallsyms_num_syms is cut off";
        t.n = rd32(m, t.num);
        if (t.n == 0 || t.n > MAX_SYMS)
            return "kallsyms_num_syms is 0 or implausibly large";
        if (!check_tokens(m, &t))
            return "kallsyms_token_table and kallsyms_token_index are truncated or inconsistent";
        if (!offsets_ok(m, &t, false))
            return "kallsyms_offsets or kallsyms_relative_base are cut off";
        /* the markers follow the names in every layout */
        uint64_t stop;
        bool big = false;
        const char *why = walk_names(m, &t, m->len, NULL, &stop, &big);
        if (why)
            return why;
        t.markers = al8(m, stop);
        if (!markers_fit(m, t.markers, t.n))
            return "kallsyms_markers are cut off or do not start at 0";
        if (t.offs > t.ti) { /* 6.4+: seqs_of_names after relative_base */
            t.seqs = al8(m, t.rb + 8);
        } else { /* 6.2, 6.3: between markers and token table */
            uint64_t e = al8(m, t.markers + 4 * ((t.n + 255ull) / 256));
            if (e < t.tt)
                t.seqs = e;
        }
        if (t.seqs != NONE && !seqs_ok(m, t.seqs, t.n))
            t.seqs = NONE;
        *at = "VMCOREINFO SYMBOL(kallsyms_*)";
    } else {
        if (!scan_kallsyms(m, &t))
            return "no kallsyms tables found in the kernel image (a token table with a "
                   "consistent token index, markers, names and sorted offsets)";
        *at = "scan of the kernel image";
    }
    return NULL;
#undef t
}

/* Offsets use the absolute-per-CPU encoding when any of them is negative. */
bool kt_abs_percpu(const struct img *m, const struct kt *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        if ((int32_t)rd32(m, t->offs + 4ull * i) < 0)
            return true;
    return false;
}

/* The address of symbol i. */
uint64_t kt_addr(const struct img *m, const struct kt *t, uint32_t i, bool abs_percpu)
{
    int32_t o = (int32_t)rd32(m, t->offs + 4ull * i);
    uint64_t rb = rd64(m, t->rb);
    if (!abs_percpu)
        return rb + (uint32_t)o;
    if (o >= 0) /* absolute per-CPU value */
        return (uint64_t)o;
    return rb - 1 - (uint64_t)(int64_t)o;
}

/* The image offset just after the last kallsyms table: the __ksymtab scan starts there. */
uint64_t kt_end(const struct img *m, const struct kt *t)
{
    uint64_t last = t->names, o[] = {t->num, t->tt, t->ti, t->offs, t->rb, t->markers, t->seqs};
    for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
        if (o[i] != NONE && o[i] > last)
            last = o[i];
    return last < m->len ? last : NONE;
}

const char *kt_decode(const struct img *m, const struct armvmi_linux_kallsyms_loc *loc,
                      unsigned flags, struct armvmi_linux_syms *s)
{
    struct kt t;
    const char *why = kt_locate(m, loc, flags, &t, &s->info.kallsyms_at);
    if (why)
        return why;
    bool big = false;
    uint64_t stop;
    size_t first = s->n;
    why = walk_names(m, &t, m->len, s, &stop, &big);
    if (why)
        return why;
    s->info.abs_percpu = kt_abs_percpu(m, &t);
    for (uint32_t i = 0; i < t.n; i++)
        s->e[first + i].addr = kt_addr(m, &t, i, s->info.abs_percpu);
    s->info.kallsyms = t.n;
    s->info.big_names = big;
    s->info.seqs_of_names = t.seqs != NONE;
    s->info.layout = t.offs > t.ti ? "6.4+ (num_syms first)" : "before 6.4 (offsets first)";
    s->info.loc = (struct armvmi_linux_kallsyms_loc){.names = va_of(m, t.names),
                                                     .num_syms = va_of(m, t.num),
                                                     .token_table = va_of(m, t.tt),
                                                     .token_index = va_of(m, t.ti),
                                                     .offsets = va_of(m, t.offs),
                                                     .relative_base = va_of(m, t.rb)};
    s->info.markers = va_of(m, t.markers);
    s->info.seqs = t.seqs == NONE ? 0 : va_of(m, t.seqs);
    return NULL;
}
