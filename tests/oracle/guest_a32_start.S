/* SPDX-License-Identifier: MIT */
/* guest_a32_start.S — entry of the AArch32 oracle program (Hyp mode): stack, HVBAR, main, PSCI. */
    .syntax unified
    .arm
    .section .text.start, "ax"
    .global _start
_start:
    ldr sp, =stack_top
    ldr r0, =hyp_vectors
    mcr p15, 4, r0, c12, c0, 0      /* HVBAR */
    isb
    bl oracle_main
off:
    /* PSCI SYSTEM_OFF: SMC when the board has EL2, else HVC */
    ldr r0, =0x84000008
    mrs r1, cpsr
    and r1, r1, #0x1f
    cmp r1, #0x1a
    bne 1f
    smc #0
1:  hvc #0
2:  wfi
    b 2b

/* Arm ARM G?: a synchronous External abort on the walk of an ATS1C* operation is taken as a
 * Data Abort (to Hyp mode here), leaving PAR unchanged. Record it in PAR (F=1, FST=DFSC from
 * HSR, bit 62 as a marker) and skip the operation. Anything else powers off. */
    .balign 32
hyp_vectors:
    b unexpected    /* reset */
    b unexpected    /* undefined */
    b unexpected    /* hvc */
    b unexpected    /* prefetch abort */
    b dabort        /* data abort from Hyp mode */
    b unexpected    /* hyp trap */
    b unexpected    /* irq */
    b unexpected    /* fiq */
dabort:
    push {r0-r3}
    mrc p15, 4, r0, c5, c2, 0       /* HSR */
    lsr r1, r0, #26
    cmp r1, #0x25
    bne unexpected
    and r1, r0, #0x3f
    lsl r2, r1, #1
    orr r2, r2, #1
    orr r2, r2, #(1 << 11)          /* long-descriptor format */
    mov r3, #(1 << 30)              /* bit 62: marker */
    mcrr p15, 0, r2, r3, c7         /* PAR */
    mrs r0, elr_hyp
    add r0, r0, #4
    msr elr_hyp, r0
    pop {r0-r3}
    eret
unexpected:
    ldr r1, =0x40300000
    mrc p15, 4, r2, c5, c2, 0       /* HSR */
    str r2, [r1, #56]
    mrs r2, elr_hyp
    str r2, [r1, #64]
    mrc p15, 4, r2, c6, c0, 0       /* HDFAR */
    str r2, [r1, #72]
    mov r2, #1
    str r2, [r1, #80]
    b off
    .section .note.GNU-stack, "", %progbits
