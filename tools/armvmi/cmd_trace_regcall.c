/* SPDX-License-Identifier: MIT */
/* cmd_trace_regcall.c — `armvmi trace reg|smc|hvc`: register-write and SMC/HVC events of a VM
 * under the armvmi hypervisor, with the instruction at PC and the process whose address space
 * the vCPU is in (the Linux layer, when the guest is Linux). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <armvmi/linuxos.h>

#include "trace.h"

static const char help_reg[] =
    "usage: armvmi [--vm SPEC] trace reg REGISTER [--mask M] [--all] [--deny] [--count N]\n"
    "                 [--duration SEC] [--json] [--fail-closed] [--busy-poll]\n"
    "                 [--monitor-timeout MS]\n"
    "Traps the guest kernel's writes to REGISTER (SCTLR_EL1, TTBR0_EL1, TTBR1_EL1, TCR_EL1,\n"
    "MAIR_EL1, CONTEXTIDR_EL1; the _EL1 may be left out, any case) and prints one line per\n"
    "write that changes a bit of --mask (default: every bit), or every write with --all:\n"
    "sequence number, vCPU, old and new value, the vCPU's process (and, for TTBR0_EL1, the\n"
    "process the new table belongs to, by its mm->pgd), and the MSR at PC.\n"
    "Each write takes effect, unless --deny (the register keeps its value: the guest may not\n"
    "survive that). VBAR_EL1 needs FEAT_FGT, which the hypervisor does not use.\n"
    "While a register is traced, every write of the HCR_EL2.TVM group exits to the hypervisor\n"
    "(a kernel with KPTI writes TTBR1_EL1 on every entry from user space); the hypervisor\n"
    "filters them, so only the writes asked for reach this command.\n" TRACE_PROC_HELP
    "--json: one object per line (seq, vcpu, reg, old, new, denied, pc, insn, pid, tid, comm,\n"
    "proc; for TTBR0_EL1 also new_pid, new_tid, new_comm, new_proc of the new table).\n"
    "Stops after --count events, --duration seconds or Ctrl-C, and removes its traps.\n";

static const char help_call[] =
    "usage: armvmi [--vm SPEC] trace smc|hvc [--count N] [--duration SEC] [--json]\n"
    "                 [--fail-closed] [--busy-poll] [--monitor-timeout MS]\n"
    "Traps the guest kernel's SMC (or HVC) instructions and prints one line per call: sequence\n"
    "number, vCPU, the immediate, x0 (the SMCCC function, named when it is PSCI's) and x1-x7,\n"
    "the call instruction and the vCPU's process. Each call is then served as without a\n"
    "monitor (PSCI, SMCCC; the guest's PSCI conduit is SMC by default).\n" TRACE_PROC_HELP
    "--json: one object per line (seq, vcpu, kind, imm, x0-x7 as \"x\", fn, pc, insn, pid,\n"
    "tid, comm, proc).\n"
    "Stops after --count events, --duration seconds or Ctrl-C, and removes its traps.\n";

static const struct {
    const char *name;
    enum armvmi_reg id;
} reg_names[] = {{"SCTLR_EL1", ARMVMI_REG_SCTLR_EL1}, {"TTBR0_EL1", ARMVMI_REG_TTBR0_EL1},
                 {"TTBR1_EL1", ARMVMI_REG_TTBR1_EL1}, {"TCR_EL1", ARMVMI_REG_TCR_EL1},
                 {"MAIR_EL1", ARMVMI_REG_MAIR_EL1},   {"CONTEXTIDR_EL1", ARMVMI_REG_CONTEXTIDR_EL1},
                 {"VBAR_EL1", ARMVMI_REG_VBAR_EL1}};

/* PSCI 1.1 function ids (Arm DEN0022), 32- and 64-bit. */
static const char *psci_name(uint64_t fid)
{
    static const char *const n[] = {
        "PSCI_VERSION",  "CPU_SUSPEND",  "CPU_OFF",           "CPU_ON",
        "AFFINITY_INFO", "MIGRATE",      "MIGRATE_INFO_TYPE", "MIGRATE_INFO_UP_CPU",
        "SYSTEM_OFF",    "SYSTEM_RESET", "PSCI_FEATURES"};
    fid &= 0xffffffffu;
    if ((fid & ~0x40000000u) >= 0x84000000u && (fid & ~0x40000000u) <= 0x8400000au)
        return n[(fid & ~0x40000000u) - 0x84000000u];
    if (fid == 0x80000000u)
        return "SMCCC_VERSION";
    if (fid == 0x80000001u)
        return "SMCCC_ARCH_FEATURES";
    return NULL;
}

