/* SPDX-License-Identifier: MIT */
/* Debug traps: MDCR_EL2.TDE on a vCPU only while something needs it (a monitor's single-step, the
 * hypervisor's own one-instruction step, breakpoints); meanwhile the guest's debug registers are
 * accessed on its behalf, its MDSCR_EL1 is the value it wrote, and its own debug exceptions go
 * back to it as it would have taken them. Single-step events (ARMVMI_EV_STEP). */
#include <hyp/arch.h>
#include <hyp/boot.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/events.h>
#include <hyp/exclseq.h>
#include <hyp/inject.h>
#include <hyp/rbp.h>
#include <hyp/sysreg.h>
#include <hyp/trap.h>
#include <hyp/vcpu.h>

#define MDSCR_SS BIT(0)
#define MDSCR_KDE BIT(13)
#define MDSCR_MDE BIT(15)
#define MDCR_TDE BIT(8) /* Arm ARM D17.3.14: debug exceptions to EL2; TDA, TDOSA, TDRA act as 1 */
#define ICH_HCR_EN BIT(0)
#define STEPF_KNOWN (ARMVMI_STEPF_IRQS | ARMVMI_STEPF_EL0)
#define SYNC_WAIT_S 1

struct dbg {
    bool tde;         /* MDCR_EL2.TDE is on in this CPU */
    bool ss;          /* we set MDSCR_EL1.SS (stepping when the guest last entered) */
    bool irq_held;    /* we cleared ICH_HCR_EL2.En */
    bool mde_off;     /* we cleared MDSCR_EL1.MDE for a one-instruction step */
    bool silent;      /* stepping EL1 only because the guest steps EL0 (its MDSCR_EL1.SS) */
    bool entered_el0; /* the guest was last entered at EL0 */
    u64 mdscr;        /* the guest's own MDSCR_EL1 while tde */
    u64 hw_mdscr;     /* what we last wrote to MDSCR_EL1 */
    /* the exit in progress */
    u64 kind, ec, elr;
    /* the monitor's single-step (written by commands on any CPU) */
    volatile bool step_on;
    volatile u32 step_flags;
    volatile u64 step_ttbr;
    u64 step_count;
    /* STEPF_EL0: the process entered the kernel (its first instruction there was stepped), so
     * the monitor's step is off until an exit finds the vCPU at EL0 in the address space */
    volatile bool parked;
    u64 park_va; /* where the kernel returns to the process (ELR_EL1 when parked) | RBP_SEEN */
    u64 last_pc; /* the PC of this vCPU's last step event */
    /* the monitor's step was armed at the last entry, or the PC there already had its event
     * (step_event): otherwise an entry with it armed starts it, active-pending (debug_enter) */
    bool live;
    /* the pending step exception of a start: taken before any instruction ran, so it is ours
     * only, never the guest's own step of its process (debug_softstep) */
    bool start_pending;
    bool rbp; /* our breakpoint is in this CPU (rbp.c) */
    /* an exclusive sequence run unstepped to breakpoints at its exits (exclseq.c) */
    bool seq;
    struct exclseq xs;
    /* the hypervisor's one-instruction step */
    bool once, once_mask;
    debug_done_fn once_done;
    u64 once_arg;
    volatile u64 gen_seen;
};
static struct dbg dbgs[ARMVMI_MAX_VCPUS];
static volatile u32 need_all; /* breakpoints set */
static volatile u64 need_gen;
/* The last park_va of any vCPU: where vCPUs that do not run the process wait for it (it may
 * return to EL0 on another vCPU than the one it entered the kernel on). */
static volatile u64 park_va_all;
/* The PC of the last step event of a step filtered on an address space (any vCPU): the process
 * may go on with that instruction on another vCPU than the one that reported it. */
static volatile u64 last_pc_all;
#define RBP_SEEN 1UL /* with a park_va: its instruction already had its event (not completed) */

static struct dbg *dbg_of(const struct vcpu *v)
{
    return &dbgs[v->id];
}

/* The monitor's step is armed while this vCPU runs the address space it filters on (checked
 * at every exit: stepping starts at the first exit after the process is switched in, and
 * stops at the first step after it is switched out). */
