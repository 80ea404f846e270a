/* SPDX-License-Identifier: MIT */
/* The reserved hardware breakpoint: the last breakpoint pair of each CPU, borrowed by the
 * hypervisor at EL0 only (arch/debug.c: the address a parked, EL0-only step returns to). The
 * guest keeps seeing its own values of the pair; the hardware has them whenever we do not use
 * it, and we do not use it while the guest enables it. */
#include <hyp/arch.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/rbp.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>

#define OP2_BVR 4
#define OP2_BCR 5
#define BCR_E BIT(0)
/* Arm ARM D2.10: E = 1, PMC = 0b10 (EL0 only), BAS = 0b1111 (A64), HMC = 0, SSC = 0b00,
 * BT = 0b0000 (unlinked instruction address match) */
#define BCR_EL0_MATCH (BCR_E | 2UL << 1 | 0xfUL << 5)
#define BVR_VA_MASK 0x0001fffffffffffcUL /* VA[48:2]; bits [63:49] sign-extend bit 48 */

struct rbp {
    bool held; /* the hardware pair is ours */
    u64 va;    /* where ours is */
    u64 bvr;   /* the guest's values while held */
    u64 bcr;
    u64 refused; /* the address we last did not place (the guest had the pair enabled) */
};
static struct rbp rbps[ARMVMI_MAX_VCPUS];
volatile u64 rbp_fallbacks;

/* ID_AA64DFR0_EL1.BRPs: the number of breakpoints minus 1, the index of the last one. */
static unsigned rbp_slot(void)
{
    u64 dfr0;

    __asm__ volatile("mrs %0, id_aa64dfr0_el1" : "=r"(dfr0));
    return (unsigned)FIELD(dfr0, 12, 4);
}

static void hw(unsigned op2, bool rd, u64 *val)
{
    debug_bp_reg(rbp_slot(), op2, rd, val);
}

/* The guest enables the pair itself: no breakpoint of ours at va (the step resumes at an exit). */
static void fall_back(struct rbp *r, u64 va)
{
    if (!__atomic_fetch_add(&rbp_fallbacks, 1, __ATOMIC_RELAXED))
        hyp_printf("debug: breakpoint %u is the guest's: EL0 steps resume at an exit\n",
                   rbp_slot());
    r->refused = va;
}

static void give_back(struct rbp *r)
{
    u64 bcr = r->bcr;

    hw(OP2_BCR, false, &bcr); /* disabled first if it was ours only */
    hw(OP2_BVR, false, &r->bvr);
    r->held = false;
}

bool rbp_sync(struct vcpu *v, u64 va)
{
    struct rbp *r = &rbps[v->id];
    u64 bvr, bcr;

    va &= BVR_VA_MASK;
    if (r->held && (!va || (r->bcr & BCR_E))) {
        if (va)
            fall_back(r, va);
        give_back(r);
        isb();
    }
    if (!va || (!r->held && va == r->refused))
        return false;
    if (r->held) {
        if (r->va != va) {
            hw(OP2_BVR, false, &va);
            r->va = va;
            isb();
        }
        return true;
    }
    hw(OP2_BVR, true, &bvr);
    hw(OP2_BCR, true, &bcr);
    if (bcr & BCR_E) {
        fall_back(r, va);
        return false;
    }
    r->bvr = bvr;
    r->bcr = bcr;
    bcr = BCR_EL0_MATCH;
    hw(OP2_BVR, false, &va);
    hw(OP2_BCR, false, &bcr);
    isb();
    r->held = true;
    r->va = va;
    r->refused = 0;
    return true;
}

bool rbp_hit(const struct vcpu *v, u64 pc)
{
    const struct rbp *r = &rbps[v->id];

    return r->held && r->va == pc;
}

bool rbp_access(const struct vcpu *v, unsigned n, unsigned op2, bool rd, u64 *val)
{
    struct rbp *r = &rbps[v->id];
    u64 *keep = op2 == OP2_BVR ? &r->bvr : &r->bcr;

    if (n != rbp_slot() || (op2 != OP2_BVR && op2 != OP2_BCR))
        return false;
    if (!r->held) {
        if (op2 == OP2_BCR && !rd && !(*val & BCR_E))
            r->refused = 0; /* the guest freed the pair: ours again at the next park */
        return false;
    }
    if (rd)
        *val = *keep;
    else
        *keep = *val; /* enabled: given back at this exit's end (rbp_sync) */
    return true;
}

void rbp_reset(struct vcpu *v)
{
    struct rbp *r = &rbps[v->id];

    if (r->held)
        give_back(r);
    r->refused = 0;
}
