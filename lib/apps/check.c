/* SPDX-License-Identifier: MIT */
/* check.c — the context of the kernel integrity checks: kernel, symbols, text range, modules. */
#include <stdlib.h>
#include <string.h>

#include <armvmi/apps.h>

#include "check_priv.h"

const char *armvmi_check_where_name(enum armvmi_check_where w)
{
    switch (w) {
    case ARMVMI_WHERE_EXPECTED:
        return "expected";
    case ARMVMI_WHERE_KERNEL_TEXT:
        return "kernel text";
    case ARMVMI_WHERE_MODULE:
        return "module";
    default:
        return "unknown memory";
    }
}

static bool prefixed(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

bool armvmi_check_syscall_name(const char *name)
{
    if (!name)
        return false;
    /* arch/arm64/include/asm/syscall_wrapper.h: every entry of sys_call_table and
     * compat_sys_call_table is a wrapper of this form, or the ni_syscall stub */
    if (strcmp(name, "sys_ni_syscall") == 0 || strcmp(name, "__arm64_sys_ni_syscall") == 0)
        return true;
    return (prefixed(name, "__arm64_sys_") && name[12]) ||
           (prefixed(name, "__arm64_compat_sys_") && name[19]);
}

/* Arm ARM C6.2.12 ADRP: 1 immlo(2) 10000 immhi(19) Rd(5); the page of PC + imm << 12 */
#define INSN_ADRP_MASK 0x9f000000u
#define INSN_ADRP 0x90000000u
/* Arm ARM C6.2.4 ADD (immediate), 64-bit: 1 0 0 100010 sh imm12 Rn Rd */
#define INSN_ADD64_IMM_MASK 0xff800000u
#define INSN_ADD64_IMM 0x91000000u

size_t armvmi_check_adrp_add(const uint32_t *insn, size_t n, uint64_t pc, uint64_t lo, uint64_t hi,
                             uint64_t *out, size_t max)
{
    uint64_t page[32];
    uint32_t known = 0; /* bit r: page[r] holds the last ADRP into Xr */
    size_t k = 0;
    for (size_t i = 0; i < n; i++, pc += 4) {
        uint32_t w = insn[i];
        unsigned rd = w & 31, rn = (w >> 5) & 31;
        if ((w & INSN_ADRP_MASK) == INSN_ADRP) {
            uint64_t imm = ((uint64_t)((w >> 5) & 0x7ffff) << 2) | ((w >> 29) & 3);
            int64_t off = (int64_t)(imm << 43) >> 31; /* 21-bit signed, times 4096 */
            page[rd] = (pc & ~0xfffull) + (uint64_t)off;
            known |= 1u << rd;
            continue;
        }
        if ((w & INSN_ADD64_IMM_MASK) != INSN_ADD64_IMM || !(known >> rn & 1) || rn == 31)
            continue;
        uint64_t imm = (w >> 10) & 0xfff;
        if (w & (1u << 22))
            imm <<= 12;
        uint64_t a = page[rn] + imm;
        known &= ~(1u << rd); /* Xd now holds the full address, no longer a page */
        if (a < lo || a >= hi)
            continue;
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++)
            dup = out[j] == a;
        if (!dup && k < max)
            out[k++] = a;
    }
    return k;
}

size_t armvmi_check_ptr_run(const uint64_t *words, size_t n, uint64_t min_va)
{
    size_t i = 0;
    while (i < n && words[i] >= min_va)
        i++;
    return i;
}

int armvmi_check_open(armvmi_t *h, armvmi_check_t **out)
{
    if (!h || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_check_open: NULL argument.");
    *out = NULL;
    armvmi_check_t *c = calloc(1, sizeof(*c));
    if (!c)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    c->h = h;
    int r = armvmi_linux_discover_flags(h, &c->k, ARMVMI_LINUX_DISCOVER_FIRST);
    if (!r)
        r = armvmi_linux_syms_open(h, &c->k, 0, &c->syms);
    if (!r && armvmi_linux_kernel_ttconfig(&c->k, &c->kctx))
        r = armvmi_set_error(ARMVMI_ENOENT, "the kernel's page tables are unknown.");
    struct armvmi_linux_sym s;
    if (!r && armvmi_linux_syms_lookup(c->syms, "_etext", &s))
        r = armvmi_set_error(ARMVMI_ENOENT, "the kernel's symbols have no _etext: the end of "
                                            "its text is unknown.");
    if (r) {
        armvmi_check_close(c);
        return r;
    }
    c->etext = s.addr;
    c->stext = c->k.stext.value;
    /* modules only name where a pointer goes: without them the checks still run */
    armvmi_linux_t *lx = NULL;
    struct armvmi_linux_walk w;
    if (armvmi_linux_open(h, &lx) || armvmi_linux_modules(lx, &c->mods, &c->nmods, &w)) {
        snprintf(c->mods_note, sizeof(c->mods_note), "modules not listed: %s", armvmi_errmsg());
        c->nmods = 0;
    } else {
        struct armvmi_linux_handle_info hi;
        armvmi_linux_handle_info(lx, &hi);
        c->module_mem = hi.module_mem;
        if (w.broken)
            snprintf(c->mods_note, sizeof(c->mods_note), "module list: %s", w.msg);
    }
    armvmi_linux_close(lx);
    *out = c;
    return 0;
}

void armvmi_check_close(armvmi_check_t *c)
{
    if (!c)
        return;
    armvmi_linux_syms_free(c->syms);
    free(c->mods);
    free(c->metas);
    free(c);
}

const struct armvmi_linux_kernel *armvmi_check_kernel(const armvmi_check_t *c)
{
    return &c->k;
}

const armvmi_linux_syms_t *armvmi_check_syms(const armvmi_check_t *c)
{
    return c->syms;
}

const char *armvmi_check_modules_note(const armvmi_check_t *c, size_t *nmodules)
{
    if (nmodules)
        *nmodules = c->nmods;
    return c->mods_note;
}

void armvmi_check_where(const armvmi_check_t *c, uint64_t va, struct armvmi_check_target *out)
{
    memset(out, 0, sizeof(*out));
    out->value = va;
    out->boot_index = -1;
    out->where = ARMVMI_WHERE_UNKNOWN;
    if (va >= c->stext && va < c->etext) {
        struct armvmi_linux_sym s;
        uint64_t off = 0;
        out->where = ARMVMI_WHERE_KERNEL_TEXT;
        if (!armvmi_linux_syms_addr(c->syms, va, &s, &off)) {
            snprintf(out->symbol, sizeof(out->symbol), "%s", s.name);
            out->offset = off;
        }
        return;
    }
    for (size_t i = 0; i < c->nmods; i++) {
        const struct armvmi_linux_module *m = &c->mods[i];
        uint64_t all = m->core_size > m->size ? m->core_size : m->size;
        if (va < m->base || va - m->base >= all)
            continue;
        out->where = ARMVMI_WHERE_MODULE;
        snprintf(out->module, sizeof(out->module), "%s", m->name);
        out->offset = va - m->base;
        if (!c->module_mem)
            out->section = "core";
        else
            out->section = va - m->base < m->size ? "text" : "data";
        return;
    }
}
