/* SPDX-License-Identifier: MIT */
/* test_events_cpu.c — register-write, call, single-step and breakpoint events against fakehyp.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <armvmi/abi.h>
#include <armvmi/events.h>

#include "fakehyp.h"

/* ---- single-step and breakpoints (cpu_stepbrk.c) ---- */

/* The next posted event's flags (0 unless a test sets them). */
static uint32_t post_flags;

/* Post a step or breakpoint event in vCPU v's slot (u.raw[0..1] = a, b); wait for its answer. */
static struct armvmi_abi_response post_wait(armvmi_events_t *ev, unsigned v, uint32_t type,
                                            uint64_t gpa, uint64_t a, uint64_t b)
{
    pthread_mutex_lock(&F.lock);
    struct armvmi_abi_slot *s = slot(v);
    struct access acc = {.gpa = gpa, .gva = 0x400000, .acc = ARMVMI_ACC_X};
    fill_event(&s->ev, v, &acc, 0);
    s->ev.type = type;
    s->ev.flags = post_flags;
    s->ev.u.raw[0] = a;
    s->ev.u.raw[1] = b;
    unsigned n0 = F.nlog;
    ST(&s->state, (uint32_t)ARMVMI_SLOT_POSTED);
    F.waiting[v] = true;
    pthread_mutex_unlock(&F.lock);
    long long t0 = now_ms();
    for (;;) {
        assert_true(armvmi_events_listen(ev, 20) >= 0);
        pthread_mutex_lock(&F.lock);
        bool done = F.nlog > n0;
        struct armvmi_abi_response r = F.log[n0];
        pthread_mutex_unlock(&F.lock);
        if (done)
            return r;
        if (now_ms() - t0 > 5000)
            fail_msg("no answer to the type %u event", type);
    }
}

struct sbseen {
    unsigned steps, hits;
    struct armvmi_step_event st;
    struct armvmi_break_event br;
    bool stop;
    enum armvmi_break_action action;
};

static int sb_step(armvmi_events_t *ev, const struct armvmi_step_event *e, bool *stop, void *arg)
{
    struct sbseen *s = arg;
    s->steps++;
    s->st = *e;
    *stop = s->stop;
    return 0;
}

static int sb_break(armvmi_events_t *ev, const struct armvmi_break_event *e,
                    struct armvmi_break_response *rsp, void *arg)
{
    struct sbseen *s = arg;
    s->hits++;
    s->br = *e;
    rsp->action = s->action;
    armvmi_reg_set(&rsp->regs, ARMVMI_REG_X0 + 2, 0x1234);
    return 0;
}

/* The commands as abi.h defines them; events to the right callback with their fields; the
 * responses (STEP_OFF when the callback stops, SKIP and SET_REGS of a hit); events nobody
 * wants answered CONTINUE (with STEP_OFF for a step); corrupt ones refused. */
