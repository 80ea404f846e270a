/* SPDX-License-Identifier: MIT */
/* session.c — a monitor session on the hypervisor's channel: attach, heartbeat, commands, close. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events_priv.h"

#define EV_DEFAULT_TIMEOUT_MS 2000u
#define EV_DEFAULT_CMD_TIMEOUT_MS 5000u

long long ev_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

void ev_problem(struct armvmi_events *ev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->st.last_problem, sizeof(ev->st.last_problem), fmt, ap);
    va_end(ap);
}

void ev_ring(struct armvmi_events *ev)
{
    if (ev->doorbell_fd < 0)
        return;
    /* Any byte but the liveness ping; a full socket already holds a wake-up. */
    const char b = ARMVMI_DOORBELL_RING;
    ssize_t r = write(ev->doorbell_fd, &b, 1);
    (void)r;
}

static void drain_doorbell(struct armvmi_events *ev)
{
    char buf[256];
    for (int i = 0; i < 64; i++) {
        ssize_t r = read(ev->doorbell_fd, buf, sizeof(buf));
        if (r > 0)
            continue;
        if (r == 0) { /* QEMU closed it: go on with short sleeps */
            close(ev->doorbell_fd);
            ev->doorbell_fd = -1;
            ev->st.doorbell = false;
            ev_problem(ev, "the doorbell socket was closed; waiting with short sleeps instead.");
        }
        return;
    }
}

void ev_wait(struct armvmi_events *ev, long ms)
{
    if (ms <= 0)
        return;
    if (ev->opt.busy_poll) {
        for (int i = 0; i < 2000 && !ev_pending(ev); i++)
            __asm__ volatile("" ::: "memory");
        return;
    }
    if (ev->doorbell_fd < 0) {
        sleep_us(200);
        return;
    }
    /* Tell the hypervisor to ring, then look again: an event posted before it saw the flag
     * would otherwise wait for the next one (the lost wake-up). */
    __atomic_fetch_or(&ev->chan->mon_flags, ARMVMI_MON_F_SLEEPING, __ATOMIC_SEQ_CST);
    if (!ev_pending(ev) && !ev->interrupted) {
        struct pollfd p = {.fd = ev->doorbell_fd, .events = POLLIN};
        if (poll(&p, 1, ms > 50 ? 50 : (int)ms) > 0)
            drain_doorbell(ev);
    }
    __atomic_fetch_and(&ev->chan->mon_flags, ~ARMVMI_MON_F_SLEEPING, __ATOMIC_SEQ_CST);
}

static const char *cmd_name(uint32_t op)
{
    static const char *const n[] = {"?",         "ATTACH",      "DETACH",   "SET_ACCESS", "PAUSE",
                                    "RESUME",    "GET_ACCESS",  "REG_TRAP", "CALL_TRAP",  "STEP",
                                    "BREAK_SET", "BREAK_CLEAR", "RELEASE"};
    return op < sizeof(n) / sizeof(n[0]) ? n[op] : "?";
}

/* cmd_done as the hypervisor wrote it, checked against what we posted. */
static int cmd_done(struct armvmi_events *ev, uint64_t *done)
{
    *done = EV_LOAD(&ev->chan->cmd_done);
    if (*done > ev->cmd_head)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the monitor channel says %llu commands are done but only %llu "
                                "were posted: the channel is corrupt.",
                                (unsigned long long)*done, (unsigned long long)ev->cmd_head);
    return 0;
}

int ev_cmd(struct armvmi_events *ev, uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2,
           uint64_t result[2])
{
    return ev_cmd4(ev, op, a0, a1, a2, 0, result);
}

