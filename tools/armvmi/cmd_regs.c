/* SPDX-License-Identifier: MIT */
/* cmd_regs.c — `armvmi regs`: a vCPU's general and system registers. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: armvmi [--vm SPEC] regs [--vcpu N|all] [--set REG=VALUE]... [--json]\n"
    "Prints the registers of vCPU N (default 0), general and system. A running VM is paused\n"
    "while they are read and then resumed. With --json, values are \"0x...\" strings keyed by\n"
    "register name, plus \"el\" (the exception level from PSTATE) and \"source\".\n"
    "Under the armvmi hypervisor (`vm start --hyp`) these are always the guest's vCPU: when the\n"
    "pause finds the CPU inside the hypervisor, the guest's registers come from the record the\n"
    "hypervisor keeps (\"source\": \"hyp-record\", with the hypervisor's own \"hyp_pc\"); else\n"
    "\"source\" is \"live\".\n"
    "--set REG=VALUE writes a register first (QEMU: X0-X30, SP, PC, PSTATE only; its gdbstub\n"
    "cannot write system registers), then prints the registers as read back.\n";

/* Arm ARM C5.2.18: PSTATE.M[3:2] is the exception level for AArch64 states. */
static int pstate_el(uint64_t pstate)
{
    return (pstate & 0x10) ? -1 : (int)((pstate >> 2) & 3);
}

/* "live": the vCPU was running guest code; "hyp-record": the physical CPU was inside the armvmi
 * hypervisor and the guest's state is the one the hypervisor saved at the exit. */
static const char *regs_source_name(const struct armvmi_regs *r)
{
    return r->source == ARMVMI_REGS_HYP_RECORD ? "hyp-record" : "live";
}

static json_t *regs_json(unsigned vcpu, const struct armvmi_regs *r)
{
    json_t *regs = json_object();
    for (int i = 0; i < ARMVMI_REG_COUNT; i++) {
        if (!armvmi_reg_valid(r, i))
            continue;
        char v[24];
        snprintf(v, sizeof(v), "0x%016llx", (unsigned long long)r->regs[i]);
        json_object_set_new(regs, armvmi_reg_name(i), json_string(v));
    }
    json_t *o = json_pack("{s:i,s:o}", "vcpu", (int)vcpu, "regs", regs);
    if (armvmi_reg_valid(r, ARMVMI_REG_PSTATE))
        json_object_set_new(o, "el", json_integer(pstate_el(r->regs[ARMVMI_REG_PSTATE])));
    json_object_set_new(o, "source", json_string(regs_source_name(r)));
    if (r->source == ARMVMI_REGS_HYP_RECORD) {
        char v[24];
        snprintf(v, sizeof(v), "0x%016llx", (unsigned long long)r->hyp_pc);
        json_object_set_new(o, "hyp_pc", json_string(v));
    }
    json_object_set_new(o, "settle_steps", json_integer(r->settle_steps));
    return o;
}

static void regs_text(unsigned vcpu, const struct armvmi_regs *r)
{
    printf("vCPU %u", vcpu);
    if (armvmi_reg_valid(r, ARMVMI_REG_PSTATE)) {
        int el = pstate_el(r->regs[ARMVMI_REG_PSTATE]);
        if (el >= 0)
            printf(" (EL%d%s)", el, el == 0 ? "t" : (r->regs[ARMVMI_REG_PSTATE] & 1) ? "h" : "t");
        else
            printf(" (AArch32)");
    }
    if (r->source == ARMVMI_REGS_HYP_RECORD)
        printf(" - paused inside the armvmi hypervisor (its PC 0x%llx): the guest's registers as "
               "it saved them at the exit",
               (unsigned long long)r->hyp_pc);
    if (r->settle_steps)
        printf(" [stepped %u instructions out of the hypervisor's entry/exit path]",
               r->settle_steps);
    putchar('\n');
    int col = 0;
    for (int i = 0; i <= ARMVMI_REG_X30; i++) {
        if (!armvmi_reg_valid(r, i))
            continue;
        printf("  %-4s %016llx", armvmi_reg_name(i), (unsigned long long)r->regs[i]);
        if (++col % 4 == 0)
            putchar('\n');
    }
    if (col % 4)
        putchar('\n');
    for (int i = ARMVMI_REG_X30 + 1; i < ARMVMI_REG_COUNT; i++)
        if (armvmi_reg_valid(r, i))
            printf("  %-16s %016llx\n", armvmi_reg_name(i), (unsigned long long)r->regs[i]);
}

