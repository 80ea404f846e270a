/* SPDX-License-Identifier: MIT */
/* Shared state of the virtual GIC (vgic.c) and its distributor/redistributor emulation
 * (vgic_mmio.c). */
#ifndef HYP_VGIC_H
#define HYP_VGIC_H

#include <hyp/types.h>
#include <armvmi/abi.h>

extern u8 vgic_spi_prio[1024];
extern u8 vgic_ppi_prio[ARMVMI_MAX_VCPUS][32];
unsigned vgic_nr_irqs(void);

#endif
