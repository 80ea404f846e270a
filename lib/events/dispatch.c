/* SPDX-License-Identifier: MIT */
/* dispatch.c — events from the channel: checked, sequence-tracked, delivered, answered. */
#include <string.h>

#include "events_priv.h"

/* Sequence numbers beyond seq_low + this are corrupt (at most a few hundred are outstanding). */
#define EV_SEQ_MAX_JUMP (4ull * EV_SEQ_WIN)

#define EV_KNOWN_FLAGS                                                                             \
    (ARMVMI_EVF_S1PTW | ARMVMI_EVF_GVA | ARMVMI_EVF_SYNDROME | ARMVMI_EVF_VALUE | ARMVMI_EVF_ASYNC)

/* ---- sequence numbers ---- */

void ev_seq_reset(struct armvmi_events *ev, uint64_t first)
{
    ev->seq_low = first;
    ev->seq_max = first - 1;
    memset(ev->seen, 0, sizeof(ev->seen));
}

static bool seen_bit(const struct armvmi_events *ev, uint64_t s)
{
    return (ev->seen[(s % EV_SEQ_WIN) / 64] >> (s % 64)) & 1;
}

static void set_bit(struct armvmi_events *ev, uint64_t s, bool on)
{
    uint64_t m = 1ull << (s % 64);
    if (on)
        ev->seen[(s % EV_SEQ_WIN) / 64] |= m;
    else
        ev->seen[(s % EV_SEQ_WIN) / 64] &= ~m;
}

/* Move seq_low past every number seen. */
static void seq_advance(struct armvmi_events *ev)
{
    while (ev->seq_low <= ev->seq_max && seen_bit(ev, ev->seq_low))
        set_bit(ev, ev->seq_low++, false);
}

/* The oldest missing number is declared lost. */
static void seq_gap(struct armvmi_events *ev)
{
    ev->st.seq_gaps++;
    ev_problem(ev, "event %llu never arrived (a gap in the sequence numbers; %llu seen since).",
               (unsigned long long)ev->seq_low, (unsigned long long)ev->seq_max);
    ev->seq_low++;
    seq_advance(ev);
}

/* Note sequence number s; false if it is a duplicate. */
static bool seq_note(struct armvmi_events *ev, uint64_t s)
{
    if (s < ev->seq_low || (s < ev->seq_low + EV_SEQ_WIN && seen_bit(ev, s))) {
        ev->st.seq_dups++;
        ev_problem(ev, "event %llu arrived twice (a duplicate sequence number).",
                   (unsigned long long)s);
        return false;
    }
    while (s >= ev->seq_low + EV_SEQ_WIN) /* far ahead: what it jumps over is lost */
        seq_gap(ev);                      /* bounded: bad_event refused absurd jumps */
    set_bit(ev, s, true);
    if (s > ev->seq_max)
        ev->seq_max = s;
    ev->st.last_seq = ev->seq_max;
    seq_advance(ev);
    return true;
}

/*
 * A missing number is lost once more numbers have been seen after it than can be outstanding:
 * one per vCPU (a synchronous event holds its vCPU) plus a full async ring.
 */
static void seq_check_gaps(struct armvmi_events *ev)
{
    uint64_t slack = ev->ncpus + ARMVMI_CHAN_ASYNC + 8;
    while (ev->seq_low <= ev->seq_max && ev->seq_max - ev->seq_low >= slack)
        seq_gap(ev);
}

/* ---- events ---- */

static bool in_ram(const struct armvmi_events *ev, uint64_t pa)
{
    const struct armvmi_info *in = &ev->info;
    if (pa >= in->hyp_carve_base && pa - in->hyp_carve_base < in->hyp_carve_size)
        return false;
    for (unsigned i = 0; i < in->nranges; i++)
        if (pa >= in->ranges[i].base && pa - in->ranges[i].base < in->ranges[i].size)
            return true;
    return false;
}

