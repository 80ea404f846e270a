/* SPDX-License-Identifier: MIT */
/* cmd_check.c — `armvmi check`: kernel integrity checks (lib/apps): syscall table, vectors. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/apps.h>

#include "cli.h"

/* Exit statuses of `armvmi check` */
#define CHECK_CLEAN 0
#define CHECK_HOOKED 1
#define CHECK_ERROR 2

static const char check_help[] =
    "usage: armvmi [--vm SPEC] check syscalls|vectors [--json]\n"
    "Kernel integrity checks of a Linux guest, from guest memory and registers alone (the\n"
    "kernel's own kallsyms; no profile). A running VM is paused while it is checked.\n"
    "  syscalls   every entry of sys_call_table (and compat_sys_call_table) must be the start\n"
    "             of a __arm64_sys_*, __arm64_compat_sys_* or ni_syscall function in kernel text\n"
    "  vectors    every vCPU's exception vector base must be the kernel's `vectors`\n"
    "Exit status: 0 clean, 1 something is hooked, 2 the check could not run.\n"
    "See `armvmi check syscalls --help` and `armvmi check vectors --help`.\n";

static const char syscalls_help[] =
    "usage: armvmi [--vm SPEC] check syscalls [--json]\n"
    "Checks the kernel's system-call tables. Each table is found by its kallsyms symbol or,\n"
    "on kernels without data symbols in kallsyms (no KALLSYMS_ALL, e.g. Debian 12), by the\n"
    "address the code of do_el0_svc (do_el0_svc_compat) forms with ADRP/ADD, checked to hold\n"
    "system-call functions. Entry count: the distance from the table to the next kallsyms\n"
    "symbol / 8 when the table has a symbol, else the run of kernel pointers from its start\n"
    "(the table is followed by other data); at most 1024.\n"
    "Each entry must be the start of a kernel-text function named __arm64_sys_*,\n"
    "__arm64_compat_sys_* or the ni_syscall stub and, in sys_call_table, sit at the index the\n"
    "kernel recorded for that function at boot in its syscall trace metadata (struct\n"
    "syscall_metadata, CONFIG_FTRACE_SYSCALLS; `boot_indexed` counts the entries it covers).\n"
    "Any other entry is reported (hooked) with its index, value and where it points:\n"
    "symbol+offset in kernel text, a loaded module (name and section), or unknown memory.\n"
    "Text: one summary line per table, then the hooked entries. --json: {\"hooked\": N,\n"
    "\"tables\": {NAME: {address, entries, hooked: [...], entry: [every entry]}}}.\n"
    "Exit status: 0 clean, 1 an entry is hooked, 2 the check could not run.\n";

static const char vectors_help[] =
    "usage: armvmi [--vm SPEC] check vectors [--json]\n"
    "Checks each vCPU's exception vector base against the kernel's `vectors` symbol: VBAR_EL1,\n"
    "or VBAR_EL2 for a kernel running at EL2 with VHE (HCR_EL2.E2H and TGE set: `vm start\n"
    "--el2`); under armvmi's hypervisor (`vm start --hyp`) the guest runs at EL1: VBAR_EL1.\n"
    "A slot of __bp_harden_el1_vectors (the kernel's own Spectre-BHB vectors) is accepted.\n"
    "Needs vCPU registers (a live VM or a dump with them; not a raw image). Not handled: a KPTI\n"
    "kernel's trampoline vectors while a vCPU is at EL0 (reported as unknown memory).\n"
    "Exit status: 0 clean, 1 a vector base is not the kernel's, 2 the check could not run.\n";

static json_t *hexj(uint64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
    return json_string(b);
}

