/* SPDX-License-Identifier: MIT */
/* SMCCC calls from the guest (Arm DEN0028), over HVC or trapped SMC: routed by owner. */
#include <armvmi/abi.h>
#include <hyp/console.h>
#include <hyp/psci.h>
#include <hyp/trap.h>
#include <hyp/vcpu.h>

/* Arm architecture calls (owner 0). */
static bool smccc_arch(u64 fid, u64 a1, s64 *ret)
{
    switch (fid) {
    case SMCCC_VERSION:
        *ret = 0x10001; /* SMCCC 1.1 */
        return true;
    case SMCCC_ARCH_FEATURES:
        *ret = a1 == SMCCC_VERSION ? 0 : SMCCC_NOT_SUPPORTED;
        return true;
    }
    return false;
}

/* armvmi's vendor hypervisor calls (owner 6, include/armvmi/abi.h). */
static bool smccc_vendor_hyp(u64 fid, u64 a1, s64 *ret)
{
    switch (fid) {
    case ARMVMI_HVC_EXITS:
        *ret = (s64)vcpu_exit_count((unsigned)a1);
        return true;
    }
    return false;
}

void smccc_handle(struct trap_frame *f)
{
    u64 fid = f->x[0] & 0xffffffffUL;
    struct vcpu *v = vcpu_current();
    s64 ret = SMCCC_NOT_SUPPORTED;
    bool served = false;

    /* SMCCC: SMC32/HVC32 calls pass 32-bit arguments; the upper halves are ignored. */
    u64 mask = (fid & PSCI_FN64) ? ~0UL : 0xffffffffUL;
    u64 a1 = f->x[1] & mask, a2 = f->x[2] & mask, a3 = f->x[3] & mask;

    switch (SMCCC_OWNER(fid)) {
    case SMCCC_OWNER_ARCH:
        served = smccc_arch(fid, a1, &ret);
        break;
    case SMCCC_OWNER_STD_SECURE:
        served = psci_handle(v, fid, a1, a2, a3, &ret);
        break;
    case SMCCC_OWNER_VENDOR_HYP:
        served = smccc_vendor_hyp(fid, a1, &ret);
        break;
    }
    if (!served) {
        if (trap_report_allowed())
            hyp_printf("cpu%u: unknown SMCCC function 0x%lx from 0x%lx: NOT_SUPPORTED\n", v->id,
                       fid, f->elr);
        ret = SMCCC_NOT_SUPPORTED;
    }
    f->x[0] = (u64)ret;
}
