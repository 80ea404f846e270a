/* SPDX-License-Identifier: MIT */
/* test_events.c — the events layer's memory events against the fake hypervisor of fakehyp.c. */
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

/* ---- tests ---- */

static void not_under_hyp(void **state)
{
    char img[] = "/tmp/armvmi-evimg.XXXXXX";
    int fd = mkstemp(img);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 1 << 20), 0);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof(spec), "raw:%s", img);
    armvmi_t *h;
    assert_int_equal(armvmi_open(&h, spec), 0);
    armvmi_events_t *ev = (void *)1;
    assert_int_equal(armvmi_events_attach(h, NULL, &ev), -ARMVMI_ENOTSUP);
    assert_null(ev);
    assert_non_null(strstr(armvmi_errmsg(), "does not run under the armvmi hypervisor"));
    armvmi_close(h);
    unlink(img);
}

/* A channel the hypervisor wrote wrong: each case is a clear error, and nothing is attached. */
static void bad_channel_header(void **state)
{
    static const struct {
        uint64_t magic;
        uint32_t version, ncpus;
        const char *msg;
    } cases[] = {
        {0, ARMVMI_ABI_VERSION, 1, "has not set up its monitor channel"},
        {0x1122334455667788ull, ARMVMI_ABI_VERSION, 1, "the channel is corrupt"},
        {ARMVMI_CHAN_MAGIC, ARMVMI_ABI_VERSION + 1, 1, "speaks ABI version"},
        {ARMVMI_CHAN_MAGIC, ARMVMI_ABI_VERSION, 0, "vCPUs"},
        {ARMVMI_CHAN_MAGIC, ARMVMI_ABI_VERSION, 1000000, "vCPUs"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_setup(false, true);
        F.chan->magic = cases[i].magic;
        F.chan->version = cases[i].version;
        F.chan->ncpus = cases[i].ncpus;
        armvmi_t *h;
        armvmi_events_t *ev = NULL;
        assert_int_equal(armvmi_open(&h, F.dir), 0);
        assert_int_equal(armvmi_events_attach(h, NULL, &ev), -ARMVMI_EFORMAT);
        assert_null(ev);
        if (!strstr(armvmi_errmsg(), cases[i].msg))
            fail_msg("case %zu: '%s'", i, armvmi_errmsg());
        assert_int_equal(LD(&F.chan->attached), 0);
        armvmi_close(h);
        fake_teardown();
    }
}

/* A hypervisor that never executes commands: attach fails with EIO after the timeout. */
static void hyp_not_answering(void **state)
{
    fake_setup(false, true);
    F.no_commands = true;
    armvmi_t *h;
    armvmi_events_t *ev = NULL;
    assert_int_equal(armvmi_open(&h, F.dir), 0);
    struct armvmi_events_options o = {.cmd_timeout_ms = 200};
    long long t0 = now_ms();
    assert_int_equal(armvmi_events_attach(h, &o, &ev), -ARMVMI_EIO);
    assert_true(now_ms() - t0 < 3000);
    assert_non_null(strstr(armvmi_errmsg(), "ATTACH"));
    assert_int_equal(LD(&F.chan->mon_magic), 0);
    armvmi_close(h);
    fake_teardown();
}

/* Writes to a write-protected page: one event each, in order, with the hypervisor's facts;
 * reads go through; every response echoes its event's seq and says STEP. */
static void write_events_in_order(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    assert_int_equal(LD(&F.chan->attached), 1);
    assert_int_equal(LD(&F.chan->mon_magic), ARMVMI_MON_MAGIC);
    static struct seen s;
    seen_init(&s, ARMVMI_MEM_STEP);
    int id = 0;
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A + 8, 16, ARMVMI_MEM_W, record, &s, &id), 0);
    assert_true(id > 0);
    assert_int_equal(F.store[(PAGE_A - RAM_BASE) >> 12], ARMVMI_ACC_R | ARMVMI_ACC_X);
    assert_int_equal(F.store[(PAGE_B - RAM_BASE) >> 12], ARMVMI_ACC_RWX);
    for (unsigned i = 0; i < 20; i++) {
        add_access(0, PAGE_A + 8 * i, ARMVMI_ACC_W, 8, 0x1000 + i);
        add_access(0, PAGE_A + 8 * i, ARMVMI_ACC_R, 8, 0);
        add_access(0, PAGE_B, ARMVMI_ACC_W, 4, 7);
    }
    listen_until_done(ev);
    assert_int_equal(s.n, 20);
    for (unsigned i = 0; i < 20; i++) {
        assert_int_equal(s.e[i].seq, i + 1);
        assert_int_equal(s.e[i].gpa, PAGE_A + 8 * i);
        assert_int_equal(s.e[i].gva, 0x400000 + 8 * i);
        assert_int_equal(s.e[i].access, ARMVMI_MEM_W);
        assert_int_equal(s.e[i].size, 8);
        assert_int_equal(s.e[i].value, 0x1000 + i);
        assert_true(s.e[i].flags & ARMVMI_MEMF_VALUE);
        assert_int_equal(s.e[i].vcpu, 0);
        assert_int_equal(s.e[i].watch, id);
        assert_int_equal(s.e[i].regs.regs[ARMVMI_REG_PC], 0x400000 + 4 * (i + 1));
        assert_int_equal(s.e[i].regs.regs[ARMVMI_REG_X0 + 5], 0x105);
        assert_int_equal(s.e[i].regs.regs[ARMVMI_REG_SP], 0x7fff0000);
        assert_true(armvmi_reg_valid(&s.e[i].regs, ARMVMI_REG_HPFAR_EL2));
    }
    assert_int_equal(F.nlog, 20);
    assert_int_equal(F.bad_rsp, 0);
    for (unsigned i = 0; i < 20; i++) {
        assert_int_equal(F.log[i].action, ARMVMI_RSP_STEP);
        assert_int_equal(F.log[i].flags, 0);
    }
    assert_int_equal(F.silent, 40);
    struct armvmi_events_stats st;
    assert_int_equal(armvmi_events_stats(ev, &st), 0);
    assert_int_equal(st.events, 20);
    assert_int_equal(st.seq_gaps, 0);
    assert_int_equal(st.seq_dups, 0);
    assert_int_equal(st.last_seq, 20);
    assert_int_equal(armvmi_events_close(ev), 0);
    /* close cleared the restriction and detached */
    assert_int_equal(F.store[(PAGE_A - RAM_BASE) >> 12], ARMVMI_ACC_RWX);
    assert_int_equal(LD(&F.chan->attached), 0);
    assert_int_equal(LD(&F.chan->mon_magic), 0);
    armvmi_close(h);
    fake_teardown();
}

