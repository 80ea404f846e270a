/* SPDX-License-Identifier: MIT */
/* ogen_a64.h — random AArch64 oracle jobs (register values and tables) and shared constants. */
#ifndef ORACLE_OGEN_A64_H
#define ORACLE_OGEN_A64_H

#include "ogen.h"

#define HCR_RW (1ull << 31)
#define HCR_VM 1ull
#define TTBCR_EAE (1ull << 31)
#define SCTLR_EL1_RES1 0x30d00800ull
#define SCTLR_M 1ull
#define SCTLR_EL2_RES1 0x30c50830ull
#define TCR_EL2_RES1 ((1ull << 31) | (1ull << 23))
#define HCR_E2H (1ull << 34)
#define HCR_TGE (1ull << 27)
#define SCTLR_WXN (1ull << 19)
#define VTCR_RES1 (1ull << 31)
#define PAR_F 1ull
#define CPU_PA_BITS 52
#define CPU_FEATURES (ARMVMI_FEAT_LPA | ARMVMI_FEAT_LVA | ARMVMI_FEAT_LPA2 | ARMVMI_FEAT_TTST)

/*
 * Each generator fills job j (registers and input addresses) and its tables; gi[0], gi[1] are
 * the granules (0: 4K, 1: 16K, 2: 64K) of TTBR0 and TTBR1. They return -1 when the table area
 * of the job is exhausted.
 */
int gen_el10_job(struct ogen *g, struct ojob *j, const unsigned *gi, uint32_t nmaps, bool ds);
/* EL2 (e2h false: one range, TCR_EL2 layout) or EL2&0 (e2h true), with the program mapped. */
int gen_el2_job(struct ogen *g, struct ojob *j, const unsigned *gi, uint32_t nmaps, bool ds,
                bool e2h);
/* Stage 2 only (stage 1 off); concat forces concatenated start tables. */
int gen_s2_job(struct ogen *g, struct ojob *j, uint32_t nmaps, bool concat);
/* EL1&0 stage 1 through stage 2. */
int gen_s12_job(struct ogen *g, struct ojob *j, const unsigned *gi, uint32_t nmaps);
/* AArch32 EL1 (LPAE or short-descriptor with TTBCR.N = n) through stage 2. */
int gen_a32s12_job(struct ogen *g, struct ojob *j, uint32_t nmaps, bool lpae, unsigned n);

#endif
