/* SPDX-License-Identifier: MIT */
/* test_events.c — the events layer against a fake hypervisor thread speaking abi.h's channel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <armvmi/abi.h>
#include <armvmi/events.h>

#include "drivers/qemu_rundir.h"

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

static struct fake {
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
    /* register and call traps (REG_TRAP, CALL_TRAP) as the monitor set them */
    uint64_t regt[ARMVMI_SYSREG_COUNT], regt_flags[ARMVMI_SYSREG_COUNT], callt;
} F;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct armvmi_abi_slot *slot(unsigned v)
{
    return (struct armvmi_abi_slot *)(F.base + ARMVMI_CHAN_SLOTS_OFF + v * ARMVMI_CHAN_SLOT_STRIDE);
}

static struct armvmi_abi_event *async_entry(uint64_t i)
{
    return (struct armvmi_abi_event *)(F.base + ARMVMI_CHAN_ASYNC_OFF +
                                       (i % ARMVMI_CHAN_ASYNC) * ARMVMI_CHAN_ASYNC_STRIDE);
}

static uint64_t next_seq(void)
{
    uint64_t s = F.chan->seq + 1;
    if (F.skip_seq_once) {
        F.skip_seq_once = false;
        s++;
    } else if (F.dup_seq_once) {
        F.dup_seq_once = false;
        s--;
    }
    ST(&F.chan->seq, s > F.chan->seq ? s : F.chan->seq);
    return s;
}

static void ring(void)
{
    if (F.csock >= 0 && (LD(&F.chan->mon_flags) & ARMVMI_MON_F_SLEEPING)) {
        F.rings++;
        ssize_t r = write(F.csock, "!", 1);
        (void)r;
    }
}

static void fill_event(struct armvmi_abi_event *e, unsigned v, const struct access *a, uint32_t pa)
{
    memset(e, 0, sizeof(*e));
    e->seq = next_seq();
    e->time = 1000 + e->seq;
    e->vcpu = v;
    e->type = ARMVMI_EV_MEM;
    e->gpa = a->gpa;
    e->gva = a->gva;
    e->access = a->acc;
    e->flags = ARMVMI_EVF_GVA | a->flags;
    if (a->size) {
        e->flags |= ARMVMI_EVF_SYNDROME;
        e->size = a->size;
        e->reg = 3;
        if (a->acc == ARMVMI_ACC_W)
            e->flags |= ARMVMI_EVF_VALUE;
        e->value = a->value;
    }
    e->page_access = pa;
    for (int i = 0; i < 31; i++)
        e->regs.x[i] = 0x100 + i;
    e->regs.pc = 0x400000 + 4 * e->seq;
    e->regs.pstate = 0; /* EL0t */
    e->regs.sp_el0 = 0x7fff0000;
}

/* A vCPU performs its next access; true if it did anything. */
static bool run_vcpu(unsigned v)
{
    if (F.waiting[v] || F.pos[v] >= F.nscript[v])
        return false;
    const struct access *a = &F.script[v][F.pos[v]];
    uint64_t gfn = (a->gpa - RAM_BASE) >> 12;
    unsigned allowed = F.store[gfn];
    if (!LD(&F.chan->attached) || allowed == ARMVMI_ACC_RWX) {
        F.pos[v]++, F.silent++;
        return true;
    }
    if (allowed == ARMVMI_ACC_N2RWX) { /* first access: rwx, and an async event */
        F.store[gfn] = ARMVMI_ACC_RWX;
        uint64_t head = F.chan->async_head;
        if (head - LD(&F.chan->async_tail) >= ARMVMI_CHAN_ASYNC) {
            ST(&F.chan->async_dropped, F.chan->async_dropped + 1);
        } else {
            struct access aa = *a;
            aa.flags |= ARMVMI_EVF_ASYNC;
            fill_event(async_entry(head), v, &aa, ARMVMI_ACC_N2RWX);
            ST(&F.chan->async_head, head + 1);
            ring();
        }
        F.pos[v]++;
        return true;
    }
    if (allowed == ARMVMI_ACC_RX2RW) { /* rx; a write makes it rw, with no event */
        if (a->acc == ARMVMI_ACC_W)
            F.store[gfn] = ARMVMI_ACC_R | ARMVMI_ACC_W;
        F.pos[v]++, F.silent++;
        return true;
    }
    if (allowed & a->acc) {
        F.pos[v]++, F.silent++;
        return true;
    }
    struct armvmi_abi_slot *s = slot(v);
    fill_event(&s->ev, v, a, allowed);
    ST(&s->state, (uint32_t)ARMVMI_SLOT_POSTED);
    F.waiting[v] = true;
    ring();
    return true;
}

