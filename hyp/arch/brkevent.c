/* SPDX-License-Identifier: MIT */
/* Breakpoints: the BRK written into a private copy of the guest frame (hypervisor memory), which
 * stage 2 maps execute-only at the frame's IPA; a read or write of the IPA switches the mapping
 * back to the original frame (no execute), the next fetch to the copy again (re-copied if the
 * original was written). A hit is an ARMVMI_EV_BREAK event; CONTINUE runs the original
 * instruction (put back in the copy) with the other vCPUs held, then re-arms. */
#include <hyp/arch.h>
#include <hyp/brkevent.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/events.h>
#include <hyp/permstore.h>
#include <hyp/s1walk.h>
#include <hyp/spinlock.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>

#define BRK_MAX 64
#define BRK_FRAMES 16
#define BRK_IMM 0xa7dU                          /* our BRK's comment (Linux uses 0x004-0x900) */
#define BRK_INSN (0xd4200000U | (BRK_IMM << 5)) /* BRK #imm16 (Arm ARM C6.2.38) */
#define ESR_BRK_IMM(esr) ((esr)&0xffffUL)
#define FSC_TRANS_MASK 0x3c
#define FSC_TRANS 0x04 /* translation fault, level in bits 1:0 */
#define CACHE_LINE 64

enum view { VIEW_EXEC = 0, VIEW_READ, VIEW_RW };

struct bframe {
    bool used;
    u64 gfn;
    enum view view;
    bool dirty;        /* the original may have been written since the copy was made */
    int stepper;       /* the vCPU stepping over one of its breakpoints, or -1 */
    unsigned step_off; /* the word it runs the original of */
};

struct bp {
    bool used;
    u64 id, gpa, ttbr, hits;
    unsigned frame;
};

static u8 copies[BRK_FRAMES][4096] __attribute__((aligned(4096)));
static struct bframe frames[BRK_FRAMES];
static struct bp bps[BRK_MAX];
static volatile u32 nframes;
static u64 next_id = 1;
static spinlock_t brk_lock;
static u64 mem_step[ARMVMI_MAX_VCPUS]; /* 1 + the frame a memory event's STEP runs on, or 0 */

/* After writing code: clean the data cache to the point of unification, invalidate the
 * instruction cache (Arm ARM D7.5.9, "Instruction cache maintenance"). */
static void code_sync(const void *p, u64 len)
{
    for (u64 a = (u64)p & ~(u64)(CACHE_LINE - 1); a < (u64)p + len; a += CACHE_LINE)
        __asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
    __asm__ volatile("dsb ish\n ic ialluis\n dsb ish\n isb" ::: "memory");
}

/* The copy: the original frame with our BRK at each breakpoint. brk_lock held. */
static void copy_sync(unsigned fi)
{
    struct bframe *fr = &frames[fi];
    u32 *c = (u32 *)copies[fi];

    memcpy(c, (const void *)(fr->gfn << 12), 4096);
    for (unsigned i = 0; i < BRK_MAX; i++)
        if (bps[i].used && bps[i].frame == fi &&
            !(fr->stepper >= 0 && (bps[i].gpa & 0xfff) / 4 == fr->step_off))
            c[(bps[i].gpa & 0xfff) / 4] = BRK_INSN; /* not over the word a vCPU steps (step_over) */
    code_sync(c, 4096);
    fr->dirty = false;
}

/* brk_lock held; the caller flushes (stage2_tlb_flush). */
static void view_set(unsigned fi, enum view vw)
{
    struct bframe *fr = &frames[fi];
    u64 ipa = fr->gfn << 12;

    if (vw == VIEW_EXEC && fr->dirty)
        copy_sync(fi);
    switch (vw) {
    case VIEW_EXEC:
        stage2_map_page(ipa, (u64)copies[fi], false, false, true);
        break;
    case VIEW_READ:
        stage2_map_page(ipa, ipa, true, false, false);
        break;
    case VIEW_RW:
        stage2_map_page(ipa, ipa, true, true, false);
        fr->dirty = true;
        break;
    }
    fr->view = vw;
}

static int frame_find(u64 gfn)
{
    for (unsigned i = 0; i < BRK_FRAMES; i++)
        if (frames[i].used && frames[i].gfn == gfn)
            return (int)i;
    return -1;
}

/* No restriction in the store and no memory event's STEP on the frame. brk_lock held. */
static bool frame_free_of_mem(u64 gfn)
{
    for (unsigned i = 0; i < ARMVMI_MAX_VCPUS; i++)
        if (mem_step[i] == gfn + 1)
            return false;
    return permstore_get(PERM_VIEW_ALL, gfn) == ARMVMI_ACC_RWX;
}

