/* SPDX-License-Identifier: MIT */
/* fakehyp.c — a fake hypervisor thread playing abi.h's channel for the events unit tests. */
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
#include "fakehyp.h"

struct fake F;

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct armvmi_abi_slot *slot(unsigned v)
{
    return (struct armvmi_abi_slot *)(F.base + ARMVMI_CHAN_SLOTS_OFF + v * ARMVMI_CHAN_SLOT_STRIDE);
}

struct armvmi_abi_event *async_entry(uint64_t i)
{
    return (struct armvmi_abi_event *)(F.base + ARMVMI_CHAN_ASYNC_OFF +
                                       (i % ARMVMI_CHAN_ASYNC) * ARMVMI_CHAN_ASYNC_STRIDE);
}

uint64_t next_seq(void)
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

void ring(void)
{
    if (F.csock >= 0 && (LD(&F.chan->mon_flags) & ARMVMI_MON_F_SLEEPING)) {
        F.rings++;
        ssize_t r = write(F.csock, "!", 1);
        (void)r;
    }
}

void fill_event(struct armvmi_abi_event *e, unsigned v, const struct access *a, uint32_t pa)
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
bool run_vcpu(unsigned v)
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

/* The boot hold ends (abi.h ARMVMI_CMD_RELEASE): 1 if it was on. */
static uint64_t hold_end(void)
{
    if (!(F.chan->hyp_flags & ARMVMI_CHAN_F_HELD))
        return 0;
    F.callt_at_release = F.callt;
    ST(&F.chan->hyp_flags, F.chan->hyp_flags & ~ARMVMI_CHAN_F_HELD);
    return 1;
}

static void detach_all(void)
{
    if (hold_end())
        F.released_by_detach = true;
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
            if (F.sb_fail) {
                st = F.sb_fail;
                break;
            }
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
        case ARMVMI_CMD_RELEASE:
            if (!F.chan->attached) {
                st = ARMVMI_CMDS_ESTATE;
                break;
            }
            F.releases++;
            c->result[0] = hold_end();
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

void add_access(unsigned v, uint64_t gpa, uint32_t acc, uint32_t size, uint64_t value)
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
void fake_setup(bool doorbell, bool start)
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

void fake_teardown(void)
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

armvmi_events_t *attach(armvmi_t **h, const struct armvmi_events_options *o)
{
    armvmi_events_t *ev = NULL;
    assert_int_equal(armvmi_open(h, F.dir), 0);
    int rc = armvmi_events_attach(*h, o, &ev);
    if (rc)
        fail_msg("attach: %s", armvmi_errmsg());
    return ev;
}
int record(armvmi_events_t *ev, const struct armvmi_mem_event *e, struct armvmi_mem_response *rsp,
           void *arg)
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

void seen_init(struct seen *s, enum armvmi_mem_action a)
{
    memset(s, 0, sizeof(*s));
    s->action = a;
    s->set_reg = -1;
}

/* The usual start: a fake VM, a session, and a registration on PAGE_A for trap (STEP). */
armvmi_events_t *start(armvmi_t **h, struct seen *s, unsigned trap)
{
    fake_setup(false, true);
    armvmi_events_t *ev = attach(h, NULL);
    seen_init(s, ARMVMI_MEM_STEP);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, trap, record, s, NULL), 0);
    return ev;
}

/* The usual end: the session closes cleanly, then the VM and the fake go. */
void finish(armvmi_events_t *ev, armvmi_t *h)
{
    assert_int_equal(armvmi_events_close(ev), 0);
    armvmi_close(h);
    fake_teardown();
}

/* Listen until the fake vCPUs have run their scripts. */
void listen_until_done(armvmi_events_t *ev)
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