static void take_response(unsigned v)
{
    struct armvmi_abi_slot *s = slot(v);
    if (LD(&s->state) != ARMVMI_SLOT_ANSWERED)
        return;
    struct armvmi_abi_response r;
    memcpy(&r, &s->rsp, sizeof(r)); /* copied once */
    if (r.seq != s->ev.seq)
        F.bad_rsp++;
    if (F.nlog < MAX_LOG) {
        F.log[F.nlog] = r;
        F.logev[F.nlog++] = s->ev;
    }
    uint64_t gfn = (s->ev.gpa - RAM_BASE) >> 12;
    if ((r.flags & ARMVMI_RSPF_SET_ACCESS) && r.new_access <= ARMVMI_ACC_N2RWX)
        F.store[gfn] = (uint8_t)r.new_access;
    /* CONTINUE retries the access; the others complete it */
    if (r.action != ARMVMI_RSP_CONTINUE)
        F.pos[v]++;
    F.waiting[v] = false;
    ST(&s->state, (uint32_t)ARMVMI_SLOT_FREE);
}

static void detach_all(void)
{
    memset(F.store, ARMVMI_ACC_RWX, sizeof(F.store));
    for (unsigned v = 0; v < NCPUS; v++)
        if (F.waiting[v]) {
            F.waiting[v] = false; /* CONTINUE: the access now succeeds */
            ST(&slot(v)->state, (uint32_t)ARMVMI_SLOT_FREE);
        }
    ST(&F.chan->attached, 0u);
}

static void run_commands(void)
{
    while (!F.no_commands && F.chan->cmd_done < LD(&F.chan->cmd_head)) {
        struct armvmi_abi_cmd *c = (struct armvmi_abi_cmd *)(F.base + ARMVMI_CHAN_CMDS_OFF) +
                                   (F.chan->cmd_done % ARMVMI_CHAN_CMD_RING);
        struct armvmi_abi_cmd k;
        memcpy(&k, c, sizeof(k));
        uint32_t st = ARMVMI_CMDS_OK;
        F.cmds++;
        switch (k.op) {
        case ARMVMI_CMD_ATTACH:
            if (F.chan->attached) {
                st = ARMVMI_CMDS_ESTATE;
                break;
            }
            ST(&F.chan->session, F.chan->session + 1);
            if (!F.orphaned)
                ST(&F.chan->seq, 0ull);
            F.orphaned = false;
            ST(&F.chan->attached, 1u);
            F.last_hb = LD(&F.chan->mon_heartbeat);
            F.last_hb_ms = now_ms();
            break;
        case ARMVMI_CMD_DETACH:
            if (!F.chan->attached)
                st = ARMVMI_CMDS_ESTATE;
            else
                detach_all();
            break;
        case ARMVMI_CMD_SET_ACCESS: {
            uint64_t first = (RAM_BASE >> 12), carve_end = (RAM_BASE + CARVE_SIZE) >> 12;
            if (!F.chan->attached)
                st = ARMVMI_CMDS_ESTATE;
            else if (k.arg[2] > ARMVMI_ACC_N2RWX)
                st = ARMVMI_CMDS_EINVAL;
            else if (k.arg[0] < carve_end || k.arg[1] > NFRAMES ||
                     k.arg[0] + k.arg[1] > first + NFRAMES)
                st = ARMVMI_CMDS_ERANGE;
            else
                memset(&F.store[k.arg[0] - first], (int)k.arg[2], k.arg[1]);
            break;
        }
        case ARMVMI_CMD_GET_ACCESS:
            c->result[0] = F.store[k.arg[0] - (RAM_BASE >> 12)];
            break;
        case ARMVMI_CMD_STEP: /* single-step and breakpoints: recorded for the test */
        case ARMVMI_CMD_BREAK_SET:
        case ARMVMI_CMD_BREAK_CLEAR:
            if (F.nsb < 16)
                F.sb[F.nsb++] = k;
            c->result[0] = k.op == ARMVMI_CMD_BREAK_SET ? 40 + F.nsb : 0;
            break;
        case ARMVMI_CMD_REG_TRAP:
            if (k.arg[0] >= ARMVMI_SYSREG_COUNT || (k.arg[2] & ~(uint64_t)ARMVMI_REGT_ALL))
                st = ARMVMI_CMDS_EINVAL;
            else if (k.arg[0] == ARMVMI_SYSREG_VBAR_EL1 && k.arg[1])
                st = ARMVMI_CMDS_ENOTSUP; /* as QEMU 7.2: no FEAT_FGT */
            else
                F.regt[k.arg[0]] = k.arg[1], F.regt_flags[k.arg[0]] = k.arg[2];
            break;
        case ARMVMI_CMD_CALL_TRAP:
            if (k.arg[0] & ~(uint64_t)(ARMVMI_CALLT_SMC | ARMVMI_CALLT_HVC))
                st = ARMVMI_CMDS_EINVAL;
            else
                F.callt = k.arg[0];
            break;
        default:
            st = ARMVMI_CMDS_EINVAL;
        }
        ST(&c->status, st);
        ST(&F.chan->cmd_done, F.chan->cmd_done + 1);
    }
}

