/* SPDX-License-Identifier: MIT */
/* bench_brkstep.c — breakpoint hits and single steps per second through libarmvmi's events
 * layer (bench/brkstep.sh): the monitor side of the round trip, with nothing else per event. */
/*
 * usage: bench_brkstep VM PID VA N break|step [--busy]
 *   break: a breakpoint at VA in process PID's address space (hits of that process only); each
 *          hit is answered CONTINUE (the hypervisor steps the original instruction and re-arms)
 *   step:  every vCPU single-stepped while PID runs, at EL0 (VA unused)
 * Prints "BRKSTEP <mode> events=N seconds=S per_second=R" over the first to the last event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/events.h>
#include <armvmi/linuxos.h>

#include "bench_util.h"

struct count {
    uint64_t n, want;
    double t0, t1;
};

static int tick(struct count *c)
{
    double t = now();
    if (!c->n)
        c->t0 = t;
    c->t1 = t;
    return ++c->n >= c->want;
}

static int on_break(armvmi_events_t *ev, const struct armvmi_break_event *e,
                    struct armvmi_break_response *rsp, void *arg)
{
    (void)ev;
    (void)e;
    rsp->action = ARMVMI_BREAK_CONTINUE;
    return tick(arg);
}

static int on_step(armvmi_events_t *ev, const struct armvmi_step_event *e, bool *stop, void *arg)
{
    (void)ev;
    (void)e;
    struct count *c = arg;
    int done = tick(c);
    *stop = done;
    return done;
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_brkstep: %s: %s\n", what, armvmi_errmsg());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_brkstep VM PID VA N break|step [--busy]\n");
        return 2;
    }
    bool step = !strcmp(argv[5], "step"), busy = argc > 6 && !strcmp(argv[6], "--busy");
    struct count c = {.want = strtoull(argv[4], NULL, 0)};
    uint64_t va = strtoull(argv[3], NULL, 0);
    armvmi_t *h;
    armvmi_linux_t *lx;
    struct armvmi_linux_task t;
    struct armvmi_tt_config ctx;
    if (armvmi_open(&h, argv[1]))
        return fail("open");
    if (armvmi_pause(h))
        return fail("pause");
    if (armvmi_linux_open(h, &lx) || armvmi_linux_find_task(lx, atoi(argv[2]), &t) ||
        armvmi_linux_task_ctx(lx, &t, &ctx))
        return fail("the process's address space");
    armvmi_linux_close(lx);
    armvmi_resume(h);
    struct armvmi_events_options o = {.busy_poll = busy};
    armvmi_events_t *ev;
    if (armvmi_events_attach(h, &o, &ev))
        return fail("attach");
    uint64_t all = (1ull << armvmi_events_vcpus(ev)) - 1;
    int rc = step ? armvmi_step_start(ev, all, ARMVMI_STEP_EL0, ctx.ttbr0 & 0x0000fffffffffffeull,
                                      on_step, &c)
                  : armvmi_break_va(ev, &ctx, va, true, on_break, &c, NULL);
    if (rc)
        return fail(step ? "step" : "break");
    while (c.n < c.want) {
        int n = armvmi_events_listen(ev, 10000);
        if (n < 0)
            return fail("listen");
        if (n == 0 && !c.n) {
            fprintf(stderr, "bench_brkstep: no event in 10 s\n");
            break;
        }
    }
    armvmi_events_close(ev);
    armvmi_close(h);
    double s = c.t1 - c.t0;
    printf("BRKSTEP %s events=%llu seconds=%.3f per_second=%.0f\n", argv[5],
           (unsigned long long)c.n, s, c.n > 1 && s > 0 ? (c.n - 1) / s : 0.0);
    return c.n >= c.want ? 0 : 1;
}
