/* SPDX-License-Identifier: MIT */
/* VMI events: the monitor channel of include/armvmi/abi.h (core/events.c) and the stage-2
 * permission fault path that raises memory events (arch/memevent.c). */
#ifndef HYP_EVENTS_H
#define HYP_EVENTS_H

#include <hyp/types.h>
#include <hyp/frame.h>
#include <armvmi/abi.h>

struct vcpu;

/* Boot CPU, before any vCPU runs: the channel header, the permission store. */
void events_init(void);
/* Boot CPU, its frame ready for the guest kernel: the boot hold (abi.h ARMVMI_BOOT_HOLD). */
void events_boot_hold(struct vcpu *v, struct trap_frame *f);
/* Every exit: at its start (the vCPU is out of the guest) and at its end, before the return to
 * the guest (commands, the monitor's liveness, PAUSE and single-step holds). */
void events_exit(struct vcpu *v);
void events_enter(struct vcpu *v, struct trap_frame *f);
/* The EL2 physical timer's interrupt (PPI 26): the periodic tick while a monitor is attached. */
void events_tick(void);
/* The doorbell device's interrupt: the monitor sent a byte (branch doorbell calls it). */
void events_doorbell(void);

/* Stage-2 permission faults (arch/abort.c): false if not a permission fault on guest RAM. */
bool events_mem_abort(struct trap_frame *f, u64 esr, bool iabt);

/* Shared by events.c and memevent.c. */
enum ev_state { EV_DETACHED = 0, EV_ATTACHED, EV_ORPHANED };
extern volatile u32 ev_state;
extern volatile u64 ev_detach_gen;
struct armvmi_abi_chan *events_chan(void);
struct armvmi_abi_slot *events_slot(unsigned vcpu);
u64 events_next_seq(void);
void events_post_async(struct armvmi_abi_event *ev);
void events_error(u64 code, const char *what, u64 detail);
/* One wait step of a vCPU inside the hypervisor: WFI with the periodic wake-up, or a spin in
 * busy-poll mode; runs commands and the liveness check. */
void events_wait(struct trap_frame *f);
/* Ring the host's doorbell if the monitor sleeps on it. */
void events_notify(void);
/* Synchronous events of every type: the common part of an event (time, vCPU, type, the
 * guest's registers from the vCPU record; the rest zero), posting it in the vCPU's slot and
 * waiting for the response (false: no monitor any more, go on as with CONTINUE), the checks
 * every response gets (seq; action in `actions`, a mask of RSP_ACT(); flags within `flags`; the
 * registers of SET_REGS), and applying SET_REGS. */
#define RSP_ACT(a) (1u << ARMVMI_RSP_##a)
void events_fill(struct armvmi_abi_event *ev, const struct vcpu *v, u32 type);
bool events_deliver(struct vcpu *v, struct trap_frame *f, struct armvmi_abi_event *ev,
                    struct armvmi_abi_response *rsp);
bool events_rsp_check(const struct armvmi_abi_event *ev, const struct armvmi_abi_response *p,
                      u32 actions, u32 flags);
void events_set_regs(struct trap_frame *f, const struct armvmi_abi_response *p);
/* Force every other running vCPU through an exit (so that it sees a new global setting). */
void events_kick_others(void);
/* Hold every other vCPU in the hypervisor (single-step) / release them. */
void events_stop_others(struct vcpu *v, struct trap_frame *f);
void events_release_others(struct vcpu *v);
/* Whether vCPU id is in the guest or about to enter it (not waiting in the hypervisor). */
bool events_vcpu_running(unsigned id);

#endif
