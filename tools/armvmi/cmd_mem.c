/* SPDX-License-Identifier: MIT */
/* cmd_mem.c — `armvmi info`, `armvmi read` and `armvmi write`: the target and its memory. */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define READ_CHUNK (1u << 20)
#define JSON_READ_MAX (1u << 20)

static bool want_help(int argc, char **argv, const char *text)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(text, stdout);
            return true;
        }
    return false;
}

/* Under the armvmi hypervisor, a paused VM's vCPUs: where each physical CPU was paused. */
static json_t *info_hyp_vcpus(armvmi_t *h, unsigned n)
{
    json_t *arr = json_array();
    for (unsigned v = 0; v < n; v++) {
        struct armvmi_regs r;
        const char *where;
        json_t *o = json_pack("{s:i}", "vcpu", (int)v);
        int rc = armvmi_get_regs(h, v, &r);
        if (rc) {
            where = rc == -ARMVMI_ESTATE ? "off" : "unknown";
            json_object_set_new(o, "error", json_string(armvmi_errmsg()));
        } else {
            where = r.source == ARMVMI_REGS_HYP_RECORD ? "hypervisor" : "guest";
            json_object_set_new(o, "el", json_integer((r.regs[ARMVMI_REG_PSTATE] >> 2) & 3));
        }
        json_object_set_new(o, "where", json_string(where));
        json_array_append_new(arr, o);
    }
    return arr;
}

int cmd_info(struct cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: armvmi [--vm SPEC] info [--json]\n"
        "Shows the driver behind SPEC, what it can do, its vCPUs and its RAM ranges.\n";
    if (want_help(argc, argv, help))
        return 0;
    if (argc > 1)
        return cli_err("info takes no arguments (got '%s').", argv[1]);
    armvmi_t *h;
    if (cli_open(c, &h))
        return 1;
    struct armvmi_info in;
    armvmi_get_info(h, &in);
    bool paused = false;
    bool have_state = armvmi_is_paused(h, &paused) == 0;
    json_t *hv = in.hyp_carve_size && have_state && paused && (in.caps & ARMVMI_CAP_REGS)
                     ? info_hyp_vcpus(h, in.vcpus)
                     : NULL;
    if (c->json) {
        json_t *caps = json_array(), *ram = json_array();
        for (unsigned b = 0; b < 32; b++)
            if (in.caps & (1u << b) && armvmi_cap_name(1u << b))
                json_array_append_new(caps, json_string(armvmi_cap_name(1u << b)));
        for (unsigned i = 0; i < in.nranges; i++)
            json_array_append_new(ram, json_pack("{s:I,s:I}", "base", (json_int_t)in.ranges[i].base,
                                                 "size", (json_int_t)in.ranges[i].size));
        json_t *o = json_pack("{s:s,s:s,s:o,s:i,s:o,s:I}", "driver", in.driver, "target", in.target,
                              "caps", caps, "vcpus", (int)in.vcpus, "ram", ram, "ram_bytes",
                              (json_int_t)in.ram_bytes);
        if (have_state)
            json_object_set_new(o, "paused", json_boolean(paused));
        if (in.hyp_carve_size)
            json_object_set_new(o, "hyp_carveout",
                                json_pack("{s:I,s:I}", "base", (json_int_t)in.hyp_carve_base,
                                          "size", (json_int_t)in.hyp_carve_size));
        if (hv)
            json_object_set_new(o, "hyp_vcpus", hv);
        armvmi_close(h);
        return cli_json_out(o);
    }
    printf("target:   %s\ndriver:   %s\n", in.target, in.driver);
    printf("can:     ");
    for (unsigned b = 0; b < 32; b++)
        if (in.caps & (1u << b) && armvmi_cap_name(1u << b))
            printf(" %s", armvmi_cap_name(1u << b));
    printf("\nvCPUs:    %u\n", in.vcpus);
    if (have_state && (in.caps & ARMVMI_CAP_LIVE))
        printf("state:    %s\n", paused ? "paused" : "running");
    for (unsigned i = 0; i < in.nranges; i++)
        printf("RAM:      0x%016llx-0x%016llx (%llu MiB)\n", (unsigned long long)in.ranges[i].base,
               (unsigned long long)(in.ranges[i].base + in.ranges[i].size - 1),
               (unsigned long long)(in.ranges[i].size >> 20));
    if (in.hyp_carve_size)
        printf("hyp:      armvmi hypervisor; its carve-out 0x%016llx-0x%016llx (%llu MiB) is RAM "
               "the guest never sees\n",
               (unsigned long long)in.hyp_carve_base,
               (unsigned long long)(in.hyp_carve_base + in.hyp_carve_size - 1),
               (unsigned long long)(in.hyp_carve_size >> 20));
    for (size_t i = 0; hv && i < json_array_size(hv); i++) {
        json_t *o = json_array_get(hv, i);
        const char *where = json_string_value(json_object_get(o, "where"));
        printf("vCPU %d:   ", (int)json_integer_value(json_object_get(o, "vcpu")));
        if (!strcmp(where, "guest"))
            printf("running guest code at EL%d\n",
                   (int)json_integer_value(json_object_get(o, "el")));
        else if (!strcmp(where, "hypervisor"))
            printf("paused inside the hypervisor; the guest (EL%d) as the hypervisor saved it\n",
                   (int)json_integer_value(json_object_get(o, "el")));
        else
            printf("%s\n", json_string_value(json_object_get(o, "error")));
    }
    json_decref(hv);
    printf("\nNext: `armvmi regs` (vCPU registers), `armvmi read --pa 0x%llx 256` (memory), "
           "`armvmi dump -o guest.elf` (core dump).\n",
           in.nranges ? (unsigned long long)in.ranges[0].base : 0ull);
    armvmi_close(h);
    return 0;
}

