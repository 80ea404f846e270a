/* SPDX-License-Identifier: MIT */
/* cmd_kernel.c — `armvmi kernel`: the Linux kernel found in guest memory, with no profile. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/types.h>

#include "cli.h"

static const char help[] =
    "usage: armvmi [--vm SPEC] kernel [--json]\n"
    "Finds the Linux kernel in guest RAM from its VMCOREINFO (no profile, no registers\n"
    "needed: raw images work) and prints its release, KASLR offset, kimage_voffset,\n"
    "PHYS_OFFSET, VA bits, page size, swapper_pg_dir, address ranges and where each fact came\n"
    "from. A running VM is paused while RAM is scanned and then resumed (a paused one stays\n"
    "paused); where the target has\n"
    "registers, TTBR1_EL1 of vCPU 0 is compared with swapper_pg_dir. The kallsyms line says\n"
    "how many symbols the kernel's own table holds and how it was found (see `armvmi syms`);\n"
    "the btf line where the kernel's own BTF is (see `armvmi btf`). With --profile FILE, the\n"
    "profile lines say which outside types and symbols the Linux commands use instead, and a\n"
    "System.map that does not fit this kernel (its _stext plus the KASLR offset) is refused.\n";

struct row {
    const char *name;
    const struct armvmi_linux_fact *f;
    bool dec;
};

static json_t *fact_json(const struct armvmi_linux_fact *f, bool dec)
{
    if (!f->known)
        return json_null();
    char b[32];
    if (dec)
        return json_integer((json_int_t)f->value);
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)f->value);
    return json_string(b);
}

int cmd_kernel(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(help, stdout);
            return 0;
        }
        fputs(help, stderr);
        return 2;
    }
    if (optind != argc)
        return cli_err("kernel takes no arguments (got '%s').", argv[optind]);
    armvmi_t *h;
    bool paused;
    if (cli_open_paused(c, &h, &paused))
        return 1;
    struct armvmi_linux_kernel *k = calloc(1, sizeof(*k));
    int rc = k ? armvmi_linux_discover(h, k) : -ARMVMI_ENOMEM;
    armvmi_types_t *btf = NULL;
    char btf_err[256] = "", serr[512] = "";
    struct armvmi_types_info bi = {0};
    if (!rc && armvmi_linux_btf_find(h, k, &btf))
        snprintf(btf_err, sizeof(btf_err), "%s", armvmi_errmsg());
    if (btf) {
        armvmi_types_info(btf, &bi);
        armvmi_types_close(btf);
    }
    armvmi_linux_syms_t *syms = NULL;
    if (!rc && armvmi_linux_syms_open(h, k, 0, &syms))
        snprintf(serr, sizeof(serr), "%s", armvmi_errmsg());
    if (paused && armvmi_resume(h) && !rc)
        rc = -ARMVMI_EIO;
    armvmi_close(h);
    if (rc) {
        free(k);
        return cli_lib_err("kernel discovery");
    }
    struct armvmi_linux_syms_info si;
    memset(&si, 0, sizeof(si));
    armvmi_linux_syms_get_info(syms, &si);
    armvmi_linux_syms_free(syms);
    const struct row rows[] = {
        {"kaslr", &k->kaslr_offset, false},
        {"kimage_voffset", &k->kimage_voffset, false},
        {"phys_offset", &k->phys_offset, false},
        {"page_offset", &k->page_offset, false},
        {"va_bits", &k->va_bits, true},
        {"page_size", &k->page_size, true},
        {"tcr_t1sz", &k->t1sz, true},
        {"swapper_pg_dir", &k->swapper_pg_dir, false},
        {"swapper_pg_dir_pa", &k->swapper_pg_dir_pa, false},
        {"stext", &k->stext, false},
        {"stext_pa", &k->stext_pa, false},
        {"init_uts_ns", &k->init_uts_ns, false},
        {"modules_start", &k->modules_start, false},
        {"modules_end", &k->modules_end, false},
        {"vmalloc_start", &k->vmalloc_start, false},
        {"vmalloc_end", &k->vmalloc_end, false},
        {"vmemmap_start", &k->vmemmap_start, false},
        {"vmemmap_end", &k->vmemmap_end, false},
        {"ttbr1", &k->ttbr1, false},
    };
    const size_t nrows = sizeof(rows) / sizeof(rows[0]);
    struct armvmi_tt_config cfg;
    bool have_cfg = armvmi_linux_kernel_ttconfig(k, &cfg) == 0;
    if (c->json) {
        json_t *j =
            json_pack("{s:s,s:s}", "release", k->release, "release_source", k->release_source);
        json_t *src = json_object();
        for (size_t i = 0; i < nrows; i++) {
            json_object_set_new(j, rows[i].name, fact_json(rows[i].f, rows[i].dec));
            if (rows[i].f->known)
                json_object_set_new(src, rows[i].name, json_string(rows[i].f->source));
        }
        json_object_set_new(j, "sources", src);
        json_object_set_new(j, "ttbr1_check", json_string(k->ttbr1_check));
        if (have_cfg) {
            char b[32];
            snprintf(b, sizeof(b), "0x%llx", (unsigned long long)cfg.tcr);
            json_object_set_new(j, "tcr", json_string(b));
        }
        json_t *hits = json_array();
        for (unsigned i = 0; i < k->nhits && i < ARMVMI_LINUX_MAX_HITS; i++) {
            char b[32];
            snprintf(b, sizeof(b), "0x%llx", (unsigned long long)k->hits[i].pa);
            json_array_append_new(
                hits, json_pack("{s:s,s:s,s:b,s:b,s:b}", "pa", b, "form",
                                k->hits[i].note ? "note" : "page", "parsed", k->hits[i].parsed,
                                "validated", k->hits[i].validated, "chosen", (int)i == k->chosen));
        }
        json_object_set_new(j, "vmcoreinfo", hits);
        json_object_set_new(j, "scanned_bytes", json_integer((json_int_t)k->scanned));
        if (btf_err[0]) {
            json_object_set_new(j, "btf", json_null());
        } else {
            char pa[32], va[32];
            snprintf(pa, sizeof(pa), "0x%llx", (unsigned long long)bi.pa);
            snprintf(va, sizeof(va), "0x%llx", (unsigned long long)bi.va);
            json_object_set_new(j, "btf",
                                json_pack("{s:s,s:s,s:I,s:I}", "pa", pa, "va", va, "size",
                                          (json_int_t)bi.size, "types", (json_int_t)bi.ntypes));
        }
        if (btf_err[0])
            json_object_set_new(j, "btf_error", json_string(btf_err));
        char nb[32];
        snprintf(nb, sizeof(nb), "0x%llx", (unsigned long long)si.loc.names);
        json_object_set_new(j, "kallsyms",
                            serr[0] ? json_pack("{s:s}", "error", serr)
                                    : json_pack("{s:i,s:s,s:s,s:s,s:i}", "count",
                                                (json_int_t)si.kallsyms, "found_by", si.kallsyms_at,
                                                "layout", si.layout, "names", nb, "ksymtab",
                                                (json_int_t)si.ksymtab));
        cli_profile_report(c, k, j);
        free(k);
        return cli_json_out(j);
    }
    printf("%-18s %s\n%-18s   source: %s\n", "release", k->release, "", k->release_source);
    for (size_t i = 0; i < nrows; i++) {
        if (!rows[i].f->known)
            continue;
        if (rows[i].dec)
            printf("%-18s %llu\n", rows[i].name, (unsigned long long)rows[i].f->value);
        else
            printf("%-18s 0x%016llx\n", rows[i].name, (unsigned long long)rows[i].f->value);
        printf("%-18s   source: %s\n", "", rows[i].f->source);
    }
    if (k->ttbr1_check[0])
        printf("%-18s %s\n", "ttbr1 check", k->ttbr1_check);
    if (have_cfg)
        printf("%-18s --ttbr1 0x%llx --tcr 0x%llx (for translate, read --va)\n", "kernel context",
               (unsigned long long)cfg.ttbr1, (unsigned long long)cfg.tcr);
    printf("%-18s %u cop%s in %llu MiB of RAM:", "vmcoreinfo", k->nhits,
           k->nhits == 1 ? "y" : "ies", (unsigned long long)(k->scanned >> 20));
    for (unsigned i = 0; i < k->nhits && i < ARMVMI_LINUX_MAX_HITS; i++)
        printf(" 0x%llx (%s%s%s)", (unsigned long long)k->hits[i].pa,
               k->hits[i].note ? "note" : "page",
               k->hits[i].validated ? ", validated"
               : k->hits[i].parsed  ? ""
                                    : ", rejected",
               (int)i == k->chosen ? ", used" : "");
    printf("\n");
    if (btf_err[0])
        printf("%-18s not found: %s\n", "btf", btf_err);
    else
        printf("%-18s PA 0x%llx, VA 0x%llx, %llu bytes, %u types (see `armvmi btf`)\n", "btf",
               (unsigned long long)bi.pa, (unsigned long long)bi.va, (unsigned long long)bi.size,
               bi.ntypes);
    if (serr[0])
        printf("%-18s not decoded: %s\n", "kallsyms", serr);
    else
        printf("%-18s %zu symbols at 0x%llx (%s; layout %s), %zu exported\n", "kallsyms",
               si.kallsyms, (unsigned long long)si.loc.names, si.kallsyms_at, si.layout,
               si.ksymtab);
    cli_profile_report(c, k, NULL);
    free(k);
    return 0;
}
