/* SPDX-License-Identifier: MIT */
/* syscalls.c — system-call table integrity: every entry must be a kernel system-call function. */
#include <stdlib.h>
#include <string.h>

#include "check_priv.h"

#define CODE_INSNS 64             /* instructions of do_el0_svc searched for the table's address */
#define PROBE_WORDS 16            /* words of a candidate table checked for system-call entries */
#define PROBE_MIN 8               /* of which at least this many must be */
#define IMAGE_SPAN (256ull << 20) /* a table lies within this far after _etext */

/* How many of a candidate's first words are system-call entry points. */
static unsigned probe(armvmi_check_t *c, uint64_t va)
{
    uint64_t w[PROBE_WORDS];
    if (armvmi_read_va(c->h, &c->kctx, va, w, sizeof(w)))
        return 0;
    unsigned good = 0;
    for (unsigned i = 0; i < PROBE_WORDS; i++) {
        struct armvmi_check_target t;
        armvmi_check_where(c, w[i], &t);
        good += t.where == ARMVMI_WHERE_KERNEL_TEXT && t.offset == 0 &&
                armvmi_check_syscall_name(t.symbol);
    }
    return good;
}

/* The table's address from the code of fn (ADRP/ADD pairs), or 0. */
static uint64_t from_code(armvmi_check_t *c, const char *fn)
{
    struct armvmi_linux_sym s;
    uint32_t code[CODE_INSNS];
    if (armvmi_linux_syms_lookup(c->syms, fn, &s) || s.addr < c->stext || s.addr >= c->etext ||
        armvmi_read_va(c->h, &c->kctx, s.addr, code, sizeof(code)))
        return 0;
    uint64_t cand[16], best = 0;
    unsigned best_good = PROBE_MIN - 1;
    size_t n =
        armvmi_check_adrp_add(code, CODE_INSNS, s.addr, c->etext, c->etext + IMAGE_SPAN, cand, 16);
    for (size_t i = 0; i < n; i++) {
        if (cand[i] & 7)
            continue;
        unsigned g = probe(c, cand[i]);
        if (g > best_good) {
            best_good = g;
            best = cand[i];
        }
    }
    return best;
}

/* Find, size and read one table; 0 with t->entries == 0 if the kernel has none. */
static int one_table(armvmi_check_t *c, struct armvmi_syscall_table *t, const char *name,
                     const char *fn)
{
    struct armvmi_linux_sym s;
    uint64_t next = 0;
    t->name = name;
    if (!armvmi_linux_syms_lookup(c->syms, name, &s) && s.source == ARMVMI_SYM_KALLSYMS) {
        t->va = s.addr;
        t->va_source = "kallsyms";
        /* the next symbol in address order bounds the table */
        struct armvmi_linux_sym y;
        size_t ns = armvmi_linux_syms_count(c->syms);
        for (size_t i = 0; i < ns; i++)
            if (!armvmi_linux_syms_at(c->syms, i, &y) && y.addr > s.addr) {
                next = y.addr;
                break;
            }
    } else {
        t->va = from_code(c, fn);
        t->va_source = strcmp(fn, "do_el0_svc") == 0
                           ? "code of do_el0_svc (ADRP/ADD), no data symbol in kallsyms"
                           : "code of do_el0_svc_compat (ADRP/ADD), no data symbol in kallsyms";
    }
    if (!t->va)
        return 0;
    uint64_t *w = calloc(ARMVMI_CHECK_MAX_SYSCALLS, sizeof(*w));
    if (!w)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    size_t max = ARMVMI_CHECK_MAX_SYSCALLS;
    if (next && (next - t->va) / 8 < max) {
        max = (size_t)((next - t->va) / 8);
        t->count_source = "distance to the next kallsyms symbol / 8";
    } else {
        t->count_source = next ? "distance to the next kallsyms symbol / 8, cut at 1024"
                               : "run of kernel pointers from its start (no next symbol)";
    }
    /* read page by page: the end of the bound may not be mapped */
    size_t got = 0;
    while (got < max) {
        uint64_t va = t->va + got * 8;
        size_t room = (size_t)((0x1000 - (va & 0xfff)) / 8);
        size_t k = max - got < room ? max - got : room;
        if (armvmi_read_va(c->h, &c->kctx, va, w + got, k * 8))
            break;
        got += k;
    }
    if (!got) {
        free(w);
        return armvmi_set_error(ARMVMI_EFAULT, "%s at 0x%llx is not readable: %s", name,
                                (unsigned long long)t->va, armvmi_errmsg());
    }
    if (!next) /* a table without a symbol ends where its kernel pointers do */
        got = armvmi_check_ptr_run(
            w, got, c->k.page_offset.known ? c->k.page_offset.value : 0xffff000000000000ull);
    t->entries = (unsigned)got;
    t->entry = calloc(got ? got : 1, sizeof(*t->entry));
    if (!t->entry) {
        free(w);
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    }
    bool native = strcmp(name, "sys_call_table") == 0;
    for (size_t i = 0; i < got; i++) {
        struct armvmi_check_target *e = &t->entry[i];
        armvmi_check_where(c, w[i], e);
        if (e->where == ARMVMI_WHERE_KERNEL_TEXT && e->offset == 0 &&
            armvmi_check_syscall_name(e->symbol)) {
            e->boot_index = native ? check_sysmeta_nr(c, e->symbol) : -1;
            t->boot_indexed += e->boot_index >= 0;
            if (e->boot_index < 0 || e->boot_index == (int32_t)i)
                e->where = ARMVMI_WHERE_EXPECTED;
        }
        if (e->where != ARMVMI_WHERE_EXPECTED)
            t->nhooked++;
    }
    free(w);
    return 0;
}

int armvmi_check_syscalls(armvmi_check_t *c, struct armvmi_syscall_report *out)
{
    if (!c || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_check_syscalls: NULL argument.");
    memset(out, 0, sizeof(*out));
    int r = check_sysmeta(c);
    if (!r)
        r = one_table(c, &out->table[0], "sys_call_table", "do_el0_svc");
    if (!r && !out->table[0].entries)
        r = armvmi_set_error(ARMVMI_ENOENT,
                             "sys_call_table not found: it is not in kallsyms and the code of "
                             "do_el0_svc forms no address of a table of system calls.");
    if (r) {
        armvmi_syscall_report_free(out);
        return r;
    }
    out->ntables = 1;
    r = one_table(c, &out->table[1], "compat_sys_call_table", "do_el0_svc_compat");
    if (r) {
        armvmi_syscall_report_free(out);
        return r;
    }
    if (out->table[1].entries)
        out->ntables = 2;
    else
        memset(&out->table[1], 0, sizeof(out->table[1]));
    for (unsigned i = 0; i < out->ntables; i++)
        out->nhooked += out->table[i].nhooked;
    return 0;
}

void armvmi_syscall_report_free(struct armvmi_syscall_report *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < 2; i++) {
        free(r->table[i].entry);
        r->table[i].entry = NULL;
    }
    r->ntables = 0;
}