/* Each kind of response reaches the channel as abi.h lays it out. */
static void responses_written(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    static struct seen s;
    assert_int_equal(
        armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_R | ARMVMI_MEM_W, record, &s, NULL), 0);
    struct {
        enum armvmi_mem_action action;
        int reg;
        bool set_access;
        uint32_t want_action, want_flags;
    } cases[] = {
        {ARMVMI_MEM_SKIP, -1, false, ARMVMI_RSP_SKIP, 0},
        {ARMVMI_MEM_EMULATE, -1, false, ARMVMI_RSP_EMULATE, 0},
        {ARMVMI_MEM_STEP, ARMVMI_REG_X0 + 3, false, ARMVMI_RSP_STEP, ARMVMI_RSPF_SET_REGS},
        {ARMVMI_MEM_SKIP, ARMVMI_REG_PC, false, ARMVMI_RSP_SKIP, ARMVMI_RSPF_SET_REGS},
        {ARMVMI_MEM_STEP, ARMVMI_REG_SP_EL1, true, ARMVMI_RSP_STEP,
         ARMVMI_RSPF_SET_REGS | ARMVMI_RSPF_SET_ACCESS},
        /* invalid: TTBR0_EL1 cannot be set in a response: STEP is sent instead */
        {ARMVMI_MEM_SKIP, ARMVMI_REG_TTBR0_EL1, false, ARMVMI_RSP_STEP, 0},
        /* CONTINUE retries: the fake's vCPU faults again; the next case answers that */
        {ARMVMI_MEM_CONTINUE, -1, false, ARMVMI_RSP_CONTINUE, 0},
        {ARMVMI_MEM_STEP, -1, false, ARMVMI_RSP_STEP, 0},
    };
    unsigned n = sizeof(cases) / sizeof(cases[0]);
    for (unsigned i = 0; i < n; i++) {
        seen_init(&s, cases[i].action);
        s.value = 0x5a5a;
        s.set_reg = cases[i].reg;
        s.set_access = cases[i].set_access;
        s.new_access = ARMVMI_MEM_R | ARMVMI_MEM_W; /* keeps trapping nothing: rw */
        s.stop_after = 1; /* one event per listen: a CONTINUE comes straight back */
        if (i == 0 || cases[i - 1].action != ARMVMI_MEM_CONTINUE)
            add_access(0, PAGE_A + 16, ARMVMI_ACC_R, 8, 0);
        long long t0 = now_ms();
        while (s.n == 0 && now_ms() - t0 < 5000)
            assert_true(armvmi_events_listen(ev, 10) >= 0);
        while (F.nlog < i + 1 && now_ms() - t0 < 5000)
            usleep(100); /* the fake takes the response */
        assert_int_equal(F.nlog, i + 1);
        const struct armvmi_abi_response *r = &F.log[i];
        assert_int_equal(r->seq, F.logev[i].seq);
        if (r->action != cases[i].want_action)
            fail_msg("case %u: action %u", i, r->action);
        assert_int_equal(r->flags, cases[i].want_flags);
        if (r->action == ARMVMI_RSP_EMULATE)
            assert_int_equal(r->value, 0x5a5a);
        if (cases[i].reg == ARMVMI_REG_X0 + 3) {
            assert_int_equal(r->reg_mask, 1ull << 3);
            assert_int_equal(r->x[3], 0xabcdef);
        } else if (cases[i].reg == ARMVMI_REG_PC) {
            assert_int_equal(r->reg_mask, 1ull << ARMVMI_RSP_REG_PC);
            assert_int_equal(r->pc, 0xabcdef);
        } else if (cases[i].reg == ARMVMI_REG_SP_EL1 && r->flags) {
            assert_int_equal(r->reg_mask, 1ull << ARMVMI_RSP_REG_SP_EL1);
            assert_int_equal(r->sp_el1, 0xabcdef);
            assert_int_equal(r->new_access, ARMVMI_ACC_R | ARMVMI_ACC_W);
        } else {
            assert_int_equal(r->reg_mask, 0);
        }
        if (r->flags & ARMVMI_RSPF_SET_ACCESS) { /* the fake applied it: restore the trap */
            pthread_mutex_lock(&F.lock);
            F.store[(PAGE_A - RAM_BASE) >> 12] = ARMVMI_ACC_X;
            pthread_mutex_unlock(&F.lock);
        }
    }
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.bad_responses, 1);
    assert_non_null(strstr(st.last_problem, "X0-X30, PC, PSTATE, SP_EL0 and SP_EL1"));
    /* EMULATE of an access without a syndrome cannot be sent */
    seen_init(&s, ARMVMI_MEM_EMULATE);
    add_access(0, PAGE_A + 16, ARMVMI_ACC_R, 0, 0);
    listen_until_done(ev);
    assert_int_equal(F.log[F.nlog - 1].action, ARMVMI_RSP_STEP);
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.bad_responses, 2);
    assert_non_null(strstr(st.last_problem, "syndrome"));
    assert_int_equal(F.bad_rsp, 0);
    finish(ev, h);
}