static bool mon_step(const struct dbg *d)
{
    return d->step_on && !d->parked &&
           (!d->step_ttbr || (read_ttbr0_el1() & ARMVMI_TTBR_BADDR) == d->step_ttbr);
}

/* Unpark the monitor's EL0 step when the vCPU is at EL0 in the address space it filters on. */
static void unpark(struct dbg *d, const struct trap_frame *f)
{
    if (d->parked && (f->spsr & PSR_MODE_MASK) == PSR_MODE_EL0t &&
        (!d->step_ttbr || (read_ttbr0_el1() & ARMVMI_TTBR_BADDR) == d->step_ttbr))
        d->parked = false;
}

/* While the monitor steps (armed or not: another address space, parked), TDE stays on: the
 * guest's own step of the process (its MDSCR_EL1.SS writes trapped) then comes to us, and its
 * step exception at EL0 in the address space arms ours at once. */
static bool want_tde(const struct dbg *d)
{
    return d->step_on || d->once || __atomic_load_n(&need_all, __ATOMIC_ACQUIRE);
}

static bool stepping(const struct dbg *d)
{
    return (mon_step(d) && !d->seq) || d->once;
}

void debug_exit(struct vcpu *v, struct trap_frame *f, u64 kind, u64 esr)
{
    struct dbg *d = dbg_of(v);

    d->kind = kind;
    d->ec = kind == TRAP_SYNC ? ESR_EC(esr) : ~0UL;
    /* Arm ARM D1.10.1: HVC's preferred return address is the next instruction, so the HVC has
     * already moved the PC (a stepped HVC is taken with SPSR.SS = 0: step before the next). */
    d->elr = d->ec == ESR_EC_HVC64 ? f->elr - 4 : f->elr;
}

/* The hardware MDSCR_EL1: the guest's, with our SS (and without MDE for a masked step).
 * Returns whether it was written. */
static bool mdscr_apply(struct dbg *d, bool force)
{
    u64 m = d->mdscr;

    d->ss = stepping(d);
    d->mde_off = d->once && d->once_mask;
    if (d->ss)
        m |= MDSCR_SS;
    if (d->rbp || d->seq)
        m |= MDSCR_MDE; /* the guest's own breakpoints still as its MDE says (guest_takes) */
    if (d->mde_off)
        m &= ~MDSCR_MDE;
    if (!force && m == d->hw_mdscr)
        return false;
    write_mdscr_el1(m);
    d->hw_mdscr = m;
    return true;
}

static void once_finish(struct vcpu *v, struct dbg *d)
{
    debug_done_fn fn = d->once_done;

    if (!d->once)
        return;
    d->once = false;
    d->once_done = NULL;
    if (fn)
        fn(v, d->once_arg);
    events_release_others(v);
}

