/* SPDX-License-Identifier: MIT */
/* cpu_stepbrk.c — single-step and breakpoint events: registrations, commands, delivery. */
#include <stdlib.h>
#include <string.h>

#include "events_priv.h"

/* How often armvmi_events_listen translates a breakpoint's virtual address again. */
#define FOLLOW_MS 100

struct ev_brk {
    int id;
    uint64_t hyp_id, pa;
    armvmi_break_cb cb;
    void *arg;
    /* armvmi_break_va: followed to the frame the address space maps at va now */
    bool follow;
    uint64_t va, ttbr;
    struct armvmi_tt_config ctx;
};

struct ev_stepbrk {
    armvmi_step_cb step_cb;
    void *step_arg;
    uint64_t step_mask;
    struct ev_brk *b;
    size_t nb, capb;
    int next_id;
    long long followed_ms;
};

static struct ev_stepbrk *sb_get(struct armvmi_events *ev)
{
    if (!ev->sb) {
        ev->sb = calloc(1, sizeof(*ev->sb));
        if (ev->sb)
            ev->sb->next_id = 1;
    }
    return ev->sb;
}

void ev_stepbrk_free(struct armvmi_events *ev)
{
    if (ev->sb)
        free(ev->sb->b);
    free(ev->sb);
    ev->sb = NULL;
}

static int usable(struct armvmi_events *ev, const char *fn)
{
    if (!ev)
        return armvmi_set_error(ARMVMI_EINVAL, "%s: NULL handle.", fn);
    if (ev->in_cb)
        return armvmi_set_error(ARMVMI_ESTATE, "%s cannot be called from an event callback.", fn);
    if (!sb_get(ev))
        return armvmi_set_error(ARMVMI_ENOMEM, "%s: out of memory.", fn);
    return 0;
}

int armvmi_step_start(armvmi_events_t *ev, uint64_t vcpu_mask, unsigned flags, uint64_t ttbr0,
                      armvmi_step_cb cb, void *arg)
{
    int rc = usable(ev, "armvmi_step_start");
    if (rc)
        return rc;
    if (!cb || !vcpu_mask || (ev->ncpus < 64 && (vcpu_mask >> ev->ncpus)))
        return armvmi_set_error(ARMVMI_EINVAL,
                                "armvmi_step_start: a callback and a vCPU mask within the %u "
                                "vCPU(s) are needed (mask 0x%llx).",
                                ev->ncpus, (unsigned long long)vcpu_mask);
    if (flags & ~(ARMVMI_STEP_IRQS | ARMVMI_STEP_EL0))
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_step_start: unknown flags 0x%x.", flags);
    if (ttbr0 & ~ARMVMI_TTBR_BADDR)
        return armvmi_set_error(ARMVMI_EINVAL,
                                "armvmi_step_start: 0x%llx is not a stage-1 table base (ASID or "
                                "bits above 47 set).",
                                (unsigned long long)ttbr0);
    uint64_t f = ((flags & ARMVMI_STEP_IRQS) ? ARMVMI_STEPF_IRQS : 0) |
                 ((flags & ARMVMI_STEP_EL0) ? ARMVMI_STEPF_EL0 : 0);
    /* events are delivered on this thread: none before the state below is set */
    if ((rc = ev_cmd4(ev, ARMVMI_CMD_STEP, vcpu_mask, 1, f, ttbr0, NULL)))
        return rc;
    ev->sb->step_cb = cb;
    ev->sb->step_arg = arg;
    ev->sb->step_mask |= vcpu_mask;
    return 0;
}

int armvmi_step_stop(armvmi_events_t *ev, uint64_t vcpu_mask)
{
    int rc = usable(ev, "armvmi_step_stop");
    if (rc)
        return rc;
    if (!vcpu_mask || (ev->ncpus < 64 && (vcpu_mask >> ev->ncpus)))
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_step_stop: bad vCPU mask 0x%llx.",
                                (unsigned long long)vcpu_mask);
    ev->sb->step_mask &= ~vcpu_mask;
    return ev_cmd4(ev, ARMVMI_CMD_STEP, vcpu_mask, 0, 0, 0, NULL);
}

