/* SPDX-License-Identifier: MIT */
/* events.h — public API of the events layer: memory, register-write and SMC/HVC events of a VM
 * under the armvmi hypervisor. */
#ifndef ARMVMI_EVENTS_H
#define ARMVMI_EVENTS_H

/*
 * Not part of the armvmi.h umbrella: include <armvmi/events.h> (it includes armvmi.h).
 * Conventions are armvmi.h's: int status (0 or a negative ARMVMI_E*), armvmi_errmsg().
 *
 * A monitor session ("events handle") talks to the armvmi hypervisor through the monitor
 * channel in its carve-out (include/armvmi/abi.h, "VMI events: the monitor channel"), which the
 * library maps through the VM's shared RAM file: only VMs started with `armvmi vm start --hyp`.
 * One monitor per VM at a time.
 *
 * Threads: every call on one events handle must come from one thread (the one that listens);
 * the handle runs one thread of its own, the heartbeat, so that a slow callback does not make
 * the hypervisor declare the monitor gone. Callbacks run in the listening thread, inside
 * armvmi_events_listen(). armvmi_events_interrupt() is the one call allowed from anywhere
 * (another thread, a signal handler).
 *
 * Everything read from the channel is checked before use: a corrupt channel gives an error with
 * a message (ARMVMI_EFORMAT), never a crash or a hang.
 */
#include <armvmi/armvmi.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct armvmi_events armvmi_events_t;

/** Options of a session (all zero: the defaults). */
struct armvmi_events_options {
    /**
     * Milliseconds without a heartbeat after which the hypervisor declares the monitor gone
     * (0: 2000). The handle's heartbeat thread beats every timeout_ms / 8.
     */
    uint32_t timeout_ms;
    /**
     * If the monitor goes away (killed, stuck), the vCPUs waiting for it stay paused until a
     * monitor attaches again, and the restrictions stay. Default (false): fail-open, the
     * hypervisor removes every restriction and lets the guest run.
     */
    bool fail_closed;
    /**
     * Both sides spin on the channel instead of sleeping (lowest latency; a host CPU stays
     * busy while armvmi_events_listen() waits). Default: doorbell wake-ups when the hypervisor
     * has the doorbell device, else short sleeps.
     */
    bool busy_poll;
    /** Milliseconds to wait for a command (attach, set access) to complete (0: 5000). */
    uint32_t cmd_timeout_ms;
};

/**
 * Attach to the monitor channel of the VM h is open on and start a session. h must stay open
 * until armvmi_events_close(). On success *out is the session, to end with
 * armvmi_events_close().
 * A previous monitor whose heartbeat has stopped (killed, stuck) is waited for until the
 * hypervisor declares it gone (its timeout plus 1 s at most); a fail-closed one's waiting vCPUs
 * then come to this session, their events marked ARMVMI_MEMF_INHERITED.
 * Errors: ARMVMI_ENOTSUP ("this VM does not run under the armvmi hypervisor": no carve-out, or
 * a target that cannot map RAM, e.g. a dump), ARMVMI_EFORMAT (no channel, a channel of another
 * ABI version, or corrupt), ARMVMI_ESTATE (another monitor is attached), ARMVMI_EIO (the
 * hypervisor does not answer commands), ARMVMI_ENOMEM.
 */
int armvmi_events_attach(armvmi_t *h, const struct armvmi_events_options *opt,
                         armvmi_events_t **out);

/**
 * End the session: clear every registration (as armvmi_mem_unwatch does, draining events in
 * flight), send DETACH, stop the heartbeat, free ev. NULL is allowed. Returns 0 or the first
 * error met on the way (the handle is freed in every case, except when called from a callback:
 * ARMVMI_ESTATE and nothing happens). A session the hypervisor has already ended is only freed.
 */
int armvmi_events_close(armvmi_events_t *ev);

/**
 * Whether the hypervisor holds the VM's vCPU 0 before the guest kernel's first instruction,
 * waiting for a monitor (`armvmi vm start --hyp --hold`; abi.h ARMVMI_BOOT_HOLD). false for a
 * NULL ev.
 */
bool armvmi_events_held(armvmi_events_t *ev);

