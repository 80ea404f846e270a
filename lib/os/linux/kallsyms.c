/* SPDX-License-Identifier: MIT */
/* kallsyms.c — the kernel's kallsyms and exported-symbol tables, decoded from a copy of its image
 * (pure: no target access; syms_read.c reads the image from guest memory). */
#include <stdlib.h>
#include <string.h>

#include <armvmi/linux.h>

/* Bounds on hostile tables. */
#define MAX_SYMS (1u << 22)        /* kallsyms_num_syms; the kernel's index is 3 bytes since 6.2 */
#define MAX_NAME 1024              /* expanded name incl. type (KSYM_NAME_LEN is 512 since 6.1) */
#define MAX_TOKEN 256              /* one token of kallsyms_token_table */
#define MIN_MARK_STEP (256u * 2)   /* 256 names of at least a length byte and one token */
#define MAX_MARK_STEP (256u * 514) /* 256 names of a 2-byte length and 512 tokens */
#define KSYMTAB_ENTRY 12           /* PREL32 {value, name, namespace} (arm64, 5.4+) */
#define KSYMTAB_MIN_RUN 16         /* entries in a row before a run is believed */
#define KSYMTAB_NAME_MAX 511
#define KSYMTAB_SORTED_RUN 256 /* entries of a run that may end the scan (see scan_ksymtab) */
#define KSYMTAB_SECTIONS 5     /* __ksymtab{,_gpl,_unused,_unused_gpl,_gpl_future}, each sorted */
#define IMG_MAX (128ull << 20) /* bytes of the kernel image read from _stext on */
#define READ_CHUNK (1ull << 20)
#define NONE UINT64_MAX

struct ent {
    uint64_t addr;
    uint32_t name; /* offset in pool */
    uint32_t idx;  /* order of insertion: ties in address keep table order */
    char type;
    uint8_t src;
};

struct armvmi_linux_syms {
    struct ent *e;
    size_t n, cap;
    char *pool;
    size_t pool_len, pool_cap;
    uint64_t *hash; /* the name's hash (high 32 bits) and entry index + 1; 0 is empty */
    size_t hcap;
    struct armvmi_linux_syms_info info;
    bool have_vmci;
    struct armvmi_linux_vmcoreinfo vmci;
};

/* The kernel image: img[0] is at VA va. Offsets below are image offsets. */
struct img {
    const uint8_t *p;
    uint64_t len;
    uint64_t va;
};

static bool in(const struct img *m, uint64_t off, uint64_t n)
{
    return off <= m->len && n <= m->len - off;
}

static uint16_t rd16(const struct img *m, uint64_t o)
{
    return (uint16_t)(m->p[o] | m->p[o + 1] << 8);
}

static uint32_t rd32(const struct img *m, uint64_t o)
{
    return (uint32_t)m->p[o] | (uint32_t)m->p[o + 1] << 8 | (uint32_t)m->p[o + 2] << 16 |
           (uint32_t)m->p[o + 3] << 24;
}

static uint64_t rd64(const struct img *m, uint64_t o)
{
    return (uint64_t)rd32(m, o) | (uint64_t)rd32(m, o + 4) << 32;
}

/* The image offset of the next 8-byte aligned VA at or after offset o (the tables' ALGN). */
static uint64_t al8(const struct img *m, uint64_t o)
{
    return o + ((8 - ((m->va + o) & 7)) & 7);
}

static uint64_t va_of(const struct img *m, uint64_t o)
{
    return m->va + o;
}

/* ---- the symbol store ---- */