void debug_enter(struct vcpu *v, struct trap_frame *f)
{
    struct dbg *d = dbg_of(v);
    bool was_stepping = d->ss, moved, start, wrote = false;
    u64 gen = __atomic_load_n(&need_gen, __ATOMIC_ACQUIRE);

    u64 pva = d->parked ? d->park_va : 0;

    unpark(d, f);
    /* back at the instruction that had its event before the kernel was entered (it did not
     * complete): it runs now, without a second event (as rbp_event does) */
    if (pva && !d->parked && (pva & RBP_SEEN) && f->elr == (pva & ~RBP_SEEN))
        d->live = true;
    if (!d->tde && !d->ss && !d->once && !d->irq_held && !want_tde(d)) {
        __atomic_store_n(&d->gen_seen, gen, __ATOMIC_RELEASE);
        return; /* nothing to do: the common exit */
    }
    /* An instruction the hypervisor completed (emulated, skipped) or an exception it injected
     * (also at a step: the guest's own step exception handed back, a response's new PC): the PC
     * moved, so the one-instruction step is over and the next step is due at once (the step
     * exception is then taken before the vector's or the new PC's instruction, as it is for an
     * interrupt taken between steps). */
    moved = d->kind == TRAP_SYNC && f->elr != d->elr;
    if (d->once && moved)
        once_finish(v, d);
    /* The monitor's step starts (a STEP command, STEP_ON in a response, the process switched in
     * or back at EL0 with no event yet, the first entry of a held vCPU): the instruction at the
     * PC is its first event, before it runs. */
    start = mon_step(d) && !d->live && !d->once && !d->seq;
    /* the process's instruction that had its event, here after the kernel (it did not complete:
     * a fault, the guest's own step handed back), maybe on another vCPU: it runs now, unreported */
    if (start && d->step_ttbr && f->elr == last_pc_all)
        start = false;
    /* Parked: our breakpoint where the kernel returns to the process (given back before TDE goes
     * off, and while our one-instruction step runs). */
    u64 rbp_va = 0;
    if (d->tde && want_tde(d) && d->step_on && (d->step_flags & ARMVMI_STEPF_EL0) && !d->once)
        rbp_va = d->parked ? d->park_va : !mon_step(d) ? park_va_all : 0;
    /* An exclusive sequence goes on while the vCPU is inside it (an interrupt exit), and is
     * abandoned at any other exit (an exception taken, stepping changed): stepping goes on. */
    if (d->seq && (!mon_step(d) || d->once || !exclseq_inside(&d->xs, f))) {
        exclseq_end(v);
        d->seq = false;
    }
    if (!d->seq)
        d->rbp = rbp_sync(v, rbp_va & ~RBP_SEEN);
    /* About to step a load-exclusive: its sequence is run at once instead (the state the next
     * block gives SPSR.SS: 1, the instruction runs before the step exception). */
    if (!d->seq && d->tde && mon_step(d) && !d->once && !moved && !start &&
        (d->kind == TRAP_SYNC || !was_stepping || (f->spsr & PSR_SS)) &&
        exclseq_start(v, f, &d->xs)) {
        d->seq = true;
        d->rbp = false;
        f->spsr &= ~(u64)PSR_SS;
    }
    if (want_tde(d) && !d->tde) {
        d->mdscr = d->hw_mdscr = read_mdscr_el1();
        write_mdcr_el2(read_mdcr_el2() | MDCR_TDE);
        d->tde = wrote = true;
    } else if (!want_tde(d) && d->tde) {
        write_mdscr_el1(d->mdscr);
        write_mdcr_el2(read_mdcr_el2() & ~MDCR_TDE);
        d->tde = false;
        d->ss = d->mde_off = false;
        wrote = true;
    }
    if (d->tde)
        wrote |= mdscr_apply(d, false);
    if (d->seq) {
        /* MDSCR_EL1.SS = 0 (mdscr_apply): software step inactive (Arm ARM D2.12) */
    } else if (stepping(d)) {
        /* Arm ARM D2.12.3: SPSR.SS = 1 runs one instruction, then the step exception; SS = 0
         * (active-pending) takes it before the next instruction. An interrupt exit keeps the
         * state the hardware saved, unless stepping starts now. */
        if (moved || start)
            f->spsr &= ~(u64)PSR_SS;
        else if (d->kind == TRAP_SYNC || !was_stepping)
            f->spsr |= PSR_SS;
    } else if (was_stepping && !(d->mdscr & MDSCR_SS)) {
        f->spsr &= ~(u64)PSR_SS;
    }
    /* With STEPF_EL0 the kernel (stepped silently) takes its interrupts: it may idle, or wait
     * for one, while the stepped process is blocked (and runs on its TTBR0 in lazy mode). */
    bool el0 = (f->spsr & PSR_MODE_MASK) == PSR_MODE_EL0t;
    bool hold = d->once || d->seq ||
                (mon_step(d) && !(d->step_flags & ARMVMI_STEPF_IRQS) &&
                 (el0 || !(d->step_flags & ARMVMI_STEPF_EL0)));
    if (hold != d->irq_held) {
        u64 h = read_ich_hcr_el2();
        write_ich_hcr_el2(hold ? h & ~ICH_HCR_EN : h | ICH_HCR_EN);
        d->irq_held = hold;
        wrote = true;
    }
    if (wrote)
        isb();
    d->entered_el0 = el0;
    /* a start's step exception still pending after an interrupt exit (SPSR.SS kept 0) */
    d->start_pending =
        start || (d->start_pending && d->kind != TRAP_SYNC && stepping(d) && !(f->spsr & PSR_SS));
    d->live = d->tde && mon_step(d);
    __atomic_store_n(&d->gen_seen, gen, __ATOMIC_RELEASE);
}

/* ---- the hypervisor's one-instruction step ---- */

