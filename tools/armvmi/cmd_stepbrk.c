/* SPDX-License-Identifier: MIT */
/* cmd_stepbrk.c — `armvmi trace step` and `armvmi trace break`: single-step and breakpoint
 * events of a VM under the armvmi hypervisor. */
#include <capstone/capstone.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/events.h>
#include <armvmi/linux.h>
#include <armvmi/linuxos.h>

#include "cli.h"

static const char step_help[] =
    "usage: armvmi [--vm SPEC] trace step [--vcpu N] [--pid P] [--count N] [--duration SEC]\n"
    "                 [--el0] [--irqs] [--regs] [--json] [--busy-poll]\n"
    "Single-steps vCPU N (default 0), or with --pid every vCPU while process P runs at EL0,\n"
    "and prints one line per instruction about to run: sequence number, vCPU, step count, EL,\n"
    "PC and the instruction there, disassembled, and the process (from the Linux layer).\n"
    "--el0: only instructions at EL0 (re-armed after a system call at the next exit at EL0:\n"
    "a gap in the trace). --irqs: let virtual\n"
    "interrupts in between steps (default: held). --regs (with --json): x0-x30, sp and pstate\n"
    "of each step. Stops after --count steps, --duration seconds or Ctrl-C; stepping is off\n"
    "when it exits. Only VMs started with `armvmi vm start --hyp`.\n";

static const char break_help[] =
    "usage: armvmi [--vm SPEC] trace break SYMBOL|VA [--pid P] [--count N] [--duration SEC]\n"
    "                 [--json] [--busy-poll]\n"
    "A breakpoint at a kernel symbol (+offset) or a virtual address (of process P with --pid,\n"
    "else of the kernel, through vCPU 0): one line per hit (sequence number, vCPU, hits, PC,\n"
    "the instruction there, disassembled, and the process); the original instruction then runs.\n"
    "The guest reading that address sees its original bytes. With --pid only that process's\n"
    "hits count. Stops after --count hits, --duration seconds or Ctrl-C, and clears it.\n";

static armvmi_events_t *volatile sb_ev;

static void on_signal(int sig)
{
    armvmi_events_t *ev = sb_ev;
    if (ev)
        armvmi_events_interrupt(ev);
}

struct proc {
    uint64_t pgd;
    int32_t pid;
    char comm[32];
};

struct sbtrace {
    struct cli *c;
    armvmi_t *h;
    csh cs;
    bool cs_ok, regs;
    uint64_t count, seen;
    struct proc *procs;
    size_t nprocs;
    long long procs_ms;
};

/* The processes' page-table roots, to name the current process of an event. */
static void procs_load(struct sbtrace *t)
{
    armvmi_linux_t *lx;
    struct armvmi_linux_task *tasks;
    size_t n;
    t->procs_ms = cli_now_ms();
    if (armvmi_linux_open(t->h, &lx))
        return;
    if (!armvmi_linux_tasks(lx, false, &tasks, &n, NULL)) {
        struct proc *p = calloc(n ? n : 1, sizeof(*p));
        size_t k = 0;
        for (size_t i = 0; p && i < n; i++) {
            if (!tasks[i].pgd_pa)
                continue;
            p[k].pgd = tasks[i].pgd_pa;
            p[k].pid = tasks[i].tgid;
            snprintf(p[k].comm, sizeof(p[k].comm), "%s", tasks[i].comm);
            k++;
        }
        if (p) {
            free(t->procs);
            t->procs = p;
            t->nprocs = k;
        }
        free(tasks);
    }
    armvmi_linux_close(lx);
}

/* The process whose TTBR0 this is (the list is re-read at most once a second on a miss). */
static const struct proc *proc_of(struct sbtrace *t, uint64_t ttbr0)
{
    uint64_t base = ttbr0 & 0x0000fffffffffffeull;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < t->nprocs; i++)
            if (t->procs[i].pgd == base)
                return &t->procs[i];
        if (pass || cli_now_ms() - t->procs_ms < 1000)
            break;
        procs_load(t);
    }
    return NULL;
}

static void ctx_of(const struct armvmi_regs *r, struct armvmi_tt_config *ctx)
{
    *ctx = (struct armvmi_tt_config){.regime = ARMVMI_REGIME_EL10,
                                     .tcr = r->regs[ARMVMI_REG_TCR_EL1],
                                     .ttbr0 = r->regs[ARMVMI_REG_TTBR0_EL1],
                                     .ttbr1 = r->regs[ARMVMI_REG_TTBR1_EL1],
                                     .mair = r->regs[ARMVMI_REG_MAIR_EL1],
                                     .sctlr = r->regs[ARMVMI_REG_SCTLR_EL1]};
    ctx->features = armvmi_features_from_tcr(ctx);
}

