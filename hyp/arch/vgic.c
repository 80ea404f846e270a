/* SPDX-License-Identifier: MIT */
/* Virtual GIC: the hypervisor owns the physical GICv3 (HCR_EL2.IMO/FMO) and injects through list
 * registers. */
#include <hyp/arch.h>
#include <hyp/console.h>
#include <hyp/events.h>
#include <hyp/doorbell.h>
#include <hyp/gicv3.h>
#include <hyp/platform.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>
#include <hyp/vgic.h>

bool vgic_enabled;
u32 vgic_hyp_spi;
u8 vgic_spi_prio[1024];
u8 vgic_ppi_prio[ARMVMI_MAX_VCPUS][32];

/* Interrupts waiting for a free list register, one bit per INTID, so that no guest behaviour
 * (e.g. setting every SPI pending) can overflow it; 'hw' marks hardware-linked ones. */
struct vgic_cpu {
    u64 waiting[1024 / 64];
    u64 hw[1024 / 64];
    unsigned queued;
    unsigned nlr;
};
static struct vgic_cpu vgic_cpus[ARMVMI_MAX_VCPUS];

static u64 lr_read(unsigned i)
{
    switch (i) {
    case 0:
        return read_ich_lr0_el2();
    case 1:
        return read_ich_lr1_el2();
    case 2:
        return read_ich_lr2_el2();
    default:
        return read_ich_lr3_el2();
    }
}

static void lr_write(unsigned i, u64 v)
{
    switch (i) {
    case 0:
        write_ich_lr0_el2(v);
        break;
    case 1:
        write_ich_lr1_el2(v);
        break;
    case 2:
        write_ich_lr2_el2(v);
        break;
    default:
        write_ich_lr3_el2(v);
        break;
    }
}

static inline u64 gicr_base(unsigned cpu)
{
    return PLAT_GICR_BASE + (u64)cpu * GICR_FRAME_SIZE;
}

