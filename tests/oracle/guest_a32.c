/* SPDX-License-Identifier: MIT */
/* guest_a32.c — bare-metal Hyp-mode program: runs the host's AArch32 jobs with ATS1C* and PAR. */
#include <stddef.h>

#include "mbox.h"

_Static_assert(offsetof(struct ombox, exc) == 56, "exc offset is used by guest_a32_start.S");

#define MCR(op1, crn, crm, op2, v)                                                                 \
    __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 ::"r"((uint32_t)(v)))
#define MCRR(op1, crm, v)                                                                          \
    __asm__ volatile("mcrr p15, " #op1 ", %0, %1, " #crm ::"r"((uint32_t)(v)),                     \
                     "r"((uint32_t)((uint64_t)(v) >> 32)))
#define ISB() __asm__ volatile("isb" ::: "memory")

static inline uint64_t read_par(void)
{
    uint32_t lo, hi;
    __asm__ volatile("mrrc p15, 0, %0, %1, c7" : "=r"(lo), "=r"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define AT_PAR(op2, va)                                                                            \
    ({                                                                                             \
        MCR(0, c7, c8, op2, va);                                                                   \
        ISB();                                                                                     \
        read_par();                                                                                \
    })

void oracle_main(void);
void enter_svc(void);

void oracle_main(void)
{
    volatile struct ombox *mb = (volatile struct ombox *)ORACLE_MBOX_PA;
    uint32_t cpsr, mmfr0;
    __asm__ volatile("mrs %0, cpsr" : "=r"(cpsr));
    __asm__ volatile("mrc p15, 0, %0, c0, c1, 4" : "=r"(mmfr0));
    mb->current_el = cpsr;
    mb->id[0] = mmfr0;
    if (mb->magic != OMBOX_MAGIC || (cpsr & 0x1f) != 0x1a)
        return;
    uint32_t j;
    for (j = 0; j < mb->njobs && mb->jobs[j].mode != OMODE_A32_PL1; j++) {
        volatile struct ojob *jb = &mb->jobs[j];
        MCR(4, c1, c1, 0, 0); /* HCR: no stage 2 */
        MCR(0, c1, c0, 0, 0); /* SCTLR: MMU off while changing the tables */
        ISB();
        MCR(0, c2, c0, 2, jb->tcr); /* TTBCR (EAE selects the TTBR format) */
        ISB();
        if (jb->tcr & (1u << 31)) {
            MCRR(0, c2, jb->ttbr0);
            MCRR(1, c2, jb->ttbr1);
        } else {
            MCR(0, c2, c0, 0, jb->ttbr0);
            MCR(0, c2, c0, 1, jb->ttbr1);
        }
        MCR(0, c3, c0, 0, jb->dacr);
        MCR(0, c10, c2, 0, jb->mair);       /* MAIR0 / PRRR */
        MCR(0, c10, c2, 1, jb->mair >> 32); /* MAIR1 / NMRR */
        ISB();
        MCR(4, c8, c7, 4, 0); /* TLBIALLNSNH */
        MCR(0, c1, c0, 0, jb->sctlr);
        ISB();
        const volatile uint64_t *va = (const volatile uint64_t *)(uintptr_t)jb->va_pa;
        volatile uint64_t *res = (volatile uint64_t *)(uintptr_t)jb->res_pa;
        uint32_t n = jb->nva;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)va[i];
            res[3 * i] = AT_PAR(0, v);     /* ATS1CPR */
            res[3 * i + 1] = AT_PAR(1, v); /* ATS1CPW */
            res[3 * i + 2] = AT_PAR(2, v); /* ATS1CUR */
        }
        mb->jobs_done = j + 1;
    }
    MCR(0, c1, c0, 0, 0);
    ISB();
    if (j < mb->njobs) {
        /* The remaining jobs run at PL1 with their own tables live: the host maps this
         * program, the mailbox and the data area one-to-one in each of them. */
        enter_svc();
        for (; j < mb->njobs; j++) {
            volatile struct ojob *jb = &mb->jobs[j];
            MCR(0, c1, c0, 0, 0); /* MMU off while changing the tables */
            ISB();
            MCR(0, c2, c0, 2, jb->tcr);
            MCR(0, c2, c0, 0, jb->ttbr0);
            MCR(0, c2, c0, 1, jb->ttbr1);
            MCR(0, c3, c0, 0, jb->dacr);
            MCR(0, c10, c2, 0, jb->mair);
            MCR(0, c10, c2, 1, jb->mair >> 32);
            ISB();
            MCR(0, c8, c7, 0, 0); /* TLBIALL */
            __asm__ volatile("dsb" ::: "memory");
            MCR(0, c1, c0, 0, jb->sctlr);
            ISB();
            const volatile uint64_t *va = (const volatile uint64_t *)(uintptr_t)jb->va_pa;
            volatile uint64_t *res = (volatile uint64_t *)(uintptr_t)jb->res_pa;
            uint32_t n = jb->nva;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t v = (uint32_t)va[i];
                res[3 * i] = AT_PAR(0, v);
                res[3 * i + 1] = AT_PAR(1, v);
                res[3 * i + 2] = AT_PAR(2, v);
            }
            MCR(0, c1, c0, 0, 0);
            ISB();
            mb->jobs_done = j + 1;
        }
    }
    mb->status = OMBOX_DONE;
}
