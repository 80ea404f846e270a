/* SPDX-License-Identifier: MIT */
/* The doorbell to the host: a minimal driver for a virtio console on a legacy virtio-mmio
 * transport (VIRTIO 1.2 4.2.4 "Legacy interface", QEMU 7.2's default), port 0's receive and
 * transmit queues only; and the emulation of the 4K page of transports it shares with the
 * guest's. */
#include <hyp/console.h>
#include <hyp/doorbell.h>
#include <hyp/mmio.h>
#include <hyp/platform.h>
#include <hyp/sysreg.h>
#include <hyp/trap.h>
#include <hyp/vgic.h>
#include <armvmi/abi.h>

/* VIRTIO 1.2 4.2.4: legacy virtio-mmio register layout */
#define VMMIO_MAGIC 0x000
#define VMMIO_VERSION 0x004
#define VMMIO_DEVICE_ID 0x008
#define VMMIO_VENDOR_ID 0x00c
#define VMMIO_GUEST_FEATURES 0x020
#define VMMIO_GUEST_FEATURES_SEL 0x024
#define VMMIO_GUEST_PAGE_SIZE 0x028
#define VMMIO_QUEUE_SEL 0x030
#define VMMIO_QUEUE_NUM_MAX 0x034
#define VMMIO_QUEUE_NUM 0x038
#define VMMIO_QUEUE_ALIGN 0x03c
#define VMMIO_QUEUE_PFN 0x040
#define VMMIO_QUEUE_NOTIFY 0x050
#define VMMIO_INTERRUPT_STATUS 0x060
#define VMMIO_INTERRUPT_ACK 0x064
#define VMMIO_STATUS 0x070
#define VMMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VMMIO_VERSION_LEGACY 1
#define VIRTIO_ID_CONSOLE 3 /* 5.3.1 */
/* 2.1 device status */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FAILED 128u
/* 2.7.5, 2.7.6 */
#define VRING_DESC_F_WRITE 2
#define VRING_AVAIL_F_NO_INTERRUPT 1
/* 5.3.2: without VIRTIO_CONSOLE_F_MULTIPORT, queue 0 is port 0's receiveq, 1 its transmitq */
#define Q_RX 0
#define Q_TX 1

#define VQ_SIZE 8
#define VQ_ALIGN 4096
#define RX_BUF 16

struct vring_desc {
    u64 addr;
    u32 len;
    u16 flags, next;
};
struct vring_avail {
    u16 flags, idx;
    u16 ring[VQ_SIZE];
    u16 used_event;
};
struct vring_used_elem {
    u32 id, len;
};
struct vring_used {
    u16 flags, idx;
    struct vring_used_elem ring[VQ_SIZE];
    u16 avail_event;
};
/* 2.7.2 legacy layout: descriptors, the available ring right after them, the used ring at the
 * next QueueAlign boundary. In the hypervisor's image, inside the carve-out: the guest never
 * sees these pages, and the device's DMA addresses are physical addresses. */
struct vq {
    struct vring_desc desc[VQ_SIZE];
    struct vring_avail avail;
    struct vring_used used __attribute__((aligned(VQ_ALIGN)));
} __attribute__((aligned(VQ_ALIGN)));

static struct vq vq_rx, vq_tx;
static u8 rx_buf[VQ_SIZE][RX_BUF];
static u8 tx_buf[VQ_SIZE];

static struct {
    u64 base; /* the transport, 0: none */
    u32 intid;
    bool ready;
    u32 lock;
    u16 rx_seen, tx_seen; /* used-ring entries consumed */
    u32 tx_free;          /* free transmit descriptors, one bit each */
    u64 sent, dropped, pings;
} db;

/* Weak default: the events code provides the real one. */
__attribute__((weak)) void events_doorbell(void) {}

static void db_lock(void)
{
    while (__atomic_exchange_n(&db.lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&db.lock, __ATOMIC_RELAXED))
            ;
}

static void db_unlock(void)
{
    __atomic_store_n(&db.lock, 0, __ATOMIC_RELEASE);
}

bool doorbell_present(void)
{
    return db.ready;
}

u64 doorbell_hidden_page(void)
{
    return db.base ? ALIGN_DOWN(db.base, SZ_4K) : 0;
}

