/* SPDX-License-Identifier: MIT */
/* cmd_trace.c — `armvmi trace mem` (memory events of a VM under the armvmi hypervisor), the
 * helpers every trace kind shares (trace.h) and the `trace` command's dispatch. */
#include <capstone/capstone.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/events.h>

#include "cli.h"
#include "trace.h"

static const char help[] =
    "usage: armvmi [--vm SPEC] trace mem|step|break|reg|smc|hvc ... (`armvmi trace KIND --help`)\n"
    "       armvmi [--vm SPEC] trace mem --pa|--va ADDR[+LEN] --access r|w|x|rw|..|rx2rw|n2rwx\n"
    "                 [--count N] [--duration SEC] [--json] [--fail-closed] [--busy-poll]\n"
    "                 [--monitor-timeout MS] [--pid P|--vcpu N|--ttbr0 ...]\n"
    "Traps the accesses --access names to the guest frames holding ADDR..ADDR+LEN-1 (LEN 1 by\n"
    "default; whole 4 KiB frames are trapped) and prints one line per access: sequence number,\n"
    "vCPU, access, guest-physical and virtual address, size and value (writes), and the\n"
    "instruction at PC, disassembled. Each access goes on as the guest wanted (stepped over).\n"
    "Only VMs started with `armvmi vm start --hyp`. On one started with --hold (vCPU 0 waits\n"
    "before the guest kernel) every trace kind releases it once its traps are set: it sees\n"
    "the boot from the first instruction.\n"
    "--access n2rwx: each frame's first access (any kind) makes it rwx and is shown, once, as\n"
    "an asynchronous event; rx2rw: a write makes the frame rw, with no event (nothing shown).\n"
    "--va translates ADDR..+LEN now, page by page, in the address space of --vcpu (default 0)\n"
    "or of the registers given (see `armvmi translate --help`); the frames found are trapped.\n"
    "A page not mapped now is refused (the guest must touch it first); a page re-mapped later\n"
    "is not followed (its old frame stays trapped).\n"
    "--pid P: --va is in Linux process P's address space (its mm->pgd, as `read "
    "--pid`).\n" TRACE_PROC_HELP
    "Stops after --count events, after --duration seconds, or on Ctrl-C (SIGINT/SIGTERM); in\n"
    "every case every restriction it set is removed before it exits.\n"
    "--json: one object per line (seq, vcpu, access, gpa, gva, size, value, pc, insn, ttbr0,\n"
    "pid, tid, comm, proc, flags: s1ptw, async, inherited = posted before this session\n"
    "attached, for a dead --fail-closed one).\n"
    "--fail-closed: if this monitor dies, the guest's trapped vCPUs stay paused (default: the\n"
    "hypervisor lifts every restriction after --monitor-timeout ms, 2000 by default).\n"
    "--busy-poll: spin instead of sleeping between events (lowest latency, one host CPU busy).\n";

static armvmi_events_t *volatile trace_ev;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
    armvmi_events_t *ev = trace_ev;
    if (ev)
        armvmi_events_interrupt(ev);
}

static void access_str(unsigned a, char out[4])
{
    int n = 0;
    if (a & ARMVMI_MEM_R)
        out[n++] = 'r';
    if (a & ARMVMI_MEM_W)
        out[n++] = 'w';
    if (a & ARMVMI_MEM_X)
        out[n++] = 'x';
    out[n] = 0;
}

