/* SPDX-License-Identifier: MIT */
/* evmon.h — what evmon.c's parts share (the test monitor of tests/integration/5x-hyp-*.t). */
#ifndef EVMON_H
#define EVMON_H

#include <stdbool.h>
#include <stdint.h>

#include <armvmi/abi.h>

/* evmon.c: the channel, guest RAM (NULL outside it) and a command posted and waited for (its
 * status, or -1 after 10 s) */
volatile struct armvmi_abi_chan *evmon_chan(void);
void *evmon_pa(uint64_t pa);
int evmon_command(uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *result);
/* evmon.c: the monotonic clock in seconds, the monitor's heartbeat, each vCPU record's state */
double evmon_now(void);
void evmon_heartbeat(void);
const char *evmon_vcpu_states(unsigned n);

/* evmon_cmds.c: --bad-commands (ram_end: the frame after guest RAM), --bad-regcall,
 * --break-pending (at each event before its answer; at the end) and --pause-ms */
void evcmd_bad(uint64_t ram_end);
void evcmd_bad_regcall(void);
void evcmd_break_event(const struct armvmi_abi_event *ev);
void evcmd_break_end(void);
void evcmd_pause(uint64_t pause_ms);

/* evmon_step.c: --step-on N (0: off) */
extern uint64_t evstep_n;
/* --pause-step N: STEP on vCPU 0 sent while paused (evmon.c), not STEP_ON in a response */
extern bool evstep_paused;
/* One EV line for a step event; insn: the instruction word at its PC, if mapped (or NULL). */
void evstep_print(const struct armvmi_abi_event *ev, const volatile uint32_t *insn);
/* Completes the response r to a non-memory event: CONTINUE for a step event (with STEP_OFF at
 * the Nth), STEP_ON added to the first register or call event's response. */
void evstep_respond(const struct armvmi_abi_event *ev, struct armvmi_abi_response *r);

#endif