/* The instruction at PC through the vCPU's EL1&0 tables: its word and its disassembly. */
static void disasm(struct sbtrace *t, const struct armvmi_regs *r, char *out, size_t len,
                   uint32_t *word)
{
    struct armvmi_tt_config ctx;
    ctx_of(r, &ctx);
    uint64_t pc = r->regs[ARMVMI_REG_PC];
    uint8_t code[4];
    *word = 0;
    if (armvmi_read_va(t->h, &ctx, pc, code, sizeof(code))) {
        snprintf(out, len, "(PC not readable: %s)", armvmi_errmsg());
        return;
    }
    *word = (uint32_t)code[0] | (uint32_t)code[1] << 8 | (uint32_t)code[2] << 16 |
            (uint32_t)code[3] << 24;
    cs_insn *insn;
    if (!t->cs_ok || cs_disasm(t->cs, code, sizeof(code), pc, 1, &insn) != 1) {
        snprintf(out, len, ".inst 0x%08x", *word);
        return;
    }
    snprintf(out, len, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
    cs_free(insn, 1);
}

static json_t *hex(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
    return json_string(b);
}

/* One event line: the common part of steps and hits. */
static void print_event(struct sbtrace *t, uint64_t seq, unsigned vcpu, const char *what,
                        uint64_t n, const struct armvmi_regs *r, json_t *extra)
{
    char insn[160];
    uint32_t word;
    disasm(t, r, insn, sizeof(insn), &word);
    uint64_t pc = r->regs[ARMVMI_REG_PC], ps = r->regs[ARMVMI_REG_PSTATE];
    unsigned el = (ps >> 2) & 3;
    const struct proc *p = proc_of(t, r->regs[ARMVMI_REG_TTBR0_EL1]);
    if (t->c->json) {
        json_t *o = json_pack("{s:I,s:i,s:I,s:i,s:o,s:s,s:o,s:o}", "seq", (json_int_t)seq, "vcpu",
                              (int)vcpu, what, (json_int_t)n, "el", (int)el, "pc", hex(pc), "insn",
                              insn, "word", hex(word), "ttbr0", hex(r->regs[ARMVMI_REG_TTBR0_EL1]));
        json_object_set_new(o, "pid", p ? json_integer(p->pid) : json_null());
        json_object_set_new(o, "comm", p ? json_string(p->comm) : json_null());
        if (t->regs) {
            json_t *x = json_array();
            for (int i = 0; i <= 30; i++)
                json_array_append_new(x, hex(r->regs[ARMVMI_REG_X0 + i]));
            json_object_set_new(o, "x", x);
            json_object_set_new(o, "sp", hex(r->regs[ARMVMI_REG_SP]));
            json_object_set_new(o, "pstate", hex(ps));
        }
        if (extra)
            json_object_update(o, extra);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (s) {
            puts(s);
            free(s);
        }
    } else {
        printf("%6llu cpu%u %s %llu EL%u", (unsigned long long)seq, vcpu, what,
               (unsigned long long)n, el);
        if (p)
            printf(" [%d %s]", p->pid, p->comm);
        else
            printf(" [ttbr0 %#llx]", (unsigned long long)r->regs[ARMVMI_REG_TTBR0_EL1]);
        printf("  pc %#llx: %s\n", (unsigned long long)pc, insn);
    }
    json_decref(extra);
    fflush(stdout);
}

static int on_step(armvmi_events_t *ev, const struct armvmi_step_event *e, bool *stop, void *arg)
{
    struct sbtrace *t = arg;
    if (t->count && t->seen >= t->count) {
        *stop = true;
        return 1;
    }
    print_event(t, e->seq, e->vcpu, "step", e->count, &e->regs, NULL);
    t->seen++;
    if (t->count && t->seen >= t->count) {
        *stop = true;
        return 1;
    }
    return 0;
}

static int on_break(armvmi_events_t *ev, const struct armvmi_break_event *e,
                    struct armvmi_break_response *rsp, void *arg)
{
    struct sbtrace *t = arg;
    rsp->action = ARMVMI_BREAK_CONTINUE;
    if (t->count && t->seen >= t->count)
        return 1;
    print_event(t, e->seq, e->vcpu, "hit", e->hits, &e->regs,
                json_pack("{s:o,s:i}", "gpa", hex(e->gpa), "id", e->id));
    t->seen++;
    return t->count && t->seen >= t->count;
}

enum { OPT_COUNT = 3000, OPT_DURATION, OPT_BUSY, OPT_EL0, OPT_IRQS, OPT_REGS };

struct sbopts {
    struct cli_vaopts vo;
    struct armvmi_events_options eo;
    uint64_t count, duration;
    unsigned flags;
    bool vcpu_set, regs;
};

static int parse(int argc, char **argv, const char *help, struct sbopts *o, bool step)
{
    struct option opts[] = {{"count", required_argument, 0, OPT_COUNT},
                            {"duration", required_argument, 0, OPT_DURATION},
                            {"busy-poll", no_argument, 0, OPT_BUSY},
                            {"el0", no_argument, 0, OPT_EL0},
                            {"irqs", no_argument, 0, OPT_IRQS},
                            {"regs", no_argument, 0, OPT_REGS},
                            {"help", no_argument, 0, 'h'},
                            CLI_VAOPTS,
                            {0, 0, 0, 0}};
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case OPT_COUNT:
            if (cli_u64(optarg, &o->count, false) || o->count == 0)
                return cli_err("--count takes a number above 0 (got '%s').", optarg);
            break;
        case OPT_DURATION:
            if (cli_u64(optarg, &o->duration, false) || !o->duration || o->duration > 86400 * 365)
                return cli_err("--duration takes seconds above 0 (got '%s').", optarg);
            break;
        case OPT_BUSY:
            o->eo.busy_poll = true;
            break;
        case OPT_EL0:
        case OPT_IRQS:
        case OPT_REGS:
            if (!step)
                return cli_err("--el0, --irqs and --regs are options of trace step.");
            if (ch == OPT_EL0)
                o->flags |= ARMVMI_STEP_EL0;
            else if (ch == OPT_IRQS)
                o->flags |= ARMVMI_STEP_IRQS;
            else
                o->regs = true;
            break;
        case 'h':
            fputs(help, stdout);
            return -1;
        case '?':
            fputs(help, stderr);
            return 2;
        default:
            if (ch == VAOPT_VCPU)
                o->vcpu_set = true;
            if (cli_vaopt(&o->vo, ch, optarg))
                return 1;
        }
    }
    return 0;
}