/**
 * Let a VM held at boot run: vCPU 0 enters the guest kernel, which then raises the events of
 * the registrations made so far. armvmi_events_listen() calls it on its first call, so a
 * monitor that makes its registrations and then listens sees the boot from its first
 * instruction; call it yourself to let the guest start before that. Nothing to do (0) when the
 * VM is not held. A held VM is also released when the session ends (armvmi_events_close, or
 * the hypervisor declaring the monitor gone, fail-open), and by the hypervisor itself when no
 * monitor has been attached for the hold's time limit.
 * Errors: ARMVMI_ESTATE (from a callback, or the session is over), ARMVMI_EIO.
 */
int armvmi_events_release(armvmi_events_t *ev);

/* ---- memory events ---- */

/** Access kinds (bits): what the guest tried (event) or what a registration traps. */
#define ARMVMI_MEM_R 0x1u
#define ARMVMI_MEM_W 0x2u
#define ARMVMI_MEM_X 0x4u

/**
 * Conversion watches: passed alone as the `trap` of armvmi_mem_watch_* instead of r/w/x bits;
 * also what armvmi_mem_get_access() reports for a frame not converted yet. The hypervisor
 * converts each frame once, by itself; the frame stays converted until the registration is
 * removed (watch it again to re-arm it). A conversion watch cannot share frames with another
 * registration.
 * - ARMVMI_MEM_RX2RW: the frames allow read and execute; the first write makes a frame rw
 *   (no longer executable) and goes on, with no event: the callback never runs.
 * - ARMVMI_MEM_N2RWX: the frames allow nothing; the first access of any kind makes a frame rwx
 *   and raises one asynchronous event (ARMVMI_MEMF_ASYNC: the vCPU did not wait for it, and the
 *   callback's response is ignored); later accesses raise none.
 */
#define ARMVMI_MEM_RX2RW 0x100u
#define ARMVMI_MEM_N2RWX 0x200u

/** Event flags (armvmi_mem_event.flags). */
#define ARMVMI_MEMF_S1PTW 0x1u    /**< the guest's own stage-1 table walk touched the frame */
#define ARMVMI_MEMF_GVA 0x2u      /**< gva is valid */
#define ARMVMI_MEMF_SYNDROME 0x4u /**< size, reg and sign_extend are valid */
#define ARMVMI_MEMF_VALUE 0x8u    /**< value is the value being written */
#define ARMVMI_MEMF_ASYNC 0x10u   /**< asynchronous: the vCPU did not wait; no response */
#define ARMVMI_MEMF_INHERITED                                                                      \
    0x100u /**< posted before this session attached (a fail-closed monitor's left-over):           \
              its seq is the previous session's and is not checked */

/** One memory event, as a callback sees it. Valid only during the callback. */
struct armvmi_mem_event {
    /** 1, 2, 3, ... per session, over all vCPUs, sync and async. Events of one vCPU arrive in
     *  seq order; events of different vCPUs taken at nearly the same time may arrive out of seq
     *  order (each vCPU posts in its own slot): sort by seq for a global order. */
    uint64_t seq;
    uint64_t time;        /**< the guest's CNTVCT when the event arose */
    unsigned vcpu;        /**< 0-based */
    unsigned access;      /**< ARMVMI_MEM_R, _W or _X: what the guest tried */
    uint32_t flags;       /**< ARMVMI_MEMF_* */
    uint64_t gpa;         /**< guest-physical address accessed */
    uint64_t gva;         /**< virtual address (ARMVMI_MEMF_GVA) */
    unsigned size;        /**< access size in bytes (ARMVMI_MEMF_SYNDROME) */
    unsigned reg;         /**< Xt, 31 = XZR (ARMVMI_MEMF_SYNDROME) */
    bool sign_extend;     /**< the load sign-extends (ARMVMI_MEMF_SYNDROME) */
    uint64_t value;       /**< value written (ARMVMI_MEMF_VALUE) */
    unsigned page_access; /**< what the frame allowed at the fault (ARMVMI_MEM_* bits) */
    /** The vCPU at the event: X0-X30, SP, PC, PSTATE, the EL1 translation and control
     *  registers and ESR/FAR/HPFAR_EL2 (source ARMVMI_REGS_HYP_RECORD). */
    struct armvmi_regs regs;
    int watch; /**< the registration whose callback runs (its id) */
};

