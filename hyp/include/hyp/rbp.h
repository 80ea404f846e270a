/* SPDX-License-Identifier: MIT */
/* The reserved hardware breakpoint (arch/rbp.c): the last DBGBVR<n>/DBGBCR<n> pair of each CPU,
 * which the hypervisor borrows (EL0 only) while the guest does not use it itself. */
#ifndef HYP_RBP_H
#define HYP_RBP_H

#include <hyp/types.h>

struct vcpu;

/*
 * Called while MDCR_EL2.TDE is on, last before the guest is entered: va != 0 puts our breakpoint
 * at EL0 address va (the guest's values of the pair are kept aside), 0 gives the pair back to
 * the guest. Returns whether ours is in the hardware: then MDSCR_EL1.MDE must be 1. False if
 * the guest enables that pair itself (counted in rbp_fallbacks, said once on the console).
 */
bool rbp_sync(struct vcpu *v, u64 va);
/* The same for pair `pair` (0: the last breakpoint, the one rbp_sync uses; 1: the one before
 * it), matching at EL1 (el1) or EL0. False also if the CPU has no such pair. */
#define RBP_PAIRS 2
bool rbp_sync_pair(struct vcpu *v, unsigned pair, u64 va, bool el1);
bool rbp_hit_pair(const struct vcpu *v, unsigned pair, u64 pc);
/* Whether a breakpoint exception at EL0 address pc is ours (this CPU holds pair 0 at pc, EL0). */
bool rbp_hit(const struct vcpu *v, u64 pc);
/* A trapped access to DBGBVR<n>/DBGBCR<n> (op2 4 or 5): true if it was the reserved pair while
 * we hold it, served from the guest's kept values. */
bool rbp_access(const struct vcpu *v, unsigned n, unsigned op2, bool rd, u64 *val);
/* A CPU (re)started: the pair is the guest's again. */
void rbp_reset(struct vcpu *v);
/* How often the guest's own use of the pair made us fall back (a stepped process's return to
 * EL0 then found at the next exit instead). */
extern volatile u64 rbp_fallbacks;

#endif