/* Listen until --count, --duration or Ctrl-C; then the report. */
static int listen_loop(struct sbtrace *t, armvmi_events_t *ev, const struct sbopts *o)
{
    int rc = 0;
    long long end = o->duration ? cli_now_ms() + (long long)o->duration * 1000 : -1;
    for (;;) {
        long long left = end < 0 ? 1000 : end - cli_now_ms();
        if (left <= 0)
            break;
        int n = armvmi_events_listen(ev, left > 1000 ? 1000 : (int)left);
        if (n == -ARMVMI_EINTR)
            break;
        if (n < 0) {
            rc = cli_lib_err("listening for events");
            break;
        }
        if (t->count && t->seen >= t->count)
            break;
    }
    return rc;
}

static void report(struct sbtrace *t, armvmi_events_t *ev, const char *what, bool removed)
{
    struct armvmi_events_stats st;
    uint64_t reinj = 0, filt = 0;
    armvmi_events_stats(ev, &st);
    armvmi_events_debug_counts(ev, &reinj, &filt);
    if (t->c->quiet)
        return;
    fprintf(stderr,
            "armvmi: %llu %s(s); filtered out by the hypervisor %llu; the guest's own debug "
            "exceptions handed back %llu; sequence gaps %llu%s\n",
            (unsigned long long)t->seen, what, (unsigned long long)filt, (unsigned long long)reinj,
            (unsigned long long)st.seq_gaps, removed ? "; cleared." : ".");
    if (st.last_problem[0])
        fprintf(stderr, "armvmi: last problem: %s\n", st.last_problem);
}

static int attach(struct sbtrace *t, struct sbopts *o, armvmi_events_t **ev)
{
    if (armvmi_events_attach(t->h, &o->eo, ev))
        return cli_lib_err("cannot attach to the VM's monitor channel");
    sb_ev = *ev;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return 0;
}

static void finish(struct sbtrace *t)
{
    sb_ev = NULL;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (t->cs_ok)
        cs_close(&t->cs);
    free(t->procs);
    armvmi_close(t->h);
}