struct rc_trace {
    struct trace t;
    enum armvmi_reg reg;
    bool deny;
};

static int on_reg(armvmi_events_t *ev, const struct armvmi_reg_event *e,
                  struct armvmi_reg_response *rsp, void *arg)
{
    struct rc_trace *r = arg;
    struct trace *t = &r->t;
    if (r->deny)
        rsp->action = ARMVMI_REGW_DENY;
    if (t->count && t->seen >= t->count)
        return 1;
    char insn[160], cur[96], nw[96];
    trace_disasm(t, &e->regs, insn, sizeof(insn), NULL);
    struct trace_proc kc, kn; /* the vCPU's process; for TTBR0_EL1 the new table's */
    trace_proc_of(t, &e->regs, &kc);
    if (e->reg == ARMVMI_REG_TTBR0_EL1)
        trace_procs_by_table(&t->procs, e->new_value, &kn);
    uint64_t pc = e->regs.regs[ARMVMI_REG_PC];
    if (t->c->json) {
        json_t *o =
            json_pack("{s:I,s:i,s:s,s:o,s:o,s:I}", "seq", (json_int_t)e->seq, "vcpu", (int)e->vcpu,
                      "reg", armvmi_reg_name(e->reg), "old", trace_hex(e->old_value), "new",
                      trace_hex(e->new_value), "time", (json_int_t)e->time);
        json_object_set_new(o, "denied", json_boolean(r->deny));
        json_object_set_new(o, "pc", trace_hex(pc));
        json_object_set_new(o, "insn", json_string(insn));
        trace_proc_json(o, "", &kc);
        if (e->reg == ARMVMI_REG_TTBR0_EL1)
            trace_proc_json(o, "new_", &kn);
        trace_json_line(o);
    } else {
        trace_proc_text(&kc, cur, sizeof(cur));
        printf("%6llu cpu%u %s %#llx -> %#llx%s  %s", (unsigned long long)e->seq, e->vcpu,
               armvmi_reg_name(e->reg), (unsigned long long)e->old_value,
               (unsigned long long)e->new_value, r->deny ? " (denied)" : "", cur);
        if (e->reg == ARMVMI_REG_TTBR0_EL1) {
            trace_proc_text(&kn, nw, sizeof(nw));
            printf(" -> %s", nw);
        }
        printf("  pc %#llx: %s\n", (unsigned long long)pc, insn);
    }
    fflush(stdout);
    t->seen++;
    return t->count && t->seen >= t->count;
}

static int on_call(armvmi_events_t *ev, const struct armvmi_call_event *e,
                   struct armvmi_call_response *rsp, void *arg)
{
    struct rc_trace *r = arg;
    struct trace *t = &r->t;
    if (t->count && t->seen >= t->count)
        return 1;
    char insn[160], cur[96];
    trace_disasm(t, &e->regs, insn, sizeof(insn), NULL);
    struct trace_proc kc;
    trace_proc_of(t, &e->regs, &kc);
    const char *fn = psci_name(e->x[0]);
    uint64_t pc = e->regs.regs[ARMVMI_REG_PC];
    const char *kind = e->kind == ARMVMI_CALL_SMC ? "smc" : "hvc";
    if (t->c->json) {
        json_t *x = json_array();
        for (int i = 0; i < 8; i++)
            json_array_append_new(x, trace_hex(e->x[i]));
        json_t *o =
            json_pack("{s:I,s:i,s:s,s:i,s:o,s:I}", "seq", (json_int_t)e->seq, "vcpu", (int)e->vcpu,
                      "kind", kind, "imm", (int)e->imm, "x", x, "time", (json_int_t)e->time);
        json_object_set_new(o, "fn", fn ? json_string(fn) : json_null());
        json_object_set_new(o, "pc", trace_hex(pc));
        json_object_set_new(o, "insn", json_string(insn));
        trace_proc_json(o, "", &kc);
        trace_json_line(o);
    } else {
        trace_proc_text(&kc, cur, sizeof(cur));
        printf("%6llu cpu%u %s #%u x0 %#llx%s%s%s", (unsigned long long)e->seq, e->vcpu, kind,
               e->imm, (unsigned long long)e->x[0], fn ? " (" : "", fn ? fn : "", fn ? ")" : "");
        for (int i = 1; i < 4; i++)
            printf(" x%d %#llx", i, (unsigned long long)e->x[i]);
        printf("  pc %#llx: %s  %s\n", (unsigned long long)pc, insn, cur);
    }
    fflush(stdout);
    t->seen++;
    return t->count && t->seen >= t->count;
}