/* Two vCPUs at once, two overlapping registrations: every event once, to the right ones. */
static void two_vcpus_two_watches(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    static struct seen sa, sb;
    seen_init(&sa, ARMVMI_MEM_STEP);
    seen_init(&sb, ARMVMI_MEM_STEP);
    int ida, idb;
    assert_int_equal(armvmi_mem_watch_frame(ev, PAGE_A >> 12, ARMVMI_MEM_W, record, &sa, &ida), 0);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 0x2000, ARMVMI_MEM_R, record, &sb, &idb), 0);
    assert_int_equal(F.store[(PAGE_A - RAM_BASE) >> 12], ARMVMI_ACC_X);
    assert_int_equal(F.store[(PAGE_B - RAM_BASE) >> 12], ARMVMI_ACC_W | ARMVMI_ACC_X);
    for (unsigned i = 0; i < 200; i++) {
        add_access(i % 2, PAGE_A, ARMVMI_ACC_W, 4, i);
        add_access(i % 2, PAGE_B, ARMVMI_ACC_R, 4, 0);
        add_access(i % 2, PAGE_B, ARMVMI_ACC_W, 4, 0);
    }
    listen_until_done(ev);
    assert_int_equal(sa.n, 200);
    assert_int_equal(sb.n, 200);
    unsigned per_cpu[2] = {0};
    for (unsigned i = 0; i < 200; i++) {
        assert_int_equal(sa.e[i].access, ARMVMI_MEM_W);
        assert_int_equal(sa.e[i].watch, ida);
        assert_int_equal(sb.e[i].gpa, PAGE_B);
        per_cpu[sa.e[i].vcpu]++;
    }
    assert_int_equal(per_cpu[0], 100);
    assert_int_equal(per_cpu[1], 100);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.events, 400);
    assert_int_equal(st.last_seq, 400);
    assert_int_equal(st.seq_gaps, 0);
    assert_int_equal(st.seq_dups, 0);
    /* removing one registration gives the frames back what the other allows */
    assert_int_equal(armvmi_mem_unwatch(ev, ida), 0);
    assert_int_equal(F.store[(PAGE_A - RAM_BASE) >> 12], ARMVMI_ACC_W | ARMVMI_ACC_X);
    assert_int_equal(armvmi_mem_unwatch(ev, ida), -ARMVMI_ENOENT);
    finish(ev, h);
}

