/* SPDX-License-Identifier: MIT */
/* elfcore.h — layout of the ELF core dumps armvmi reads and writes (see docs/dump-format.md). */
#ifndef ARMVMI_ELFCORE_H
#define ARMVMI_ELFCORE_H

#include <stdint.h>

#include <armvmi/armvmi.h>

/* Linux arm64 struct elf_prstatus, as QEMU's target/arm/arch_dump.c writes it. */
#define ELFCORE_PRSTATUS_PID_OFF 32
#define ELFCORE_PRSTATUS_REG_OFF 112 /* pr_reg: x0..x30, sp, pc, pstate */
#define ELFCORE_PRSTATUS_NREGS 34
#define ELFCORE_PRSTATUS_REG_END (ELFCORE_PRSTATUS_REG_OFF + ELFCORE_PRSTATUS_NREGS * 8)
#define ELFCORE_PRSTATUS_SIZE 392 /* pr_reg, then pr_fpvalid and padding */

/* The per-vCPU system register note. Name "ARMVMI", type NT_ARMVMI_SYSREGS. */
#define ELFCORE_ARMVMI_NAME "ARMVMI"
#define NT_ARMVMI_SYSREGS 0x41560001u /* "AV" + 1 */
#define ELFCORE_ARMVMI_VERSION 1

struct elfcore_armvmi_hdr {
    uint32_t version; /* ELFCORE_ARMVMI_VERSION */
    uint32_t vcpu;    /* 0-based vCPU index */
    uint32_t count;   /* entries that follow */
    /* sizeof(struct elfcore_armvmi_entry) in version 1; readers skip any bytes past that */
    uint32_t entry_size;
};

/* Once per dump, when the machine ran under the armvmi hypervisor: its carve-out of RAM.
 * Name "ARMVMI", type NT_ARMVMI_HYP. */
#define NT_ARMVMI_HYP 0x41560002u
#define ELFCORE_HYP_VERSION 1

struct elfcore_hyp {
    uint32_t version;  /* ELFCORE_HYP_VERSION */
    uint32_t reserved; /* 0 */
    uint64_t carve_base, carve_size;
};

struct elfcore_armvmi_entry {
    uint32_t id;       /* ELFCORE_SYSREG(op0, op1, CRn, CRm, op2) */
    uint32_t reserved; /* 0 */
    uint64_t value;
};

/* System register IDs are their MRS encodings, packed like KVM's ARM64_SYS_REG index. */
#define ELFCORE_SYSREG(op0, op1, crn, crm, op2)                                                    \
    (((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

/* The stable ID of each system register; 0 for the others (X0-X30, SP, PC, PSTATE). */
static const uint32_t elfcore_sysreg_ids[ARMVMI_REG_COUNT] = {
    [ARMVMI_REG_SP_EL0] = ELFCORE_SYSREG(3, 0, 4, 1, 0),
    [ARMVMI_REG_SP_EL1] = ELFCORE_SYSREG(3, 4, 4, 1, 0),
    [ARMVMI_REG_ELR_EL1] = ELFCORE_SYSREG(3, 0, 4, 0, 1),
    [ARMVMI_REG_SPSR_EL1] = ELFCORE_SYSREG(3, 0, 4, 0, 0),
    [ARMVMI_REG_SCTLR_EL1] = ELFCORE_SYSREG(3, 0, 1, 0, 0),
    [ARMVMI_REG_TCR_EL1] = ELFCORE_SYSREG(3, 0, 2, 0, 2),
    [ARMVMI_REG_TTBR0_EL1] = ELFCORE_SYSREG(3, 0, 2, 0, 0),
    [ARMVMI_REG_TTBR1_EL1] = ELFCORE_SYSREG(3, 0, 2, 0, 1),
    [ARMVMI_REG_MAIR_EL1] = ELFCORE_SYSREG(3, 0, 10, 2, 0),
    [ARMVMI_REG_VBAR_EL1] = ELFCORE_SYSREG(3, 0, 12, 0, 0),
    [ARMVMI_REG_CONTEXTIDR_EL1] = ELFCORE_SYSREG(3, 0, 13, 0, 1),
    [ARMVMI_REG_TPIDR_EL1] = ELFCORE_SYSREG(3, 0, 13, 0, 4),
    [ARMVMI_REG_ESR_EL1] = ELFCORE_SYSREG(3, 0, 5, 2, 0),
    [ARMVMI_REG_FAR_EL1] = ELFCORE_SYSREG(3, 0, 6, 0, 0),
    [ARMVMI_REG_SP_EL2] = ELFCORE_SYSREG(3, 6, 4, 1, 0),
    [ARMVMI_REG_ELR_EL2] = ELFCORE_SYSREG(3, 4, 4, 0, 1),
    [ARMVMI_REG_SPSR_EL2] = ELFCORE_SYSREG(3, 4, 4, 0, 0),
    [ARMVMI_REG_SCTLR_EL2] = ELFCORE_SYSREG(3, 4, 1, 0, 0),
    [ARMVMI_REG_TCR_EL2] = ELFCORE_SYSREG(3, 4, 2, 0, 2),
    [ARMVMI_REG_TTBR0_EL2] = ELFCORE_SYSREG(3, 4, 2, 0, 0),
    [ARMVMI_REG_TTBR1_EL2] = ELFCORE_SYSREG(3, 4, 2, 0, 1),
    [ARMVMI_REG_MAIR_EL2] = ELFCORE_SYSREG(3, 4, 10, 2, 0),
    [ARMVMI_REG_VBAR_EL2] = ELFCORE_SYSREG(3, 4, 12, 0, 0),
    [ARMVMI_REG_CONTEXTIDR_EL2] = ELFCORE_SYSREG(3, 4, 13, 0, 1),
    [ARMVMI_REG_TPIDR_EL2] = ELFCORE_SYSREG(3, 4, 13, 0, 2),
    [ARMVMI_REG_ESR_EL2] = ELFCORE_SYSREG(3, 4, 5, 2, 0),
    [ARMVMI_REG_FAR_EL2] = ELFCORE_SYSREG(3, 4, 6, 0, 0),
    [ARMVMI_REG_HPFAR_EL2] = ELFCORE_SYSREG(3, 4, 6, 0, 4),
    [ARMVMI_REG_HCR_EL2] = ELFCORE_SYSREG(3, 4, 1, 1, 0),
    [ARMVMI_REG_VTCR_EL2] = ELFCORE_SYSREG(3, 4, 2, 1, 2),
    [ARMVMI_REG_VTTBR_EL2] = ELFCORE_SYSREG(3, 4, 2, 1, 0),
    [ARMVMI_REG_TPIDR_EL0] = ELFCORE_SYSREG(3, 3, 13, 0, 2),
    [ARMVMI_REG_TPIDRRO_EL0] = ELFCORE_SYSREG(3, 3, 13, 0, 3),
    [ARMVMI_REG_ID_AA64MMFR0_EL1] = ELFCORE_SYSREG(3, 0, 0, 7, 0),
    [ARMVMI_REG_ID_AA64MMFR2_EL1] = ELFCORE_SYSREG(3, 0, 0, 7, 2),
};

/* The stable ID of a register, or 0 if it is not a system register. */
static inline uint32_t elfcore_sysreg_id(enum armvmi_reg r)
{
    return (unsigned)r < ARMVMI_REG_COUNT ? elfcore_sysreg_ids[r] : 0;
}

#endif
