/* SPDX-License-Identifier: MIT */
/* guest_a64.c — bare-metal EL2 program: runs the host's jobs with AT and stores PAR_EL1. */
#include <stdbool.h>
#include <stddef.h>

#include "mbox.h"

_Static_assert(offsetof(struct ombox, exc) == 56, "exc offset is used by guest_a64_start.S");

#define SYSREG_W(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)))
#define SYSREG_R(name)                                                                             \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("mrs %0, " #name : "=r"(v_));                                             \
        v_;                                                                                        \
    })
#define ISB() __asm__ volatile("isb" ::: "memory")

#define AT_PAR(op, va)                                                                             \
    ({                                                                                             \
        __asm__ volatile("at " #op ", %0" ::"r"(va));                                              \
        ISB();                                                                                     \
        SYSREG_R(par_el1);                                                                         \
    })

#define SCTLR_EL2_OFF 0x30c50830ull /* RES1 bits, MMU off */
#define HCR_RW (1ull << 31)

void oracle_main(void);

void oracle_main(void)
{
    volatile struct ombox *mb = (volatile struct ombox *)ORACLE_MBOX_PA;
    mb->current_el = SYSREG_R(CurrentEL);
    mb->id[0] = SYSREG_R(id_aa64mmfr0_el1);
    mb->id[1] = SYSREG_R(id_aa64mmfr1_el1);
    mb->id[2] = SYSREG_R(id_aa64mmfr2_el1);
    mb->id[3] = SYSREG_R(id_aa64pfr0_el1);
    if (mb->magic != OMBOX_MAGIC || (mb->current_el >> 2) != 2)
        return;
    for (uint32_t j = 0; j < mb->njobs; j++) {
        volatile struct ojob *jb = &mb->jobs[j];
        const bool el2 = jb->mode == OMODE_A64_EL2 || jb->mode == OMODE_A64_EL20;
        /* With E2H=1 the _EL1 names below would reach the _EL2 registers: set E2H last. */
        SYSREG_W(hcr_el2, el2 ? HCR_RW : jb->hcr);
        ISB();
        if (!el2) {
            SYSREG_W(vtcr_el2, jb->vtcr);
            SYSREG_W(vttbr_el2, jb->vttbr);
            SYSREG_W(tcr_el1, jb->tcr);
            SYSREG_W(ttbr0_el1, jb->ttbr0);
            SYSREG_W(ttbr1_el1, jb->ttbr1);
            SYSREG_W(mair_el1, jb->mair);
            SYSREG_W(sctlr_el1, jb->sctlr);
            SYSREG_W(dacr32_el2, jb->dacr);
            ISB();
            __asm__ volatile("tlbi alle1\n dsb sy\n isb" ::: "memory");
        }
        const volatile uint64_t *va = (const volatile uint64_t *)jb->va_pa;
        volatile uint64_t *res = (volatile uint64_t *)jb->res_pa;
        uint32_t n = jb->nva;
        if (jb->mode == OMODE_A64_EL2 || jb->mode == OMODE_A64_EL20) {
            /* The program translates itself: the host identity-maps it in TTBR0_EL2. */
            SYSREG_W(hcr_el2, jb->hcr);
            ISB();
            SYSREG_W(tcr_el2, jb->tcr);
            SYSREG_W(ttbr0_el2, jb->ttbr0);
            SYSREG_W(ttbr1_el2, jb->ttbr1);
            SYSREG_W(mair_el2, jb->mair);
            ISB();
            __asm__ volatile("tlbi alle2\n dsb sy\n isb" ::: "memory");
            SYSREG_W(sctlr_el2, jb->sctlr);
            ISB();
            for (uint32_t i = 0; i < n; i++) {
                uint64_t v = va[i];
                res[3 * i] = AT_PAR(s1e2r, v);
                res[3 * i + 1] = AT_PAR(s1e2w, v);
                res[3 * i + 2] = jb->mode == OMODE_A64_EL20 ? AT_PAR(s1e0r, v) : AT_PAR(s1e2r, v);
            }
            SYSREG_W(sctlr_el2, SCTLR_EL2_OFF);
            ISB();
            __asm__ volatile("tlbi alle2\n dsb sy\n isb" ::: "memory");
            SYSREG_W(hcr_el2, HCR_RW);
            ISB();
        } else if (jb->mode == OMODE_A64_S1) {
            for (uint32_t i = 0; i < n; i++) {
                uint64_t v = va[i];
                res[3 * i] = AT_PAR(s1e1r, v);
                res[3 * i + 1] = AT_PAR(s1e1w, v);
                res[3 * i + 2] = AT_PAR(s1e0r, v);
            }
        } else {
            for (uint32_t i = 0; i < n; i++) {
                uint64_t v = va[i];
                res[3 * i] = AT_PAR(s12e1r, v);
                res[3 * i + 1] = AT_PAR(s12e1w, v);
                res[3 * i + 2] = AT_PAR(s12e0r, v);
            }
        }
        mb->jobs_done = j + 1;
    }
    SYSREG_W(hcr_el2, 1ull << 31);
    ISB();
    mb->status = OMBOX_DONE;
}