/* Clearing while both vCPUs keep faulting: after unwatch returns, the frame is open, every
 * event numbered before went to the callback, and none comes after. */
static void clear_in_flight(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    static struct seen s;
    seen_init(&s, ARMVMI_MEM_STEP);
    int id;
    for (int round = 0; round < 5; round++) {
        seen_init(&s, ARMVMI_MEM_STEP);
        assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_W, record, &s, &id), 0);
        unsigned base_log = F.nlog;
        for (unsigned i = 0; i < 500; i++) {
            add_access(0, PAGE_A, ARMVMI_ACC_W, 8, i);
            add_access(1, PAGE_A + 8, ARMVMI_ACC_W, 8, i);
        }
        while (s.n < 50)
            assert_true(armvmi_events_listen(ev, 10) >= 0);
        /* both vCPUs wait in their slots: two events in flight at the clear */
        while (LD(&slot(0)->state) != ARMVMI_SLOT_POSTED ||
               LD(&slot(1)->state) != ARMVMI_SLOT_POSTED)
            usleep(50);
        uint64_t numbered = LD(&F.chan->seq);
        assert_int_equal(armvmi_mem_unwatch(ev, id), 0);
        unsigned at_clear = s.n;
        uint64_t seq_at_clear = LD(&F.chan->seq);
        assert_int_equal(at_clear, numbered); /* the two went to the callback before it returned */
        assert_int_equal(F.store[(PAGE_A - RAM_BASE) >> 12], ARMVMI_ACC_RWX);
        listen_until_done(ev);
        assert_int_equal(s.n, at_clear); /* nothing after the clear */
        /* every event the fake numbered was answered, after the callback saw it */
        assert_int_equal(F.nlog - base_log, at_clear);
        assert_int_equal(seq_at_clear, at_clear);
        struct armvmi_events_stats st;
        armvmi_events_stats(ev, &st);
        assert_int_equal(st.seq_gaps, 0);
        assert_int_equal(st.unclaimed, 0);
        /* a new session for the next round: numbers start again at 1 */
        assert_int_equal(armvmi_events_close(ev), 0);
        armvmi_close(h);
        pthread_mutex_lock(&F.lock);
        memset(F.nscript, 0, sizeof(F.nscript));
        memset(F.pos, 0, sizeof(F.pos));
        F.nlog = 0;
        pthread_mutex_unlock(&F.lock);
        ev = attach(&h, NULL);
    }
    finish(ev, h);
}

/* Sequence numbers: a skipped number is reported as a gap, a repeated one as a duplicate
 * (and still answered, so the vCPU does not hang). */
