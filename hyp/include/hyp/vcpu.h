/* SPDX-License-Identifier: MIT */
/* vCPUs, pinned 1:1 to physical CPUs: state, lookup, wake-up, exit counts and the per-vCPU record
 * of include/armvmi/abi.h (core/vcpu.c). */
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

struct vcpu *vcpu_current(void);
struct vcpu *vcpu_by_mpidr(u64 mpidr);
void vcpu_kick(struct vcpu *v);

u64 vcpu_exit_count(unsigned ec);
void vcpu_print_stats(void);

void vcpu_record_init_all(void);
void vcpu_record_exit(struct vcpu *v, const struct trap_frame *f);
void vcpu_record_enter(struct vcpu *v);
void vcpu_record_off(struct vcpu *v);

#endif
