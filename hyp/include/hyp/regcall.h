/* SPDX-License-Identifier: MIT */
/* Register-write events (HCR_EL2.TVM, arch/regevent.c) and SMC/HVC events (arch/callevent.c):
 * the monitor's subscriptions, the trapped writes and calls, and their responses. */
#ifndef HYP_REGCALL_H
#define HYP_REGCALL_H

#include <hyp/types.h>
#include <hyp/frame.h>

struct vcpu;

/* ARMVMI_CMD_REG_TRAP / ARMVMI_CMD_CALL_TRAP: an ARMVMI_CMDS_* status. */
u32 regevent_cmd(u64 sysreg, u64 mask, u64 flags);
u32 callevent_cmd(u64 calls);
/* The session ended (DETACH, fail-open): every subscription removed, TVM off everywhere. */
void regcall_reset(void);
void regevent_reset(void);
/* Before every return to the guest: this CPU's HCR_EL2.TVM as the subscriptions want it. */
void regevent_enter(void);
/* A trapped MSR of the TVM group (EC 0x18, a write): true if it was one and has been handled. */
bool regevent_sysreg(struct trap_frame *f, u64 esr);
/* An HVC (ELR after it) or a trapped SMC (ELR at it): the event if the monitor asked for it,
 * then the call served as without a monitor unless answered. */
void callevent_call(struct trap_frame *f, u64 esr, bool smc);

#endif
