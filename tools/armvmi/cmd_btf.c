/* SPDX-License-Identifier: MIT */
/* cmd_btf.c — `armvmi btf`: the kernel's own BTF found in guest memory, and its types. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linuxos.h>
#include <armvmi/profile.h>
#include <armvmi/types.h>

#include "cli.h"

static const char help[] =
    "usage: armvmi [--vm SPEC] btf [--type NAME]... [--offset TYPE.MEMBER[.MEMBER...]]...\n"
    "                             [--dump FILE] [--isf FILE] [--module NAME] [--json]\n"
    "Finds the running kernel's own BTF (its .BTF section, __start_BTF..__stop_BTF) in guest\n"
    "memory, with no symbols and no profile: the kernel is found from its VMCOREINFO (as in\n"
    "`armvmi kernel`), then its image is scanned from _stext on for a BTF header that libbpf\n"
    "parses and that defines struct task_struct. Without options it prints where the BTF\n"
    "is (physical and kernel-image virtual address), its size and its number of types.\n"
    "  --type NAME     the members of a struct or union (\"task_struct\", \"struct file\",\n"
    "                  a typedef's name, or a dotted path to a member of struct type), with\n"
    "                  offsets and sizes in bytes, like pahole; anonymous structs and unions\n"
    "                  are listed with their members indented under them\n"
    "  --offset PATH   the offset, size and type of a member reached by a dotted path from a\n"
    "                  type, through anonymous structs and unions (\"task_struct.pid\",\n"
    "                  \"mm_struct.mm_mt\"); bitfields give their bit offset and width\n"
    "  --dump FILE     write the raw BTF bytes to FILE (the same bytes as the guest's\n"
    "                  /sys/kernel/btf/vmlinux; `-` is stdout)\n"
    "  --isf FILE      write the types as a Volatility 3 ISF JSON file (every struct, union,\n"
    "                  enum and base type; typedefs resolved) with the kernel's symbols at\n"
    "                  link-time addresses, usable with --profile FILE (and Volatility 3)\n"
    "  --func NAME     the prototype of function NAME (from its BTF FUNC record)\n"
    "  --module NAME   the BTF of loaded module NAME instead (the bytes of the guest's\n"
    "                  /sys/kernel/btf/NAME), split BTF on the kernel's: --type and --offset\n"
    "                  see the module's types and the kernel's, --dump writes its bytes\n"
    "  --json          one JSON document\n"
    "With --profile FILE.json (an ISF) the types come from that file instead of the guest.\n"
    "A running VM is paused while its memory is read and then resumed (a paused one stays\n"
    "paused). Works on live VMs (--el2, --hyp too), ELF dumps and raw images.\n";

#define MAX_QUERIES 64

static json_t *hexj(uint64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
    return json_string(b);
}

static const char *kind_name(enum armvmi_type_kind k)
{
    static const char *const n[] = {"void",  "int",  "ptr",  "array", "struct",
                                    "union", "enum", "func", "other"};
    return n[k <= ARMVMI_TYPE_OTHER ? k : ARMVMI_TYPE_OTHER];
}

static json_t *member_json(const struct armvmi_member *m)
{
    json_t *j = json_pack("{s:s,s:I,s:I,s:s,s:s}", "name", m->name, "offset", (json_int_t)m->offset,
                          "size", (json_int_t)m->size, "type", m->type, "kind", kind_name(m->kind));
    if (m->bit_size) {
        json_object_set_new(j, "bit_offset", json_integer((json_int_t)m->bit_offset));
        json_object_set_new(j, "bit_size", json_integer(m->bit_size));
    }
    if (m->kind == ARMVMI_TYPE_ARRAY)
        json_object_set_new(j, "nelems", json_integer((json_int_t)m->nelems));
    return j;
}

struct list {
    json_t *arr; /* JSON output, else text */
    uint64_t base;
    unsigned n;
};