bool debug_once(struct vcpu *v, struct trap_frame *f, debug_done_fn done, u64 arg, bool mask_debug)
{
    struct dbg *d = dbg_of(v);

    if (d->once) {
        hyp_printf("debug: cpu%u: one-instruction step already in progress, not nested\n", v->id);
        return false;
    }
    events_stop_others(v, f);
    d->once = true;
    d->once_mask = mask_debug;
    d->once_done = done;
    d->once_arg = arg;
    f->spsr |= PSR_SS; /* run this instruction (debug_enter does the rest) */
    return true;
}

void debug_cpu_init(struct vcpu *v)
{
    struct dbg *d = dbg_of(v);

    d->tde = d->ss = d->irq_held = d->mde_off = d->silent = d->entered_el0 = d->rbp = false;
    d->seq = d->live = d->start_pending = false;
    rbp_reset(v);
    d->mdscr = d->hw_mdscr = 0;
    d->kind = TRAP_IRQ; /* no instruction completed: stepping, if on, starts active-pending */
    d->ec = ~0UL;
    d->elr = 0;
    d->once = d->once_mask = false;
    d->once_done = NULL;
}

bool debug_once_active(const struct vcpu *v)
{
    return dbg_of(v)->once;
}

void debug_once_end(struct vcpu *v)
{
    once_finish(v, dbg_of(v));
}

/* ---- the monitor's single-step ---- */

u32 debug_cmd_step(const struct armvmi_abi_cmd *k)
{
    u64 mask = k->arg[0];

    if (!mask || (mask >> bootinfo->ncpus) || k->arg[1] > 1 || (k->arg[2] & ~(u64)STEPF_KNOWN) ||
        (k->arg[3] & ~ARMVMI_TTBR_BADDR)) {
        events_error(ARMVMI_ERR_CMD_ARGS, "STEP arguments", k->arg[0]);
        return ARMVMI_CMDS_EINVAL;
    }
    for (unsigned i = 0; i < bootinfo->ncpus; i++) {
        struct dbg *d = &dbgs[i];

        if (!(mask >> i & 1))
            continue;
        d->step_flags = (u32)k->arg[2];
        d->step_ttbr = k->arg[3];
        d->parked = false;
        park_va_all = last_pc_all = 0;
        if (k->arg[1] && !d->step_on)
            d->step_count = 0;
        __atomic_store_n(&d->step_on, k->arg[1] != 0, __ATOMIC_RELEASE);
    }
    return ARMVMI_CMDS_OK; /* the caller kicks every vCPU: stepping starts at their next entry */
}

void debug_rsp_flags(struct vcpu *v, u32 flags)
{
    struct dbg *d = dbg_of(v);

    if (flags & ARMVMI_RSPF_STEP_ON) {
        if (!d->step_on)
            d->step_count = 0;
        d->parked = false;
        d->step_on = true;
    }
    if (flags & ARMVMI_RSPF_STEP_OFF)
        d->step_on = false;
}

void debug_reset(void)
{
    for (unsigned i = 0; i < ARMVMI_MAX_VCPUS; i++)
        __atomic_store_n(&dbgs[i].step_on, false, __ATOMIC_RELEASE);
}

bool debug_need_all(bool on)
{
    u64 gen, t0 = read_cntpct_el0(), limit = read_cntfrq_el0() * SYNC_WAIT_S;
    struct vcpu *self = vcpu_current();
    bool all = true;

    /* need_all first: a vCPU that publishes the new gen (debug_enter) has seen it */
    __atomic_store_n(&need_all, on ? 1 : 0, __ATOMIC_SEQ_CST);
    gen = __atomic_add_fetch(&need_gen, 1, __ATOMIC_SEQ_CST);
    if (!on)
        return true; /* each vCPU drops TDE at its next entry */
    for (unsigned i = 0; i < bootinfo->ncpus; i++) {
        if (&vcpus[i] == self || vcpus[i].power != VCPU_ON)
            continue;
        vcpu_kick(&vcpus[i]);
        /* a vCPU in the hypervisor applies TDE before it enters the guest again */
        while (events_vcpu_running(i) && __atomic_load_n(&dbgs[i].gen_seen, __ATOMIC_ACQUIRE) < gen)
            if (read_cntpct_el0() - t0 > limit) {
                hyp_printf("debug: cpu%u did not take MDCR_EL2.TDE within %u s\n", i, SYNC_WAIT_S);
                all = false;
                break;
            }
    }
    if (self) {
        struct dbg *d = dbg_of(self);
        if (!d->tde) { /* this CPU: at once, not at its entry */
            d->mdscr = d->hw_mdscr = read_mdscr_el1();
            write_mdcr_el2(read_mdcr_el2() | MDCR_TDE);
            d->tde = true;
            isb();
        }
    }
    return all;
}

