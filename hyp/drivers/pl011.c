/* SPDX-License-Identifier: MIT */
/* PL011 UART output (ARM DDI 0183): the hypervisor shares the guest's console. */
#include <hyp/console.h>
#include <hyp/platform.h>

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)

void uart_putc(char c)
{
    unsigned spins = 0;

    /* Bounded wait: a stuck FIFO must not hang the hypervisor. */
    while ((mmio_read32(PLAT_UART_BASE + UART_FR) & UART_FR_TXFF) && spins++ < 1000000)
        ;
    mmio_write32(PLAT_UART_BASE + UART_DR, (u32)(unsigned char)c);
}