/* The launcher plugs the console first, so it has the highest transport; scan from the top. */
void doorbell_probe(void)
{
    for (unsigned i = PLAT_VIRTIO_MMIO_COUNT; i-- > 0;) {
        u64 b = PLAT_VIRTIO_MMIO_BASE + i * PLAT_VIRTIO_MMIO_STRIDE;
        u32 version;

        if (mmio_read32(b + VMMIO_MAGIC) != VMMIO_MAGIC_VALUE ||
            mmio_read32(b + VMMIO_DEVICE_ID) != VIRTIO_ID_CONSOLE)
            continue;
        version = mmio_read32(b + VMMIO_VERSION);
        db.base = b; /* hidden from the guest even if unusable */
        if (version != VMMIO_VERSION_LEGACY) {
            hyp_printf("doorbell: the virtio console at 0x%lx uses virtio-mmio version %u; only "
                       "the legacy interface (1) is supported: no doorbell\n",
                       b, version);
            return;
        }
        db.intid = PLAT_VIRTIO_MMIO_INTID + i;
        return;
    }
    hyp_printf("doorbell: no virtio console: no doorbell (the monitor must poll)\n");
}

/* 4.2.4 legacy queue setup: QueueNum, QueueAlign, then QueuePFN of the whole ring. */
static bool vq_setup(unsigned q, struct vq *vq)
{
    memset(vq, 0, sizeof(*vq));
    mmio_write32(db.base + VMMIO_QUEUE_SEL, q);
    if (mmio_read32(db.base + VMMIO_QUEUE_PFN) != 0 ||
        mmio_read32(db.base + VMMIO_QUEUE_NUM_MAX) < VQ_SIZE)
        return false;
    mmio_write32(db.base + VMMIO_QUEUE_NUM, VQ_SIZE);
    mmio_write32(db.base + VMMIO_QUEUE_ALIGN, VQ_ALIGN);
    mmio_write32(db.base + VMMIO_QUEUE_PFN, (u32)((u64)vq >> 12));
    return true;
}