static int add_sym(struct armvmi_linux_syms *s, const char *name, size_t len, uint64_t addr,
                   char type, enum armvmi_linux_sym_source src)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        struct ent *e = realloc(s->e, cap * sizeof(*e));
        if (!e)
            return armvmi_set_error(ARMVMI_ENOMEM, "kernel symbols: out of memory.");
        s->e = e;
        s->cap = cap;
    }
    if (s->pool_len + len + 1 > s->pool_cap) {
        size_t cap = s->pool_cap ? s->pool_cap * 2 : 1 << 20;
        while (cap < s->pool_len + len + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            return armvmi_set_error(ARMVMI_EFORMAT, "kernel symbols: more than 4 GiB of names.");
        char *p = realloc(s->pool, cap);
        if (!p)
            return armvmi_set_error(ARMVMI_ENOMEM, "kernel symbols: out of memory.");
        s->pool = p;
        s->pool_cap = cap;
    }
    memcpy(s->pool + s->pool_len, name, len);
    s->pool[s->pool_len + len] = 0;
    s->e[s->n] = (struct ent){.addr = addr,
                              .name = (uint32_t)s->pool_len,
                              .idx = (uint32_t)s->n,
                              .type = type,
                              .src = (uint8_t)src};
    s->pool_len += len + 1;
    s->n++;
    return 0;
}

static uint64_t fnv1a(const char *p)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return h;
}

/* Index of the first entry (in entry order) named name, or -1. */
static long hash_find(const struct armvmi_linux_syms *s, const char *name)
{
    if (!s->hcap)
        return -1;
    uint64_t hv = fnv1a(name);
    for (size_t i = hv & (s->hcap - 1), k = 0; k < s->hcap; k++, i = (i + 1) & (s->hcap - 1)) {
        uint64_t v = s->hash[i];
        if (!v)
            return -1;
        uint32_t j = (uint32_t)v;
        if ((v >> 32) == (hv >> 32) && strcmp(s->pool + s->e[j - 1].name, name) == 0)
            return (long)j - 1;
    }
    return -1;
}

/* (Re)build the name index over entries [0, n): the first of equal names wins. */
static int hash_build(struct armvmi_linux_syms *s)
{
    size_t cap = 1024;
    while (cap < s->n * 2)
        cap *= 2;
    free(s->hash);
    s->hash = calloc(cap, sizeof(*s->hash));
    if (!s->hash) {
        s->hcap = 0;
        return armvmi_set_error(ARMVMI_ENOMEM, "kernel symbols: out of memory.");
    }
    s->hcap = cap;
    for (size_t j = 0; j < s->n; j++) {
        const char *name = s->pool + s->e[j].name;
        uint64_t hv = fnv1a(name), v;
        size_t i = hv & (cap - 1);
        /* the stored hash spares a strcmp on most occupied slots */
        while ((v = s->hash[i]) &&
               ((v >> 32) != (hv >> 32) || strcmp(s->pool + s->e[(uint32_t)v - 1].name, name) != 0))
            i = (i + 1) & (cap - 1);
        if (!v)
            s->hash[i] = (hv >> 32 << 32) | ((uint64_t)j + 1);
    }
    return 0;
}

