/* SPDX-License-Identifier: MIT */
/* evmon_cmds.c — evmon's command scenarios: --bad-commands and --bad-regcall (commands the
 * hypervisor must refuse, their statuses printed), --break-pending (a breakpoint set on a frame
 * while one of its memory events waits for its answer) and --pause-ms (PAUSE, RESUME). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "evmon.h"

void evcmd_bad(uint64_t ram_end)
{
    uint64_t carve_frame = ARMVMI_CHAN_ADDR >> 12;

    printf("EVMON bad set_access carve-out status=%d\n",
           evmon_command(ARMVMI_CMD_SET_ACCESS, carve_frame, 1, ARMVMI_ACC_N, NULL));
    printf("EVMON bad set_access beyond-ram status=%d\n",
           evmon_command(ARMVMI_CMD_SET_ACCESS, ram_end - 1, 2, ARMVMI_ACC_N, NULL));
    printf("EVMON bad set_access wrap status=%d\n",
           evmon_command(ARMVMI_CMD_SET_ACCESS, ram_end - 1, UINT64_MAX, ARMVMI_ACC_N, NULL));
    printf("EVMON bad set_access value status=%d\n",
           evmon_command(ARMVMI_CMD_SET_ACCESS, ram_end - 1, 1, 77, NULL));
    printf("EVMON bad op status=%d\n", evmon_command(999, 0, 0, 0, NULL));
    printf("EVMON bad pause status=%d\n", evmon_command(ARMVMI_CMD_PAUSE, 1ULL << 40, 0, 0, NULL));
    printf("EVMON bad attach-again status=%d\n", evmon_command(ARMVMI_CMD_ATTACH, 0, 0, 0, NULL));
    /* a breakpoint and a restriction on one frame are refused (EBUSY), either order; rx2rw:
     * no synchronous event from the guest meanwhile */
    uint64_t f = ram_end - 1, id = 0;
    int s1 = evmon_command(ARMVMI_CMD_SET_ACCESS, f, 1, ARMVMI_ACC_RX2RW, NULL);
    int s2 = evmon_command(ARMVMI_CMD_BREAK_SET, f << 12, 0, 0, NULL);
    int s3 = evmon_command(ARMVMI_CMD_SET_ACCESS, f, 1, ARMVMI_ACC_RWX, NULL);
    int s4 = evmon_command(ARMVMI_CMD_BREAK_SET, f << 12, 0, 0, &id);
    int s5 = evmon_command(ARMVMI_CMD_SET_ACCESS, f - 1, 2, ARMVMI_ACC_RX2RW, NULL);
    int s6 = evmon_command(ARMVMI_CMD_SET_ACCESS, f, 1, ARMVMI_ACC_RWX, NULL);
    int s7 = evmon_command(ARMVMI_CMD_BREAK_CLEAR, id, 0, 0, NULL);
    int s8 = evmon_command(ARMVMI_CMD_SET_ACCESS, f, 1, ARMVMI_ACC_RX2RW, NULL);
    int s9 = evmon_command(ARMVMI_CMD_SET_ACCESS, f, 1, ARMVMI_ACC_RWX, NULL);
    printf("EVMON combo set-rx2rw=%d break-on-restricted=%d set-rwx=%d break=%d "
           "set-rx2rw-on-break=%d set-rwx-on-break=%d clear=%d set-rx2rw-after=%d "
           "set-rwx-after=%d\n",
           s1, s2, s3, s4, s5, s6, s7, s8, s9);
}

/* --bad-regcall: REG_TRAP and CALL_TRAP commands the hypervisor must refuse */
void evcmd_bad_regcall(void)
{
    printf("EVMON bad reg_trap unknown-register status=%d\n",
           evmon_command(ARMVMI_CMD_REG_TRAP, ARMVMI_SYSREG_COUNT, 1, 0, NULL));
    printf("EVMON bad reg_trap flags status=%d\n",
           evmon_command(ARMVMI_CMD_REG_TRAP, ARMVMI_SYSREG_TTBR0_EL1, 1, 0x80, NULL));
    printf("EVMON bad reg_trap vbar status=%d\n",
           evmon_command(ARMVMI_CMD_REG_TRAP, ARMVMI_SYSREG_VBAR_EL1, ~0ULL, 0, NULL));
    printf("EVMON bad call_trap flags status=%d\n",
           evmon_command(ARMVMI_CMD_CALL_TRAP, 0x10, 0, 0, NULL));
}

