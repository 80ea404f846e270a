/* SPDX-License-Identifier: MIT */
/* GIC handling: pass-through mode (guest drives the physical GICv3 CPU interface and distributor). */
#include <hyp/arch.h>
#include <hyp/console.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>

bool vgic_enabled;

void vgic_init_global(void) {}
void vgic_init_cpu(void) {}

void vgic_handle_irq(struct regs *r)
{
	hyp_panic("physical interrupt at EL2 with the GIC passed through (ELR 0x%lx)", r->elr);
}

bool vgic_mmio(struct regs *r, u64 ipa, u64 esr) { return false; }
bool vgic_sysreg(struct regs *r, u64 esr) { return false; }
