/* SPDX-License-Identifier: MIT */
/* The permission store: the access the monitor allows per guest frame, kept apart from the
 * stage-2 descriptors, and applied to them (core/permstore.c). */
#ifndef HYP_PERMSTORE_H
#define HYP_PERMSTORE_H

#include <hyp/types.h>

/* Views: one now (all vCPUs); per-vCPU views index the same structure later. */
#define PERM_VIEWS 1
#define PERM_VIEW_ALL 0

void permstore_init(void);
/* Whether frames [frame, frame + n) are all guest RAM outside the carve-out (no overflow). */
bool permstore_range_ok(u64 frame, u64 n);
/* The ARMVMI_ACC_* of a frame (ARMVMI_ACC_RWX if nothing was set). */
unsigned permstore_get(unsigned view, u64 frame);
/* Set up to max frames of [frame, frame + n) to acc and apply them to stage 2 with TLB
 * maintenance; returns how many were done (the caller continues from there later). */
u64 permstore_set(unsigned view, u64 frame, u64 n, unsigned acc, u64 max);
/* Make stage 2 of one frame what the store says (after a step, or a stale TLB). */
void permstore_reapply(unsigned view, u64 frame);
/* Remove every restriction; returns the number of frames that had one. */
u64 permstore_reset(unsigned view);
/* Whether acc is a value the store takes. */
static inline bool permstore_acc_valid(u64 acc)
{
    return acc <= 9;
}
/* The rights an ARMVMI_ACC_* value gives at stage 2 (rx2rw: rx; n2rwx: none). */
unsigned permstore_hw_rights(unsigned acc);

#endif
