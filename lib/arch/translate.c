/* SPDX-License-Identifier: MIT */
/* translate.c — armvmi_translate(): regime dispatch, attributes, permission checks, stage 2. */
#include <stddef.h>
#include <string.h>

#include "arch/arch_priv.h"

const char *armvmi_fault_name(enum armvmi_fault f)
{
    switch (f) {
    case ARMVMI_FAULT_NONE:
        return "none";
    case ARMVMI_FAULT_TRANSLATION:
        return "translation";
    case ARMVMI_FAULT_ACCESS_FLAG:
        return "access flag";
    case ARMVMI_FAULT_PERMISSION:
        return "permission";
    case ARMVMI_FAULT_ADDR_SIZE:
        return "address size";
    case ARMVMI_FAULT_EXTERNAL:
        return "external abort on walk";
    case ARMVMI_FAULT_DOMAIN:
        return "domain";
    }
    return "unknown";
}

static void set_fault(struct armvmi_translation *o, struct walk_fault f)
{
    o->fault = f.kind;
    o->fault_stage = (uint8_t)(f.stage ? f.stage : 1);
    o->fault_level = (int8_t)f.level;
    o->fault_s1ptw = f.s1ptw;
    o->fault_s1ptw_level = (int8_t)(f.s1ptw ? f.s1level : 0);
    o->fault_ipa = f.ipa;
}

static bool access_allowed(uint8_t perm, unsigned access)
{
    uint8_t need = (uint8_t)(((access & ARMVMI_ACC_READ) ? ARMVMI_PERM_R : 0) |
                             ((access & ARMVMI_ACC_WRITE) ? ARMVMI_PERM_W : 0) |
                             ((access & ARMVMI_ACC_EXEC) ? ARMVMI_PERM_X : 0));
    return (perm & need) == need;
}

uint8_t arch_s2_perms(uint64_t d, const struct ld_params *p)
{
    bool w = (d & ARMVMI_DESC_S2AP_W) || (p->hd && (d & ARMVMI_DESC_DBM));
    /* Arm ARM, stage-2 permissions: S2AP[0] read, S2AP[1] write; XN[1] (bit 54). */
    return (uint8_t)(((d & ARMVMI_DESC_S2AP_R) ? ARMVMI_PERM_R : 0) | (w ? ARMVMI_PERM_W : 0) |
                     ((d & ARMVMI_DESC_UXN) ? 0 : ARMVMI_PERM_X));
}

/* Translate an IPA through stage 2 for an access; fills pa, s2_level, s2_perm. */
struct walk_fault arch_stage2_output(struct walk_ctx *w, uint64_t ipa, unsigned access)
{
    struct armvmi_translation *o = w->out;
    struct ld_params p;
    struct ld_leaf l;
    struct walk_fault f = a64_s2_setup(w->cfg, ipa, &p);
    if (f.kind == ARMVMI_FAULT_NONE)
        f = ld_walk(w, &p, ipa, &l);
    if (f.kind != ARMVMI_FAULT_NONE) {
        f.stage = 2;
        f.ipa = ipa;
        return f;
    }
    o->s2_perm = arch_s2_perms(l.desc, &p);
    o->s2_level = (int8_t)l.level;
    o->pa = l.oa;
    if (l.size < o->size)
        o->size = l.size;
    if (!access_allowed(o->s2_perm, access)) {
        f = arch_fault(ARMVMI_FAULT_PERMISSION, l.level, 2);
        f.ipa = ipa;
    }
    return f;
}