static void check_monitor(void)
{
    if (!F.check_hb || !F.chan->attached)
        return;
    uint64_t hb = LD(&F.chan->mon_heartbeat);
    if (hb != F.last_hb) {
        F.last_hb = hb;
        F.last_hb_ms = now_ms();
    } else if (now_ms() - F.last_hb_ms > LD(&F.chan->mon_timeout_ms)) {
        ST(&F.chan->mon_timeouts, F.chan->mon_timeouts + 1);
        if (LD(&F.chan->mon_flags) & ARMVMI_MON_F_FAIL_CLOSED) {
            ST(&F.chan->attached, 0u); /* waiting vCPUs and restrictions stay */
            F.orphaned = true;         /* and the next session goes on with the numbers */
        } else
            detach_all(); /* fail-open */
    }
}

static void doorbell_io(void)
{
    if (F.lsock < 0)
        return;
    if (F.csock < 0) {
        F.csock = accept4(F.lsock, NULL, NULL, SOCK_NONBLOCK);
        return;
    }
    char b[64];
    ssize_t r = read(F.csock, b, sizeof(b));
    if (r > 0)
        F.knocks += (unsigned)r;
}

static void *fake_main(void *arg)
{
    while (!F.stop) {
        pthread_mutex_lock(&F.lock);
        doorbell_io();
        run_commands();
        check_monitor();
        for (unsigned v = 0; v < NCPUS; v++) {
            take_response(v);
            run_vcpu(v);
        }
        pthread_mutex_unlock(&F.lock);
        usleep(20);
    }
    return NULL;
}

static void add_access(unsigned v, uint64_t gpa, uint32_t acc, uint32_t size, uint64_t value)
{
    pthread_mutex_lock(&F.lock);
    F.script[v][F.nscript[v]++] = (struct access){
        .gpa = gpa, .gva = 0x400000 + (gpa & 0xfff), .acc = acc, .size = size, .value = value};
    pthread_mutex_unlock(&F.lock);
}

static bool vcpus_done(void)
{
    pthread_mutex_lock(&F.lock);
    bool done = true;
    for (unsigned v = 0; v < NCPUS; v++)
        done &= F.pos[v] == F.nscript[v] && !F.waiting[v];
    pthread_mutex_unlock(&F.lock);
    return done;
}

/* Make a run directory for a fake --hyp VM (this process plays QEMU), with a doorbell socket
 * if asked; the fake hypervisor sets up its channel header. */