bool brk_mem_set_access(u64 gfn, unsigned acc)
{
    bool ok;

    spin_lock(&brk_lock);
    ok = acc == ARMVMI_ACC_RWX || frame_find(gfn) < 0;
    if (ok)
        permstore_set(PERM_VIEW_ALL, gfn, 1, acc, 1);
    spin_unlock(&brk_lock);
    return ok;
}

bool brk_mem_step_begin(unsigned vcpu, u64 gfn)
{
    bool ok;

    spin_lock(&brk_lock);
    ok = frame_find(gfn) < 0;
    mem_step[vcpu] = ok ? gfn + 1 : 0;
    spin_unlock(&brk_lock);
    return ok;
}

void brk_mem_step_end(unsigned vcpu)
{
    __atomic_store_n(&mem_step[vcpu], 0, __ATOMIC_RELEASE);
}

u32 brk_cmd_set(const struct armvmi_abi_cmd *k, u64 *result)
{
    u64 gpa = k->arg[0];
    int fi, bi = -1;

    if ((gpa & 3) || (k->arg[1] & ~ARMVMI_TTBR_BADDR)) {
        events_error(ARMVMI_ERR_CMD_ARGS, "BREAK_SET arguments", gpa);
        return ARMVMI_CMDS_EINVAL;
    }
    if (!stage2_ipa_is_ram(gpa)) {
        events_error(ARMVMI_ERR_CMD_RANGE, "BREAK_SET address", gpa);
        return ARMVMI_CMDS_ERANGE;
    }
    for (unsigned i = 0; i < BRK_MAX && bi < 0; i++)
        if (!bps[i].used)
            bi = (int)i;
    if (bi < 0)
        return ARMVMI_CMDS_ENOSPC;
    /* every vCPU traps BRK (MDCR_EL2.TDE) before any BRK is in place */
    if (!debug_need_all(true)) {
        if (!__atomic_load_n(&nframes, __ATOMIC_SEQ_CST))
            debug_need_all(false);
        events_error(ARMVMI_ERR_CMD_ARGS, "BREAK_SET: a vCPU did not take the debug trap", gpa);
        return ARMVMI_CMDS_ETIMEDOUT;
    }
    spin_lock(&brk_lock);
    /* checked under brk_lock: a memory event's response changes the store under it too */
    if (!frame_free_of_mem(gpa >> 12)) {
        spin_unlock(&brk_lock);
        if (!nframes)
            debug_need_all(false);
        events_error(ARMVMI_ERR_CMD_ARGS, "BREAK_SET on a restricted frame", gpa);
        return ARMVMI_CMDS_EBUSY; /* the copy and the restriction would fight over stage 2 */
    }
    fi = frame_find(gpa >> 12);
    if (fi < 0) {
        for (unsigned i = 0; i < BRK_FRAMES && fi < 0; i++)
            if (!frames[i].used)
                fi = (int)i;
        if (fi < 0) {
            spin_unlock(&brk_lock);
            if (!nframes)
                debug_need_all(false);
            return ARMVMI_CMDS_ENOSPC;
        }
        frames[fi] = (struct bframe){.used = true, .gfn = gpa >> 12, .stepper = -1};
        __atomic_add_fetch(&nframes, 1, __ATOMIC_SEQ_CST);
    }
    bps[bi] = (struct bp){
        .used = true, .id = next_id++, .gpa = gpa, .ttbr = k->arg[1], .frame = (unsigned)fi};
    copy_sync((unsigned)fi);
    view_set((unsigned)fi, VIEW_EXEC);
    stage2_tlb_flush();
    spin_unlock(&brk_lock);
    result[0] = bps[bi].id;
    return ARMVMI_CMDS_OK;
}

bool brk_frames_in(u64 frame, u64 n)
{
    bool any = false;

    spin_lock(&brk_lock);
    for (unsigned i = 0; i < BRK_FRAMES; i++)
        any |= frames[i].used && frames[i].gfn - frame < n;
    spin_unlock(&brk_lock);
    return any;
}

/* brk_lock held. */
static void bp_remove(unsigned bi)
{
    unsigned fi = bps[bi].frame;
    bool others = false;

    bps[bi].used = false;
    for (unsigned i = 0; i < BRK_MAX; i++)
        others |= bps[i].used && bps[i].frame == fi;
    if (others) {
        copy_sync(fi);
        if (frames[fi].view == VIEW_EXEC)
            view_set(fi, VIEW_EXEC);
        return;
    }
    /* the original frame, mapped as at boot, then the permission store's restriction if any */
    stage2_map_page(frames[fi].gfn << 12, frames[fi].gfn << 12, true, true, true);
    permstore_reapply(PERM_VIEW_ALL, frames[fi].gfn);
    frames[fi].used = false;
    __atomic_sub_fetch(&nframes, 1, __ATOMIC_SEQ_CST);
}