static void seq_gaps_and_dups(void **state)
{
    armvmi_t *h;
    static struct seen s;
    armvmi_events_t *ev = start(&h, &s, ARMVMI_MEM_W);
    add_access(0, PAGE_A, ARMVMI_ACC_W, 8, 1);
    listen_until_done(ev);
    pthread_mutex_lock(&F.lock);
    F.skip_seq_once = true;
    pthread_mutex_unlock(&F.lock);
    for (unsigned i = 0; i < 300; i++) /* more than can be outstanding after the gap */
        add_access(0, PAGE_A, ARMVMI_ACC_W, 8, 1);
    listen_until_done(ev);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.seq_gaps, 1);
    assert_int_equal(st.seq_dups, 0);
    assert_non_null(strstr(st.last_problem, "event 2 never arrived"));
    pthread_mutex_lock(&F.lock);
    F.dup_seq_once = true;
    pthread_mutex_unlock(&F.lock);
    unsigned before = s.n;
    add_access(0, PAGE_A, ARMVMI_ACC_W, 8, 1);
    add_access(0, PAGE_A, ARMVMI_ACC_W, 8, 1);
    listen_until_done(ev);
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.seq_dups, 1);
    assert_non_null(strstr(st.last_problem, "twice"));
    assert_int_equal(s.n, before + 2); /* the duplicate is not delivered; its retry is */
    finish(ev, h);
}

/* Garbage in the channel: clear errors, corrupt events counted and answered, no crash. */
static void hostile_channel(void **state)
{
    armvmi_t *h;
    static struct seen s;
    armvmi_events_t *ev = start(&h, &s, ARMVMI_MEM_W);
    pthread_mutex_lock(&F.lock); /* the fake stops while we play a hostile hypervisor */

    struct armvmi_abi_slot *sl = slot(1);
    ST(&sl->state, 77u);
    assert_int_equal(armvmi_events_listen(ev, 0), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "vCPU 1 has state 77"));
    ST(&sl->state, (uint32_t)ARMVMI_SLOT_FREE);

    uint64_t head = F.chan->async_head;
    ST(&F.chan->async_head, head + 100000);
    assert_int_equal(armvmi_events_listen(ev, 0), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "async ring"));
    ST(&F.chan->async_head, head);

    /* corrupt events: each is answered CONTINUE with its own seq, not delivered */
    struct armvmi_abi_event bad[6];
    struct access a = {.gpa = PAGE_A, .acc = ARMVMI_ACC_W, .size = 8};
    for (int i = 0; i < 6; i++)
        fill_event(&bad[i], 1, &a, ARMVMI_ACC_R);
    bad[0].access = 3;
    bad[1].size = 1000;
    bad[2].gpa = ARMVMI_CHAN_ADDR; /* the carve-out */
    bad[3].vcpu = 0;               /* in vCPU 1's slot */
    bad[4].type = 99;
    bad[5].seq = ~0ull >> 1;
    for (int i = 0; i < 6; i++) {
        sl->ev = bad[i];
        ST(&sl->state, (uint32_t)ARMVMI_SLOT_POSTED);
        assert_int_equal(armvmi_events_listen(ev, 0), 1);
        assert_int_equal(LD(&sl->state), ARMVMI_SLOT_ANSWERED);
        assert_int_equal(sl->rsp.action, ARMVMI_RSP_CONTINUE);
        assert_int_equal(sl->rsp.seq, bad[i].seq);
        ST(&sl->state, (uint32_t)ARMVMI_SLOT_FREE);
    }
    assert_int_equal(s.n, 0);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.bad_events, 6);
    assert_non_null(strstr(st.last_problem, "far beyond"));

    /* a command counter that runs ahead of what was posted */
    uint64_t done = F.chan->cmd_done;
    ST(&F.chan->cmd_done, done + 5);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_B, 1, ARMVMI_MEM_R, record, &s, NULL),
                     -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "corrupt"));
    ST(&F.chan->cmd_done, done);

    /* the hypervisor ends the session under us */
    ST(&F.chan->attached, 0u);
    assert_int_equal(armvmi_events_listen(ev, 0), -ARMVMI_ESTATE);
    assert_non_null(strstr(armvmi_errmsg(), "ended this monitor session"));
    pthread_mutex_unlock(&F.lock);
    finish(ev, h);
}

