/* SPDX-License-Identifier: MIT */
/* vCPU state: the trap frame saved by the vectors and the per-CPU record (vCPUs pinned 1:1). */
#ifndef HYP_VCPU_H
#define HYP_VCPU_H

#include <hyp/types.h>
#include <hyp/frame.h>
#include <armvmi/abi.h>

enum vcpu_power { VCPU_OFF = 0, VCPU_ON_PENDING, VCPU_ON };

struct vcpu {
    unsigned id;
    u64 mpidr;
    volatile enum vcpu_power power;
    volatile bool parked;     /* brought up at boot, waiting in the hypervisor for CPU_ON */
    volatile bool go;         /* CPU_ON arguments are ready for the parked CPU */
    u64 entry, context;       /* PSCI CPU_ON arguments */
    struct trap_frame *frame; /* trap frame of the current exit */
    u64 exits;
    u64 exits_by_ec[64];
    u64 irq_exits;
};

extern struct vcpu vcpus[ARMVMI_MAX_VCPUS];
extern const struct armvmi_abi_bootinfo *bootinfo;

struct vcpu *vcpu_current(void);

/* core/vcpu.c: the per-vCPU record of include/armvmi/abi.h */
void vcpu_record_init_all(void);
void vcpu_record_exit(struct vcpu *v, const struct trap_frame *f);
void vcpu_record_enter(struct vcpu *v);
void vcpu_record_off(struct vcpu *v);
struct vcpu *vcpu_by_mpidr(u64 mpidr);
void vcpu_kick(struct vcpu *v);

/* arch/vectors.S */
void guest_enter(struct trap_frame *f) __attribute__((noreturn));
extern char hyp_vectors[];

/* arch/smc.S: SMCCC call to firmware (QEMU's PSCI), returns x0 */
u64 smc_call(u64 fid, u64 a1, u64 a2, u64 a3);

/* arch/trap.c */
void trap_report(const char *why, struct trap_frame *f, u64 esr);
bool trap_report_allowed(void);
void inject_undef(struct trap_frame *f);
void inject_dabt(struct trap_frame *f, u64 far);
void inject_iabt(struct trap_frame *f, u64 far);
static inline void inject_skip_insn(struct trap_frame *f, u64 esr)
{
    f->elr += (esr & (1UL << 25)) ? 4 : 2;
}

u64 vcpu_exit_count(unsigned ec);
void vcpu_print_stats(void);
bool idregs_sysreg(struct trap_frame *f, u64 esr);

/* arch/psci.c */
void smccc_handle(struct trap_frame *f);

/* core/stage2.c */
void stage2_build(void);
void stage2_enable(void);
void hyp_mmu_enable(void);
bool stage2_ipa_is_carveout(u64 ipa);

/* arch/vgic.c */
void vgic_init_global(void);
void vgic_init_cpu(void);
void vgic_handle_irq(struct trap_frame *f);
bool vgic_mmio(struct trap_frame *f, u64 ipa, u64 esr);
bool vgic_sysreg(struct trap_frame *f, u64 esr);
void vgic_send_kick(unsigned cpu);
bool vgic_ack_kick(void);
extern bool vgic_enabled;

#endif
