/* SPDX-License-Identifier: MIT */
/* Trapped GICv3 distributor and redistributor accesses: filtered forwarding to the physical GIC. */
#include <hyp/arch.h>
#include <hyp/boot.h>
#include <hyp/gicv3.h>
#include <hyp/mmio.h>
#include <hyp/platform.h>
#include <hyp/trap.h>
#include <hyp/vgic.h>

/* INTIDs the hypervisor keeps for itself: the guest can neither see nor change them. */
#define HYP_PPI_MASK                                                                               \
    ((1u << GIC_INTID_HYP_KICK) | (1u << GIC_INTID_MAINT) | (1u << GIC_INTID_HYP_TIMER))

static u32 vgicd_ctlr;

/* INTIDs the guest can neither see nor change: the hypervisor's PPIs and its own SPI (the
 * doorbell's, vgic_hyp_spi). */
static bool hidden(unsigned intid)
{
    return intid < 32 ? (HYP_PPI_MASK & (1u << intid)) != 0
                      : (vgic_hyp_spi && intid == vgic_hyp_spi);
}

static u32 hidden_mask(unsigned base)
{
    u32 m = 0;

    for (unsigned i = 0; i < 32; i++)
        if (hidden(base + i))
            m |= 1u << i;
    return m;
}

/* Enable/pending/active bit registers for INTIDs [base, base+32): forward all but 'hide'. */
static u64 bits32(struct mmio_access *a, u32 hide)
{
    if (a->size != 4)
        return 0;
    if (a->write) {
        if ((u32)a->val & ~hide)
            mmio_phys_write(a->pa, 4, (u32)a->val & ~hide);
        return 0;
    }
    return mmio_phys_read(a->pa, 4) & ~hide;
}

/* IPRIORITYR: byte or word, shadowed for list-register priorities; 'intid' is the first byte's. */
static u64 prio(struct mmio_access *a, unsigned intid, u8 *shadow, unsigned shadow_len)
{
    u64 v = 0;

    if (a->size != 1 && a->size != 4)
        return 0;
    if (!a->write) {
        v = mmio_phys_read(a->pa, a->size);
        for (unsigned i = 0; i < a->size; i++)
            if (hidden(intid + i))
                v &= ~(0xffUL << (8 * i));
        return v;
    }
    for (unsigned i = 0; i < a->size; i++) {
        if (hidden(intid + i) || intid + i >= shadow_len)
            continue;
        mmio_phys_write(a->pa + i, 1, (u8)(a->val >> (8 * i)));
        shadow[intid + i] = (u8)(a->val >> (8 * i));
    }
    return 0;
}

/* ICFGR word for INTIDs [base, base+16): the hidden ones' two bits stay the hypervisor's. */
static u64 icfgr(struct mmio_access *a, unsigned base)
{
    u32 keep = 0;

    for (unsigned i = 0; i < 16; i++)
        if (hidden(base + i))
            keep |= 3u << (2 * i);
    if (!a->write)
        return mmio_phys_read(a->pa, 4) & ~keep;
    mmio_phys_write(a->pa, 4, (mmio_phys_read(a->pa, 4) & keep) | (a->val & ~keep));
    return 0;
}

static u64 gicd_access(struct mmio_access *a)
{
    u64 o = a->off;
    unsigned intid;

    if (o == GICD_CTLR && a->size == 4) {
        if (a->write)
            vgicd_ctlr = (u32)a->val & (GICD_CTLR_ARE | GICD_CTLR_EN_G1 | GICD_CTLR_EN_G0);
        return vgicd_ctlr | GICD_CTLR_DS;
    }
    if (o == GICD_TYPER && a->size == 4 && !a->write)
        return mmio_phys_read(a->pa, 4) & ~(u64)(GICD_TYPER_LPIS | GICD_TYPER_MBIS);
    if ((o == GICD_IIDR || o == GICD_TYPER2 || o >= GICD_IDREGS) && !a->write && a->size == 4)
        return mmio_phys_read(a->pa, 4);
    if (o >= GICD_IGROUPR && o < GICD_IGROUPR + 0x80)
        return a->write ? 0 : 0xffffffffUL; /* RAO/WI: every interrupt is group 1 */
    if (o >= GICD_ISENABLER && o < GICD_ICACTIVER + 0x80) {
        if ((o & 0x7f) == 0)
            return 0; /* INTIDs 0-31 live in the redistributors (ARE = 1) */
        return bits32(a, hidden_mask((unsigned)(o & 0x7f) * 8));
    }
    if (o >= GICD_IPRIORITYR && o < GICD_IPRIORITYR + 0x400) {
        if ((o & 0x3ff) < 32)
            return 0;
        return prio(a, (unsigned)(o - GICD_IPRIORITYR), vgic_spi_prio, vgic_nr_irqs());
    }
    if (o >= GICD_ICFGR + 8 && o < GICD_ICFGR + 0x100 && a->size == 4)
        return icfgr(a, (unsigned)(o - GICD_ICFGR) * 4);
    if (o >= GICD_IROUTER + 8 * 32 && o < GICD_IROUTER + 8 * 1020) {
        intid = (unsigned)((o - GICD_IROUTER) / 8);
        if (intid >= vgic_nr_irqs() || (a->size != 4 && a->size != 8) || hidden(intid))
            return 0;
        if (a->write)
            mmio_phys_write(a->pa, a->size, a->val); /* affinities are the physical ones (1:1) */
        return a->write ? 0 : mmio_phys_read(a->pa, a->size);
    }
    return 0; /* RAZ/WI: status, message-based SPIs, NSACR, SGIR (ARE = 1), reserved */
}