/* Bad arguments are refused before anything reaches the channel. */
static void bad_watches(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    static struct seen s;
    unsigned cmds = F.cmds;
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 1, 0, record, &s, NULL), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 1, 8, record, &s, NULL), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 0, 1, record, &s, NULL), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 1, 1, NULL, &s, NULL), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, ~0ull - 10, 100, 1, record, &s, NULL), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, ARMVMI_CHAN_ADDR, 1, 1, record, &s, NULL),
                     -ARMVMI_EFAULT);
    assert_non_null(strstr(armvmi_errmsg(), "carve-out"));
    assert_int_equal(armvmi_mem_watch_pa(ev, RAM_BASE + RAM_SIZE - 4096, 8192, 1, record, &s, NULL),
                     -ARMVMI_EFAULT);
    assert_non_null(strstr(armvmi_errmsg(), "not guest RAM"));
    assert_int_equal(armvmi_mem_watch_frame(ev, 1ull << 60, 1, record, &s, NULL), -ARMVMI_EINVAL);
    assert_int_equal(F.cmds, cmds);
    assert_int_equal(armvmi_mem_unwatch(ev, 12345), -ARMVMI_ENOENT);
    finish(ev, h);
}

/* A callback slower than the monitor timeout: the heartbeat thread keeps the session. And a
 * second monitor is refused while the first one's heartbeat is alive. */
static void heartbeat_and_one_monitor(void **state)
{
    fake_setup(false, true);
    F.check_hb = true;
    armvmi_t *h;
    struct armvmi_events_options o = {.timeout_ms = 200};
    armvmi_events_t *ev = attach(&h, &o);
    static struct seen s;
    seen_init(&s, ARMVMI_MEM_STEP);
    s.sleep_ms = 700;
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_W, record, &s, NULL), 0);
    add_access(0, PAGE_A, ARMVMI_ACC_W, 8, 1);
    add_access(0, PAGE_A, ARMVMI_ACC_W, 8, 2);
    listen_until_done(ev);
    assert_int_equal(s.n, 2);
    assert_int_equal(LD(&F.chan->mon_timeouts), 0);
    assert_int_equal(LD(&F.chan->attached), 1);

    armvmi_t *h2;
    armvmi_events_t *ev2 = NULL;
    assert_int_equal(armvmi_open(&h2, F.dir), 0);
    assert_int_equal(armvmi_events_attach(h2, NULL, &ev2), -ARMVMI_ESTATE);
    assert_non_null(strstr(armvmi_errmsg(), "another monitor"));
    assert_null(ev2);
    assert_int_equal(LD(&F.chan->mon_magic), ARMVMI_MON_MAGIC); /* ours untouched */
    armvmi_close(h2);
    finish(ev, h);
}

/* Doorbell mode: the monitor sleeps on the socket, the fake rings, answers knock back. */
static void doorbell_mode(void **state)
{
    fake_setup(true, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_true(st.doorbell);
    static struct seen s;
    seen_init(&s, ARMVMI_MEM_STEP);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_W, record, &s, NULL), 0);
    for (unsigned i = 0; i < 50; i++) {
        add_access(i % 2, PAGE_A, ARMVMI_ACC_W, 8, i);
        usleep(2000); /* so that the monitor goes to sleep in between */
    }
    listen_until_done(ev);
    usleep(20000); /* the fake reads the last knock */
    assert_int_equal(s.n, 50);
    assert_true(F.rings > 0);    /* it slept with SLEEPING set and was rung */
    assert_true(F.knocks >= 50); /* a byte after each answer */
    assert_int_equal(LD(&F.chan->mon_flags) & ARMVMI_MON_F_SLEEPING, 0);
    finish(ev, h);
}

/* A virtual range: translated page by page with the library's walker (4K granule, 39-bit VA,
 * tables built in the fake's RAM), each page's frame watched. */
