/* SPDX-License-Identifier: MIT */
/* The monitor channel of include/armvmi/abi.h: set-up, commands, the monitor's liveness,
 * asynchronous events, the periodic tick, and the holds that keep vCPUs in the hypervisor. */
#include <hyp/arch.h>
#include <hyp/boot.h>
#include <hyp/brkevent.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/doorbell.h>
#include <hyp/events.h>
#include <hyp/gicv3.h>
#include <hyp/permstore.h>
#include <hyp/regcall.h>
#include <hyp/spinlock.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>
#include <hyp/vgic.h>

#define TICK_US 1000            /* the periodic wake-up: commands reach a running vCPU in 1 ms */
#define SET_ACCESS_CHUNK 2048   /* frames per step of a long SET_ACCESS (8 MiB) */
#define DEFAULT_TIMEOUT_MS 2000 /* abi.h: mon_timeout_ms 0 means 2000 */
#define MAX_TIMEOUT_MS 3600000u
#define BUSY_SPINS 256
#define CNT_CTL_ISTATUS 0x4u /* CNTHP_CTL_EL2.ISTATUS: the timer condition is met */
#define ERROR_REPORTS 64     /* console reports of rejected monitor input */

volatile u32 ev_state;
volatile u64 ev_detach_gen;

static spinlock_t ev_lock;    /* commands, attach/detach, liveness */
static spinlock_t async_lock; /* the async ring and its sequence numbers */
static u64 ev_seq;
static u64 cmd_done, bad_head;
static u32 mon_flags; /* copied at ATTACH */
static u64 timeout_ticks, hb_last, hb_time;
static volatile u64 pause_mask;
static volatile int step_owner = -1;
static volatile u32 running[ARMVMI_MAX_VCPUS]; /* the vCPU is in the guest or about to be */
static bool timer_on[ARMVMI_MAX_VCPUS];
static u64 async_head;
static u32 error_reports;
static volatile u32 boot_held; /* vCPU 0 waits before the guest kernel (ARMVMI_BOOT_HOLD) */
/* a SET_ACCESS in progress (the command at cmd_done) */
static bool sa_active;
static u64 sa_start, sa_next, sa_end;
static unsigned sa_acc;

struct armvmi_abi_chan *events_chan(void)
{
    return (struct armvmi_abi_chan *)ARMVMI_CHAN_ADDR;
}

struct armvmi_abi_slot *events_slot(unsigned vcpu)
{
    return (struct armvmi_abi_slot *)(ARMVMI_CHAN_ADDR + ARMVMI_CHAN_SLOTS_OFF +
                                      (u64)vcpu * ARMVMI_CHAN_SLOT_STRIDE);
}

static struct armvmi_abi_cmd *cmd_entry(u64 i)
{
    return (struct armvmi_abi_cmd *)(ARMVMI_CHAN_ADDR + ARMVMI_CHAN_CMDS_OFF) +
           (i % ARMVMI_CHAN_CMD_RING);
}

void events_init(void)
{
    struct armvmi_abi_chan *c = events_chan();

    permstore_init();
    memset(c, 0, ARMVMI_CHAN_SIZE); /* the monitor's half too: no stale session survives boot */
    c->version = ARMVMI_ABI_VERSION;
    c->ncpus = bootinfo->ncpus;
    c->hyp_flags = doorbell_present() ? ARMVMI_CHAN_F_DOORBELL : 0;
    c->cntfrq = read_cntfrq_el0();
    __atomic_store_n(&c->magic, ARMVMI_CHAN_MAGIC, __ATOMIC_RELEASE);
    hyp_printf("events: monitor channel at 0x%lx (%s)\n", (u64)ARMVMI_CHAN_ADDR,
               c->hyp_flags & ARMVMI_CHAN_F_DOORBELL ? "doorbell"
                                                     : "no doorbell: the monitor polls");
}

