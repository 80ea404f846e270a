/* SPDX-License-Identifier: MIT */
/* Stage-2 translation of the guest and the EL2 stage-1 identity map (core/stage2.c). */
#ifndef HYP_STAGE2_H
#define HYP_STAGE2_H

#include <hyp/types.h>

void stage2_build(void);
void stage2_enable(void);
bool stage2_ipa_is_carveout(u64 ipa);
void hyp_mmu_enable(void);

#endif