/*
 * At the process's first kernel instruction, ELR_EL1 is where the kernel returns to it (Arm ARM
 * D1.10: taking an exception from EL0 to EL1 sets ELR_EL1 and SPSR_EL1). The reserved
 * breakpoint there (rbp.c; with TDE, an EL0 breakpoint exception comes to EL2) resumes the step
 * exactly at that instruction. The kernel may return elsewhere (a signal handler, a restarted
 * call, execve): then the next exit at EL0 in the address space resumes it (unpark).
 */
static u64 rbp_entry_ret(void)
{
    return (read_spsr_el1() & (PSR_MODE_MASK | PSR_nRW)) == PSR_MODE_EL0t ? read_elr_el1() : 0;
}

static void step_event(struct vcpu *v, struct trap_frame *f, struct dbg *d, u32 evf)
{
    const struct armvmi_abi_vcpu *r = (const struct armvmi_abi_vcpu *)ARMVMI_VCPU_REC(v->id);
    struct armvmi_abi_event ev;
    struct armvmi_abi_response rsp;

    if (ev_state != EV_ATTACHED) {
        d->step_on = false;
        return;
    }
    d->step_count++;
    d->live = true; /* this PC had its event: the entry runs it (a start would report it again) */
    if ((d->step_flags & ARMVMI_STEPF_EL0) && (f->spsr & PSR_MODE_MASK) != PSR_MODE_EL0t) {
        /* the process's first instruction in the kernel: stop stepping until it is back */
        d->parked = true;
        d->park_va = rbp_entry_ret();
        if (d->park_va && d->park_va == d->last_pc)
            d->park_va |= RBP_SEEN; /* an exception before it completed (fault, a guest's step) */
        park_va_all = d->park_va;
        __atomic_add_fetch(&events_chan()->filtered, 1, __ATOMIC_RELAXED);
        return;
    }
    if (d->step_ttbr && (r->ttbr0_el1 & ARMVMI_TTBR_BADDR) != d->step_ttbr) {
        __atomic_add_fetch(&events_chan()->filtered, 1, __ATOMIC_RELAXED);
        return;
    }
    events_fill(&ev, v, ARMVMI_EV_STEP);
    ev.gva = d->last_pc = f->elr;
    if (d->step_ttbr)
        last_pc_all = f->elr;
    ev.u.step.count = d->step_count;
    ev.flags = evf;
    if (!events_deliver(v, f, &ev, &rsp))
        return;
    if (!events_rsp_check(&ev, &rsp, RSP_ACT(CONTINUE),
                          ARMVMI_RSPF_SET_REGS | ARMVMI_RSPF_STEP_ON | ARMVMI_RSPF_STEP_OFF))
        return;
    if (rsp.flags & ARMVMI_RSPF_SET_REGS)
        events_set_regs(f, &rsp);
    debug_rsp_flags(v, rsp.flags);
}

