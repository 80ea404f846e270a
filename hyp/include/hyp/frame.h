/* SPDX-License-Identifier: MIT */
/* The trap frame arch/vectors.S saves on the EL2 stack: one layout for the assembly and for C. */
#ifndef HYP_FRAME_H
#define HYP_FRAME_H

/* Byte offsets: x0..x30, ELR_EL2, SPSR_EL2, then a pad that keeps SP 16-byte aligned. */
#define FRAME_X(n) ((n)*8)
#define FRAME_ELR 248
#define FRAME_SPSR 256
#define FRAME_SIZE 272

/* The exception taken, by its place in a group of four vectors (Arm ARM D1.10.2); the second
 * argument of hyp_trap() and hyp_self_trap(). */
#define TRAP_SYNC 0
#define TRAP_IRQ 1
#define TRAP_FIQ 2
#define TRAP_SERROR 3

#ifndef __ASSEMBLER__
#include <hyp/types.h>

struct trap_frame {
    u64 x[31];
    u64 elr;
    u64 spsr;
    u64 pad;
};

_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "FRAME_SIZE is not the trap frame's");
_Static_assert(FRAME_SIZE % 16 == 0, "SP must stay 16-byte aligned");
_Static_assert(__builtin_offsetof(struct trap_frame, x[30]) == FRAME_X(30), "FRAME_X is off");
_Static_assert(__builtin_offsetof(struct trap_frame, elr) == FRAME_ELR, "FRAME_ELR is off");
_Static_assert(__builtin_offsetof(struct trap_frame, spsr) == FRAME_SPSR, "FRAME_SPSR is off");
_Static_assert(FRAME_ELR == FRAME_X(30) + 8, "vectors.S stores x30 and ELR_EL2 with one stp");
#endif

#endif