int ev_cmd4(struct armvmi_events *ev, uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2,
            uint64_t a3, uint64_t result[2])
{
    uint64_t done;
    long long limit = ev->opt.cmd_timeout_ms, t0 = ev_now_ms();
    int rc;
    for (;;) { /* room in the ring */
        if ((rc = cmd_done(ev, &done)))
            return rc;
        if (ev->cmd_head - done < ARMVMI_CHAN_CMD_RING)
            break;
        if (ev_now_ms() - t0 > limit)
            return armvmi_set_error(ARMVMI_EIO,
                                    "the hypervisor has not executed its %u pending commands in "
                                    "%lld ms: is the VM paused?",
                                    ARMVMI_CHAN_CMD_RING, limit);
        sleep_us(100);
    }
    uint64_t i = ev->cmd_head;
    struct armvmi_abi_cmd *c = ev_cmd_entry(ev, i);
    c->id = i + 1;
    c->op = op;
    c->arg[0] = a0;
    c->arg[1] = a1;
    c->arg[2] = a2;
    c->arg[3] = a3;
    c->result[0] = c->result[1] = 0;
    EV_STORE(&c->status, (uint32_t)ARMVMI_CMDS_PENDING);
    ev->cmd_head = i + 1;
    EV_STORE(&ev->chan->cmd_head, ev->cmd_head);
    ev_ring(ev);
    uint64_t progress = 0;
    long us = 20;
    for (;;) {
        if ((rc = cmd_done(ev, &done)))
            return rc;
        if (done > i)
            break;
        uint64_t p = EV_LOAD(&c->result[0]);
        if (p != progress) { /* a long SET_ACCESS moves on: the timeout counts from here */
            progress = p;
            t0 = ev_now_ms();
        }
        if (ev_now_ms() - t0 > limit)
            return armvmi_set_error(ARMVMI_EIO,
                                    "the hypervisor did not execute command %s in %lld ms (is "
                                    "the VM paused, or its hypervisor stuck?).",
                                    cmd_name(op), limit);
        if (!ev->opt.busy_poll) {
            sleep_us(us);
            if (us < 1000)
                us *= 2;
        }
    }
    uint32_t status = EV_LOAD(&c->status);
    if (result) {
        result[0] = c->result[0];
        result[1] = c->result[1];
    }
    switch (status) {
    case ARMVMI_CMDS_OK:
        return 0;
    case ARMVMI_CMDS_EINVAL:
        return armvmi_set_error(ARMVMI_EINVAL, "the hypervisor rejected command %s as invalid.",
                                cmd_name(op));
    case ARMVMI_CMDS_ERANGE:
        return armvmi_set_error(ARMVMI_EFAULT,
                                "the hypervisor rejected command %s: frames 0x%llx+%llu are "
                                "not guest RAM.",
                                cmd_name(op), (unsigned long long)a0, (unsigned long long)a1);
    case ARMVMI_CMDS_ENOSPC:
        return armvmi_set_error(ARMVMI_ENOMEM,
                                "the hypervisor has no room left for command %s (too many "
                                "breakpoints or breakpoint frames).",
                                cmd_name(op));
    case ARMVMI_CMDS_ESTATE:
        return armvmi_set_error(ARMVMI_ESTATE,
                                op == ARMVMI_CMD_ATTACH
                                    ? "another monitor is attached to this VM."
                                    : "the hypervisor refused command %s: this monitor's "
                                      "session is over.",
                                cmd_name(op));
    case ARMVMI_CMDS_ENOTSUP:
        return armvmi_set_error(ARMVMI_ENOTSUP,
                                "the hypervisor cannot do command %s on this CPU (a feature "
                                "it lacks, e.g. FEAT_FGT for VBAR_EL1 write traps).",
                                cmd_name(op));
    case ARMVMI_CMDS_EBUSY:
        return armvmi_set_error(ARMVMI_ESTATE,
                                "the hypervisor refused command %s: a breakpoint and a memory "
                                "restriction cannot share a guest frame (clear one first).",
                                cmd_name(op));
    case ARMVMI_CMDS_ETIMEDOUT:
        return armvmi_set_error(ARMVMI_EIO,
                                "the hypervisor refused command %s: a vCPU did not stop to take "
                                "the debug trap within 1 s (see its console); try again.",
                                cmd_name(op));
    default:
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the hypervisor answered command %s with status %u, which "
                                "abi.h does not define: the channel is corrupt.",
                                cmd_name(op), status);
    }
}

static void *heartbeat(void *arg)
{
    struct armvmi_events *ev = arg;
    uint32_t period = ev->opt.timeout_ms / 8 ? ev->opt.timeout_ms / 8 : 1;
    pthread_mutex_lock(&ev->hb_lock);
    while (!ev->hb_stop) {
        __atomic_fetch_add(&ev->chan->mon_heartbeat, 1, __ATOMIC_RELEASE);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)(period % 1000) * 1000000;
        ts.tv_sec += period / 1000 + ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&ev->hb_cond, &ev->hb_lock, &ts);
    }
    pthread_mutex_unlock(&ev->hb_lock);
    return NULL;
}

static void stop_heartbeat(struct armvmi_events *ev)
{
    if (!ev->hb_running)
        return;
    pthread_mutex_lock(&ev->hb_lock);
    ev->hb_stop = true;
    pthread_cond_signal(&ev->hb_cond);
    pthread_mutex_unlock(&ev->hb_lock);
    pthread_join(ev->hb, NULL);
    ev->hb_running = false;
}

