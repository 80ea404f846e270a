/* SPDX-License-Identifier: MIT */
/* fuzz_lxwalk.c — fuzz target: the kernel list and maple-tree walkers over hostile memory, and
 * the A64 data-reference decoder (lx_code_refs) over it as code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/armvmi.h>

#include "os/linux/lxwalk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is the memory itself, at VA 0: small words are pointers into it. */
struct mem {
    const uint8_t *p;
    size_t n;
};

static int rd(void *arg, uint64_t va, void *buf, size_t len)
{
    const struct mem *m = arg;
    if (va > m->n || len > m->n - va)
        return -ARMVMI_EFAULT;
    memcpy(buf, m->p + va, len);
    return 0;
}

static int count(void *arg, uint64_t node)
{
    (*(unsigned *)arg)++;
    return 0;
}

static int entry(void *arg, uint64_t e, uint64_t first, uint64_t last)
{
    if (last < first)
        abort(); /* the walker promises ordered ranges */
    (*(unsigned *)arg)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16)
        return 0;
    struct mem m = {data, size};
    uint64_t head, root;
    memcpy(&head, data, 8);
    memcpy(&root, data + 8, 8);
    unsigned n = 0;
    struct lx_err e = {0};
    lx_list_walk(rd, &m, head % size, 4096, count, &n, &e);
    if (n > 4096)
        abort();
    /* the kernel's layout of struct maple_node on 64-bit */
    static const struct lx_maple_layout L = {256, 8, 128, 16, 8, 80, 10};
    n = 0;
    memset(&e, 0, sizeof(e));
    lx_maple_walk(rd, &m, &L, root, 4096, entry, &n, &e);
    if (n > 4096)
        abort();
    /* the same bytes as A64 code: the data addresses it forms, at most max of them */
    uint32_t code[256];
    uint64_t refs[16];
    size_t nc = size / 4 < 256 ? size / 4 : 256;
    memcpy(code, data, nc * 4);
    if (lx_code_refs(code, nc, head & ~3ull, refs, 16) > 16)
        abort();
    return 0;
}
