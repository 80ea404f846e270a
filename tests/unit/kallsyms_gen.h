/* SPDX-License-Identifier: MIT */
/*
 * kallsyms_gen.h — builds synthetic arm64 kernel images holding kallsyms tables in each layout
 * scripts/kallsyms.c has emitted (5.4 .. 6.12) and a PREL32 __ksymtab, for tests and fuzzing.
 */
#ifndef KALLSYMS_GEN_H
#define KALLSYMS_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linux.h>

enum kgen_layout {
    KGEN_5_4, /* offsets, relative_base, num_syms, names, markers, token_table, token_index */
    KGEN_6_1, /* the same, names longer than 127 tokens with a two-byte (ULEB128) length */
    KGEN_6_2, /* kallsyms_seqs_of_names between markers and token_table */
    KGEN_6_4, /* num_syms, names, markers, token_table, token_index, offsets, rb, seqs */
};

struct kgen_sym {
    char name[400];
    char type;
    uint64_t addr;
};

struct kgen {
    uint8_t *img;
    size_t len;
    uint64_t va;
    struct armvmi_linux_kallsyms_loc loc;
    uint64_t markers_off, tt_off, ti_off, names_off, offs_off; /* image offsets */
    struct kgen_sym *syms;                                     /* kallsyms, table order */
    unsigned n;
    struct kgen_sym exp[24]; /* exported data symbols (not in kallsyms) */
    unsigned nexp;
};

#define KGEN_VA 0xffff800008010000ull
#define KGEN_DATA 0xffff800009200000ull

static char kgen_tok[256][3];

static inline void kgen_tokens(void)
{
    unsigned pair = 0;
    for (unsigned i = 0; i < 256; i++) {
        if (i >= 0x21 && i <= 0x7e) {
            kgen_tok[i][0] = (char)i;
            kgen_tok[i][1] = 0;
        } else { /* a two-letter token: "aa", "ab", ... */
            kgen_tok[i][0] = (char)('a' + pair / 26);
            kgen_tok[i][1] = (char)('a' + pair % 26);
            kgen_tok[i][2] = 0;
            pair++;
        }
    }
}

/* Compress "type + name" greedily with the tokens; returns the token count. */
static inline unsigned kgen_compress(const char *s, uint8_t *out)
{
    unsigned n = 0;
    while (*s) {
        int t = -1;
        for (unsigned i = 0; i < 256 && s[1]; i++)
            if (kgen_tok[i][1] && kgen_tok[i][0] == s[0] && kgen_tok[i][1] == s[1])
                t = (int)i;
        if (t >= 0) {
            out[n++] = (uint8_t)t;
            s += 2;
        } else {
            out[n++] = (uint8_t)*s++;
        }
    }
    return n;
}

static inline void kgen_put(struct kgen *g, size_t *o, const void *p, size_t n)
{
    memcpy(g->img + *o, p, n);
    *o += n;
}

static inline void kgen_put32(struct kgen *g, size_t *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    kgen_put(g, o, b, 4);
}

static inline void kgen_align(size_t *o, size_t a)
{
    *o = (*o + a - 1) & ~(a - 1);
}

static const struct kgen_sym *kgen_sorted_names;
static inline int kgen_cmp_name(const void *a, const void *b)
{
    const struct kgen_sym *s = kgen_sorted_names;
    return strcmp(s[*(const uint32_t *)a].name, s[*(const uint32_t *)b].name);
}

/*
 * Build an image of n symbols (n > 256 gives several markers) in layout lay; abs_percpu: the
 * first 8 symbols are per-CPU (small absolute addresses, offsets >= 0) and the others are
 * stored as negative offsets. Free with kgen_free.
 */
