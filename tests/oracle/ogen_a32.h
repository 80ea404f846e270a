/* SPDX-License-Identifier: MIT */
/* ogen_a32.h — random AArch32 translation tables (short-descriptor and LPAE) for the oracle. */
#ifndef ORACLE_OGEN_A32_H
#define ORACLE_OGEN_A32_H

#include "ogen.h"

/*
 * Fill job j (TTBCR, TTBR0/1, DACR, PRRR/NMRR or MAIR0/1, SCTLR) with random tables and its
 * address list. n is TTBCR.N; oa32 keeps output addresses below 4 GB (for a stage 2 that
 * maps the low 4 GB of IPA space); pl1 makes a job for PL1 with the MMU on (the program
 * identity-mapped in domain 15, Manager) whose domains may be No access.
 */
int gen_short(struct ogen *g, struct ojob *j, uint32_t nmaps, unsigned n, bool oa32, bool pl1);
int gen_lpae(struct ogen *g, struct ojob *j, uint32_t nmaps, bool oa32);

#endif
