/* SPDX-License-Identifier: MIT */
/* lxmod.c — loaded kernel modules from the `modules` list, found without symbols. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxpriv.h"

#define IMAGE_SCAN_MAX (128ull << 20)
#define SCAN_CHUNK (1ull << 20)
#define MODULE_NAME_LEN 56        /* include/linux/module.h: MAX_PARAM_PREFIX_LEN */
#define MODULE_STATE_MAX 3        /* LIVE, COMING, GOING, UNFORMED */
#define MOD_TEXT 0                /* enum mod_mem_type (6.4+) */
#define MOD_CORE_TYPES 4          /* TEXT, DATA, RODATA, RO_AFTER_INIT: what /proc/modules sums */
#define SEARCH_BUDGET (1u << 20)  /* list entries checked, all candidates together */
#define MODULE_REACH (4ull << 30) /* ADRP: +-4 GiB */

/* Module memory lies in the module region (or vmalloc space as the fallback of module_alloc). */
static bool in_modspace(const armvmi_linux_t *lx, uint64_t va)
{
    const struct armvmi_linux_kernel *k = &lx->k;
    if (!k->modules_start.known && !k->vmalloc_start.known && k->stext.known)
        /* VMCOREINFO of 5.10 has no module range: arm64's module_alloc keeps modules within
         * ADRP's reach of the kernel (+-4 GiB, arch/arm64/kernel/module.c), outside its image */
        return va - (k->stext.value - MODULE_REACH) < 2 * MODULE_REACH &&
               va - k->stext.value >= IMAGE_SCAN_MAX;
    if (k->modules_start.known && k->modules_end.known && va >= k->modules_start.value &&
        va < k->modules_end.value)
        return true;
    return k->vmalloc_start.known && k->vmalloc_end.known && va >= k->vmalloc_start.value &&
           va < k->vmalloc_end.value;
}

