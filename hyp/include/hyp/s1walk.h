/* SPDX-License-Identifier: MIT */
/* The guest's stage-1 translation walked in software (arch/s1walk.c). */
#ifndef HYP_S1WALK_H
#define HYP_S1WALK_H

#include <hyp/types.h>
#include <armvmi/abi.h>

struct s1walk {
    u64 pa;        /* the output address of va */
    u64 leaf_addr; /* where the leaf descriptor is (guest PA) */
    u64 desc[6];   /* descriptor addresses, from the start level down */
    unsigned ndesc;
};

/*
 * Translate va as the guest's EL1&0 stage 1 does with its current SCTLR_EL1, TCR_EL1 and
 * TTBR0/1_EL1 (4K/16K/64K granules, 39..52-bit VAs, DS/LPA2 and 52-bit PAs with 64K). Tables are
 * read at their guest PAs, only inside guest RAM. Returns false when there is no translation
 * (invalid or unsupported descriptor, table outside RAM).
 */
bool s1walk(u64 va, u64 sctlr, u64 tcr, u64 ttbr0, u64 ttbr1, struct s1walk *w);

/*
 * The IPA of the stage-2 permission fault being handled (ESR_EL2 esr, an instruction abort if
 * iabt), for the vCPU whose saved stage-1 registers are r: HPFAR_EL2 may be invalid for a
 * permission fault with S1PTW = 0 (Arm ARM D17.2.56), so FAR_EL2 is translated by s1walk; with
 * S1PTW = 1 the table page from HPFAR_EL2, or the descriptor in it that the walk of FAR finds.
 */
u64 s1walk_fault_ipa(const struct armvmi_abi_vcpu *r, u64 esr, bool iabt);

#endif
