/* SPDX-License-Identifier: MIT */
/* Exceptions injected into the guest at EL1 (arch/inject.c), and stepping over a trapped
 * instruction. */
#ifndef HYP_INJECT_H
#define HYP_INJECT_H

#include <hyp/types.h>
#include <hyp/arch.h>
#include <hyp/frame.h>

void inject_undef(struct trap_frame *f);
void inject_sync(struct trap_frame *f, u64 esr, bool set_far, u64 far);
void inject_dabt(struct trap_frame *f, u64 far);
void inject_iabt(struct trap_frame *f, u64 far);

/* Resume after the trapped instruction, 4 or 2 bytes long as ESR_EL2.IL says. */
static inline void inject_skip_insn(struct trap_frame *f, u64 esr)
{
    f->elr += (esr & ESR_IL) ? 4 : 2;
}

#endif
