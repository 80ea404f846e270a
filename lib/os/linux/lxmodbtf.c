/* SPDX-License-Identifier: MIT */
/* lxmodbtf.c — a loaded module's own BTF found in guest memory, parsed as split BTF on vmlinux's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxpriv.h"
#include "types_priv.h"

#define SCAN_CHUNK (4ull << 20)
#define OBJ_MAX 512           /* bytes of struct btf_module / struct btf read (208 on 6.1) */
#define MAX_CANDIDATES 100000 /* pointers to the module checked before giving up */
#define BTF_HDR_MIN 24
#define MODULE_NAME_MAX 56 /* MODULE_NAME_LEN: struct btf's name */

/* Offsets of what the search reads, from the kernel's own BTF; -1 if absent. */
struct mb_layout {
    int64_t mod_btf_data, mod_btf_size;   /* struct module (5.11+) */
    int64_t bm_list, bm_module, bm_btf;   /* struct btf_module (kernel/bpf/btf.c) */
    int64_t btf_data, btf_size, btf_name; /* struct btf */
    uint64_t bm_sizeof, btf_sizeof;
};

static int64_t off_of(armvmi_linux_t *lx, const char *path)
{
    uint64_t o;
    return armvmi_types_offset(lx->types, path, &o) == 0 ? (int64_t)o : -1;
}

static int layout(armvmi_linux_t *lx, struct mb_layout *L)
{
    L->mod_btf_data = off_of(lx, "module.btf_data");
    L->mod_btf_size = off_of(lx, "module.btf_data_size");
    L->bm_list = off_of(lx, "btf_module.list");
    L->bm_module = off_of(lx, "btf_module.module");
    L->bm_btf = off_of(lx, "btf_module.btf");
    L->btf_data = off_of(lx, "btf.data");
    L->btf_size = off_of(lx, "btf.data_size");
    L->btf_name = off_of(lx, "btf.name");
    if (L->bm_list < 0 || L->bm_module < 0 || L->bm_btf < 0 || L->btf_data < 0 || L->btf_size < 0 ||
        armvmi_types_size(lx->types, "struct btf_module", &L->bm_sizeof) ||
        armvmi_types_size(lx->types, "struct btf", &L->btf_sizeof))
        return armvmi_set_error(ARMVMI_ENOTSUP,
                                "this kernel keeps no module BTF (its BTF has no struct "
                                "btf_module: Linux before 5.11, or no "
                                "CONFIG_DEBUG_INFO_BTF_MODULES).");
    if (L->bm_sizeof > OBJ_MAX || L->btf_sizeof > OBJ_MAX || L->bm_module % 8 ||
        (uint64_t)L->bm_module + 8 > L->bm_sizeof || (uint64_t)L->bm_list + 16 > L->bm_sizeof ||
        (uint64_t)L->bm_btf + 8 > L->bm_sizeof || (uint64_t)L->btf_data + 8 > L->btf_sizeof ||
        (uint64_t)L->btf_size + 4 > L->btf_sizeof)
        return armvmi_set_error(ARMVMI_EFORMAT, "struct btf_module or struct btf in the kernel's "
                                                "BTF has an implausible layout.");
    return 0;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Read size bytes of BTF at va and check that its header says exactly that size; malloc'd. */
static void *read_btf(armvmi_linux_t *lx, uint64_t va, uint64_t size)
{
    if (!lx_is_kva(lx, va) || size < BTF_HDR_MIN || size > ARMVMI_BTF_MAX_SIZE)
        return NULL;
    uint8_t *b = malloc(size);
    size_t got;
    if (b && lx_kread(lx, va, b, size) == 0 && armvmi_btf_check_header(b, size, &got) == 0 &&
        got == size)
        return b;
    free(b);
    return NULL;
}

/*
 * Is there a struct btf_module at node (a linear-map VA) for module mod: its list links are
 * consistent (next->prev is node), its btf's name is the module's (where struct btf has a
 * name) and its data is a BTF of exactly data_size bytes? On success *data (malloc'd), *va
 * and *size describe the BTF.
 */
static bool check_node(armvmi_linux_t *lx, const struct mb_layout *L, uint64_t node, uint64_t mod,
                       const char *name, void **data, uint64_t *va, uint64_t *size)
{
    uint8_t bm[OBJ_MAX], bt[OBJ_MAX];
    if (lx_kread(lx, node, bm, L->bm_sizeof) || rd64(bm + L->bm_module) != mod)
        return false;
    uint64_t list = node + (uint64_t)L->bm_list, next = rd64(bm + L->bm_list), back;
    if (!lx_is_kva(lx, next) || (next & 7) || lx_kread(lx, next + 8, &back, 8) || back != list)
        return false;
    uint64_t btf = rd64(bm + L->bm_btf);
    if (!lx_is_kva(lx, btf) || lx_kread(lx, btf, bt, L->btf_sizeof))
        return false;
    if (L->btf_name >= 0 && (uint64_t)L->btf_name + MODULE_NAME_MAX <= L->btf_sizeof &&
        strncmp((const char *)bt + L->btf_name, name, MODULE_NAME_MAX) != 0)
        return false;
    *va = rd64(bt + L->btf_data);
    *size = rd32(bt + L->btf_size);
    return (*data = read_btf(lx, *va, *size)) != NULL;
}

/* Search guest RAM for a struct btf_module that points at mod (a pointer-sized value at the
 * module member's place in a linear-map object), checking each candidate. */
static int scan_ram(armvmi_linux_t *lx, const struct mb_layout *L, uint64_t mod, const char *name,
                    void **data, uint64_t *va, uint64_t *size)
{
    const struct armvmi_linux_kernel *k = &lx->k;
    if (!k->phys_offset.known || !k->page_offset.known)
        return armvmi_set_error(ARMVMI_ENOENT, "module BTF: discovery found no linear map "
                                               "(PHYS_OFFSET), which the search needs.");
    struct armvmi_info in;
    if (armvmi_get_info(lx->h, &in))
        return -ARMVMI_EINVAL;
    uint64_t *buf = malloc(SCAN_CHUNK);
    if (!buf)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    unsigned cands = 0;
    int found = 0;
    for (unsigned r = 0; r < in.nranges && !found && cands < MAX_CANDIDATES; r++) {
        const struct armvmi_ram_range *R = &in.ranges[r];
        for (uint64_t pos = 0; pos < R->size && !found && cands < MAX_CANDIDATES;
             pos += SCAN_CHUNK) {
            size_t n = R->size - pos < SCAN_CHUNK ? (size_t)(R->size - pos) : SCAN_CHUNK;
            if (R->base + pos < k->phys_offset.value ||
                armvmi_read_pa(lx->h, R->base + pos, buf, n))
                continue;
            for (size_t i = 0; i < n / 8 && cands < MAX_CANDIDATES; i++) {
                if (buf[i] != mod)
                    continue;
                uint64_t pa = R->base + pos + 8 * i;
                if (pa - k->phys_offset.value < (uint64_t)L->bm_module)
                    continue;
                cands++;
                uint64_t node =
                    pa - (uint64_t)L->bm_module - k->phys_offset.value + k->page_offset.value;
                if (check_node(lx, L, node, mod, name, data, va, size)) {
                    found = 1;
                    break;
                }
            }
        }
    }
    free(buf);
    if (found)
        return 0;
    if (cands >= MAX_CANDIDATES)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "module BTF: gave up after %u pointers to module %s "
                                "(damaged memory?).",
                                cands, name);
    return armvmi_set_error(ARMVMI_ENOENT,
                            "module %s has no BTF in guest memory (none of the %u pointers "
                            "to its struct module is a btf_module entry).",
                            name, cands);
}

