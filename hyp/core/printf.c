/* SPDX-License-Identifier: MIT */
/* Minimal printf for the hypervisor console; every line carries the "[hyp] " prefix. */
#include <hyp/console.h>

struct out {
    char *buf;
    size_t n, len;
};

static void out_c(struct out *o, char c)
{
    if (o->len + 1 < o->n)
        o->buf[o->len] = c;
    o->len++;
}

static void out_num(struct out *o, u64 v, unsigned base, int width, char pad, bool neg)
{
    char tmp[24];
    int i = 0;

    do {
        tmp[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v && i < (int)sizeof(tmp));
    if (neg)
        tmp[i++] = '-';
    while (width-- > i)
        out_c(o, pad);
    while (i)
        out_c(o, tmp[--i]);
}

static void vformat(struct out *o, const char *f, va_list ap)
{
    for (; *f; f++) {
        if (*f != '%') {
            out_c(o, *f);
            continue;
        }
        f++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*f == '0')
            pad = '0', f++;
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (*f++ - '0');
        while (*f == 'l')
            lng++, f++;
        switch (*f) {
        case 'd': {
            s64 v = lng ? va_arg(ap, s64) : va_arg(ap, int);
            out_num(o, v < 0 ? -(u64)v : (u64)v, 10, width, pad, v < 0);
            break;
        }
        case 'u':
            out_num(o, lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, width, pad, false);
            break;
        case 'x':
            out_num(o, lng ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, width, pad, false);
            break;
        case 'p':
            out_c(o, '0'), out_c(o, 'x');
            out_num(o, (u64)va_arg(ap, void *), 16, 16, '0', false);
            break;
        case 'c':
            out_c(o, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            for (s = s ? s : "(null)"; *s; s++)
                out_c(o, *s);
            break;
        }
        case '%':
            out_c(o, '%');
            break;
        default:
            return;
        }
    }
}

int hyp_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    struct out o = {buf, n, 0};
    va_list ap;

    va_start(ap, fmt);
    vformat(&o, fmt, ap);
    va_end(ap);
    if (n)
        buf[o.len < n ? o.len : n - 1] = 0;
    return (int)o.len;
}

static volatile u32 console_lock;
static bool at_line_start = true;

void hyp_vprintf(const char *fmt, va_list ap)
{
    char buf[512];
    struct out o = {buf, sizeof(buf), 0};
    unsigned spins = 0;

    vformat(&o, fmt, ap);
    buf[o.len < sizeof(buf) ? o.len : sizeof(buf) - 1] = 0;
    /* Bounded: a CPU that died holding the lock must not silence the others. */
    while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE) && spins++ < 10000000)
        ;
    for (char *p = buf; *p; p++) {
        if (at_line_start) {
            for (const char *q = "[hyp] "; *q; q++)
                uart_putc(*q);
            at_line_start = false;
        }
        if (*p == '\n') {
            uart_putc('\r');
            at_line_start = true;
        }
        uart_putc(*p);
    }
    __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void hyp_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    hyp_vprintf(fmt, ap);
    va_end(ap);
}

void *memset(void *d, int c, size_t n)
{
    u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}