static void step_and_break(void **state)
{
    armvmi_t *h;
    fake_setup(false, true);
    armvmi_events_t *ev = attach(&h, NULL);
    struct sbseen s = {0};
    assert_int_equal(armvmi_step_start(ev, 0x4, 0, 0, sb_step, &s), -ARMVMI_EINVAL); /* vCPU 2 */
    assert_int_equal(armvmi_step_start(ev, 0x3, ARMVMI_STEP_EL0, 0x45678000, sb_step, &s), 0);
    assert_int_equal(armvmi_break_pa(ev, PAGE_A + 2, 0, sb_break, &s, NULL), -ARMVMI_EINVAL);
    int id;
    assert_int_equal(armvmi_break_pa(ev, PAGE_A + 0x40, 0x45678000, sb_break, &s, &id), 0);
    pthread_mutex_lock(&F.lock);
    assert_int_equal(F.nsb, 2);
    assert_int_equal(F.sb[0].op, ARMVMI_CMD_STEP);
    assert_int_equal(F.sb[0].arg[0], 3);
    assert_int_equal(F.sb[0].arg[1], 1);
    assert_int_equal(F.sb[0].arg[2], ARMVMI_STEPF_EL0);
    assert_int_equal(F.sb[0].arg[3], 0x45678000);
    assert_int_equal(F.sb[1].op, ARMVMI_CMD_BREAK_SET);
    assert_int_equal(F.sb[1].arg[0], PAGE_A + 0x40);
    assert_int_equal(F.sb[1].arg[1], 0x45678000);
    pthread_mutex_unlock(&F.lock);

    struct armvmi_abi_response r = post_wait(ev, 1, ARMVMI_EV_STEP, 0, 77, 0);
    assert_int_equal(s.steps, 1);
    assert_int_equal(s.st.count, 77);
    assert_int_equal(s.st.vcpu, 1);
    assert_int_equal(r.action, ARMVMI_RSP_CONTINUE);
    assert_int_equal(r.flags, 0);
    assert_int_equal(s.st.flags, 0);
    /* a step over an exclusive sequence: flagged; any other flag on a step or a hit: corrupt */
    post_flags = ARMVMI_EVF_STEP_EXCL;
    r = post_wait(ev, 1, ARMVMI_EV_STEP, 0, 78, 0);
    assert_int_equal(s.steps, 2);
    assert_int_equal(s.st.count, 78);
    assert_int_equal(s.st.flags, ARMVMI_STEPE_EXCL);
    r = post_wait(ev, 0, ARMVMI_EV_BREAK, PAGE_A + 0x40, 42, 4);
    assert_int_equal(s.hits, 0);
    post_flags = ARMVMI_EVF_ASYNC;
    r = post_wait(ev, 1, ARMVMI_EV_STEP, 0, 78, 0);
    assert_int_equal(s.steps, 2);
    post_flags = 0;
    s.steps = 1;
    s.stop = true;
    r = post_wait(ev, 1, ARMVMI_EV_STEP, 0, 78, 0);
    assert_int_equal(r.flags, ARMVMI_RSPF_STEP_OFF);
    r = post_wait(ev, 1, ARMVMI_EV_STEP, 0, 79, 0); /* stopped: nobody's */
    assert_int_equal(s.steps, 2);
    assert_int_equal(r.flags, ARMVMI_RSPF_STEP_OFF);

    s.action = ARMVMI_BREAK_SKIP;
    r = post_wait(ev, 0, ARMVMI_EV_BREAK, PAGE_A + 0x40, 42, 5); /* hyp id 42, 5th hit */
    assert_int_equal(s.hits, 1);
    assert_int_equal(s.br.id, id);
    assert_int_equal(s.br.hits, 5);
    assert_int_equal(s.br.gpa, PAGE_A + 0x40);
    assert_int_equal(r.action, ARMVMI_RSP_SKIP);
    assert_int_equal(r.flags, ARMVMI_RSPF_SET_REGS);
    assert_int_equal(r.reg_mask, 1ull << 2);
    assert_int_equal(r.x[2], 0x1234);
    r = post_wait(ev, 0, ARMVMI_EV_BREAK, PAGE_A + 0x40, 99, 1); /* an id we never set */
    assert_int_equal(s.hits, 1);
    assert_int_equal(r.action, ARMVMI_RSP_CONTINUE);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.unclaimed, 2);
    r = post_wait(ev, 0, ARMVMI_EV_BREAK, PAGE_A + 0x41, 42, 6); /* unaligned: corrupt */
    assert_int_equal(s.hits, 1);
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.bad_events, 3); /* and the two wrongly flagged ones above */

    assert_int_equal(armvmi_break_clear(ev, id), 0);
    assert_int_equal(armvmi_break_clear(ev, id), -ARMVMI_ENOENT);
    pthread_mutex_lock(&F.lock);
    assert_int_equal(F.sb[2].op, ARMVMI_CMD_BREAK_CLEAR);
    assert_int_equal(F.sb[2].arg[0], 42);
    pthread_mutex_unlock(&F.lock);
    finish(ev, h);
}

/* A breakpoint at a VA follows the page: once the guest maps another frame there (tables in the
 * fake's RAM, 4K granule, 39-bit VA; the kernel's copy-on-write for a uprobe does this), the
 * next listen sets it on the new frame, with the same address-space filter, then clears the old;
 * a hit on the new frame is the same breakpoint. */