int armvmi_break_pa(armvmi_events_t *ev, uint64_t pa, uint64_t ttbr0, armvmi_break_cb cb, void *arg,
                    int *id)
{
    int rc = usable(ev, "armvmi_break_pa");
    if (rc)
        return rc;
    if (!cb || (pa & 3))
        return armvmi_set_error(ARMVMI_EINVAL,
                                "armvmi_break_pa: a callback and a 4-aligned address are needed "
                                "(0x%llx).",
                                (unsigned long long)pa);
    if (ttbr0 & ~ARMVMI_TTBR_BADDR)
        return armvmi_set_error(ARMVMI_EINVAL,
                                "armvmi_break_pa: 0x%llx is not a stage-1 table base.",
                                (unsigned long long)ttbr0);
    struct ev_stepbrk *sb = ev->sb;
    if (sb->nb == sb->capb) {
        size_t cap = sb->capb ? 2 * sb->capb : 8;
        struct ev_brk *nb = realloc(sb->b, cap * sizeof(*nb));
        if (!nb)
            return armvmi_set_error(ARMVMI_ENOMEM, "armvmi_break_pa: out of memory.");
        sb->b = nb;
        sb->capb = cap;
    }
    uint64_t res[2];
    if ((rc = ev_cmd4(ev, ARMVMI_CMD_BREAK_SET, pa, ttbr0, 0, 0, res)))
        return rc;
    struct ev_brk *b = &sb->b[sb->nb++];
    *b = (struct ev_brk){.id = sb->next_id++, .hyp_id = res[0], .pa = pa, .cb = cb, .arg = arg};
    if (id)
        *id = b->id;
    return 0;
}

/* The guest-physical address of va: the stage-1 output (an IPA, as BREAK_SET takes it). Not the
 * stage-2 output: the hypervisor maps a frame with a breakpoint to its private copy, so the walk
 * of a combined regime would give the copy's address once the breakpoint is set. */
static int va_to_gpa(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va, uint64_t *gpa)
{
    struct armvmi_translation t;
    int rc = armvmi_va_translate(h, ctx, va, 0, &t);
    if (rc)
        return rc;
    if (t.fault != ARMVMI_FAULT_NONE)
        return armvmi_set_error(ARMVMI_EFAULT, "0x%llx is not mapped (%s fault at level %d).",
                                (unsigned long long)va, armvmi_fault_name(t.fault), t.fault_level);
    *gpa = t.ipa;
    return 0;
}

int armvmi_break_va(armvmi_events_t *ev, const struct armvmi_tt_config *ctx, uint64_t va,
                    bool only_this_space, armvmi_break_cb cb, void *arg, int *id)
{
    if (!ev || !ctx)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_break_va: NULL argument.");
    uint64_t pa;
    if (va_to_gpa(ev->h, ctx, va, &pa))
        return armvmi_set_error(ARMVMI_EFAULT,
                                "armvmi_break_va: 0x%llx is not mapped in that address space "
                                "(%s)",
                                (unsigned long long)va, armvmi_errmsg());
    bool user = (va >> 55 & 1) == 0;
    uint64_t ttbr = only_this_space && user ? ctx->ttbr0 & ARMVMI_TTBR_BADDR : 0;
    int bid, rc = armvmi_break_pa(ev, pa, ttbr, cb, arg, &bid);
    if (rc)
        return rc;
    struct ev_brk *b = &ev->sb->b[ev->sb->nb - 1];
    b->follow = true;
    b->va = va;
    b->ttbr = ttbr;
    b->ctx = *ctx;
    if (id)
        *id = bid;
    return 0;
}

/* The guest may map another frame at a breakpoint's va: a copy-on-write of the page (its own
 * uprobe gives the process a private copy with its BRK in it), a page moved or swapped back in.
 * The breakpoint moves there (set on the new frame, then cleared on the old one). */
void ev_stepbrk_follow(struct armvmi_events *ev)
{
    struct ev_stepbrk *sb = ev->sb;
    long long now = ev_now_ms();
    if (!sb || !sb->nb || now - sb->followed_ms < FOLLOW_MS)
        return;
    sb->followed_ms = now;
    for (size_t i = 0; i < sb->nb; i++) {
        struct ev_brk *b = &sb->b[i];
        uint64_t pa, res[2];
        if (!b->follow || va_to_gpa(ev->h, &b->ctx, b->va, &pa) || pa == b->pa || (pa & 3))
            continue; /* unmapped for now (paged out, or the process is gone): left where it is */
        if (ev_cmd4(ev, ARMVMI_CMD_BREAK_SET, pa, b->ttbr, 0, 0, res)) {
            ev_problem(ev,
                       "breakpoint %d: 0x%llx is now at PA 0x%llx, where it cannot be set (%s).",
                       b->id, (unsigned long long)b->va, (unsigned long long)pa, armvmi_errmsg());
            b->follow = false;
            continue;
        }
        uint64_t old = b->hyp_id;
        b->hyp_id = res[0];
        b->pa = pa;
        if (ev_cmd4(ev, ARMVMI_CMD_BREAK_CLEAR, old, 0, 0, 0, NULL))
            ev_problem(ev, "breakpoint %d: the old frame's could not be cleared (%s).", b->id,
                       armvmi_errmsg());
    }
}