void trace_disasm(struct trace *t, const struct armvmi_regs *r, char *out, size_t len,
                  uint32_t *word)
{
    struct armvmi_tt_config ctx = {.regime = ARMVMI_REGIME_EL10,
                                   .tcr = r->regs[ARMVMI_REG_TCR_EL1],
                                   .ttbr0 = r->regs[ARMVMI_REG_TTBR0_EL1],
                                   .ttbr1 = r->regs[ARMVMI_REG_TTBR1_EL1],
                                   .mair = r->regs[ARMVMI_REG_MAIR_EL1],
                                   .sctlr = r->regs[ARMVMI_REG_SCTLR_EL1]};
    ctx.features = armvmi_features_from_tcr(&ctx);
    uint64_t pc = r->regs[ARMVMI_REG_PC];
    uint8_t code[4];
    snprintf(out, len, "?");
    if (word)
        *word = 0;
    /* SCTLR_EL1.M = 0 (early boot, e.g. a VM held by vm start --hold): stage 1 is off, VA = PA */
    int rc = (ctx.sctlr & 1) ? armvmi_read_va(t->h, &ctx, pc, code, sizeof(code))
                             : armvmi_read_pa(t->h, pc, code, sizeof(code));
    if (rc) {
        snprintf(out, len, "(PC not readable: %s)", armvmi_errmsg());
        return;
    }
    if (word)
        *word = (uint32_t)code[0] | (uint32_t)code[1] << 8 | (uint32_t)code[2] << 16 |
                (uint32_t)code[3] << 24;
    cs_insn *insn;
    if (!t->cs_ok || cs_disasm(t->cs, code, sizeof(code), pc, 1, &insn) != 1) {
        snprintf(out, len, ".inst 0x%02x%02x%02x%02x", code[3], code[2], code[1], code[0]);
        return;
    }
    snprintf(out, len, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
    cs_free(insn, 1);
}

void trace_proc_of(struct trace *t, const struct armvmi_regs *r, struct trace_proc *pr)
{
    trace_procs_lookup(&t->procs, r, pr);
}

json_t *trace_hex(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
    return json_string(b);
}

void trace_json_line(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (s) {
        puts(s);
        free(s);
    }
}

static int on_event(armvmi_events_t *ev, const struct armvmi_mem_event *e,
                    struct armvmi_mem_response *rsp, void *arg)
{
    struct trace *t = arg;
    rsp->action = ARMVMI_MEM_STEP;
    if (t->count && t->seen >= t->count)
        return 1; /* in flight when --count was reached: answered, not shown */
    char acc[4], insn[160], proc[96];
    access_str(e->access, acc);
    trace_disasm(t, &e->regs, insn, sizeof(insn), NULL);
    uint64_t pc = e->regs.regs[ARMVMI_REG_PC];
    bool syn = e->flags & ARMVMI_MEMF_SYNDROME, val = e->flags & ARMVMI_MEMF_VALUE;
    bool gva = e->flags & ARMVMI_MEMF_GVA;
    struct trace_proc pr;
    trace_proc_of(t, &e->regs, &pr);
    if (t->c->json) {
        json_t *o =
            json_pack("{s:I,s:i,s:s,s:o,s:I}", "seq", (json_int_t)e->seq, "vcpu", (int)e->vcpu,
                      "access", acc, "gpa", trace_hex(e->gpa), "time", (json_int_t)e->time);
        json_object_set_new(o, "gva", gva ? trace_hex(e->gva) : json_null());
        json_object_set_new(o, "size", syn ? json_integer(e->size) : json_null());
        json_object_set_new(o, "value", val ? trace_hex(e->value) : json_null());
        json_object_set_new(o, "pc", trace_hex(pc));
        json_object_set_new(o, "insn", json_string(insn));
        /* the address space (with its ASID): `--va --ttbr0` of this process */
        json_object_set_new(o, "ttbr0", trace_hex(e->regs.regs[ARMVMI_REG_TTBR0_EL1]));
        trace_proc_json(o, "", &pr);
        json_t *fl = json_array();
        if (e->flags & ARMVMI_MEMF_S1PTW)
            json_array_append_new(fl, json_string("s1ptw"));
        if (e->flags & ARMVMI_MEMF_ASYNC)
            json_array_append_new(fl, json_string("async"));
        if (e->flags & ARMVMI_MEMF_INHERITED)
            json_array_append_new(fl, json_string("inherited"));
        json_object_set_new(o, "flags", fl);
        trace_json_line(o);
    } else {
        printf("%6llu cpu%u %-2s gpa %#llx", (unsigned long long)e->seq, e->vcpu, acc,
               (unsigned long long)e->gpa);
        if (gva)
            printf(" gva %#llx", (unsigned long long)e->gva);
        if (syn)
            printf(" size %u", e->size);
        if (val)
            printf(" value %#llx", (unsigned long long)e->value);
        if (e->flags & ARMVMI_MEMF_S1PTW)
            printf(" (stage-1 walk)");
        if (e->flags & ARMVMI_MEMF_ASYNC)
            printf(" (async: the vCPU went on)");
        if (e->flags & ARMVMI_MEMF_INHERITED)
            printf(" (left by a previous monitor)");
        trace_proc_text(&pr, proc, sizeof(proc));
        printf("  pc %#llx: %s  %s\n", (unsigned long long)pc, insn, proc);
    }
    fflush(stdout);
    t->seen++;
    return t->count && t->seen >= t->count;
}

/* ADDR or ADDR+LEN */
static int parse_range(const char *s, uint64_t *addr, uint64_t *len)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", s);
    char *plus = strchr(buf, '+');
    *len = 1;
    if (plus) {
        *plus = 0;
        if (cli_u64(plus + 1, len, true) || *len == 0)
            return -1;
    }
    return cli_u64(buf, addr, false);
}

