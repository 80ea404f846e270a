/* SPDX-License-Identifier: MIT */
/* arch_testmem.h — a small fake physical memory and table builder for the lib/arch unit tests. */
#ifndef ARCH_TESTMEM_H
#define ARCH_TESTMEM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/armvmi.h>

struct tmem {
    uint64_t base;
    size_t size;
    uint8_t *buf;
    uint64_t next; /* bump allocator (physical address) */
};

static inline void tmem_init(struct tmem *m, uint64_t base, size_t size)
{
    m->base = base;
    m->size = size;
    m->buf = calloc(1, size);
    m->next = base;
}

static inline void tmem_free(struct tmem *m)
{
    free(m->buf);
    m->buf = NULL;
}

static inline int tmem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct tmem *m = ctx;
    if (pa < m->base || pa - m->base > m->size || len > m->size - (pa - m->base))
        return -1;
    memcpy(buf, m->buf + (pa - m->base), len);
    return 0;
}

/* A zeroed block of size bytes aligned to max(size, 4K). */
static inline uint64_t tmem_alloc(struct tmem *m, uint64_t size)
{
    uint64_t align = size < 4096 ? 4096 : size;
    uint64_t pa = (m->next + align - 1) & ~(align - 1);
    m->next = pa + size;
    if (m->next - m->base > m->size)
        abort();
    return pa;
}

static inline void tmem_w64(struct tmem *m, uint64_t pa, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        m->buf[pa - m->base + i] = (uint8_t)(v >> (8 * i));
}

static inline void tmem_w32(struct tmem *m, uint64_t pa, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        m->buf[pa - m->base + i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t tmem_r64(struct tmem *m, uint64_t pa)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)m->buf[pa - m->base + i] << (8 * i);
    return v;
}

/* Long-descriptor geometry of one walk. */
struct ldgeo {
    unsigned gran; /* 12, 14, 16 */
    int start;
    unsigned inbits;
    uint64_t tabbits; /* extra bits set in every new table descriptor (APTable, ...) */
};

/* Install leaf (a block or page descriptor) for va at level, creating tables below root. */
static inline void ld_map(struct tmem *m, uint64_t root, const struct ldgeo *g, uint64_t va,
                          int level, uint64_t leaf)
{
    unsigned stride = g->gran - 3;
    uint64_t table = root;
    for (int l = g->start;; l++) {
        unsigned shift = g->gran + (unsigned)(3 - l) * stride;
        unsigned bits = l == g->start ? g->inbits - shift : stride;
        uint64_t addr = table + ((va >> shift) & ((1ull << bits) - 1)) * 8;
        if (l == level) {
            tmem_w64(m, addr, leaf);
            return;
        }
        uint64_t d = tmem_r64(m, addr);
        if (!(d & 1)) {
            d = tmem_alloc(m, 1ull << g->gran) | 3 | g->tabbits;
            tmem_w64(m, addr, d);
        }
        table = d & (~0ull >> 16) & ~((1ull << g->gran) - 1);
    }
}

#endif
