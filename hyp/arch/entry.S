/* SPDX-License-Identifier: MIT */
/* EL2 entry for the boot CPU (from QEMU) and secondaries (from PSCI CPU_ON): stack, vectors, C. */
#include <armvmi/abi.h>
#include <hyp/frame.h>

#define STACK_SIZE 0x4000

	.section .text.boot, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_el2
	/* Zero BSS once, on the boot CPU. */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, #0
	b	cpu_common

	/* PSCI CPU_ON target: x0 = context id = physical CPU index. */
	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	b	cpu_common

cpu_common:
	/* sp = top of this CPU's stack, minus room for the guest trap frame. */
	adrp	x3, hyp_stacks
	add	x3, x3, :lo12:hyp_stacks
	mov	x2, #STACK_SIZE
	madd	x1, x0, x2, x2
	add	x1, x1, x3
	sub	x1, x1, #FRAME_SIZE
	mov	sp, x1
	adrp	x2, hyp_vectors
	add	x2, x2, :lo12:hyp_vectors
	msr	vbar_el2, x2
	isb
	mov	x1, sp
	bl	hyp_main
not_el2:
	wfe
	b	not_el2

	.bss
	.balign 4096
	.global hyp_stacks
hyp_stacks:
	.space STACK_SIZE * ARMVMI_MAX_VCPUS