static void gicd_wait_rwp(void)
{
    for (unsigned i = 0; i < 1000000 && (mmio_read32(PLAT_GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP);
         i++)
        ;
}

/* Interrupt lines the distributor implements (GICD_TYPER.ITLinesNumber), read once. */
unsigned vgic_nr_irqs(void)
{
    static unsigned n;

    if (!n) {
        n = 32 * (GICD_TYPER_ITLINES(mmio_read32(PLAT_GICD_BASE + GICD_TYPER)) + 1);
        if (n > 1020)
            n = 1020;
    }
    return n;
}

/* Physical distributor: all SPIs group 1, disabled, default priority, routed to CPU 0. */
void vgic_init_global(void)
{
    unsigned n;

    if (!vgic_enabled)
        return;
    n = vgic_nr_irqs();
    mmio_write32(PLAT_GICD_BASE + GICD_CTLR, 0);
    gicd_wait_rwp();
    for (unsigned i = 32; i < n; i += 32) {
        mmio_write32(PLAT_GICD_BASE + GICD_ICENABLER + i / 8, ~0u);
        mmio_write32(PLAT_GICD_BASE + GICD_ICPENDR + i / 8, ~0u);
        mmio_write32(PLAT_GICD_BASE + GICD_ICACTIVER + i / 8, ~0u);
        mmio_write32(PLAT_GICD_BASE + GICD_IGROUPR + i / 8, ~0u);
        mmio_write32(PLAT_GICD_BASE + GICD_IGRPMODR + i / 8, 0);
    }
    for (unsigned i = 32; i < n; i++) {
        mmio_write32(PLAT_GICD_BASE + GICD_IPRIORITYR + (i & ~3u), 0xa0a0a0a0u);
        mmio_write64(PLAT_GICD_BASE + GICD_IROUTER + 8 * i, 0);
        vgic_spi_prio[i] = 0xa0;
    }
    mmio_write32(PLAT_GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_EN_G1 | GICD_CTLR_EN_G0);
    gicd_wait_rwp();
    hyp_printf("vgic: %u interrupt lines, %lu list registers\n", n,
               (read_ich_vtr_el2() & 0x1f) + 1);
}

/* Take SPI intid for the hypervisor (the doorbell's): level-sensitive, routed to CPU 0, enabled;
 * hidden from the guest's distributor (vgic_mmio.c) and never injected. */
void vgic_claim_spi(u32 intid)
{
    u64 cfg = PLAT_GICD_BASE + GICD_ICFGR + (intid / 16) * 4;

    if (!vgic_enabled || intid < 32 || intid >= vgic_nr_irqs())
        return;
    vgic_hyp_spi = intid;
    mmio_write32(cfg, mmio_read32(cfg) & ~(2u << (2 * (intid % 16)))); /* Int_config 0: level */
    mmio_write64(PLAT_GICD_BASE + GICD_IROUTER + 8 * intid, 0);        /* Aff 0.0.0.0: CPU 0 */
    mmio_write32(PLAT_GICD_BASE + GICD_ICPENDR + (intid / 32) * 4, 1u << (intid % 32));
    mmio_write32(PLAT_GICD_BASE + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
    gicd_wait_rwp();
}

/* This CPU's redistributor awake, SGIs/PPIs group 1 and disabled but for the maintenance
 * interrupt; physical CPU interface with split priority drop / deactivation (EOImode 1), so a
 * hardware-linked virtual interrupt deactivates its physical one when the guest EOIs it. */
void vgic_init_cpu(void)
{
    struct vcpu *v = vcpu_current();
    u64 rd = gicr_base(v->id), sgi = rd + GICR_SGI_OFFSET;
    struct vgic_cpu *vc = &vgic_cpus[v->id];

    if (!vgic_enabled)
        return;
    mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_PSLEEP);
    for (unsigned i = 0; i < 1000000 && (mmio_read32(rd + GICR_WAKER) & GICR_WAKER_CASLEEP); i++)
        ;
    mmio_write32(sgi + GICD_ICENABLER, ~0u);
    mmio_write32(sgi + GICD_ICPENDR, ~0u);
    mmio_write32(sgi + GICD_ICACTIVER, ~0u);
    mmio_write32(sgi + GICD_IGROUPR, ~0u);
    mmio_write32(sgi + GICD_IGRPMODR, 0);
    for (unsigned i = 0; i < 32; i += 4)
        mmio_write32(sgi + GICD_IPRIORITYR + i, 0xa0a0a0a0u);
    for (unsigned i = 0; i < 32; i++)
        vgic_ppi_prio[v->id][i] = 0xa0;
    mmio_write32(sgi + GICD_ISENABLER, (1u << GIC_INTID_MAINT) | (1u << GIC_INTID_HYP_KICK) |
                                           (1u << GIC_INTID_HYP_TIMER));
    write_icc_pmr_el1(0xff);
    write_icc_ctlr_el1(ICC_CTLR_EOIMODE);
    write_icc_igrpen1_el1(1);
    memset(vc->waiting, 0, sizeof(vc->waiting));
    memset(vc->hw, 0, sizeof(vc->hw));
    vc->queued = 0;
    vc->nlr = (read_ich_vtr_el2() & 0x1f) + 1;
    if (vc->nlr > 4)
        vc->nlr = 4;
    for (unsigned i = 0; i < vc->nlr; i++)
        lr_write(i, 0);
    write_ich_vmcr_el2(0);
    write_ich_hcr_el2(ICH_HCR_EN);
    isb();
}

static u8 vgic_prio(unsigned cpu, u32 intid)
{
    return intid < 32 ? vgic_ppi_prio[cpu][intid] : vgic_spi_prio[intid];
}

/* Put a pending virtual interrupt in a free list register (IHI 0069 12.5.10: State 01). */
static bool vgic_try_lr(struct vgic_cpu *vc, unsigned cpu, u32 intid, bool hw)
{
    u64 elrsr = read_ich_elrsr_el2();

    for (unsigned i = 0; i < vc->nlr; i++) {
        u64 lr;
        if (elrsr & BIT(i))
            continue;
        lr = lr_read(i);
        if (ICH_LR_VINTID(lr) == intid && !hw) {
            lr_write(i, lr | ICH_LR_PENDING); /* already there: pending (and active) */
            return true;
        }
    }
    for (unsigned i = 0; i < vc->nlr; i++) {
        if (!(elrsr & BIT(i)))
            continue;
        lr_write(i, ICH_LR_PENDING | ICH_LR_GROUP1 |
                        ((u64)vgic_prio(cpu, intid) << ICH_LR_PRIO_SHIFT) |
                        (hw ? ICH_LR_HW | ((u64)intid << ICH_LR_PINTID_SHIFT) : 0) | intid);
        return true;
    }
    return false;
}

static void vgic_inject(u32 intid, bool hw)
{
    unsigned cpu = vcpu_current()->id;
    struct vgic_cpu *vc = &vgic_cpus[cpu];
    u64 bit = 1UL << (intid % 64);

    if (intid >= 1024)
        return;
    if (!vc->queued && vgic_try_lr(vc, cpu, intid, hw))
        return;
    if (!(vc->waiting[intid / 64] & bit)) {
        vc->waiting[intid / 64] |= bit;
        vc->queued++;
    }
    if (hw)
        vc->hw[intid / 64] |= bit;
    /* Underflow maintenance interrupt: tell us when list registers free up. */
    write_ich_hcr_el2(read_ich_hcr_el2() | ICH_HCR_UIE);
}

static void vgic_refill(void)
{
    unsigned cpu = vcpu_current()->id;
    struct vgic_cpu *vc = &vgic_cpus[cpu];

    for (unsigned w = 0; w < ARRAY_SIZE(vc->waiting) && vc->queued; w++) {
        while (vc->waiting[w]) {
            unsigned b = (unsigned)__builtin_ctzl(vc->waiting[w]);
            u32 intid = w * 64 + b;
            if (!vgic_try_lr(vc, cpu, intid, vc->hw[w] & (1UL << b)))
                return; /* list registers full again: UIE stays set */
            vc->waiting[w] &= ~(1UL << b);
            vc->hw[w] &= ~(1UL << b);
            vc->queued--;
        }
    }
    if (!vc->queued)
        write_ich_hcr_el2(read_ich_hcr_el2() & ~ICH_HCR_UIE);
}

/* Physical IRQ at EL2: acknowledge, drop priority, and hand it to this CPU's vCPU. */
void vgic_handle_irq(struct trap_frame *f)
{
    if (!vgic_enabled)
        hyp_panic("physical interrupt at EL2 with the GIC passed through (ELR 0x%lx)", f->elr);
    for (int n = 0; n < 16; n++) {
        u32 intid = (u32)read_icc_iar1_el1() & 0xffffff;

        if (intid >= GIC_INTID_SPURIOUS)
            break;
        write_icc_eoir1_el1(intid); /* priority drop only (EOImode 1) */
        if (intid == GIC_INTID_MAINT) {
            write_icc_dir_el1(intid);
            vgic_refill();
        } else if (intid == GIC_INTID_HYP_TIMER) {
            write_icc_dir_el1(intid);
            events_tick();
        } else if (intid == GIC_INTID_HYP_KICK) {
            write_icc_dir_el1(intid); /* the exit itself was the point */
        } else if (vgic_hyp_spi && intid == vgic_hyp_spi) {
            doorbell_irq(); /* quiets the device's level interrupt first */
            write_icc_dir_el1(intid);
        } else if (intid < 16) {
            write_icc_dir_el1(intid); /* SGIs are not hardware-linked */
            vgic_inject(intid, false);
        } else {
            vgic_inject(intid, true); /* deactivated by the guest's EOI */
        }
    }
    isb();
}

/* ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 writes trap with IMO set (IHI 0069 12.2.4);
 * vCPUs are pinned 1:1 with identical affinities, so the physical SGI goes to the right CPU. */
#define SYSREG_ICC_SGI1R ESR_SYS_REG(3, 0, 12, 11, 5)
#define SYSREG_ICC_ASGI1R ESR_SYS_REG(3, 0, 12, 11, 6)
#define SYSREG_ICC_SGI0R ESR_SYS_REG(3, 0, 12, 11, 7)

bool vgic_sysreg(struct trap_frame *f, u64 esr)
{
    u64 reg = esr & ESR_SYS_REG_MASK, rt = ESR_SYS_RT(esr);
    u64 val = rt == 31 ? 0 : f->x[rt];

    if (!vgic_enabled || (esr & ESR_SYS_READ))
        return false;
    if (reg == SYSREG_ICC_SGI1R || reg == SYSREG_ICC_ASGI1R || reg == SYSREG_ICC_SGI0R) {
        if (FIELD(val, 24, 4) == GIC_INTID_HYP_KICK)
            return true;          /* the hypervisor's own SGI: not available to the guest */
        write_icc_sgi1r_el1(val); /* all interrupts are group 1 physically */
        isb();
        return true;
    }
    return false;
}

/* Physical SGI to one CPU (Aff0 = index on QEMU virt), e.g. to wake a parked CPU. */
void vgic_send_kick(unsigned cpu)
{
    write_icc_sgi1r_el1(((u64)GIC_INTID_HYP_KICK << 24) | (1UL << (cpu & 15)) |
                        ((u64)((cpu >> 4) & 0xf) << 16));
    isb();
}

/* Acknowledge whatever woke a CPU waiting in the hypervisor; nothing is injected while it has no
 * vCPU, but the doorbell's SPI is served (else its level interrupt would wake WFI forever). */
bool vgic_ack_kick(void)
{
    u32 intid = (u32)read_icc_iar1_el1() & 0xffffff;

    if (intid >= GIC_INTID_SPURIOUS)
        return false;
    write_icc_eoir1_el1(intid);
    if (vgic_hyp_spi && intid == vgic_hyp_spi)
        doorbell_irq();
    write_icc_dir_el1(intid);
    return true;
}
