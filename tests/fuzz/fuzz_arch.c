/* SPDX-License-Identifier: MIT */
/* fuzz_arch.c — fuzz target: every walker over arbitrary configuration and table memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/armvmi.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input: a header of register values, then the bytes of physical memory at MEM_BASE. */
#define MEM_BASE 0x40000000ull
#define HDR 96

struct fmem {
    const uint8_t *p;
    size_t n;
};

static int fread_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
    const struct fmem *m = ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > m->n || len > m->n - (pa - MEM_BASE))
        return -1;
    memcpy(buf, m->p + (pa - MEM_BASE), len);
    return 0;
}

static uint64_t u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Base registers point into the fuzzed memory most of the time, so that walks go deep. */
static uint64_t near_mem(uint64_t v, size_t n)
{
    if ((v & 3) == 3 || n == 0)
        return v;
    return (v & ~0x0000ffffffffffffull) | (MEM_BASE + ((v >> 2) % (n ? n : 1)));
}

static void check(const struct armvmi_tt_config *c, uint64_t va, unsigned acc, const struct fmem *m)
{
    struct armvmi_translation t;
    if (armvmi_translate(c, fread_phys, (void *)m, va, acc, &t) != 0)
        abort();
    if (t.nsteps > ARMVMI_WALK_MAX_STEPS)
        abort();
    if (t.fault != ARMVMI_FAULT_NONE) {
        if (t.fault_level < -1 || t.fault_level > 3 || t.fault > ARMVMI_FAULT_DOMAIN)
            abort();
        return;
    }
    /* A mapping keeps the offset within its page or block. */
    uint64_t in = (c->regime == ARMVMI_REGIME_A32_SHORT || c->regime == ARMVMI_REGIME_A32_LPAE)
                      ? (uint32_t)va
                      : va;
    if (t.size < 4096 || (t.size & (t.size - 1)) != 0 || ((t.pa ^ in) & (t.size - 1)) != 0)
        abort();
    (void)armvmi_fault_name(t.fault);
}

struct fenum {
    uint64_t next; /* ranges must be sorted and disjoint */
    int n;
};

static int fenum_cb(void *arg, const struct armvmi_range *r)
{
    struct fenum *f = arg;
    if (r->size == 0 || (f->n && r->va < f->next) || r->va + (r->size - 1) < r->va)
        abort();
    f->next = r->va + r->size;
    f->n++;
    return f->n > 4096; /* stop long enumerations */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR)
        return 0;
    struct fmem m = {data + HDR, size - HDR};
    struct armvmi_tt_config c;
    memset(&c, 0, sizeof(c));
    c.regime = (enum armvmi_regime)(data[0] % 6);
    c.stage2 = data[1] & 1;
    c.features = data[2];
    c.pa_bits = (unsigned[]){0, 32, 36, 40, 42, 44, 48, 52}[data[3] & 7];
    c.tcr = u64(data + 8);
    c.ttbr0 = near_mem(u64(data + 16), m.n);
    c.ttbr1 = near_mem(u64(data + 24), m.n);
    c.mair = u64(data + 32);
    c.sctlr = u64(data + 40);
    c.vtcr = u64(data + 48);
    c.vttbr = near_mem(u64(data + 56), m.n);
    c.dacr = (uint32_t)u64(data + 64);
    c.prrr = (uint32_t)(u64(data + 64) >> 32);
    uint64_t va = u64(data + 72);
    unsigned acc = data[4] & 15;
    check(&c, va, acc, &m);
    /* a second address near the first, and the same with stage 2 toggled */
    check(&c, va ^ u64(data + 80), acc, &m);
    c.stage2 = !c.stage2;
    check(&c, va, acc, &m);
    if (data[5] & 1) { /* enumeration with a small table budget */
        struct fenum f = {0, 0};
        struct armvmi_enum_stats st;
        int rc = armvmi_enum_ranges(&c, fread_phys, &m, 32, fenum_cb, &f, &st);
        if ((rc != 0 && rc != -ARMVMI_EINTR) || st.tables > 32)
            abort();
    }
    return 0;
}