static void watch_virtual_range(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    uint64_t l1 = PAGE_A + 0x100000, l2 = l1 + 0x1000, l3 = l2 + 0x1000;
    uint64_t va = 0x40000000ull + 0x200000 * 3; /* L1[1], L2[3] */
    uint64_t frames[3] = {PAGE_A + 0x5000, PAGE_A + 0x9000, PAGE_A + 0x6000};
    uint64_t d;
    d = l2 | 3;
    assert_int_equal(armvmi_write_pa(F.h, l1 + 8 * 1, &d, 8), 0);
    d = l3 | 3;
    assert_int_equal(armvmi_write_pa(F.h, l2 + 8 * 3, &d, 8), 0);
    for (int i = 0; i < 3; i++) {
        d = frames[i] | 3 | (1ull << 10); /* page, AF */
        assert_int_equal(armvmi_write_pa(F.h, l3 + 8 * i, &d, 8), 0);
    }
    struct armvmi_tt_config ctx = {
        .regime = ARMVMI_REGIME_EL10, .tcr = 25 | (1ull << 23), .ttbr0 = l1, .sctlr = 1};
    static struct seen s;
    seen_init(&s, ARMVMI_MEM_STEP);
    assert_int_equal(
        armvmi_mem_watch_va(ev, &ctx, va + 0x800, 0x2000, ARMVMI_MEM_R, record, &s, NULL), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(F.store[(frames[i] - RAM_BASE) >> 12], ARMVMI_ACC_W | ARMVMI_ACC_X);
    add_access(0, frames[1] + 0x10, ARMVMI_ACC_R, 4, 0);
    listen_until_done(ev);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.e[0].gpa, frames[1] + 0x10);
    /* a page that is not mapped fails the whole call, naming it */
    assert_int_equal(
        armvmi_mem_watch_va(ev, &ctx, va + 0x2000, 0x2000, ARMVMI_MEM_R, record, &s, NULL),
        -ARMVMI_EFAULT);
    char want[64];
    snprintf(want, sizeof(want), "0x%llx is not mapped", (unsigned long long)va + 0x3000);
    if (!strstr(armvmi_errmsg(), want) || !strstr(armvmi_errmsg(), "nothing was watched"))
        fail_msg("unexpected message: %s", armvmi_errmsg());
    assert_int_equal(F.store[(frames[2] - RAM_BASE) >> 12], ARMVMI_ACC_W | ARMVMI_ACC_X);
    assert_int_equal(armvmi_events_close(ev), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(F.store[(frames[i] - RAM_BASE) >> 12], ARMVMI_ACC_RWX);
    armvmi_close(h);
    fake_teardown();
}

/* A fail-closed monitor died with vCPU 0 waiting on a write: a new session attaches once the
 * hypervisor has declared the old one gone, and gets that event, marked as inherited (its seq
 * is the old session's and is not checked). */
static void fail_closed_leftovers(void **state)
{
    fake_setup(false, true);
    pthread_mutex_lock(&F.lock);
    F.check_hb = true;
    ST(&F.chan->attached, 1u); /* the old session */
    ST(&F.chan->session, 7ull);
    F.chan->mon_timeout_ms = 300;
    F.chan->mon_flags = ARMVMI_MON_F_FAIL_CLOSED;
    F.chan->mon_magic = ARMVMI_MON_MAGIC;
    F.last_hb_ms = now_ms();
    F.store[(PAGE_A - RAM_BASE) >> 12] = ARMVMI_ACC_R | ARMVMI_ACC_X;
    for (int i = 0; i < 2; i++)
        F.script[0][F.nscript[0]++] =
            (struct access){.gpa = PAGE_A, .acc = ARMVMI_ACC_W, .size = 8, .value = 42 + i};
    ST(&F.chan->seq, 776ull);
    run_vcpu(0); /* posts seq 777 and waits */
    pthread_mutex_unlock(&F.lock);
    assert_int_equal(LD(&slot(0)->state), ARMVMI_SLOT_POSTED);
    armvmi_t *h;
    long long t0 = now_ms();
    armvmi_events_t *ev = attach(&h, NULL);
    assert_true(now_ms() - t0 >= 100); /* it waited for the old one to be declared gone */
    assert_int_equal(LD(&F.chan->mon_timeouts), 1);
    assert_int_equal(LD(&F.chan->session), 8);
    static struct seen s;
    seen_init(&s, ARMVMI_MEM_STEP);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_W, record, &s, NULL), 0);
    listen_until_done(ev);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.e[0].seq, 777);
    assert_true(s.e[0].flags & ARMVMI_MEMF_INHERITED);
    assert_int_equal(s.e[0].value, 42);
    /* the hypervisor goes on numbering after a fail-closed monitor: not a gap, not a dup */
    assert_int_equal(s.e[1].seq, 778);
    assert_false(s.e[1].flags & ARMVMI_MEMF_INHERITED);
    assert_int_equal(F.log[0].seq, 777);
    assert_int_equal(F.log[0].action, ARMVMI_RSP_STEP);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.seq_gaps + st.seq_dups + st.bad_events, 0);
    finish(ev, h);
}