/* 3.1.1 driver initialization, legacy variant (no FEATURES_OK): no features, so port 0 only. */
void doorbell_init(void)
{
    u32 st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

    if (!db.base || !db.intid)
        return;
    mmio_write32(db.base + VMMIO_STATUS, 0);
    mmio_write32(db.base + VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    mmio_write32(db.base + VMMIO_STATUS, st);
    mmio_write32(db.base + VMMIO_GUEST_FEATURES_SEL, 0);
    mmio_write32(db.base + VMMIO_GUEST_FEATURES, 0);
    mmio_write32(db.base + VMMIO_GUEST_PAGE_SIZE, VQ_ALIGN);
    if (!vq_setup(Q_RX, &vq_rx) || !vq_setup(Q_TX, &vq_tx)) {
        mmio_write32(db.base + VMMIO_STATUS, st | VIRTIO_STATUS_FAILED);
        hyp_printf("doorbell: the virtio console at 0x%lx has no usable queues: no doorbell\n",
                   db.base);
        return;
    }
    for (u16 i = 0; i < VQ_SIZE; i++) {
        vq_rx.desc[i] = (struct vring_desc){(u64)rx_buf[i], RX_BUF, VRING_DESC_F_WRITE, 0};
        vq_rx.avail.ring[i] = i;
        vq_tx.desc[i] = (struct vring_desc){(u64)&tx_buf[i], 1, 0, 0};
    }
    vq_tx.avail.flags = VRING_AVAIL_F_NO_INTERRUPT; /* sent buffers are reclaimed lazily */
    dsb_sy();
    vq_rx.avail.idx = VQ_SIZE;
    db.tx_free = (1u << VQ_SIZE) - 1;
    db.rx_seen = db.tx_seen = 0;
    dsb_sy();
    mmio_write32(db.base + VMMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
    mmio_write32(db.base + VMMIO_QUEUE_NOTIFY, Q_RX);
    vgic_claim_spi(db.intid);
    db.ready = vgic_hyp_spi == db.intid;
    hyp_printf("doorbell: virtio console at 0x%lx (legacy virtio-mmio), INTID %u%s, hidden from "
               "the guest\n",
               db.base, db.intid, db.ready ? "" : " not claimable: no doorbell");
}

/* Sent buffers the device has used are free again (lock held). */
static void tx_reclaim(void)
{
    u16 used = __atomic_load_n(&vq_tx.used.idx, __ATOMIC_ACQUIRE);

    for (unsigned n = 0; db.tx_seen != used && n < VQ_SIZE; n++, db.tx_seen++) {
        u32 id = vq_tx.used.ring[db.tx_seen % VQ_SIZE].id;
        if (id < VQ_SIZE)
            db.tx_free |= 1u << id;
    }
}

/* Queue one byte and notify (lock held); a full queue drops it. */
static void tx_send(u8 byte)
{
    unsigned id;

    tx_reclaim();
    if (!db.tx_free) {
        db.dropped++;
        return;
    }
    id = (unsigned)__builtin_ctz(db.tx_free);
    db.tx_free &= ~(1u << id);
    tx_buf[id] = byte;
    vq_tx.avail.ring[vq_tx.avail.idx % VQ_SIZE] = (u16)id;
    dsb_sy();
    vq_tx.avail.idx++;
    dsb_sy();
    mmio_write32(db.base + VMMIO_QUEUE_NOTIFY, Q_TX);
    db.sent++;
}

void doorbell_ring(void)
{
    if (!db.ready)
        return;
    db_lock();
    tx_send(ARMVMI_DOORBELL_RING);
    db_unlock();
}

/* Received bytes: pings counted, the rest counted in *other; buffers posted again (lock held). */
static unsigned rx_collect(unsigned *other)
{
    u16 used = __atomic_load_n(&vq_rx.used.idx, __ATOMIC_ACQUIRE);
    unsigned pings = 0, n;

    for (n = 0; db.rx_seen != used && n < VQ_SIZE; n++, db.rx_seen++) {
        struct vring_used_elem e = vq_rx.used.ring[db.rx_seen % VQ_SIZE];

        if (e.id >= VQ_SIZE)
            continue; /* not one of ours: nothing to read or post again */
        for (u32 i = 0; i < e.len && i < RX_BUF; i++) {
            if (rx_buf[e.id][i] == ARMVMI_DOORBELL_PING)
                pings++;
            else
                (*other)++;
        }
        vq_rx.avail.ring[vq_rx.avail.idx % VQ_SIZE] = (u16)e.id;
        dsb_sy();
        vq_rx.avail.idx++;
    }
    if (n) {
        dsb_sy();
        mmio_write32(db.base + VMMIO_QUEUE_NOTIFY, Q_RX);
    }
    return pings;
}

/* 4.2.3.3 (legacy alike): acknowledge the interrupt first, so bytes arriving meanwhile raise it
 * again; then serve the receive ring. */
static void serve(void)
{
    unsigned other = 0, pings;
    u32 st;

    if (!db.ready)
        return;
    db_lock();
    st = mmio_read32(db.base + VMMIO_INTERRUPT_STATUS);
    if (st)
        mmio_write32(db.base + VMMIO_INTERRUPT_ACK, st);
    pings = rx_collect(&other);
    db.pings += pings;
    for (unsigned i = 0; i < pings; i++)
        tx_send(ARMVMI_DOORBELL_PONG);
    db_unlock();
    if (other)
        events_doorbell();
}

void doorbell_irq(void)
{
    serve();
}

void doorbell_poll(void)
{
    serve();
}

/* The guest's access to the page of transports it shares with ours (never mapped at stage 2):
 * the others' registers are forwarded, ours reads as an empty transport (magic, version and
 * vendor, DeviceID 0: VIRTIO 4.2.2 "no device") and ignores writes. */
bool doorbell_mmio(struct trap_frame *f, u64 ipa, u64 esr)
{
    struct mmio_access a;
    u64 v = 0;

    if (!db.base || ALIGN_DOWN(ipa, SZ_4K) != doorbell_hidden_page())
        return false;
    if (!mmio_decode(&a, f, ipa, esr)) {
        trap_report("virtio-mmio access without syndrome, from a table walk or misaligned: "
                    "cannot emulate",
                    f, esr);
        return false;
    }
    if (ipa - db.base < PLAT_VIRTIO_MMIO_STRIDE) {
        u64 off = ipa - db.base;
        if (trap_report_allowed())
            hyp_printf("guest %s the hypervisor's doorbell transport at 0x%lx: it sees no "
                       "device there\n",
                       a.write ? "wrote" : "read", ipa);
        if (!a.write && a.size == 4 &&
            (off == VMMIO_MAGIC || off == VMMIO_VERSION || off == VMMIO_VENDOR_ID))
            v = mmio_phys_read(ipa, 4);
    } else if (a.write) {
        mmio_phys_write(ipa, a.size, a.val);
    } else {
        v = mmio_phys_read(ipa, a.size);
    }
    mmio_complete_read(f, esr, &a, v);
    return true;
}
