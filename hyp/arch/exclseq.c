/* SPDX-License-Identifier: MIT */
/* Exclusive load/store sequences under the monitor's single-step: each step's exception entry
 * and return clear the local exclusive monitor (Arm ARM, "Synchronization and semaphores": an
 * exception return clears it; QEMU clears it on entry too), so a stepped store-exclusive always
 * fails and an LL/SC loop never ends. As GDB's aarch64 "atomic sequence" stepping does, a
 * load-exclusive whose store-exclusive follows closely is run unstepped up to hardware breakpoints
 * at its exits. */
#include <hyp/arch.h>
#include <hyp/exclseq.h>
#include <hyp/rbp.h>
#include <hyp/s1walk.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>

/*
 * Arm ARM C4.1 (A64 encoding index), "Load/store exclusive register" and "Load/store exclusive
 * pair": size:2 | 001000 | o2 | L | o1 | Rs:5 | o0 | Rt2:5 | Rn:5 | Rt:5, o2 = 0 (o2 = 1 is
 * LDAR/STLR and, with o1 = 1, CAS). o1 = 1 is a pair (LDXP/LDAXP/STXP/STLXP) only for sizes
 * 0b10 and 0b11; with sizes 0b0x it is CASP. L = 1 loads (LDXR, LDAXR, LDXRB/H, LDAXRB/H).
 */
#define EXCL_MASK 0x3f800000u
#define EXCL_BITS 0x08000000u
#define EXCL_L BIT(22)
#define EXCL_O1 BIT(21)

static bool is_excl(u32 w, bool load)
{
    if ((w & EXCL_MASK) != EXCL_BITS || !(w & EXCL_L) != !load)
        return false;
    return !(w & EXCL_O1) || (w >> 31 & 1); /* a pair only with size 0b1x */
}

/* Arm ARM C4.1 "Branches, Exception Generating and System instructions". */
static s64 sext(u64 x, unsigned bits)
{
    return (s64)(x << (64 - bits)) >> (64 - bits);
}

/* A conditional branch (B.cond, BC.cond, CBZ/CBNZ, TBZ/TBNZ): its target in *t. */
static bool cond_branch(u32 w, u64 pc, u64 *t)
{
    if ((w & 0xff000000u) == 0x54000000u || (w & 0x7e000000u) == 0x34000000u) {
        *t = pc + (u64)(sext(FIELD(w, 5, 19), 19) * 4);
        return true;
    }
    if ((w & 0x7e000000u) == 0x36000000u) {
        *t = pc + (u64)(sext(FIELD(w, 5, 14), 14) * 4);
        return true;
    }
    return false;
}

/* B, BL, branch to register (BR, BLR, RET, ERET and their authenticated forms), exception
 * generation (SVC, HVC, SMC, BRK, HLT, DCPS), and system instructions other than barriers and
 * hints but WFE/WFI (MSR, MRS, SYS: they could trap): a sequence cannot be run at once. */
static bool stops(u32 w)
{
    if ((w & 0x7c000000u) == 0x14000000u || (w & 0xfe000000u) == 0xd6000000u ||
        (w & 0xff000000u) == 0xd4000000u)
        return true;
    if ((w & 0xffc00000u) != 0xd5000000u)
        return false;
    if ((w & 0xfffff01fu) == 0xd503301fu)
        return false; /* CLREX, DSB, DMB, ISB, SB */
    if ((w & 0xfffff01fu) == 0xd503201fu)
        return (w & 0xfe0u) == 0x040u || (w & 0xfe0u) == 0x060u; /* hints; WFE 2, WFI 3 */
    return true;
}

bool exclseq_decode(const u32 *insn, unsigned n, u64 pc, struct exclseq *s)
{
    u64 out = 0, t;

    if (!n || !is_excl(insn[0], true))
        return false;
    for (unsigned i = 1; i < n && i < EXCLSEQ_MAX; i++) {
        u64 at = pc + 4UL * i;
        u32 w = insn[i];

        if (is_excl(w, false)) {
            s->start = pc;
            s->store = at;
            s->exit[0] = at + 4;
            s->exit[1] = 0;
            /* a branch target inside the sequence stays in it; one at its end is exit[0] */
            if (out && (out < pc || out > at) && out != at + 4)
                s->exit[1] = out;
            return true;
        }
        if (is_excl(w, true) || stops(w))
            return false;
        if (cond_branch(w, at, &t) && (t < pc || t > at)) {
            /* may leave: inside [pc, store] is only known at the store; keep it */
            if (out && out != t)
                return false; /* two ways out: one breakpoint pair for each is too few */
            out = t;
        }
    }
    return false;
}

/* The guest's instruction word at va through its stage 1 (current registers), from RAM only. */
static bool read_insn(u64 va, u32 *w)
{
    struct s1walk sw;

    if (!s1walk(va, read_sctlr_el1(), read_tcr_el1(), read_ttbr0_el1(), read_ttbr1_el1(), &sw) ||
        !stage2_ipa_is_ram(sw.pa & ~3UL))
        return false;
    *w = *(volatile u32 *)(sw.pa & ~3UL);
    return true;
}

bool exclseq_start(struct vcpu *v, const struct trap_frame *f, struct exclseq *s)
{
    u64 mode = f->spsr & (PSR_MODE_MASK | PSR_nRW), pc = f->elr;
    u32 insn[EXCLSEQ_MAX];
    unsigned n = 0;

    if ((mode != PSR_MODE_EL0t && mode != PSR_MODE_EL1h && mode != PSR_MODE_EL1t) || (pc & 3))
        return false;
    if (!read_insn(pc, &insn[0]) || !is_excl(insn[0], true))
        return false; /* the common case: one word read */
    for (n = 1; n < EXCLSEQ_MAX && read_insn(pc + 4UL * n, &insn[n]); n++)
        if (is_excl(insn[n], false)) {
            n++;
            break;
        }
    if (!exclseq_decode(insn, n, pc, s))
        return false;
    s->el1 = mode != PSR_MODE_EL0t;
    if (!rbp_sync_pair(v, 0, s->exit[0], s->el1))
        return false;
    if (s->exit[1] && !rbp_sync_pair(v, 1, s->exit[1], s->el1)) {
        exclseq_end(v);
        return false;
    }
    return true;
}

bool exclseq_inside(const struct exclseq *s, const struct trap_frame *f)
{
    bool el1 = (f->spsr & PSR_MODE_MASK) != PSR_MODE_EL0t;

    return !(f->spsr & PSR_nRW) && el1 == s->el1 && f->elr >= s->start && f->elr <= s->store;
}

bool exclseq_hit(const struct vcpu *v, const struct exclseq *s, const struct trap_frame *f)
{
    bool el1 = (f->spsr & PSR_MODE_MASK) != PSR_MODE_EL0t;

    return el1 == s->el1 && ((f->elr == s->exit[0] && rbp_hit_pair(v, 0, f->elr)) ||
                             (s->exit[1] && f->elr == s->exit[1] && rbp_hit_pair(v, 1, f->elr)));
}

void exclseq_end(struct vcpu *v)
{
    rbp_sync_pair(v, 1, 0, false);
    rbp_sync_pair(v, 0, 0, false);
    isb();
}