static void break_follows_va(void **state)
{
    armvmi_t *h;
    fake_setup(false, true);
    armvmi_events_t *ev = attach(&h, NULL);
    uint64_t l1 = PAGE_A + 0x100000, l2 = l1 + 0x1000, l3 = l2 + 0x1000, d;
    uint64_t va = 0x40000000ull + 0x200000 * 3, f0 = PAGE_A + 0x5000, f1 = PAGE_A + 0x9000;
    d = l2 | 3;
    assert_int_equal(armvmi_write_pa(F.h, l1 + 8 * 1, &d, 8), 0);
    d = l3 | 3;
    assert_int_equal(armvmi_write_pa(F.h, l2 + 8 * 3, &d, 8), 0);
    d = f0 | 3 | (1ull << 10); /* page, AF */
    assert_int_equal(armvmi_write_pa(F.h, l3, &d, 8), 0);
    struct armvmi_tt_config ctx = {
        .regime = ARMVMI_REGIME_EL10, .tcr = 25 | (1ull << 23), .ttbr0 = l1, .sctlr = 1};
    struct sbseen s = {0};
    int id;
    assert_int_equal(armvmi_break_va(ev, &ctx, va + 0x40, true, sb_break, &s, &id), 0);
    assert_true(armvmi_events_listen(ev, 150) >= 0); /* unchanged: nothing sent */
    pthread_mutex_lock(&F.lock);
    assert_int_equal(F.nsb, 1);
    assert_int_equal(F.sb[0].arg[0], f0 + 0x40);
    assert_int_equal(F.sb[0].arg[1], l1);
    pthread_mutex_unlock(&F.lock);
    d = f1 | 3 | (1ull << 10);
    assert_int_equal(armvmi_write_pa(F.h, l3, &d, 8), 0);
    assert_true(armvmi_events_listen(ev, 250) >= 0);
    pthread_mutex_lock(&F.lock);
    assert_int_equal(F.nsb, 3);
    assert_int_equal(F.sb[1].op, ARMVMI_CMD_BREAK_SET);
    assert_int_equal(F.sb[1].arg[0], f1 + 0x40);
    assert_int_equal(F.sb[1].arg[1], l1);
    assert_int_equal(F.sb[2].op, ARMVMI_CMD_BREAK_CLEAR);
    assert_int_equal(F.sb[2].arg[0], 41); /* the first BREAK_SET's id */
    pthread_mutex_unlock(&F.lock);
    s.action = ARMVMI_BREAK_CONTINUE;
    post_wait(ev, 0, ARMVMI_EV_BREAK, f1 + 0x40, 42, 1); /* the second BREAK_SET's id */
    assert_int_equal(s.hits, 1);
    assert_int_equal(s.br.id, id);
    assert_int_equal(s.br.gpa, f1 + 0x40);
    assert_int_equal(armvmi_break_clear(ev, id), 0);
    pthread_mutex_lock(&F.lock);
    assert_int_equal(F.sb[3].op, ARMVMI_CMD_BREAK_CLEAR);
    assert_int_equal(F.sb[3].arg[0], 42);
    pthread_mutex_unlock(&F.lock);
    finish(ev, h);
}

/* The hypervisor's reinjected/filtered counters count since boot: a session reports its own. */
static void debug_counts_per_session(void **state)
{
    armvmi_t *h;
    fake_setup(false, true);
    ST(&F.chan->reinjected, 300ull); /* an earlier session's */
    ST(&F.chan->filtered, 303ull);
    armvmi_events_t *ev = attach(&h, NULL);
    uint64_t r = 1, f = 1;
    assert_int_equal(armvmi_events_debug_counts(ev, &r, &f), 0);
    assert_int_equal(r, 0);
    assert_int_equal(f, 0);
    ST(&F.chan->reinjected, 305ull);
    ST(&F.chan->filtered, 310ull);
    assert_int_equal(armvmi_events_debug_counts(ev, &r, &f), 0);
    assert_int_equal(r, 5);
    assert_int_equal(f, 7);
    finish(ev, h);
}

