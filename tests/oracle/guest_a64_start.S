/* SPDX-License-Identifier: MIT */
/* guest_a64_start.S — entry of the AArch64 oracle program: stack, main, PSCI SYSTEM_OFF. */
    .section .text.start, "ax"
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    ldr x0, =vectors
    msr vbar_el2, x0
    isb
    bl oracle_main
off:
    /* PSCI SYSTEM_OFF; QEMU's virt board uses SMC when EL2 exists, HVC otherwise. */
    mrs x1, CurrentEL
    ldr x0, =0x84000008
    cmp x1, #(2 << 2)
    b.ne 1f
    smc #0
1:  hvc #0
2:  wfi
    b 2b

/* Arm ARM: a synchronous External abort on the walk of an AT instruction is taken as a Data
 * Abort, leaving PAR_EL1 unchanged. Record it in PAR_EL1 (F=1, FST=DFSC) and skip the AT.
 * Any other exception is unexpected: record ESR/ELR/FAR in the mailbox and power off. */
    .balign 2048
vectors:
    .rept 16
    .balign 128
    b exception
    .endr
exception:
    stp x2, x3, [sp, #-16]!
    stp x4, x5, [sp, #-16]!
    mrs x2, esr_el2
    lsr x3, x2, #26
    cmp x3, #0x25               /* EC: Data Abort from the same EL */
    b.ne unexpected
    and x3, x2, #0x3c
    cmp x3, #0x14               /* DFSC 0b0101xx: External abort on walk, levels 0..3 */
    b.eq 1f
    and x3, x2, #0x3f
    cmp x3, #0x13               /* DFSC 0b010011: level -1 */
    b.ne unexpected
1:  and x3, x2, #0x3f
    lsl x3, x3, #1
    orr x3, x3, #1
    ubfx x4, x2, #7, #1         /* ISS.S1PTW -> PAR.PTW */
    orr x3, x3, x4, lsl #8
    orr x3, x3, #(1 << 62)      /* marker: reported by an exception, stage unknown */
    msr par_el1, x3
    mrs x2, elr_el2
    add x2, x2, #4
    msr elr_el2, x2
    ldp x4, x5, [sp], #16
    ldp x2, x3, [sp], #16
    eret
unexpected:
    ldr x1, =0x40300000
    mrs x2, esr_el2
    str x2, [x1, #56]
    mrs x2, elr_el2
    str x2, [x1, #64]
    mrs x2, far_el2
    str x2, [x1, #72]
    mov x2, #1
    str x2, [x1, #80]
    b off