u32 brk_cmd_clear(const struct armvmi_abi_cmd *k)
{
    u32 st = ARMVMI_CMDS_EINVAL;

    spin_lock(&brk_lock);
    for (unsigned i = 0; i < BRK_MAX; i++)
        if (bps[i].used && bps[i].id == k->arg[0]) {
            bp_remove(i);
            st = ARMVMI_CMDS_OK;
        }
    stage2_tlb_flush();
    spin_unlock(&brk_lock);
    if (st != ARMVMI_CMDS_OK)
        events_error(ARMVMI_ERR_CMD_ARGS, "BREAK_CLEAR id", k->arg[0]);
    else if (!__atomic_load_n(&nframes, __ATOMIC_SEQ_CST))
        debug_need_all(false);
    return st;
}

void brk_reset(void)
{
    unsigned n = 0;

    spin_lock(&brk_lock);
    for (unsigned i = 0; i < BRK_MAX; i++)
        if (bps[i].used) {
            bp_remove(i);
            n++;
        }
    stage2_tlb_flush();
    spin_unlock(&brk_lock);
    if (n) {
        hyp_printf("events: %u breakpoint(s) cleared\n", n);
        debug_need_all(false);
    }
}

/* The word the copy holds at offset off: our BRK where a breakpoint is, else the original's. */
static u32 copy_word(unsigned fi, unsigned off)
{
    for (unsigned i = 0; i < BRK_MAX; i++)
        if (bps[i].used && bps[i].frame == fi && (bps[i].gpa & 0xfff) == off * 4)
            return BRK_INSN;
    return ((const volatile u32 *)(frames[fi].gfn << 12))[off];
}

/* The step over a breakpoint is done: our BRK is back in the copy (or, if the stepped
 * instruction touched its own frame, the whole copy is made again and mapped). */
static void rearm(struct vcpu *v, u64 fi)
{
    spin_lock(&brk_lock);
    if (frames[fi].used && frames[fi].stepper == (int)v->id) {
        u32 *c = (u32 *)copies[fi];
        unsigned off = frames[fi].step_off;

        frames[fi].stepper = -1;
        if (frames[fi].dirty || frames[fi].view != VIEW_EXEC) {
            view_set((unsigned)fi, VIEW_EXEC);
            stage2_tlb_flush();
        } else {
            c[off] = copy_word((unsigned)fi, off);
            code_sync(&c[off], 4);
        }
    }
    spin_unlock(&brk_lock);
}

/* CONTINUE: the original instruction, put back in the copy for one step while every other vCPU
 * is held (no stage-2 change, no TLB maintenance: only this vCPU can fetch it meanwhile). */
static void step_over(struct vcpu *v, struct trap_frame *f, unsigned fi, u64 pa)
{
    if (!debug_once(v, f, rearm, fi, false)) /* the other vCPUs are held from here */
        return;
    spin_lock(&brk_lock);
    if (frames[fi].used && frames[fi].gfn == pa >> 12) {
        u32 *c = (u32 *)copies[fi];
        unsigned off = (unsigned)(pa & 0xfff) / 4;

        frames[fi].stepper = (int)v->id;
        frames[fi].step_off = off;
        c[off] = ((const volatile u32 *)(frames[fi].gfn << 12))[off];
        code_sync(&c[off], 4);
    }
    spin_unlock(&brk_lock);
}

static bool pc_pa(const struct vcpu *v, u64 pc, u64 *pa)
{
    const struct armvmi_abi_vcpu *r = (const struct armvmi_abi_vcpu *)ARMVMI_VCPU_REC(v->id);
    struct s1walk w;

    if (!s1walk(pc, r->sctlr_el1, r->tcr_el1, r->ttbr0_el1, r->ttbr1_el1, &w))
        return false;
    *pa = w.pa;
    return true;
}

