/* SPDX-License-Identifier: MIT */
/* test_vmem.c — VA reads/writes, the translation cache and its invalidation, over a raw image. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include <armvmi/armvmi.h>
#include "arch_testmem.h"

#define BASE 0x40000000ull
#define MEMSZ (4u << 20)
/* TCR_EL1: T0SZ=16, TG0=4K, T1SZ=16, EPD1=1, TG1=4K, IPS=48 bits (Arm ARM D13.2.131) */
#define TCR (16ull | (16ull << 16) | (1ull << 23) | (2ull << 30) | (5ull << 32))
#define PAGE_RW (3ull | (1ull << 10) | (3ull << 8) | (1ull << 6)) /* page, AF, inner, EL0 RW */

static char path[64];
static struct armvmi_tt_config ctx;
static uint64_t frame_a, frame_b, frame_c, root, l3;

static int setup(void **state)
{
    (void)state;
    struct tmem m;
    tmem_init(&m, BASE, MEMSZ);
    struct ldgeo g = {.gran = 12, .start = 0, .inbits = 48};
    root = tmem_alloc(&m, 4096);
    frame_b = tmem_alloc(&m, 4096); /* b before a: the two pages are not adjacent */
    frame_c = tmem_alloc(&m, 4096);
    frame_a = tmem_alloc(&m, 4096);
    for (unsigned i = 0; i < 4096; i++) {
        m.buf[frame_a - BASE + i] = (uint8_t)(0xa0 ^ i);
        m.buf[frame_b - BASE + i] = (uint8_t)(0xb0 ^ i);
        m.buf[frame_c - BASE + i] = (uint8_t)(0xc0 ^ i);
    }
    ld_map(&m, root, &g, 0x400000, 3, frame_a | PAGE_RW);
    ld_map(&m, root, &g, 0x401000, 3, frame_b | PAGE_RW);
    /* the level-3 table that holds both entries */
    uint64_t d = root;
    for (int l = 0; l < 3; l++)
        d = tmem_r64(&m, (d & 0x0000fffffffff000ull) + ((0x400000ull >> (39 - 9 * l)) & 511) * 8);
    l3 = d & 0x0000fffffffff000ull;
    snprintf(path, sizeof(path), "/tmp/armvmi-vmem-%d.bin", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(m.buf, 1, MEMSZ, f) != MEMSZ)
        return -1;
    fclose(f);
    tmem_free(&m);
    ctx = (struct armvmi_tt_config){.regime = ARMVMI_REGIME_EL10, .tcr = TCR, .ttbr0 = root};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static armvmi_t *open_img(void)
{
    char spec[96];
    armvmi_t *h;
    snprintf(spec, sizeof(spec), "raw:%s@0x40000000", path);
    assert_int_equal(armvmi_open(&h, spec), 0);
    return h;
}

static void read_across_pages(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    uint8_t buf[16];
    assert_int_equal(armvmi_read_va(h, &ctx, 0x400ff8, buf, sizeof(buf)), 0);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(buf[i], (uint8_t)(0xa0 ^ (0xff8 + i)));
        assert_int_equal(buf[8 + i], (uint8_t)(0xb0 ^ i));
    }
    armvmi_close(h);
}

