/* SPDX-License-Identifier: MIT */
/* Hypervisor main: per-CPU EL2 setup, the boot information check, and entry of each vCPU at EL1. */
#include <hyp/arch.h>
#include <hyp/boot.h>
#include <hyp/console.h>
#include <hyp/debug.h>
#include <hyp/doorbell.h>
#include <hyp/entry.h>
#include <hyp/events.h>
#include <hyp/psci.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>
#include <hyp/vgic.h>

const struct armvmi_abi_bootinfo *bootinfo =
    (const struct armvmi_abi_bootinfo *)ARMVMI_BOOTINFO_ADDR;

/* EL2 controls for a guest at EL1 (Arm ARM D17.2: HCR_EL2, CPTR_EL2, MDCR_EL2, CNTHCTL_EL2). */
static void cpu_init_el2(struct vcpu *v)
{
    u64 pfr0 = read_id_aa64pfr0_el1(), pfr1 = read_id_aa64pfr1_el1();
    /* TLOR: FEAT_LOR is hidden from the guest (idregs.c), so its registers trap and are
     * UNDEFINED for it, as for any feature the ID registers do not show. */
    u64 hcr =
        HCR_VM | HCR_SWIO | HCR_RW | HCR_TSC | HCR_TIDCP | HCR_TID3 | HCR_TLOR | HCR_API | HCR_APK;

    if (FIELD(pfr0, 56, 4) >= 2)
        hcr |= HCR_ENSCXT; /* FEAT_CSV2_2: SCXTNUM_ELx not trapped */
    if (FIELD(pfr1, 8, 4) >= 2)
        hcr |= HCR_ATA; /* FEAT_MTE2: allocation tag access not trapped */
    if (vgic_enabled)
        hcr |= HCR_IMO | HCR_FMO | HCR_AMO;
    write_vpidr_el2(read_midr_el1());
    write_vmpidr_el2(read_mpidr_el1());
    write_cptr_el2(CPTR_EL2_RES1); /* no FP/SVE/SME traps */
    if (FIELD(pfr0, 32, 4))
        write_zcr_el2(0x1ff); /* allow EL1 the largest SVE vector length */
    if (FIELD(pfr1, 24, 4))
        write_smcr_el2(0xf);                       /* and the largest SME streaming vector length */
    write_mdcr_el2(FIELD(read_pmcr_el0(), 11, 5)); /* HPMN = PMCR_EL0.N: all counters to EL1 */
    write_hstr_el2(0);
    write_cnthctl_el2(CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN);
    write_cntvoff_el2(0);   /* the same CNTVOFF on every CPU */
    write_icc_sre_el2(0xf); /* SRE, DFB, DIB, Enable: EL1 uses the system register interface */
    isb();
    stage2_enable();
    write_hcr_el2(hcr);
    isb();
    (void)v;
}

/* Boot-time secondaries wait here, owned by the hypervisor, until the guest's CPU_ON. */
static void vcpu_park(struct vcpu *v)
{
    v->parked = true;
    dsb_sy();
    while (!__atomic_load_n(&v->go, __ATOMIC_ACQUIRE)) {
        if (vgic_enabled) {
            wfi(); /* a pending interrupt wakes WFI even with PSTATE.I set */
            while (vgic_ack_kick())
                ;
        } else {
            wfe();
        }
    }
    v->go = false;
    v->parked = false;
}

/* Start every other CPU through firmware PSCI now, so all CPUs belong to the hypervisor. */
static void start_secondaries(void)
{
    u64 t0 = read_cntpct_el0(), limit = read_cntfrq_el0() * 2;

    for (unsigned i = 1; i < bootinfo->ncpus; i++) {
        s64 ret = (s64)smc_call(PSCI_CPU_ON | PSCI_FN64, vcpus[i].mpidr, (u64)secondary_entry, i);
        if (ret != 0)
            hyp_printf("cpu%u: firmware CPU_ON failed (%ld); it starts on the guest's CPU_ON\n", i,
                       ret);
    }
    for (unsigned i = 1; i < bootinfo->ncpus; i++)
        while (!vcpus[i].parked && read_cntpct_el0() - t0 < limit)
            ;
    for (unsigned i = 1; i < bootinfo->ncpus; i++)
        if (!vcpus[i].parked)
            hyp_printf("cpu%u: did not come up within 2 s\n", i);
}

