/* SPDX-License-Identifier: MIT */
/* Virtual GIC: physical GICv3 owned at EL2, list-register injection, the hypervisor's kick SGI
 * (arch/vgic.c), and trapped distributor/redistributor accesses (arch/vgic_mmio.c). */
#ifndef HYP_VGIC_H
#define HYP_VGIC_H

#include <hyp/types.h>
#include <hyp/frame.h>
#include <armvmi/abi.h>

extern bool vgic_enabled;
/* The SPI the hypervisor keeps for itself (the doorbell's), 0 if none. */
extern u32 vgic_hyp_spi;

void vgic_init_global(void);
void vgic_init_cpu(void);
void vgic_handle_irq(struct trap_frame *f);
bool vgic_sysreg(struct trap_frame *f, u64 esr);
bool vgic_mmio(struct trap_frame *f, u64 ipa, u64 esr);
void vgic_claim_spi(u32 intid);
void vgic_send_kick(unsigned cpu);
bool vgic_ack_kick(void);

/* Shared by vgic.c and vgic_mmio.c: priorities shadowed for list registers, interrupt lines. */
extern u8 vgic_spi_prio[1024];
extern u8 vgic_ppi_prio[ARMVMI_MAX_VCPUS][32];
unsigned vgic_nr_irqs(void);

#endif
