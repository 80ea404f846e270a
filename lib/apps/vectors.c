/* SPDX-License-Identifier: MIT */
/* vectors.c — exception vector integrity: each vCPU's VBAR must be the kernel's own vectors. */
#include <stdlib.h>
#include <string.h>

#include "check_priv.h"

#define PSTATE_EL(p) (((p) >> 2) & 3)
#define HCR_E2H (1ull << 34) /* Arm ARM D19.2.48 */
#define HCR_TGE (1ull << 27)
/* arch/arm64/include/asm/vectors.h: __bp_harden_el1_vectors holds one 2 KiB vector table per
 * enum arm64_bp_harden_el1_vectors slot (BHB loop, BHB firmware, BHB clear insn, KPTI) */
#define VECTOR_TABLE_SIZE 0x800u
#define BP_HARDEN_SLOTS 4u

int armvmi_check_vectors(armvmi_check_t *c, struct armvmi_vectors_report *out)
{
    if (!c || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_check_vectors: NULL argument.");
    memset(out, 0, sizeof(*out));
    struct armvmi_info in;
    armvmi_get_info(c->h, &in);
    if (!(in.caps & ARMVMI_CAP_SYSREGS) || !in.vcpus)
        return armvmi_set_error(ARMVMI_ENOTSUP,
                                "%s has no vCPU system registers (a raw image or a dump without "
                                "them): the vector base cannot be checked.",
                                in.target);
    struct armvmi_linux_sym s, bp;
    if (armvmi_linux_syms_lookup(c->syms, "vectors", &s))
        return armvmi_set_error(ARMVMI_ENOENT, "the kernel's symbols have no `vectors`.");
    bool have_bp = !armvmi_linux_syms_lookup(c->syms, "__bp_harden_el1_vectors", &bp);
    out->vectors = s.addr;
    out->vcpu = calloc(in.vcpus, sizeof(*out->vcpu));
    if (!out->vcpu)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    out->nvcpus = in.vcpus;
    for (unsigned v = 0; v < in.vcpus; v++) {
        struct armvmi_vectors_vcpu *e = &out->vcpu[v];
        struct armvmi_regs r;
        e->vcpu = v;
        e->status = armvmi_get_regs(c->h, v, &r);
        if (!e->status && !armvmi_reg_valid(&r, ARMVMI_REG_PSTATE))
            e->status = armvmi_set_error(ARMVMI_ENOTSUP, "vCPU %u has no PSTATE.", v);
        if (e->status) {
            snprintf(e->error, sizeof(e->error), "%s", armvmi_errmsg());
            out->nerrors++;
            continue;
        }
        e->el = PSTATE_EL(r.regs[ARMVMI_REG_PSTATE]);
        /* a VHE kernel (HCR_EL2.E2H and TGE: the host regime) takes its exceptions at EL2 */
        bool vhe = armvmi_reg_valid(&r, ARMVMI_REG_HCR_EL2) &&
                   (r.regs[ARMVMI_REG_HCR_EL2] & (HCR_E2H | HCR_TGE)) == (HCR_E2H | HCR_TGE);
        e->reg = vhe ? ARMVMI_REG_VBAR_EL2 : ARMVMI_REG_VBAR_EL1;
        if (!armvmi_reg_valid(&r, e->reg)) {
            e->status = armvmi_set_error(ARMVMI_ENOTSUP, "vCPU %u: %s is not available.", v,
                                         armvmi_reg_name(e->reg));
            snprintf(e->error, sizeof(e->error), "%s", armvmi_errmsg());
            out->nerrors++;
            continue;
        }
        uint64_t vbar = r.regs[e->reg];
        armvmi_check_where(c, vbar, &e->vbar);
        if (vbar == s.addr) {
            e->vbar.where = ARMVMI_WHERE_EXPECTED;
        } else if (have_bp && vbar >= bp.addr &&
                   vbar - bp.addr < BP_HARDEN_SLOTS * VECTOR_TABLE_SIZE &&
                   (vbar - bp.addr) % VECTOR_TABLE_SIZE == 0) {
            e->vbar.where = ARMVMI_WHERE_EXPECTED;
            e->mitigation = "Spectre-BHB vectors (__bp_harden_el1_vectors)";
        } else {
            out->nhooked++;
        }
    }
    return 0;
}
