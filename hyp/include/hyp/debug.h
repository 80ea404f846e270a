/* SPDX-License-Identifier: MIT */
/* Debug traps (arch/debug.c): MDCR_EL2.TDE per vCPU while something needs it, the guest's debug
 * registers emulated meanwhile, its own debug exceptions handed back, single-step events. */
#ifndef HYP_DEBUG_H
#define HYP_DEBUG_H

#include <hyp/types.h>
#include <hyp/frame.h>
#include <armvmi/abi.h>

struct vcpu;

/* Around every exit (trap.c): debug_exit at its start, debug_enter last before the return to
 * the guest (TDE, MDSCR_EL1.SS, SPSR_EL2.SS and the interrupt hold applied there). */
void debug_exit(struct vcpu *v, struct trap_frame *f, u64 kind, u64 esr);
void debug_enter(struct vcpu *v, struct trap_frame *f);

/* Exit handlers: software step (EC 0x32), BRK (0x3c), hardware breakpoint (0x30) and watchpoint
 * (0x34) from the guest. */
void debug_softstep(struct trap_frame *f, u64 esr);
void debug_guest_exception(struct trap_frame *f, u64 esr);
/* A trapped MSR/MRS of a debug register (TDE makes TDA/TDOSA/TDRA act as 1): true if emulated
 * (the PC is advanced by the caller). */
bool debug_sysreg(struct trap_frame *f, u64 esr);

/* DBGBVR<n>/DBGBCR<n> (op2 4, 5), DBGWVR<n>/DBGWCR<n> (op2 6, 7) in the hardware: false if
 * that register is not implemented. */
bool debug_bp_reg(unsigned n, unsigned op2, bool rd, u64 *val);

/* Hand a debug exception of the guest back to it at EL1, as it would have taken it. */
void debug_reinject(struct trap_frame *f, u64 esr);

/*
 * One instruction run by the hypervisor's own single-step with every other vCPU held (a memory
 * event's STEP, a breakpoint's step-over): done(v, arg) runs when it has been executed, or
 * when it ended otherwise (an exception taken, another fault: debug_once_end). mask_debug:
 * the guest's own hardware breakpoints and watchpoints do not fire meanwhile. False (nothing
 * done) if this vCPU is already in one: it owns the hold, so nesting would wait for itself.
 */
typedef void (*debug_done_fn)(struct vcpu *v, u64 arg);
bool debug_once(struct vcpu *v, struct trap_frame *f, debug_done_fn done, u64 arg, bool mask_debug);
bool debug_once_active(const struct vcpu *v);
/* A CPU (re)started by PSCI CPU_ON or at boot: cpu_init_el2 cleared MDCR_EL2.TDE, so the
 * per-CPU mirror starts again from nothing (the monitor's step request is kept). */
void debug_cpu_init(struct vcpu *v);
void debug_once_end(struct vcpu *v);

/* ARMVMI_CMD_STEP (arg0 vCPU mask, arg1 on/off, arg2 ARMVMI_STEPF_*, arg3 TTBR0 filter). */
u32 debug_cmd_step(const struct armvmi_abi_cmd *k);
/* RSPF_STEP_ON / RSPF_STEP_OFF of any event's response, for the vCPU that waited. */
void debug_rsp_flags(struct vcpu *v, u32 flags);
/* Breakpoints exist: every vCPU needs TDE (brkevent.c). Returns once each running vCPU has it,
 * false if one did not within 1 s (it could take our BRK: no breakpoint may be placed). */
bool debug_need_all(bool on);
/* End of a session: every monitor step and hold off. */
void debug_reset(void);

#endif
