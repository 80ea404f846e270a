/* SPDX-License-Identifier: MIT */
/* Stage-2 translation of the guest and the EL2 stage-1 identity map (core/stage2.c). */
#ifndef HYP_STAGE2_H
#define HYP_STAGE2_H

#include <hyp/types.h>

void stage2_build(void);
void stage2_enable(void);
bool stage2_ipa_is_carveout(u64 ipa);
/* Guest RAM outside the carve-out. */
bool stage2_ipa_is_ram(u64 ipa);
bool stage2_set_perm(u64 ipa, bool r, bool w, bool x);
void stage2_tlb_flush(void);
bool stage2_map_page(u64 ipa, u64 pa, bool r, bool w, bool x);
void hyp_mmu_enable(void);

#endif
