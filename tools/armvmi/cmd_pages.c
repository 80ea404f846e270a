/* SPDX-License-Identifier: MIT */
/* cmd_pages.c — `armvmi pages`: every mapped range of an address space, coalesced. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: armvmi [--vm SPEC] pages [--user|--kernel] [--from VA] [--to VA] [--max-tables N]\n"
    "                 [VA options of `armvmi translate`] [--json]\n"
    "Lists every mapped range of the address space (the vCPU's, or the one the VA options\n"
    "give), with adjacent pages of the same attributes and contiguous output coalesced: virtual\n"
    "range, physical start, leaf size and level, EL1 and EL0 permissions, AttrIndx, nG.\n"
    "--user and --kernel keep the lower (TTBR0) or upper (TTBR1) half; --from/--to keep ranges\n"
    "that overlap [FROM, TO). Page tables are hostile input: at most --max-tables tables are\n"
    "read (default 1048576), and unreadable tables are counted and skipped.\n";

struct pages_ctx {
    struct cli *c;
    uint64_t from, to;
    json_t *arr;
    uint64_t shown, bytes;
};

static int on_range(void *arg, const struct armvmi_range *r)
{
    struct pages_ctx *p = arg;
    uint64_t end = r->va + r->size; /* may wrap to 0 at the very top */
    if ((end != 0 && end <= p->from) || r->va >= p->to)
        return 0;
    char e0[4], e1[4];
    cli_perm_str(r->perm_el0, e0);
    cli_perm_str(r->perm_el1, e1);
    p->shown++;
    p->bytes += r->size;
    if (p->c->json) {
        char va[24], last[24];
        snprintf(va, sizeof(va), "0x%llx", (unsigned long long)r->va);
        snprintf(last, sizeof(last), "0x%llx", (unsigned long long)(r->va + r->size - 1));
        json_array_append_new(
            p->arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:i,s:s,s:s,s:i,s:i,s:i,s:b,s:b}", "va", va,
                              "va_last", last, "pa", (json_int_t)r->pa, "ipa", (json_int_t)r->ipa,
                              "size", (json_int_t)r->size, "page_size", (json_int_t)r->page_size,
                              "level", r->level, "perm_el1", e1, "perm_el0", e0, "attrindx",
                              r->attrindx, "attr", r->attr, "sh", r->sh, "ng", r->ng, "ns", r->ns));
        return 0;
    }
    if (p->shown == 1)
        printf("%-37s %-18s %9s %5s %3s %3s %3s %4s %s\n", "VIRTUAL", "PHYSICAL", "SIZE", "LEAF",
               "LVL", "EL1", "EL0", "ATTR", "FLAGS");
    char sz[16], leaf[16];
    cli_size_str(r->size, sz, sizeof(sz));
    cli_size_str(r->page_size, leaf, sizeof(leaf));
    printf("%016llx-%016llx  %016llx %9s %5s %3d %3s %3s %4u %s%s\n", (unsigned long long)r->va,
           (unsigned long long)(r->va + r->size - 1), (unsigned long long)r->pa, sz, leaf, r->level,
           e1, e0, r->attrindx, r->ng ? "nG" : "G", r->ns ? " NS" : "");
    return 0;
}

int cmd_pages(struct cli *c, int argc, char **argv)
{
    struct option opts[] = {{"user", no_argument, 0, 'u'},
                            {"kernel", no_argument, 0, 'k'},
                            {"from", required_argument, 0, 'f'},
                            {"to", required_argument, 0, 't'},
                            {"max-tables", required_argument, 0, 'm'},
                            {"help", no_argument, 0, 'h'},
                            CLI_VAOPTS,
                            {0, 0, 0, 0}};
    struct cli_vaopts vo = CLI_VAOPTS_INIT;
    vo.cli = c;
    struct pages_ctx p = {.c = c, .from = 0, .to = UINT64_MAX};
    uint64_t max_tables = 0;
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'u':
            p.to = 1ull << 55;
            break; /* Arm ARM D8.2.2: bit 55 selects TTBR1 */
        case 'k':
            p.from = 1ull << 55;
            break;
        case 'f':
            if (cli_u64(optarg, &p.from, false))
                return cli_err("--from takes an address (got '%s').", optarg);
            break;
        case 't':
            if (cli_u64(optarg, &p.to, false))
                return cli_err("--to takes an address (got '%s').", optarg);
            break;
        case 'm':
            if (cli_u64(optarg, &max_tables, false) || max_tables == 0)
                return cli_err("--max-tables takes a count above 0 (got '%s').", optarg);
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        case '?':
            fputs(help, stderr);
            return 2;
        default:
            if (cli_vaopt(&vo, ch, optarg))
                return 1;
        }
    }
    if (optind != argc)
        return cli_err("pages takes no arguments besides its options (got '%s').", argv[optind]);
    if (p.from >= p.to)
        return cli_err("the range [--from, --to) is empty.");
    armvmi_t *h;
    if (cli_open(c, &h))
        return 1;
    struct armvmi_tt_config ctx;
    struct armvmi_enum_stats st = {0};
    p.arr = json_array();
    int rc = cli_va_begin(h, &vo, &ctx);
    if (!rc) {
        if (armvmi_va_ranges(h, &ctx, max_tables, on_range, &p, &st))
            rc = cli_lib_err("pages");
        armvmi_resume(h);
    }
    armvmi_close(h);
    if (rc) {
        json_decref(p.arr);
        return rc;
    }
    if (st.truncated)
        fprintf(stderr, "armvmi: note: stopped after --max-tables tables; the list is "
                        "incomplete.\n");
    if (c->json)
        return cli_json_out(json_pack(
            "{s:s,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:b}}", "regime", armvmi_regime_name(ctx.regime),
            "ranges", p.arr, "stats", "shown", (json_int_t)p.shown, "mapped_bytes",
            (json_int_t)p.bytes, "tables", (json_int_t)st.tables, "leaves", (json_int_t)st.leaves,
            "bad_tables", (json_int_t)st.bad, "truncated", st.truncated));
    json_decref(p.arr);
    printf("%llu range(s), %llu MiB mapped; %llu table(s) read, %llu leaf descriptor(s)",
           (unsigned long long)p.shown, (unsigned long long)(p.bytes >> 20),
           (unsigned long long)st.tables, (unsigned long long)st.leaves);
    if (st.bad)
        printf(", %llu unreadable table(s) skipped", (unsigned long long)st.bad);
    printf("\n");
    return 0;
}