static const char read_help[] =
    "usage: armvmi [--vm SPEC] read --pa ADDR LEN [--raw] [--json]\n"
    "       armvmi [--vm SPEC] read --va ADDR LEN [VA options of `armvmi translate`] ...\n"
    "Reads LEN bytes of guest memory at physical (--pa) or virtual (--va) address ADDR\n"
    "(numbers: decimal or 0x hex; LEN may end in K, M or G) and prints a hexdump; --raw\n"
    "writes the bytes themselves to stdout; --json prints {\"pa\" or \"va\", \"len\", \"hex\"}\n"
    "(at most 1 MiB). Virtual addresses are translated with the vCPU's registers (a running\n"
    "VM is paused meanwhile) or the ones given (--vcpu, --regime, --ttbr0, --ttbr1, --tcr...).\n";

/* Where a read or write goes: a physical address, or a virtual one in a context. */
struct target_addr {
    bool virt;
    const char *text;
    uint64_t addr;
    struct cli_vaopts vo;
    struct armvmi_tt_config ctx;
};

static int addr_opt(struct target_addr *t, int o, const char *arg)
{
    if (o == 'p' || o == 'V') {
        if (t->text)
            return cli_err("give one of --pa and --va.");
        t->virt = o == 'V';
        t->text = arg;
        if (cli_u64(arg, &t->addr, false))
            return cli_err("'%s' is not an address (use decimal or 0x hex).", arg);
        return 0;
    }
    return cli_vaopt(&t->vo, o, arg);
}

/* Prepare a virtual target (pauses h: undo with armvmi_resume). */
static int addr_begin(armvmi_t *h, struct target_addr *t)
{
    return t->virt ? cli_va_begin(h, &t->vo, &t->ctx) : 0;
}

static void addr_end(armvmi_t *h, struct target_addr *t)
{
    if (t->virt)
        armvmi_resume(h);
}

int cmd_read(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"pa", required_argument, 0, 'p'},
                                         {"va", required_argument, 0, 'V'},
                                         {"raw", no_argument, 0, 'r'},
                                         {"help", no_argument, 0, 'h'},
                                         CLI_VAOPTS,
                                         {0, 0, 0, 0}};
    struct target_addr ta = {.vo = CLI_VAOPTS_INIT};
    ta.vo.cli = c;
    bool raw = false;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'r':
            raw = true;
            break;
        case 'h':
            fputs(read_help, stdout);
            return 0;
        case '?':
            fputs(read_help, stderr);
            return 2;
        default:
            if (addr_opt(&ta, o, optarg))
                return 1;
        }
    }
    uint64_t len;
    if (!ta.text)
        return cli_err("read needs --pa ADDR or --va ADDR.");
    if (optind != argc - 1)
        return cli_err("read needs exactly one LEN after the options (e.g. `read --%s %s 256`).",
                       ta.virt ? "va" : "pa", ta.text);
    if (cli_u64(argv[optind], &len, true) || len == 0)
        return cli_err("'%s' is not a length greater than 0.", argv[optind]);
    if (c->json && len > JSON_READ_MAX)
        return cli_err("--json reads at most 1 MiB; use --raw for more.");
    armvmi_t *h;
    if (cli_open(c, &h))
        return 1;
    if (addr_begin(h, &ta)) {
        armvmi_close(h);
        return 1;
    }
    uint64_t pa = ta.addr;
    size_t chunk = len < READ_CHUNK ? len : READ_CHUNK;
    uint8_t *buf = malloc(chunk);
    if (!buf) {
        addr_end(h, &ta);
        armvmi_close(h);
        return cli_err("out of memory.");
    }
    int rc = 0;
    for (uint64_t off = 0; off < len && !rc; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        if (ta.virt ? armvmi_read_va(h, &ta.ctx, pa + off, buf, n)
                    : armvmi_read_pa(h, pa + off, buf, n)) {
            rc = cli_lib_err("read");
            break;
        }
        if (c->json) {
            char *hex = malloc(n * 2 + 1);
            for (size_t i = 0; hex && i < n; i++)
                sprintf(hex + 2 * i, "%02x", buf[i]);
            if (!hex) {
                rc = cli_err("out of memory.");
                break;
            }
            if (ta.virt) {
                char vs[24];
                snprintf(vs, sizeof(vs), "0x%llx", (unsigned long long)pa);
                cli_json_out(
                    json_pack("{s:s,s:I,s:s}", "va", vs, "len", (json_int_t)len, "hex", hex));
            } else {
                cli_json_out(json_pack("{s:I,s:I,s:s}", "pa", (json_int_t)pa, "len",
                                       (json_int_t)len, "hex", hex));
            }
            free(hex);
        } else if (raw) {
            if (fwrite(buf, 1, n, stdout) != n)
                rc = cli_err("writing to stdout failed.");
        } else {
            cli_hexdump(stdout, pa + off, buf, n);
        }
    }
    free(buf);
    addr_end(h, &ta);
    armvmi_close(h);
    return rc;
}