void hyp_main(u64 cpu, struct trap_frame *frame)
{
    struct vcpu *v;

    if (cpu >= ARMVMI_MAX_VCPUS)
        for (;;)
            wfi();
    v = &vcpus[cpu];
    write_tpidr_el2((u64)v);
    if (cpu == 0) {
        hyp_printf("armvmi hypervisor: EL%lu, hyp at 0x%lx\n", read_currentel() >> 2,
                   (u64)ARMVMI_HYP_LOAD_ADDR);
        if (bootinfo->magic != ARMVMI_BOOTINFO_MAGIC || bootinfo->version != ARMVMI_ABI_VERSION)
            hyp_panic("no boot information at 0x%lx (magic 0x%lx): start through armvmi",
                      (u64)ARMVMI_BOOTINFO_ADDR, (u64)bootinfo->magic);
        if (bootinfo->ncpus == 0 || bootinfo->ncpus > ARMVMI_MAX_VCPUS)
            hyp_panic("%u CPUs requested, 1 to %u supported", bootinfo->ncpus, ARMVMI_MAX_VCPUS);
        if ((bootinfo->flags & ARMVMI_BOOT_HOLD) &&
            (bootinfo->hold_s < 1 || bootinfo->hold_s > ARMVMI_BOOT_HOLD_MAX_S))
            hyp_panic("a boot hold of %lu s requested, 1 to %u supported", (u64)bootinfo->hold_s,
                      ARMVMI_BOOT_HOLD_MAX_S);
        hyp_printf("RAM 0x%lx+0x%lx, carve-out 0x%lx+0x%lx, %u vCPUs, %s GIC\n",
                   (u64)bootinfo->ram_base, (u64)bootinfo->ram_size, (u64)bootinfo->carve_base,
                   (u64)bootinfo->carve_size, bootinfo->ncpus,
                   (bootinfo->flags & ARMVMI_BOOT_VGIC) ? "virtual" : "passed-through");
        for (unsigned i = 0; i < ARMVMI_MAX_VCPUS; i++) {
            vcpus[i].id = i;
            vcpus[i].mpidr = i; /* QEMU virt: Aff0 = CPU index for up to 8 CPUs */
            vcpus[i].power = VCPU_OFF;
        }
        vgic_enabled = bootinfo->flags & ARMVMI_BOOT_VGIC;
        vcpu_record_init_all();
        doorbell_probe();
        stage2_build();
        vgic_init_global();
        v->entry = bootinfo->kernel_entry;
        v->context = bootinfo->dtb;
    }
    hyp_mmu_enable();
    cpu_init_el2(v);
    vgic_init_cpu();
    if (cpu == 0) {
        doorbell_init();
        events_init(); /* after doorbell_init: hyp_flags says whether there is a doorbell */
        start_secondaries();
    } else if (v->power == VCPU_OFF) {
        hyp_printf("cpu%u: up, waiting for the guest's CPU_ON\n", v->id);
        vcpu_park(v);
    }
    memset(frame, 0, sizeof(*frame));
    /* Linux arm64 boot protocol: x0 = DTB, x1-x3 = 0, MMU off, DAIF masked, EL1h. */
    frame->x[0] = v->context;
    frame->elr = v->entry;
    frame->spsr = PSR_MODE_EL1h | PSR_DAIF;
    v->frame = frame;
    if (cpu == 0)
        events_boot_hold(v, frame);
    v->power = VCPU_ON;
    hyp_printf("cpu%u: entering guest at 0x%lx (x0=0x%lx)\n", v->id, v->entry, v->context);
    events_enter(v, frame);
    debug_cpu_init(v);
    debug_enter(v, frame); /* breakpoints set: TDE before the first guest instruction */
    vcpu_record_enter(v);
    guest_enter(frame);
}
