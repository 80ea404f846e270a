/* SPDX-License-Identifier: MIT */
/* Exits to EL2: dispatch by exception class (arch/trap.c) and decoded trap reports
 * (arch/trap_report.c). */
#ifndef HYP_TRAP_H
#define HYP_TRAP_H

#include <hyp/types.h>
#include <hyp/frame.h>

/* Called by arch/vectors.S with the saved frame and a TRAP_* kind. */
void hyp_trap(struct trap_frame *f, u64 kind);
void hyp_self_trap(struct trap_frame *f, u64 kind) __attribute__((noreturn));

/* Print ESR_EL2, FAR_EL2, HPFAR_EL2 and ELR_EL2 decoded; reports of guest exits are capped. */
void trap_report(const char *why, struct trap_frame *f, u64 esr);
/* Takes one report from the budget; false once it is spent. */
bool trap_report_allowed(void);

#endif