int cmd_trace_step(struct cli *c, int argc, char **argv)
{
    struct sbopts o = {.vo = CLI_VAOPTS_INIT};
    int rc = parse(argc, argv, step_help, &o, true);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind != argc)
        return cli_err("trace step takes no arguments besides its options (got '%s').",
                       argv[optind]);
    struct sbtrace t = {.c = c, .count = o.count, .regs = o.regs};
    if (cli_open(c, &t.h))
        return 1;
    t.cs_ok = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &t.cs) == CS_ERR_OK;
    uint64_t ttbr0 = 0, mask = 1ull << o.vo.vcpu;
    if (armvmi_pause(t.h)) {
        rc = cli_lib_err("cannot pause the VM");
        finish(&t);
        return rc;
    }
    procs_load(&t);
    if (o.vo.has_pid) {
        struct armvmi_tt_config ctx;
        if (cli_pid_ctx(c, t.h, o.vo.pid, &ctx)) {
            armvmi_resume(t.h);
            finish(&t);
            return 1;
        }
        ttbr0 = ctx.ttbr0 & 0x0000fffffffffffeull;
        o.flags |= ARMVMI_STEP_EL0;
        if (!o.vcpu_set) {
            struct armvmi_info in;
            unsigned n = armvmi_get_info(t.h, &in) || !in.vcpus ? 1 : in.vcpus;
            mask = n >= 64 ? ~0ull : (1ull << n) - 1;
        }
    }
    armvmi_resume(t.h);
    armvmi_events_t *ev;
    if (attach(&t, &o, &ev)) {
        finish(&t);
        return 1;
    }
    if (armvmi_step_start(ev, mask, o.flags, ttbr0, on_step, &t)) {
        rc = cli_lib_err("cannot start stepping");
    } else {
        if (!c->quiet)
            fprintf(stderr, "armvmi: stepping; Ctrl-C stops.\n");
        rc = listen_loop(&t, ev, &o);
    }
    report(&t, ev, "step", true);
    if (armvmi_events_close(ev) && !rc)
        rc = cli_lib_err("ending the session");
    finish(&t);
    return rc;
}

/* SYMBOL[+OFF] through the Linux layer, or a number. */
static int resolve(armvmi_t *h, const char *spec, uint64_t *va)
{
    if (cli_u64(spec, va, false) == 0)
        return 0;
    char name[256];
    snprintf(name, sizeof(name), "%s", spec);
    uint64_t off = 0;
    char *plus = strchr(name, '+');
    if (plus) {
        *plus = 0;
        if (cli_u64(plus + 1, &off, false))
            return cli_err("'%s' is not SYMBOL+OFFSET.", spec);
    }
    struct armvmi_linux_kernel k;
    armvmi_linux_syms_t *s = NULL;
    struct armvmi_linux_sym sym;
    if (armvmi_linux_discover(h, &k) || armvmi_linux_syms_open(h, &k, 0, &s))
        return cli_lib_err("a symbol needs the guest's Linux kernel");
    int r = armvmi_linux_syms_lookup(s, name, &sym);
    armvmi_linux_syms_free(s);
    if (r)
        return cli_lib_err(NULL);
    *va = sym.addr + off;
    return 0;
}

int cmd_trace_break(struct cli *c, int argc, char **argv)
{
    struct sbopts o = {.vo = CLI_VAOPTS_INIT};
    int rc = parse(argc, argv, break_help, &o, false);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind != argc - 1)
        return cli_err("trace break takes one SYMBOL or VA (see --help).");
    const char *spec = argv[optind];
    struct sbtrace t = {.c = c, .count = o.count};
    if (cli_open(c, &t.h))
        return 1;
    t.cs_ok = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &t.cs) == CS_ERR_OK;
    struct armvmi_tt_config ctx;
    uint64_t va;
    if (cli_va_begin(t.h, &o.vo, &ctx)) {
        finish(&t);
        return 1;
    }
    rc = resolve(t.h, spec, &va);
    if (!rc)
        procs_load(&t);
    armvmi_resume(t.h);
    if (rc) {
        finish(&t);
        return rc;
    }
    armvmi_events_t *ev;
    if (attach(&t, &o, &ev)) {
        finish(&t);
        return 1;
    }
    int id;
    if (armvmi_break_va(ev, &ctx, va, o.vo.has_pid, on_break, &t, &id)) {
        rc = cli_lib_err("cannot set the breakpoint");
    } else {
        if (!c->quiet)
            fprintf(stderr, "armvmi: breakpoint at %#llx (%s) set; tracing; Ctrl-C stops.\n",
                    (unsigned long long)va, spec);
        rc = listen_loop(&t, ev, &o);
        if (armvmi_break_clear(ev, id) && !rc)
            rc = cli_lib_err("clearing the breakpoint");
    }
    report(&t, ev, "hit", !rc);
    if (armvmi_events_close(ev) && !rc)
        rc = cli_lib_err("ending the session");
    finish(&t);
    return rc;
}