static const char write_help[] =
    "usage: armvmi [--vm SPEC] write --pa ADDR HEX [--json]\n"
    "       armvmi [--vm SPEC] write --va ADDR HEX [VA options of `armvmi translate`]\n"
    "Writes the bytes given as hex digits (e.g. deadbeef, or de:ad:be:ef) to guest memory at\n"
    "physical or virtual address ADDR. The whole range must be mapped guest RAM; nothing is\n"
    "written otherwise.\n";

int cmd_write(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"pa", required_argument, 0, 'p'},
                                         {"va", required_argument, 0, 'V'},
                                         {"help", no_argument, 0, 'h'},
                                         CLI_VAOPTS,
                                         {0, 0, 0, 0}};
    struct target_addr ta = {.vo = CLI_VAOPTS_INIT};
    ta.vo.cli = c;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'h':
            fputs(write_help, stdout);
            return 0;
        case '?':
            fputs(write_help, stderr);
            return 2;
        default:
            if (addr_opt(&ta, o, optarg))
                return 1;
        }
    }
    if (!ta.text)
        return cli_err("write needs --pa ADDR or --va ADDR (decimal or 0x hex).");
    uint64_t pa = ta.addr;
    if (optind != argc - 1)
        return cli_err("write needs exactly one HEX string of bytes after the options.");
    const char *hex = argv[optind];
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    size_t cap = strlen(hex) / 2 + 1, n = 0;
    uint8_t *bytes = malloc(cap);
    if (!bytes)
        return cli_err("out of memory.");
    int nib = -1;
    for (const char *s = hex; *s; s++) {
        if (*s == ':' || *s == ' ' || *s == '_')
            continue;
        if (!isxdigit((unsigned char)*s)) {
            free(bytes);
            return cli_err("'%s' is not hex: '%c' is not a hex digit.", argv[optind], *s);
        }
        int v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
        if (nib < 0) {
            nib = v;
        } else {
            bytes[n++] = (uint8_t)(nib << 4 | v);
            nib = -1;
        }
    }
    if (nib >= 0 || n == 0) {
        free(bytes);
        return cli_err("'%s' must be a whole number of bytes (an even count of hex digits).",
                       argv[optind]);
    }
    armvmi_t *h;
    if (cli_open(c, &h)) {
        free(bytes);
        return 1;
    }
    int rc = 0;
    if (addr_begin(h, &ta)) {
        free(bytes);
        armvmi_close(h);
        return 1;
    }
    if (ta.virt ? armvmi_write_va(h, &ta.ctx, pa, bytes, n) : armvmi_write_pa(h, pa, bytes, n))
        rc = cli_lib_err("write");
    else if (c->json && ta.virt) {
        char vs[24];
        snprintf(vs, sizeof(vs), "0x%llx", (unsigned long long)pa);
        cli_json_out(json_pack("{s:s,s:I}", "va", vs, "len", (json_int_t)n));
    } else if (c->json)
        cli_json_out(json_pack("{s:I,s:I}", "pa", (json_int_t)pa, "len", (json_int_t)n));
    else
        printf("wrote %zu byte(s) at %s 0x%llx\n", n, ta.virt ? "virtual" : "physical",
               (unsigned long long)pa);
    addr_end(h, &ta);
    free(bytes);
    armvmi_close(h);
    return rc;
}
