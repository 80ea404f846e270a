/* SPDX-License-Identifier: MIT */
/* Stage-2 translation (IPA = PA, 4K granule; guest RAM in 4K pages, device regions in blocks) and
 * the EL2 stage-1 identity map. */
#include <hyp/arch.h>
#include <hyp/boot.h>
#include <hyp/console.h>
#include <hyp/doorbell.h>
#include <hyp/platform.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>
#include <hyp/vgic.h>

#define PT_ENTRIES 512

/* Root: two concatenated level-1 tables for a 40-bit IPA space, so that a stage-2 walk takes
 * two lookups for RAM (L1, L2 block) instead of three (Arm ARM D8.2.7, Table D8-14). */
static u64 s2_root_tables[2][PT_ENTRIES] __attribute__((aligned(8192)));
#define S2_IPA_BITS 40
/* Table pages come from the carve-out after its fixed part (ARMVMI_S2_POOL_BASE, abi.h). */
static u64 (*s2_pool)[PT_ENTRIES];
static u64 s2_pool_pages, s2_pool_used;
static u64 *s2_root;
static unsigned s2_ipa_bits;

static u64 *table_alloc(void)
{
    u64 *t;

    if (s2_pool_used >= s2_pool_pages)
        hyp_panic("stage-2 table pool exhausted (%lu pages)", s2_pool_pages);
    t = s2_pool[s2_pool_used++];
    memset(t, 0, sizeof(s2_pool[0])); /* RAM survives a guest reboot: never trust it zero */
    return t;
}

/* Arm ARM D8.3.1: with the 4K granule, level 1 and 2 entries may be blocks, level 3 pages.
 * Leaves are made at level leaf_min or deeper. */
static void map_level(u64 *t, unsigned lvl, u64 start, u64 end, u64 attr, unsigned leaf_min)
{
    unsigned shift = 39 - 9 * lvl;
    u64 bs = 1UL << shift;

    while (start < end) {
        u64 idx = (start >> shift) & (PT_ENTRIES - 1);
        u64 next = ALIGN_DOWN(start, bs) + bs;

        if (next > end)
            next = end;
        if (lvl >= leaf_min && !(start & (bs - 1)) && next - start == bs) {
            if (t[idx] & S2_VALID)
                hyp_panic("stage-2: IPA 0x%lx mapped twice", start);
            t[idx] = start | attr | (lvl == 3 ? S2_PAGE : S2_BLOCK);
        } else {
            if (!(t[idx] & S2_VALID))
                t[idx] = (u64)table_alloc() | S2_TABLE;
            else if ((t[idx] & 3) != 3 || lvl == 3)
                hyp_panic("stage-2: IPA 0x%lx inside an existing block", start);
            map_level((u64 *)(t[idx] & S2_ADDR_MASK), lvl + 1, start, next, attr, leaf_min);
        }
        start = next;
    }
}

static void s2_map(u64 base, u64 size, u64 attr, unsigned leaf_min)
{
    u64 end = base + size;

    if (end > (1UL << S2_IPA_BITS))
        hyp_panic("stage-2: 0x%lx+0x%lx beyond the %u-bit IPA space", base, size, S2_IPA_BITS);
    while (base < end) {
        u64 chunk_end = ALIGN_DOWN(base, 1UL << 39) + (1UL << 39);
        if (chunk_end > end)
            chunk_end = end;
        map_level(s2_root_tables[base >> 39], 1, base, chunk_end, attr, leaf_min);
        base = chunk_end;
    }
}

#define S2_DEVICE (S2_MEMATTR_DEV_nGnRE | S2_AP_RW | S2_AF)
#define S2_NORMAL (S2_MEMATTR_NORMAL_WB | S2_AP_RW | S2_SH_INNER | S2_AF)

