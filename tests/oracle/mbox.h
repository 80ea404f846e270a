/* SPDX-License-Identifier: MIT */
/* mbox.h — layout of the oracle's shared RAM image: jobs written by the host, PARs by the guest. */
#ifndef ORACLE_MBOX_H
#define ORACLE_MBOX_H

#include <stdint.h>

/* Guest physical layout of the RAM image (the virt board's RAM starts at 0x40000000). */
#define ORACLE_RAM_BASE 0x40000000ull
#define ORACLE_RAM_SIZE 0x20000000ull /* 512 MB */
#define ORACLE_PROG_PA 0x40200000ull  /* guest program (linked here) */
#define ORACLE_MBOX_PA 0x40300000ull  /* struct ombox, then the job array */
#define ORACLE_DATA_PA 0x40400000ull  /* address lists and results */
#define ORACLE_DATA_END 0x44000000ull
#define ORACLE_TABLE_PA 0x44000000ull /* translation tables */

#define OMBOX_MAGIC 0x4f524143u /* "ORAC" */
#define OMBOX_DONE 0x454e4f44u  /* "DONE": written by the guest when all jobs ran */

/* Job modes. */
enum omode {
    OMODE_A64_S1 = 1,  /* AT S1E1R, S1E1W, S1E0R with HCR_EL2.VM=0 */
    OMODE_A64_S12 = 2, /* AT S12E1R, S12E1W, S12E0R with HCR_EL2.VM=1 */
    OMODE_A32_S1 = 3,  /* ATS1CPR, ATS1CPW, ATS1CUR from Hyp mode */
    OMODE_A64_EL2 = 4, /* AT S1E2R, S1E2W, S1E2R with the EL2 MMU on (tcr..sctlr are _EL2) */
    OMODE_A64_EL20 = 5,
    OMODE_A32_PL1 = 7, /* ATS1CPR, ATS1CPW, ATS1CUR at PL1 (SVC mode), MMU on, after all Hyp jobs */
    OMODE_A32_S12 = 6,
    /* EL1 in AArch32 (HCR_EL2.RW=0) under stage 2: AT S12E1R/S12E1W/S12E0R */ /* AT S1E2R, S1E2W,
                                                                                  S1E0R with
                                                                                  HCR_EL2.{E2H,TGE}=1
                                                                                  and the MMU on */
};

struct ojob {
    uint32_t mode;
    uint32_t nva;
    uint64_t tcr, ttbr0, ttbr1, mair, sctlr, vtcr, vttbr, hcr, dacr;
    uint64_t va_pa;  /* nva 64-bit input addresses */
    uint64_t res_pa; /* 3 * nva 64-bit PAR values */
};

struct ombox {
    uint32_t magic;
    uint32_t status; /* OMBOX_DONE when finished */
    uint32_t njobs;
    uint32_t jobs_done;
    uint64_t current_el; /* CurrentEL (AArch64) or CPSR (AArch32) at entry */
    uint64_t id[4];      /* ID_AA64MMFR0..2_EL1 / ID_MMFR0 */
    uint64_t exc[4];     /* an unexpected exception: syndrome, return address, fault address */
    struct ojob jobs[];
};

#endif