/* A command the hypervisor refuses changes nothing in the library: a step that did not start
 * delivers no event to its callback, a breakpoint whose clear failed still claims its hits. */
static void step_break_refused(void **state)
{
    armvmi_t *h;
    fake_setup(false, true);
    armvmi_events_t *ev = attach(&h, NULL);
    struct sbseen s = {0};
    int id;
    assert_int_equal(armvmi_break_pa(ev, PAGE_A + 0x40, 0, sb_break, &s, &id), 0);
    pthread_mutex_lock(&F.lock);
    F.sb_fail = ARMVMI_CMDS_ETIMEDOUT;
    pthread_mutex_unlock(&F.lock);
    assert_int_equal(armvmi_step_start(ev, 0x1, 0, 0, sb_step, &s), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "debug trap"));
    assert_int_equal(armvmi_break_clear(ev, id), -ARMVMI_EIO);
    struct armvmi_abi_response r = post_wait(ev, 0, ARMVMI_EV_STEP, 0, 1, 0);
    assert_int_equal(s.steps, 0); /* not started: nobody's, stopped */
    assert_int_equal(r.flags, ARMVMI_RSPF_STEP_OFF);
    s.action = ARMVMI_BREAK_SKIP;
    r = post_wait(ev, 0, ARMVMI_EV_BREAK, PAGE_A + 0x40, 41, 1); /* hyp id 41: still ours */
    assert_int_equal(s.hits, 1);
    assert_int_equal(s.br.id, id);
    assert_int_equal(r.action, ARMVMI_RSP_SKIP);
    pthread_mutex_lock(&F.lock);
    F.sb_fail = 0;
    pthread_mutex_unlock(&F.lock);
    assert_int_equal(armvmi_break_clear(ev, id), 0);
    assert_int_equal(armvmi_break_clear(ev, id), -ARMVMI_ENOENT);
    finish(ev, h);
}

/* ---- register-write and call events ---- */

struct rc_seen {
    unsigned nreg, ncall;
    struct armvmi_reg_event reg;
    struct armvmi_call_event call;
};

static int reg_deny(armvmi_events_t *ev, const struct armvmi_reg_event *e,
                    struct armvmi_reg_response *rsp, void *arg)
{
    struct rc_seen *s = arg;
    s->nreg++;
    s->reg = *e;
    if (!(e->new_value & 1) && (e->old_value & 1))
        rsp->action = ARMVMI_REGW_DENY; /* a write clearing bit 0 is denied */
    return 0;
}

static int call_answer(armvmi_events_t *ev, const struct armvmi_call_event *e,
                       struct armvmi_call_response *rsp, void *arg)
{
    struct rc_seen *s = arg;
    s->ncall++;
    s->call = *e;
    if (e->x[0] == 0xc600ff10) {
        rsp->action = ARMVMI_CALL_ANSWER;
        for (int i = 0; i < 4; i++)
            rsp->x[i] = 0xa0 + (uint64_t)i;
    }
    return 0;
}

/* The fake's vCPU v posts a register or call event; returns its seq. */
static uint64_t post_other(unsigned v, uint32_t type, uint32_t sysreg, uint64_t a, uint64_t b)
{
    pthread_mutex_lock(&F.lock);
    struct armvmi_abi_slot *sl = slot(v);
    struct armvmi_abi_event *e = &sl->ev;
    memset(e, 0, sizeof(*e));
    e->seq = next_seq();
    e->vcpu = v;
    e->type = type;
    e->regs.pc = 0xffff800008001000ull;
    e->regs.pstate = 5; /* EL1h */
    if (type == ARMVMI_EV_REG) {
        e->u.reg.sysreg = sysreg;
        e->u.reg.rt = 2;
        e->u.reg.old_value = a;
        e->u.reg.new_value = b;
    } else {
        e->regs.x[0] = a;
        e->regs.x[1] = b;
        e->u.call.imm = 0;
    }
    ST(&sl->state, (uint32_t)ARMVMI_SLOT_POSTED);
    F.waiting[v] = true;
    uint64_t seq = e->seq;
    pthread_mutex_unlock(&F.lock);
    return seq;
}

