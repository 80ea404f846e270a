/* SPDX-License-Identifier: MIT */
/* cmd_stepbrk.c — `armvmi trace step` and `armvmi trace break`: single-step and breakpoint
 * events of a VM under the armvmi hypervisor. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linux.h>
#include <armvmi/linuxos.h>

#include "trace.h"

static const char step_help[] =
    "usage: armvmi [--vm SPEC] trace step [--vcpu N] [--pid P] [--count N] [--duration SEC]\n"
    "                 [--el0] [--irqs] [--regs] [--json] [--busy-poll] [--fail-closed]\n"
    "                 [--monitor-timeout MS]\n"
    "Single-steps vCPU N (default 0), or with --pid every vCPU while process P runs at EL0,\n"
    "and prints one line per instruction about to run: sequence number, vCPU, step count, EL,\n"
    "PC and the instruction there, disassembled, and the process (from the Linux layer).\n"
    "With --pid the trace ends when P exits or runs exec (its address space is gone).\n"
    "--el0: only instructions at EL0 (the kernel runs unstepped; stepping resumes at the\n"
    "instruction it returns to, or, if it returns elsewhere (a signal handler), at the next\n"
    "exit: a gap in the trace). --irqs: let virtual interrupts in between steps (default:\n"
    "held). With --el0 (--pid) they are then taken at EL0 and the kernel returns to the\n"
    "interrupted instruction: no gap. Held, a process that makes no system call holds its\n"
    "vCPU's timer for the whole trace: the guest logs a soft lockup after about 20 s (use\n"
    "--irqs for long traces). --regs (with --json): x0-x30, sp and pstate\n"
    "of each step. Stops after --count steps, --duration seconds or Ctrl-C; stepping is off\n"
    "when it exits. Only VMs started with `armvmi vm start --hyp`.\n" TRACE_PROC_HELP
    "--json: one object per line (seq, vcpu, step, el, pc, insn, word, ttbr0, pid, tid, comm,\n"
    "proc; with --regs x, sp, pstate). An exclusive load/store sequence (a load-exclusive up to\n"
    "its store-exclusive: steps would make that always fail) runs as one step: the event after\n"
    "it (the instruction after the store-exclusive, or a branch out) has \"excl\": true.\n";

static const char break_help[] =
    "usage: armvmi [--vm SPEC] trace break SYMBOL|VA [--pid P] [--count N] [--duration SEC]\n"
    "                 [--json] [--busy-poll] [--fail-closed] [--monitor-timeout MS]\n"
    "A breakpoint at a kernel symbol (+offset) or a virtual address (of process P with --pid,\n"
    "else of the kernel, through vCPU 0): one line per hit (sequence number, vCPU, hits, PC,\n"
    "the instruction there, disassembled, and the process); the original instruction then runs.\n"
    "The guest reading that address sees its original bytes. With --pid only that process's\n"
    "hits count, and the trace ends when P exits or runs exec. Stops after --count hits,\n"
    "--duration seconds or Ctrl-C, and clears it.\n" TRACE_PROC_HELP
    "--json: one object per line (seq, vcpu, hit, el, pc, insn, word, ttbr0, pid, tid, comm,\n"
    "proc, gpa, id).\n";

/* One event line: the common part of steps and hits. */
static void print_event(struct trace *t, bool regs, uint64_t seq, unsigned vcpu, const char *what,
                        uint64_t n, const struct armvmi_regs *r, json_t *extra)
{
    char insn[160], proc[96];
    uint32_t word;
    trace_disasm(t, r, insn, sizeof(insn), &word);
    uint64_t pc = r->regs[ARMVMI_REG_PC], ps = r->regs[ARMVMI_REG_PSTATE];
    unsigned el = (ps >> 2) & 3;
    struct trace_proc pr;
    trace_proc_of(t, r, &pr);
    if (t->c->json) {
        json_t *o = json_pack("{s:I,s:i,s:I,s:i,s:o,s:s,s:o,s:o}", "seq", (json_int_t)seq, "vcpu",
                              (int)vcpu, what, (json_int_t)n, "el", (int)el, "pc", trace_hex(pc),
                              "insn", insn, "word", trace_hex(word), "ttbr0",
                              trace_hex(r->regs[ARMVMI_REG_TTBR0_EL1]));
        trace_proc_json(o, "", &pr);
        if (regs) {
            json_t *x = json_array();
            for (int i = 0; i <= 30; i++)
                json_array_append_new(x, trace_hex(r->regs[ARMVMI_REG_X0 + i]));
            json_object_set_new(o, "x", x);
            json_object_set_new(o, "sp", trace_hex(r->regs[ARMVMI_REG_SP]));
            json_object_set_new(o, "pstate", trace_hex(ps));
        }
        if (extra)
            json_object_update(o, extra);
        trace_json_line(o);
    } else {
        trace_proc_text(&pr, proc, sizeof(proc));
        printf("%6llu cpu%u %s %llu EL%u  pc %#llx: %s  %s\n", (unsigned long long)seq, vcpu, what,
               (unsigned long long)n, el, (unsigned long long)pc, insn, proc);
    }
    json_decref(extra);
    fflush(stdout);
}