static void fake_setup(bool doorbell, bool start)
{
    memset(&F, 0, sizeof(F));
    F.lsock = F.csock = -1;
    pthread_mutex_init(&F.lock, NULL);
    snprintf(F.dir, sizeof(F.dir), "/tmp/armvmi-evtest.XXXXXX");
    assert_non_null(mkdtemp(F.dir));
    struct rundir_vm vm = {.pid = getpid(),
                           .ram_base = RAM_BASE,
                           .ram_size = RAM_SIZE,
                           .smp = NCPUS,
                           .carve_base = RAM_BASE,
                           .carve_size = CARVE_SIZE};
    assert_int_equal(rundir_write_vm(F.dir, &vm, NULL), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/ram", F.dir);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, RAM_SIZE), 0);
    close(fd);
    assert_int_equal(armvmi_open(&F.h, F.dir), 0);
    F.base = armvmi_map_pa(F.h, ARMVMI_CHAN_ADDR, ARMVMI_CHAN_SIZE);
    assert_non_null(F.base);
    F.chan = (struct armvmi_abi_chan *)F.base;
    memset(F.store, ARMVMI_ACC_RWX, sizeof(F.store));
    F.chan->version = ARMVMI_ABI_VERSION;
    F.chan->ncpus = NCPUS;
    F.chan->cntfrq = 62500000;
    if (doorbell) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s/doorbell.sock", F.dir);
        F.lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_int_equal(bind(F.lsock, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(F.lsock, 1), 0);
        F.chan->hyp_flags = ARMVMI_CHAN_F_DOORBELL;
    }
    ST(&F.chan->magic, ARMVMI_CHAN_MAGIC);
    if (start)
        assert_int_equal(pthread_create(&F.thr, NULL, fake_main, NULL), 0);
}

static void fake_teardown(void)
{
    if (F.thr) {
        F.stop = 1;
        pthread_join(F.thr, NULL);
    }
    if (F.csock >= 0)
        close(F.csock);
    if (F.lsock >= 0)
        close(F.lsock);
    armvmi_close(F.h);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
    assert_int_equal(system(cmd), 0);
}

static armvmi_events_t *attach(armvmi_t **h, const struct armvmi_events_options *o)
{
    armvmi_events_t *ev = NULL;
    assert_int_equal(armvmi_open(h, F.dir), 0);
    int rc = armvmi_events_attach(*h, o, &ev);
    if (rc)
        fail_msg("attach: %s", armvmi_errmsg());
    return ev;
}

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

static int record(armvmi_events_t *ev, const struct armvmi_mem_event *e,
                  struct armvmi_mem_response *rsp, void *arg)
{
    struct seen *s = arg;
    if (s->n < MAX_SEEN)
        s->e[s->n] = *e;
    s->n++;
    rsp->action = s->action;
    rsp->value = s->value;
    if (s->set_reg >= 0)
        armvmi_reg_set(&rsp->regs, s->set_reg, 0xabcdef);
    rsp->set_access = s->set_access;
    rsp->new_access = s->new_access;
    if (s->sleep_ms)
        usleep(s->sleep_ms * 1000);
    return s->stop_after && s->n >= s->stop_after;
}

static void seen_init(struct seen *s, enum armvmi_mem_action a)
{
    memset(s, 0, sizeof(*s));
    s->action = a;
    s->set_reg = -1;
}

/* The usual start: a fake VM, a session, and a registration on PAGE_A for trap (STEP). */
static armvmi_events_t *start(armvmi_t **h, struct seen *s, unsigned trap)
{
    fake_setup(false, true);
    armvmi_events_t *ev = attach(h, NULL);
    seen_init(s, ARMVMI_MEM_STEP);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, trap, record, s, NULL), 0);
    return ev;
}

/* The usual end: the session closes cleanly, then the VM and the fake go. */
static void finish(armvmi_events_t *ev, armvmi_t *h)
{
    assert_int_equal(armvmi_events_close(ev), 0);
    armvmi_close(h);
    fake_teardown();
}

/* Listen until the fake vCPUs have run their scripts. */
static void listen_until_done(armvmi_events_t *ev)
{
    long long t0 = now_ms();
    while (!vcpus_done()) {
        int rc = armvmi_events_listen(ev, 20);
        if (rc < 0)
            fail_msg("listen: %s", armvmi_errmsg());
        if (now_ms() - t0 > 10000)
            fail_msg("the fake vCPUs did not finish");
    }
}

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

/* n2rwx frames: the async ring delivers each first access once, and the tail follows. */
static void async_ring(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    static struct seen s;
    seen_init(&s, ARMVMI_MEM_STEP);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 64 * 4096,
                                         ARMVMI_MEM_R | ARMVMI_MEM_W | ARMVMI_MEM_X, record, &s,
                                         NULL),
                     0);
    pthread_mutex_lock(&F.lock); /* the monitor made them n2rwx (not in this API yet) */
    memset(&F.store[(PAGE_A - RAM_BASE) >> 12], ARMVMI_ACC_N2RWX, 64);
    pthread_mutex_unlock(&F.lock);
    for (unsigned i = 0; i < 64; i++) {
        add_access(1, PAGE_A + 4096 * i, ARMVMI_ACC_R, 8, 0);
        add_access(1, PAGE_A + 4096 * i, ARMVMI_ACC_W, 8, 0); /* rwx by then: silent */
    }
    listen_until_done(ev);
    unsigned before = s.n;
    assert_int_equal(armvmi_events_listen(ev, 50), (int)(64 - before));
    assert_int_equal(s.n, 64);
    for (unsigned i = 0; i < 64; i++) {
        assert_true(s.e[i].flags & ARMVMI_MEMF_ASYNC);
        assert_int_equal(s.e[i].gpa, PAGE_A + 4096 * i);
        assert_int_equal(s.e[i].seq, i + 1);
    }
    assert_int_equal(LD(&F.chan->async_tail), 64);
    assert_int_equal(F.nlog, 0); /* no responses to async events */
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.async_events, 64);
    assert_int_equal(st.seq_gaps, 0);
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