/* Software step exception (EC 0x32): ours (one-instruction step, monitor's step) or the guest's. */
void debug_softstep(struct trap_frame *f, u64 esr)
{
    struct vcpu *v = vcpu_current();
    struct dbg *d = dbg_of(v);
    bool ours = d->ss, silent = d->silent, el0 = (f->spsr & PSR_MODE_MASK) == PSR_MODE_EL0t;
    /* The guest's own step of a process (Linux sets MDSCR_EL1.SS only to return to a stepped
     * task; KDE is not needed at EL0): it takes a step exception after each instruction at EL0,
     * and, arriving at EL0 by its ERET, at once if SPSR_EL1.SS was 0 (Arm ARM D2.12.3:
     * active-pending) or after the next instruction if it was 1. */
    bool from_el1 = !d->entered_el0;
    bool guest = el0 && (d->mdscr & MDSCR_SS) && (!from_el1 || !(read_spsr_el1() & PSR_SS)) &&
                 !d->start_pending;

    d->silent = false;
    if (d->once)
        once_finish(v, d);
    if (!ours && !silent && el0 && d->step_on) {
        /* a step exception of the guest's own (its MDSCR_EL1.SS) in the process, before our
         * first exit there or while parked: the instruction before was the process's */
        unpark(d, f);
        ours = mon_step(d);
    }
    if (ours && d->step_on && !d->parked) {
        step_event(v, f, d, 0);
        if (guest && (f->spsr & PSR_MODE_MASK) == PSR_MODE_EL0t)
            debug_reinject(f, esr); /* ours and the guest's: the guest's goes on to EL1 */
        return;
    }
    if (ours && !(d->mdscr & MDSCR_SS))
        return; /* the last step of a step that has ended */
    if (silent && el0) {
        /* the kernel's ERET to the process it steps was the step (a monitor's step parked in
         * the kernel is re-armed by unpark: its next event is after this instruction) */
        if (guest)
            debug_reinject(f, esr);
        else
            f->spsr |= PSR_SS;
        return;
    }
    debug_reinject(f, esr);
}

/* ---- the return of a parked EL0 step to the process ---- */

static void rbp_over_done(struct vcpu *v, u64 arg) {}

/* Our breakpoint at EL0 (the pair is given back at this exit's end unless we step over it). */
static void rbp_event(struct vcpu *v, struct trap_frame *f, struct dbg *d)
{
    u64 va = d->parked ? d->park_va : park_va_all;

    unpark(d, f);
    if (mon_step(d)) {
        /* back in the process: this instruction is the next step (SPSR.SS = 1 at entry), and
         * its event, unless it had one before the kernel was entered */
        d->live = true;
        if (!(va & RBP_SEEN))
            step_event(v, f, d, 0);
        return;
    }
    /* the same address in another address space: run it with ours off, and keep ours */
    __atomic_add_fetch(&events_chan()->filtered, 1, __ATOMIC_RELAXED);
    debug_once(v, f, rbp_over_done, 0, false);
}

/* BRK (0x3c) that no breakpoint claimed, hardware breakpoint (0x30), watchpoint (0x34). */
void debug_guest_exception(struct trap_frame *f, u64 esr)
{
    struct vcpu *v = vcpu_current();
    struct dbg *d = dbg_of(v);

    if (ESR_EC(esr) == ESR_EC_BREAKPT_LOW && d->seq && exclseq_hit(v, &d->xs, f)) {
        /* the end of an exclusive sequence run at once: one step event (ABI: EVF_STEP_EXCL) */
        exclseq_end(v);
        d->seq = false;
        if (mon_step(d))
            step_event(v, f, d, ARMVMI_EVF_STEP_EXCL);
        return;
    }
    if (ESR_EC(esr) == ESR_EC_BREAKPT_LOW && d->rbp && (f->spsr & PSR_MODE_MASK) == PSR_MODE_EL0t &&
        rbp_hit(v, f->elr)) {
        rbp_event(v, f, d);
        return;
    }
    debug_reinject(f, esr);
}

/* Arm ARM D2.1 (debug exceptions enabled from EL1 only with KDE = 1 and PSTATE.D = 0, and
 * breakpoints/watchpoints only with MDE = 1): whether the guest, with TDE off, takes it. */
static bool guest_takes(const struct dbg *d, const struct trap_frame *f, unsigned ec)
{
    bool el0 = (f->spsr & PSR_MODE_MASK) == PSR_MODE_EL0t;

    if (ec == ESR_EC_BRK64)
        return true;
    if ((ec == ESR_EC_BREAKPT_LOW || ec == ESR_EC_WATCHPT_LOW) && !(d->mdscr & MDSCR_MDE))
        return false;
    if (ec == ESR_EC_SOFTSTP_LOW && !(d->mdscr & MDSCR_SS))
        return false;
    return el0 || ((d->mdscr & MDSCR_KDE) && !(f->spsr & PSR_D));
}

static void skip_done(struct vcpu *v, u64 arg) {}

static u32 odd_reports; /* debug_reinject's report of a state that should not occur */