enum { OPT_MASK = 3000, OPT_ALL, OPT_DENY };

struct rc_opts {
    uint64_t mask;
    bool all, deny, mask_set;
    struct trace_opts to;
};

/* 0: go on; 1: help printed; -1/-2: a bad option (reported). */
static int parse_opts(int argc, char **argv, bool reg, const char *help, struct rc_opts *o)
{
    struct option opts[] = {{"mask", required_argument, 0, OPT_MASK},
                            {"all", no_argument, 0, OPT_ALL},
                            {"deny", no_argument, 0, OPT_DENY},
                            TRACE_OPTS,
                            {"help", no_argument, 0, 'h'},
                            {0, 0, 0, 0}};
    int ch, r;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (!reg && (ch == OPT_MASK || ch == OPT_ALL || ch == OPT_DENY))
            return -cli_err("--mask, --all and --deny are `trace reg` options.");
        if (ch == OPT_MASK) {
            if (cli_u64(optarg, &o->mask, true) || !o->mask)
                return -cli_err("--mask takes a nonzero number (got '%s').", optarg);
            o->mask_set = true;
        } else if (ch == OPT_ALL) {
            o->all = true;
        } else if (ch == OPT_DENY) {
            o->deny = true;
        } else if (ch == 'h') {
            fputs(help, stdout);
            return 1;
        } else if ((r = trace_opt(ch, optarg, &o->to))) {
            if (r > 0)
                fputs(help, stderr); /* not an option of ours */
            return r > 0 ? -2 : -1;
        }
    }
    return 0;
}

/* Open, attach, register (reg or call), run. */
static int run(struct cli *c, struct rc_trace *r, const struct rc_opts *o, unsigned kind)
{
    struct trace *t = &r->t;
    /* the process list before attaching: the first events are not held up by it */
    if (trace_open(t, c, o->to.count))
        return 1;
    trace_resume(t);
    armvmi_events_t *ev = trace_attach(t, &o->to.eo);
    if (!ev)
        return 1;
    int rc = kind ? armvmi_call_watch(ev, kind, on_call, r, NULL)
                  : armvmi_reg_watch(ev, r->reg, o->mask_set ? o->mask : ~0ull,
                                     o->all ? ARMVMI_REGW_ALL : 0, on_reg, r, NULL);
    if (rc)
        rc = cli_lib_err(kind ? "cannot trap the calls" : "cannot trap writes of that register");
    return trace_close(t, trace_listen(t, ev, &o->to.eo, o->to.duration, rc));
}

int trace_reg(struct cli *c, int argc, char **argv)
{
    struct rc_opts o = {0};
    struct rc_trace r = {0};
    int p = parse_opts(argc, argv, true, help_reg, &o);
    if (p)
        return p > 0 ? 0 : -p;
    if (optind + 1 != argc)
        return cli_err("trace reg takes one register name (e.g. TTBR0_EL1); see --help.");
    const char *name = argv[optind];
    size_t nl = strlen(name);
    for (size_t i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++)
        if (!strcasecmp(name, reg_names[i].name) ||
            (nl + 4 == strlen(reg_names[i].name) && !strncasecmp(name, reg_names[i].name, nl)))
            r.reg = reg_names[i].id, p = 1;
    if (!p)
        return cli_err("'%s' is not a register `trace reg` can trap (SCTLR_EL1, TTBR0_EL1, "
                       "TTBR1_EL1, TCR_EL1, MAIR_EL1, CONTEXTIDR_EL1).",
                       name);
    r.deny = o.deny;
    return run(c, &r, &o, 0);
}

int trace_call(struct cli *c, int argc, char **argv, unsigned kind)
{
    struct rc_opts o = {0};
    struct rc_trace r = {0};
    int p = parse_opts(argc, argv, false, help_call, &o);
    if (p)
        return p > 0 ? 0 : -p;
    if (optind != argc)
        return cli_err("trace %s takes no arguments besides its options (got '%s').",
                       kind == ARMVMI_CALL_SMC ? "smc" : "hvc", argv[optind]);
    return run(c, &r, &o, kind);
}