/*
 * Guest RAM is mapped with 4K pages, not blocks. Two reasons:
 * - QEMU's TLB records each combined stage-1+2 translation with the larger of the two page
 *   sizes, and a TLB invalidation by address that falls inside any such "large page" flushes
 *   that whole TLB. With 2 MiB stage-2 blocks every 4K user page of the guest counts as large, so
 *   each of Linux's TLBI VAE1IS (page faults, CoW, munmap) flushed the entire TLB: the guest ran
 *   6% slower under the hypervisor (BENCHMARKS.md). With 4K pages it runs as fast as without.
 * - Memory events change stage-2 permissions per 4K page; with pages in place they never have
 *   to split a block while the guest runs.
 * Device regions stay in blocks (few translations, and the guest maps them with blocks too).
 */
#define RAM_LEAF_LEVEL 3
#define DEVICE_LEAF_LEVEL 1

/* Device memory less the page the doorbell's virtio-mmio transport shares with the guest's
 * transports: that page traps, and arch/abort.c emulates it (drivers/virtio_console.c). */
static void s2_map_device(u64 base, u64 size)
{
    u64 hole = doorbell_hidden_page(), end = base + size;

    if (!hole || hole < base || hole >= end) {
        s2_map(base, size, S2_DEVICE, DEVICE_LEAF_LEVEL);
        return;
    }
    if (hole > base)
        s2_map(base, hole - base, S2_DEVICE, DEVICE_LEAF_LEVEL);
    if (hole + SZ_4K < end)
        s2_map(hole + SZ_4K, end - hole - SZ_4K, S2_DEVICE, DEVICE_LEAF_LEVEL);
}

bool stage2_ipa_is_carveout(u64 ipa)
{
    return ipa >= bootinfo->carve_base && ipa - bootinfo->carve_base < bootinfo->carve_size;
}

static void s2_parange(void)
{
    static const unsigned pa_bits[] = {32, 36, 40, 42, 44, 48};
    u64 ps = FIELD(read_id_aa64mmfr0_el1(), 0, 4);

    if (ps > 5)
        ps = 5;
    s2_ipa_bits = pa_bits[ps];
    if (s2_ipa_bits < S2_IPA_BITS)
        hyp_panic("PARange %u bits: need %u or more", s2_ipa_bits, S2_IPA_BITS);
    s2_ipa_bits = S2_IPA_BITS;
}

void stage2_build(void)
{
    u64 ram_end = bootinfo->ram_base + bootinfo->ram_size;
    u64 cb = bootinfo->carve_base, ce = cb + bootinfo->carve_size;

    s2_parange();
    s2_pool = (u64(*)[PT_ENTRIES])(ARMVMI_S2_POOL_BASE);
    s2_pool_pages = (cb + bootinfo->carve_size - ARMVMI_S2_POOL_BASE) / sizeof(s2_pool[0]);
    s2_pool_used = 0;
    if (cb != ARMVMI_CARVE_BASE || bootinfo->carve_size < ARMVMI_CARVE_SIZE(bootinfo->ram_size))
        hyp_panic("carve-out 0x%lx+0x%lx: expected 0x%lx+0x%lx for 0x%lx of RAM", cb,
                  (u64)bootinfo->carve_size, (u64)ARMVMI_CARVE_BASE,
                  (u64)ARMVMI_CARVE_SIZE(bootinfo->ram_size), (u64)bootinfo->ram_size);
    memset(s2_root_tables, 0, sizeof(s2_root_tables));
    s2_root = &s2_root_tables[0][0];
    /* Low I/O: everything below RAM except fw_cfg and, with the virtual GIC, the GIC's 16MB
     * (distributor, ITS, redistributors), which traps and is emulated. */
    if (vgic_enabled) {
        s2_map_device(0, PLAT_GICD_BASE);
        s2_map_device(PLAT_GIC_END, PLAT_FWCFG_BASE - PLAT_GIC_END);
    } else {
        s2_map_device(0, PLAT_FWCFG_BASE);
    }
    /* fw_cfg is never mapped: its DMA interface writes any physical address, the carve-out
     * included (and the guest DTB does not list it). */
    s2_map_device(PLAT_FWCFG_BASE + PLAT_FWCFG_SIZE,
                  PLAT_LOWIO_END - PLAT_FWCFG_BASE - PLAT_FWCFG_SIZE);
    /* Guest RAM: all of it but the carve-out, which is never mapped. */
    if (cb > bootinfo->ram_base)
        s2_map(bootinfo->ram_base, cb - bootinfo->ram_base, S2_NORMAL, RAM_LEAF_LEVEL);
    if (ce < ram_end)
        s2_map(ce, ram_end - ce, S2_NORMAL, RAM_LEAF_LEVEL);
    /* High PCIe ECAM and MMIO windows, if the IPA space reaches them. */
    if (s2_ipa_bits >= 40) {
        s2_map(PLAT_PCIE_ECAM_HI, PLAT_PCIE_ECAM_SIZE, S2_DEVICE, DEVICE_LEAF_LEVEL);
        s2_map(PLAT_PCIE_MMIO_HI, PLAT_PCIE_MMIO_HI_SIZE, S2_DEVICE, DEVICE_LEAF_LEVEL);
    }
    hyp_printf("stage 2: %u-bit IPA, RAM in 4K pages, %lu of %lu table pages, carve-out "
               "0x%lx-0x%lx unmapped\n",
               s2_ipa_bits, s2_pool_used, s2_pool_pages, cb, ce);
}