/* "sym+0x10 (kernel text)", "module nls_ascii (core+0x40)" or "unknown memory" */
static void where_str(const struct armvmi_check_target *t, char *out, size_t len)
{
    switch (t->where) {
    case ARMVMI_WHERE_EXPECTED:
    case ARMVMI_WHERE_KERNEL_TEXT:
        if (!t->symbol[0])
            snprintf(out, len, "kernel text");
        else if (t->offset)
            snprintf(out, len, "%s+0x%llx", t->symbol, (unsigned long long)t->offset);
        else
            snprintf(out, len, "%s", t->symbol);
        if (t->where == ARMVMI_WHERE_KERNEL_TEXT && t->boot_index >= 0)
            snprintf(out + strlen(out), len - strlen(out),
                     " (kernel text; the kernel's syscall metadata has it at %d)",
                     (int)t->boot_index);
        else if (t->where == ARMVMI_WHERE_KERNEL_TEXT)
            snprintf(out + strlen(out), len - strlen(out), " (kernel text)");
        break;
    case ARMVMI_WHERE_MODULE:
        snprintf(out, len, "module %s (%s+0x%llx)", t->module, t->section,
                 (unsigned long long)t->offset);
        break;
    default:
        snprintf(out, len, "unknown memory");
    }
}

static json_t *target_json(const struct armvmi_check_target *t)
{
    json_t *j =
        json_pack("{s:o,s:s}", "value", hexj(t->value), "where", armvmi_check_where_name(t->where));
    if (t->symbol[0]) {
        json_object_set_new(j, "symbol", json_string(t->symbol));
        json_object_set_new(j, "offset", json_integer((json_int_t)t->offset));
    }
    if (t->boot_index >= 0)
        json_object_set_new(j, "boot_index", json_integer(t->boot_index));
    if (t->where == ARMVMI_WHERE_MODULE) {
        json_object_set_new(j, "module", json_string(t->module));
        json_object_set_new(j, "section", json_string(t->section));
        json_object_set_new(j, "offset", json_integer((json_int_t)t->offset));
    }
    return j;
}

static int do_syscalls(armvmi_check_t *ck, bool json)
{
    struct armvmi_syscall_report r;
    if (armvmi_check_syscalls(ck, &r)) {
        cli_lib_err("check syscalls");
        return CHECK_ERROR;
    }
    json_t *tabs = json ? json_object() : NULL;
    for (unsigned i = 0; i < r.ntables; i++) {
        const struct armvmi_syscall_table *t = &r.table[i];
        json_t *hooked = json ? json_array() : NULL, *all = json ? json_array() : NULL;
        if (!json && t->nhooked)
            printf("%s: %u entries, %u hooked\n", t->name, t->entries, t->nhooked);
        else if (!json)
            printf("%s: %u entries, all in kernel text\n", t->name, t->entries);
        for (unsigned e = 0; e < t->entries; e++) {
            const struct armvmi_check_target *x = &t->entry[e];
            if (json) {
                json_array_append_new(all, target_json(x));
                if (x->where != ARMVMI_WHERE_EXPECTED) {
                    json_t *h = target_json(x);
                    json_object_set_new(h, "index", json_integer(e));
                    json_array_append_new(hooked, h);
                }
            } else if (x->where != ARMVMI_WHERE_EXPECTED) {
                char w[256];
                where_str(x, w, sizeof(w));
                printf("  %4u  0x%016llx  %s\n", e, (unsigned long long)x->value, w);
            }
        }
        if (json)
            json_object_set_new(tabs, t->name,
                                json_pack("{s:o,s:s,s:i,s:s,s:o,s:o}", "address", hexj(t->va),
                                          "found_by", t->va_source, "entries", (int)t->entries,
                                          "count", t->count_source, "hooked", hooked, "entry",
                                          all));
        if (json)
            json_object_set_new(json_object_get(tabs, t->name), "boot_indexed",
                                json_integer(t->boot_indexed));
    }
    size_t nmods;
    const char *note = armvmi_check_modules_note(ck, &nmods);
    int rc = r.nhooked ? CHECK_HOOKED : CHECK_CLEAN;
    if (json) {
        json_t *j = json_pack("{s:i,s:o,s:i}", "hooked", (int)r.nhooked, "tables", tabs, "modules",
                              (int)nmods);
        if (note[0])
            json_object_set_new(j, "warning", json_string(note));
        cli_json_out(j);
    } else if (note[0]) {
        fprintf(stderr, "armvmi: warning: %s\n", note);
    }
    armvmi_syscall_report_free(&r);
    return rc;
}

