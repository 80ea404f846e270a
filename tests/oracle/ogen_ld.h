/* SPDX-License-Identifier: MIT */
/* ogen_ld.h — random long-descriptor translation tables (VMSAv8-64 stage 1/2, AArch32 LPAE). */
#ifndef ORACLE_OGEN_LD_H
#define ORACLE_OGEN_LD_H

#include "ogen.h"

struct ldgen {
    unsigned gran;    /* granule shift 12/14/16 */
    int start;        /* start level */
    unsigned inbits;  /* input address size */
    unsigned oabits;  /* configured output size */
    unsigned fmtbits; /* largest OA the generator writes (keeps to defined encodings) */
    bool ds, lpa64, stage2, a32;
    uint64_t root;     /* PA of the start table(s) */
    uint64_t ipa_off;  /* tables are written as PA + ipa_off (stage 1 under stage 2) */
    unsigned bad_pct;  /* chance of a broken table descriptor when a table is created */
    bool plain_tables; /* no random APTable/XNTable/PXNTable/NSTable bits on new tables */
};

/* Size in bytes of the start table (all concatenated tables). */
uint64_t ldg_root_size(const struct ldgen *l);
/* Allocate the start table; 0 on success. */
int ldg_alloc_root(struct ogen *g, struct ldgen *l);
/* Block or page size at level. */
uint64_t ldg_level_size(const struct ldgen *l, int level);
/* True if blocks are architecturally allowed at level (< 3). */
bool ldg_block_ok(const struct ldgen *l, int level);
/* The encoding of an output or table address in a descriptor. */
uint64_t ldg_encode(const struct ldgen *l, uint64_t addr);
/* PA of the descriptor slot for ia at level, creating tables; 0 if the path is blocked. */
uint64_t ldg_slot(struct ogen *g, const struct ldgen *l, uint64_t ia, int level);
/* A random output address for a leaf of size bytes. */
uint64_t ldg_rand_oa(struct ogen *g, const struct ldgen *l, uint64_t size);
/* A random leaf (block or page) descriptor at level with output address oa. */
uint64_t ldg_leaf(struct ogen *g, const struct ldgen *l, int level, uint64_t oa);
/* Map ia to a random leaf at a random allowed level (sometimes broken); returns the level or
 * -9 if the path was blocked. If oa_fixed is not ~0, it is the (unaligned) target address. */
int ldg_map_random(struct ogen *g, const struct ldgen *l, uint64_t ia, uint64_t oa_fixed);

#endif
