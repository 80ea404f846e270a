/* SPDX-License-Identifier: MIT */
/* EL2 exception vectors: save the guest trap frame on the EL2 stack, call C, restore, ERET. */

#include <hyp/frame.h>

.macro save_frame
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	stp	x6, x7, [sp, #FRAME_X(6)]
	stp	x8, x9, [sp, #FRAME_X(8)]
	stp	x10, x11, [sp, #FRAME_X(10)]
	stp	x12, x13, [sp, #FRAME_X(12)]
	stp	x14, x15, [sp, #FRAME_X(14)]
	stp	x16, x17, [sp, #FRAME_X(16)]
	stp	x18, x19, [sp, #FRAME_X(18)]
	stp	x20, x21, [sp, #FRAME_X(20)]
	stp	x22, x23, [sp, #FRAME_X(22)]
	stp	x24, x25, [sp, #FRAME_X(24)]
	stp	x26, x27, [sp, #FRAME_X(26)]
	stp	x28, x29, [sp, #FRAME_X(28)]
	mrs	x0, elr_el2
	stp	x30, x0, [sp, #FRAME_X(30)]	/* x30, ELR_EL2 */
	mrs	x0, spsr_el2
	str	x0, [sp, #FRAME_SPSR]
.endm

/* Arm ARM D1.10.2: vector table is 2KB aligned, 16 entries of 0x80 bytes. */
.macro ventry handler, kind
	.balign 0x80
	save_frame
	mov	x0, sp
	mov	x1, #\kind
	b	\handler
.endm

	.text
	.balign 0x800
	.global hyp_vectors
hyp_vectors:
	ventry	hyp_self_trap, TRAP_SYNC	/* current EL, SP_EL0 */
	ventry	hyp_self_trap, TRAP_IRQ
	ventry	hyp_self_trap, TRAP_FIQ
	ventry	hyp_self_trap, TRAP_SERROR
	ventry	hyp_self_trap, TRAP_SYNC	/* current EL, SP_ELx */
	ventry	hyp_self_trap, TRAP_IRQ
	ventry	hyp_self_trap, TRAP_FIQ
	ventry	hyp_self_trap, TRAP_SERROR
	ventry	guest_trap_a64, TRAP_SYNC	/* lower EL, AArch64 */
	ventry	guest_trap_a64, TRAP_IRQ
	ventry	guest_trap_a64, TRAP_FIQ
	ventry	guest_trap_a64, TRAP_SERROR
	/* Lower EL using AArch32: chosen by the state of EL1, not EL0 (Arm ARM D1.10.2), and
	 * HCR_EL2.RW = 1 keeps EL1 AArch64, so AArch32 EL0 traps arrive at the entries above. */
	ventry	hyp_self_trap, TRAP_SYNC
	ventry	hyp_self_trap, TRAP_IRQ
	ventry	hyp_self_trap, TRAP_FIQ
	ventry	hyp_self_trap, TRAP_SERROR

guest_trap_a64:
	bl	hyp_trap
	mov	x0, sp
	/* fall through */

	.global guest_enter
guest_enter:
	mov	sp, x0
	ldr	x0, [sp, #FRAME_ELR]
	msr	elr_el2, x0
	ldr	x0, [sp, #FRAME_SPSR]
	msr	spsr_el2, x0
	ldp	x2, x3, [sp, #FRAME_X(2)]
	ldp	x4, x5, [sp, #FRAME_X(4)]
	ldp	x6, x7, [sp, #FRAME_X(6)]
	ldp	x8, x9, [sp, #FRAME_X(8)]
	ldp	x10, x11, [sp, #FRAME_X(10)]
	ldp	x12, x13, [sp, #FRAME_X(12)]
	ldp	x14, x15, [sp, #FRAME_X(14)]
	ldp	x16, x17, [sp, #FRAME_X(16)]
	ldp	x18, x19, [sp, #FRAME_X(18)]
	ldp	x20, x21, [sp, #FRAME_X(20)]
	ldp	x22, x23, [sp, #FRAME_X(22)]
	ldp	x24, x25, [sp, #FRAME_X(24)]
	ldp	x26, x27, [sp, #FRAME_X(26)]
	ldp	x28, x29, [sp, #FRAME_X(28)]
	ldr	x30, [sp, #FRAME_X(30)]
	ldp	x0, x1, [sp, #FRAME_X(0)]
	add	sp, sp, #FRAME_SIZE
	eret
