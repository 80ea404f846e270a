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
/* A memory event's response (abi.h: a breakpoint and a restriction cannot share a frame):
 * - brk_mem_set_access: the store's value of frame gfn set to acc, unless acc restricts it and it
 *   holds a breakpoint (false, nothing done); checked and set under the breakpoints' lock, so no
 *   BREAK_SET slips in between;
 * - brk_mem_step_begin: false if frame gfn holds a breakpoint (the store allows everything
 *   there: the access is retried through the breakpoint's views, neither stepped nor emulated
 *   on the original frame); else BREAK_SET of the frame is refused (EBUSY) until
 *   brk_mem_step_end, as the STEP maps the frame itself. */
bool brk_mem_set_access(u64 gfn, unsigned acc);
bool brk_mem_step_begin(unsigned vcpu, u64 gfn);
void brk_mem_step_end(unsigned vcpu);
/* End of a session: every breakpoint cleared, every frame back to its original mapping. */
void brk_reset(void);
/* A BRK exception (EC 0x3c): true if it was one of ours (handled), false to give it back. */
bool brk_hit(struct trap_frame *f, u64 esr);
/* A stage-2 abort on a frame with breakpoints (the view switched), or a transient translation
 * fault of a remapping: true if handled. */
bool brk_abort(struct trap_frame *f, u64 esr, bool iabt);

#endif