/* Conversion watches: n2rwx gives one asynchronous event per frame (any access), then none,
 * and leaves the frame rwx; rx2rw gives none and a write leaves the frame rw. Responses to async
 * events are not sent; conversions share no frames; unwatch and watch again re-arm. */
static void conversion_watches(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    static struct seen s, s2;
    seen_init(&s, ARMVMI_MEM_SKIP); /* must be ignored: the vCPU did not wait */
    seen_init(&s2, ARMVMI_MEM_SKIP);
    const uint64_t ga = (PAGE_A - RAM_BASE) >> 12, gb = (PAGE_B - RAM_BASE) >> 12;
    int idn, idr;
    unsigned acc;
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_N2RWX, record, &s, &idn), 0);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_B, 4096, ARMVMI_MEM_RX2RW, record, &s2, &idr), 0);
    assert_int_equal(F.store[ga], ARMVMI_ACC_N2RWX);
    assert_int_equal(F.store[gb], ARMVMI_ACC_RX2RW);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_A >> 12, &acc), 0);
    assert_int_equal(acc, ARMVMI_MEM_N2RWX);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_B >> 12, &acc), 0);
    assert_int_equal(acc, ARMVMI_MEM_RX2RW);
    /* refused: another registration on a conversion's frame, a conversion over a watched one,
     * conversions mixed with r/w/x or with each other */
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A + 8, 8, ARMVMI_MEM_W, record, &s, NULL),
                     -ARMVMI_EINVAL);
    assert_non_null(strstr(armvmi_errmsg(), "cannot share frames"));
    assert_int_equal(
        armvmi_mem_watch_pa(ev, PAGE_A - 4096, 3 * 4096, ARMVMI_MEM_N2RWX, record, &s, NULL),
        -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_B + 4096, 4096, ARMVMI_MEM_N2RWX | ARMVMI_MEM_W,
                                         record, &s, NULL),
                     -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_B + 4096, 4096,
                                         ARMVMI_MEM_N2RWX | ARMVMI_MEM_RX2RW, record, &s, NULL),
                     -ARMVMI_EINVAL);
    assert_int_equal(F.store[ga - 1], ARMVMI_ACC_RWX);
    assert_int_equal(F.store[gb + 1], ARMVMI_ACC_RWX);
    /* vCPU 0 on A: a write first, then every kind; vCPU 1 on B: read, execute, writes */
    add_access(0, PAGE_A + 8, ARMVMI_ACC_W, 8, 7);
    add_access(0, PAGE_A, ARMVMI_ACC_R, 8, 0);
    add_access(0, PAGE_A, ARMVMI_ACC_X, 4, 0);
    add_access(0, PAGE_A + 16, ARMVMI_ACC_W, 8, 9);
    add_access(1, PAGE_B, ARMVMI_ACC_R, 8, 0);
    add_access(1, PAGE_B, ARMVMI_ACC_X, 4, 0);
    add_access(1, PAGE_B, ARMVMI_ACC_W, 8, 1);
    add_access(1, PAGE_B, ARMVMI_ACC_W, 8, 2);
    add_access(1, PAGE_B, ARMVMI_ACC_R, 8, 0);
    listen_until_done(ev);
    for (int k = 0; k < 100 && s.n < 1 && LD(&F.chan->async_tail) < 1; k++)
        assert_true(armvmi_events_listen(ev, 50) >= 0);
    assert_int_equal(armvmi_events_listen(ev, 50), 0); /* and nothing more */
    assert_int_equal(s.n, 1);
    assert_true(s.e[0].flags & ARMVMI_MEMF_ASYNC);
    assert_int_equal(s.e[0].access, ARMVMI_MEM_W);
    assert_int_equal(s.e[0].gpa, PAGE_A + 8);
    assert_int_equal(s.e[0].value, 7);
    assert_int_equal(s.e[0].seq, 1);
    assert_int_equal(s2.n, 0);
    assert_int_equal(F.nlog, 0); /* no response to an async event, none for rx2rw */
    assert_int_equal(F.store[ga], ARMVMI_ACC_RWX);
    assert_int_equal(F.store[gb], ARMVMI_ACC_R | ARMVMI_ACC_W);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_A >> 12, &acc), 0);
    assert_int_equal(acc, ARMVMI_MEM_R | ARMVMI_MEM_W | ARMVMI_MEM_X);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_B >> 12, &acc), 0);
    assert_int_equal(acc, ARMVMI_MEM_R | ARMVMI_MEM_W);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.events, 1);
    assert_int_equal(st.async_events, 1);
    assert_int_equal(st.unclaimed + st.seq_gaps + st.seq_dups + st.bad_events, 0);
    /* removed: the frames are unrestricted; watched again: armed again */
    assert_int_equal(armvmi_mem_unwatch(ev, idn), 0);
    assert_int_equal(armvmi_mem_unwatch(ev, idr), 0);
    assert_int_equal(F.store[ga], ARMVMI_ACC_RWX);
    assert_int_equal(F.store[gb], ARMVMI_ACC_RWX);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_N2RWX, record, &s, &idn), 0);
    add_access(1, PAGE_A, ARMVMI_ACC_X, 4, 0);
    listen_until_done(ev);
    for (int k = 0; k < 100 && s.n < 2 && LD(&F.chan->async_tail) < 2; k++)
        assert_true(armvmi_events_listen(ev, 50) >= 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.e[1].access, ARMVMI_MEM_X);
    assert_int_equal(s.e[1].seq, 2);
    /* bad arguments */
    assert_int_equal(armvmi_mem_get_access(ev, RAM_BASE >> 12, &acc), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_mem_get_access(ev, (RAM_BASE + RAM_SIZE) >> 12, &acc), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_A >> 12, NULL), -ARMVMI_EINVAL);
    finish(ev, h);
}