/* Listen until the fake has logged response number n (1-based); returns it. */
static struct armvmi_abi_response wait_response(armvmi_events_t *ev, unsigned n)
{
    long long t0 = now_ms();
    for (;;) {
        pthread_mutex_lock(&F.lock);
        unsigned have = F.nlog;
        struct armvmi_abi_response r = have >= n ? F.log[n - 1] : (struct armvmi_abi_response){0};
        pthread_mutex_unlock(&F.lock);
        if (have >= n)
            return r;
        if (armvmi_events_listen(ev, 20) < 0)
            fail_msg("listen: %s", armvmi_errmsg());
        if (now_ms() - t0 > 5000)
            fail_msg("no response %u", n);
    }
}

static void regcall_events(void **state)
{
    armvmi_t *h;
    struct rc_seen s = {0};
    int rid, cid, id2;

    fake_setup(false, true);
    armvmi_events_t *ev = attach(&h, NULL);
    /* arguments checked: not a watchable register, mask 0, bad flags, VBAR_EL1 (no FGT) */
    assert_int_equal(armvmi_reg_watch(ev, ARMVMI_REG_X0, 1, 0, reg_deny, &s, NULL), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_reg_watch(ev, ARMVMI_REG_SCTLR_EL1, 0, 0, reg_deny, &s, NULL),
                     -ARMVMI_EINVAL);
    assert_int_equal(armvmi_reg_watch(ev, ARMVMI_REG_SCTLR_EL1, 1, 0x8, reg_deny, &s, NULL),
                     -ARMVMI_EINVAL);
    assert_int_equal(armvmi_reg_watch(ev, ARMVMI_REG_VBAR_EL1, ~0ull, 0, reg_deny, &s, NULL),
                     -ARMVMI_ENOTSUP);
    assert_int_equal(armvmi_call_watch(ev, 0x4, call_answer, &s, NULL), -ARMVMI_EINVAL);
    /* a watch sets the hypervisor's filter; one registration per register and per call kind */
    assert_int_equal(
        armvmi_reg_watch(ev, ARMVMI_REG_SCTLR_EL1, 1, ARMVMI_REGW_ALL, reg_deny, &s, &rid), 0);
    assert_int_equal(F.regt[ARMVMI_SYSREG_SCTLR_EL1], 1);
    assert_int_equal(F.regt_flags[ARMVMI_SYSREG_SCTLR_EL1], ARMVMI_REGT_ALL);
    assert_int_equal(armvmi_reg_watch(ev, ARMVMI_REG_SCTLR_EL1, 2, 0, reg_deny, &s, NULL),
                     -ARMVMI_ESTATE);
    assert_int_equal(
        armvmi_call_watch(ev, ARMVMI_CALL_SMC | ARMVMI_CALL_HVC, call_answer, &s, &cid), 0);
    assert_int_equal(F.callt, ARMVMI_CALLT_SMC | ARMVMI_CALLT_HVC);
    assert_int_equal(armvmi_call_watch(ev, ARMVMI_CALL_HVC, call_answer, &s, &id2), -ARMVMI_ESTATE);

    /* a write clearing bit 0: the callback sees it and denies it */
    uint64_t q = post_other(0, ARMVMI_EV_REG, ARMVMI_SYSREG_SCTLR_EL1, 0x30d5198d, 0x30d5198c);
    struct armvmi_abi_response r = wait_response(ev, 1);
    assert_int_equal(r.seq, q);
    assert_int_equal(r.action, ARMVMI_RSP_DENY);
    assert_int_equal(s.nreg, 1);
    assert_int_equal(s.reg.reg, ARMVMI_REG_SCTLR_EL1);
    assert_int_equal(s.reg.old_value, 0x30d5198d);
    assert_int_equal(s.reg.new_value, 0x30d5198c);
    assert_int_equal(s.reg.rt, 2);
    assert_int_equal(s.reg.watch, rid);
    assert_int_equal(s.reg.regs.regs[ARMVMI_REG_PC], 0xffff800008001000ull);
    /* one that sets it: CONTINUE */
    post_other(1, ARMVMI_EV_REG, ARMVMI_SYSREG_SCTLR_EL1, 0x30d5198c, 0x30d5198d);
    r = wait_response(ev, 2);
    assert_int_equal(r.action, ARMVMI_RSP_CONTINUE);
    /* an HVC answered with the callback's x0-x3; an SMC continued */
    q = post_other(0, ARMVMI_EV_HVC, 0, 0xc600ff10, 0x11);
    r = wait_response(ev, 3);
    assert_int_equal(r.seq, q);
    assert_int_equal(r.action, ARMVMI_RSP_ANSWER);
    assert_int_equal(r.x[0], 0xa0);
    assert_int_equal(r.x[3], 0xa3);
    assert_int_equal(s.call.kind, ARMVMI_CALL_HVC);
    assert_int_equal(s.call.x[1], 0x11);
    post_other(1, ARMVMI_EV_SMC, 0, 0x84000000, 0);
    r = wait_response(ev, 4);
    assert_int_equal(r.action, ARMVMI_RSP_CONTINUE);
    assert_int_equal(s.call.kind, ARMVMI_CALL_SMC);
    assert_int_equal(s.ncall, 2);
    /* a corrupt event (unknown register): not delivered, answered CONTINUE, counted */
    post_other(0, ARMVMI_EV_REG, 99, 0, 0);
    r = wait_response(ev, 5);
    assert_int_equal(r.action, ARMVMI_RSP_CONTINUE);
    struct armvmi_events_stats st;
    assert_int_equal(armvmi_events_stats(ev, &st), 0);
    assert_int_equal(st.bad_events, 1);
    assert_int_equal(st.events, 4);
    assert_int_equal(s.nreg, 2);
    /* unwatch clears the hypervisor's traps; an unknown id is ENOENT */
    assert_int_equal(armvmi_regcall_unwatch(ev, rid), 0);
    assert_int_equal(F.regt[ARMVMI_SYSREG_SCTLR_EL1], 0);
    assert_int_equal(armvmi_regcall_unwatch(ev, cid), 0);
    assert_int_equal(F.callt, 0);
    assert_int_equal(armvmi_regcall_unwatch(ev, cid), -ARMVMI_ENOENT);
    /* an event nobody wants now (posted just before the unwatch): CONTINUE, unclaimed */
    post_other(0, ARMVMI_EV_SMC, 0, 0x84000000, 0);
    r = wait_response(ev, 6);
    assert_int_equal(r.action, ARMVMI_RSP_CONTINUE);
    assert_int_equal(armvmi_events_stats(ev, &st), 0);
    assert_int_equal(st.unclaimed, 1);
    finish(ev, h);
}