static int list_member(void *arg, const struct armvmi_member *m)
{
    struct list *l = arg;
    l->n++;
    struct armvmi_member rel = *m;
    rel.offset -= l->base;
    rel.bit_offset -= l->base * 8;
    if (l->arr) {
        json_t *j = member_json(&rel);
        json_object_set_new(j, "depth", json_integer(m->depth));
        json_array_append_new(l->arr, j);
        return 0;
    }
    char bits[48] = "";
    if (m->bit_size)
        snprintf(bits, sizeof(bits), "  bits %llu:%u", (unsigned long long)(rel.bit_offset % 8),
                 m->bit_size);
    printf("%6llu %6llu  %*s%-32s %s%s\n", (unsigned long long)rel.offset,
           (unsigned long long)m->size, 2 * (int)m->depth, "", m->type,
           m->name[0] ? m->name : "(anonymous)", bits);
    return 0;
}

static int show_type(armvmi_types_t *t, const char *name, json_t *out)
{
    struct armvmi_member top;
    if (armvmi_types_member(t, name, &top))
        return cli_lib_err("btf --type");
    struct list l = {.base = top.offset};
    if (out)
        l.arr = json_array();
    else
        printf("%s  /* %s, size %llu */\n%6s %6s  %-32s %s\n", name, top.type,
               (unsigned long long)top.size, "offset", "size", "type", "name");
    int rc = armvmi_types_foreach_member(t, name, list_member, &l);
    if (rc) {
        json_decref(l.arr);
        return cli_lib_err("btf --type");
    }
    if (out) {
        json_t *j = json_pack("{s:s,s:I,s:o}", "type", top.type, "size", (json_int_t)top.size,
                              "members", l.arr);
        json_object_set_new(out, name, j);
    } else {
        printf("/* %u member%s */\n", l.n, l.n == 1 ? "" : "s");
    }
    return 0;
}

static int show_offset(armvmi_types_t *t, const char *path, json_t *out)
{
    struct armvmi_member m;
    if (armvmi_types_member(t, path, &m))
        return cli_lib_err("btf --offset");
    if (out) {
        json_object_set_new(out, path, member_json(&m));
        return 0;
    }
    printf("%s: offset %llu (0x%llx), size %llu, type %s", path, (unsigned long long)m.offset,
           (unsigned long long)m.offset, (unsigned long long)m.size, m.type);
    if (m.bit_size)
        printf(", bitfield: bit %llu, %u bit%s", (unsigned long long)m.bit_offset, m.bit_size,
               m.bit_size == 1 ? "" : "s");
    printf("\n");
    return 0;
}

static int show_func(armvmi_types_t *t, const char *name, json_t *out)
{
    char q[300], proto[1024];
    uint32_t id;
    snprintf(q, sizeof(q), "func %s", name);
    if (armvmi_types_find(t, q, &id) || armvmi_types_name_of(t, id, proto, sizeof(proto)))
        return cli_lib_err("btf --func");
    if (out)
        json_object_set_new(out, name,
                            json_pack("{s:I,s:s}", "id", (json_int_t)id, "prototype", proto));
    else
        printf("%s\n", proto);
    return 0;
}

static int dump_raw(armvmi_types_t *t, const char *file)
{
    const void *data;
    size_t len;
    if (armvmi_types_raw(t, &data, &len))
        return cli_lib_err("btf --dump");
    FILE *f = strcmp(file, "-") == 0 ? stdout : fopen(file, "wb");
    if (!f)
        return cli_err("cannot write '%s': %s.", file, strerror(errno));
    bool bad = fwrite(data, 1, len, f) != len;
    bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
    if (bad)
        return cli_err("cannot write '%s': %s.", file, strerror(errno));
    return 0;
}

/* Find the BTF of target h (paused for the search if it runs). */
static int open_types(struct cli *c, armvmi_types_t **t)
{
    struct armvmi_linux_profile p;
    if (cli_profile_load(c, &p))
        return 1;
    if (p.types) {
        *t = p.types;
        p.types = NULL;
        cli_profile_free(&p);
        return 0;
    }
    cli_profile_free(&p);
    armvmi_t *h;
    bool paused;
    if (cli_open_paused(c, &h, &paused))
        return 1;
    int rc = armvmi_linux_btf_find(h, NULL, t);
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", armvmi_errmsg());
    if (paused && armvmi_resume(h) && !rc) {
        armvmi_types_close(*t);
        armvmi_close(h);
        return cli_lib_err("cannot resume the VM");
    }
    armvmi_close(h);
    if (rc)
        return cli_err("btf: %s", msg);
    return 0;
}

