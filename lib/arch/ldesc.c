/* SPDX-License-Identifier: MIT */
/* ldesc.c — the long-descriptor table walk shared by AArch64 stage 1, stage 2 and AArch32 LPAE. */
#include <string.h>

#include "arch/arch_priv.h"

/* Stage-1 table addresses are IPAs under two-stage translation (Arm ARM): translate one
 * through stage 2; on success *pa is where the descriptor is. */
struct walk_fault arch_s1ptw(struct walk_ctx *w, int level, uint64_t addr, uint64_t *pa)
{
    struct ld_params p2;
    struct ld_leaf l2;
    struct walk_fault f = a64_s2_setup(w->cfg, addr, &p2);
    if (f.kind == ARMVMI_FAULT_NONE)
        f = ld_walk(w, &p2, addr, &l2);
    if (f.kind == ARMVMI_FAULT_NONE && !(l2.desc & ARMVMI_DESC_S2AP_R))
        f = arch_fault(ARMVMI_FAULT_PERMISSION, l2.level, 2);
    if (f.kind != ARMVMI_FAULT_NONE) {
        f.stage = 2;
        f.s1ptw = true;
        f.s1level = level;
        f.ipa = addr;
        return f;
    }
    *pa = l2.oa;
    return f;
}

/* Arm ARM, AArch64.BlockDescSupported: which levels may hold block descriptors. */
bool ld_block_allowed(const struct ld_params *p, int level)
{
    switch (p->gran) {
    case 12: /* 4K: levels 1 and 2; level 0 with FEAT_LPA2 and DS=1 */
        return level == 1 || level == 2 || (level == 0 && p->ds);
    case 14: /* 16K: level 2; level 1 with FEAT_LPA2 and DS=1 */
        return level == 2 || (level == 1 && p->ds);
    default: /* 64K: level 2; level 1 with FEAT_LPA */
        return level == 2 || (level == 1 && p->lpa64);
    }
}

struct walk_fault ld_walk(struct walk_ctx *w, const struct ld_params *p, uint64_t ia,
                          struct ld_leaf *leaf)
{
    const unsigned stride = p->gran - 3;
    const unsigned stage = p->stage2 ? 2 : 1;
    uint64_t table = p->base;

    memset(leaf, 0, sizeof(*leaf));
    /* Bounded: at most five levels (-1..3). */
    for (int level = p->start; level <= 3; level++) {
        const unsigned shift = p->gran + (unsigned)(3 - level) * stride;
        const unsigned bits = level == p->start ? p->inbits - shift : stride;
        const uint32_t idx = (uint32_t)FIELD(ia, shift, bits);
        const uint64_t addr = table + (uint64_t)idx * 8;
        uint64_t d = 0;

        struct walk_fault f = arch_read_desc(w, stage, level, addr, 8, &d);
        if (f.kind != ARMVMI_FAULT_NONE)
            return f;
        /* Arm ARM, VMSAv8-64 descriptors: bit 0 clear is invalid; 0b01 at level 3 is
         * reserved. */
        const bool invalid = !(d & ARMVMI_DESC_VALID) || (level == 3 && !(d & ARMVMI_DESC_TABLE));
        arch_add_step(w, stage, level, table, addr, idx, d,
                      invalid                   ? ARMVMI_STEP_INVALID
                      : level == 3              ? ARMVMI_STEP_PAGE
                      : (d & ARMVMI_DESC_TABLE) ? ARMVMI_STEP_TABLE
                                                : ARMVMI_STEP_BLOCK);

        if (invalid)
            return arch_fault(ARMVMI_FAULT_TRANSLATION, level, stage);

        if (level < 3 && (d & ARMVMI_DESC_TABLE)) {
            uint64_t next = ld_desc_addr(p, d, p->gran);
            /* Arm ARM, Address size fault: a table address above the PA size. */
            if (p->oabits < 64 && (next >> p->oabits) != 0)
                return arch_fault(ARMVMI_FAULT_ADDR_SIZE, level, stage);
            ld_table_bits(p, d, leaf);
            table = next;
            continue;
        }
        if (level < 3 && !ld_block_allowed(p, level))
            return arch_fault(ARMVMI_FAULT_TRANSLATION, level, stage);

        const uint64_t oa = ld_desc_addr(p, d, shift);
        if (p->oabits < 64 && (oa >> p->oabits) != 0)
            return arch_fault(ARMVMI_FAULT_ADDR_SIZE, level, stage);
        /* Arm ARM, Access flag: AF=0 faults unless hardware manages the flag (TCR.HA). */
        if (!(d & ARMVMI_DESC_AF) && !p->ha)
            return arch_fault(ARMVMI_FAULT_ACCESS_FLAG, level, stage);
        leaf->oa = oa | (ia & ((1ull << shift) - 1));
        leaf->desc = d;
        leaf->size = 1ull << shift;
        leaf->level = level;
        return arch_fault(ARMVMI_FAULT_NONE, 0, 0);
    }
    return arch_fault(ARMVMI_FAULT_TRANSLATION, 3, stage); /* not reached */
}