static int reg_step(armvmi_events_t *ev, const struct armvmi_reg_event *e,
                    struct armvmi_reg_response *rsp, void *arg)
{
    rsp->step = true;
    return 0;
}

static int call_step(armvmi_events_t *ev, const struct armvmi_call_event *e,
                     struct armvmi_call_response *rsp, void *arg)
{
    rsp->step = true;
    return 0;
}

/* A register or call response's `step` turns single-step on for that vCPU (RSPF_STEP_ON, and
 * its step events reach the step callback), as a breakpoint's does; without an
 * armvmi_step_start callback it is ignored (no flag). */
static void regcall_step_on(void **state)
{
    armvmi_t *h;
    fake_setup(false, true);
    armvmi_events_t *ev = attach(&h, NULL);
    struct sbseen s = {0};
    assert_int_equal(armvmi_reg_watch(ev, ARMVMI_REG_TTBR0_EL1, ~0ull, 0, reg_step, NULL, NULL), 0);
    assert_int_equal(armvmi_call_watch(ev, ARMVMI_CALL_HVC, call_step, NULL, NULL), 0);
    post_other(1, ARMVMI_EV_HVC, 0, 0xc600ff10, 0);
    struct armvmi_abi_response r = wait_response(ev, 1);
    assert_int_equal(r.action, ARMVMI_RSP_CONTINUE);
    assert_int_equal(r.flags & ARMVMI_RSPF_STEP_ON, 0); /* no step callback: nothing asked */
    /* a step callback for vCPU 0 only: vCPU 1 is added by the responses */
    assert_int_equal(armvmi_step_start(ev, 0x1, 0, 0, sb_step, &s), 0);
    post_other(1, ARMVMI_EV_REG, ARMVMI_SYSREG_TTBR0_EL1, 0x41000000, 0x42000000);
    r = wait_response(ev, 2);
    assert_int_equal(r.action, ARMVMI_RSP_CONTINUE);
    assert_int_equal(r.flags, ARMVMI_RSPF_STEP_ON);
    r = post_wait(ev, 1, ARMVMI_EV_STEP, PAGE_A, 1, 0);
    assert_int_equal(s.steps, 1);
    assert_int_equal(s.st.vcpu, 1);
    assert_int_equal(r.flags, 0);
    post_other(1, ARMVMI_EV_HVC, 0, 0xc600ff10, 0);
    r = wait_response(ev, 4);
    assert_int_equal(r.flags, ARMVMI_RSPF_STEP_ON);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.events, 4);
    assert_int_equal(st.unclaimed + st.bad_events + st.bad_responses, 0);
    finish(ev, h);
}

