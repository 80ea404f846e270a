/* SPDX-License-Identifier: MIT */
/* Bare-metal EL1 test guest: Linux Image header, entry, and an EL1 vector table that records exceptions. */

	.section .text.head, "ax"
	.global _head
_head:
	b	start			/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	_end - _head		/* image_size */
	.quad	0xa			/* flags: LE, 4K pages, anywhere */
	.quad	0, 0, 0
	.ascii	"ARM\x64"		/* magic (Documentation/arm64/booting.rst) */
	.long	0

start:
	adrp	x1, stack0_top
	add	x1, x1, :lo12:stack0_top
	mov	sp, x1
	adrp	x1, el1_vectors
	add	x1, x1, :lo12:el1_vectors
	msr	vbar_el1, x1
	isb
	bl	tg_main
1:	wfi
	b	1b

	.global secondary_start
secondary_start:
	adrp	x1, stack1_top
	add	x1, x1, :lo12:stack1_top
	mov	sp, x1
	adrp	x1, el1_vectors
	add	x1, x1, :lo12:el1_vectors
	msr	vbar_el1, x1
	isb
	bl	tg_secondary
1:	wfi
	b	1b

/* Any exception: record ESR/FAR/ELR, count it, and resume after the faulting instruction
 * (or at x30 for an instruction abort, whose ELR is the unreachable target itself). */
	.balign	0x800
el1_vectors:
	.rept	16
	.balign	0x80
	b	record
	.endr

record:
	adrp	x9, tg_exc
	add	x9, x9, :lo12:tg_exc
	mrs	x10, esr_el1
	str	x10, [x9, #0]
	mrs	x10, far_el1
	str	x10, [x9, #8]
	mrs	x10, elr_el1
	str	x10, [x9, #16]
	ldr	x10, [x9, #24]
	add	x10, x10, #1
	str	x10, [x9, #24]
	mrs	x10, esr_el1
	lsr	x10, x10, #26
	cmp	x10, #0x21
	b.eq	1f
	mrs	x10, elr_el1
	add	x10, x10, #4
	msr	elr_el1, x10
	eret
1:	msr	elr_el1, x30
	eret

	.bss
	.balign	16
	.space	8192
stack0_top:
	.space	8192
stack1_top:
