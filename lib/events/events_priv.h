/* SPDX-License-Identifier: MIT */
/* events_priv.h — the events layer's session handle, shared by its session, watch and dispatch. */
#ifndef ARMVMI_EVENTS_PRIV_H
#define ARMVMI_EVENTS_PRIV_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <armvmi/abi.h>
#include <armvmi/events.h>

/* A run of guest frames [gfn, gfn + n). */
struct ev_extent {
    uint64_t gfn, n;
};

/* The conversion watches' trap values (events.h). */
#define EV_MEM_CONVERT (ARMVMI_MEM_RX2RW | ARMVMI_MEM_N2RWX)

/* One registration. A removed one stays (draining) until its unwatch has drained the channel. */
struct ev_watch {
    int id;
    bool live;     /* counts for the frames' access */
    bool draining; /* no longer counts, still gets events posted before the clear */
    unsigned trap; /* ARMVMI_MEM_* */
    armvmi_mem_cb cb;
    void *arg;
    struct ev_extent *ext;
    size_t next;
};

/* Sequence numbers seen: every number below low has been seen; bit (s % EV_SEQ_WIN) of seen
 * is set for a number s >= low seen already. */
#define EV_SEQ_WIN 8192u

struct armvmi_events {
    armvmi_t *h;
    uint8_t *base; /* the channel, mapped */
    struct armvmi_abi_chan *chan;
    unsigned ncpus;
    uint64_t cntfrq, session;
    struct armvmi_info info; /* the RAM ranges and carve-out, to check frames */
    struct armvmi_events_options opt;
    uint32_t mon_flags;

    uint64_t cmd_head;               /* our copy of chan->cmd_head */
    uint64_t async_tail;             /* our copy of chan->async_tail */
    uint64_t reinjected0, filtered0; /* chan's counters at attach (they count since boot) */

    pthread_t hb;
    bool hb_running;
    pthread_mutex_t hb_lock;
    pthread_cond_t hb_cond;
    bool hb_stop;

    int doorbell_fd; /* -1: none */
    volatile sig_atomic_t interrupted;
    bool in_cb, stop;
    bool released; /* RELEASE sent (or not needed): armvmi_events_release() */

    struct ev_watch *w;
    size_t nw, capw;
    int next_id;

    uint64_t seq_low, seq_max;
    uint64_t seen[EV_SEQ_WIN / 64];
    bool inherited[ARMVMI_MAX_VCPUS]; /* the slot held a previous session's event at attach */
    uint64_t inherited_seq[ARMVMI_MAX_VCPUS];

    struct armvmi_events_stats st;
    struct ev_stepbrk *sb; /* single-step and breakpoints (cpu_stepbrk.c), NULL until used */
    struct ev_regcall *rc; /* register and call watches (cpu_regcall.c), NULL until the first */
};

/* session.c */
/* Post a command and wait for it; result (may be NULL) receives result[0..1]. */
int ev_cmd(struct armvmi_events *ev, uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2,
           uint64_t result[2]);
/* Tell the hypervisor to look at the channel (doorbell byte), if there is a doorbell. */
void ev_ring(struct armvmi_events *ev);
/* Wait until there may be work, for at most ms milliseconds. */
void ev_wait(struct armvmi_events *ev, long ms);
long long ev_now_ms(void);
/* Record a problem (gap, duplicate, bad input) in the stats, printf-style. */
void ev_problem(struct armvmi_events *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* dispatch.c */
/* One pass over the slots and the async ring: events delivered, or a negative error. */
int ev_poll(struct armvmi_events *ev);
/* Whether an event waits (a POSTED slot or an unread async entry). */
bool ev_pending(struct armvmi_events *ev);
/* Start sequence checking for a session whose first number is first (>= 1). */
void ev_seq_reset(struct armvmi_events *ev, uint64_t first);
/* Deliver until every sequence number up to `upto` has been seen, for at most ms. */
int ev_drain(struct armvmi_events *ev, uint64_t upto, long ms);

/* The ABI response's SET_REGS part for the registers valid in r; NULL if good, else why not. */
const char *ev_rsp_regs(const struct armvmi_regs *r, struct armvmi_abi_response *out);
/* Call a registration's callback (in_cb set meanwhile); true if it asked to stop listening. */
#define EV_CALLBACK(ev, call)                                                                      \
    do {                                                                                           \
        (ev)->in_cb = true;                                                                        \
        if (call)                                                                                  \
            (ev)->stop = true;                                                                     \
        (ev)->in_cb = false;                                                                       \
    } while (0)

/* cpu_regcall.c */
/* A register-write or call event (ARMVMI_EV_REG/SMC/HVC): NULL if it looks right, else why not. */
const char *ev_regcall_bad(const struct armvmi_events *ev, const struct armvmi_abi_event *e);
/* Deliver it to its registration and fill *out (seq set, CONTINUE preset); false if none. */
bool ev_regcall_deliver(struct armvmi_events *ev, const struct armvmi_abi_event *e,
                        struct armvmi_abi_response *out);

/* watch.c */
/* The access frame gfn allows under the live registrations (ARMVMI_ACC_* value). */
unsigned ev_frame_allowed(const struct armvmi_events *ev, uint64_t gfn);
/* The same with arg3 too. */
int ev_cmd4(struct armvmi_events *ev, uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2,
            uint64_t a3, uint64_t result[2]);

/* cpu_stepbrk.c: ARMVMI_EV_STEP and ARMVMI_EV_BREAK events (what is wrong with one beyond
 * dispatch.c's common checks, or NULL; deliver a checked one and fill *out, false if no
 * registration took it), and freeing its state at close. */
const char *ev_stepbrk_bad(const struct armvmi_events *ev, const struct armvmi_abi_event *e);
bool ev_stepbrk_deliver(struct armvmi_events *ev, const struct armvmi_abi_event *e,
                        struct armvmi_abi_response *out);
void ev_stepbrk_free(struct armvmi_events *ev);
/* armvmi_events_listen, every 100 ms: breakpoints at a VA moved to the frame mapped there now */
void ev_stepbrk_follow(struct armvmi_events *ev);
/* A response's `step`: RSPF_STEP_ON in *out (and vcpu's steps delivered) if a step callback is
 * registered; otherwise nothing. For every event type's response. */
void ev_step_rsp(struct armvmi_events *ev, unsigned vcpu, bool step,
                 struct armvmi_abi_response *out);

/* Remove every registration (draining). */
int ev_unwatch_all(struct armvmi_events *ev);

/* Shared fields: one writer each, ordered with acquire/release. */
#define EV_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define EV_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static inline struct armvmi_abi_slot *ev_slot(struct armvmi_events *ev, unsigned v)
{
    return (struct armvmi_abi_slot *)(ev->base + ARMVMI_CHAN_SLOTS_OFF +
                                      v * ARMVMI_CHAN_SLOT_STRIDE);
}

static inline struct armvmi_abi_cmd *ev_cmd_entry(struct armvmi_events *ev, uint64_t i)
{
    return (struct armvmi_abi_cmd *)(ev->base + ARMVMI_CHAN_CMDS_OFF) + (i % ARMVMI_CHAN_CMD_RING);
}

static inline struct armvmi_abi_event *ev_async_entry(struct armvmi_events *ev, uint64_t i)
{
    return (struct armvmi_abi_event *)(ev->base + ARMVMI_CHAN_ASYNC_OFF +
                                       (i % ARMVMI_CHAN_ASYNC) * ARMVMI_CHAN_ASYNC_STRIDE);
}

#endif