/* Rejected monitor input: counted, the last one kept, reported on the console (capped). */
void events_error(u64 code, const char *what, u64 detail)
{
    struct armvmi_abi_chan *c = events_chan();

    __atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&c->last_error, code, __ATOMIC_RELAXED);
    if (__atomic_fetch_add(&error_reports, 1, __ATOMIC_RELAXED) < ERROR_REPORTS)
        hyp_printf("events: rejected monitor input: %s (0x%lx), error %lu\n", what, detail, code);
}

u64 events_next_seq(void)
{
    u64 s = __atomic_add_fetch(&ev_seq, 1, __ATOMIC_RELAXED), cur;
    struct armvmi_abi_chan *c = events_chan();

    cur = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
    while (cur < s && !__atomic_compare_exchange_n(&c->seq, &cur, s, false, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED))
        ;
    return s;
}

void events_notify(void)
{
    if (doorbell_present() &&
        (__atomic_load_n(&events_chan()->mon_flags, __ATOMIC_ACQUIRE) & ARMVMI_MON_F_SLEEPING))
        doorbell_ring();
}

/* abi.h: entry (async_head % ASYNC) is written, then async_head is incremented; a full ring
 * drops the event and counts it, and no sequence number is spent on it. */
void events_post_async(struct armvmi_abi_event *ev)
{
    struct armvmi_abi_chan *c = events_chan();
    u64 tail;

    spin_lock(&async_lock);
    tail = __atomic_load_n(&c->async_tail, __ATOMIC_ACQUIRE);
    if (tail > async_head) {
        spin_unlock(&async_lock);
        events_error(ARMVMI_ERR_ASYNC_TAIL, "async_tail ahead of async_head", tail);
        __atomic_add_fetch(&c->async_dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    if (async_head - tail >= ARMVMI_CHAN_ASYNC) {
        spin_unlock(&async_lock);
        __atomic_add_fetch(&c->async_dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    ev->seq = events_next_seq();
    memcpy((void *)(ARMVMI_CHAN_ADDR + ARMVMI_CHAN_ASYNC_OFF +
                    (async_head % ARMVMI_CHAN_ASYNC) * ARMVMI_CHAN_ASYNC_STRIDE),
           ev, sizeof(*ev));
    async_head++;
    __atomic_store_n(&c->async_head, async_head, __ATOMIC_RELEASE);
    spin_unlock(&async_lock);
    events_notify();
}

void events_kick_others(void)
{
    struct vcpu *self = vcpu_current();

    for (unsigned i = 0; i < bootinfo->ncpus; i++)
        if (&vcpus[i] != self && vcpus[i].power == VCPU_ON)
            vcpu_kick(&vcpus[i]);
}

static void timer_arm(void)
{
    if (!vgic_enabled)
        return; /* the GIC passed through: PPI 26 would reach the guest, no tick */
    write_cnthp_tval_el2(read_cntfrq_el0() / (1000000 / TICK_US));
    write_cnthp_ctl_el2(1); /* ENABLE, not masked */
    isb();
    timer_on[vcpu_current()->id] = true;
}

static void timer_off(void)
{
    write_cnthp_ctl_el2(0);
    isb();
    timer_on[vcpu_current()->id] = false;
}

/* The tick's interrupt: off until the next entry to the guest re-arms it, so that the guest
 * always gets a whole period to run however long the exit took (a loaded host must not
 * starve it with ticks). */
void events_tick(void)
{
    timer_off();
}

/* abi.h ARMVMI_BOOT_HOLD: vCPU 0 may enter the guest kernel; 1 if it was held. Once only. */
static u64 hold_end(const char *why)
{
    if (!__atomic_exchange_n(&boot_held, 0, __ATOMIC_SEQ_CST))
        return 0;
    __atomic_and_fetch(&events_chan()->hyp_flags, ~ARMVMI_CHAN_F_HELD, __ATOMIC_RELEASE);
    hyp_printf("events: vCPU 0 released (%s): the guest kernel starts\n", why);
    return 1;
}

/* End a session: every restriction removed (fail-open), waiting vCPUs continue. ev_lock held. */
static void session_end(const char *why)
{
    struct armvmi_abi_chan *c = events_chan();
    u64 n = permstore_reset(PERM_VIEW_ALL);

    pause_mask = 0;
    debug_reset();
    brk_reset();
    regcall_reset(); /* TVM off, calls unmonitored */
    __atomic_add_fetch(&ev_detach_gen, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&ev_state, EV_DETACHED, __ATOMIC_RELEASE);
    __atomic_store_n(&c->attached, 0, __ATOMIC_RELEASE);
    sa_active = false;
    hyp_printf("events: %s: %lu restricted frames released, monitor detached\n", why, n);
    hold_end(why);
    events_kick_others();
}

/* abi.h liveness: mon_heartbeat unchanged for mon_timeout_ms of our time -> the monitor is
 * gone. ev_lock held. */
static void check_liveness(void)
{
    struct armvmi_abi_chan *c = events_chan();
    u64 hb = __atomic_load_n(&c->mon_heartbeat, __ATOMIC_RELAXED), now = read_cntpct_el0();

    if (hb != hb_last) {
        hb_last = hb;
        hb_time = now;
        return;
    }
    if (now - hb_time < timeout_ticks)
        return;
    __atomic_add_fetch(&c->mon_timeouts, 1, __ATOMIC_RELAXED);
    if (mon_flags & ARMVMI_MON_F_FAIL_CLOSED) {
        __atomic_store_n(&ev_state, EV_ORPHANED, __ATOMIC_RELEASE);
        __atomic_store_n(&c->attached, 0, __ATOMIC_RELEASE);
        sa_active = false;
        hyp_printf("events: monitor gone (no heartbeat for %lu ms): fail-closed, waiting vCPUs "
                   "stay paused until a monitor attaches\n",
                   timeout_ticks * 1000 / read_cntfrq_el0());
    } else {
        session_end("monitor gone (no heartbeat): fail-open");
    }
}

static u32 cmd_attach(const struct armvmi_abi_cmd *k)
{
    struct armvmi_abi_chan *c = events_chan();
    u64 ms = k->arg[1] ? k->arg[1] : __atomic_load_n(&c->mon_timeout_ms, __ATOMIC_RELAXED);

    if (ev_state == EV_ATTACHED)
        return ARMVMI_CMDS_ESTATE;
    if (ms == 0)
        ms = DEFAULT_TIMEOUT_MS;
    if ((k->arg[0] &
         ~(u64)(ARMVMI_MON_F_FAIL_CLOSED | ARMVMI_MON_F_BUSY_POLL | ARMVMI_MON_F_SLEEPING)) ||
        ms < 10 || ms > MAX_TIMEOUT_MS) {
        events_error(ARMVMI_ERR_CMD_ARGS, "ATTACH flags or timeout", k->arg[0]);
        return ARMVMI_CMDS_EINVAL;
    }
    mon_flags = (u32)k->arg[0];
    timeout_ticks = ms * read_cntfrq_el0() / 1000;
    hb_last = __atomic_load_n(&c->mon_heartbeat, __ATOMIC_RELAXED);
    hb_time = read_cntpct_el0();
    /* A monitor re-attaching to a fail-closed session keeps its pending events' numbers. */
    if (ev_state == EV_DETACHED) {
        __atomic_store_n(&ev_seq, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&c->seq, 0, __ATOMIC_RELAXED);
    }
    __atomic_add_fetch(&c->session, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&c->attached, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&ev_state, EV_ATTACHED, __ATOMIC_RELEASE);
    hyp_printf("events: monitor attached (session %lu, flags 0x%x, timeout %lu ms)\n",
               (u64)c->session, mon_flags, ms);
    events_kick_others(); /* every CPU starts its tick */
    timer_arm();
    return ARMVMI_CMDS_OK;
}

static u32 vcpu_mask_check(u64 mask)
{
    if (!mask || (mask >> bootinfo->ncpus)) {
        events_error(ARMVMI_ERR_CMD_ARGS, "vCPU mask", mask);
        return ARMVMI_CMDS_EINVAL;
    }
    return ARMVMI_CMDS_OK;
}

/* Executes one command (or the next chunk of a SET_ACCESS); false while it is unfinished. */
static bool cmd_run(struct armvmi_abi_cmd *e, u32 *status, u64 *result)
{
    struct armvmi_abi_cmd k;

    memcpy(&k, (const void *)e, sizeof(k)); /* copied once, checked, then used */
    *status = ARMVMI_CMDS_OK;
    if (k.op != ARMVMI_CMD_ATTACH && ev_state != EV_ATTACHED) {
        *status = ARMVMI_CMDS_ESTATE;
        return true;
    }
    switch (k.op) {
    case ARMVMI_CMD_ATTACH:
        *status = cmd_attach(&k);
        return true;
    case ARMVMI_CMD_DETACH:
        session_end("DETACH");
        return true;
    case ARMVMI_CMD_SET_ACCESS:
        if (!sa_active) {
            if (!permstore_acc_valid(k.arg[2])) {
                events_error(ARMVMI_ERR_CMD_ARGS, "SET_ACCESS access value", k.arg[2]);
                *status = ARMVMI_CMDS_EINVAL;
                return true;
            }
            if (!permstore_range_ok(k.arg[0], k.arg[1])) {
                events_error(ARMVMI_ERR_CMD_RANGE, "SET_ACCESS frames", k.arg[0]);
                *status = ARMVMI_CMDS_ERANGE;
                return true;
            }
            if (k.arg[2] != ARMVMI_ACC_RWX && brk_frames_in(k.arg[0], k.arg[1])) {
                events_error(ARMVMI_ERR_CMD_ARGS, "SET_ACCESS on a breakpoint's frame", k.arg[0]);
                *status = ARMVMI_CMDS_EBUSY;
                return true;
            }
            sa_active = true;
            sa_start = sa_next = k.arg[0];
            sa_end = k.arg[0] + k.arg[1];
            sa_acc = (unsigned)k.arg[2];
        }
        /* later chunks use the copy taken at the start, whatever the entry says now */
        u64 did = permstore_set(PERM_VIEW_ALL, sa_next, sa_end - sa_next, sa_acc, SET_ACCESS_CHUNK);
        sa_next += did;
        result[0] = sa_next - sa_start; /* frames done so far */
        if (sa_next >= sa_end || !did) {
            sa_active = false;
            *status = did ? ARMVMI_CMDS_OK : ARMVMI_CMDS_ERANGE;
            return true;
        }
        return false;
    case ARMVMI_CMD_PAUSE:
        if ((*status = vcpu_mask_check(k.arg[0])) == ARMVMI_CMDS_OK) {
            __atomic_or_fetch(&pause_mask, k.arg[0], __ATOMIC_SEQ_CST);
            events_kick_others();
        }
        return true;
    case ARMVMI_CMD_RESUME:
        if ((*status = vcpu_mask_check(k.arg[0])) == ARMVMI_CMDS_OK) {
            __atomic_and_fetch(&pause_mask, ~k.arg[0], __ATOMIC_SEQ_CST);
            events_kick_others();
        }
        return true;
    case ARMVMI_CMD_REG_TRAP:
        *status = regevent_cmd(k.arg[0], k.arg[1], k.arg[2]);
        return true;
    case ARMVMI_CMD_CALL_TRAP:
        *status = callevent_cmd(k.arg[0]);
        return true;
    case ARMVMI_CMD_GET_ACCESS:
        if (!permstore_range_ok(k.arg[0], 1)) {
            events_error(ARMVMI_ERR_CMD_RANGE, "GET_ACCESS frame", k.arg[0]);
            *status = ARMVMI_CMDS_ERANGE;
            return true;
        }
        result[0] = permstore_get(PERM_VIEW_ALL, k.arg[0]);
        return true;
    case ARMVMI_CMD_STEP:
        if ((*status = debug_cmd_step(&k)) == ARMVMI_CMDS_OK)
            events_kick_others();
        return true;
    case ARMVMI_CMD_BREAK_SET:
        *status = brk_cmd_set(&k, result);
        return true;
    case ARMVMI_CMD_BREAK_CLEAR:
        *status = brk_cmd_clear(&k);
        return true;
    case ARMVMI_CMD_RELEASE:
        result[0] = hold_end("RELEASE from the monitor");
        return true;
    default:
        events_error(ARMVMI_ERR_CMD_OP, "unknown command", k.op);
        *status = ARMVMI_CMDS_EINVAL;
        return true;
    }
}

/* abi.h commands: executed in order; status (and result) written, then cmd_done incremented.
 * ev_lock held. At most a few per call, so no exit lasts long. */
static void run_commands(void)
{
    struct armvmi_abi_chan *c = events_chan();
    u64 head = __atomic_load_n(&c->cmd_head, __ATOMIC_ACQUIRE);

    if (head - cmd_done > ARMVMI_CHAN_CMD_RING) {
        if (head != bad_head)
            events_error(ARMVMI_ERR_CMD_HEAD, "cmd_head", head);
        bad_head = head;
        return;
    }
    for (unsigned n = 0; n < 8 && cmd_done != head; n++) {
        struct armvmi_abi_cmd *e = cmd_entry(cmd_done);
        u64 result[2] = {0, 0};
        u32 status;
        bool done = cmd_run(e, &status, result);

        e->result[0] = result[0];
        e->result[1] = result[1];
        if (!done)
            return;
        __atomic_store_n(&e->status, status, __ATOMIC_RELEASE);
        cmd_done++;
        __atomic_store_n(&c->cmd_done, cmd_done, __ATOMIC_RELEASE);
    }
}

/* Commands and liveness, from whichever CPU gets here first. */
static void events_poll(void)
{
    struct armvmi_abi_chan *c = events_chan();

    if (ev_state == EV_DETACHED && __atomic_load_n(&c->cmd_head, __ATOMIC_RELAXED) == cmd_done)
        return;
    if (!spin_trylock(&ev_lock))
        return;
    if (ev_state == EV_ATTACHED)
        check_liveness();
    run_commands();
    spin_unlock(&ev_lock);
}

void events_wait(struct trap_frame *f)
{
    struct vcpu *v = vcpu_current();

    if (ev_state == EV_ATTACHED && (mon_flags & ARMVMI_MON_F_BUSY_POLL)) {
        for (unsigned i = 0; i < BUSY_SPINS; i++)
            __asm__ volatile("yield" ::: "memory");
    } else if (!vgic_enabled) {
        for (unsigned i = 0; i < BUSY_SPINS; i++)
            __asm__ volatile("yield" ::: "memory");
    } else {
        if (!timer_on[v->id])
            timer_arm();
        wfi(); /* a pending interrupt ends WFI even with PSTATE.I set (Arm ARM D1.6.2) */
        vgic_handle_irq(f);
    }
    events_poll();
}

/*
 * abi.h ARMVMI_BOOT_HOLD, on the boot CPU with f ready for the kernel's first instruction: the
 * record shows that state, and vCPU 0 waits (running commands) until a monitor releases it or
 * no monitor has been attached for bootinfo->hold_s seconds. A fail-closed monitor declared
 * gone keeps it held: the clock runs again from then.
 */
void events_boot_hold(struct vcpu *v, struct trap_frame *f)
{
    u64 limit = bootinfo->hold_s * read_cntfrq_el0(), alone;

    if (!(bootinfo->flags & ARMVMI_BOOT_HOLD))
        return;
    __atomic_store_n(&boot_held, 1, __ATOMIC_SEQ_CST);
    __atomic_or_fetch(&events_chan()->hyp_flags, ARMVMI_CHAN_F_HELD, __ATOMIC_RELEASE);
    vcpu_record_exit(v, f);
    hyp_printf("events: vCPU 0 held before the guest kernel, waiting for a monitor (the guest "
               "boots without one after %lu s)\n",
               (u64)bootinfo->hold_s);
    alone = read_cntpct_el0();
    while (__atomic_load_n(&boot_held, __ATOMIC_ACQUIRE)) {
        u64 now = read_cntpct_el0();

        if (__atomic_load_n(&ev_state, __ATOMIC_ACQUIRE) == EV_ATTACHED)
            alone = now;
        else if (now - alone >= limit) {
            hyp_printf("events: no monitor attached for %lu s\n", (u64)bootinfo->hold_s);
            hold_end("the hold time is over");
        }
        events_wait(f);
    }
}

void events_exit(struct vcpu *v)
{
    __atomic_store_n(&running[v->id], 0, __ATOMIC_RELEASE);
}

static bool must_hold(const struct vcpu *v)
{
    int owner = __atomic_load_n(&step_owner, __ATOMIC_ACQUIRE);

    return (__atomic_load_n(&pause_mask, __ATOMIC_ACQUIRE) >> v->id & 1) ||
           (owner >= 0 && owner != (int)v->id);
}

/*
 * Before every return to the guest: commands and liveness, the tick while a session is on, and
 * the holds. running[] and step_owner are a Dekker pair (each side writes its flag, a full
 * barrier, then reads the other's): a stepping vCPU never misses one that is about to enter.
 */
void events_enter(struct vcpu *v, struct trap_frame *f)
{
    events_poll();
    for (bool held = false;; held = true) {
        __atomic_store_n(&running[v->id], 1, __ATOMIC_SEQ_CST);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (!must_hold(v))
            break;
        __atomic_store_n(&running[v->id], 0, __ATOMIC_SEQ_CST);
        if (!held)
            vcpu_record_exit(v, f); /* the record shows the state it will resume with */
        events_wait(f);
    }
    regevent_enter();
    /* The tick is re-armed only when it is off or has expired (CNTHP_CTL_EL2.ISTATUS): writing
     * the timer on every entry made every exit of a session ~2x dearer under QEMU (one host
     * timer reprogrammed per exit), and a running tick still ends within TICK_US. */
    if (ev_state != EV_DETACHED) {
        if (!timer_on[v->id] || (read_cnthp_ctl_el2() & CNT_CTL_ISTATUS))
            timer_arm();
    } else if (timer_on[v->id]) {
        timer_off();
    }
}

/* Single-step of one vCPU: no other may run the guest meanwhile (the frame is unrestricted). */
void events_stop_others(struct vcpu *v, struct trap_frame *f)
{
    int none = -1;
    u64 t0, limit = read_cntfrq_el0(); /* 1 s, then report */

    while (!__atomic_compare_exchange_n(&step_owner, &none, (int)v->id, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
        none = -1;
        events_wait(f);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    events_kick_others();
    t0 = read_cntpct_el0();
    for (unsigned i = 0; i < bootinfo->ncpus; i++) {
        if (i == v->id)
            continue;
        while (__atomic_load_n(&running[i], __ATOMIC_SEQ_CST)) {
            if (read_cntpct_el0() - t0 > limit) {
                hyp_printf("events: cpu%u did not stop for a single-step of cpu%u\n", i, v->id);
                break;
            }
        }
    }
}

bool events_vcpu_running(unsigned id)
{
    return id < ARMVMI_MAX_VCPUS && __atomic_load_n(&running[id], __ATOMIC_SEQ_CST);
}

void events_release_others(struct vcpu *v)
{
    if (step_owner == (int)v->id) {
        __atomic_store_n(&step_owner, -1, __ATOMIC_SEQ_CST);
        events_kick_others();
    }
}

/* The monitor sent a byte: answered slots' vCPUs wake, pending commands run. */
void events_doorbell(void)
{
    events_poll();
    for (unsigned i = 0; i < bootinfo->ncpus; i++)
        if (__atomic_load_n(&events_slot(i)->state, __ATOMIC_ACQUIRE) == ARMVMI_SLOT_ANSWERED &&
            &vcpus[i] != vcpu_current())
            vcpu_kick(&vcpus[i]);
}

/* ---- Synchronous events, shared by every kind (memory, registers, calls, steps, breaks). ---- */

#define RSP_REG_MASK ((1UL << 35) - 1)

void events_fill(struct armvmi_abi_event *ev, const struct vcpu *v, u32 type)
{
    memset(ev, 0, sizeof(*ev));
    ev->time = read_cntvct_el0();
    ev->vcpu = v->id;
    ev->type = type;
    memcpy(&ev->regs, (const void *)((const struct armvmi_abi_vcpu *)ARMVMI_VCPU_REC(v->id))->x,
           sizeof(ev->regs));
}

bool events_rsp_check(const struct armvmi_abi_event *ev, const struct armvmi_abi_response *p,
                      u32 actions, u32 flags)
{
    if (p->seq != ev->seq) {
        events_error(ARMVMI_ERR_RSP_SEQ, "response seq", p->seq);
        return false;
    }
    if (p->action >= 32 || !(actions >> p->action & 1) || (p->flags & ~flags) ||
        ((p->flags & ARMVMI_RSPF_STEP_ON) && (p->flags & ARMVMI_RSPF_STEP_OFF))) {
        events_error(ARMVMI_ERR_RSP_ACTION, "response action/flags", p->action);
        return false;
    }
    if (p->flags & ARMVMI_RSPF_SET_REGS) {
        u64 m = p->pstate & PSR_MODE_MASK;
        bool mode_ok = !(p->pstate & PSR_nRW) &&
                       (m == PSR_MODE_EL0t || m == PSR_MODE_EL1t || m == PSR_MODE_EL1h);
        if ((p->reg_mask & ~RSP_REG_MASK) ||
            ((p->reg_mask >> ARMVMI_RSP_REG_PSTATE & 1) && !mode_ok)) {
            events_error(ARMVMI_ERR_RSP_REGS, "response reg_mask/pstate", p->reg_mask);
            return false;
        }
    }
    return true;
}

void events_set_regs(struct trap_frame *f, const struct armvmi_abi_response *p)
{
    for (unsigned i = 0; i < 31; i++)
        if (p->reg_mask >> i & 1)
            f->x[i] = p->x[i];
    if (p->reg_mask >> ARMVMI_RSP_REG_PC & 1)
        f->elr = p->pc;
    if (p->reg_mask >> ARMVMI_RSP_REG_PSTATE & 1)
        f->spsr = p->pstate & ~(u64)PSR_SS;
    if (p->reg_mask >> ARMVMI_RSP_REG_SP_EL0 & 1)
        write_sp_el0(p->sp_el0);
    if (p->reg_mask >> ARMVMI_RSP_REG_SP_EL1 & 1)
        write_sp_el1(p->sp_el1);
}

/* Post the synchronous event in the vCPU's slot and wait for the response (only this vCPU). */
bool events_deliver(struct vcpu *v, struct trap_frame *f, struct armvmi_abi_event *ev,
                    struct armvmi_abi_response *rsp)
{
    struct armvmi_abi_slot *slot = events_slot(v->id);
    u64 gen = __atomic_load_n(&ev_detach_gen, __ATOMIC_ACQUIRE);

    ev->seq = events_next_seq();
    memcpy(&slot->ev, ev, sizeof(*ev));
    __atomic_store_n(&slot->state, ARMVMI_SLOT_POSTED, __ATOMIC_RELEASE);
    events_notify();
    for (;;) {
        u32 st = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);

        if (__atomic_load_n(&ev_detach_gen, __ATOMIC_ACQUIRE) != gen) {
            __atomic_store_n(&slot->state, ARMVMI_SLOT_FREE, __ATOMIC_RELEASE);
            return false; /* detached, or the monitor is gone (fail-open): CONTINUE */
        }
        if (st == ARMVMI_SLOT_ANSWERED) {
            memcpy(rsp, &slot->rsp, sizeof(*rsp)); /* copied once; only the copy is used */
            __atomic_store_n(&slot->state, ARMVMI_SLOT_FREE, __ATOMIC_RELEASE);
            return true;
        }
        if (st != ARMVMI_SLOT_POSTED) {
            events_error(ARMVMI_ERR_SLOT_STATE, "slot state", st);
            __atomic_store_n(&slot->state, ARMVMI_SLOT_POSTED, __ATOMIC_RELEASE);
        }
        events_wait(f);
    }
}
