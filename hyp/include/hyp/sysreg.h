/* SPDX-License-Identifier: MIT */
/* One-line accessors for the AArch64 system registers the hypervisor uses. */
#ifndef HYP_SYSREG_H
#define HYP_SYSREG_H

#include <hyp/types.h>

#define SYSREG_RW(name, enc)                                                                       \
    static inline u64 read_##name(void)                                                            \
    {                                                                                              \
        u64 v;                                                                                     \
        __asm__ volatile("mrs %0, " enc : "=r"(v));                                                \
        return v;                                                                                  \
    }                                                                                              \
    static inline void write_##name(u64 v)                                                         \
    {                                                                                              \
        __asm__ volatile("msr " enc ", %0" ::"r"(v));                                              \
    }

SYSREG_RW(currentel, "CurrentEL")
SYSREG_RW(mpidr_el1, "mpidr_el1")
SYSREG_RW(midr_el1, "midr_el1")
SYSREG_RW(id_aa64mmfr0_el1, "id_aa64mmfr0_el1")
SYSREG_RW(id_aa64pfr0_el1, "id_aa64pfr0_el1")
SYSREG_RW(id_aa64pfr1_el1, "id_aa64pfr1_el1")
SYSREG_RW(pmcr_el0, "pmcr_el0")
SYSREG_RW(hcr_el2, "hcr_el2")
SYSREG_RW(esr_el2, "esr_el2")
SYSREG_RW(far_el2, "far_el2")
SYSREG_RW(hpfar_el2, "hpfar_el2")
SYSREG_RW(elr_el2, "elr_el2")
SYSREG_RW(spsr_el2, "spsr_el2")
SYSREG_RW(vbar_el2, "vbar_el2")
SYSREG_RW(sctlr_el2, "sctlr_el2")
SYSREG_RW(tcr_el2, "tcr_el2")
SYSREG_RW(ttbr0_el2, "ttbr0_el2")
SYSREG_RW(mair_el2, "mair_el2")
SYSREG_RW(tpidr_el2, "tpidr_el2")
SYSREG_RW(vtcr_el2, "vtcr_el2")
SYSREG_RW(vttbr_el2, "vttbr_el2")
SYSREG_RW(vpidr_el2, "vpidr_el2")
SYSREG_RW(vmpidr_el2, "vmpidr_el2")
SYSREG_RW(cptr_el2, "cptr_el2")
SYSREG_RW(mdcr_el2, "mdcr_el2")
SYSREG_RW(hstr_el2, "hstr_el2")
SYSREG_RW(cnthctl_el2, "cnthctl_el2")
SYSREG_RW(cntvoff_el2, "cntvoff_el2")
SYSREG_RW(cntfrq_el0, "cntfrq_el0")
SYSREG_RW(cntpct_el0, "cntpct_el0")
SYSREG_RW(sp_el1, "sp_el1")
SYSREG_RW(sp_el0, "sp_el0")
SYSREG_RW(elr_el1, "elr_el1")
SYSREG_RW(spsr_el1, "spsr_el1")
SYSREG_RW(esr_el1, "esr_el1")
SYSREG_RW(far_el1, "far_el1")
SYSREG_RW(vbar_el1, "vbar_el1")
SYSREG_RW(sctlr_el1, "sctlr_el1")
SYSREG_RW(tcr_el1, "tcr_el1")
SYSREG_RW(ttbr0_el1, "ttbr0_el1")
SYSREG_RW(ttbr1_el1, "ttbr1_el1")
SYSREG_RW(mair_el1, "mair_el1")
SYSREG_RW(contextidr_el1, "contextidr_el1")
SYSREG_RW(tpidr_el1, "tpidr_el1")
SYSREG_RW(zcr_el2, "S3_4_C1_C2_0")
SYSREG_RW(smcr_el2, "S3_4_C1_C2_6")
SYSREG_RW(hcrx_el2, "S3_4_C1_C2_2")
SYSREG_RW(id_aa64mmfr1_el1, "id_aa64mmfr1_el1")
SYSREG_RW(cntvct_el0, "cntvct_el0")
SYSREG_RW(mdscr_el1, "mdscr_el1")
/* EL2 physical timer (Arm ARM D11.2.4): CNTHP_CTL_EL2, CNTHP_TVAL_EL2. */
SYSREG_RW(cnthp_ctl_el2, "S3_4_C14_C2_1")
SYSREG_RW(cnthp_tval_el2, "S3_4_C14_C2_0")
/* GICv3 CPU interface, Arm IHI 0069 chapter 12. */
SYSREG_RW(icc_sre_el2, "S3_4_C12_C9_5")
SYSREG_RW(icc_iar1_el1, "S3_0_C12_C12_0")
SYSREG_RW(icc_eoir1_el1, "S3_0_C12_C12_1")
SYSREG_RW(icc_dir_el1, "S3_0_C12_C11_1")
SYSREG_RW(icc_pmr_el1, "S3_0_C4_C6_0")
SYSREG_RW(icc_ctlr_el1, "S3_0_C12_C12_4")
SYSREG_RW(icc_igrpen1_el1, "S3_0_C12_C12_7")
SYSREG_RW(icc_sgi1r_el1, "S3_0_C12_C11_5")
SYSREG_RW(ich_hcr_el2, "S3_4_C12_C11_0")
SYSREG_RW(ich_vtr_el2, "S3_4_C12_C11_1")
SYSREG_RW(ich_misr_el2, "S3_4_C12_C11_2")
SYSREG_RW(ich_elrsr_el2, "S3_4_C12_C11_5")
SYSREG_RW(ich_vmcr_el2, "S3_4_C12_C11_7")
SYSREG_RW(ich_lr0_el2, "S3_4_C12_C12_0")
SYSREG_RW(ich_lr1_el2, "S3_4_C12_C12_1")
SYSREG_RW(ich_lr2_el2, "S3_4_C12_C12_2")
SYSREG_RW(ich_lr3_el2, "S3_4_C12_C12_3")

static inline void isb(void)
{
    __asm__ volatile("isb" ::: "memory");
}
static inline void dsb_sy(void)
{
    __asm__ volatile("dsb sy" ::: "memory");
}
static inline void dsb_ish(void)
{
    __asm__ volatile("dsb ish" ::: "memory");
}
static inline void wfe(void)
{
    __asm__ volatile("wfe" ::: "memory");
}
static inline void wfi(void)
{
    __asm__ volatile("wfi" ::: "memory");
}
static inline void sev(void)
{
    __asm__ volatile("sev" ::: "memory");
}
static inline void tlbi_alle2(void)
{
    __asm__ volatile("tlbi alle2\n dsb sy\n isb" ::: "memory");
}
static inline void tlbi_vmalls12e1is(void)
{
    __asm__ volatile("tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
}
static inline void dsb_ishst(void)
{
    __asm__ volatile("dsb ishst" ::: "memory");
}
/* Stage-2 TLB maintenance by IPA, then stage 1 of the VMID (Arm ARM D8.14.5): the caller has
 * made the descriptor write visible (dsb ishst) and completes with tlbi_s2_sync(). */
static inline void tlbi_ipas2e1is(u64 ipa)
{
    __asm__ volatile("tlbi ipas2e1is, %0" ::"r"(ipa >> 12) : "memory");
}
static inline void tlbi_s2_sync(void)
{
    __asm__ volatile("dsb ish\n tlbi vmalle1is\n dsb ish\n isb" ::: "memory");
}
static inline void daif_mask_all(void)
{
    __asm__ volatile("msr daifset, #0xf" ::: "memory");
}

#endif