int cmd_regs(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vcpu", required_argument, 0, 'v'},
                                         {"set", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *vcpu_s = "0";
    const char *sets[16];
    int nsets = 0;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'v':
            vcpu_s = optarg;
            break;
        case 's':
            if (nsets == 16)
                return cli_err("at most 16 --set options.");
            sets[nsets++] = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            fputs(help, stderr);
            return 2;
        }
    }
    if (optind != argc)
        return cli_err("regs takes no arguments besides --vcpu (got '%s').", argv[optind]);
    bool all = strcmp(vcpu_s, "all") == 0;
    uint64_t vcpu = 0;
    if (!all && (cli_u64(vcpu_s, &vcpu, false) || vcpu > 4096))
        return cli_err("--vcpu takes a vCPU number or 'all' (got '%s').", vcpu_s);
    int set_reg[16];
    uint64_t set_val[16];
    for (int i = 0; i < nsets; i++) {
        char name[32];
        const char *eq = strchr(sets[i], '=');
        if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof(name))
            return cli_err("--set takes REG=VALUE, e.g. --set x0=0x1234 (got '%s').", sets[i]);
        snprintf(name, sizeof(name), "%.*s", (int)(eq - sets[i]), sets[i]);
        set_reg[i] = armvmi_reg_from_name(name);
        if (set_reg[i] < 0)
            return cli_err("unknown register '%s'.", name);
        if (cli_u64(eq + 1, &set_val[i], false))
            return cli_err("'%s' is not a value (decimal or 0x hex).", eq + 1);
    }
    if (nsets && all)
        return cli_err("--set needs one vCPU (--vcpu N), not all.");
    armvmi_t *h;
    if (cli_open(c, &h))
        return 1;
    struct armvmi_info in;
    armvmi_get_info(h, &in);
    int bad = 0;
    if (!(in.caps & ARMVMI_CAP_REGS))
        bad = cli_err("%s has no vCPU registers (a %s target).", in.target, in.driver);
    else if (!all && vcpu >= in.vcpus)
        bad = cli_err("vCPU %llu does not exist: %s has %u vCPU(s) (0-%u).",
                      (unsigned long long)vcpu, in.target, in.vcpus, in.vcpus - 1);
    if (bad) {
        armvmi_close(h);
        return bad;
    }
    if (armvmi_pause(h)) {
        armvmi_close(h);
        return cli_lib_err("cannot pause the VM");
    }
    for (int i = 0; i < nsets; i++)
        if (armvmi_set_reg(h, (unsigned)vcpu, set_reg[i], set_val[i])) {
            int rc = cli_lib_err("--set");
            armvmi_resume(h);
            armvmi_close(h);
            return rc;
        }
    unsigned first = all ? 0 : (unsigned)vcpu, last = all ? in.vcpus - 1 : (unsigned)vcpu;
    json_t *arr = json_array();
    int rc = 0;
    for (unsigned v = first; v <= last; v++) {
        struct armvmi_regs r;
        if (armvmi_get_regs(h, v, &r)) {
            rc = cli_lib_err("regs");
            break;
        }
        if (c->json)
            json_array_append_new(arr, regs_json(v, &r));
        else
            regs_text(v, &r);
    }
    if (armvmi_resume(h) && !rc)
        rc = cli_lib_err("cannot resume the VM");
    armvmi_close(h);
    if (!rc && c->json) {
        if (all)
            return cli_json_out(arr);
        json_t *one = json_incref(json_array_get(arr, 0));
        json_decref(arr);
        return cli_json_out(one);
    }
    json_decref(arr);
    return rc;
}