/* Map the channel and check what the hypervisor wrote in its header. */
static int map_channel(struct armvmi_events *ev)
{
    armvmi_t *h = ev->h;
    int rc = armvmi_get_info(h, &ev->info);
    if (rc)
        return rc;
    const struct armvmi_info *in = &ev->info;
    if (!in->hyp_carve_size)
        return armvmi_set_error(ARMVMI_ENOTSUP,
                                "%s does not run under the armvmi hypervisor (start the VM with "
                                "`armvmi vm start --hyp`): it has no monitor channel.",
                                in->target);
    if (ARMVMI_CHAN_ADDR < in->hyp_carve_base ||
        ARMVMI_CHAN_ADDR + ARMVMI_CHAN_SIZE > in->hyp_carve_base + in->hyp_carve_size)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the hypervisor's carve-out of %s (0x%llx+0x%llx) does not hold "
                                "the monitor channel at 0x%llx: a hypervisor of another ABI?",
                                in->target, (unsigned long long)in->hyp_carve_base,
                                (unsigned long long)in->hyp_carve_size, ARMVMI_CHAN_ADDR);
    ev->base = armvmi_map_pa(h, ARMVMI_CHAN_ADDR, ARMVMI_CHAN_SIZE);
    if (!ev->base)
        return armvmi_set_error(ARMVMI_ENOTSUP,
                                "cannot map the monitor channel of %s (%s): events need a live "
                                "VM whose RAM the library maps.",
                                in->target, armvmi_errmsg());
    ev->chan = (struct armvmi_abi_chan *)ev->base;
    uint64_t magic = EV_LOAD(&ev->chan->magic);
    if (magic == 0)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the armvmi hypervisor of %s has not set up its monitor channel: "
                                "still booting, or a hypervisor built without VMI events.",
                                in->target);
    if (magic != ARMVMI_CHAN_MAGIC)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the monitor channel of %s at 0x%llx has magic 0x%016llx, not "
                                "\"AVMICHAN\": the channel is corrupt or not there.",
                                in->target, ARMVMI_CHAN_ADDR, (unsigned long long)magic);
    uint32_t version = EV_LOAD(&ev->chan->version);
    if (version != ARMVMI_ABI_VERSION)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the monitor channel of %s speaks ABI version %u, this armvmi "
                                "speaks %u: run the armvmi-hyp.elf built with this armvmi.",
                                in->target, version, ARMVMI_ABI_VERSION);
    ev->ncpus = EV_LOAD(&ev->chan->ncpus);
    if (ev->ncpus < 1 || ev->ncpus > ARMVMI_MAX_VCPUS)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the monitor channel of %s says the VM has %u vCPUs (1-%u "
                                "possible): the channel is corrupt.",
                                in->target, ev->ncpus, ARMVMI_MAX_VCPUS);
    ev->cntfrq = EV_LOAD(&ev->chan->cntfrq);
    return 0;
}

/*
 * Another monitor is attached while its heartbeat moves. One whose heartbeat has stopped is
 * waited for (without touching the monitor's fields, which would revive it) until the
 * hypervisor declares it gone: its timeout, as it wrote it (bounded), and a margin.
 */
static int check_no_monitor(struct armvmi_events *ev)
{
    if (!EV_LOAD(&ev->chan->attached) || EV_LOAD(&ev->chan->mon_magic) != ARMVMI_MON_MAGIC)
        return 0;
    uint32_t t = EV_LOAD(&ev->chan->mon_timeout_ms);
    t = t ? t : EV_DEFAULT_TIMEOUT_MS;
    if (t > 60000)
        t = 60000;
    uint64_t hb = EV_LOAD(&ev->chan->mon_heartbeat);
    long long t0 = ev_now_ms();
    while (EV_LOAD(&ev->chan->attached)) {
        if (EV_LOAD(&ev->chan->mon_heartbeat) != hb)
            return armvmi_set_error(ARMVMI_ESTATE,
                                    "another monitor is attached to %s (session %llu, its "
                                    "heartbeat is alive): one monitor at a time.",
                                    ev->info.target,
                                    (unsigned long long)EV_LOAD(&ev->chan->session));
        if (ev_now_ms() - t0 > (long long)t + 1000)
            return armvmi_set_error(ARMVMI_ESTATE,
                                    "another monitor is attached to %s (session %llu); its "
                                    "heartbeat stopped, but the hypervisor has not declared it "
                                    "gone within its timeout of %u ms.",
                                    ev->info.target,
                                    (unsigned long long)EV_LOAD(&ev->chan->session), t);
        sleep_us(2000);
    }
    return 0;
}

