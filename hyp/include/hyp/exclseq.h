/* SPDX-License-Identifier: MIT */
/* Exclusive load/store sequences run at once by the monitor's single-step (arch/exclseq.c). */
#ifndef HYP_EXCLSEQ_H
#define HYP_EXCLSEQ_H

#include <hyp/types.h>
#include <hyp/frame.h>

struct vcpu;

#define EXCLSEQ_MAX 16 /* instructions scanned from the load-exclusive (as GDB does) */

/* A sequence from a load-exclusive at `start` to its store-exclusive at `store`: it leaves at
 * store + 4 (exit[0]) or at the target of a conditional branch out of [start, store] (exit[1],
 * 0 if none). */
struct exclseq {
    u64 start, store;
    u64 exit[2];
    bool el1; /* the sequence runs at EL1 (else EL0) */
};

/* Decode insn[0..n) (the words from PC `pc` on): true and *s filled if insn[0] is a
 * load-exclusive whose sequence ends within n words with a store-exclusive, with no
 * unconditional branch, exception-generating or system instruction (but barriers and hints),
 * other load-exclusive or second distinct branch-out target before it. Pure (unit-testable). */
bool exclseq_decode(const u32 *insn, unsigned n, u64 pc, struct exclseq *s);

/* At an entry of a stepped vCPU about to run the instruction at f->elr: if it starts an
 * exclusive sequence (read through the guest's stage 1), place the hardware breakpoints at its
 * exits (rbp.c's pairs) and return true: the vCPU then runs it unstepped. False: step as usual
 * (not a sequence, not readable, or the pairs are the guest's). */
bool exclseq_start(struct vcpu *v, const struct trap_frame *f, struct exclseq *s);
/* Whether the vCPU (at an exit) is still inside the sequence (its PC in [start, store], at its
 * EL). */
bool exclseq_inside(const struct exclseq *s, const struct trap_frame *f);
/* Whether a breakpoint exception at f->elr is one of the sequence's exits. */
bool exclseq_hit(const struct vcpu *v, const struct exclseq *s, const struct trap_frame *f);
/* Give the breakpoints back (at the end of the sequence, or when it is abandoned). */
void exclseq_end(struct vcpu *v);

#endif
