/* SPDX-License-Identifier: MIT */
/* The doorbell to the host (drivers/virtio_console.c): a virtio console owned by the hypervisor,
 * hidden from the guest, whose bytes carry no data: one byte means "look at the channel". */
#ifndef HYP_DOORBELL_H
#define HYP_DOORBELL_H

#include <hyp/frame.h>
#include <hyp/types.h>

/* CPU 0 at boot, before stage2_build: find the console among the virtio-mmio transports. */
void doorbell_probe(void);
/* CPU 0 at boot, with the MMU on and the distributor set up: queues, DRIVER_OK, the SPI. */
void doorbell_init(void);

/* Whether the device was found and set up (ARMVMI_CHAN_F_DOORBELL). */
bool doorbell_present(void);
/* Wake the host: send one byte. Any CPU, never blocks: a full queue drops the byte (a doorbell
 * byte is idempotent) and counts it. */
void doorbell_ring(void);

/* Called for every batch of bytes from the host other than the liveness ping 'P' (answered with
 * 'p' by the driver itself), on CPU 0 in interrupt context (or from doorbell_poll). The events
 * code overrides this weak default, which does nothing. */
void events_doorbell(void);

/* The device's interrupt (arch/vgic.c, on the SPI the hypervisor claimed): acknowledge it at the
 * device, serve received bytes, reclaim sent buffers. */
void doorbell_irq(void);
/* The same without an interrupt, for a loop that waits in the hypervisor with interrupts masked
 * and wants to see the host's bytes (any CPU). */
void doorbell_poll(void);

/* The 4K page holding the transport (never mapped at stage 2), 0 without the device. */
u64 doorbell_hidden_page(void);
/* A guest data abort in that page: the other transports forwarded, ours reads as no device and
 * ignores writes (reported). False if not in the page or not emulable. */
bool doorbell_mmio(struct trap_frame *f, u64 ipa, u64 esr);

#endif
