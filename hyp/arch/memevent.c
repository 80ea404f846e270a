/* SPDX-License-Identifier: MIT */
/* Memory events: stage-2 permission faults checked against the permission store, the event
 * delivered through the vCPU's slot, and the monitor's response applied. */
#include <hyp/arch.h>
#include <hyp/brkevent.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/events.h>
#include <hyp/inject.h>
#include <hyp/mmio.h>
#include <hyp/permstore.h>
#include <hyp/s1walk.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>
#include <hyp/trap.h>
#include <hyp/vcpu.h>

#define DESC_AF BIT(10)
#define DESC_AP2 BIT(7) /* AP[2]: read-only */
#define DESC_DBM BIT(51)
#define HAFDBS_RETRIES 16

static u32 hafdbs_retries[ARMVMI_MAX_VCPUS];

static struct armvmi_abi_vcpu *rec_of(const struct vcpu *v)
{
    return (struct armvmi_abi_vcpu *)ARMVMI_VCPU_REC(v->id);
}

static u64 size_mask(unsigned size)
{
    return size >= 8 ? ~0UL : (1UL << (size * 8)) - 1;
}

/* A load's result as the instruction would write Xt: sign-extended to 64 (SF) or 32 bits. */
static u64 load_value(u64 raw, unsigned size, bool sse, bool sf)
{
    u64 v = raw & size_mask(size);

    if (sse && size < 8 && (v >> (size * 8 - 1) & 1))
        v |= ~size_mask(size);
    return sf ? v : v & 0xffffffffUL;
}

static void set_xt(struct trap_frame *f, unsigned rt, u64 v)
{
    if (rt < 31)
        f->x[rt] = v;
}

/*
 * The guest's own walk wrote to a write-protected table page: a hardware Access flag or dirty
 * state update (FEAT_HAFDBS, Arm ARM D8.4.6 and D8.4.7; QEMU 7.2 implements it and Linux sets
 * TCR_EL1.HA). Not the guest's store, so no event: we make the update the walk wanted, with the
 * same single-copy-atomic compare-and-swap the hardware uses (D8.4.8): AF first, and on a
 * repeated fault of a descriptor that already has AF, the dirty update (DBM set: clear AP[2]).
 * Then stage 1 is invalidated, as an entry with AF=0 may be cached while HA=1 (D8.4.6).
 */
