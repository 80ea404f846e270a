/* SPDX-License-Identifier: MIT */
/* PSCI for the guest (Arm DEN0022 PSCI 1.1), reached through arch/smccc.c over SMC or HVC. */
#include <hyp/boot.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/entry.h>
#include <hyp/psci.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1L)
#define PSCI_INVALID_PARAMS (-2L)
#define PSCI_DENIED (-3L)
#define PSCI_ALREADY_ON (-4L)
#define PSCI_ON_PENDING (-5L)
#define PSCI_INTERNAL_FAILURE (-6L)
#define PSCI_INVALID_ADDRESS (-9L)

/* CPU_ON: the vCPU is pinned to the physical CPU of the same MPIDR: wake it if it is parked in
 * the hypervisor since boot, else start it through firmware (after a CPU_OFF). */
static s64 psci_cpu_on(u64 mpidr, u64 entry, u64 context)
{
    struct vcpu *t = vcpu_by_mpidr(mpidr);
    enum vcpu_power expect = VCPU_OFF;
    s64 ret;

    if (!t)
        return PSCI_INVALID_PARAMS;
    /* DEN0022 5.6: the entry point must be a valid guest physical address. */
    if (entry < bootinfo->ram_base || entry - bootinfo->ram_base >= bootinfo->ram_size ||
        stage2_ipa_is_carveout(entry) || (entry & 3))
        return PSCI_INVALID_ADDRESS;
    if (!__atomic_compare_exchange_n(&t->power, &expect, VCPU_ON_PENDING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return expect == VCPU_ON ? PSCI_ALREADY_ON : PSCI_ON_PENDING;
    t->entry = entry;
    t->context = context;
    dsb_sy();
    if (t->parked) {
        __atomic_store_n(&t->go, true, __ATOMIC_RELEASE);
        vcpu_kick(t);
        return PSCI_SUCCESS;
    }
    ret = (s64)smc_call(PSCI_CPU_ON | PSCI_FN64, t->mpidr, (u64)secondary_entry, t->id);
    if (ret != PSCI_SUCCESS) {
        hyp_printf("cpu%u: firmware CPU_ON(0x%lx) failed: %ld\n", vcpu_current()->id, mpidr, ret);
        t->power = VCPU_OFF;
        return ret == PSCI_ALREADY_ON ? PSCI_INTERNAL_FAILURE : ret;
    }
    return PSCI_SUCCESS;
}

static s64 psci_affinity_info(u64 mpidr, u64 level)
{
    struct vcpu *t = vcpu_by_mpidr(mpidr);

    if (!t || level != 0)
        return PSCI_INVALID_PARAMS;
    return t->power == VCPU_ON ? 0 : t->power == VCPU_OFF ? 1 : 2;
}

static s64 psci_features(u64 fid)
{
    switch (fid) {
    case PSCI_VERSION:
    case PSCI_CPU_OFF:
    case PSCI_CPU_ON:
    case PSCI_CPU_ON | PSCI_FN64:
    case PSCI_AFFINITY_INFO:
    case PSCI_AFFINITY_INFO | PSCI_FN64:
    case PSCI_MIGRATE_INFO_TYPE:
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
    case PSCI_FEATURES:
    case SMCCC_VERSION:
        return PSCI_SUCCESS;
    case PSCI_CPU_SUSPEND:
    case PSCI_CPU_SUSPEND | PSCI_FN64:
        return 0; /* original power_state format, no OS-initiated mode */
    }
    return PSCI_NOT_SUPPORTED;
}

/* A PSCI call (SMCCC owner 4) with its arguments already narrowed to the call's width; false
 * if fid is not a PSCI function this hypervisor serves. */
bool psci_handle(struct vcpu *v, u64 fid, u64 a1, u64 a2, u64 a3, s64 *ret)
{
    switch (fid) {
    case PSCI_VERSION:
        *ret = 0x10001; /* PSCI 1.1 */
        return true;
    case PSCI_CPU_SUSPEND:
    case PSCI_CPU_SUSPEND | PSCI_FN64:
        wfi(); /* standby: a pending interrupt is a valid wake-up */
        *ret = PSCI_SUCCESS;
        return true;
    case PSCI_CPU_OFF:
        debug_once_end(v); /* a one-instruction step of ours ends here: release the others */
        v->power = VCPU_OFF;
        vcpu_record_off(v);
        dsb_sy();
        hyp_printf("cpu%u: guest CPU_OFF\n", v->id);
        *ret = (s64)smc_call(PSCI_CPU_OFF, 0, 0, 0);
        hyp_panic("firmware CPU_OFF returned %ld", *ret);
    case PSCI_CPU_ON:
    case PSCI_CPU_ON | PSCI_FN64:
        *ret = psci_cpu_on(a1, a2, a3);
        return true;
    case PSCI_AFFINITY_INFO:
    case PSCI_AFFINITY_INFO | PSCI_FN64:
        *ret = psci_affinity_info(a1, a2);
        return true;
    case PSCI_MIGRATE_INFO_TYPE:
        *ret = 2; /* Trusted OS not present, no migration needed */
        return true;
    case PSCI_SYSTEM_OFF:
        vcpu_print_stats();
        hyp_printf("cpu%u: guest SYSTEM_OFF\n", v->id);
        smc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
        hyp_panic("firmware SYSTEM_OFF returned");
    case PSCI_SYSTEM_RESET:
        vcpu_print_stats();
        hyp_printf("cpu%u: guest SYSTEM_RESET\n", v->id);
        smc_call(PSCI_SYSTEM_RESET, 0, 0, 0);
        hyp_panic("firmware SYSTEM_RESET returned");
    case PSCI_FEATURES:
        *ret = psci_features(a1 & 0xffffffffUL);
        return true;
    }
    return false;
}
