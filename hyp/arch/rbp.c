/* SPDX-License-Identifier: MIT */
/* The reserved hardware breakpoints: the last breakpoint pair of each CPU (pair 0), borrowed by
 * the hypervisor at EL0 (arch/debug.c: the address a parked, EL0-only step returns to) or at
 * EL1 or EL0 (arch/exclseq.c: the exits of an exclusive sequence), and the pair before it (pair
 * 1, exclseq.c only). The guest keeps seeing its own values of a pair; the hardware has them
 * whenever we do not use it, and we do not use it while the guest enables it. */
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
#define BCR_EL1_MATCH (BCR_E | 1UL << 1 | 0xfUL << 5) /* PMC = 0b01: EL1 only */
#define BVR_VA_MASK 0x0001fffffffffffcUL /* VA[48:2]; bits [63:49] sign-extend bit 48 */

struct rbp {
    bool held; /* the hardware pair is ours */
    u64 va;    /* where ours is */
    bool el1;  /* ours matches at EL1 (else EL0) */
    u64 bvr;   /* the guest's values while held */
    u64 bcr;
    u64 refused; /* the address we last did not place (the guest had the pair enabled) */
};
static struct rbp rbps[ARMVMI_MAX_VCPUS][RBP_PAIRS];
volatile u64 rbp_fallbacks;

/* ID_AA64DFR0_EL1.BRPs: the number of breakpoints minus 1, the index of the last one (pair
 * 0); pair 1 is the one before it. */
static unsigned rbp_slot(unsigned pair)
{
    u64 dfr0;

    __asm__ volatile("mrs %0, id_aa64dfr0_el1" : "=r"(dfr0));
    return (unsigned)FIELD(dfr0, 12, 4) - pair;
}

static void hw(unsigned pair, unsigned op2, bool rd, u64 *val)
{
    debug_bp_reg(rbp_slot(pair), op2, rd, val);
}

/* The guest enables the pair itself: no breakpoint of ours at va (the step resumes at an exit). */
static void fall_back(struct rbp *r, unsigned pair, u64 va)
{
    if (!pair && !__atomic_fetch_add(&rbp_fallbacks, 1, __ATOMIC_RELAXED))
        hyp_printf("debug: breakpoint %u is the guest's: EL0 steps resume at an exit\n",
                   rbp_slot(pair));
    r->refused = va;
}

static void give_back(struct rbp *r, unsigned pair)
{
    u64 bcr = r->bcr;

    hw(pair, OP2_BCR, false, &bcr); /* disabled first if it was ours only */
    hw(pair, OP2_BVR, false, &r->bvr);
    r->held = false;
}

/* Arm ARM D2.10 (DBGBVR<n>_EL1): bits [63:49] are a sign extension of bit 48. */
static u64 bvr_of(u64 va)
{
    return (u64)((s64)(va << 15) >> 15) & ~3UL;
}

bool rbp_sync_pair(struct vcpu *v, unsigned pair, u64 va, bool el1)
{
    struct rbp *r = &rbps[v->id][pair];
    u64 bvr, bcr;

    if (pair >= RBP_PAIRS || rbp_slot(0) < pair)
        return false; /* no such pair on this CPU */
    va &= BVR_VA_MASK;
    if (r->held && (!va || (r->bcr & BCR_E))) {
        if (va)
            fall_back(r, pair, va);
        give_back(r, pair);
        isb();
    }
    if (!va || (!r->held && va == r->refused))
        return false;
    if (r->held) {
        if (r->va != va || r->el1 != el1) {
            bvr = bvr_of(va);
            bcr = el1 ? BCR_EL1_MATCH : BCR_EL0_MATCH;
            hw(pair, OP2_BVR, false, &bvr);
            hw(pair, OP2_BCR, false, &bcr);
            r->va = va;
            r->el1 = el1;
            isb();
        }
        return true;
    }
    hw(pair, OP2_BVR, true, &bvr);
    hw(pair, OP2_BCR, true, &bcr);
    if (bcr & BCR_E) {
        fall_back(r, pair, va);
        return false;
    }
    r->bvr = bvr;
    r->bcr = bcr;
    bvr = bvr_of(va);
    bcr = el1 ? BCR_EL1_MATCH : BCR_EL0_MATCH;
    hw(pair, OP2_BVR, false, &bvr);
    hw(pair, OP2_BCR, false, &bcr);
    isb();
    r->held = true;
    r->va = va;
    r->el1 = el1;
    r->refused = 0;
    return true;
}

bool rbp_sync(struct vcpu *v, u64 va)
{
    return rbp_sync_pair(v, 0, va, false);
}

bool rbp_hit_pair(const struct vcpu *v, unsigned pair, u64 pc)
{
    const struct rbp *r = &rbps[v->id][pair];

    return pair < RBP_PAIRS && r->held && r->va == (pc & BVR_VA_MASK);
}

bool rbp_hit(const struct vcpu *v, u64 pc)
{
    return rbp_hit_pair(v, 0, pc) && !rbps[v->id][0].el1;
}

bool rbp_access(const struct vcpu *v, unsigned n, unsigned op2, bool rd, u64 *val)
{
    unsigned pair = rbp_slot(0) - n;
    struct rbp *r;
    u64 *keep;

    if (n > rbp_slot(0) || pair >= RBP_PAIRS || (op2 != OP2_BVR && op2 != OP2_BCR))
        return false;
    r = &rbps[v->id][pair];
    keep = op2 == OP2_BVR ? &r->bvr : &r->bcr;
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
    for (unsigned pair = 0; pair < RBP_PAIRS && pair <= rbp_slot(0); pair++) {
        struct rbp *r = &rbps[v->id][pair];

        if (r->held)
            give_back(r, pair);
        r->refused = 0;
    }
}