/* --break-pending: the statuses of the first memory event's SET_ACCESS and BREAK_SET */
static int bp_st[2] = {-1, -1};
static uint64_t bp_frame, bp_id, bp_errors;

void evcmd_break_event(const struct armvmi_abi_event *ev)
{
    volatile struct armvmi_abi_chan *chan = evmon_chan();

    if (ev->type != ARMVMI_EV_MEM || (ev->flags & ARMVMI_EVF_ASYNC) || bp_st[0] >= 0)
        return;
    bp_frame = ev->gpa >> 12;
    bp_st[0] = evmon_command(ARMVMI_CMD_SET_ACCESS, bp_frame, 1, ARMVMI_ACC_RWX, NULL);
    bp_st[1] = evmon_command(ARMVMI_CMD_BREAK_SET, bp_frame << 12, 0, 0, &bp_id);
    bp_errors = chan->errors;
    /* zeroed behind the copy's back: word0 at the end shows where the stores went */
    if (evmon_pa(bp_frame << 12))
        memset(evmon_pa(bp_frame << 12), 0, 64);
}

void evcmd_break_end(void)
{
    volatile struct armvmi_abi_chan *chan = evmon_chan();
    uint64_t acc = 99;
    int gs = evmon_command(ARMVMI_CMD_GET_ACCESS, bp_frame, 0, 0, &acc);
    volatile uint64_t *w0 = evmon_pa(bp_frame << 12); /* the original frame's first word */

    printf("EVMON break-pending set-rwx=%d break=%d get=%d acc=%" PRIu64 " word0=0x%" PRIx64
           " clear=%d rejected=%" PRIu64 " last_error=%" PRIu64 "\n",
           bp_st[0], bp_st[1], gs, acc, w0 ? *w0 : 0,
           evmon_command(ARMVMI_CMD_BREAK_CLEAR, bp_id, 0, 0, NULL), chan->errors - bp_errors,
           (uint64_t)chan->last_error);
}

/* --pause-ms MS: PAUSE every vCPU, check their records stay IN_HYP for MS ms, then RESUME (with
 * --pause-step: STEP on vCPU 0 sent while paused, the PC its record shows printed) */
void evcmd_pause(uint64_t pause_ms)
{
    volatile struct armvmi_abi_chan *chan = evmon_chan();
    int s;
    uint64_t all = (1ULL << chan->ncpus) - 1;
    double tp = evmon_now();
    s = evmon_command(ARMVMI_CMD_PAUSE, all, 0, 0, NULL);
    /* every record IN_HYP (the vCPUs stopped), and they stay so */
    while (strspn(evmon_vcpu_states(chan->ncpus), "2,") != strlen(evmon_vcpu_states(chan->ncpus)) &&
           evmon_now() - tp < 5)
        evmon_heartbeat();
    printf("EVMON pause status=%d vcpus=%s after=%.0fms\n", s, evmon_vcpu_states(chan->ncpus),
           (evmon_now() - tp) * 1000);
    uint64_t exits0 = 0, exits1 = 0;
    for (unsigned v = 0; v < chan->ncpus; v++)
        exits0 += ((struct armvmi_abi_vcpu *)evmon_pa(ARMVMI_VCPU_REC(v)))->exits;
    while (evmon_now() - tp < pause_ms / 1000.0) {
        evmon_heartbeat();
        usleep(1000);
    }
    for (unsigned v = 0; v < chan->ncpus; v++)
        exits1 += ((struct armvmi_abi_vcpu *)evmon_pa(ARMVMI_VCPU_REC(v)))->exits;
    printf("EVMON paused vcpus=%s exits-during-pause=%" PRIu64 "\n", evmon_vcpu_states(chan->ncpus),
           exits1 - exits0);
    if (evstep_paused) {
        volatile struct armvmi_abi_vcpu *r0 = evmon_pa(ARMVMI_VCPU_REC(0));
        uint64_t pc = r0->pc;
        s = evmon_command(ARMVMI_CMD_STEP, 1, 1, 0, NULL);
        printf("EVMON step-paused status=%d vcpu=0 state=%u pc=0x%" PRIx64 "\n", s, r0->state, pc);
    }
    s = evmon_command(ARMVMI_CMD_RESUME, all, 0, 0, NULL);
    printf("EVMON resume status=%d\n", s);
}
