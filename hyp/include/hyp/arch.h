/* SPDX-License-Identifier: MIT */
/* Architectural constants (Arm ARM DDI 0487): ESR classes, HCR/SPSR/stage-2 bits. */
#ifndef HYP_ARCH_H
#define HYP_ARCH_H

#include <hyp/types.h>

/* ESR_ELx (Arm ARM D17.2.37) */
#define ESR_EC(esr) FIELD(esr, 26, 6)
#define ESR_IL BIT(25)
#define ESR_ISS(esr) ((esr)&0x1ffffffUL)
#define ESR_EC_SHIFT 26
#define ESR_EC_UNKNOWN 0x00
#define ESR_EC_WFX 0x01
#define ESR_EC_CP15_32 0x03
#define ESR_EC_CP15_64 0x04
#define ESR_EC_CP14_MR 0x05
#define ESR_EC_CP14_LS 0x06
#define ESR_EC_FP_ASIMD 0x07
#define ESR_EC_CP10_ID 0x08
#define ESR_EC_PAC 0x09
#define ESR_EC_LS64 0x0a
#define ESR_EC_CP14_64 0x0c
#define ESR_EC_BTI 0x0d
#define ESR_EC_ILL 0x0e
#define ESR_EC_SVC32 0x11
#define ESR_EC_HVC32 0x12
#define ESR_EC_SMC32 0x13
#define ESR_EC_SVC64 0x15
#define ESR_EC_HVC64 0x16
#define ESR_EC_SMC64 0x17
#define ESR_EC_SYS64 0x18
#define ESR_EC_SVE 0x19
#define ESR_EC_ERET 0x1a
#define ESR_EC_FPAC 0x1c
#define ESR_EC_SME 0x1d
#define ESR_EC_IMP_DEF 0x1f
#define ESR_EC_IABT_LOW 0x20
#define ESR_EC_IABT_CUR 0x21
#define ESR_EC_PC_ALIGN 0x22
#define ESR_EC_DABT_LOW 0x24
#define ESR_EC_DABT_CUR 0x25
#define ESR_EC_SP_ALIGN 0x26
#define ESR_EC_FP_EXC32 0x28
#define ESR_EC_FP_EXC64 0x2c
#define ESR_EC_SERROR 0x2f
#define ESR_EC_BREAKPT_LOW 0x30
#define ESR_EC_SOFTSTP_LOW 0x32
#define ESR_EC_WATCHPT_LOW 0x34
#define ESR_EC_BKPT32 0x38
#define ESR_EC_BRK64 0x3c
#define ESR_EC_MAX 0x3f

/* Data abort ISS (Arm ARM D17.2.37.13) */
#define ESR_DABT_ISV BIT(24)
#define ESR_DABT_SAS(esr) FIELD(esr, 22, 2)
#define ESR_DABT_SSE BIT(21)
#define ESR_DABT_SRT(esr) FIELD(esr, 16, 5)
#define ESR_DABT_SF BIT(15)
#define ESR_DABT_AR BIT(14)
#define ESR_DABT_S1PTW BIT(7)
#define ESR_DABT_WNR BIT(6)
#define ESR_xABT_FSC(esr) FIELD(esr, 0, 6)
#define FSC_SEA 0x10 /* synchronous external abort, not on a walk */
#define FSC_PERM_MASK 0x3c
#define FSC_PERM 0x0c        /* permission fault, level in bits 1:0 */
#define ESR_xABT_FNV BIT(10) /* FAR not valid */
#define ESR_xABT_S1PTW BIT(7)
#define HPFAR_IPA(h) (((h) >> 4 & 0xffffffffffUL) << 12) /* FIPA: IPA[51:12] (D17.2.56) */

/* Trapped MSR/MRS ISS (Arm ARM D17.2.37.24): Op0, Op2, Op1, CRn, Rt, CRm, Direction */
#define ESR_SYS_READ BIT(0)
#define ESR_SYS_RT(esr) FIELD(esr, 5, 5)
#define ESR_SYS_REG_MASK 0x3ffc1eUL /* Op0 Op2 Op1 CRn CRm, without Rt and direction */
#define ESR_SYS_REG(op0, op1, crn, crm, op2)                                                       \
    (((u64)(op0) << 20) | ((u64)(op2) << 17) | ((u64)(op1) << 14) | ((u64)(crn) << 10) |           \
     ((u64)(crm) << 1))