/* Check an event copied out of the channel; NULL if good, else what is wrong. */
static const char *bad_event(const struct armvmi_events *ev, const struct armvmi_abi_event *e,
                             unsigned vcpu, bool async, bool check_seq)
{
    if (e->type != ARMVMI_EV_MEM)
        return async && e->type >= ARMVMI_EV_REG && e->type <= ARMVMI_EV_BREAK
                   ? "a synchronous-only event type in the async ring"
                   : "unknown event type";
    if (async ? e->vcpu >= ev->ncpus : e->vcpu != vcpu)
        return "wrong vCPU";
    if (e->access != ARMVMI_ACC_R && e->access != ARMVMI_ACC_W && e->access != ARMVMI_ACC_X)
        return "access is not one of r, w, x";
    if (e->flags & ~EV_KNOWN_FLAGS)
        return "unknown flags";
    if (!!(e->flags & ARMVMI_EVF_ASYNC) != async)
        return async ? "a synchronous event in the async ring" : "an async event in a slot";
    if (e->flags & ARMVMI_EVF_SYNDROME) {
        if (e->size != 1 && e->size != 2 && e->size != 4 && e->size != 8 && e->size != 16)
            return "impossible access size";
        if (e->reg > 31)
            return "impossible register number";
    }
    if (e->seq == 0)
        return "sequence number 0";
    if (check_seq && e->seq > ev->seq_low + EV_SEQ_MAX_JUMP)
        return "a sequence number far beyond any outstanding one";
    if (!in_ram(ev, e->gpa))
        return "the address is not guest RAM";
    if (e->page_access > ARMVMI_ACC_N2RWX)
        return "impossible page access";
    return NULL;
}

static bool watch_covers(const struct ev_watch *w, uint64_t gfn)
{
    for (size_t i = 0; i < w->next; i++)
        if (gfn >= w->ext[i].gfn && gfn - w->ext[i].gfn < w->ext[i].n)
            return true;
    return false;
}

/* Give e to every registration that wants it; false if none did. */
static bool deliver(struct armvmi_events *ev, struct armvmi_mem_event *me,
                    struct armvmi_mem_response *rsp)
{
    bool claimed = false;
    uint64_t gfn = me->gpa >> 12;
    for (size_t i = 0; i < ev->nw; i++) {
        struct ev_watch *w = &ev->w[i];
        /* n2rwx: its one (async) event is for any access; rx2rw raises none */
        unsigned wants = w->trap == ARMVMI_MEM_N2RWX ? ARMVMI_MEM_R | ARMVMI_MEM_W | ARMVMI_MEM_X
                                                     : w->trap & ~EV_MEM_CONVERT;
        if (!(w->live || w->draining) || !(wants & me->access) || !watch_covers(w, gfn))
            continue;
        me->watch = w->id;
        claimed = true;
        EV_CALLBACK(ev, w->cb(ev, me, rsp, w->arg));
    }
    return claimed;
}

static void mem_event(struct armvmi_mem_event *me, const struct armvmi_abi_event *e)
{
    me->seq = e->seq;
    me->time = e->time;
    me->vcpu = e->vcpu;
    me->access = e->access;
    me->flags = e->flags;
    me->gpa = e->gpa;
    me->gva = e->gva;
    me->size = e->size;
    me->reg = e->reg;
    me->sign_extend = e->sign_extend != 0;
    me->value = e->value;
    me->page_access = e->page_access <= ARMVMI_ACC_RWX ? e->page_access : 0;
    memset(&me->regs, 0, sizeof(me->regs));
    armvmi_regs_from_hyp(&me->regs, &e->regs);
}

/* The registers of a response (X0-X30, PC, PSTATE, SP_EL0, SP_EL1) into the ABI's; NULL if
 * good, else why not. Shared by every event type. */
const char *ev_rsp_regs(const struct armvmi_regs *r, struct armvmi_abi_response *out)
{
    for (int id = 0; id < ARMVMI_REG_COUNT; id++) {
        if (!armvmi_reg_valid(r, id))
            continue;
        uint64_t v = r->regs[id];
        if (id <= ARMVMI_REG_X30) {
            out->reg_mask |= 1ull << id;
            out->x[id] = v;
        } else if (id == ARMVMI_REG_PC) {
            out->reg_mask |= 1ull << ARMVMI_RSP_REG_PC;
            out->pc = v;
        } else if (id == ARMVMI_REG_PSTATE) {
            out->reg_mask |= 1ull << ARMVMI_RSP_REG_PSTATE;
            out->pstate = v;
        } else if (id == ARMVMI_REG_SP_EL0) {
            out->reg_mask |= 1ull << ARMVMI_RSP_REG_SP_EL0;
            out->sp_el0 = v;
        } else if (id == ARMVMI_REG_SP_EL1) {
            out->reg_mask |= 1ull << ARMVMI_RSP_REG_SP_EL1;
            out->sp_el1 = v;
        } else {
            return "only X0-X30, PC, PSTATE, SP_EL0 and SP_EL1 can be set in a response";
        }
    }
    if (out->reg_mask)
        out->flags |= ARMVMI_RSPF_SET_REGS;
    return NULL;
}

