/* SPDX-License-Identifier: MIT */
/* fakehyp.h — the fake hypervisor (fakehyp.c) and the helpers the events unit tests share. */
#ifndef ARMVMI_TEST_FAKEHYP_H
#define ARMVMI_TEST_FAKEHYP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <armvmi/abi.h>
#include <armvmi/events.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64ull << 20)
#define NFRAMES (RAM_SIZE >> 12)
#define CARVE_SIZE ARMVMI_CARVE_SIZE(RAM_SIZE)
#define PAGE_A (RAM_BASE + CARVE_SIZE + 0x10000) /* a guest page */
#define PAGE_B (PAGE_A + 0x1000)
#define NCPUS 2

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* ---- the fake hypervisor ---- */

/* One guest access a fake vCPU performs. */
struct access {
    uint64_t gpa, gva, value;
    uint32_t acc, size, flags; /* flags: extra ARMVMI_EVF_* (SYNDROME/VALUE set by the fake) */
};

#define MAX_SCRIPT 4096
#define MAX_LOG 8192

struct fake {
    char dir[256];
    armvmi_t *h; /* the fake's own handle on the same VM */
    uint8_t *base;
    struct armvmi_abi_chan *chan;
    pthread_t thr;
    volatile int stop;
    pthread_mutex_t lock;
    uint8_t store[NFRAMES];
    /* per vCPU: the accesses it will perform, and where it is */
    struct access script[NCPUS][MAX_SCRIPT];
    unsigned nscript[NCPUS], pos[NCPUS];
    bool waiting[NCPUS]; /* its slot holds an event */
    unsigned silent;     /* accesses the store allowed */
    /* responses, in the order they came */
    struct armvmi_abi_response log[MAX_LOG];
    struct armvmi_abi_event logev[MAX_LOG];
    unsigned nlog;
    unsigned bad_rsp; /* responses whose seq did not match */
    unsigned cmds;
    /* monitor liveness */
    uint64_t last_hb;
    long long last_hb_ms;
    bool check_hb;
    /* doorbell */
    int lsock, csock;
    unsigned rings, knocks;
    /* hostile knobs */
    bool skip_seq_once;           /* number the next event one too far */
    bool dup_seq_once;            /* give the next event the previous number */
    bool no_commands;             /* never execute commands */
    bool orphaned;                /* a fail-closed monitor was declared gone */
    struct armvmi_abi_cmd sb[16]; /* STEP / BREAK_* commands received */
    unsigned nsb;
    uint32_t sb_fail; /* nonzero: STEP / BREAK_* commands answer this status, not recorded */
    /* register and call traps (REG_TRAP, CALL_TRAP) as the monitor set them */
    uint64_t regt[ARMVMI_SYSREG_COUNT], regt_flags[ARMVMI_SYSREG_COUNT], callt;
    /* the boot hold (ARMVMI_CHAN_F_HELD, set by a test): RELEASE commands received, and the
     * call traps that were set when the hold ended (by RELEASE or DETACH) */
    unsigned releases;
    uint64_t callt_at_release;
    bool released_by_detach;
};

/* The one fake hypervisor (fakehyp.c); tests read and set its fields. */
extern struct fake F;

/* CLOCK_MONOTONIC in milliseconds. */
long long now_ms(void);

/* vCPU v's slot in the channel. */
struct armvmi_abi_slot *slot(unsigned v);

/* Entry i of the async ring. */
struct armvmi_abi_event *async_entry(uint64_t i);

/* The next event sequence number, bent by the skip_seq_once / dup_seq_once knobs. */
uint64_t next_seq(void);

/* Knock on the doorbell socket if the monitor sleeps on it. */
void ring(void);

/* Fill *e as the hypervisor would for vCPU v's access a (pa: the access the store allowed). */
void fill_event(struct armvmi_abi_event *e, unsigned v, const struct access *a, uint32_t pa);

/* A vCPU performs its next access; true if it did anything. */
bool run_vcpu(unsigned v);

/* Append an access of size bytes at gpa (acc: ARMVMI_ACC_*) to vCPU v's script. */
void add_access(unsigned v, uint64_t gpa, uint32_t acc, uint32_t size, uint64_t value);

/* Make a run directory for a fake --hyp VM (this process plays QEMU), with a doorbell socket
 * if asked; the fake hypervisor sets up its channel header. */
void fake_setup(bool doorbell, bool start);

/* Stop the fake thread, close its sockets and handle, remove the run directory. */
void fake_teardown(void);

/* Open the fake VM into *h and attach an events session (o may be NULL). */
armvmi_events_t *attach(armvmi_t **h, const struct armvmi_events_options *o);

/* ---- callbacks ---- */

#define MAX_SEEN 1200

struct seen {
    unsigned n;
    struct armvmi_mem_event e[MAX_SEEN];
    /* what to answer */
    enum armvmi_mem_action action;
    uint64_t value;
    int set_reg; /* -1: none */
    bool set_access;
    unsigned new_access;
    unsigned sleep_ms;
    unsigned stop_after;
};

/* A memory-event callback (arg: struct seen) that records the event and answers as told. */
int record(armvmi_events_t *ev, const struct armvmi_mem_event *e, struct armvmi_mem_response *rsp,
           void *arg);

/* Empty *s, to answer every event with action a. */
void seen_init(struct seen *s, enum armvmi_mem_action a);

/* The usual start: a fake VM, a session, and a registration on PAGE_A for trap (STEP). */
armvmi_events_t *start(armvmi_t **h, struct seen *s, unsigned trap);

/* The usual end: the session closes cleanly, then the VM and the fake go. */
void finish(armvmi_events_t *ev, armvmi_t *h);

/* Listen until the fake vCPUs have run their scripts. */
void listen_until_done(armvmi_events_t *ev);

#endif
