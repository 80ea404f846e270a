/* SPDX-License-Identifier: MIT */
/* Fixed-width types and small helpers for the freestanding hypervisor. */
#ifndef HYP_TYPES_H
#define HYP_TYPES_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed long s64;
typedef unsigned long uintptr_t;
typedef unsigned long size_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

#define BIT(n) (1UL << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((u64)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a)-1))
#define FIELD(v, lo, width) (((v) >> (lo)) & ((1UL << (width)) - 1))

#define SZ_4K 0x1000UL
#define SZ_2M 0x200000UL
#define SZ_1G 0x40000000UL

static inline u32 mmio_read32(u64 a)
{
    return *(volatile u32 *)a;
}
static inline void mmio_write32(u64 a, u32 v)
{
    *(volatile u32 *)a = v;
}
static inline u64 mmio_read64(u64 a)
{
    return *(volatile u64 *)a;
}
static inline void mmio_write64(u64 a, u64 v)
{
    *(volatile u64 *)a = v;
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
