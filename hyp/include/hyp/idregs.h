/* SPDX-License-Identifier: MIT */
/* ID register reads trapped with HCR_EL2.TID3 (arch/idregs.c). */
#ifndef HYP_IDREGS_H
#define HYP_IDREGS_H

#include <hyp/types.h>
#include <hyp/frame.h>

/* True when the trapped access was an ID register read and has been emulated. */
bool idregs_sysreg(struct trap_frame *f, u64 esr);

#endif
