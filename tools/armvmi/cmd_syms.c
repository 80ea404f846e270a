/* SPDX-License-Identifier: MIT */
/* cmd_syms.c — `armvmi syms`: the kernel's symbols, decoded from guest memory with no profile. */
#include <fnmatch.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linux.h>
#include <armvmi/profile.h>

#include "cli.h"

static const char help[] =
    "usage: armvmi [--vm SPEC] syms [PATTERN] [--addr VA] [--scan] [--system-map FILE] [--json]\n"
    "Lists the Linux kernel's symbols as /proc/kallsyms does (address, type, name), decoded\n"
    "from the kernel's own kallsyms tables in guest RAM (found through VMCOREINFO on 6.0+, or\n"
    "by scanning the kernel image), plus exported symbols kallsyms lacks (kernels without\n"
    "KALLSYMS_ALL have no data symbols such as init_task; type '?').\n"
    "  PATTERN     a glob on names (e.g. 'vfs_*'); a plain name is resolved through VMCOREINFO,\n"
    "              kallsyms, then the exported-symbol table, and the answer says which\n"
    "  --addr VA   the symbol at or before VA, as name+offset\n"
    "  --scan      find kallsyms by scanning the image even when VMCOREINFO locates it\n"
    "  --system-map FILE  write the symbols as a System.map with link-time addresses (minus\n"
    "              the KASLR offset), usable with --profile FILE\n"
    "With --profile System.map, the symbols are the map's, slid by the KASLR offset (a map\n"
    "whose _stext does not fit the running kernel is refused).\n"
    "A running VM is paused while it is read and then resumed. Works on dumps and raw images.\n";

static void hex(char *b, size_t n, uint64_t v)
{
    snprintf(b, n, "0x%llx", (unsigned long long)v);
}

static json_t *sym_json(const struct armvmi_linux_sym *s)
{
    char a[32], t[2] = {s->type, 0};
    hex(a, sizeof(a), s->addr);
    return json_pack("{s:s,s:s,s:s,s:s}", "name", s->name, "addr", a, "type", t, "source",
                     armvmi_linux_sym_source_name(s->source));
}

int cli_linux_load(struct cli *c, struct armvmi_linux_kernel *k, unsigned flags,
                   armvmi_linux_syms_t **syms, char *syms_err, size_t errlen)
{
    armvmi_t *h;
    bool paused;
    if (cli_open_paused(c, &h, &paused))
        return 1;
    int rc = armvmi_linux_discover(h, k);
    const char *what = "kernel discovery";
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", armvmi_errmsg());
    if (!rc && syms) {
        *syms = NULL;
        int src = armvmi_linux_syms_open(h, k, flags, syms);
        snprintf(syms_err ? syms_err : msg, syms_err ? errlen : sizeof(msg), "%s",
                 src ? armvmi_errmsg() : "");
        if (src && !syms_err) {
            rc = src;
            what = "kernel symbols";
        }
    }
    if (paused && armvmi_resume(h) && !rc) {
        rc = -ARMVMI_EIO;
        snprintf(msg, sizeof(msg), "%s", armvmi_errmsg());
        what = "resume";
    }
    armvmi_close(h);
    if (rc) {
        if (syms) {
            armvmi_linux_syms_free(*syms);
            *syms = NULL;
        }
        return cli_err("%s: %s", what, msg);
    }
    return 0;
}

/* The symbols listed: the kernel's own, or a --profile System.map's (fitted). */
struct symsrc {
    armvmi_linux_syms_t *k;
    armvmi_sysmap_t *m;
};

static size_t src_count(const struct symsrc *s)
{
    return s->m ? armvmi_sysmap_count(s->m) : armvmi_linux_syms_count(s->k);
}

static int src_at(const struct symsrc *s, size_t i, struct armvmi_linux_sym *y)
{
    return s->m ? armvmi_sysmap_at(s->m, i, y) : armvmi_linux_syms_at(s->k, i, y);
}

static int src_lookup(const struct symsrc *s, const char *name, struct armvmi_linux_sym *y)
{
    return s->m ? armvmi_sysmap_lookup(s->m, name, y) : armvmi_linux_syms_lookup(s->k, name, y);
}

static int src_addr(const struct symsrc *s, uint64_t va, struct armvmi_linux_sym *y, uint64_t *off)
{
    if (!s->m)
        return armvmi_linux_syms_addr(s->k, va, y, off);
    size_t lo = 0, hi = armvmi_sysmap_count(s->m); /* address order: the last <= va */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        struct armvmi_linux_sym t;
        if (armvmi_sysmap_at(s->m, mid, &t) == 0 && t.addr <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || armvmi_sysmap_at(s->m, lo - 1, y))
        return armvmi_set_error(ARMVMI_ENOENT, "no System.map symbol at or below 0x%llx.",
                                (unsigned long long)va);
    *off = va - y->addr;
    return 0;
}