static int do_vectors(armvmi_check_t *ck, bool json)
{
    struct armvmi_vectors_report r;
    if (armvmi_check_vectors(ck, &r)) {
        cli_lib_err("check vectors");
        return CHECK_ERROR;
    }
    json_t *arr = json ? json_array() : NULL;
    if (!json) {
        if (r.nhooked)
            printf("vectors 0x%016llx: %u vCPU%s, %u hooked\n", (unsigned long long)r.vectors,
                   r.nvcpus, r.nvcpus == 1 ? "" : "s", r.nhooked);
        else
            printf("vectors 0x%016llx: %u vCPU%s, all at the kernel's vectors\n",
                   (unsigned long long)r.vectors, r.nvcpus, r.nvcpus == 1 ? "" : "s");
    }
    for (unsigned v = 0; v < r.nvcpus; v++) {
        const struct armvmi_vectors_vcpu *e = &r.vcpu[v];
        if (e->status) {
            if (json)
                json_array_append_new(arr,
                                      json_pack("{s:i,s:s}", "vcpu", (int)v, "error", e->error));
            else
                printf("  vCPU %u: %s\n", v, e->error);
            continue;
        }
        const char *reg = armvmi_reg_name(e->reg);
        if (json) {
            json_t *j = target_json(&e->vbar);
            json_object_set_new(j, "vcpu", json_integer(v));
            json_object_set_new(j, "el", json_integer(e->el));
            json_object_set_new(j, "register", json_string(reg));
            if (e->mitigation)
                json_object_set_new(j, "mitigation", json_string(e->mitigation));
            json_array_append_new(arr, j);
            continue;
        }
        char w[256];
        where_str(&e->vbar, w, sizeof(w));
        printf("  vCPU %u (EL%u): %s 0x%016llx  %s%s%s\n", v, e->el, reg,
               (unsigned long long)e->vbar.value, w,
               e->vbar.where == ARMVMI_WHERE_EXPECTED ? ": ok" : ": HOOKED",
               e->mitigation ? " (Spectre-BHB vectors)" : "");
    }
    int rc = r.nerrors ? CHECK_ERROR : r.nhooked ? CHECK_HOOKED : CHECK_CLEAN;
    if (json)
        cli_json_out(json_pack("{s:o,s:i,s:i,s:o}", "vectors", hexj(r.vectors), "hooked",
                               (int)r.nhooked, "errors", (int)r.nerrors, "vcpus", arr));
    free(r.vcpu);
    return rc;
}

int cmd_check(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *what = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
    const char *help = !what                           ? check_help
                       : strcmp(what, "syscalls") == 0 ? syscalls_help
                       : strcmp(what, "vectors") == 0  ? vectors_help
                                                       : NULL;
    if (!help) {
        cli_err("unknown check '%s' (syscalls or vectors; see `armvmi check --help`).", what);
        return CHECK_ERROR;
    }
    int o;
    optind = what ? 2 : 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(help, stdout);
            return 0;
        }
        fputs(help, stderr);
        return CHECK_ERROR;
    }
    if (!what) {
        fputs(check_help, stderr);
        cli_err("check needs what to check: syscalls or vectors.");
        return CHECK_ERROR;
    }
    if (optind != argc) {
        cli_err("check %s takes no arguments (got '%s').", what, argv[optind]);
        return CHECK_ERROR;
    }
    armvmi_t *h;
    bool paused;
    if (cli_open_held(c, &h, &paused))
        return CHECK_ERROR;
    struct armvmi_info in;
    armvmi_get_info(h, &in);
    armvmi_check_t *ck;
    int rc;
    if (armvmi_check_open(h, &ck)) {
        cli_err("cannot read the Linux kernel of %s: %s", in.target, armvmi_errmsg());
        rc = CHECK_ERROR;
    } else {
        rc = strcmp(what, "syscalls") == 0 ? do_syscalls(ck, c->json) : do_vectors(ck, c->json);
        armvmi_check_close(ck);
    }
    if (paused && armvmi_resume(h)) {
        cli_lib_err("cannot resume the VM");
        rc = CHECK_ERROR;
    }
    armvmi_close(h);
    return rc;
}
