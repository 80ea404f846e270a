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
    /* PSCI SYSTEM_OFF: the virt board with EL2 takes PSCI calls by SMC (from Hyp or SVC) */
    ldr r0, =0x84000008
    smc #0
2:  wfi
    b 2b

/* void enter_svc(void): from Hyp mode, continue in SVC mode on the same stack, with VBAR and
 * an Abort-mode stack set up for the PL1 jobs. */
    .global enter_svc
enter_svc:
    ldr r0, =svc_vectors
    mcr p15, 0, r0, c12, c0, 0      /* VBAR */
    ldr r0, =abt_stack_top
    msr sp_abt, r0
    mov r0, sp
    msr sp_svc, r0
    mrs r0, cpsr
    bic r0, r0, #0x1f
    orr r0, r0, #0xd3               /* SVC, IRQ and FIQ masked */
    msr spsr_cxsf, r0               /* SPSR_hyp (banked access from Hyp mode is UNPREDICTABLE) */
    msr elr_hyp, lr
    isb
    eret

/* PL1 vectors: a Data Abort from an ATS1C* walk (External abort) is recorded in PAR in the
 * short-descriptor format (F=1, FS[3:0] in bits [4:1], FS[4] in bit 5) with bit 61 as a
 * marker, and the instruction is skipped. Anything else powers off. */
    .balign 32
svc_vectors:
    b off           /* reset */
    b off           /* undefined */
    b off           /* svc */
    b off           /* prefetch abort */
    b svc_dabort    /* data abort */
    b off
    b off           /* irq */
    b off           /* fiq */
svc_dabort:
    push {r0-r3}
    mrc p15, 0, r0, c5, c0, 0       /* DFSR */
    and r1, r0, #0xf
    lsl r1, r1, #1
    lsr r2, r0, #10
    and r2, r2, #1
    orr r1, r1, r2, lsl #5
    orr r1, r1, #1
    mov r2, #(1 << 29)              /* bit 61: marker, short format */
    mcrr p15, 0, r1, r2, c7         /* PAR */
    pop {r0-r3}
    subs pc, lr, #4

    .bss
    .balign 16
abt_stack:
    .space 1024
abt_stack_top:
    .text

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