static int cmp_ent(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* ---- kallsyms ---- */

struct kt {
    uint64_t num, names, markers, seqs, tt, ti, offs, rb; /* image offsets; NONE unknown */
    uint32_t n;
    const char *tok[256];
    uint8_t tokl[256];
};

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
static bool name_len(const struct img *m, uint64_t *o, uint64_t end, unsigned *len, bool *big)
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
        if (!name_len(m, &o, end, &len, big))
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
        if (add_sym(s, buf + 1, bl - 1, 0, buf[0], ARMVMI_SYM_KALLSYMS))
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
static const char *locate_kallsyms(const struct img *m, const struct armvmi_linux_kallsyms_loc *loc,
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
static bool kt_abs_percpu(const struct img *m, const struct kt *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        if ((int32_t)rd32(m, t->offs + 4ull * i) < 0)
            return true;
    return false;
}

/* The address of symbol i. */
static uint64_t kt_addr(const struct img *m, const struct kt *t, uint32_t i, bool abs_percpu)
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
static uint64_t kt_end(const struct img *m, const struct kt *t)
{
    uint64_t last = t->names, o[] = {t->num, t->tt, t->ti, t->offs, t->rb, t->markers, t->seqs};
    for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
        if (o[i] != NONE && o[i] > last)
            last = o[i];
    return last < m->len ? last : NONE;
}

static const char *decode_kallsyms(const struct img *m, const struct armvmi_linux_kallsyms_loc *loc,
                                   unsigned flags, struct armvmi_linux_syms *s)
{
    struct kt t;
    const char *why = locate_kallsyms(m, loc, flags, &t, &s->info.kallsyms_at);
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

/* ---- the exported-symbol table ---- */

static bool is_ident(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '$';
}

/* The length of the string at o, or -1. ident: identifier chars only. (The linker merges
 * __ksymtab_strings: a name may be the tail of another, so no NUL need precede it.) */
static long str_at(const struct img *m, int64_t o, bool ident, long max)
{
    if (o < 0 || (uint64_t)o >= m->len)
        return -1;
    long l = 0;
    for (; l <= max && (uint64_t)o + (uint64_t)l < m->len; l++) {
        uint8_t c = m->p[o + l];
        if (!c)
            return l;
        if (ident ? !is_ident(c) : (c < 0x20 || c > 0x7e))
            return -1;
    }
    return -1;
}

static bool ksym_ok(const struct img *m, uint64_t o)
{
    if (!in(m, o, KSYMTAB_ENTRY))
        return false;
    int64_t name = (int64_t)(o + 4) + (int32_t)rd32(m, o + 4);
    int64_t ns = (int64_t)(o + 8) + (int32_t)rd32(m, o + 8);
    /* the first bytes first: most positions of a scan fail there */
    if (name < 0 || (uint64_t)name >= m->len || m->p[name] <= '9' || !is_ident(m->p[name]) ||
        ns < 0 || (uint64_t)ns >= m->len || (m->p[ns] && (m->p[ns] < 0x20 || m->p[ns] > 0x7e)))
        return false;
    return str_at(m, name, true, KSYMTAB_NAME_MAX) > 0 && str_at(m, ns, false, 127) >= 0;
}

/*
 * The linker script (include/asm-generic/vmlinux.lds.h, RO_DATA) puts the __ksymtab* sections
 * after .rodata (where kallsyms' tables are: the scan starts after the last of them), sorts
 * each by name and puts __ksymtab_strings after all of them. So a long run that is sorted (one
 * descent per section at most) and whose names all lie after it is the real table: the scan
 * ends at its lowest name, as no table follows its strings (the rest of a 128 MiB image is
 * not read).
 */
/* Called for each __ksymtab entry (its name and value); non-zero ends the walk. */
typedef int (*ksym_fn)(void *arg, const char *name, uint64_t va);

static int ksymtab_walk(const struct img *m, uint64_t start, ksym_fn fn, void *arg,
                        uint64_t *first_va)
{
    uint64_t strings = m->len, o = (4 - (m->va & 3)) & 3;
    if (start != NONE)
        o = (start + 3) & ~3ull;
    for (; o < strings && in(m, o, KSYMTAB_ENTRY);) {
        if (!ksym_ok(m, o)) {
            o += 4;
            continue;
        }
        uint64_t r = o;
        while (ksym_ok(m, r))
            r += KSYMTAB_ENTRY;
        if ((r - o) / KSYMTAB_ENTRY < KSYMTAB_MIN_RUN) {
            o += 4;
            continue;
        }
        if (first_va && !*first_va)
            *first_va = va_of(m, o);
        uint64_t lowest = m->len;
        unsigned descents = 0;
        const char *prev = "";
        for (uint64_t e = o; e < r; e += KSYMTAB_ENTRY) {
            int64_t name = (int64_t)(e + 4) + (int32_t)rd32(m, e + 4);
            const char *nm = (const char *)m->p + name;
            if ((uint64_t)name < lowest)
                lowest = (uint64_t)name;
            descents += strcmp(nm, prev) < 0;
            prev = nm;
            int rc = fn(arg, nm, va_of(m, e) + (uint64_t)(int64_t)(int32_t)rd32(m, e));
            if (rc)
                return rc;
        }
        if (lowest >= r && (r - o) / KSYMTAB_ENTRY >= KSYMTAB_SORTED_RUN &&
            descents <= KSYMTAB_SECTIONS && lowest < strings)
            strings = lowest;
        o = r;
    }
    return 0;
}

static int ksym_add(void *arg, const char *nm, uint64_t va)
{
    struct armvmi_linux_syms *s = arg;
    s->info.ksymtab++;
    if (hash_find(s, nm) >= 0)
        return 0; /* kallsyms has it (KALLSYMS_ALL, or a function) */
    return add_sym(s, nm, strlen(nm), va, '?', ARMVMI_SYM_KSYMTAB) ? -1 : 0;
}

/*
 * The linker script (include/asm-generic/vmlinux.lds.h, RO_DATA) puts the __ksymtab* sections
 * after .rodata (where kallsyms' tables are: the scan starts after the last of them), sorts
 * each by name and puts __ksymtab_strings after all of them. So a long run that is sorted (one
 * descent per section at most) and whose names all lie after it is the real table: the scan
 * ends at its lowest name, as no table follows its strings (the rest of a 128 MiB image is
 * not read).
 */
static int scan_ksymtab(const struct img *m, struct armvmi_linux_syms *s)
{
    /* kallsyms' tables are in .rodata, which RO_DATA puts before every __ksymtab* section */
    const struct armvmi_linux_kallsyms_loc *l = &s->info.loc;
    uint64_t last = l->names, t[] = {l->num_syms,      l->token_table,  l->token_index, l->offsets,
                                     l->relative_base, s->info.markers, s->info.seqs};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i] > last)
            last = t[i];
    uint64_t start = last > m->va && last - m->va < m->len ? last - m->va : NONE;
    return ksymtab_walk(m, start, ksym_add, s, &s->info.ksymtab_va) < 0 ? -1 : 0;
}

/* VMCOREINFO SYMBOL() lines armvmi parses, by symbol name. */
static const struct {
    const char *name;
    int key;
} vmci_syms[] = {
    {"swapper_pg_dir", ARMVMI_VMCI_SYM_SWAPPER_PG_DIR},
    {"_stext", ARMVMI_VMCI_SYM_STEXT},
    {"init_uts_ns", ARMVMI_VMCI_SYM_INIT_UTS_NS},
    {"kallsyms_names", ARMVMI_VMCI_SYM_KALLSYMS_NAMES},
    {"kallsyms_num_syms", ARMVMI_VMCI_SYM_KALLSYMS_NUM_SYMS},
    {"kallsyms_token_table", ARMVMI_VMCI_SYM_KALLSYMS_TOKEN_TABLE},
    {"kallsyms_token_index", ARMVMI_VMCI_SYM_KALLSYMS_TOKEN_INDEX},
    {"kallsyms_offsets", ARMVMI_VMCI_SYM_KALLSYMS_OFFSETS},
    {"kallsyms_relative_base", ARMVMI_VMCI_SYM_KALLSYMS_RELATIVE_BASE},
};

/* ---- a few names looked up without building the table ---- */

struct want {
    const char *const *names;
    size_t n, left;
    struct armvmi_linux_sym *out;
};

static int ksym_want(void *arg, const char *nm, uint64_t va)
{
    struct want *w = arg;
    for (size_t j = 0; j < w->n; j++)
        if (!w->out[j].name && strcmp(nm, w->names[j]) == 0) {
            w->out[j] = (struct armvmi_linux_sym){w->names[j], va, '?', ARMVMI_SYM_KSYMTAB};
            if (--w->left == 0)
                return 1;
        }
    return 0;
}

/*
 * kallsyms names compared as they expand, token by token: most names differ from every wanted
 * one in their first token, which is all that is expanded of them.
 */
static const char *kallsyms_want(const struct img *m, const struct kt *t, struct want *w)
{
    uint64_t o = t->names;
    bool big = false, abs = false, abs_known = false;
    size_t wl[ARMVMI_LINUX_SYMS_FIND_MAX];
    for (size_t j = 0; j < w->n; j++)
        wl[j] = strlen(w->names[j]);
    for (uint32_t i = 0; i < t->n && w->left; i++) {
        unsigned len;
        if (!name_len(m, &o, m->len, &len, &big))
            return "a kallsyms name is empty or runs past the end of the table";
        const uint8_t *c = m->p + o;
        o += len;
        /* the first token holds the type letter, then the name's first bytes */
        const char *f = t->tok[c[0]];
        size_t fl = t->tokl[c[0]];
        for (size_t j = 0; j < w->n; j++) {
            if (w->out[j].name || fl == 0 || fl - 1 > wl[j] || memcmp(f + 1, w->names[j], fl - 1))
                continue;
            size_t at = fl - 1;
            unsigned k = 1;
            for (; k < len && at <= wl[j]; k++) {
                uint8_t tk = c[k];
                if (at + t->tokl[tk] > wl[j] || memcmp(w->names[j] + at, t->tok[tk], t->tokl[tk]))
                    break;
                at += t->tokl[tk];
            }
            if (k < len || at != wl[j])
                continue;
            if (!abs_known) {
                abs = kt_abs_percpu(m, t);
                abs_known = true;
            }
            w->out[j] = (struct armvmi_linux_sym){w->names[j], kt_addr(m, t, i, abs), f[0],
                                                  ARMVMI_SYM_KALLSYMS};
            w->left--;
        }
    }
    return NULL;
}

int armvmi_linux_syms_find_in_image(const void *img, size_t len, uint64_t img_va,
                                    const struct armvmi_linux_kallsyms_loc *loc,
                                    const struct armvmi_linux_kernel *k, unsigned flags,
                                    const char *const *names, size_t n,
                                    struct armvmi_linux_sym *out)
{
    if (!img || (n && (!names || !out)))
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
    if (n > ARMVMI_LINUX_SYMS_FIND_MAX)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: more than %d names to find.",
                                ARMVMI_LINUX_SYMS_FIND_MAX);
    struct want w = {names, n, n, out};
    memset(out, 0, n * sizeof(*out));
    for (size_t j = 0; j < n; j++) {
        if (!names[j])
            return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
        for (size_t i = 0; k && i < sizeof(vmci_syms) / sizeof(vmci_syms[0]); i++)
            if (strcmp(vmci_syms[i].name, names[j]) == 0 &&
                (k->vmcoreinfo.present >> vmci_syms[i].key & 1u)) {
                out[j] = (struct armvmi_linux_sym){names[j], k->vmcoreinfo.val[vmci_syms[i].key],
                                                   '?', ARMVMI_SYM_VMCOREINFO};
                w.left--;
                break;
            }
    }
    if (!w.left)
        return (int)n;
    struct img m = {.p = img, .len = len, .va = img_va};
    struct kt t;
    const char *at;
    const char *why = locate_kallsyms(&m, loc, flags, &t, &at);
    if (!why)
        why = kallsyms_want(&m, &t, &w);
    if (why)
        return armvmi_set_error(ARMVMI_EFORMAT, "kallsyms of the kernel image at 0x%llx: %s.",
                                (unsigned long long)img_va, why);
    if (w.left && !(flags & ARMVMI_LINUX_SYMS_NO_KSYMTAB))
        ksymtab_walk(&m, kt_end(&m, &t), ksym_want, &w, NULL);
    return (int)(n - w.left);
}

