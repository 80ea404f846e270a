/* SPDX-License-Identifier: MIT */
/* cpu_regcall.c — register-write events (TVM) and SMC/HVC events: registrations, the
 * hypervisor's REG_TRAP/CALL_TRAP commands, delivery and responses. */
#include <stdlib.h>
#include <string.h>

#include "events_priv.h"

#define RC_DRAIN_MS 2000
#define RC_NREG ARMVMI_SYSREG_COUNT

struct rc_watch {
    int id; /* 0: none */
    uint64_t mask;
    unsigned flags;
    armvmi_reg_cb cb;
    void *arg;
};

struct rc_call {
    int id;
    armvmi_call_cb cb;
    void *arg;
};

struct ev_regcall {
    struct rc_watch reg[RC_NREG]; /* by ARMVMI_SYSREG_* */
    struct rc_call call[2];       /* SMC, HVC */
};

/* The public register ids of abi.h's ARMVMI_SYSREG_* (same order). */
static const enum armvmi_reg sysreg_ids[RC_NREG] = {
    ARMVMI_REG_SCTLR_EL1, ARMVMI_REG_TTBR0_EL1,      ARMVMI_REG_TTBR1_EL1, ARMVMI_REG_TCR_EL1,
    ARMVMI_REG_MAIR_EL1,  ARMVMI_REG_CONTEXTIDR_EL1, ARMVMI_REG_VBAR_EL1,
};

static int sysreg_of(enum armvmi_reg reg)
{
    for (int i = 0; i < RC_NREG; i++)
        if (sysreg_ids[i] == reg)
            return i;
    return -1;
}

static int get_rc(struct armvmi_events *ev, struct ev_regcall **out)
{
    if (!ev->rc && !(ev->rc = calloc(1, sizeof(*ev->rc))))
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory for an event registration.");
    *out = ev->rc;
    return 0;
}

static int check_caller(struct armvmi_events *ev, const char *fn)
{
    if (!ev)
        return armvmi_set_error(ARMVMI_EINVAL, "%s: NULL handle.", fn);
    if (ev->in_cb)
        return armvmi_set_error(ARMVMI_ESTATE, "%s cannot be called from an event callback.", fn);
    return 0;
}

static uint64_t call_bits(const struct ev_regcall *rc)
{
    return (rc->call[0].id ? ARMVMI_CALLT_SMC : 0) | (rc->call[1].id ? ARMVMI_CALLT_HVC : 0);
}

int armvmi_reg_watch(armvmi_events_t *ev, enum armvmi_reg reg, uint64_t mask, unsigned flags,
                     armvmi_reg_cb cb, void *arg, int *id)
{
    struct ev_regcall *rc = NULL;
    int s = sysreg_of(reg), err;

    if ((err = check_caller(ev, "armvmi_reg_watch")))
        return err;
    if (s < 0 || !mask || (flags & ~ARMVMI_REGW_ALL) || !cb)
        return armvmi_set_error(ARMVMI_EINVAL,
                                "armvmi_reg_watch: a register of SCTLR_EL1, TTBR0_EL1, TTBR1_EL1, "
                                "TCR_EL1, MAIR_EL1, CONTEXTIDR_EL1, VBAR_EL1, a nonzero mask, "
                                "flags ARMVMI_REGW_ALL or 0 and a callback are needed.");
    if ((err = get_rc(ev, &rc)))
        return err;
    if (rc->reg[s].id)
        return armvmi_set_error(ARMVMI_ESTATE, "%s is already watched (registration %d).",
                                armvmi_reg_name(reg), rc->reg[s].id);
    if ((err = ev_cmd(ev, ARMVMI_CMD_REG_TRAP, (uint64_t)s, mask,
                      (flags & ARMVMI_REGW_ALL) ? ARMVMI_REGT_ALL : 0, NULL)))
        return err;
    rc->reg[s] = (struct rc_watch){ev->next_id++, mask, flags, cb, arg};
    if (id)
        *id = rc->reg[s].id;
    return 0;
}

