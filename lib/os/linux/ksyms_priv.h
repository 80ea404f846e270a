/* SPDX-License-Identifier: MIT */
/* ksyms_priv.h — what kallsyms.c (the kallsyms tables), ksymtab.c (the exported-symbol table)
 * and syms.c (the symbol store, lookups) share; pure, not installed. */
#ifndef ARMVMI_KSYMS_PRIV_H
#define ARMVMI_KSYMS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <armvmi/linux.h>

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

static inline bool in(const struct img *m, uint64_t off, uint64_t n)
{
    return off <= m->len && n <= m->len - off;
}

static inline uint16_t rd16(const struct img *m, uint64_t o)
{
    return (uint16_t)(m->p[o] | m->p[o + 1] << 8);
}

static inline uint32_t rd32(const struct img *m, uint64_t o)
{
    return (uint32_t)m->p[o] | (uint32_t)m->p[o + 1] << 8 | (uint32_t)m->p[o + 2] << 16 |
           (uint32_t)m->p[o + 3] << 24;
}

static inline uint64_t rd64(const struct img *m, uint64_t o)
{
    return (uint64_t)rd32(m, o) | (uint64_t)rd32(m, o + 4) << 32;
}

/* The image offset of the next 8-byte aligned VA at or after offset o (the tables' ALGN). */
static inline uint64_t al8(const struct img *m, uint64_t o)
{
    return o + ((8 - ((m->va + o) & 7)) & 7);
}

static inline uint64_t va_of(const struct img *m, uint64_t o)
{
    return m->va + o;
}

struct kt {
    uint64_t num, names, markers, seqs, tt, ti, offs, rb; /* image offsets; NONE unknown */
    uint32_t n;
    const char *tok[256];
    uint8_t tokl[256];
};

/* ---- the symbol store (syms.c) ---- */

/* Append a symbol (name of len bytes): 0, or -1 out of memory (the error is set). */
int ksyms_add(struct armvmi_linux_syms *s, const char *name, size_t len, uint64_t addr, char type,
              enum armvmi_linux_sym_source src);

/* Index of the first entry (in entry order) named name, or -1. */
long ksyms_hash_find(const struct armvmi_linux_syms *s, const char *name);

/* ---- kallsyms (kallsyms.c) ---- */

/* Read the length of the name at *o (one byte, or two as ULEB128 since 6.1). */
bool kt_name_len(const struct img *m, uint64_t *o, uint64_t end, unsigned *len, bool *big);

/* Locate and check the kallsyms tables into *t: at VMCOREINFO's locations, or by a scan. *at
 * says which. Returns NULL or the reason for failing. */
const char *kt_locate(const struct img *m, const struct armvmi_linux_kallsyms_loc *loc,
                      unsigned flags, struct kt *t, const char **at);

/* Offsets use the absolute-per-CPU encoding when any of them is negative. */
bool kt_abs_percpu(const struct img *m, const struct kt *t);

/* The address of symbol i. */
uint64_t kt_addr(const struct img *m, const struct kt *t, uint32_t i, bool abs_percpu);

/* The image offset just after the last kallsyms table: the __ksymtab scan starts there. */
uint64_t kt_end(const struct img *m, const struct kt *t);

/* Decode every kallsyms symbol into s. Returns NULL or the reason for failing. */
const char *kt_decode(const struct img *m, const struct armvmi_linux_kallsyms_loc *loc,
                      unsigned flags, struct armvmi_linux_syms *s);

/* ---- the exported-symbol table (ksymtab.c) ---- */

/* Called for each __ksymtab entry (its name and value); non-zero ends the walk. */
typedef int (*ksymtab_fn)(void *arg, const char *name, uint64_t va);

/* Walk the __ksymtab entries found from image offset start (NONE: the image's start); the VA
 * of the first run into *first_va when it is 0. Returns fn's non-zero value, or 0. */
int ksymtab_walk(const struct img *m, uint64_t start, ksymtab_fn fn, void *arg, uint64_t *first_va);

/* Add the exported symbols kallsyms lacks to s: 0, or -1 out of memory. */
int ksymtab_scan(const struct img *m, struct armvmi_linux_syms *s);

#endif