/** What the vCPU does next. */
enum armvmi_mem_action {
    ARMVMI_MEM_CONTINUE = 0, /**< retry the access as the frame now allows (it may trap again) */
    ARMVMI_MEM_STEP,         /**< run this one instruction with the frame unrestricted */
    ARMVMI_MEM_SKIP,         /**< do not run the instruction: PC += 4 */
    ARMVMI_MEM_EMULATE,      /**< a read returns `value`, a write is dropped; PC += 4 */
};

/**
 * The response to a synchronous event. The callback gets one set to STEP (the access
 * happens once, as the guest wanted, and the restriction stays) with nothing else.
 * - regs: registers to set before the action (armvmi_reg_set()); only X0-X30, PC, PSTATE,
 *   SP_EL0 and SP_EL1 can be set. Any other valid register makes the response invalid.
 * - set_access: also change the frame's allowed access to new_access (ARMVMI_MEM_* bits) —
 *   this changes the frame for every registration on it, until the next watch/unwatch on it.
 * - EMULATE needs ARMVMI_MEMF_SYNDROME (the hypervisor knows the register and size).
 * An invalid response is not sent: the library sends STEP instead, counts it in
 * armvmi_events_stats.bad_responses and records why (armvmi_events_stats.last_problem).
 */
struct armvmi_mem_response {
    enum armvmi_mem_action action;
    uint64_t value;
    struct armvmi_regs regs;
    bool set_access;
    unsigned new_access;
};

/**
 * A callback: e is the event, rsp the response to fill (ignored for ARMVMI_MEMF_ASYNC).
 * Return 0 to go on listening, non-zero to make armvmi_events_listen() return after this
 * event (the response is sent first). A callback must not call armvmi_mem_watch_*,
 * armvmi_mem_unwatch or armvmi_events_close (they fail with ARMVMI_ESTATE).
 */
typedef int (*armvmi_mem_cb)(armvmi_events_t *ev, const struct armvmi_mem_event *e,
                             struct armvmi_mem_response *rsp, void *arg);

/**
 * Trap the accesses `trap` (ARMVMI_MEM_* bits, not 0; or one conversion, ARMVMI_MEM_RX2RW or
 * ARMVMI_MEM_N2RWX) to the guest frames that hold [pa, pa + len) and call cb for each. Frames are 4
 * KiB; a range is rounded out to whole frames. Registrations may overlap: a frame traps the union
 * of theirs, and an event goes to every registration that covers its address and traps its access,
 * in the order they were made. On success *id (if not NULL) names the registration for
 * armvmi_mem_unwatch. Errors: ARMVMI_EINVAL (trap 0 or unknown bits, len 0, NULL cb, a conversion
 * sharing frames with another registration), ARMVMI_EFAULT (not guest RAM, or the hypervisor's
 * carve-out), ARMVMI_EIO (the hypervisor did not complete the change), ARMVMI_ESTATE (called from a
 * callback, or a frame holds a breakpoint: the two cannot share a frame), ARMVMI_ENOMEM.
 */
int armvmi_mem_watch_pa(armvmi_events_t *ev, uint64_t pa, uint64_t len, unsigned trap,
                        armvmi_mem_cb cb, void *arg, int *id);

/** The same for one guest frame (gfn = PA >> 12). */
int armvmi_mem_watch_frame(armvmi_events_t *ev, uint64_t gfn, unsigned trap, armvmi_mem_cb cb,
                           void *arg, int *id);

/**
 * The same for the virtual range [va, va + len) of the address space ctx: every page is
 * translated with the library's walker now (armvmi_va_to_pa) and its frame is watched; events
 * are those of the frames, whatever VA the guest uses for them. A page that is not mapped
 * fails the whole call (ARMVMI_EFAULT, naming the address); pages mapped later are not
 * followed.
 */
int armvmi_mem_watch_va(armvmi_events_t *ev, const struct armvmi_tt_config *ctx, uint64_t va,
                        uint64_t len, unsigned trap, armvmi_mem_cb cb, void *arg, int *id);