/* A module's BTF (split on the kernel's): the VM stays open (*h, *lx own the base types) and
 * paused only during the search. */
static int open_module_types(struct cli *c, const char *name, armvmi_t **h, armvmi_linux_t **lx,
                             armvmi_types_t **t)
{
    bool paused;
    if (cli_open_paused(c, h, &paused))
        return 1;
    int rc = armvmi_linux_open(*h, lx);
    if (!rc && (rc = armvmi_linux_module_btf(*lx, name, t)))
        armvmi_linux_close(*lx);
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", armvmi_errmsg());
    if (paused && armvmi_resume(*h) && !rc) {
        armvmi_types_close(*t);
        armvmi_linux_close(*lx);
        armvmi_close(*h);
        return cli_lib_err("cannot resume the VM");
    }
    if (rc) {
        armvmi_close(*h);
        return cli_err("btf --module %s: %s", name, msg);
    }
    return 0;
}

/* btf --isf: the types, and the kernel's symbols (link-time) when it has kallsyms. */
static int write_isf(struct cli *c, armvmi_types_t *t, const char *file)
{
    armvmi_linux_syms_t *syms = NULL;
    struct armvmi_linux_kernel *k = calloc(1, sizeof(*k));
    char err[256] = "";
    struct armvmi_types_info I;
    armvmi_types_info(t, &I);
    if (k && I.in_memory && cli_linux_load(c, k, 0, &syms, err, sizeof(err)) == 0 && err[0])
        fprintf(stderr, "armvmi: warning: the ISF has no symbols: %s\n", err);
    uint64_t kaslr = k && k->kaslr_offset.known ? k->kaslr_offset.value : 0;
    int rc = armvmi_types_write_isf(t, syms, kaslr, file) ? cli_lib_err("btf --isf") : 0;
    armvmi_linux_syms_free(syms);
    free(k);
    return rc;
}

