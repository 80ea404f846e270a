/* SPDX-License-Identifier: MIT */
/* The assembly entry points (arch/entry.S, arch/vectors.S, arch/smc.S) and the C they call. */
#ifndef HYP_ENTRY_H
#define HYP_ENTRY_H

#include <hyp/types.h>
#include <hyp/frame.h>

/* arch/entry.S: PSCI CPU_ON target for the other CPUs (context id = CPU index). */
extern char secondary_entry[];

/* core/main.c, called by arch/entry.S on each CPU with its stack and its empty trap frame. */
void hyp_main(u64 cpu, struct trap_frame *frame) __attribute__((noreturn));

/* arch/vectors.S: VBAR_EL2, and the way into the guest from a trap frame. */
extern char hyp_vectors[];
void guest_enter(struct trap_frame *f) __attribute__((noreturn));

/* arch/smc.S: SMCCC call to firmware (QEMU's PSCI), returns x0. */
u64 smc_call(u64 fid, u64 a1, u64 a2, u64 a3);

#endif