/* The level-3 descriptor of a guest RAM page (RAM is mapped in 4K pages), or NULL. */
static u64 *s2_ram_pte(u64 ipa)
{
    u64 *t, d;

    if (!s2_root || ipa >= (1UL << S2_IPA_BITS) || !stage2_ipa_is_ram(ipa))
        return NULL;
    t = s2_root_tables[ipa >> 39];
    for (unsigned lvl = 1; lvl < 3; lvl++) {
        d = t[(ipa >> (39 - 9 * lvl)) & (PT_ENTRIES - 1)];
        if ((d & 3) != 3)
            return NULL;
        t = (u64 *)(d & S2_ADDR_MASK);
    }
    d = t[(ipa >> 12) & (PT_ENTRIES - 1)];
    return (d & 3) == 3 ? &t[(ipa >> 12) & (PT_ENTRIES - 1)] : NULL;
}

bool stage2_ipa_is_ram(u64 ipa)
{
    return ipa >= bootinfo->ram_base && ipa - bootinfo->ram_base < bootinfo->ram_size &&
           !stage2_ipa_is_carveout(ipa);
}

/*
 * Stage-2 permissions of one RAM page (Arm ARM D8.5.5): S2AP[0] (bit 6) allows reads, S2AP[1]
 * (bit 7) writes, XN[1] (bit 54) forbids execution; write-only and execute-only are both
 * expressible. Only permissions change, so no break-before-make is needed (D8.16.1); the caller
 * invalidates with stage2_tlb_flush(). Returns false if ipa is not a mapped RAM page.
 */
bool stage2_set_perm(u64 ipa, bool r, bool w, bool x)
{
    u64 *pte = s2_ram_pte(ipa), d;

    if (!pte)
        return false;
    d = *pte & ~(S2_AP_RW | S2_XN);
    d |= (r ? S2_AP_R : 0) | (w ? S2_AP_W : 0) | (x ? 0 : S2_XN);
    if (d != *pte) {
        __atomic_store_n(pte, d, __ATOMIC_RELAXED);
        dsb_ishst();
        tlbi_ipas2e1is(ipa);
    }
    return true;
}

