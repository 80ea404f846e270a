/* SPDX-License-Identifier: MIT */
/* Boot information the host launcher places in the carve-out for the hypervisor (shared with
 * tools/armvmi/hyp_host.c). */
#ifndef HYP_BOOTINFO_H
#define HYP_BOOTINFO_H

/*
 * Carve-out layout (QEMU virt, RAM at 0x40000000); the guest never sees any of it:
 *   0x40000000  QEMU's own DTB (ignored)
 *   0x40200000  the hypervisor ELF (text, data, stacks, page tables)
 *   0x40f00000  struct hyp_bootinfo, written by the host
 *   0x41000000  the stage-2 table pool (HYP_S2_POOL_PAGES(RAM) pages, rounded up to 2 MiB)
 *   carve end   guest RAM starts here (0x41200000 for 512 MiB of RAM)
 * Guest RAM is mapped at stage 2 with 4K pages (see hyp/core/stage2.c for why), so the pool
 * grows with RAM: one level-3 table per 2 MiB, one level-2 table per 1 GiB, and a reserve for
 * the device mappings.
 */
#define HYP_CARVE_BASE 0x40000000ULL
#define HYP_CARVE_FIXED 0x01000000ULL
#define HYP_S2_POOL_BASE (HYP_CARVE_BASE + HYP_CARVE_FIXED)
#define HYP_S2_POOL_PAGES(ram) (((ram) >> 21) + ((ram) >> 30) + 64)
#define HYP_CARVE_SIZE(ram)                                                                        \
    (HYP_CARVE_FIXED + ((HYP_S2_POOL_PAGES(ram) * 4096ULL + 0x1fffffULL) & ~0x1fffffULL))
#define HYP_LOAD_ADDR 0x40200000ULL
#define HYP_BOOTINFO_ADDR 0x40f00000ULL
#define HYP_BOOTINFO_MAGIC 0x4f464e4950594841ULL /* "AHYPINFO" */
#define HYP_BOOTINFO_VERSION 2
#define HYP_MAX_CPUS 4

#define HYP_BOOT_VGIC                                                                              \
    0x1ULL /* emulate the distributor, virtual CPU interface (else pass through) */

#ifndef __ASSEMBLER__
struct hyp_bootinfo {
    unsigned long long magic;
    unsigned int version;
    unsigned int ncpus;
    unsigned long long ram_base, ram_size;     /* all of machine RAM */
    unsigned long long carve_base, carve_size; /* never mapped at stage 2 */
    unsigned long long kernel_entry;           /* guest Image load address */
    unsigned long long dtb;                    /* guest DTB (x0 at entry) */
    unsigned long long flags;                  /* HYP_BOOT_* */
};
#endif

#endif