void ld_s1_perms(const struct ld_params *p, const struct ld_leaf *l, uint64_t sctlr, uint8_t *el1,
                 uint8_t *el0)
{
    const uint64_t d = l->desc;
    bool ro = (d & ARMVMI_DESC_AP_RO) != 0;
    /* Arm ARM, dirty state (TCR.HD): DBM=1 makes a read-only page writable-clean. */
    if (ro && p->hd && (d & ARMVMI_DESC_DBM))
        ro = false;
    ro |= l->ro_table;
    const bool wxn = (sctlr & SCTLR_WXN) != 0;

    if (!p->two_el) {
        /* Arm ARM, EL2/EL3 regimes: one privilege level; AP[1] is ignored, XN is bit 54. */
        bool x = !(d & ARMVMI_DESC_UXN) && !l->xn_table;
        if (wxn && !ro)
            x = false;
        *el1 = (uint8_t)(ARMVMI_PERM_R | (ro ? 0 : ARMVMI_PERM_W) | (x ? ARMVMI_PERM_X : 0));
        *el0 = 0;
        return;
    }
    /* Arm ARM, stage-1 data access permissions AP[2:1]. */
    bool u_r = (d & ARMVMI_DESC_AP_EL0) && !l->noel0_table;
    bool u_w = u_r && !ro;
    bool p_w = !ro;
    bool u_x, p_x;
    if (p->aarch32) {
        /* Arm ARM, AArch32 long-descriptor: XN applies to PL0 and PL1, PXN to PL1; SCTLR.UWXN. */
        u_x = !(d & ARMVMI_DESC_UXN) && !l->xn_table;
        p_x = u_x && !(d & ARMVMI_DESC_PXN) && !l->pxn_table;
        if ((sctlr & SCTLR_UWXN) && u_w)
            p_x = false;
    } else {
        /* Arm ARM, stage-1 execute permissions: UXN/PXN; memory writable at EL0 is never
         * executable at EL1. */
        u_x = !(d & ARMVMI_DESC_UXN) && !l->xn_table;
        p_x = !(d & ARMVMI_DESC_PXN) && !l->pxn_table && !u_w;
    }
    if (wxn) {
        u_x = u_x && !u_w;
        p_x = p_x && !p_w;
    }
    *el1 = (uint8_t)(ARMVMI_PERM_R | (p_w ? ARMVMI_PERM_W : 0) | (p_x ? ARMVMI_PERM_X : 0));
    *el0 = (uint8_t)((u_r ? ARMVMI_PERM_R : 0) | (u_w ? ARMVMI_PERM_W : 0) |
                     (u_x ? ARMVMI_PERM_X : 0));
}