/* Is the struct module at mod plausible: a printable NUL-terminated name, a known state. */
static bool module_ok(armvmi_linux_t *lx, uint64_t mod, char name[MODULE_NAME_LEN])
{
    uint64_t st;
    if (lx_kread(lx, mod + (uint64_t)lx->f[F_MOD_NAME].off, name, MODULE_NAME_LEN) ||
        lx_rd_field(lx, mod, F_MOD_STATE, &st) || st > MODULE_STATE_MAX)
        return false;
    size_t n = strnlen(name, MODULE_NAME_LEN);
    if (n == 0 || n == MODULE_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (name[i] <= ' ' || name[i] > '~')
            return false;
    return true;
}

struct mcheck {
    armvmi_linux_t *lx;
    unsigned n;
    unsigned *budget; /* shared by every candidate of a search */
};

static int check_one(void *arg, uint64_t node)
{
    struct mcheck *c = arg;
    char name[MODULE_NAME_LEN];
    c->n++;
    if (*c->budget == 0)
        return 1;
    --*c->budget;
    if (!in_modspace(c->lx, node) ||
        !module_ok(c->lx, node - (uint64_t)c->lx->f[F_MOD_LIST].off, name))
        return 1;
    return 0;
}

/* Functions of kernel/module/ that walk the `modules` list (global: one of each name). */
static const char *const modules_users[] = {"find_module_all", "print_modules",
                                            "module_kallsyms_lookup_name", "module_get_kallsym",
                                            "lookup_module_symbol_name"};
#define CODE_WINDOW 96 /* instructions read from the start of each */
#define CODE_REFS 64   /* addresses kept per function */
#define MIN_VOTES 2    /* functions that must agree */

/* Is head a `modules` list head: in the image, empty (pointing at itself) or a module ring. */
static int modules_head_kind(armvmi_linux_t *lx, uint64_t head, uint64_t img_pa, uint64_t img_len,
                             unsigned *budget)
{
    uint64_t pa = head - lx->k.kimage_voffset.value, lnk[2];
    if ((head & 7) || pa < img_pa || pa - img_pa >= img_len || lx_kread(lx, head, lnk, sizeof(lnk)))
        return 0;
    if (lnk[0] == head && lnk[1] == head)
        return 1;
    if (!in_modspace(lx, lnk[0]) || !in_modspace(lx, lnk[1]))
        return 0;
    struct mcheck c = {lx, 0, budget};
    struct lx_err e = {0};
    return lx_list_walk(lx_kread, lx, head, ARMVMI_LINUX_MAX_MODULES, check_one, &c, &e) == 0 &&
                   c.n > 0 && e.broken == 0
               ? 2
               : 0;
}

/*
 * Without KALLSYMS_ALL `modules` has no symbol, and an empty list (no module loaded) cannot be
 * told from any other empty list_head of the kernel's data by its contents: take the address
 * that the code of at least MIN_VOTES functions known to walk the list forms (ADRP/ADD/LDR),
 * that holds a list_head in the image, and that no other such address ties with.
 */
static void find_modules_by_code(armvmi_linux_t *lx, uint64_t img_pa, uint64_t img_len,
                                 unsigned *budget)
{
    enum { NF = sizeof(modules_users) / sizeof(modules_users[0]) };
    struct armvmi_linux_sym sym[NF];
    if (armvmi_linux_syms_find(lx->h, &lx->k, 0, modules_users, NF, sym) < MIN_VOTES)
        return;
    uint64_t refs[NF][CODE_REFS];
    size_t nrefs[NF] = {0};
    for (size_t f = 0; f < NF; f++) {
        uint32_t code[CODE_WINDOW];
        if (sym[f].name && lx_kread(lx, sym[f].addr, code, sizeof(code)) == 0)
            nrefs[f] = lx_code_refs(code, CODE_WINDOW, sym[f].addr, refs[f], CODE_REFS);
    }
    uint64_t best = 0;
    unsigned best_votes = 0;
    bool tie = false;
    for (size_t f = 0; f < NF; f++) {
        for (size_t i = 0; i < nrefs[f]; i++) {
            uint64_t a = refs[f][i];
            unsigned votes = 1;
            bool seen = false;
            for (size_t g = 0; g < NF && !seen; g++)
                for (size_t j = 0; j < nrefs[g]; j++)
                    if (refs[g][j] == a) {
                        seen = g < f;
                        votes += g > f;
                        break;
                    }
            if (seen || votes < MIN_VOTES || votes < best_votes || a == best ||
                !modules_head_kind(lx, a, img_pa, img_len, budget))
                continue;
            tie = votes == best_votes;
            if (votes > best_votes) {
                best = a;
                best_votes = votes;
            }
        }
    }
    if (best && !tie) {
        lx->modules_head = best;
        lx->modules_source = "code of the functions that walk it";
    }
}

/*
 * The `modules` list head is a static variable of the kernel's data (not in kallsyms without
 * KALLSYMS_ALL): a list_head in the image whose next and prev both point into module space,
 * and whose ring is made of struct modules with valid names and states only.
 */
int lx_find_modules(armvmi_linux_t *lx)
{
    if (lx->modules_head)
        return 0;
    if (!lx_need(lx, F_MOD_LIST) || !lx_need(lx, F_MOD_NAME) || !lx_need(lx, F_MOD_STATE))
        return -ARMVMI_ENOTSUP;
    const struct armvmi_linux_kernel *k = &lx->k;
    if (!k->stext_pa.known || !k->kimage_voffset.known ||
        !(k->modules_start.known || k->vmalloc_start.known || k->stext.known))
        return armvmi_set_error(ARMVMI_ENOENT, "the module list cannot be searched: discovery "
                                               "found no _stext or module address range.");
    unsigned budget = SEARCH_BUDGET; /* hostile memory: long fake module chains */
    if (lx->modules_sym) {
        /* the symbol: an empty list is fine here (no module loaded), a broken one is not */
        struct mcheck c = {lx, 0, &budget};
        struct lx_err e = {0};
        if (lx_list_walk(lx_kread, lx, lx->modules_sym, ARMVMI_LINUX_MAX_MODULES, check_one, &c,
                         &e) == 0 &&
            e.broken == 0) {
            lx->modules_head = lx->modules_sym;
            lx->modules_source = "symbol";
            return 0;
        }
    }
    uint64_t start, len;
    lx_image_range(lx, IMAGE_SCAN_MAX, &start, &len);
    find_modules_by_code(lx, start, len, &budget);
    if (lx->modules_head)
        return 0;
    uint64_t *buf = malloc(SCAN_CHUNK);
    if (!buf)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    for (uint64_t pos = 0; pos < len && !lx->modules_head && budget; pos += SCAN_CHUNK - 16) {
        size_t n = len - pos < SCAN_CHUNK ? (size_t)(len - pos) : (size_t)SCAN_CHUNK;
        if (armvmi_read_pa(lx->h, start + pos, buf, n))
            continue;
        for (size_t i = 0; i + 1 < n / 8; i++) {
            if (!in_modspace(lx, buf[i]) || !in_modspace(lx, buf[i + 1]) || (buf[i] & 7))
                continue;
            uint64_t head = start + pos + 8 * i + k->kimage_voffset.value;
            struct mcheck c = {lx, 0, &budget};
            struct lx_err e = {0};
            if (lx_list_walk(lx_kread, lx, head, ARMVMI_LINUX_MAX_MODULES, check_one, &c, &e) ==
                    0 &&
                c.n > 0 && e.broken == 0) {
                lx->modules_head = head;
                lx->modules_source = "scan of the kernel image";
                break;
            }
        }
    }
    free(buf);
    if (!lx->modules_head && !budget)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the module list search gave up after %u list "
                                "entries (damaged memory?).",
                                SEARCH_BUDGET);
    if (!lx->modules_head)
        return armvmi_set_error(ARMVMI_ENOENT,
                                "no module list found in the kernel image (no module loaded?).");
    return 0;
}