int armvmi_call_watch(armvmi_events_t *ev, unsigned kinds, armvmi_call_cb cb, void *arg, int *id)
{
    struct ev_regcall *rc = NULL;
    int err;

    if ((err = check_caller(ev, "armvmi_call_watch")))
        return err;
    if (!kinds || (kinds & ~(ARMVMI_CALL_SMC | ARMVMI_CALL_HVC)) || !cb)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_call_watch: kinds ARMVMI_CALL_SMC and/or "
                                               "ARMVMI_CALL_HVC and a callback are needed.");
    if ((err = get_rc(ev, &rc)))
        return err;
    for (int k = 0; k < 2; k++)
        if ((kinds >> k & 1) && rc->call[k].id)
            return armvmi_set_error(ARMVMI_ESTATE,
                                    "%s calls are already watched (registration %d).",
                                    k ? "HVC" : "SMC", rc->call[k].id);
    if ((err = ev_cmd(ev, ARMVMI_CMD_CALL_TRAP, call_bits(rc) | kinds, 0, 0, NULL)))
        return err;
    int nid = ev->next_id++;
    for (int k = 0; k < 2; k++)
        if (kinds >> k & 1)
            rc->call[k] = (struct rc_call){nid, cb, arg};
    if (id)
        *id = nid;
    return 0;
}

int armvmi_regcall_unwatch(armvmi_events_t *ev, int id)
{
    struct ev_regcall *rc = NULL;
    int err, found = 0;

    if ((err = check_caller(ev, "armvmi_regcall_unwatch")))
        return err;
    if (!(rc = ev->rc) || id <= 0)
        return armvmi_set_error(ARMVMI_ENOENT, "no register or call registration %d.", id);
    for (int s = 0; s < RC_NREG && !err; s++)
        if (rc->reg[s].id == id) {
            found = 1;
            err = ev_cmd(ev, ARMVMI_CMD_REG_TRAP, (uint64_t)s, 0, 0, NULL);
        }
    if (!err && (rc->call[0].id == id || rc->call[1].id == id)) {
        found = 1;
        uint64_t keep = call_bits(rc) & ~(uint64_t)((rc->call[0].id == id ? ARMVMI_CALLT_SMC : 0) |
                                                    (rc->call[1].id == id ? ARMVMI_CALLT_HVC : 0));
        err = ev_cmd(ev, ARMVMI_CMD_CALL_TRAP, keep, 0, 0, NULL);
    }
    if (!found)
        return armvmi_set_error(ARMVMI_ENOENT, "no register or call registration %d.", id);
    /* events posted before the hypervisor's change still go to the callback */
    int rc2 = ev_drain(ev, EV_LOAD(&ev->chan->seq), RC_DRAIN_MS);
    for (int s = 0; s < RC_NREG; s++)
        if (rc->reg[s].id == id)
            rc->reg[s].id = 0;
    for (int k = 0; k < 2; k++)
        if (rc->call[k].id == id)
            rc->call[k].id = 0;
    return err ? err : rc2;
}

const char *ev_regcall_bad(const struct armvmi_events *ev, const struct armvmi_abi_event *e)
{
    (void)ev;
    if (e->flags)
        return "flags on a register or call event";
    if (e->type == ARMVMI_EV_REG) {
        if (e->u.reg.sysreg >= ARMVMI_SYSREG_COUNT)
            return "unknown system register";
        if (e->u.reg.rt > 31)
            return "impossible register number";
    } else if (e->u.call.imm > 0xffff) {
        return "a call immediate wider than 16 bits";
    }
    return NULL;
}

