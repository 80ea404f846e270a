/* SPDX-License-Identifier: MIT */
/* The vCPUs, pinned 1:1 to physical CPUs: lookup, wake-up, exit counts, and the per-vCPU record in
 * the carve-out (the guest's vCPU while its CPU is in the hypervisor). */
#include <hyp/arch.h>
#include <hyp/boot.h>
#include <hyp/console.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>
#include <hyp/vgic.h>

#define MPIDR_AFF_MASK 0xff00ffffffUL

struct vcpu vcpus[ARMVMI_MAX_VCPUS];

/* TPIDR_EL2 holds this CPU's vCPU (core/main.c sets it). */
struct vcpu *vcpu_current(void)
{
    return (struct vcpu *)read_tpidr_el2();
}

/* The vCPU with this MPIDR (affinity fields only), NULL if the guest has none. */
struct vcpu *vcpu_by_mpidr(u64 mpidr)
{
    for (unsigned i = 0; i < bootinfo->ncpus && i < ARMVMI_MAX_VCPUS; i++)
        if (vcpus[i].mpidr == (mpidr & MPIDR_AFF_MASK))
            return &vcpus[i];
    return NULL;
}

/* Wake a parked CPU or force an exit from a running vCPU: the hypervisor's SGI, or SEV without
 * the virtual GIC. */
void vcpu_kick(struct vcpu *v)
{
    if (vgic_enabled)
        vgic_send_kick(v->id);
    else
        sev();
}

/* Per-vCPU exit counts by exception class, readable by the guest through ARMVMI_HVC_EXITS. */
u64 vcpu_exit_count(unsigned ec)
{
    return ec <= ESR_EC_MAX ? vcpu_current()->exits_by_ec[ec] : 0;
}

/* One line per vCPU: exits by cause, printed when the guest powers off or resets. */
void vcpu_print_stats(void)
{
    for (unsigned i = 0; i < bootinfo->ncpus && i < ARMVMI_MAX_VCPUS; i++) {
        char line[400];
        int n = hyp_snprintf(line, sizeof(line), "cpu%u: %lu exits: irq %lu", i, vcpus[i].exits,
                             vcpus[i].irq_exits);
        for (unsigned ec = 0; ec <= ESR_EC_MAX && n < (int)sizeof(line) - 24; ec++)
            if (vcpus[i].exits_by_ec[ec])
                n += hyp_snprintf(line + n, sizeof(line) - (size_t)n, ", ec%02x %lu", ec,
                                  vcpus[i].exits_by_ec[ec]);
        hyp_printf("%s\n", line);
    }
}

/*
 * include/armvmi/abi.h states the protocol the library relies on: on an exit every field is
 * written before state becomes IN_HYP; on the way back state becomes IN_GUEST before anything
 * of the guest's is restored. A reader that pauses the machine at any instruction therefore
 * either finds a complete record (IN_HYP) or knows the CPU is in the few instructions of
 * exception entry or return, which it steps through.
 */
static struct armvmi_abi_vcpu *vcpu_record(const struct vcpu *v)
{
    return (struct armvmi_abi_vcpu *)ARMVMI_VCPU_REC(v->id);
}

static void vcpu_record_state(struct vcpu *v, u32 state)
{
    __atomic_store_n(&vcpu_record(v)->state, state, __ATOMIC_RELEASE);
}

/* Boot CPU, before any vCPU runs: every record exists and says OFF. */
void vcpu_record_init_all(void)
{
    for (unsigned i = 0; i < ARMVMI_MAX_VCPUS; i++) {
        struct armvmi_abi_vcpu *rec = (struct armvmi_abi_vcpu *)ARMVMI_VCPU_REC(i);

        memset(rec, 0, sizeof(*rec));
        rec->id = i;
        rec->version = ARMVMI_ABI_VERSION;
        rec->state = ARMVMI_VCPU_OFF;
        __atomic_store_n(&rec->magic, ARMVMI_VCPU_MAGIC, __ATOMIC_RELEASE);
    }
}

/* An exit from the guest: the guest's state as the exception left it, then IN_HYP. */
void vcpu_record_exit(struct vcpu *v, const struct trap_frame *f)
{
    struct armvmi_abi_vcpu *rec = vcpu_record(v);

    for (unsigned i = 0; i < 31; i++)
        rec->x[i] = f->x[i];
    rec->pc = f->elr;
    rec->pstate = f->spsr;
    rec->sp_el0 = read_sp_el0();
    rec->sp_el1 = read_sp_el1();
    rec->elr_el1 = read_elr_el1();
    rec->spsr_el1 = read_spsr_el1();
    rec->sctlr_el1 = read_sctlr_el1();
    rec->tcr_el1 = read_tcr_el1();
    rec->ttbr0_el1 = read_ttbr0_el1();
    rec->ttbr1_el1 = read_ttbr1_el1();
    rec->mair_el1 = read_mair_el1();
    rec->vbar_el1 = read_vbar_el1();
    rec->contextidr_el1 = read_contextidr_el1();
    rec->tpidr_el1 = read_tpidr_el1();
    rec->esr_el1 = read_esr_el1();
    rec->far_el1 = read_far_el1();
    rec->esr_el2 = read_esr_el2();
    rec->far_el2 = read_far_el2();
    rec->hpfar_el2 = read_hpfar_el2();
    rec->exits = v->exits;
    vcpu_record_state(v, ARMVMI_VCPU_IN_HYP);
}

/* About to return to the guest (or to enter it the first time). */
void vcpu_record_enter(struct vcpu *v)
{
    vcpu_record_state(v, ARMVMI_VCPU_IN_GUEST);
}

/* The guest turned the vCPU off (or has not started it): no guest state to show. */
void vcpu_record_off(struct vcpu *v)
{
    vcpu_record_state(v, ARMVMI_VCPU_OFF);
}