static int parse_access(const char *s, unsigned *trap)
{
    *trap = !strcmp(s, "rx2rw") ? ARMVMI_MEM_RX2RW : !strcmp(s, "n2rwx") ? ARMVMI_MEM_N2RWX : 0;
    if (*trap)
        return 0;
    if (!*s || strlen(s) > 3)
        return -1;
    for (; *s; s++) {
        unsigned b = *s == 'r'   ? ARMVMI_MEM_R
                     : *s == 'w' ? ARMVMI_MEM_W
                     : *s == 'x' ? ARMVMI_MEM_X
                                 : 0;
        if (!b || (*trap & b))
            return -1;
        *trap |= b;
    }
    return 0;
}

enum { OPT_PA = 2000, OPT_VA, OPT_ACCESS };

int trace_opt(int ch, const char *arg, struct trace_opts *o)
{
    uint64_t mto;
    switch (ch) {
    case TRACE_OPT_COUNT:
        if (cli_u64(arg, &o->count, false) || o->count == 0)
            return -cli_err("--count takes a number above 0 (got '%s').", arg);
        return 0;
    case TRACE_OPT_DURATION:
        if (cli_u64(arg, &o->duration, false) || o->duration == 0 || o->duration > 86400 * 365)
            return -cli_err("--duration takes seconds above 0 (got '%s').", arg);
        return 0;
    case TRACE_OPT_FC:
        o->eo.fail_closed = true;
        return 0;
    case TRACE_OPT_BUSY:
        o->eo.busy_poll = true;
        return 0;
    case TRACE_OPT_MTO:
        if (cli_u64(arg, &mto, false) || mto < 10 || mto > 600000)
            return -cli_err("--monitor-timeout takes 10 to 600000 ms (got '%s').", arg);
        o->eo.timeout_ms = (uint32_t)mto;
        return 0;
    }
    return 1;
}

static int trace_mem(struct cli *c, int argc, char **argv)
{
    struct option opts[] = {{"pa", required_argument, 0, OPT_PA},
                            {"va", required_argument, 0, OPT_VA},
                            {"access", required_argument, 0, OPT_ACCESS},
                            TRACE_OPTS,
                            {"help", no_argument, 0, 'h'},
                            CLI_VAOPTS,
                            {0, 0, 0, 0}};
    struct cli_vaopts vo = CLI_VAOPTS_INIT;
    vo.cli = c;
    struct trace_opts to = {0};
    const char *range = NULL;
    bool virt = false;
    unsigned trap = 0;
    int ch, r;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case OPT_PA:
        case OPT_VA:
            if (range)
                return cli_err("give one of --pa and --va, once.");
            range = optarg;
            virt = ch == OPT_VA;
            break;
        case OPT_ACCESS:
            if (parse_access(optarg, &trap))
                return cli_err("--access takes r, w, x or a combination such as rw, or rx2rw or "
                               "n2rwx (got '%s').",
                               optarg);
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        case '?':
            fputs(help, stderr);
            return 2;
        default:
            if ((r = trace_opt(ch, optarg, &to)) < 0 || (r && cli_vaopt(&vo, ch, optarg)))
                return 1;
        }
    }
    if (optind != argc)
        return cli_err("trace mem takes no arguments besides its options (got '%s').",
                       argv[optind]);
    uint64_t addr, len;
    if (!range)
        return cli_err("trace mem needs --pa ADDR[+LEN] or --va ADDR[+LEN].");
    if (parse_range(range, &addr, &len))
        return cli_err("'%s' is not ADDR or ADDR+LEN (e.g. 0x41234000+4096).", range);
    if (!trap)
        return cli_err("trace mem needs --access (r, w, x or a combination).");

    if (vo.has_pid && !virt)
        return cli_err("--pid names the address space of --va (not of --pa).");
    struct trace t;
    /* The task list and the address space from a paused moment; events need the VM running. */
    if (trace_open(&t, c, to.count))
        return 1;
    struct armvmi_tt_config ctx;
    int vrc = 0;
    if (virt && vo.has_pid) {
        struct armvmi_linux_task task;
        if (!t.procs.lx)
            vrc = cli_err("--pid needs the guest's Linux kernel: %s", t.procs.err);
        else if (armvmi_linux_find_task(t.procs.lx, vo.pid, &task) ||
                 armvmi_linux_task_ctx(t.procs.lx, &task, &ctx))
            vrc = cli_lib_err(NULL);
    } else if (virt) {
        vrc = cli_vactx(t.h, &vo, &ctx) ? 1 : 0;
    }
    trace_resume(&t);
    if (vrc)
        return trace_close(&t, vrc);
    armvmi_events_t *ev = trace_attach(&t, &to.eo);
    if (!ev)
        return 1;
    int rc = virt ? armvmi_mem_watch_va(ev, &ctx, addr, len, trap, on_event, &t, NULL)
                  : armvmi_mem_watch_pa(ev, addr, len, trap, on_event, &t, NULL);
    if (rc)
        rc = cli_lib_err("cannot trap that range");
    return trace_close(&t, trace_listen(&t, ev, &to.eo, to.duration, rc));
}