static inline void kgen_build(struct kgen *g, enum kgen_layout lay, unsigned n, int abs_percpu)
{
    kgen_tokens();
    memset(g, 0, sizeof(*g));
    g->va = KGEN_VA;
    g->n = n;
    g->syms = calloc(n, sizeof(*g->syms));
    static const char types[] = "TtDdRrBb";
    for (unsigned i = 0; i < n; i++) {
        struct kgen_sym *s = &g->syms[i];
        s->type = types[i % 8];
        if (i == n / 2 && lay >= KGEN_6_1) { /* a 300-byte name: a two-byte length */
            memset(s->name, 'Q', 300);
            s->name[300] = 0;
        } else if (i == n / 3 || i == n / 3 + 5) { /* the same static name twice */
            snprintf(s->name, sizeof(s->name), "dup_static_fn");
        } else {
            snprintf(s->name, sizeof(s->name), "%s_%u_%s", i % 3 ? "do_sys" : "vfs", i,
                     i % 5 ? "x" : "kstrtab.llvm.123");
        }
        s->addr = abs_percpu && i < 8 ? 0x40ull * i : KGEN_VA + 0x1000 + 0x40ull * i;
    }
    g->nexp = 20;
    for (unsigned j = 0; j < g->nexp; j++) {
        snprintf(g->exp[j].name, sizeof(g->exp[j].name), j == 0 ? "init_task" : "exp_data_%u", j);
        g->exp[j].type = '?';
        g->exp[j].addr = KGEN_DATA + 0x100ull * j;
    }
    uint64_t rb = abs_percpu ? g->syms[8].addr : g->syms[0].addr;
    g->len = 4096 + (size_t)n * 520 + 8192 + 4096;
    g->img = calloc(1, g->len);
    /* "text" before the tables: bytes that are not kallsyms */
    for (size_t i = 0; i < 4096; i++)
        g->img[i] = (uint8_t)(i * 131 + 7);
    size_t o = 4096;
    uint8_t ctok[1024];
    char full[512];
    uint32_t *marks = calloc((n + 255) / 256, sizeof(uint32_t));
    uint32_t *seq = calloc(n, sizeof(uint32_t));
    for (unsigned i = 0; i < n; i++)
        seq[i] = i;
    kgen_sorted_names = g->syms;
    qsort(seq, n, sizeof(*seq), kgen_cmp_name);

#define KGEN_OFFSETS()                                                                             \
    do {                                                                                           \
        kgen_align(&o, 8);                                                                         \
        g->offs_off = o;                                                                           \
        g->loc.offsets = g->va + o;                                                                \
        for (unsigned i = 0; i < n; i++) {                                                         \
            int64_t v = abs_percpu                                                                 \
                            ? (g->syms[i].addr < rb ? (int64_t)g->syms[i].addr                     \
                                                    : (int64_t)rb - 1 - (int64_t)g->syms[i].addr)  \
                            : (int64_t)(g->syms[i].addr - rb);                                     \
            kgen_put32(g, &o, (uint32_t)(int32_t)v);                                               \
        }                                                                                          \
        kgen_align(&o, 8);                                                                         \
        g->loc.relative_base = g->va + o;                                                          \
        kgen_put(g, &o, &rb, 8);                                                                   \
    } while (0)
#define KGEN_SEQS()                                                                                \
    do {                                                                                           \
        kgen_align(&o, 8);                                                                         \
        for (unsigned i = 0; i < n; i++) {                                                         \
            uint8_t b[3] = {(uint8_t)(seq[i] >> 16), (uint8_t)(seq[i] >> 8), (uint8_t)seq[i]};     \
            kgen_put(g, &o, b, 3);                                                                 \
        }                                                                                          \
    } while (0)

    if (lay != KGEN_6_4)
        KGEN_OFFSETS();
    kgen_align(&o, 8);
    g->loc.num_syms = g->va + o;
    kgen_put32(g, &o, n);
    kgen_align(&o, 8);
    g->names_off = o;
    g->loc.names = g->va + o;
    for (unsigned i = 0; i < n; i++) {
        if (i % 256 == 0)
            marks[i / 256] = (uint32_t)(o - g->names_off);
        snprintf(full, sizeof(full), "%c%s", g->syms[i].type, g->syms[i].name);
        unsigned l = kgen_compress(full, ctok);
        if (l > 127) {
            uint8_t b[2] = {(uint8_t)((l & 0x7f) | 0x80), (uint8_t)(l >> 7)};
            kgen_put(g, &o, b, 2);
        } else {
            uint8_t b = (uint8_t)l;
            kgen_put(g, &o, &b, 1);
        }
        kgen_put(g, &o, ctok, l);
    }
    kgen_align(&o, 8);
    g->markers_off = o;
    for (unsigned i = 0; i < (n + 255) / 256; i++)
        kgen_put32(g, &o, marks[i]);
    if (lay == KGEN_6_2)
        KGEN_SEQS();
    kgen_align(&o, 8);
    g->tt_off = o;
    g->loc.token_table = g->va + o;
    uint16_t idx[256];
    for (unsigned i = 0; i < 256; i++) {
        idx[i] = (uint16_t)(o - g->tt_off);
        kgen_put(g, &o, kgen_tok[i], strlen(kgen_tok[i]) + 1);
    }
    kgen_align(&o, 8);
    g->ti_off = o;
    g->loc.token_index = g->va + o;
    for (unsigned i = 0; i < 256; i++) {
        uint8_t b[2] = {(uint8_t)idx[i], (uint8_t)(idx[i] >> 8)};
        kgen_put(g, &o, b, 2);
    }
    if (lay == KGEN_6_4) {
        KGEN_OFFSETS();
        KGEN_SEQS();
    }
    /* __ksymtab_strings ("name\0" then the namespace "" or "NS_TEST"), then __ksymtab */
    kgen_align(&o, 8);
    size_t str[24], ns[24];
    for (unsigned j = 0; j < g->nexp; j++) {
        str[j] = o;
        kgen_put(g, &o, g->exp[j].name, strlen(g->exp[j].name) + 1);
        ns[j] = o;
        const char *nss = j == 3 ? "NS_TEST" : "";
        kgen_put(g, &o, nss, strlen(nss) + 1);
    }
    kgen_align(&o, 8);
    for (unsigned j = 0; j < g->nexp; j++) {
        kgen_put32(g, &o, (uint32_t)(int32_t)((int64_t)(g->exp[j].addr - g->va) - (int64_t)o));
        kgen_put32(g, &o, (uint32_t)(int32_t)((int64_t)str[j] - (int64_t)o));
        kgen_put32(g, &o, (uint32_t)(int32_t)((int64_t)ns[j] - (int64_t)o));
    }
    g->len = o + 64; /* a little zero tail */
    free(marks);
    free(seq);
#undef KGEN_OFFSETS
#undef KGEN_SEQS
}

static inline void kgen_free(struct kgen *g)
{
    free(g->img);
    free(g->syms);
    memset(g, 0, sizeof(*g));
}

#endif