int cmd_syms(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'},
                                         {"addr", required_argument, 0, 'a'},
                                         {"scan", no_argument, 0, 's'},
                                         {"system-map", required_argument, 0, 'm'},
                                         {0, 0, 0, 0}};
    const char *addr_s = NULL, *map_out = NULL;
    unsigned flags = 0;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(help, stdout);
            return 0;
        } else if (o == 'a') {
            addr_s = optarg;
        } else if (o == 's') {
            flags |= ARMVMI_LINUX_SYMS_SCAN;
        } else if (o == 'm') {
            map_out = optarg;
        } else {
            fputs(help, stderr);
            return 2;
        }
    }
    if (argc - optind > 1)
        return cli_err("syms takes at most one PATTERN (got '%s' too).", argv[optind + 1]);
    const char *pat = optind < argc ? argv[optind] : NULL;
    if (pat && addr_s)
        return cli_err("give either a PATTERN or --addr VA, not both.");
    uint64_t va = 0;
    if (addr_s && cli_u64(addr_s, &va, false))
        return cli_err("--addr needs an address (decimal or 0x hex), not '%s'.", addr_s);
    armvmi_linux_syms_t *s = NULL;
    struct armvmi_linux_kernel *k = calloc(1, sizeof(*k));
    if (!k)
        return cli_err("out of memory.");
    struct armvmi_linux_profile prof;
    if (cli_profile_load(c, &prof)) {
        free(k);
        return 1;
    }
    int lrc = cli_linux_load(c, k, flags, &s, NULL, 0);
    struct symsrc src = {s, prof.sysmap};
    if (!lrc && prof.sysmap && armvmi_sysmap_fit(prof.sysmap, k))
        lrc = cli_err("--profile %s: %s", prof.sysmap_name, armvmi_errmsg());
    if (!lrc && map_out) {
        if (!k->kaslr_offset.known)
            fprintf(stderr, "armvmi: warning: the KASLR offset is unknown: the System.map has "
                            "runtime addresses.\n");
        if (armvmi_linux_syms_write_sysmap(s, k->kaslr_offset.known ? k->kaslr_offset.value : 0,
                                           map_out))
            lrc = cli_lib_err("syms --system-map");
        else if (!c->json && !pat && !addr_s) {
            armvmi_linux_syms_free(s);
            cli_profile_free(&prof);
            free(k);
            return 0;
        }
    }
    free(k);
    if (lrc) {
        armvmi_linux_syms_free(s);
        cli_profile_free(&prof);
        return 1;
    }
    struct armvmi_linux_syms_info info;
    armvmi_linux_syms_get_info(s, &info);
    struct armvmi_linux_sym sym;
    int rc = 0;
    if (addr_s) {
        uint64_t off;
        if (src_addr(&src, va, &sym, &off)) {
            rc = cli_lib_err("syms --addr");
        } else if (c->json) {
            json_t *j = sym_json(&sym);
            char a[32];
            hex(a, sizeof(a), va);
            json_object_set_new(j, "query", json_string(a));
            json_object_set_new(j, "offset", json_integer((json_int_t)off));
            cli_json_out(j);
        } else {
            printf("0x%016llx %s+0x%llx (%s, %c at 0x%016llx)\n", (unsigned long long)va, sym.name,
                   (unsigned long long)off, armvmi_linux_sym_source_name(sym.source), sym.type,
                   (unsigned long long)sym.addr);
        }
        armvmi_linux_syms_free(s);
        cli_profile_free(&prof);
        return rc;
    }
    bool glob = pat && strpbrk(pat, "*?[") != NULL;
    json_t *arr = c->json ? json_array() : NULL;
    size_t shown = 0;
    if (pat && !glob) {
        if (src_lookup(&src, pat, &sym)) {
            if (arr)
                json_decref(arr);
            armvmi_linux_syms_free(s);
            cli_profile_free(&prof);
            return cli_lib_err("syms");
        }
        shown = 1;
        if (arr)
            json_array_append_new(arr, sym_json(&sym));
        else
            printf("%016llx %c %s\t[%s]\n", (unsigned long long)sym.addr, sym.type, sym.name,
                   armvmi_linux_sym_source_name(sym.source));
    } else {
        size_t n = src_count(&src);
        for (size_t i = 0; i < n; i++) {
            if (src_at(&src, i, &sym) || (pat && fnmatch(pat, sym.name, 0)))
                continue;
            shown++;
            if (arr)
                json_array_append_new(arr, sym_json(&sym));
            else if (sym.source == ARMVMI_SYM_KALLSYMS)
                printf("%016llx %c %s\n", (unsigned long long)sym.addr, sym.type, sym.name);
            else
                printf("%016llx %c %s\t[%s]\n", (unsigned long long)sym.addr, sym.type, sym.name,
                       armvmi_linux_sym_source_name(sym.source));
        }
    }
    if (arr) {
        char b[32];
        json_t *j =
            json_pack("{s:i,s:s,s:s,s:b,s:i}", "kallsyms", (json_int_t)info.kallsyms, "kallsyms_at",
                      info.kallsyms_at, "layout", info.layout, "seqs_of_names", info.seqs_of_names,
                      "ksymtab", (json_int_t)info.ksymtab);
        hex(b, sizeof(b), info.loc.names);
        json_object_set_new(j, "kallsyms_names", json_string(b));
        json_object_set_new(j, "symbols", arr);
        cli_json_out(j);
    } else if (pat && glob && !shown) {
        rc = cli_err("no kernel symbol matches '%s'.", pat);
    }
    armvmi_linux_syms_free(s);
    cli_profile_free(&prof);
    return rc;
}