/* The ABI response for the callback's; NULL if good, else why it is not. */
static const char *make_response(const struct armvmi_mem_response *r,
                                 const struct armvmi_abi_event *e, struct armvmi_abi_response *out)
{
    memset(out, 0, sizeof(*out));
    out->seq = e->seq;
    switch (r->action) {
    case ARMVMI_MEM_CONTINUE:
        out->action = ARMVMI_RSP_CONTINUE;
        break;
    case ARMVMI_MEM_STEP:
        out->action = ARMVMI_RSP_STEP;
        break;
    case ARMVMI_MEM_SKIP:
        out->action = ARMVMI_RSP_SKIP;
        break;
    case ARMVMI_MEM_EMULATE:
        if (!(e->flags & ARMVMI_EVF_SYNDROME))
            return "EMULATE needs an access the hypervisor can decode (no syndrome)";
        out->action = ARMVMI_RSP_EMULATE;
        out->value = r->value;
        break;
    default:
        return "unknown action";
    }
    const char *why = ev_rsp_regs(&r->regs, out);
    if (why)
        return why;
    if (r->set_access) {
        if (r->new_access & ~ARMVMI_ACC_RWX)
            return "new_access has bits other than r, w, x";
        out->flags |= ARMVMI_RSPF_SET_ACCESS;
        out->new_access = r->new_access;
    }
    return NULL;
}

static void answer(struct armvmi_events *ev, unsigned v, const struct armvmi_abi_response *r)
{
    struct armvmi_abi_slot *s = ev_slot(ev, v);
    memcpy(&s->rsp, r, sizeof(*r));
    EV_STORE(&s->state, (uint32_t)ARMVMI_SLOT_ANSWERED);
    ev_ring(ev);
}

/* The synchronous event types other than memory, by ARMVMI_EV_*: each type's own checks (NULL
 * if good, else what is wrong) and its delivery (true if a registration took it). */
static const struct ev_kind {
    const char *(*bad)(const struct armvmi_events *ev, const struct armvmi_abi_event *e);
    bool (*deliver)(struct armvmi_events *ev, const struct armvmi_abi_event *e,
                    struct armvmi_abi_response *out);
} ev_kinds[] = {
    [ARMVMI_EV_REG] = {ev_regcall_bad, ev_regcall_deliver},
    [ARMVMI_EV_SMC] = {ev_regcall_bad, ev_regcall_deliver},
    [ARMVMI_EV_HVC] = {ev_regcall_bad, ev_regcall_deliver},
    [ARMVMI_EV_STEP] = {ev_stepbrk_bad, ev_stepbrk_deliver},
    [ARMVMI_EV_BREAK] = {ev_stepbrk_bad, ev_stepbrk_deliver},
};

/* A synchronous event of another type than memory: the common checks, then its own. */
static void handle_other(struct armvmi_events *ev, unsigned v, const struct armvmi_abi_event *e,
                         bool inherited)
{
    struct armvmi_abi_response out = {.seq = e->seq, .action = ARMVMI_RSP_CONTINUE};
    const struct ev_kind *k =
        e->type < sizeof(ev_kinds) / sizeof(ev_kinds[0]) && ev_kinds[e->type].deliver
            ? &ev_kinds[e->type]
            : NULL;
    const char *why = !k             ? "unknown event type"
                      : e->vcpu != v ? "wrong vCPU"
                      : e->seq == 0  ? "sequence number 0"
                      : !inherited && e->seq > ev->seq_low + EV_SEQ_MAX_JUMP
                          ? "a sequence number far beyond any outstanding one"
                          : k->bad(ev, e);

    if (why) {
        ev->st.bad_events++;
        ev_problem(ev, "vCPU %u posted a corrupt event (seq %llu): %s; answered CONTINUE.", v,
                   (unsigned long long)e->seq, why);
    } else if (inherited || seq_note(ev, e->seq)) {
        if (k->deliver(ev, e, &out))
            ev->st.events++;
        else
            ev->st.unclaimed++;
    }
    answer(ev, v, &out);
}