/**
 * Remove registration id: its frames get back the access the remaining registrations allow.
 * Safe while events are in flight: when it returns, the hypervisor has applied the new access
 * and every event posted before that has been delivered (to this registration's callback too,
 * if it was for it); no later event reaches this registration's callback.
 * Errors: ARMVMI_ENOENT (no such registration), ARMVMI_EIO, ARMVMI_ESTATE (from a callback),
 * and those of armvmi_events_listen while draining.
 */
int armvmi_mem_unwatch(armvmi_events_t *ev, int id);

/**
 * The access guest frame gfn allows now, as the hypervisor's permission store holds it: *access
 * is ARMVMI_MEM_* bits (7: unrestricted), or ARMVMI_MEM_RX2RW / ARMVMI_MEM_N2RWX for a frame of a
 * conversion watch that has not converted yet. It may change at any moment while the guest runs
 * (conversions, other vCPUs' responses).
 * Errors: ARMVMI_EINVAL (NULL argument), ARMVMI_EFAULT (not guest RAM, or the carve-out),
 * ARMVMI_EFORMAT (the hypervisor answered a value abi.h does not have), ARMVMI_EIO,
 * ARMVMI_ESTATE (called from a callback).
 */
int armvmi_mem_get_access(armvmi_events_t *ev, uint64_t gfn, unsigned *access);

/**
 * Deliver events for up to timeout_ms milliseconds (0: only what is there now; negative: until
 * a callback asks to stop or armvmi_events_interrupt). Synchronous events are answered with
 * their callback's response; an event no registration wants (posted just before an unwatch
 * took effect, or left by a previous fail-closed monitor) is answered CONTINUE with the frame
 * set to what the registrations allow, and counted in stats.unclaimed.
 * Returns the number of events taken from the channel (delivered, unclaimed or corrupt; >= 0),
 * or a negative error: ARMVMI_EINTR
 * (armvmi_events_interrupt), ARMVMI_EFORMAT (the channel is corrupt: the message says what),
 * ARMVMI_ESTATE (the hypervisor ended the session, e.g. it declared the monitor gone).
 */
int armvmi_events_listen(armvmi_events_t *ev, int timeout_ms);

/** Make a running or later armvmi_events_listen() return ARMVMI_EINTR (async-signal-safe). */
void armvmi_events_interrupt(armvmi_events_t *ev);

/* ---- single-step and breakpoints ---- */

/** One stepped instruction: the vCPU is about to run the instruction at regs PC. */
struct armvmi_step_event {
    uint64_t seq, time;
    unsigned vcpu;
    uint64_t count;          /**< steps of this vCPU since stepping was turned on (events or not) */
    struct armvmi_regs regs; /**< the state before the next instruction */
    /** ARMVMI_STEPE_EXCL: this step ran a whole exclusive load/store sequence, from the previous
     * event's PC (a load-exclusive) to this PC (after its store-exclusive, or a branch out of
     * it), which single steps could never complete (abi.h: ARMVMI_EVF_STEP_EXCL). */
    unsigned flags;
};
#define ARMVMI_STEPE_EXCL 0x1u

/** armvmi_step_start flags. */
#define ARMVMI_STEP_IRQS 0x1u /**< let virtual interrupts in between steps (default: held) */
#define ARMVMI_STEP_EL0 0x2u  /**< events only at EL0 (not stepped in the kernel: see below) */

/**
 * A step callback: set *stop to stop stepping this vCPU from here. Return non-zero to make
 * armvmi_events_listen() return after this event.
 */
typedef int (*armvmi_step_cb)(armvmi_events_t *ev, const struct armvmi_step_event *e, bool *stop,
                              void *arg);