int armvmi_break_clear(armvmi_events_t *ev, int id)
{
    int rc = usable(ev, "armvmi_break_clear");
    if (rc)
        return rc;
    struct ev_stepbrk *sb = ev->sb;
    for (size_t i = 0; i < sb->nb; i++) {
        if (sb->b[i].id != id)
            continue;
        /* kept until the hypervisor confirms: its hits are still ours meanwhile */
        if ((rc = ev_cmd4(ev, ARMVMI_CMD_BREAK_CLEAR, sb->b[i].hyp_id, 0, 0, 0, NULL)))
            return rc;
        sb->b[i] = sb->b[--sb->nb];
        return 0;
    }
    return armvmi_set_error(ARMVMI_ENOENT, "armvmi_break_clear: no breakpoint %d.", id);
}

int armvmi_events_debug_counts(armvmi_events_t *ev, uint64_t *reinjected, uint64_t *filtered)
{
    if (!ev)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_events_debug_counts: NULL handle.");
    if (reinjected)
        *reinjected = EV_LOAD(&ev->chan->reinjected) - ev->reinjected0;
    if (filtered)
        *filtered = EV_LOAD(&ev->chan->filtered) - ev->filtered0;
    return 0;
}

/* ---- delivery ---- */

const char *ev_stepbrk_bad(const struct armvmi_events *ev, const struct armvmi_abi_event *e)
{
    if (e->flags & ~(e->type == ARMVMI_EV_STEP ? ARMVMI_EVF_STEP_EXCL : 0u))
        return "unknown flags";
    if (e->type == ARMVMI_EV_BREAK && (e->gpa & 3))
        return "a breakpoint at an unaligned address";
    (void)ev;
    return NULL;
}

bool ev_stepbrk_deliver(struct armvmi_events *ev, const struct armvmi_abi_event *e,
                        struct armvmi_abi_response *out)
{
    struct ev_stepbrk *sb = ev->sb;
    out->action = ARMVMI_RSP_CONTINUE;
    if (e->type == ARMVMI_EV_STEP) {
        if (!sb || !sb->step_cb || !(sb->step_mask >> e->vcpu & 1)) {
            out->flags = ARMVMI_RSPF_STEP_OFF; /* stepping was stopped meanwhile (or not ours) */
            return false;
        }
        struct armvmi_step_event se = {
            .seq = e->seq,
            .time = e->time,
            .vcpu = e->vcpu,
            .count = e->u.step.count,
            .flags = (e->flags & ARMVMI_EVF_STEP_EXCL) ? ARMVMI_STEPE_EXCL : 0};
        bool stop = false;
        armvmi_regs_from_hyp(&se.regs, &e->regs);
        EV_CALLBACK(ev, sb->step_cb(ev, &se, &stop, sb->step_arg));
        if (stop) {
            sb->step_mask &= ~(1ull << e->vcpu);
            out->flags = ARMVMI_RSPF_STEP_OFF;
        }
        return true;
    }
    struct ev_brk *b = NULL;
    for (size_t i = 0; sb && i < sb->nb && !b; i++)
        if (sb->b[i].hyp_id == e->u.brk.id)
            b = &sb->b[i];
    if (!b)
        return false; /* cleared while the hit was on its way: run the instruction */
    struct armvmi_break_event be = {.seq = e->seq,
                                    .time = e->time,
                                    .vcpu = e->vcpu,
                                    .id = b->id,
                                    .hits = e->u.brk.hits,
                                    .pc = e->gva,
                                    .gpa = e->gpa};
    struct armvmi_break_response rsp = {.action = ARMVMI_BREAK_CONTINUE};
    armvmi_regs_from_hyp(&be.regs, &e->regs);
    EV_CALLBACK(ev, b->cb(ev, &be, &rsp, b->arg));
    const char *why = NULL;
    if (rsp.action == ARMVMI_BREAK_SKIP)
        out->action = ARMVMI_RSP_SKIP;
    else if (rsp.action != ARMVMI_BREAK_CONTINUE)
        why = "unknown action";
    if (!why)
        why = ev_rsp_regs(&rsp.regs, out);
    if (why) {
        ev->st.bad_responses++;
        ev_problem(ev, "the response to breakpoint hit %llu was not sent (%s): CONTINUE instead.",
                   (unsigned long long)e->seq, why);
        *out = (struct armvmi_abi_response){.seq = e->seq, .action = ARMVMI_RSP_CONTINUE};
        return true;
    }
    ev_step_rsp(ev, e->vcpu, rsp.step, out);
    return true;
}

void ev_step_rsp(struct armvmi_events *ev, unsigned vcpu, bool step,
                 struct armvmi_abi_response *out)
{
    struct ev_stepbrk *sb = ev->sb;
    if (!step || !sb || !sb->step_cb || vcpu >= 64)
        return;
    out->flags |= ARMVMI_RSPF_STEP_ON;
    sb->step_mask |= 1ull << vcpu;
}
