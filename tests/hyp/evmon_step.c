/* SPDX-License-Identifier: MIT */
/* evmon_step.c — evmon's single-step events (ARMVMI_EV_STEP) and its --step-on N: STEP_ON in the
 * response to the first register or call event, STEP_OFF in the response to the Nth step
 * (--pause-step N: stepping turned on by a STEP command while paused instead). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "evmon.h"

uint64_t evstep_n;
bool evstep_paused;
static uint64_t steps;
static bool armed;

void evstep_print(const struct armvmi_abi_event *ev, const volatile uint32_t *insn)
{
    printf("EV seq=%" PRIu64 " vcpu=%u type=step pc=0x%" PRIx64 " count=%" PRIu64 " el=%" PRIu64
           " word=0x%08x\n",
           ev->seq, ev->vcpu, ev->regs.pc, ev->u.step.count, ev->regs.pstate >> 2 & 3,
           insn ? *insn : 0);
    fflush(stdout);
}

void evstep_respond(const struct armvmi_abi_event *ev, struct armvmi_abi_response *r)
{
    if (ev->type == ARMVMI_EV_STEP) {
        r->action = ARMVMI_RSP_CONTINUE;
        if (++steps == evstep_n)
            r->flags |= ARMVMI_RSPF_STEP_OFF;
    } else if (evstep_n && !armed && !evstep_paused && ev->type != ARMVMI_EV_MEM) {
        r->flags |= ARMVMI_RSPF_STEP_ON;
        armed = true;
    }
}
