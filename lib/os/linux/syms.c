/* SPDX-License-Identifier: MIT */
/* syms.c — the kernel's symbols: the store and its name index, lookups by name and address, and
 * a few names found without building the table (kallsyms.c and ksymtab.c decode the tables). */
#include <stdlib.h>
#include <string.h>

#include "ksyms_priv.h"

int ksyms_add(struct armvmi_linux_syms *s, const char *name, size_t len, uint64_t addr, char type,
              enum armvmi_linux_sym_source src)
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
long ksyms_hash_find(const struct armvmi_linux_syms *s, const char *name)
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
        if (!kt_name_len(m, &o, m->len, &len, &big))
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
    const char *why = kt_locate(&m, loc, flags, &t, &at);
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
    const char *why = kt_decode(&m, loc, flags, s);
    if (why) {
        armvmi_linux_syms_free(s);
        if (!*why) /* ksyms_add set the error */
            return -ARMVMI_ENOMEM;
        return armvmi_set_error(ARMVMI_EFORMAT, "kallsyms of the kernel image at 0x%llx: %s.",
                                (unsigned long long)img_va, why);
    }
    int rc = hash_build(s);
    if (!rc)
        rc = ksymtab_scan(&m, s);
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
    long i = ksyms_hash_find(s, name);
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