static void handle_sync(struct armvmi_events *ev, unsigned v, const struct armvmi_abi_event *e)
{
    struct armvmi_abi_response out = {.seq = e->seq, .action = ARMVMI_RSP_CONTINUE};
    bool inherited = ev->inherited[v] && e->seq == ev->inherited_seq[v];
    ev->inherited[v] = false;
    if (e->type != ARMVMI_EV_MEM) {
        handle_other(ev, v, e, inherited);
        return;
    }
    const char *why = bad_event(ev, e, v, false, !inherited);
    if (why) {
        ev->st.bad_events++;
        ev_problem(ev, "vCPU %u posted a corrupt event (seq %llu): %s; answered CONTINUE.", v,
                   (unsigned long long)e->seq, why);
        answer(ev, v, &out);
        return;
    }
    if (!inherited && !seq_note(ev, e->seq)) {
        answer(ev, v, &out); /* already delivered: let the vCPU retry */
        return;
    }
    struct armvmi_mem_event me;
    mem_event(&me, e);
    if (inherited)
        me.flags |= ARMVMI_MEMF_INHERITED;
    struct armvmi_mem_response rsp = {.action = ARMVMI_MEM_STEP};
    if (!deliver(ev, &me, &rsp)) {
        /* A restriction no registration wants (just cleared, or a previous monitor's): the
         * frame gets what the registrations allow, and the access is retried. */
        ev->st.unclaimed++;
        out.flags = ARMVMI_RSPF_SET_ACCESS;
        out.new_access = ev_frame_allowed(ev, e->gpa >> 12);
        answer(ev, v, &out);
        return;
    }
    ev->st.events++;
    if ((why = make_response(&rsp, e, &out))) {
        ev->st.bad_responses++;
        ev_problem(ev, "the response to event %llu was not sent (%s): STEP instead.",
                   (unsigned long long)e->seq, why);
        out = (struct armvmi_abi_response){.seq = e->seq, .action = ARMVMI_RSP_STEP};
    }
    answer(ev, v, &out);
}

static void handle_async(struct armvmi_events *ev, const struct armvmi_abi_event *e)
{
    const char *why = bad_event(ev, e, 0, true, true);
    if (why) {
        ev->st.bad_events++;
        ev_problem(ev, "a corrupt asynchronous event (seq %llu): %s; ignored.",
                   (unsigned long long)e->seq, why);
        return;
    }
    if (!seq_note(ev, e->seq))
        return;
    struct armvmi_mem_event me;
    mem_event(&me, e);
    struct armvmi_mem_response rsp = {.action = ARMVMI_MEM_CONTINUE};
    if (deliver(ev, &me, &rsp)) {
        ev->st.events++;
        ev->st.async_events++;
    } else {
        ev->st.unclaimed++;
    }
}

static int check_session(struct armvmi_events *ev)
{
    if (EV_LOAD(&ev->chan->attached) && EV_LOAD(&ev->chan->session) == ev->session)
        return 0;
    return armvmi_set_error(ARMVMI_ESTATE,
                            "the hypervisor ended this monitor session (monitors declared gone "
                            "so far: %llu; a heartbeat older than %u ms counts as gone).",
                            (unsigned long long)EV_LOAD(&ev->chan->mon_timeouts),
                            ev->opt.timeout_ms);
}

bool ev_pending(struct armvmi_events *ev)
{
    for (unsigned v = 0; v < ev->ncpus; v++)
        if (EV_LOAD(&ev_slot(ev, v)->state) == ARMVMI_SLOT_POSTED)
            return true;
    return EV_LOAD(&ev->chan->async_head) != ev->async_tail;
}

