/* SPDX-License-Identifier: MIT */
/* Breakpoints (arch/brkevent.c): a BRK in a private copy of the guest frame, mapped execute-only
 * at stage 2, while the guest's reads and writes see the original frame. */
#ifndef HYP_BRKEVENT_H
#define HYP_BRKEVENT_H

#include <hyp/types.h>
#include <hyp/frame.h>
#include <armvmi/abi.h>

/* ARMVMI_CMD_BREAK_SET / BREAK_CLEAR (ev_lock held). */
u32 brk_cmd_set(const struct armvmi_abi_cmd *k, u64 *result);
u32 brk_cmd_clear(const struct armvmi_abi_cmd *k);
/* Whether any of frames [frame, frame + n) holds a breakpoint (ev_lock held). */
bool brk_frames_in(u64 frame, u64 n);
/* End of a session: every breakpoint cleared, every frame back to its original mapping. */
void brk_reset(void);
/* A BRK exception (EC 0x3c): true if it was one of ours (handled), false to give it back. */
bool brk_hit(struct trap_frame *f, u64 esr);
/* A stage-2 abort on a frame with breakpoints (the view switched), or a transient translation
 * fault of a remapping: true if handled. */
bool brk_abort(struct trap_frame *f, u64 esr, bool iabt);

#endif