static bool hafdbs_update(const struct armvmi_abi_vcpu *r, u64 far, u64 gpa)
{
    struct s1walk w;

    /* gpa: the faulting table page, or the descriptor in it that our walk found */
    if (!s1walk(far, r->sctlr_el1, r->tcr_el1, r->ttbr0_el1, r->ttbr1_el1, &w) ||
        (w.leaf_addr & ~0xfffUL) != (gpa & ~0xfffUL))
        return false;
    u64 *d = (u64 *)w.leaf_addr, old = __atomic_load_n(d, __ATOMIC_RELAXED), nw = old | DESC_AF;

    if ((old & DESC_AF) && (old & DESC_DBM))
        nw &= ~DESC_AP2;
    __atomic_compare_exchange_n(d, &old, nw, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
    __asm__ volatile("dsb ish\n tlbi vmalle1is\n dsb ish\n isb" ::: "memory");
    return true;
}

/* The memory event's own checks, after events_rsp_check's common ones. */
static bool rsp_check(const struct armvmi_abi_event *ev, const struct armvmi_abi_response *p)
{
    if (!events_rsp_check(ev, p,
                          RSP_ACT(CONTINUE) | RSP_ACT(STEP) | RSP_ACT(SKIP) | RSP_ACT(EMULATE),
                          ARMVMI_RSPF_SET_REGS | ARMVMI_RSPF_SET_ACCESS | ARMVMI_RSPF_STEP_ON |
                              ARMVMI_RSPF_STEP_OFF))
        return false;
    if ((p->flags & ARMVMI_RSPF_SET_ACCESS) && !permstore_acc_valid(p->new_access)) {
        events_error(ARMVMI_ERR_RSP_ACCESS, "response new_access", p->new_access);
        return false;
    }
    if (p->action == ARMVMI_RSP_EMULATE &&
        (!(ev->flags & ARMVMI_EVF_SYNDROME) || (ev->flags & ARMVMI_EVF_S1PTW))) {
        events_error(ARMVMI_ERR_RSP_EMULATE, "EMULATE without a valid syndrome", ev->gpa);
        return false;
    }
    return true;
}

/* A single load or store with a valid syndrome (ISV: one general register, no write-back,
 * not exclusive; Arm ARM D17.2.37.13) done by the hypervisor at the guest PA. */
static void emulate_access(struct trap_frame *f, const struct armvmi_abi_event *ev, u64 esr)
{
    u64 pa = ev->gpa;

    __asm__ volatile("dmb ish" ::: "memory");
    if (ev->access == ARMVMI_ACC_W)
        mmio_phys_write(pa, ev->size, ev->value);
    else
        set_xt(
            f, ev->reg,
            load_value(mmio_phys_read(pa, ev->size), ev->size, ev->sign_extend, esr & ESR_DABT_SF));
    __asm__ volatile("dmb ish" ::: "memory");
    inject_skip_insn(f, esr);
}

/* STEP that cannot be emulated: the other vCPUs held (arch/debug.c), then the frame
 * unrestricted for one instruction; the store's restriction is back once it has run. */
static void step_done(struct vcpu *v, u64 frame)
{
    permstore_reapply(PERM_VIEW_ALL, frame);
    brk_mem_step_end(v->id);
}

static void step_begin(struct vcpu *v, struct trap_frame *f, u64 frame)
{
    if (!debug_once(v, f, step_done, frame, false)) {
        brk_mem_step_end(v->id);
        return;
    }
    stage2_set_perm(frame << 12, true, true, true);
    stage2_tlb_flush();
}

static void respond(struct vcpu *v, struct trap_frame *f, u64 esr,
                    const struct armvmi_abi_event *ev, const struct armvmi_abi_response *p)
{
    /* emulated only inside the frame: an access that crosses into the next page is stepped */
    bool emulable = (ev->flags & ARMVMI_EVF_SYNDROME) && !(ev->flags & ARMVMI_EVF_S1PTW) &&
                    (ev->gpa & 0xfff) + ev->size <= 0x1000;

    if (!rsp_check(ev, p))
        return; /* not applied: as CONTINUE */
    /* a breakpoint may have been placed on the frame while the event waited (after a SET_ACCESS
     * command made it rwx): it must not be restricted now (abi.h, ARMVMI_ERR_RSP_BUSY) */
    if ((p->flags & ARMVMI_RSPF_SET_ACCESS) && !brk_mem_set_access(ev->gpa >> 12, p->new_access)) {
        events_error(ARMVMI_ERR_RSP_BUSY, "response SET_ACCESS of a breakpoint's frame", ev->gpa);
        return;
    }
    if (p->flags & ARMVMI_RSPF_SET_REGS)
        events_set_regs(f, p);
    debug_rsp_flags(v, p->flags);
    switch (p->action) {
    case ARMVMI_RSP_STEP:
        if (!brk_mem_step_begin(v->id, ev->gpa >> 12))
            break; /* a breakpoint's frame, unrestricted: retried */
        if (emulable) {
            emulate_access(f, ev, esr);
            brk_mem_step_end(v->id);
        } else {
            step_begin(v, f, ev->gpa >> 12);
        }
        break;
    case ARMVMI_RSP_SKIP:
        inject_skip_insn(f, esr);
        break;
    case ARMVMI_RSP_EMULATE:
        if (ev->access == ARMVMI_ACC_R)
            set_xt(f, ev->reg, load_value(p->value, ev->size, ev->sign_extend, esr & ESR_DABT_SF));
        inject_skip_insn(f, esr);
        break;
    default:
        break;
    }
}

static void fill_event(struct armvmi_abi_event *ev, const struct vcpu *v,
                       const struct armvmi_abi_vcpu *r, u64 gpa, u64 far, bool far_ok,
                       unsigned access, unsigned acc, u64 esr, bool iabt)
{
    events_fill(ev, v, ARMVMI_EV_MEM);
    ev->gpa = gpa;
    ev->gva = far_ok ? far : 0;
    ev->access = access;
    ev->flags = (far_ok ? ARMVMI_EVF_GVA : 0) | (esr & ESR_xABT_S1PTW ? ARMVMI_EVF_S1PTW : 0);
    ev->page_access = acc;
    if (!iabt && (esr & ESR_DABT_ISV) && !(esr & ESR_xABT_S1PTW)) {
        ev->flags |= ARMVMI_EVF_SYNDROME;
        ev->size = 1u << ESR_DABT_SAS(esr);
        ev->reg = (u32)ESR_DABT_SRT(esr);
        ev->sign_extend = (esr & ESR_DABT_SSE) ? 1 : 0;
        if (access == ARMVMI_ACC_W) {
            ev->flags |= ARMVMI_EVF_VALUE;
            ev->value = (ev->reg == 31 ? 0 : r->x[ev->reg]) & size_mask(ev->size);
        }
    }
}

bool events_mem_abort(struct trap_frame *f, u64 esr, bool iabt)
{
    struct vcpu *v = vcpu_current();
    const struct armvmi_abi_vcpu *r = rec_of(v);
    bool s1ptw = esr & ESR_xABT_S1PTW, far_ok = iabt || !(esr & ESR_xABT_FNV);
    u64 far = read_far_el2(), gpa;
    unsigned acc, access;

    if ((ESR_xABT_FSC(esr) & FSC_PERM_MASK) != FSC_PERM)
        return false;
    if (debug_once_active(v))
        debug_once_end(v); /* the stepped instruction faulted elsewhere: the step is over */
    gpa = s1walk_fault_ipa(r, esr, iabt);
    if (!stage2_ipa_is_ram(gpa))
        return false;
    acc = permstore_get(PERM_VIEW_ALL, gpa >> 12);
    if (s1ptw) {
        /* The walk itself was allowed to read: then it faulted writing (hardware AF/dirty). */
        if (permstore_hw_rights(acc) & ARMVMI_ACC_R) {
            if (hafdbs_update(r, far, gpa) || ++hafdbs_retries[v->id] < HAFDBS_RETRIES) {
                permstore_reapply(PERM_VIEW_ALL, gpa >> 12);
                return true;
            }
            hafdbs_retries[v->id] = 0;
            access = ARMVMI_ACC_W;
        } else {
            access = ARMVMI_ACC_R;
        }
    } else {
        access = iabt ? ARMVMI_ACC_X : (esr & ESR_DABT_WNR) ? ARMVMI_ACC_W : ARMVMI_ACC_R;
    }
    hafdbs_retries[v->id] = 0;
    if (acc == ARMVMI_ACC_RX2RW && access == ARMVMI_ACC_W) {
        permstore_set(PERM_VIEW_ALL, gpa >> 12, 1, ARMVMI_ACC_R | ARMVMI_ACC_W, 1);
        return true;
    }
    if (ev_state == EV_DETACHED) {
        /* a restriction left from a session that ended while this fault was on its way */
        permstore_set(PERM_VIEW_ALL, gpa >> 12, 1, ARMVMI_ACC_RWX, 1);
        permstore_reapply(PERM_VIEW_ALL, gpa >> 12);
        return true;
    }
    if (permstore_hw_rights(acc) & access) {
        /* Native: the store allows it (a stale TLB entry, or a change racing with us). */
        permstore_reapply(PERM_VIEW_ALL, gpa >> 12);
        return true;
    }
    struct armvmi_abi_event ev;
    struct armvmi_abi_response rsp;

    fill_event(&ev, v, r, gpa, far, far_ok, access, acc, esr, iabt);
    if (acc == ARMVMI_ACC_N2RWX) {
        permstore_set(PERM_VIEW_ALL, gpa >> 12, 1, ARMVMI_ACC_RWX, 1);
        ev.flags |= ARMVMI_EVF_ASYNC;
        events_post_async(&ev);
        return true;
    }
    if (events_deliver(v, f, &ev, &rsp))
        respond(v, f, esr, &ev, &rsp);
    return true;
}
