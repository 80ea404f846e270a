/* SPDX-License-Identifier: MIT */
/* ksymtab.c — the kernel's exported-symbol table (__ksymtab, PREL32 entries) found by a scan. */
#include <string.h>

#include "ksyms_priv.h"

#define KSYMTAB_ENTRY 12   /* PREL32 {value, name, namespace} (arm64, 5.4+) */
#define KSYMTAB_MIN_RUN 16 /* entries in a row before a run is believed */
#define KSYMTAB_NAME_MAX 511
#define KSYMTAB_SORTED_RUN 256 /* entries of a run that may end the scan (see scan_ksymtab) */
#define KSYMTAB_SECTIONS 5     /* __ksymtab{,_gpl,_unused,_unused_gpl,_gpl_future}, each sorted */

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
int ksymtab_walk(const struct img *m, uint64_t start, ksymtab_fn fn, void *arg, uint64_t *first_va)
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
    if (ksyms_hash_find(s, nm) >= 0)
        return 0; /* kallsyms has it (KALLSYMS_ALL, or a function) */
    return ksyms_add(s, nm, strlen(nm), va, '?', ARMVMI_SYM_KSYMTAB) ? -1 : 0;
}

/*
 * The linker script (include/asm-generic/vmlinux.lds.h, RO_DATA) puts the __ksymtab* sections
 * after .rodata (where kallsyms' tables are: the scan starts after the last of them), sorts
 * each by name and puts __ksymtab_strings after all of them. So a long run that is sorted (one
 * descent per section at most) and whose names all lie after it is the real table: the scan
 * ends at its lowest name, as no table follows its strings (the rest of a 128 MiB image is
 * not read).
 */
int ksymtab_scan(const struct img *m, struct armvmi_linux_syms *s)
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