/* ---- single-step and breakpoints (cpu_stepbrk.c) ---- */

/* Post a step or breakpoint event in vCPU v's slot (u.raw[0..1] = a, b); wait for its answer. */
static struct armvmi_abi_response post_wait(armvmi_events_t *ev, unsigned v, uint32_t type,
                                            uint64_t gpa, uint64_t a, uint64_t b)
{
    pthread_mutex_lock(&F.lock);
    struct armvmi_abi_slot *s = slot(v);
    struct access acc = {.gpa = gpa, .gva = 0x400000, .acc = ARMVMI_ACC_X};
    fill_event(&s->ev, v, &acc, 0);
    s->ev.type = type;
    s->ev.flags = 0;
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
    assert_int_equal(st.bad_events, 1);

    assert_int_equal(armvmi_break_clear(ev, id), 0);
    assert_int_equal(armvmi_break_clear(ev, id), -ARMVMI_ENOENT);
    pthread_mutex_lock(&F.lock);
    assert_int_equal(F.sb[2].op, ARMVMI_CMD_BREAK_CLEAR);
    assert_int_equal(F.sb[2].arg[0], 42);
    pthread_mutex_unlock(&F.lock);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_under_hyp),
        cmocka_unit_test(bad_channel_header),
        cmocka_unit_test(hyp_not_answering),
        cmocka_unit_test(write_events_in_order),
        cmocka_unit_test(responses_written),
        cmocka_unit_test(two_vcpus_two_watches),
        cmocka_unit_test(async_ring),
        cmocka_unit_test(clear_in_flight),
        cmocka_unit_test(seq_gaps_and_dups),
        cmocka_unit_test(hostile_channel),
        cmocka_unit_test(bad_watches),
        cmocka_unit_test(heartbeat_and_one_monitor),
        cmocka_unit_test(doorbell_mode),
        cmocka_unit_test(watch_virtual_range),
        cmocka_unit_test(fail_closed_leftovers),
        cmocka_unit_test(unclaimed_restriction),
        cmocka_unit_test(conversion_watches),
        cmocka_unit_test(step_and_break),
        cmocka_unit_test(regcall_events),
        cmocka_unit_test(regcall_step_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