/* --pid P: the hypervisor filters on P's page-table root, which Linux frees when P exits (or
 * runs exec) and may give to the next process it creates; the events are P's only while P still
 * owns it, checked at every event and every second. The task watched is one thread of P: when it
 * exits while others of its group go on with the same address space (a main thread's
 * pthread_exit), the watch moves to one of them. */
struct pidwatch {
    armvmi_linux_t *lx; /* the trace's Linux layer; NULL: not checked */
    struct armvmi_linux_task task;
};

static bool same_space(const struct armvmi_linux_task *now, const struct armvmi_linux_task *was)
{
    return now->tgid == was->tgid && now->mm && now->mm == was->mm && now->pgd_pa == was->pgd_pa;
}

/* Another live thread of w's group with its address space (a full thread list: only when the
 * watched thread is gone); true if w now watches it. */
static bool pid_follow_group(struct pidwatch *w)
{
    struct armvmi_linux_task *all = NULL;
    size_t n = 0;
    bool found = false;
    if (armvmi_linux_tasks(w->lx, true, &all, &n, NULL))
        return false;
    for (size_t i = 0; i < n && !found; i++)
        if (all[i].pid != w->task.pid && same_space(&all[i], &w->task)) {
            w->task = all[i];
            found = true;
        }
    free(all);
    return found;
}

/* Whether P still has its pid and its address space; if not, says so once and ends the trace. */
static bool pid_owns(struct trace *t, struct pidwatch *w)
{
    struct armvmi_linux_task now;
    if (t->done)
        return false;
    if (!w || !w->lx ||
        (armvmi_linux_task_at(w->lx, w->task.va, &now) == 0 && now.pid == w->task.pid &&
         same_space(&now, &w->task)) ||
        pid_follow_group(w))
        return true;
    t->done = true;
    if (!t->c->quiet)
        fprintf(stderr,
                "armvmi: process %d has exited or run exec (its address space is gone): the "
                "trace ends.\n",
                (int)w->task.tgid);
    return false;
}

static void pid_tick(struct trace *t)
{
    pid_owns(t, t->tick_arg);
}

/* Watch process pid (its page-table root: ttbr0) for the rest of the trace t (VM paused). */
static void pid_watch(struct trace *t, struct pidwatch *w, int32_t pid, uint64_t ttbr0)
{
    w->lx = t->procs.lx;
    if (w->lx && (armvmi_linux_find_task(w->lx, pid, &w->task) ||
                  w->task.pgd_pa != (ttbr0 & 0x0000fffffffffffeull)))
        w->lx = NULL;
    if (!w->lx && !t->c->quiet)
        fprintf(stderr, "armvmi: note: the trace cannot tell when process %d exits.\n", (int)pid);
    t->tick = pid_tick;
    t->tick_arg = w;
}

struct sbtrace {
    struct trace t;
    bool regs;
    struct pidwatch pw;
};

static int on_step(armvmi_events_t *ev, const struct armvmi_step_event *e, bool *stop, void *arg)
{
    struct sbtrace *st = arg;
    struct trace *t = &st->t;
    if ((t->count && t->seen >= t->count) || !pid_owns(t, &st->pw)) {
        *stop = true;
        return 1;
    }
    print_event(t, st->regs, e->seq, e->vcpu, "step", e->count, &e->regs,
                (e->flags & ARMVMI_STEPE_EXCL) ? json_pack("{s:b}", "excl", 1) : NULL);
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
    struct trace *t = arg;
    rsp->action = ARMVMI_BREAK_CONTINUE;
    if ((t->count && t->seen >= t->count) || !pid_owns(t, t->tick_arg))
        return 1;
    print_event(t, false, e->seq, e->vcpu, "hit", e->hits, &e->regs,
                json_pack("{s:o,s:i}", "gpa", trace_hex(e->gpa), "id", e->id));
    t->seen++;
    return t->count && t->seen >= t->count;
}

enum { OPT_EL0 = 3000, OPT_IRQS, OPT_REGS };

struct sbopts {
    struct cli_vaopts vo;
    struct trace_opts to;
    unsigned flags;
    bool vcpu_set, regs;
};

