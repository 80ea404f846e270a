/* SPDX-License-Identifier: MIT */
/* EL2 exception vectors: save the guest trap frame on the EL2 stack, call C, restore, ERET. */

#define REGS_SIZE 272
#define TRAP_SYNC 0
#define TRAP_IRQ 1
#define TRAP_FIQ 2
#define TRAP_SERROR 3

.macro save_frame
	sub	sp, sp, #REGS_SIZE
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x0, elr_el2
	stp	x30, x0, [sp, #240]
	mrs	x0, spsr_el2
	str	x0, [sp, #256]
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
	ldr	x0, [sp, #248]
	msr	elr_el2, x0
	ldr	x0, [sp, #256]
	msr	spsr_el2, x0
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #REGS_SIZE
	eret
