/* SPDX-License-Identifier: MIT */
/* SMCCC and PSCI for the guest: function identifiers (Arm DEN0028 SMCCC, DEN0022 PSCI 1.1), the
 * SMCCC router (arch/smccc.c) and the PSCI service (arch/psci.c). */
#ifndef HYP_PSCI_H
#define HYP_PSCI_H

#define SMCCC_VERSION 0x80000000UL
#define SMCCC_ARCH_FEATURES 0x80000001UL
#define PSCI_VERSION 0x84000000UL
#define PSCI_CPU_SUSPEND 0x84000001UL
#define PSCI_CPU_OFF 0x84000002UL
#define PSCI_CPU_ON 0x84000003UL
#define PSCI_AFFINITY_INFO 0x84000004UL
#define PSCI_MIGRATE 0x84000005UL
#define PSCI_MIGRATE_INFO_TYPE 0x84000006UL
#define PSCI_MIGRATE_INFO_UP_CPU 0x84000007UL
#define PSCI_SYSTEM_OFF 0x84000008UL
#define PSCI_SYSTEM_RESET 0x84000009UL
#define PSCI_FEATURES 0x8400000aUL
#define PSCI_FN64 0x40000000UL /* SMC64 variants: 0xc4... */

/* DEN0028 2.5: bits 29:24 of the function identifier name the service (its owner). */
#define SMCCC_OWNER(fid) (((fid) >> 24) & 0x3f)
#define SMCCC_OWNER_ARCH 0
#define SMCCC_OWNER_STD_SECURE 4 /* PSCI */
#define SMCCC_OWNER_VENDOR_HYP 6 /* armvmi's own calls (include/armvmi/abi.h) */
#define SMCCC_NOT_SUPPORTED (-1L)

#include <hyp/frame.h>
#include <hyp/vcpu.h>

/* An SMCCC call from the guest (HVC, or SMC trapped by HCR_EL2.TSC): x0..x3 in, x0 out; routed
 * by owner. */
void smccc_handle(struct trap_frame *f);

/* A PSCI call with its arguments narrowed to the call's width: *ret set and true, or false if
 * fid is not a PSCI function served here. */
bool psci_handle(struct vcpu *v, u64 fid, u64 a1, u64 a2, u64 a3, s64 *ret);

#endif