void debug_reinject(struct trap_frame *f, u64 esr)
{
    struct vcpu *v = vcpu_current();
    struct dbg *d = dbg_of(v);
    unsigned ec = ESR_EC(esr);
    bool el0 = (f->spsr & PSR_MODE_MASK) == PSR_MODE_EL0t;
    u64 ec1 = ec;

    if (!guest_takes(d, f, ec)) {
        /* At EL0 the CPU matches only with MDSCR_EL1.MDE set, i.e. the guest's: a sign that its
         * MDSCR_EL1 and ours differ (58's flaky ptrace miss would look like this). */
        if (el0 && (ec == ESR_EC_BREAKPT_LOW || ec == ESR_EC_WATCHPT_LOW) && odd_reports < 8) {
            odd_reports++;
            hyp_printf("debug: cpu%u: EC 0x%x at EL0 (pc 0x%lx) with the guest's MDE clear (its "
                       "MDSCR_EL1 0x%lx, the CPU's 0x%lx): stepped over\n",
                       v->id, ec, f->elr, d->mdscr, read_mdscr_el1());
        }
        /* Only TDE made it an exception (an EL1 breakpoint the guest masks, the first kernel
         * instructions while the guest steps its process): go on as the guest would. */
        if ((ec == ESR_EC_BREAKPT_LOW || ec == ESR_EC_WATCHPT_LOW) && d->once)
            d->once_mask = true; /* our step runs it again, masked (debug_enter) */
        else if (ec == ESR_EC_BREAKPT_LOW || ec == ESR_EC_WATCHPT_LOW)
            debug_once(v, f, skip_done, 0, true);
        else if (ec == ESR_EC_SOFTSTP_LOW) {
            f->spsr |= PSR_SS;
            d->silent = true;
        }
        return;
    }
    /* EL1 has a "current EL" class one above each "lower EL" one (Arm ARM D17.2.37). */
    if (!el0 && (ec == ESR_EC_BREAKPT_LOW || ec == ESR_EC_SOFTSTP_LOW || ec == ESR_EC_WATCHPT_LOW))
        ec1 = ec + 1;
    __atomic_add_fetch(&events_chan()->reinjected, 1, __ATOMIC_RELAXED);
    inject_sync(f, (ec1 << ESR_EC_SHIFT) | (esr & (ESR_IL | 0x1ffffffUL)), ec == ESR_EC_WATCHPT_LOW,
                read_far_el2());
}

/* ---- the guest's debug registers while TDE traps them ---- */

#define SYS(op0, op1, crn, crm, op2) ESR_SYS_REG(op0, op1, crn, crm, op2)
#define REG_MDSCR SYS(2, 0, 0, 2, 2)
#define REG_MDCCINT SYS(2, 0, 0, 2, 0)
#define REG_OSDTRRX SYS(2, 0, 0, 0, 2)
#define REG_OSDTRTX SYS(2, 0, 0, 3, 2)
#define REG_OSECCR SYS(2, 0, 0, 6, 2)
#define REG_MDRAR SYS(2, 0, 1, 0, 0)
#define REG_OSLAR SYS(2, 0, 1, 0, 4)
#define REG_OSLSR SYS(2, 0, 1, 1, 4)
#define REG_OSDLR SYS(2, 0, 1, 3, 4)
#define REG_DBGPRCR SYS(2, 0, 1, 4, 4)
#define REG_CLAIMSET SYS(2, 0, 7, 8, 6)
#define REG_CLAIMCLR SYS(2, 0, 7, 9, 6)
#define REG_AUTHSTATUS SYS(2, 0, 7, 14, 6)
#define REG_MDCCSR SYS(2, 3, 0, 1, 0)

#define ACCESS(enc)                                                                                \
    do {                                                                                           \
        if (rd)                                                                                    \
            __asm__ volatile("mrs %0, " enc : "=r"(*val));                                         \
        else                                                                                       \
            __asm__ volatile("msr " enc ", %0" ::"r"(*val));                                       \
    } while (0)