static u64 gicr_access(struct mmio_access *a, unsigned cpu)
{
    u64 o = a->off & (GICR_FRAME_SIZE - 1);

    if (cpu >= bootinfo->ncpus)
        return 0;
    if (o < GICR_SGI_OFFSET) {
        if (o == GICR_CTLR && !a->write && a->size == 4)
            return mmio_phys_read(a->pa, 4) & ~1UL; /* EnableLPIs: no LPIs for the guest */
        if (o == GICR_TYPER && !a->write && (a->size == 8 || a->size == 4))
            return mmio_phys_read(a->pa, a->size) & ~(GICR_TYPER_PLPIS | GICR_TYPER_DIRECTLPI);
        if (o == GICR_TYPER + 4 && !a->write && a->size == 4)
            return mmio_phys_read(a->pa, 4);
        if ((o == GICR_IIDR || o >= GICR_IDREGS) && !a->write && a->size == 4)
            return mmio_phys_read(a->pa, 4);
        if (o == GICR_WAKER && a->size == 4) {
            /* The hypervisor keeps every redistributor awake (it needs its own SGI and the
             * maintenance interrupt): sleep requests are ignored, reads show it awake. */
            return a->write ? 0 : mmio_phys_read(a->pa, 4) & ~(u64)GICR_WAKER_PSLEEP;
        }
        return 0; /* PROPBASER, PENDBASER, LPI registers: RAZ/WI */
    }
    o -= GICR_SGI_OFFSET;
    if (o == GICD_IGROUPR)
        return a->write ? 0 : 0xffffffffUL;
    if (o == GICD_ISENABLER || o == GICD_ICENABLER || o == GICD_ISPENDR || o == GICD_ICPENDR ||
        o == GICD_ISACTIVER || o == GICD_ICACTIVER)
        return bits32(a, HYP_PPI_MASK);
    if (o >= GICD_IPRIORITYR && o < GICD_IPRIORITYR + 32) {
        return prio(a, (unsigned)(o - GICD_IPRIORITYR), vgic_ppi_prio[cpu], 32);
    }
    if (o == GICD_ICFGR + 4 && a->size == 4)
        return icfgr(a, 16);
    if (o == GICD_ICFGR && !a->write && a->size == 4)
        return mmio_phys_read(a->pa, 4);
    return 0;
}

/* Stage-2 data abort in the GIC region: decode (Arm ARM ISS: ISV, SAS, SRT, WnR) and emulate. */
bool vgic_mmio(struct trap_frame *f, u64 ipa, u64 esr)
{
    struct mmio_access a;
    u64 v;

    if (!vgic_enabled || ipa < PLAT_GICD_BASE || ipa >= PLAT_GIC_END)
        return false;
    if (esr & ESR_DABT_S1PTW)
        return false; /* a stage-1 table walk into the GIC: not an MMIO access */
    if (!(esr & ESR_DABT_ISV)) {
        trap_report("GIC access without syndrome (ISV=0), cannot emulate", f, esr);
        return false;
    }
    if (!mmio_decode(&a, f, ipa, esr))
        return false;
    if (ipa < PLAT_GICD_BASE + PLAT_GICD_SIZE) {
        a.off = ipa - PLAT_GICD_BASE;
        v = gicd_access(&a);
    } else if (ipa >= PLAT_GICR_BASE) {
        a.off = ipa - PLAT_GICR_BASE;
        v = gicr_access(&a, (unsigned)(a.off / GICR_FRAME_SIZE));
    } else {
        return false; /* ITS and unused GIC space: not emulated */
    }
    mmio_complete_read(f, esr, &a, v);
    return true;
}