/**
 * Single-step the vCPUs of vcpu_mask (bit i: vCPU i): every instruction they run raises an event
 * (cb), only those at EL0 with ARMVMI_STEP_EL0, only those of the address space whose stage-1
 * table base is ttbr0 (ASID bits ignored; 0: any). The hypervisor steps with MDCR_EL2.TDE and
 * the software-step state machine, invisibly to the guest's own MDSCR_EL1 and debuggers; an
 * instruction that traps elsewhere (an exception, a memory event) ends its step cleanly and
 * stepping goes on at the next one. No virtual interrupt reaches a stepped vCPU unless
 * ARMVMI_STEP_IRQS: a kernel that waits for one (idle) spins in its idle loop meanwhile. With
 * ARMVMI_STEP_EL0 interrupts are held only at EL0: the process's steps are never interrupted
 * but by its own system calls and faults (a process that makes none, stepped for tens of seconds,
 * then holds its vCPU's timer: the guest logs a soft lockup; ARMVMI_STEP_IRQS avoids it: its
 * interrupts are taken at EL0 and the kernel returns to the interrupted instruction); stepping
 * stops at the process's first instruction in the kernel (which runs unstepped: it can wait and
 * idle) and resumes exactly at the instruction the kernel returns to (the hypervisor's breakpoint
 * at ELR_EL1), or, when it returns elsewhere (a signal handler), at the first exit that finds the
 * vCPU back at EL0 in that address space (a gap in the trace). With ttbr0, stepping is armed on a
 * vCPU at its first exit while that address space runs there. Stepping starts before an instruction
 * runs: a vCPU's first event is at the PC where it was when stepping began (or where the process
 * comes back to), so every instruction it runs has an event. One step registration per session; a
 * new call replaces it. Errors: ARMVMI_EINVAL (mask 0 or beyond the vCPUs, unknown flags, ttbr0 not
 * a table base), ARMVMI_ESTATE (from a callback), ARMVMI_EIO.
 */
int armvmi_step_start(armvmi_events_t *ev, uint64_t vcpu_mask, unsigned flags, uint64_t ttbr0,
                      armvmi_step_cb cb, void *arg);

/** Stop stepping the vCPUs of vcpu_mask; step events still in flight are answered silently. */
int armvmi_step_stop(armvmi_events_t *ev, uint64_t vcpu_mask);

/** A hit of one of our breakpoints. */
struct armvmi_break_event {
    uint64_t seq, time;
    unsigned vcpu;
    int id;        /**< the registration (armvmi_break_*'s *id) */
    uint64_t hits; /**< its hits so far, this one included */
    uint64_t pc;   /**< the breakpoint's virtual address as this vCPU ran it */
    uint64_t gpa;  /**< its guest-physical address */
    struct armvmi_regs regs;
};

/** What the vCPU does after a breakpoint hit. */
enum armvmi_break_action {
    ARMVMI_BREAK_CONTINUE = 0, /**< run the original instruction, the breakpoint stays */
    ARMVMI_BREAK_SKIP,         /**< do not run it: PC += 4 */
};

/** The response to a hit; the callback gets CONTINUE with no registers. regs as in
 *  armvmi_mem_response (X0-X30, PC, PSTATE, SP_EL0, SP_EL1); a new PC goes on there. */
struct armvmi_break_response {
    enum armvmi_break_action action;
    struct armvmi_regs regs;
    bool step; /**< single-step this vCPU from here (needs an armvmi_step_start callback) */
};

typedef int (*armvmi_break_cb)(armvmi_events_t *ev, const struct armvmi_break_event *e,
                               struct armvmi_break_response *rsp, void *arg);

/**
 * A breakpoint at the instruction at guest-physical pa (4-aligned): the hypervisor writes a
 * BRK into a private copy of the frame that stage 2 maps execute-only, while the guest's reads
 * and writes of the frame see the original (stealthy; the guest's own BRKs still reach it).
 * Hits in address spaces other than ttbr0's (a stage-1 table base; 0: any) are stepped over
 * without an event. *id (if not NULL) names it for armvmi_break_clear.
 * Errors: ARMVMI_EINVAL (pa not 4-aligned, NULL cb), ARMVMI_EFAULT (not guest RAM), ARMVMI_ENOMEM
 * (the hypervisor's 64 breakpoints or 16 frames are used), ARMVMI_ESTATE (also: the frame is
 * watched, armvmi_mem_watch_*: a breakpoint and a memory watch cannot share a frame), ARMVMI_EIO
 * (also: a vCPU did not take the debug trap within 1 s; nothing was set).
 */
int armvmi_break_pa(armvmi_events_t *ev, uint64_t pa, uint64_t ttbr0, armvmi_break_cb cb, void *arg,
                    int *id);