/* ---- public ---- */

void armvmi_linux_syms_free(armvmi_linux_syms_t *s)
{
    if (!s)
        return;
    free(s->e);
    free(s->pool);
    free(s->hash);
    free(s);
}

int armvmi_linux_syms_from_image(const void *img, size_t len, uint64_t img_va,
                                 const struct armvmi_linux_kallsyms_loc *loc,
                                 const struct armvmi_linux_kernel *k, unsigned flags,
                                 armvmi_linux_syms_t **out)
{
    if (!img || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
    *out = NULL;
    struct armvmi_linux_syms *s = calloc(1, sizeof(*s));
    if (!s)
        return armvmi_set_error(ARMVMI_ENOMEM, "kernel symbols: out of memory.");
    s->info.kallsyms_at = s->info.layout = "";
    if (k) {
        s->have_vmci = true;
        s->vmci = k->vmcoreinfo;
    }
    struct img m = {.p = img, .len = len, .va = img_va};
    const char *why = decode_kallsyms(&m, loc, flags, s);
    if (why) {
        armvmi_linux_syms_free(s);
        if (!*why) /* add_sym set the error */
            return -ARMVMI_ENOMEM;
        return armvmi_set_error(ARMVMI_EFORMAT, "kallsyms of the kernel image at 0x%llx: %s.",
                                (unsigned long long)img_va, why);
    }
    int rc = hash_build(s);
    if (!rc)
        rc = scan_ksymtab(&m, s);
    if (!rc) {
        qsort(s->e, s->n, sizeof(*s->e), cmp_ent);
        rc = hash_build(s);
    }
    if (rc) {
        armvmi_linux_syms_free(s);
        return rc < 0 ? rc : -rc;
    }
    s->info.total = s->n;
    *out = s;
    return 0;
}

void armvmi_linux_syms_get_info(const armvmi_linux_syms_t *s, struct armvmi_linux_syms_info *info)
{
    if (s && info)
        *info = s->info;
}

size_t armvmi_linux_syms_count(const armvmi_linux_syms_t *s)
{
    return s ? s->n : 0;
}

static void fill(const armvmi_linux_syms_t *s, size_t i, struct armvmi_linux_sym *out)
{
    out->name = s->pool + s->e[i].name;
    out->addr = s->e[i].addr;
    out->type = s->e[i].type;
    out->source = (enum armvmi_linux_sym_source)s->e[i].src;
}

int armvmi_linux_syms_at(const armvmi_linux_syms_t *s, size_t i, struct armvmi_linux_sym *out)
{
    if (!s || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
    if (i >= s->n)
        return armvmi_set_error(ARMVMI_ENOENT, "kernel symbols: no symbol %zu (there are %zu).", i,
                                s->n);
    fill(s, i, out);
    return 0;
}

int armvmi_linux_syms_lookup(const armvmi_linux_syms_t *s, const char *name,
                             struct armvmi_linux_sym *out)
{
    if (!s || !name || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
    if (s->have_vmci)
        for (size_t i = 0; i < sizeof(vmci_syms) / sizeof(vmci_syms[0]); i++)
            if (strcmp(vmci_syms[i].name, name) == 0 &&
                (s->vmci.present >> vmci_syms[i].key & 1u)) {
                *out = (struct armvmi_linux_sym){.name = vmci_syms[i].name,
                                                 .addr = s->vmci.val[vmci_syms[i].key],
                                                 .type = '?',
                                                 .source = ARMVMI_SYM_VMCOREINFO};
                return 0;
            }
    long i = hash_find(s, name);
    if (i < 0)
        return armvmi_set_error(ARMVMI_ENOENT,
                                "kernel symbol '%s' is in none of VMCOREINFO, kallsyms (%zu "
                                "symbols) and the exported-symbol table (%zu).",
                                name, s->info.kallsyms, s->info.ksymtab);
    fill(s, (size_t)i, out);
    return 0;
}

int armvmi_linux_syms_addr(const armvmi_linux_syms_t *s, uint64_t va, struct armvmi_linux_sym *out,
                           uint64_t *offset)
{
    if (!s || !out || !offset)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
    if (!s->n || va < s->e[0].addr || va > s->e[s->n - 1].addr)
        return armvmi_set_error(
            ARMVMI_ENOENT, "0x%llx is outside the kernel's symbols (0x%llx..0x%llx).",
            (unsigned long long)va, (unsigned long long)(s->n ? s->e[0].addr : 0),
            (unsigned long long)(s->n ? s->e[s->n - 1].addr : 0));
    size_t lo = 0, hi = s->n; /* the last entry with addr <= va is lo */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->e[mid].addr <= va)
            lo = mid;
        else
            hi = mid;
    }
    /* the first of the symbols at that address */
    while (lo > 0 && s->e[lo - 1].addr == s->e[lo].addr)
        lo--;
    fill(s, lo, out);
    *offset = va - out->addr;
    return 0;
}

const char *armvmi_linux_sym_source_name(enum armvmi_linux_sym_source src)
{
    switch (src) {
    case ARMVMI_SYM_VMCOREINFO:
        return "VMCOREINFO";
    case ARMVMI_SYM_KALLSYMS:
        return "kallsyms";
    case ARMVMI_SYM_KSYMTAB:
        return "ksymtab";
    case ARMVMI_SYM_SYSTEM_MAP:
        return "System.map";
    }
    return "?";
}
