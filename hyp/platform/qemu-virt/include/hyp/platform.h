/* SPDX-License-Identifier: MIT */
/* Physical memory map of QEMU's arm "virt" machine (hw/arm/virt.c memmap, gic-version=3). */
#ifndef HYP_PLATFORM_H
#define HYP_PLATFORM_H

#define PLAT_UART_BASE 0x09000000UL
#define PLAT_GICD_BASE 0x08000000UL
#define PLAT_GICD_SIZE 0x00010000UL
#define PLAT_GITS_BASE 0x08080000UL
#define PLAT_GITS_SIZE 0x00020000UL
#define PLAT_GICR_BASE 0x080a0000UL
#define PLAT_GICR_STRIDE 0x20000UL
#define PLAT_GIC_END 0x09000000UL
#define PLAT_FWCFG_BASE 0x09020000UL
#define PLAT_FWCFG_SIZE 0x1000UL
/* 32 virtio-mmio transports, 0x200 apart, SPI 16 + n each; the first device plugged on the
 * command line gets the highest transport (hw/arm/virt.c create_virtio_devices). */
#define PLAT_VIRTIO_MMIO_BASE 0x0a000000UL
#define PLAT_VIRTIO_MMIO_STRIDE 0x200UL
#define PLAT_VIRTIO_MMIO_COUNT 32
#define PLAT_VIRTIO_MMIO_INTID 48   /* INTID of transport 0's SPI (SPI 16) */
#define PLAT_LOWIO_END 0x40000000UL /* flash, GIC, UART, RTC, virtio-mmio, PCIe low MMIO */
#define PLAT_PCIE_ECAM_HI 0x4010000000UL
#define PLAT_PCIE_ECAM_SIZE 0x10000000UL
#define PLAT_PCIE_MMIO_HI 0x8000000000UL
#define PLAT_PCIE_MMIO_HI_SIZE 0x8000000000UL

#endif