/* A restriction no registration asked for (left by someone else): its event is answered
 * CONTINUE with the frame opened to what the registrations allow, and the vCPU goes on. */
static void unclaimed_restriction(void **state)
{
    armvmi_t *h;
    static struct seen s;
    armvmi_events_t *ev = start(&h, &s, ARMVMI_MEM_W);
    pthread_mutex_lock(&F.lock);
    F.store[(PAGE_B - RAM_BASE) >> 12] = ARMVMI_ACC_R;
    pthread_mutex_unlock(&F.lock);
    add_access(1, PAGE_B, ARMVMI_ACC_W, 8, 5);
    add_access(1, PAGE_B, ARMVMI_ACC_X, 4, 0);
    listen_until_done(ev);
    assert_int_equal(s.n, 0);
    assert_int_equal(F.nlog, 1);
    assert_int_equal(F.log[0].action, ARMVMI_RSP_CONTINUE);
    assert_int_equal(F.log[0].flags, ARMVMI_RSPF_SET_ACCESS);
    assert_int_equal(F.log[0].new_access, ARMVMI_ACC_RWX);
    assert_int_equal(F.store[(PAGE_B - RAM_BASE) >> 12], ARMVMI_ACC_RWX);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.unclaimed, 1);
    finish(ev, h);
}

/* Events pending together are delivered in seq order (events.h): vCPU 1's event, then an async
 * one, then vCPU 0's, all posted before the monitor looks, arrive in that order and not in slot
 * order. */
static void pending_in_seq_order(void **state)
{
    armvmi_t *h;
    static struct seen s;
    armvmi_events_t *ev = start(&h, &s, ARMVMI_MEM_W);
    pthread_mutex_lock(&F.lock); /* the fake waits while both vCPUs post */
    struct access a = {.gpa = PAGE_A, .gva = 0x400000, .acc = ARMVMI_ACC_W, .size = 8, .value = 7};
    struct access aa = a;
    aa.flags = ARMVMI_EVF_ASYNC;
    F.store[(PAGE_A - RAM_BASE) >> 12] = ARMVMI_ACC_R;
    for (unsigned v = 0; v < NCPUS; v++)
        F.script[v][F.nscript[v]++] = a;
    fill_event(&slot(1)->ev, 1, &a, ARMVMI_ACC_R);
    uint64_t head = F.chan->async_head;
    fill_event(async_entry(head), 0, &aa, ARMVMI_ACC_N2RWX);
    fill_event(&slot(0)->ev, 0, &a, ARMVMI_ACC_R);
    F.waiting[0] = F.waiting[1] = true;
    ST(&slot(1)->state, (uint32_t)ARMVMI_SLOT_POSTED);
    ST(&slot(0)->state, (uint32_t)ARMVMI_SLOT_POSTED);
    ST(&F.chan->async_head, head + 1);
    pthread_mutex_unlock(&F.lock);
    listen_until_done(ev);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.e[0].vcpu, 1);
    assert_int_equal(s.e[1].flags & ARMVMI_MEMF_ASYNC, ARMVMI_MEMF_ASYNC);
    assert_int_equal(s.e[2].vcpu, 0);
    assert_true(s.e[0].seq < s.e[1].seq && s.e[1].seq < s.e[2].seq);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.seq_gaps + st.seq_dups + st.bad_events, 0);
    finish(ev, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_under_hyp),         cmocka_unit_test(bad_channel_header),
        cmocka_unit_test(hyp_not_answering),     cmocka_unit_test(write_events_in_order),
        cmocka_unit_test(responses_written),     cmocka_unit_test(two_vcpus_two_watches),
        cmocka_unit_test(clear_in_flight),       cmocka_unit_test(seq_gaps_and_dups),
        cmocka_unit_test(pending_in_seq_order),  cmocka_unit_test(hostile_channel),
        cmocka_unit_test(bad_watches),           cmocka_unit_test(heartbeat_and_one_monitor),
        cmocka_unit_test(doorbell_mode),         cmocka_unit_test(watch_virtual_range),
        cmocka_unit_test(fail_closed_leftovers), cmocka_unit_test(unclaimed_restriction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