/**
 * The same at virtual address va of the address space ctx, translated now by the library's
 * walker. only_this_space: hits count only with ctx's TTBR0 (a process's breakpoint in a page
 * shared with others, e.g. a library); a kernel address (TTBR1) leaves it to any. The
 * breakpoint follows va: armvmi_events_listen translates it again every 100 ms and, when the
 * guest maps another frame there (a copy-on-write, such as the private copy its own uprobe
 * gives the process), moves the breakpoint to that frame; hits in between are not seen. When
 * that address space is gone (the process exited: its tables are freed, and may be reused for
 * anything), clear the breakpoint: the library cannot tell freed tables from live ones.
 * Errors: those of armvmi_break_pa, ARMVMI_EFAULT (va not mapped).
 */
int armvmi_break_va(armvmi_events_t *ev, const struct armvmi_tt_config *ctx, uint64_t va,
                    bool only_this_space, armvmi_break_cb cb, void *arg, int *id);

/** Remove breakpoint id: the frame's original bytes and mapping are back when it returns; hits
 *  in flight are answered CONTINUE. Errors: ARMVMI_ENOENT, ARMVMI_ESTATE, ARMVMI_EIO. */
int armvmi_break_clear(armvmi_events_t *ev, int id);

/** Counters the hypervisor keeps for these, since this session attached: the guest's own debug
 *  exceptions handed back to it (BRK, steps, breakpoints, watchpoints) and steps/hits filtered
 *  out without an event. */
int armvmi_events_debug_counts(armvmi_events_t *ev, uint64_t *reinjected, uint64_t *filtered);

/* ---- register-write events and SMC/HVC events ---- */

/*
 * Writes of the guest's EL1 to SCTLR_EL1, TTBR0_EL1, TTBR1_EL1, TCR_EL1, MAIR_EL1 and
 * CONTEXTIDR_EL1 (the hypervisor traps them with HCR_EL2.TVM while any is watched, and filters
 * them itself: the guest pays an exit per write of the whole TVM group, but an event only for
 * the writes asked for). VBAR_EL1 needs FEAT_FGT, which the hypervisor does not use:
 * ARMVMI_ENOTSUP. Note that a kernel with KPTI writes TTBR1_EL1 on every entry from EL0.
 */

/** armvmi_reg_watch flags */
#define ARMVMI_REGW_ALL 0x1u /**< every write, also one that leaves the masked bits unchanged */

/** One register-write event. Valid only during the callback. */
struct armvmi_reg_event {
    uint64_t seq, time;      /**< as armvmi_mem_event's */
    unsigned vcpu;           /**< 0-based */
    enum armvmi_reg reg;     /**< ARMVMI_REG_SCTLR_EL1 ... ARMVMI_REG_CONTEXTIDR_EL1 */
    unsigned rt;             /**< the MSR's source register, 31 = XZR */
    uint64_t old_value;      /**< the register before the write */
    uint64_t new_value;      /**< the value the guest writes */
    struct armvmi_regs regs; /**< the vCPU at the write (PC = the MSR) */
    int watch;               /**< the registration (its id) */
};

/** What happens to the write. */
enum armvmi_reg_action {
    ARMVMI_REGW_CONTINUE = 0, /**< the write takes effect, the guest goes on after the MSR */
    ARMVMI_REGW_DENY,         /**< the write is discarded (the register keeps old_value) */
};

/** The response: preset to CONTINUE. regs as in armvmi_mem_response (X0-X30, PC, PSTATE,
 *  SP_EL0, SP_EL1; a new PC is where the guest goes on instead of after the MSR). */
struct armvmi_reg_response {
    enum armvmi_reg_action action;
    struct armvmi_regs regs;
    bool step; /**< single-step this vCPU from here (needs an armvmi_step_start callback) */
};

typedef int (*armvmi_reg_cb)(armvmi_events_t *ev, const struct armvmi_reg_event *e,
                             struct armvmi_reg_response *rsp, void *arg);

/**
 * Call cb for the guest's writes to register reg (one of the six above) that change a bit of
 * mask (or every write with ARMVMI_REGW_ALL). One registration per register. *id (if not NULL)
 * names it for armvmi_reg_unwatch. Errors: ARMVMI_EINVAL (another register, mask 0, unknown
 * flags, NULL cb), ARMVMI_ENOTSUP (VBAR_EL1), ARMVMI_ESTATE (the register is already watched,
 * or called from a callback), ARMVMI_EIO, ARMVMI_ENOMEM.
 */
