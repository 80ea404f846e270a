/* SPDX-License-Identifier: MIT */
/* abi.h — the one contract between the armvmi hypervisor (hyp/) and the library and tools. */
#ifndef ARMVMI_ABI_H
#define ARMVMI_ABI_H

/*
 * Both builds include this header: hyp/ (freestanding, cross-compiled) and lib/, tools/ (hosted).
 * It is deliberately not part of the armvmi.h umbrella: API users never need it. Everything
 * here is little-endian, fixed-width and position-independent (addresses are guest-physical,
 * never pointers). ARMVMI_ABI_VERSION changes whenever a layout or a meaning below changes;
 * each side checks it and refuses the other's when they differ.
 *
 * Carve-out layout (QEMU virt, RAM at 0x40000000); the guest never sees any of it (it is not
 * in the guest's device tree and not mapped at stage 2):
 *   0x40000000  QEMU's own DTB (ignored)
 *   0x40200000  the hypervisor ELF (text, data, stacks, page tables)
 *   0x40f00000  struct armvmi_abi_bootinfo, written by the host launcher
 *   0x40f01000  struct armvmi_abi_vcpu[ARMVMI_MAX_VCPUS], kept current by the hypervisor
 *   0x41000000  the stage-2 table pool (ARMVMI_S2_POOL_PAGES(RAM) pages, rounded up to 2 MiB)
 *   carve end   guest RAM starts here (0x41200000 for 512 MiB of RAM)
 * Guest RAM is mapped at stage 2 with 4K pages (see hyp/core/stage2.c for why), so the pool
 * grows with RAM: one level-3 table per 2 MiB, one level-2 table per 1 GiB, and a reserve for
 * the device mappings.
 */

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define ARMVMI_ABI_VERSION 3

#define ARMVMI_CARVE_BASE 0x40000000ULL
#define ARMVMI_CARVE_FIXED 0x01000000ULL
#define ARMVMI_S2_POOL_BASE (ARMVMI_CARVE_BASE + ARMVMI_CARVE_FIXED)
#define ARMVMI_S2_POOL_PAGES(ram) (((ram) >> 21) + ((ram) >> 30) + 64)
#define ARMVMI_CARVE_SIZE(ram)                                                                     \
    (ARMVMI_CARVE_FIXED + ((ARMVMI_S2_POOL_PAGES(ram) * 4096ULL + 0x1fffffULL) & ~0x1fffffULL))
#define ARMVMI_HYP_LOAD_ADDR 0x40200000ULL
#define ARMVMI_MAX_VCPUS 4

/* ---- Boot information: the host launcher writes it, the hypervisor checks it at boot. ---- */
#define ARMVMI_BOOTINFO_ADDR 0x40f00000ULL
#define ARMVMI_BOOTINFO_MAGIC 0x4f464e4950594841ULL /* "AHYPINFO" */
/* flags */
#define ARMVMI_BOOT_VGIC 0x1ULL /* emulate the distributor and the virtual CPU interface */

#ifndef __ASSEMBLER__
struct armvmi_abi_bootinfo {
    uint64_t magic;                  /* ARMVMI_BOOTINFO_MAGIC */
    uint32_t version;                /* ARMVMI_ABI_VERSION */
    uint32_t ncpus;                  /* 1..ARMVMI_MAX_VCPUS */
    uint64_t ram_base, ram_size;     /* all of machine RAM */
    uint64_t carve_base, carve_size; /* never mapped at stage 2 */
    uint64_t kernel_entry;           /* guest Image load address */
    uint64_t dtb;                    /* guest DTB (x0 at entry) */
    uint64_t flags;                  /* ARMVMI_BOOT_* */
};
#endif

/*
 * ---- The per-vCPU record: the guest's vCPU while the physical CPU is in the hypervisor. ----
 *
 * vCPUs are pinned one to one to physical CPUs. When a physical CPU is paused inside the
 * hypervisor, its own registers are the hypervisor's; the guest's are in this record:
 * - on every exit from the guest, the hypervisor fills in the guest's state as it was at the
 *   exit (general registers, PC, PSTATE and the EL1 registers below) and then, last, sets
 *   state = ARMVMI_VCPU_IN_HYP;
 * - before it returns to the guest it sets state = ARMVMI_VCPU_IN_GUEST, first.
 * So a reader that finds IN_HYP reads a complete, consistent record. A reader that finds the
 * physical CPU at EL2 with any other state caught it in the few instructions of exception
 * entry or return (or a CPU the guest has not started, state OFF): it steps that CPU until
 * the record says IN_HYP or the CPU is back at EL1/EL0.
 * Registers not in the record (TPIDR_EL0, TPIDRRO_EL0, FP/SIMD) are not touched by the
 * hypervisor and are live in the physical CPU.
 */
#define ARMVMI_VCPU_REC_ADDR 0x40f01000ULL
#define ARMVMI_VCPU_REC_STRIDE 0x400ULL
#define ARMVMI_VCPU_REC(id) (ARMVMI_VCPU_REC_ADDR + (uint64_t)(id)*ARMVMI_VCPU_REC_STRIDE)
#define ARMVMI_VCPU_MAGIC 0x55504356u /* "VCPU" */

#define ARMVMI_VCPU_OFF 0      /* not started by the guest yet (or turned off by it) */
#define ARMVMI_VCPU_IN_GUEST 1 /* running the guest: its state is in the physical CPU */
#define ARMVMI_VCPU_IN_HYP 2   /* in the hypervisor: the guest's state is this record */

#ifndef __ASSEMBLER__
struct armvmi_abi_vcpu {
    uint32_t magic;   /* ARMVMI_VCPU_MAGIC once the hypervisor has set the record up */
    uint32_t version; /* ARMVMI_ABI_VERSION */
    uint32_t id;      /* vCPU index, = the record's index */
    uint32_t state;   /* ARMVMI_VCPU_*; written last on exit, first on entry */
    uint64_t exits;   /* exits from the guest so far */
    uint64_t x[31];
    uint64_t pc;     /* ELR_EL2 at the exit */
    uint64_t pstate; /* SPSR_EL2 at the exit */
    uint64_t sp_el0, sp_el1, elr_el1, spsr_el1;
    uint64_t sctlr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1, vbar_el1;
    uint64_t contextidr_el1, tpidr_el1, esr_el1, far_el1;
    uint64_t esr_el2, far_el2, hpfar_el2; /* the exit's syndrome */
};

#define ARMVMI_ABI_CHECK(cond) _Static_assert(cond, #cond)
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_bootinfo) == 72);
ARMVMI_ABI_CHECK(__builtin_offsetof(struct armvmi_abi_vcpu, x) == 24);
ARMVMI_ABI_CHECK(__builtin_offsetof(struct armvmi_abi_vcpu, pc) == 272);
ARMVMI_ABI_CHECK(__builtin_offsetof(struct armvmi_abi_vcpu, sp_el0) == 288);
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_vcpu) == 424);
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_vcpu) <= ARMVMI_VCPU_REC_STRIDE);
ARMVMI_ABI_CHECK(ARMVMI_VCPU_REC(ARMVMI_MAX_VCPUS) <= ARMVMI_CARVE_BASE + ARMVMI_CARVE_FIXED);
#endif

/* ---- Vendor hypercalls (SMCCC vendor-specific hypervisor service range, fast, 64-bit). ---- */
/* x1 = an ESR_EL2.EC: returns in x0 this vCPU's exits of that class so far. */
#define ARMVMI_HVC_EXITS 0xc6000001UL

#endif