int trace_open(struct trace *t, struct cli *c, uint64_t count)
{
    *t = (struct trace){.c = c, .count = count};
    if (cli_open(c, &t->h))
        return 1;
    t->cs_ok = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &t->cs) == CS_ERR_OK;
    if (armvmi_pause(t->h))
        return trace_close(t, cli_lib_err("cannot pause the VM"));
    trace_procs_open(&t->procs, t->h);
    return 0;
}

void trace_resume(struct trace *t)
{
    armvmi_resume(t->h);
    if (!t->procs.lx && !t->c->quiet)
        fprintf(stderr, "armvmi: note: events will not name processes: %s\n", t->procs.err);
}

armvmi_events_t *trace_attach(struct trace *t, const struct armvmi_events_options *eo)
{
    armvmi_events_t *ev;
    if (armvmi_events_attach(t->h, eo, &ev)) {
        trace_close(t, cli_lib_err("cannot attach to the VM's monitor channel"));
        return NULL;
    }
    trace_ev = ev;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    return ev;
}

int trace_run(struct trace *t, armvmi_events_t *ev, uint64_t duration, int rc)
{
    uint64_t count = t->count;
    if (!rc) {
        struct cli *c = t->c;
        if (!c->quiet)
            fprintf(stderr, "armvmi: tracing; Ctrl-C stops and removes the traps.\n");
        if (!c->quiet && armvmi_events_held(ev))
            fprintf(stderr, "armvmi: the VM is held before its kernel (vm start --hold): released "
                            "now, its boot is traced from the first instruction.\n");
        long long end = duration ? cli_now_ms() + (long long)duration * 1000 : -1;
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
            if (t->tick)
                t->tick(t);
            if ((count && t->seen >= count) || t->done)
                break;
        }
    }
    return rc;
}

int trace_end(struct trace *t, armvmi_events_t *ev, const struct armvmi_events_options *eo, int rc)
{
    struct cli *c = t->c;
    struct armvmi_events_stats st;
    uint64_t reinj = 0, filt = 0;
    armvmi_events_stats(ev, &st);
    armvmi_events_debug_counts(ev, &reinj, &filt);
    trace_ev = NULL;
    bool removed = armvmi_events_close(ev) == 0;
    if (!removed && !rc)
        rc = cli_lib_err("removing the traps");
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (!c->quiet) {
        fprintf(stderr, "armvmi: %llu %s(s) (waiting %s); sequence gaps %llu, duplicates %llu",
                (unsigned long long)t->seen, t->what ? t->what : "event",
                eo->busy_poll ? "busy-polling"
                : st.doorbell ? "on the doorbell"
                              : "in short sleeps",
                (unsigned long long)st.seq_gaps, (unsigned long long)st.seq_dups);
        if (st.bad_events || st.async_dropped)
            fprintf(stderr, ", corrupt %llu, dropped by the hypervisor %llu",
                    (unsigned long long)st.bad_events, (unsigned long long)st.async_dropped);
        if (t->debug_counts)
            fprintf(stderr,
                    "; filtered out by the hypervisor %llu; the guest's own debug exceptions "
                    "handed back %llu",
                    (unsigned long long)filt, (unsigned long long)reinj);
        fprintf(stderr, "%s\n", removed ? "; traps removed." : ".");
        if (st.last_problem[0])
            fprintf(stderr, "armvmi: last problem: %s\n", st.last_problem);
    }
    return rc;
}

int trace_listen(struct trace *t, armvmi_events_t *ev, const struct armvmi_events_options *eo,
                 uint64_t duration, int rc)
{
    return trace_end(t, ev, eo, trace_run(t, ev, duration, rc));
}

int trace_close(struct trace *t, int rc)
{
    trace_procs_close(&t->procs); /* reads through t->h: closed first */
    if (t->cs_ok)
        cs_close(&t->cs);
    armvmi_close(t->h);
    return rc;
}

int cmd_trace(struct cli *c, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "mem") == 0)
        return trace_mem(c, argc - 1, argv + 1);
    if (strcmp(argv[1], "step") == 0)
        return trace_step(c, argc - 1, argv + 1);
    if (strcmp(argv[1], "break") == 0)
        return trace_break(c, argc - 1, argv + 1);
    if (strcmp(argv[1], "reg") == 0)
        return trace_reg(c, argc - 1, argv + 1);
    if (strcmp(argv[1], "smc") == 0 || strcmp(argv[1], "hvc") == 0)
        return trace_call(c, argc - 1, argv + 1,
                          argv[1][0] == 's' ? ARMVMI_CALL_SMC : ARMVMI_CALL_HVC);
    return cli_err("unknown trace kind '%s' (mem, step, break, reg, smc, hvc).", argv[1]);
}