struct mlist {
    armvmi_linux_t *lx;
    struct armvmi_linux_module *v;
    size_t n, cap;
    struct lx_err *e;
};

/* Base and size of memory region idx of the module (mem[idx] from 6.4, else core_layout). */
static void mod_region(armvmi_linux_t *lx, uint64_t mod, unsigned idx, uint64_t *base,
                       uint64_t *size)
{
    *base = *size = 0;
    if (lx->f[F_MOD_MEM].off >= 0 && lx->modmem_size) {
        uint64_t m = mod + (uint64_t)lx->f[F_MOD_MEM].off + idx * lx->modmem_size;
        lx_rd_ptr(lx, m, F_MODMEM_BASE, base);
        lx_rd_field(lx, m, F_MODMEM_SIZE, size);
    } else if (lx->f[F_MOD_CORE].off >= 0 && idx == MOD_TEXT) {
        uint64_t m = mod + (uint64_t)lx->f[F_MOD_CORE].off;
        lx_rd_ptr(lx, m, F_MODLAYOUT_BASE, base);
        lx_rd_field(lx, m, F_MODLAYOUT_SIZE, size);
    }
}

static int on_module(void *arg, uint64_t node)
{
    struct mlist *L = arg;
    armvmi_linux_t *lx = L->lx;
    struct armvmi_linux_module m = {.va = node - (uint64_t)lx->f[F_MOD_LIST].off};
    uint64_t st;
    if (!module_ok(lx, m.va, m.name) || lx_rd_field(lx, m.va, F_MOD_STATE, &st)) {
        lx_err_add(L->e, "module 0x%llx cannot be read: skipped.", (unsigned long long)m.va);
        return 0;
    }
    m.state = (int32_t)st;
    mod_region(lx, m.va, MOD_TEXT, &m.base, &m.size);
    if (lx->f[F_MOD_MEM].off >= 0) {
        for (unsigned i = 0; i < MOD_CORE_TYPES; i++) {
            uint64_t b, s;
            mod_region(lx, m.va, i, &b, &s);
            m.core_size += s;
        }
    } else {
        m.core_size = m.size;
    }
    if (lx_grow(&L->v, L->n, &L->cap, sizeof(*L->v)))
        return -ARMVMI_ENOMEM;
    L->v[L->n++] = m;
    return 0;
}

int armvmi_linux_modules(armvmi_linux_t *lx, struct armvmi_linux_module **out, size_t *n,
                         struct armvmi_linux_walk *w)
{
    if (!lx || !out || !n)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_modules: NULL argument.");
    int rc = lx_find_modules(lx);
    if (rc)
        return rc;
    struct lx_err e = {0};
    struct mlist L = {.lx = lx, .e = &e};
    rc = lx_list_walk(lx_kread, lx, lx->modules_head, ARMVMI_LINUX_MAX_MODULES, on_module, &L, &e);
    if (rc < 0 && rc != -ARMVMI_EFORMAT) {
        free(L.v);
        return rc;
    }
    *out = L.v;
    *n = L.n;
    lx_walk_out(&e, w);
    return 0;
}