static bool deliver_reg(struct armvmi_events *ev, const struct armvmi_abi_event *e,
                        struct armvmi_abi_response *out)
{
    const struct rc_watch *w = ev->rc ? &ev->rc->reg[e->u.reg.sysreg] : NULL;
    struct armvmi_reg_event re = {.seq = e->seq,
                                  .time = e->time,
                                  .vcpu = e->vcpu,
                                  .reg = sysreg_ids[e->u.reg.sysreg],
                                  .rt = e->u.reg.rt,
                                  .old_value = e->u.reg.old_value,
                                  .new_value = e->u.reg.new_value};
    struct armvmi_reg_response rsp = {.action = ARMVMI_REGW_CONTINUE};
    const char *why = NULL;

    if (!w || !w->id)
        return false;
    armvmi_regs_from_hyp(&re.regs, &e->regs);
    re.watch = w->id;
    EV_CALLBACK(ev, w->cb(ev, &re, &rsp, w->arg));
    if (rsp.action == ARMVMI_REGW_DENY)
        out->action = ARMVMI_RSP_DENY;
    else if (rsp.action != ARMVMI_REGW_CONTINUE)
        why = "unknown register-write action";
    if (!why)
        why = ev_rsp_regs(&rsp.regs, out);
    if (why) {
        ev->st.bad_responses++;
        ev_problem(ev, "the response to event %llu was not sent (%s): CONTINUE instead.",
                   (unsigned long long)e->seq, why);
        *out = (struct armvmi_abi_response){.seq = e->seq, .action = ARMVMI_RSP_CONTINUE};
        return true;
    }
    ev_step_rsp(ev, e->vcpu, rsp.step, out);
    return true;
}

static bool deliver_call(struct armvmi_events *ev, const struct armvmi_abi_event *e,
                         struct armvmi_abi_response *out)
{
    unsigned k = e->type == ARMVMI_EV_SMC ? 0 : 1;
    const struct rc_call *w = ev->rc ? &ev->rc->call[k] : NULL;
    struct armvmi_call_event ce = {.seq = e->seq,
                                   .time = e->time,
                                   .vcpu = e->vcpu,
                                   .kind = k ? ARMVMI_CALL_HVC : ARMVMI_CALL_SMC,
                                   .imm = e->u.call.imm};
    struct armvmi_call_response rsp = {.action = ARMVMI_CALL_CONTINUE};
    const char *why = NULL;

    if (!w || !w->id)
        return false;
    memcpy(ce.x, e->regs.x, sizeof(ce.x));
    armvmi_regs_from_hyp(&ce.regs, &e->regs);
    ce.watch = w->id;
    EV_CALLBACK(ev, w->cb(ev, &ce, &rsp, w->arg));
    switch (rsp.action) {
    case ARMVMI_CALL_CONTINUE:
        break;
    case ARMVMI_CALL_ANSWER:
        out->action = ARMVMI_RSP_ANSWER;
        break;
    case ARMVMI_CALL_SKIP:
        out->action = ARMVMI_RSP_SKIP;
        break;
    default:
        why = "unknown call action";
    }
    /* ANSWER's x0-x3 are the answer: set_regs for them would be overwritten anyway */
    if (!why)
        why = ev_rsp_regs(&rsp.regs, out);
    if (!why && rsp.action == ARMVMI_CALL_ANSWER)
        memcpy(out->x, rsp.x, sizeof(rsp.x));
    if (why) {
        ev->st.bad_responses++;
        ev_problem(ev, "the response to event %llu was not sent (%s): CONTINUE instead.",
                   (unsigned long long)e->seq, why);
        *out = (struct armvmi_abi_response){.seq = e->seq, .action = ARMVMI_RSP_CONTINUE};
        return true;
    }
    ev_step_rsp(ev, e->vcpu, rsp.step, out);
    return true;
}

bool ev_regcall_deliver(struct armvmi_events *ev, const struct armvmi_abi_event *e,
                        struct armvmi_abi_response *out)
{
    return e->type == ARMVMI_EV_REG ? deliver_reg(ev, e, out) : deliver_call(ev, e, out);
}
