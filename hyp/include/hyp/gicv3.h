/* SPDX-License-Identifier: MIT */
/* GICv3 register offsets and bits (Arm IHI 0069: chapters 12 distributor/redistributor, 12.5 ICH).
 */
#ifndef HYP_GICV3_H
#define HYP_GICV3_H

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_TYPER2 0x000c
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IGRPMODR 0x0d00
#define GICD_IROUTER 0x6000 /* + 8 * INTID, INTID >= 32 */
#define GICD_IDREGS 0xffd0

#define GICD_CTLR_EN_G0 (1u << 0)
#define GICD_CTLR_EN_G1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_DS (1u << 6)
#define GICD_CTLR_RWP (1u << 31)
#define GICD_TYPER_MBIS (1u << 16)
#define GICD_TYPER_LPIS (1u << 17)
#define GICD_TYPER_ITLINES(t) ((t)&0x1f)

#define GICR_FRAME_SIZE 0x20000
#define GICR_SGI_OFFSET 0x10000
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078
#define GICR_IDREGS 0xffd0
#define GICR_TYPER_PLPIS (1ul << 0)
#define GICR_TYPER_DIRECTLPI (1ul << 3)
#define GICR_WAKER_PSLEEP (1u << 1)
#define GICR_WAKER_CASLEEP (1u << 2)
/* SGI frame registers share the distributor's offsets for INTIDs 0-31. */

/* ICH_LR<n>_EL2 (IHI 0069 12.5.10) */
#define ICH_LR_VINTID(x) ((u64)(x)&0xffffffffUL)
#define ICH_LR_PINTID_SHIFT 32
#define ICH_LR_PRIO_SHIFT 48
#define ICH_LR_GROUP1 (1UL << 60)
#define ICH_LR_HW (1UL << 61)
#define ICH_LR_PENDING (1UL << 62)
#define ICH_LR_ACTIVE (1UL << 63)
/* ICH_HCR_EL2 */
#define ICH_HCR_EN (1UL << 0)
#define ICH_HCR_UIE (1UL << 1)
/* ICC_CTLR_EL1 */
#define ICC_CTLR_EOIMODE (1UL << 1)

#define GIC_INTID_HYP_KICK 15  /* SGI the hypervisor keeps to wake or interrupt a CPU */
#define GIC_INTID_MAINT 25     /* PPI 9: GIC maintenance interrupt */
#define GIC_INTID_HYP_TIMER 26 /* PPI 10: EL2 physical timer */
#define GIC_INTID_SPURIOUS 1020

#endif
