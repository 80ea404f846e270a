/* SPDX-License-Identifier: MIT */
/* evmon.h — what evmon.c's parts share (the test monitor of tests/integration/5x-hyp-*.t). */
#ifndef EVMON_H
#define EVMON_H

#include <stdbool.h>
#include <stdint.h>

#include <armvmi/abi.h>

/* evmon_step.c: --step-on N (0: off) */
extern uint64_t evstep_n;
/* One EV line for a step event; insn: the instruction word at its PC, if mapped (or NULL). */
void evstep_print(const struct armvmi_abi_event *ev, const volatile uint32_t *insn);
/* Completes the response r to a non-memory event: CONTINUE for a step event (with STEP_OFF at
 * the Nth), STEP_ON added to the first register or call event's response. */
void evstep_respond(const struct armvmi_abi_event *ev, struct armvmi_abi_response *r);

#endif