/* The command ring as the previous monitor left it: wait for its last commands. */
static int settle_ring(struct armvmi_events *ev)
{
    ev->cmd_head = EV_LOAD(&ev->chan->cmd_head);
    long long t0 = ev_now_ms();
    for (;;) {
        uint64_t done = EV_LOAD(&ev->chan->cmd_done);
        if (done > ev->cmd_head || ev->cmd_head - done > ARMVMI_CHAN_CMD_RING)
            return armvmi_set_error(ARMVMI_EFORMAT,
                                    "the command ring of the monitor channel is inconsistent "
                                    "(%llu posted, %llu done): the channel is corrupt.",
                                    (unsigned long long)ev->cmd_head, (unsigned long long)done);
        if (done == ev->cmd_head)
            return 0;
        if (ev_now_ms() - t0 > ev->opt.cmd_timeout_ms)
            return armvmi_set_error(ARMVMI_EIO,
                                    "the hypervisor has not executed the %llu commands a "
                                    "previous monitor left in %u ms.",
                                    (unsigned long long)(ev->cmd_head - done),
                                    ev->opt.cmd_timeout_ms);
        sleep_us(1000);
    }
}

int armvmi_events_attach(armvmi_t *h, const struct armvmi_events_options *opt,
                         armvmi_events_t **out)
{
    if (!h || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_events_attach: NULL argument.");
    *out = NULL;
    struct armvmi_events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    ev->h = h;
    ev->doorbell_fd = -1;
    ev->next_id = 1;
    if (opt)
        ev->opt = *opt;
    if (!ev->opt.timeout_ms)
        ev->opt.timeout_ms = EV_DEFAULT_TIMEOUT_MS;
    if (!ev->opt.cmd_timeout_ms)
        ev->opt.cmd_timeout_ms = EV_DEFAULT_CMD_TIMEOUT_MS;
    pthread_mutex_init(&ev->hb_lock, NULL);
    pthread_cond_init(&ev->hb_cond, NULL);
    int rc = map_channel(ev);
    if (!rc)
        rc = check_no_monitor(ev);
    if (!rc)
        rc = settle_ring(ev);
    if (rc)
        goto fail;
    struct armvmi_abi_chan *c = ev->chan;
    ev->mon_flags = (ev->opt.fail_closed ? ARMVMI_MON_F_FAIL_CLOSED : 0) |
                    (ev->opt.busy_poll ? ARMVMI_MON_F_BUSY_POLL : 0);
    EV_STORE(&c->mon_timeout_ms, ev->opt.timeout_ms);
    EV_STORE(&c->mon_flags, ev->mon_flags);
    ev->async_tail = EV_LOAD(&c->async_head); /* a previous session's events are not ours */
    EV_STORE(&c->async_tail, ev->async_tail);
    EV_STORE(&c->mon_magic, ARMVMI_MON_MAGIC);
    if (pthread_create(&ev->hb, NULL, heartbeat, ev)) {
        rc = armvmi_set_error(ARMVMI_ENOMEM, "cannot start the heartbeat thread.");
        goto fail;
    }
    ev->hb_running = true;
    if ((EV_LOAD(&c->hyp_flags) & ARMVMI_CHAN_F_DOORBELL) && !ev->opt.busy_poll) {
        if (armvmi_hyp_doorbell(h, &ev->doorbell_fd) == 0)
            ev->st.doorbell = true;
        else
            ev_problem(ev, "no doorbell (%s); waiting with short sleeps.", armvmi_errmsg());
    }
    uint64_t seq_before = EV_LOAD(&c->seq);
    if (seq_before > (1ull << 62)) {
        rc = armvmi_set_error(ARMVMI_EFORMAT,
                              "the monitor channel's sequence number is %llu: the channel is "
                              "corrupt.",
                              (unsigned long long)seq_before);
        goto fail;
    }
    if ((rc = ev_cmd(ev, ARMVMI_CMD_ATTACH, ev->mon_flags, ev->opt.timeout_ms, 0, NULL)))
        goto fail;
    if (!EV_LOAD(&c->attached)) {
        rc = armvmi_set_error(ARMVMI_EIO, "the hypervisor accepted ATTACH but does not say it "
                                          "is attached.");
        goto fail;
    }
    ev->session = EV_LOAD(&c->session);
    ev->reinjected0 = EV_LOAD(&c->reinjected);
    ev->filtered0 = EV_LOAD(&c->filtered);
    /* A new session numbers from 1; one that takes over from a fail-closed monitor declared
     * gone goes on from its numbers (the hypervisor did not reset them). */
    ev_seq_reset(ev, EV_LOAD(&c->seq) < seq_before ? 1 : seq_before + 1);
    /* A fail-closed monitor's vCPUs may still wait: their events are the old session's. */
    for (unsigned v = 0; v < ev->ncpus; v++)
        if (EV_LOAD(&ev_slot(ev, v)->state) == ARMVMI_SLOT_POSTED) {
            ev->inherited[v] = true;
            ev->inherited_seq[v] = ev_slot(ev, v)->ev.seq;
        }
    *out = ev;
    return 0;
fail:
    if (ev->chan && ev->hb_running) {
        stop_heartbeat(ev);
        EV_STORE(&ev->chan->mon_magic, 0);
    }
    if (ev->doorbell_fd >= 0)
        close(ev->doorbell_fd);
    pthread_mutex_destroy(&ev->hb_lock);
    pthread_cond_destroy(&ev->hb_cond);
    free(ev);
    return rc;
}

int armvmi_events_close(armvmi_events_t *ev)
{
    if (!ev)
        return 0;
    if (ev->in_cb)
        return armvmi_set_error(ARMVMI_ESTATE,
                                "armvmi_events_close cannot be called from an event callback.");
    int rc = 0;
    /* A session the hypervisor has ended has nothing left to undo. */
    if (EV_LOAD(&ev->chan->attached) && EV_LOAD(&ev->chan->session) == ev->session) {
        rc = ev_unwatch_all(ev);
        int rc2 = ev_cmd(ev, ARMVMI_CMD_DETACH, 0, 0, 0, NULL);
        if (!rc)
            rc = rc2;
    }
    stop_heartbeat(ev);
    EV_STORE(&ev->chan->mon_flags, 0u);
    EV_STORE(&ev->chan->mon_magic, 0ull);
    if (ev->doorbell_fd >= 0)
        close(ev->doorbell_fd);
    for (size_t i = 0; i < ev->nw; i++)
        free(ev->w[i].ext);
    free(ev->w);
    ev_stepbrk_free(ev);
    free(ev->rc);
    pthread_mutex_destroy(&ev->hb_lock);
    pthread_cond_destroy(&ev->hb_cond);
    free(ev);
    return rc;
}

bool armvmi_events_held(armvmi_events_t *ev)
{
    return ev && (EV_LOAD(&ev->chan->hyp_flags) & ARMVMI_CHAN_F_HELD);
}

int armvmi_events_release(armvmi_events_t *ev)
{
    if (!ev)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_events_release: NULL handle.");
    if (ev->in_cb)
        return armvmi_set_error(ARMVMI_ESTATE,
                                "armvmi_events_release cannot be called from an event callback.");
    if (!armvmi_events_held(ev)) {
        ev->released = true;
        return 0;
    }
    uint64_t res[2];
    int rc = ev_cmd(ev, ARMVMI_CMD_RELEASE, 0, 0, 0, res);
    if (rc)
        return rc;
    ev->released = true;
    if (armvmi_events_held(ev))
        return armvmi_set_error(ARMVMI_EIO, "the hypervisor accepted RELEASE but still says it "
                                            "holds vCPU 0 before the guest kernel.");
    return 0;
}

void armvmi_events_interrupt(armvmi_events_t *ev)
{
    if (ev)
        ev->interrupted = 1;
}

int armvmi_events_stats(armvmi_events_t *ev, struct armvmi_events_stats *st)
{
    if (!ev || !st)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_events_stats: NULL argument.");
    ev->st.async_dropped = EV_LOAD(&ev->chan->async_dropped);
    ev->st.hyp_errors = EV_LOAD(&ev->chan->errors);
    ev->st.hyp_last_error = EV_LOAD(&ev->chan->last_error);
    *st = ev->st;
    return 0;
}

unsigned armvmi_events_vcpus(armvmi_events_t *ev)
{
    return ev ? ev->ncpus : 0;
}

uint64_t armvmi_events_cntfrq(armvmi_events_t *ev)
{
    return ev ? ev->cntfrq : 0;
}