void arch_ld_fill(struct armvmi_translation *o, const struct ld_params *p, const struct ld_leaf *l,
                  uint64_t mair)
{
    const uint64_t d = l->desc;
    o->pa = o->ipa = l->oa;
    o->size = l->size;
    o->level = (int8_t)l->level;
    o->sh = (uint8_t)(p->ds ? p->ds_sh : FIELD(d, ARMVMI_DESC_SH_SHIFT, 2));
    o->af = (d & ARMVMI_DESC_AF) != 0;
    o->dbm = (d & ARMVMI_DESC_DBM) != 0;
    o->contiguous = (d & ARMVMI_DESC_CONTIG) != 0;
    if (p->stage2) {
        o->attr = (uint8_t)FIELD(d, ARMVMI_DESC_S2_MEMATTR_SHIFT, 4);
        return;
    }
    o->attrindx = (uint8_t)FIELD(d, ARMVMI_DESC_ATTRINDX_SHIFT, 3);
    o->attr = (uint8_t)FIELD(mair, 8 * o->attrindx, 8); /* Arm ARM, MAIR_ELx.Attr<n> */
    o->ns = (d & ARMVMI_DESC_NS) || l->ns_table;
    o->ng = p->two_el && (d & ARMVMI_DESC_NG);
}

int armvmi_translate(const struct armvmi_tt_config *cfg, armvmi_read_phys_fn read, void *ctx,
                     uint64_t va, unsigned access, struct armvmi_translation *out)
{
    if (!cfg || !read || !out)
        return -ARMVMI_EINVAL;
    memset(out, 0, offsetof(struct armvmi_translation, steps));
    out->va = va;
    out->s2_level = -2;
    struct walk_ctx w = {.cfg = cfg, .read = read, .rctx = ctx, .out = out};
    struct ld_params p;
    struct ld_leaf l;
    struct walk_fault f;
    const bool el0 = (access & ARMVMI_ACC_EL0) != 0;

    switch (cfg->regime) {
    case ARMVMI_REGIME_EL10:
    case ARMVMI_REGIME_EL20:
    case ARMVMI_REGIME_EL2:
    case ARMVMI_REGIME_A32_LPAE:
        f = cfg->regime == ARMVMI_REGIME_A32_LPAE ? a32_lpae_setup(cfg, va, &p)
                                                  : a64_s1_setup(cfg, va, &p);
        if (f.kind == ARMVMI_FAULT_NONE)
            f = ld_walk(&w, &p, cfg->regime == ARMVMI_REGIME_A32_LPAE ? (uint32_t)va : va, &l);
        if (f.kind != ARMVMI_FAULT_NONE)
            break;
        arch_ld_fill(out, &p, &l, cfg->mair);
        ld_s1_perms(&p, &l, cfg->sctlr, &out->perm_el1, &out->perm_el0);
        if (!access_allowed(el0 ? out->perm_el0 : out->perm_el1, access)) {
            f = arch_fault(ARMVMI_FAULT_PERMISSION, l.level, 1);
            break;
        }
        if (cfg->stage2)
            f = arch_stage2_output(&w, out->ipa, access);
        break;
    case ARMVMI_REGIME_STAGE2:
        f = a64_s2_setup(cfg, va, &p);
        if (f.kind == ARMVMI_FAULT_NONE)
            f = ld_walk(&w, &p, va, &l);
        if (f.kind != ARMVMI_FAULT_NONE) {
            f.stage = 2;
            f.ipa = va;
            break;
        }
        arch_ld_fill(out, &p, &l, 0);
        out->s2_level = out->level;
        out->s2_perm = out->perm_el0 = out->perm_el1 = arch_s2_perms(l.desc, &p);
        if (!access_allowed(out->s2_perm, access)) {
            f = arch_fault(ARMVMI_FAULT_PERMISSION, l.level, 2);
            f.ipa = va;
        }
        break;
    case ARMVMI_REGIME_A32_SHORT:
        f = a32_short_walk(&w, (uint32_t)va);
        if (f.kind == ARMVMI_FAULT_NONE &&
            !access_allowed(el0 ? out->perm_el0 : out->perm_el1, access))
            f = arch_fault(ARMVMI_FAULT_PERMISSION, out->level, 1);
        if (f.kind == ARMVMI_FAULT_NONE && cfg->stage2)
            f = arch_stage2_output(&w, out->ipa, access);
        break;
    default:
        return -ARMVMI_EINVAL;
    }
    if (f.kind != ARMVMI_FAULT_NONE)
        set_fault(out, f);
    return 0;
}