/* 0: go on; -1: help printed; else the exit status of a bad option (reported). */
static int parse(int argc, char **argv, const char *help, struct sbopts *o, bool step)
{
    struct option opts[] = {{"el0", no_argument, 0, OPT_EL0},
                            {"irqs", no_argument, 0, OPT_IRQS},
                            {"regs", no_argument, 0, OPT_REGS},
                            TRACE_OPTS,
                            {"help", no_argument, 0, 'h'},
                            CLI_VAOPTS,
                            {0, 0, 0, 0}};
    int ch, r;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
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
            if ((r = trace_opt(ch, optarg, &o->to)) < 0 || (r && cli_vaopt(&o->vo, ch, optarg)))
                return 1;
        }
    }
    return 0;
}

int trace_step(struct cli *c, int argc, char **argv)
{
    struct sbopts o = {.vo = CLI_VAOPTS_INIT};
    o.vo.cli = c;
    int rc = parse(argc, argv, step_help, &o, true);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind != argc)
        return cli_err("trace step takes no arguments besides its options (got '%s').",
                       argv[optind]);
    struct sbtrace st = {.regs = o.regs};
    struct trace *t = &st.t;
    if (trace_open(t, c, o.to.count))
        return 1;
    t->what = "step";
    t->debug_counts = true;
    uint64_t ttbr0 = 0, mask = 1ull << o.vo.vcpu;
    if (o.vo.has_pid) {
        struct armvmi_tt_config ctx;
        if (cli_pid_ctx(c, t->h, o.vo.pid, &ctx)) {
            trace_resume(t);
            return trace_close(t, 1);
        }
        ttbr0 = ctx.ttbr0 & 0x0000fffffffffffeull;
        o.flags |= ARMVMI_STEP_EL0;
        pid_watch(t, &st.pw, o.vo.pid, ttbr0);
        if (!o.vcpu_set) {
            struct armvmi_info in;
            unsigned n = armvmi_get_info(t->h, &in) || !in.vcpus ? 1 : in.vcpus;
            mask = n >= 64 ? ~0ull : (1ull << n) - 1;
        }
    }
    trace_resume(t);
    armvmi_events_t *ev = trace_attach(t, &o.to.eo);
    if (!ev)
        return 1;
    if (armvmi_step_start(ev, mask, o.flags, ttbr0, on_step, &st))
        rc = cli_lib_err("cannot start stepping");
    return trace_close(t, trace_listen(t, ev, &o.to.eo, o.to.duration, rc));
}

/* SYMBOL[+OFF] through the Linux layer (lx: already open by trace_open, else NULL), or a
 * number. */
static int resolve(armvmi_t *h, const armvmi_linux_t *lx, const char *spec, uint64_t *va)
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
    const struct armvmi_linux_kernel *kp = lx ? armvmi_linux_get_kernel(lx) : NULL;
    struct armvmi_linux_sym sym;
    const char *names[1] = {name};
    if (!kp && armvmi_linux_discover(h, &k))
        return cli_lib_err("a symbol needs the guest's Linux kernel");
    int r = armvmi_linux_syms_find(h, kp ? kp : &k, 0, names, 1, &sym);
    if (r < 0)
        return cli_lib_err("a symbol needs the guest's Linux kernel");
    if (r == 0)
        return cli_err("the guest's kernel has no symbol '%s' (see `armvmi syms`).", name);
    *va = sym.addr + off;
    return 0;
}

int trace_break(struct cli *c, int argc, char **argv)
{
    struct sbopts o = {.vo = CLI_VAOPTS_INIT};
    o.vo.cli = c;
    int rc = parse(argc, argv, break_help, &o, false);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind != argc - 1)
        return cli_err("trace break takes one SYMBOL or VA (see --help).");
    const char *spec = argv[optind];
    struct trace t;
    if (trace_open(&t, c, o.to.count))
        return 1;
    t.what = "hit";
    t.debug_counts = true;
    struct armvmi_tt_config ctx;
    uint64_t va;
    rc = cli_vactx(t.h, &o.vo, &ctx) ? 1 : resolve(t.h, t.procs.lx, spec, &va);
    struct pidwatch pw = {0};
    if (!rc && o.vo.has_pid)
        pid_watch(&t, &pw, o.vo.pid, ctx.ttbr0);
    trace_resume(&t);
    if (rc)
        return trace_close(&t, rc);
    armvmi_events_t *ev = trace_attach(&t, &o.to.eo);
    if (!ev)
        return 1;
    int id;
    if (armvmi_break_va(ev, &ctx, va, o.vo.has_pid, on_break, &t, &id)) {
        rc = cli_lib_err("cannot set the breakpoint");
    } else {
        if (!c->quiet)
            fprintf(stderr, "armvmi: breakpoint at %#llx (%s) set; tracing; Ctrl-C stops.\n",
                    (unsigned long long)va, spec);
        rc = trace_run(&t, ev, o.to.duration, 0);
        if (armvmi_break_clear(ev, id) && !rc)
            rc = cli_lib_err("clearing the breakpoint");
    }
    return trace_close(&t, trace_end(&t, ev, &o.to.eo, rc));
}