/* A VM held at boot (vm start --hold): the first listen releases it, after the registrations;
 * once only; a session closed without listening releases it by its DETACH; a VM not held gets no
 * RELEASE at all. */
static void boot_hold(void **state)
{
    armvmi_t *h;
    fake_setup(false, true);
    F.chan->hyp_flags |= ARMVMI_CHAN_F_HELD;
    armvmi_events_t *ev = attach(&h, NULL);
    assert_true(armvmi_events_held(ev));
    assert_false(armvmi_events_held(NULL));
    assert_int_equal(armvmi_events_release(NULL), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_call_watch(ev, ARMVMI_CALL_SMC, call_step, NULL, NULL), 0);
    assert_int_equal(F.releases, 0); /* attaching and registering leave it held */
    assert_true(armvmi_events_held(ev));
    assert_int_equal(armvmi_events_listen(ev, 0), 0);
    assert_int_equal(F.releases, 1);
    assert_int_equal(F.callt_at_release, ARMVMI_CALLT_SMC); /* the trap was set before */
    assert_false(armvmi_events_held(ev));
    assert_int_equal(armvmi_events_listen(ev, 0), 0);
    assert_int_equal(armvmi_events_release(ev), 0);
    assert_int_equal(F.releases, 1); /* nothing held any more: no second command */
    assert_false(F.released_by_detach);
    finish(ev, h);

    /* closed while still held (no listen): DETACH ends the hold */
    fake_setup(false, true);
    F.chan->hyp_flags |= ARMVMI_CHAN_F_HELD;
    ev = attach(&h, NULL);
    assert_int_equal(armvmi_call_watch(ev, ARMVMI_CALL_HVC, call_step, NULL, NULL), 0);
    finish(ev, h);
    assert_int_equal(F.releases, 0);
    assert_true(F.released_by_detach);
    assert_int_equal(F.callt_at_release, ARMVMI_CALLT_HVC);

    /* not held: listen sends nothing */
    fake_setup(false, true);
    ev = attach(&h, NULL);
    assert_false(armvmi_events_held(ev));
    unsigned cmds = F.cmds;
    assert_int_equal(armvmi_events_listen(ev, 0), 0);
    assert_int_equal(armvmi_events_release(ev), 0);
    assert_int_equal(F.cmds, cmds);
    assert_int_equal(F.releases, 0);
    finish(ev, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(step_and_break),   cmocka_unit_test(step_break_refused),
        cmocka_unit_test(break_follows_va), cmocka_unit_test(debug_counts_per_session),
        cmocka_unit_test(regcall_events),   cmocka_unit_test(regcall_step_on),
        cmocka_unit_test(boot_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
