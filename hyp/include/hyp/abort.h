/* SPDX-License-Identifier: MIT */
/* Stage-2 aborts from the guest (arch/abort.c): exit handlers for ESR_EC_DABT_LOW and
 * ESR_EC_IABT_LOW. */
#ifndef HYP_ABORT_H
#define HYP_ABORT_H

#include <hyp/types.h>
#include <hyp/frame.h>

void abort_dabt(struct trap_frame *f, u64 esr);
void abort_iabt(struct trap_frame *f, u64 esr);

#endif