int cmd_btf(struct cli *c, int argc, char **argv)
{
    enum { OPT_TYPE = 1, OPT_OFFSET, OPT_DUMP, OPT_ISF, OPT_MODULE, OPT_FUNC };
    static const struct option opts[] = {{"help", no_argument, 0, 'h'},
                                         {"type", required_argument, 0, OPT_TYPE},
                                         {"offset", required_argument, 0, OPT_OFFSET},
                                         {"dump", required_argument, 0, OPT_DUMP},
                                         {"isf", required_argument, 0, OPT_ISF},
                                         {"module", required_argument, 0, OPT_MODULE},
                                         {"func", required_argument, 0, OPT_FUNC},
                                         {0, 0, 0, 0}};
    const char *types[MAX_QUERIES], *offs[MAX_QUERIES], *funcs[MAX_QUERIES],
        *dump = NULL, *isf = NULL, *mod = NULL;
    unsigned ntypes = 0, noffs = 0, nfuncs = 0;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'h':
            fputs(help, stdout);
            return 0;
        case OPT_TYPE:
            if (ntypes == MAX_QUERIES)
                return cli_err("btf: at most %d --type options.", MAX_QUERIES);
            types[ntypes++] = optarg;
            break;
        case OPT_OFFSET:
            if (noffs == MAX_QUERIES)
                return cli_err("btf: at most %d --offset options.", MAX_QUERIES);
            offs[noffs++] = optarg;
            break;
        case OPT_DUMP:
            dump = optarg;
            break;
        case OPT_ISF:
            isf = optarg;
            break;
        case OPT_MODULE:
            mod = optarg;
            break;
        case OPT_FUNC:
            if (nfuncs == MAX_QUERIES)
                return cli_err("btf: at most %d --func options.", MAX_QUERIES);
            funcs[nfuncs++] = optarg;
            break;
        default:
            fputs(help, stderr);
            return 2;
        }
    }
    if (optind != argc)
        return cli_err("btf takes no arguments (got '%s'); see `armvmi btf --help`.", argv[optind]);
    if (dump && strcmp(dump, "-") == 0 && (c->json || ntypes || noffs || nfuncs))
        return cli_err("btf --dump - writes binary to stdout: it cannot be combined with "
                       "--json, --type or --offset.");
    if (mod && isf)
        return cli_err(
            "btf: --isf writes the kernel's types; it cannot be combined with --module.");
    armvmi_types_t *t;
    armvmi_t *mh = NULL;
    armvmi_linux_t *mlx = NULL;
    if (mod ? open_module_types(c, mod, &mh, &mlx, &t) : open_types(c, &t))
        return 1;
    struct armvmi_types_info I;
    armvmi_types_info(t, &I);
    int rc = 0;
    if (dump)
        rc = dump_raw(t, dump);
    if (!rc && isf)
        rc = write_isf(c, t, isf);
    json_t *j = NULL, *jt = NULL, *jo = NULL, *jf = NULL;
    if (c->json) {
        j = json_object();
        json_t *b = json_pack(
            "{s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:s,s:o,s:I,s:I}", "source", I.source, "pa", hexj(I.pa),
            "va", I.va ? hexj(I.va) : json_null(), "size", (json_int_t)I.size, "types",
            (json_int_t)I.ntypes, "names", (json_int_t)I.nnames, "strings", (json_int_t)I.str_len,
            "scanned", I.scan_source ? I.scan_source : "", "scan_pa", hexj(I.scan_pa), "scan_len",
            (json_int_t)I.scan_len, "candidates", (json_int_t)I.candidates);
        if (mod)
            json_object_set_new(b, "module", json_string(mod));
        json_object_set_new(j, "btf", b);
        if (ntypes)
            json_object_set_new(j, "types", jt = json_object());
        if (noffs)
            json_object_set_new(j, "offsets", jo = json_object());
        if (nfuncs)
            json_object_set_new(j, "funcs", jf = json_object());
    } else if (!ntypes && !noffs && !nfuncs && !dump && mod) {
        printf("%-10s %s (%s) at PA 0x%llx, VA 0x%llx\n", "btf", I.source, mod,
               (unsigned long long)I.pa, (unsigned long long)I.va);
        printf("%-10s %llu bytes, %u types of its own (%u named), %u bytes of strings; split "
               "on the kernel's BTF\n",
               "", (unsigned long long)I.size, I.ntypes, I.nnames, I.str_len);
    } else if (!ntypes && !noffs && !nfuncs && !dump && !isf && !I.in_memory) {
        printf("%-10s %s: %u types (%u named in the index)\n", "btf", I.source, I.ntypes, I.nnames);
    } else if (!ntypes && !noffs && !nfuncs && !dump && !isf) {
        printf("%-10s %s at PA 0x%llx", "btf", I.source, (unsigned long long)I.pa);
        if (I.va)
            printf(", VA 0x%llx", (unsigned long long)I.va);
        printf("\n%-10s %llu bytes, %u types (%u named in the index), %u bytes of strings\n", "",
               (unsigned long long)I.size, I.ntypes, I.nnames, I.str_len);
        printf("%-10s found in %s: PA 0x%llx + %llu MiB, %u BTF-looking header(s)\n", "",
               I.scan_source, (unsigned long long)I.scan_pa, (unsigned long long)(I.scan_len >> 20),
               I.candidates);
    }
    for (unsigned i = 0; i < ntypes && !rc; i++)
        rc = show_type(t, types[i], jt);
    for (unsigned i = 0; i < noffs && !rc; i++)
        rc = show_offset(t, offs[i], jo);
    for (unsigned i = 0; i < nfuncs && !rc; i++)
        rc = show_func(t, funcs[i], jf);
    armvmi_types_close(t);
    armvmi_linux_close(mlx);
    armvmi_close(mh);
    if (j) {
        if (rc) {
            json_decref(j);
            return rc;
        }
        return cli_json_out(j);
    }
    return rc;
}