int armvmi_linux_module_btf(armvmi_linux_t *lx, const char *name, armvmi_types_t **out)
{
    if (!lx || !name || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_module_btf: NULL argument.");
    *out = NULL;
    struct mb_layout L;
    int rc = layout(lx, &L);
    if (rc)
        return rc;
    struct armvmi_linux_module *m;
    size_t n;
    struct armvmi_linux_walk w;
    if ((rc = armvmi_linux_modules(lx, &m, &n, &w)))
        return rc;
    uint64_t mod = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0)
            mod = m[i].va;
    free(m);
    if (!mod)
        return armvmi_set_error(ARMVMI_ENOENT, "no loaded module named '%s' (see `armvmi lsmod`).",
                                name);
    void *data = NULL;
    uint64_t va = 0, size = 0, p;
    /* while the module is coming, struct module still points at its .BTF (do_init_module
     * clears btf_data once the init sections are freed); after that only btf_modules has it */
    if (L.mod_btf_data >= 0 && L.mod_btf_size >= 0 &&
        lx_kread(lx, mod + L.mod_btf_data, &va, 8) == 0 && va &&
        lx_kread(lx, mod + L.mod_btf_size, &p, 8) == 0)
        data = read_btf(lx, va, size = (uint32_t)p);
    if (!data && (rc = scan_ram(lx, &L, mod, name, &data, &va, &size)))
        return rc;
    rc = armvmi_types_from_btf_split(data, size, lx->types, out);
    free(data);
    if (rc)
        return rc;
    uint64_t pa = 0;
    armvmi_va_to_pa(lx->h, &lx->kctx, va, &pa);
    types_set_where(*out, "module BTF in guest memory", pa, va);
    return 0;
}