/* HCR_EL2 (Arm ARM D17.2.48) */
#define HCR_VM BIT(0)
#define HCR_SWIO BIT(1)
#define HCR_FMO BIT(3)
#define HCR_IMO BIT(4)
#define HCR_AMO BIT(5)
#define HCR_VI BIT(7)
#define HCR_VSE BIT(8)
#define HCR_FB BIT(9)
#define HCR_BSU_IS (1UL << 10)
#define HCR_TWI BIT(13)
#define HCR_TWE BIT(14)
#define HCR_TSC BIT(19)
#define HCR_TIDCP BIT(20)
#define HCR_TID3 BIT(18)
#define HCR_TACR BIT(21)
#define HCR_TLOR BIT(35)
#define HCR_RW BIT(31)
#define HCR_APK BIT(40)
#define HCR_API BIT(41)
#define HCR_FIEN BIT(47)
#define HCR_ENSCXT BIT(53)
#define HCR_ATA BIT(56)

/* SPSR / PSTATE (Arm ARM C5.2.18) */
#define PSR_MODE_MASK 0xfUL
#define PSR_MODE_EL0t 0x0UL
#define PSR_MODE_EL1t 0x4UL
#define PSR_MODE_EL1h 0x5UL
#define PSR_MODE_EL2h 0x9UL
#define PSR_nRW BIT(4)
#define PSR_F BIT(6)
#define PSR_I BIT(7)
#define PSR_A BIT(8)
#define PSR_D BIT(9)
#define PSR_DAIF (PSR_D | PSR_A | PSR_I | PSR_F)
#define PSR_BTYPE (3UL << 10)
#define PSR_SSBS BIT(12)
#define PSR_IL BIT(20)
#define PSR_SS BIT(21)
#define PSR_PAN BIT(22)
#define PSR_UAO BIT(23)
#define PSR_DIT BIT(24)
#define PSR_TCO BIT(25)
#define PSR_NZCV (0xfUL << 28)

/* SCTLR_EL1 bits read when emulating exception entry (Arm ARM D17.2.118) */
#define SCTLR_EL1_DSSBS BIT(44)
#define SCTLR_EL1_SPAN BIT(23)

/* Stage-2 descriptors, 4K granule (Arm ARM D8.3, D8.5.5) */
#define S2_VALID BIT(0)
#define S2_TABLE (BIT(0) | BIT(1))
#define S2_BLOCK BIT(0)
#define S2_PAGE (BIT(0) | BIT(1))
#define S2_MEMATTR_DEV_nGnRE (0x1UL << 2)
#define S2_MEMATTR_NORMAL_WB (0xfUL << 2)
#define S2_AP_R (1UL << 6)
#define S2_AP_W (2UL << 6)
#define S2_AP_RW (3UL << 6)
#define S2_XN (2UL << 53) /* XN[1:0] = 0b10: no execution at EL1 or EL0 */
#define S2_SH_INNER (3UL << 8)
#define S2_AF BIT(10)
#define S2_ADDR_MASK 0x0000fffffffff000UL

/* VTCR_EL2 (Arm ARM D17.2.190) */
#define VTCR_RES1 BIT(31)
#define VTCR_T0SZ(n) ((u64)(n))
#define VTCR_SL0_L0 (2UL << 6) /* 4K granule: start at level 0 */
#define VTCR_SL0_L1 (1UL << 6) /* 4K granule: start at level 1 */
#define VTCR_IRGN0_WBWA (1UL << 8)
#define VTCR_ORGN0_WBWA (1UL << 10)
#define VTCR_SH0_INNER (3UL << 12)
#define VTCR_TG0_4K (0UL << 14)
#define VTCR_PS_SHIFT 16

/* CNTHCTL_EL2 with E2H=0 (Arm ARM D17.2.24) */
#define CNTHCTL_EL1PCTEN BIT(0)
#define CNTHCTL_EL1PCEN BIT(1)

/* CPTR_EL2 with E2H=0 (Arm ARM D17.2.30): RES1 bits 13, 9, 7:0; TZ=8, TFP=10, TSM=12 */
#define CPTR_EL2_RES1 (BIT(13) | BIT(9) | 0xffUL)

/* Exception vector offsets for exception entry to EL1 (Arm ARM D1.10.2) */
#define VECTOR_CUR_SP0 0x000
#define VECTOR_CUR_SPX 0x200
#define VECTOR_LOWER_A64 0x400
#define VECTOR_LOWER_A32 0x600

#endif