int armvmi_reg_watch(armvmi_events_t *ev, enum armvmi_reg reg, uint64_t mask, unsigned flags,
                     armvmi_reg_cb cb, void *arg, int *id);

/** The calls of armvmi_call_watch (bits). */
#define ARMVMI_CALL_SMC 0x1u
#define ARMVMI_CALL_HVC 0x2u

/** One SMC or HVC from the guest's EL1. Valid only during the callback. */
struct armvmi_call_event {
    uint64_t seq, time;
    unsigned vcpu;
    unsigned kind;           /**< ARMVMI_CALL_SMC or ARMVMI_CALL_HVC */
    unsigned imm;            /**< the instruction's 16-bit immediate */
    uint64_t x[8];           /**< x0-x7: the SMCCC function id and arguments */
    struct armvmi_regs regs; /**< the vCPU at the call (PC = the SMC/HVC instruction) */
    int watch;
};

enum armvmi_call_action {
    ARMVMI_CALL_CONTINUE = 0, /**< served as without a monitor (PSCI, SMCCC...), PC advanced */
    ARMVMI_CALL_ANSWER,       /**< not served: x0-x3 = rsp->x[0..3], PC advanced */
    ARMVMI_CALL_SKIP,         /**< not served, registers unchanged, PC advanced */
};

/** The response: preset to CONTINUE. regs are set first (they may change the arguments). */
struct armvmi_call_response {
    enum armvmi_call_action action;
    uint64_t x[4];
    struct armvmi_regs regs;
    bool step; /**< single-step this vCPU from here (needs an armvmi_step_start callback) */
};

typedef int (*armvmi_call_cb)(armvmi_events_t *ev, const struct armvmi_call_event *e,
                              struct armvmi_call_response *rsp, void *arg);

/**
 * Call cb for the guest's SMCs and/or HVCs (kinds: ARMVMI_CALL_* bits). One registration per
 * kind. Errors: ARMVMI_EINVAL (kinds 0 or unknown bits, NULL cb), ARMVMI_ESTATE (a kind already
 * watched, or from a callback), ARMVMI_EIO, ARMVMI_ENOMEM.
 */
int armvmi_call_watch(armvmi_events_t *ev, unsigned kinds, armvmi_call_cb cb, void *arg, int *id);

/**
 * Remove a register or call registration: when it returns, the hypervisor no longer raises its
 * events (with no register watched, HCR_EL2.TVM is off again) and every event posted before has
 * been delivered. Errors: ARMVMI_ENOENT, ARMVMI_ESTATE (from a callback), ARMVMI_EIO.
 */
int armvmi_regcall_unwatch(armvmi_events_t *ev, int id);

/** Counters of a session. */
struct armvmi_events_stats {
    uint64_t events;        /**< delivered to callbacks (sync + async) */
    uint64_t async_events;  /**< of which asynchronous */
    uint64_t unclaimed;     /**< answered CONTINUE: no registration wanted them */
    uint64_t seq_gaps;      /**< sequence numbers never seen although later ones were */
    uint64_t seq_dups;      /**< sequence numbers seen twice */
    uint64_t bad_events;    /**< events rejected as corrupt (answered CONTINUE when possible) */
    uint64_t bad_responses; /**< invalid responses replaced by STEP */
    uint64_t last_seq;      /**< highest sequence number seen */
    uint64_t async_dropped; /**< the hypervisor's count of asynchronous events it dropped */
    uint64_t hyp_errors;    /**< the hypervisor's count of monitor input it rejected */
    uint64_t hyp_last_error;
    bool doorbell;          /**< waiting uses the doorbell device */
    char last_problem[256]; /**< the last gap, duplicate or bad event/response, in words */
};

/** Fill *st. */
int armvmi_events_stats(armvmi_events_t *ev, struct armvmi_events_stats *st);

/** The number of vCPUs the hypervisor reports in the channel. */
unsigned armvmi_events_vcpus(armvmi_events_t *ev);

/** The frequency of the event time stamps (the guest's CNTFRQ, Hz). */
uint64_t armvmi_events_cntfrq(armvmi_events_t *ev);

#ifdef __cplusplus
}
#endif
#endif