#define ONE_BP(n)                                                                                  \
    case (n << 3 | 4):                                                                             \
        ACCESS("S2_0_C0_C" #n "_4");                                                               \
        break;                                                                                     \
    case (n << 3 | 5):                                                                             \
        ACCESS("S2_0_C0_C" #n "_5");                                                               \
        break;                                                                                     \
    case (n << 3 | 6):                                                                             \
        ACCESS("S2_0_C0_C" #n "_6");                                                               \
        break;                                                                                     \
    case (n << 3 | 7):                                                                             \
        ACCESS("S2_0_C0_C" #n "_7");                                                               \
        break;

/* DBGBVR<n>/DBGBCR<n> (op2 4, 5), DBGWVR<n>/DBGWCR<n> (op2 6, 7): op0 2, op1 0, CRn 0, CRm n.
 * Only the implemented ones (ID_AA64DFR0_EL1.BRPs, WRPs): the others are UNDEFINED. */
bool debug_bp_reg(unsigned n, unsigned op2, bool rd, u64 *val)
{
    u64 dfr0;
    unsigned brps, wrps;

    __asm__ volatile("mrs %0, id_aa64dfr0_el1" : "=r"(dfr0));
    brps = FIELD(dfr0, 12, 4) + 1;
    wrps = FIELD(dfr0, 20, 4) + 1;
    if (op2 < 4 || (op2 < 6 && n >= brps) || (op2 >= 6 && n >= wrps))
        return false;
    /* clang-format off */
    switch (n << 3 | op2) {
    ONE_BP(0) ONE_BP(1) ONE_BP(2) ONE_BP(3) ONE_BP(4) ONE_BP(5) ONE_BP(6) ONE_BP(7)
    ONE_BP(8) ONE_BP(9) ONE_BP(10) ONE_BP(11) ONE_BP(12) ONE_BP(13) ONE_BP(14) ONE_BP(15)
    default:
        return false;
    }
    /* clang-format on */
    return true;
}

bool debug_sysreg(struct trap_frame *f, u64 esr)
{
    struct vcpu *v = vcpu_current();
    struct dbg *d = dbg_of(v);
    unsigned rt = ESR_SYS_RT(esr);
    bool rd = esr & ESR_SYS_READ;
    u64 reg = esr & ESR_SYS_REG_MASK, x = rt == 31 ? 0 : f->x[rt], *val = &x;

    if (FIELD(esr, 20, 2) != 2)
        return false;
    if (!d->tde) /* a debug register trapped without TDE: not ours */
        return false;
    switch (reg) {
    case REG_MDSCR:
        if (rd) {
            x = d->mdscr;
        } else {
            d->mdscr = x;
            mdscr_apply(d, true);
        }
        break;
    case REG_MDCCINT:
        ACCESS("mdccint_el1");
        break;
    case REG_OSDTRRX:
        ACCESS("osdtrrx_el1");
        break;
    case REG_OSDTRTX:
        ACCESS("osdtrtx_el1");
        break;
    case REG_OSECCR:
        ACCESS("oseccr_el1");
        break;
    case REG_MDRAR:
        if (!rd)
            return false;
        ACCESS("mdrar_el1");
        break;
    case REG_OSLAR:
        if (rd)
            return false;
        __asm__ volatile("msr oslar_el1, %0" ::"r"(x));
        break;
    case REG_OSLSR:
        if (!rd)
            return false;
        ACCESS("oslsr_el1");
        break;
    case REG_OSDLR:
        ACCESS("osdlr_el1");
        break;
    case REG_DBGPRCR:
        ACCESS("dbgprcr_el1");
        break;
    case REG_CLAIMSET:
        ACCESS("dbgclaimset_el1");
        break;
    case REG_CLAIMCLR:
        ACCESS("dbgclaimclr_el1");
        break;
    case REG_AUTHSTATUS:
        if (!rd)
            return false;
        ACCESS("dbgauthstatus_el1");
        break;
    case REG_MDCCSR:
        if (!rd)
            return false;
        ACCESS("mdccsr_el0");
        break;
    default:
        if (FIELD(esr, 14, 3) != 0 || FIELD(esr, 10, 4) != 0 ||
            (!rbp_access(v, FIELD(esr, 1, 4), FIELD(esr, 17, 3), rd, val) &&
             !debug_bp_reg(FIELD(esr, 1, 4), FIELD(esr, 17, 3), rd, val)))
            return false;
    }
    isb();
    if (rd && rt != 31)
        f->x[rt] = x;
    return true;
}