bool brk_hit(struct trap_frame *f, u64 esr)
{
    struct vcpu *v = vcpu_current();
    const struct armvmi_abi_vcpu *r = (const struct armvmi_abi_vcpu *)ARMVMI_VCPU_REC(v->id);
    struct armvmi_abi_event ev;
    struct armvmi_abi_response rsp;
    u64 pa, id = 0, hits = 0, pc = f->elr;
    int bi = -1;
    unsigned fi = 0;

    /* (no shortcut on nframes: a vCPU that took the BRK just before its clear comes here) */
    if (ESR_BRK_IMM(esr) != BRK_IMM || !pc_pa(v, pc, &pa))
        return false;
    spin_lock(&brk_lock);
    for (unsigned i = 0; i < BRK_MAX && bi < 0; i++)
        if (bps[i].used && bps[i].gpa == pa &&
            (!bps[i].ttbr || (r->ttbr0_el1 & ARMVMI_TTBR_BADDR) == bps[i].ttbr))
            bi = (int)i;
    if (bi < 0) {
        int f2 = frame_find(pa >> 12);
        bool any = false;
        for (unsigned i = 0; i < BRK_MAX; i++)
            any |= bps[i].used && bps[i].gpa == pa;
        spin_unlock(&brk_lock);
        if (any) { /* ours, for another address space: step over it silently */
            __atomic_add_fetch(&events_chan()->filtered, 1, __ATOMIC_RELAXED);
            step_over(v, f, (unsigned)f2, pa);
            return true;
        }
        /* A breakpoint cleared while this vCPU was taking it: the original instruction is
         * back, run it. The guest's own BRK with our comment is in the original frame. */
        return stage2_ipa_is_ram(pa) && *(volatile u32 *)pa != BRK_INSN;
    }
    fi = bps[bi].frame;
    id = bps[bi].id;
    hits = ++bps[bi].hits;
    spin_unlock(&brk_lock);
    if (ev_state != EV_ATTACHED) {
        step_over(v, f, fi, pa);
        return true;
    }
    events_fill(&ev, v, ARMVMI_EV_BREAK);
    ev.gva = pc;
    ev.gpa = pa;
    ev.access = ARMVMI_ACC_X;
    ev.u.brk.id = id;
    ev.u.brk.hits = hits;
    if (!events_deliver(v, f, &ev, &rsp) ||
        !events_rsp_check(&ev, &rsp, RSP_ACT(CONTINUE) | RSP_ACT(SKIP),
                          ARMVMI_RSPF_SET_REGS | ARMVMI_RSPF_STEP_ON | ARMVMI_RSPF_STEP_OFF)) {
        step_over(v, f, fi, pa); /* no monitor, or a rejected response: as CONTINUE */
        return true;
    }
    if (rsp.flags & ARMVMI_RSPF_SET_REGS)
        events_set_regs(f, &rsp);
    debug_rsp_flags(v, rsp.flags);
    if (f->elr != pc) /* a new PC: go on there */
        return true;
    if (rsp.action == ARMVMI_RSP_SKIP)
        f->elr += 4;
    else
        step_over(v, f, fi, pa);
    return true;
}

bool brk_abort(struct trap_frame *f, u64 esr, bool iabt)
{
    u64 ipa = HPFAR_IPA(read_hpfar_el2()), fsc = ESR_xABT_FSC(esr);
    bool write = !iabt && (esr & ESR_DABT_WNR) && !(esr & ESR_xABT_S1PTW);
    struct vcpu *v = vcpu_current();
    int fi;

    if (!__atomic_load_n(&nframes, __ATOMIC_SEQ_CST))
        return false;
    if ((fsc & FSC_TRANS_MASK) == FSC_TRANS)
        return stage2_ipa_is_ram(ipa); /* a break-before-make in progress: retry */
    if ((fsc & FSC_PERM_MASK) != FSC_PERM)
        return false;
    /* HPFAR_EL2 is valid for a translation fault, not for every permission fault (D17.2.56) */
    ipa = s1walk_fault_ipa((const struct armvmi_abi_vcpu *)ARMVMI_VCPU_REC(v->id), esr, iabt);
    spin_lock(&brk_lock);
    fi = frame_find(ipa >> 12);
    if (fi < 0) {
        spin_unlock(&brk_lock);
        return false;
    }
    if (frames[fi].stepper == (int)v->id) {
        /* the stepped instruction accesses its own frame: all of it, for this instruction */
        stage2_map_page(ipa & ~0xfffUL, ipa & ~0xfffUL, true, true, true);
        frames[fi].dirty = true;
    } else if (iabt) {
        if (frames[fi].view != VIEW_EXEC)
            view_set((unsigned)fi, VIEW_EXEC);
    } else if (write) {
        if (frames[fi].view != VIEW_RW)
            view_set((unsigned)fi, VIEW_RW);
    } else if (frames[fi].view == VIEW_EXEC) {
        view_set((unsigned)fi, VIEW_READ);
    }
    stage2_tlb_flush();
    spin_unlock(&brk_lock);
    return true;
}