/*
 * Map RAM page ipa to the page at pa (another guest frame or a page of the hypervisor's) with
 * these permissions. A new output address needs break-before-make (Arm ARM D8.16.1): the entry
 * is invalid, and invalidated on every CPU, before the new one is written; a vCPU that meets
 * the invalid entry meanwhile takes a translation fault on guest RAM and retries (brkevent.c).
 * The caller completes with stage2_tlb_flush(). The ipa's own frame is pa = ipa.
 */
bool stage2_map_page(u64 ipa, u64 pa, bool r, bool w, bool x)
{
    u64 *pte = s2_ram_pte(ipa & ~0xfffUL), d;

    if (!pte)
        return false;
    d = *pte & ~(S2_ADDR_MASK | S2_AP_RW | S2_XN);
    d |= (pa & S2_ADDR_MASK) | (r ? S2_AP_R : 0) | (w ? S2_AP_W : 0) | (x ? 0 : S2_XN);
    if ((*pte & S2_ADDR_MASK) != (pa & S2_ADDR_MASK)) {
        __atomic_store_n(pte, 0, __ATOMIC_RELAXED);
        dsb_ishst();
        tlbi_ipas2e1is(ipa);
        tlbi_s2_sync();
    }
    __atomic_store_n(pte, d, __ATOMIC_RELAXED);
    dsb_ishst();
    tlbi_ipas2e1is(ipa);
    return true;
}

/* Completes the invalidations of stage2_set_perm() on every CPU (Arm ARM D8.14.5). */
void stage2_tlb_flush(void)
{
    tlbi_s2_sync();
}

/* VTCR_EL2: 40-bit IPA starting at level 1 (concatenated root), 4K granule, WBWA inner-shareable
 * walks. */
void stage2_enable(void)
{
    s2_parange();
    write_vtcr_el2(VTCR_RES1 | VTCR_T0SZ(64 - S2_IPA_BITS) | VTCR_SL0_L1 | VTCR_IRGN0_WBWA |
                   VTCR_ORGN0_WBWA | VTCR_SH0_INNER | VTCR_TG0_4K | (2UL << VTCR_PS_SHIFT));
    if (s2_root)
        write_vttbr_el2((u64)s2_root); /* VMID 0 */
    isb();
    tlbi_vmalls12e1is();
}

/* EL2 stage 1: identity map of the low 4GB, device below RAM, normal WB from RAM up (D8.2). */
static u64 hyp_l1[PT_ENTRIES] __attribute__((aligned(4096)));

#define MAIR_DEVICE_nGnRnE 0x00UL
#define MAIR_NORMAL_WB 0xffUL
#define S1_ATTR_DEVICE (0UL << 2)
#define S1_ATTR_NORMAL (1UL << 2)
#define S1_SH_INNER (3UL << 8)
#define S1_AF BIT(10)
#define TCR_EL2_RES1 (BIT(31) | BIT(23))
#define SCTLR_EL2_RES1 0x30c50830UL
#define SCTLR_M BIT(0)
#define SCTLR_C BIT(2)
#define SCTLR_SA BIT(3)
#define SCTLR_I BIT(12)

void hyp_mmu_enable(void)
{
    if (!(hyp_l1[1] & 1)) {
        hyp_l1[0] = 0 | S1_ATTR_DEVICE | S1_AF | 1;
        for (u64 i = 1; i < 4; i++)
            hyp_l1[i] = (i << 30) | S1_ATTR_NORMAL | S1_SH_INNER | S1_AF | 1;
        dsb_sy();
    }
    write_mair_el2(MAIR_DEVICE_nGnRnE | (MAIR_NORMAL_WB << 8));
    /* T0SZ = 32 (4GB), start at level 1; WBWA inner shareable walks; 4K; PS = 40 bits. */
    write_tcr_el2(TCR_EL2_RES1 | 32 | (1UL << 8) | (1UL << 10) | (3UL << 12) | (2UL << 16));
    write_ttbr0_el2((u64)hyp_l1);
    isb();
    tlbi_alle2();
    write_sctlr_el2(SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I);
    isb();
}