static void cache_gives_the_walks_answer(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    struct armvmi_translation a, b, c;
    assert_int_equal(armvmi_translate_uncached(h, &ctx, 0x401234, 0, &a), 0);
    assert_int_equal(a.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(a.pa, frame_b + 0x234);
    assert_int_equal(a.nsteps, 4);
    assert_int_equal(armvmi_va_translate(h, &ctx, 0x401234, 0, &b), 0); /* fills the cache */
    assert_int_equal(armvmi_va_translate(h, &ctx, 0x401ff0, 0, &c), 0); /* hits it */
    assert_int_equal(c.nsteps, 0);
    assert_int_equal(c.pa, frame_b + 0xff0);
    assert_int_equal(c.va, 0x401ff0);
    assert_int_equal(c.level, a.level);
    assert_int_equal(c.perm_el0, a.perm_el0);
    assert_int_equal(c.perm_el1, a.perm_el1);
    assert_int_equal(c.size, a.size);
    uint64_t pa = 0;
    assert_int_equal(armvmi_va_to_pa(h, &ctx, 0x400123, &pa), 0);
    assert_int_equal(pa, frame_a + 0x123);
    assert_int_equal(armvmi_va_to_pa(h, &ctx, 0x401123, &pa), 0); /* from the cache */
    assert_int_equal(pa, frame_b + 0x123);
    assert_int_equal(armvmi_va_to_pa(h, &ctx, 0x7000000, &pa), -ARMVMI_EFAULT);
    /* another root is another address space: no false hit */
    struct armvmi_tt_config other = ctx;
    other.ttbr0 = frame_c; /* a "table" of junk bytes */
    assert_int_equal(armvmi_va_translate(h, &other, 0x401ff0, 0, &c), 0);
    assert_true(c.fault != ARMVMI_FAULT_NONE || c.pa != frame_b + 0xff0);
    armvmi_close(h);
}

static void writes_invalidate_the_cache(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    struct armvmi_translation t;
    assert_int_equal(armvmi_va_translate(h, &ctx, 0x401000, 0, &t), 0);
    assert_int_equal(t.pa, frame_b);
    /* remap 0x401000 to frame c by writing its level-3 descriptor */
    uint64_t desc = frame_c | PAGE_RW, old = frame_b | PAGE_RW;
    assert_int_equal(armvmi_write_pa(h, l3 + 1 * 8, &desc, 8), 0);
    assert_int_equal(armvmi_va_translate(h, &ctx, 0x401000, 0, &t), 0);
    assert_int_equal(t.pa, frame_c);
    uint8_t v;
    assert_int_equal(armvmi_read_va(h, &ctx, 0x401001, &v, 1), 0);
    assert_int_equal(v, (uint8_t)(0xc0 ^ 1));
    /* an explicit flush also works (the write above already flushed) */
    assert_int_equal(armvmi_write_pa(h, l3 + 1 * 8, &old, 8), 0);
    armvmi_tlb_flush(h);
    assert_int_equal(armvmi_va_translate(h, &ctx, 0x401000, 0, &t), 0);
    assert_int_equal(t.pa, frame_b);
    armvmi_close(h);
}

static void faults_are_clear_and_write_nothing(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    uint8_t buf[32], before[8], after[8];
    int rc = armvmi_read_va(h, &ctx, 0x402000, buf, 4);
    assert_int_equal(rc, -ARMVMI_EFAULT);
    assert_non_null(
        strstr(armvmi_errmsg(), "0x402000 is not mapped: translation fault at level 3"));
    /* a write that runs from a mapped page into an unmapped one writes nothing at all */
    assert_int_equal(armvmi_read_va(h, &ctx, 0x401ff8, before, 8), 0);
    memset(buf, 0x55, sizeof(buf));
    assert_int_equal(armvmi_write_va(h, &ctx, 0x401ff8, buf, 16), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_read_va(h, &ctx, 0x401ff8, after, 8), 0);
    assert_memory_equal(before, after, 8);
    /* and one that stays mapped writes through */
    assert_int_equal(armvmi_write_va(h, &ctx, 0x400ffc, buf, 8), 0);
    assert_int_equal(armvmi_read_va(h, &ctx, 0x400ffc, after, 8), 0);
    assert_memory_equal(buf, after, 8);
    /* a range that wraps the address space */
    assert_int_equal(armvmi_read_va(h, &ctx, UINT64_MAX - 3, buf, 16), -ARMVMI_EFAULT);
    /* no registers in a raw image */
    struct armvmi_tt_config c2;
    assert_true(armvmi_vactx_from_vcpu(h, 0, -1, &c2) < 0);
    armvmi_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_across_pages),
        cmocka_unit_test(cache_gives_the_walks_answer),
        cmocka_unit_test(writes_invalidate_the_cache),
        cmocka_unit_test(faults_are_clear_and_write_nothing),
    };
    return cmocka_run_group_tests_name("vmem", tests, setup, teardown);
}
