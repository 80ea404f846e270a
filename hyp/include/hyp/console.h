/* SPDX-License-Identifier: MIT */
/* Hypervisor console: PL011 output with a "[hyp] " prefix, printf, panic. */
#ifndef HYP_CONSOLE_H
#define HYP_CONSOLE_H

#include <stdarg.h>
#include <hyp/types.h>

void uart_putc(char c);
void hyp_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hyp_vprintf(const char *fmt, va_list ap);
int hyp_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* core/panic.c: print, then power the machine off through firmware. */
void hyp_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