/* Events pending together are delivered in seq order: the posted sync slots (at most one per
 * vCPU) sorted by seq, merged with the async ring (itself in seq order). Two vCPUs' events can
 * still arrive out of order when one is posted after this poll took the other (events.h). */
int ev_poll(struct armvmi_events *ev)
{
    int rc = check_session(ev), n = 0;
    if (rc)
        return rc;
    struct armvmi_abi_event sync[ARMVMI_MAX_VCPUS];
    unsigned vcpu[ARMVMI_MAX_VCPUS], ns = 0;
    for (unsigned v = 0; v < ev->ncpus; v++) {
        struct armvmi_abi_slot *s = ev_slot(ev, v);
        uint32_t state = EV_LOAD(&s->state);
        if (state == ARMVMI_SLOT_FREE || state == ARMVMI_SLOT_ANSWERED)
            continue;
        if (state != ARMVMI_SLOT_POSTED)
            return armvmi_set_error(ARMVMI_EFORMAT,
                                    "the event slot of vCPU %u has state %u (abi.h has 0-2): the "
                                    "monitor channel is corrupt.",
                                    v, state);
        /* copied once, then checked; insertion by seq (ncpus <= ARMVMI_MAX_VCPUS) */
        unsigned i = ns++;
        struct armvmi_abi_event e;
        memcpy(&e, &s->ev, sizeof(e));
        for (; i > 0 && sync[i - 1].seq > e.seq; i--) {
            sync[i] = sync[i - 1];
            vcpu[i] = vcpu[i - 1];
        }
        sync[i] = e;
        vcpu[i] = v;
    }
    uint64_t head = EV_LOAD(&ev->chan->async_head);
    if (head < ev->async_tail || head - ev->async_tail > ARMVMI_CHAN_ASYNC)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the async ring says %llu events were written but %llu were "
                                "consumed (ring of %u): the monitor channel is corrupt.",
                                (unsigned long long)head, (unsigned long long)ev->async_tail,
                                ARMVMI_CHAN_ASYNC);
    for (unsigned i = 0; i <= ns; i++) {
        /* the async events older than the next sync one (all of them after the last) */
        for (; ev->async_tail < head; n++) {
            struct armvmi_abi_event e;
            memcpy(&e, ev_async_entry(ev, ev->async_tail), sizeof(e));
            if (i < ns && e.seq > sync[i].seq)
                break;
            handle_async(ev, &e);
            ev->async_tail++;
            EV_STORE(&ev->chan->async_tail, ev->async_tail);
        }
        if (i < ns) {
            handle_sync(ev, vcpu[i], &sync[i]);
            n++;
        }
    }
    seq_check_gaps(ev);
    return n;
}

int ev_drain(struct armvmi_events *ev, uint64_t upto, long ms)
{
    long long t0 = ev_now_ms();
    for (;;) {
        int rc = ev_poll(ev);
        if (rc < 0)
            return rc;
        if (ev->seq_low > upto || ev_now_ms() - t0 >= ms)
            return 0;
        if (rc == 0)
            ev_wait(ev, 1);
    }
}

int armvmi_events_listen(armvmi_events_t *ev, int timeout_ms)
{
    if (!ev)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_events_listen: NULL handle.");
    if (ev->in_cb)
        return armvmi_set_error(ARMVMI_ESTATE,
                                "armvmi_events_listen cannot be called from an event callback.");
    /* the registrations are made: a VM held at boot for a monitor may start now */
    int rc = ev->released ? 0 : armvmi_events_release(ev);
    if (rc)
        return rc;
    long long deadline = timeout_ms < 0 ? -1 : ev_now_ms() + timeout_ms;
    int total = 0;
    ev->stop = false;
    for (;;) {
        if (ev->interrupted) {
            ev->interrupted = 0;
            return armvmi_set_error(ARMVMI_EINTR, "interrupted.");
        }
        ev_stepbrk_follow(ev);
        int n = ev_poll(ev);
        if (n < 0)
            return n;
        total += n;
        if (ev->stop || total > (1 << 30))
            return total;
        if (n > 0)
            continue;
        long long now = ev_now_ms();
        if (deadline >= 0 && now >= deadline)
            return total;
        ev_wait(ev, deadline < 0 ? 50 : deadline - now);
    }
}
