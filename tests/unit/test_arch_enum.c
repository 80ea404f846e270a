/* SPDX-License-Identifier: MIT */
/* test_arch_enum.c — unit tests of armvmi_enum_ranges(): coalescing, both TTBRs, hostile tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "arch_testmem.h"

#define RAM 0x40000000ull
#define AF (1ull << 10)
#define PAGE(pa) ((pa) | 3 | AF)
#define BLOCK(pa) ((pa) | 1 | AF)

static struct tmem M;
static struct armvmi_tt_config C;

struct collect {
    struct armvmi_range r[64];
    int n;
    int stop_after;
};

static int collect(void *arg, const struct armvmi_range *r)
{
    struct collect *c = arg;
    if (c->n < 64)
        c->r[c->n] = *r;
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

static int setup(void **state)
{
    tmem_init(&M, RAM, 16 << 20);
    memset(&C, 0, sizeof(C));
    C.regime = ARMVMI_REGIME_EL10;
    C.pa_bits = 48;
    C.tcr = 25 | (25 << 16) | (2ull << 30) | (5ull << 32); /* 4K, 39-bit VAs both halves */
    return 0;
}

static int teardown(void **state)
{
    tmem_free(&M);
    return 0;
}

static void test_coalesce_and_ttbr1(void **state)
{
    struct ldgeo g = {12, 1, 39, 0};
    uint64_t r0 = tmem_alloc(&M, 4096), r1 = tmem_alloc(&M, 4096);
    C.ttbr0 = r0;
    C.ttbr1 = r1;
    /* four contiguous pages, then one with other permissions, then a 2MB block */
    for (int i = 0; i < 4; i++)
        ld_map(&M, r0, &g, 0x10000 + 0x1000ull * i, 3, PAGE(0x800000 + 0x1000ull * i));
    ld_map(&M, r0, &g, 0x14000, 3, PAGE(0x804000) | (1ull << 7));
    ld_map(&M, r0, &g, 0x200000, 2, BLOCK(0x40000000ull));
    ld_map(&M, r0, &g, 0x30000, 3, PAGE(0x900000) & ~AF); /* AF=0: not reported */
    ld_map(&M, r1, &g, 0xffffffc000001000ull, 3, PAGE(0x123000));
    struct collect c = {0};
    struct armvmi_enum_stats st;
    assert_int_equal(armvmi_enum_ranges(&C, tmem_read, &M, 0, collect, &c, &st), 0);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.r[0].va, 0x10000);
    assert_int_equal(c.r[0].size, 0x4000);
    assert_int_equal(c.r[0].pa, 0x800000);
    assert_int_equal(c.r[1].va, 0x14000);
    assert_int_equal(c.r[1].perm_el1, ARMVMI_PERM_R | ARMVMI_PERM_X);
    assert_int_equal(c.r[2].va, 0x200000);
    assert_int_equal(c.r[2].size, 2 << 20);
    assert_int_equal(c.r[2].level, 2);
    assert_int_equal(c.r[3].va, 0xffffffc000001000ull);
    assert_int_equal(c.r[3].pa, 0x123000);
    assert_int_equal(st.ranges, 4);
    assert_false(st.truncated);
    /* the callback can stop the enumeration */
    struct collect s = {.stop_after = 2};
    assert_int_equal(armvmi_enum_ranges(&C, tmem_read, &M, 0, collect, &s, NULL), -ARMVMI_EINTR);
    assert_int_equal(s.n, 2);
}

static void test_hostile_tables(void **state)
{
    /* Every entry of every level points back at the root: 512^3 leaves if unbounded. */
    uint64_t root = tmem_alloc(&M, 4096);
    for (int i = 0; i < 512; i++)
        tmem_w64(&M, root + 8ull * i, root | 3 | AF);
    C.ttbr0 = root;
    C.tcr |= 1 << 23; /* EPD1 */
    struct armvmi_enum_stats st;
    struct collect c = {0};
    assert_int_equal(armvmi_enum_ranges(&C, tmem_read, &M, 5000, collect, &c, &st), 0);
    assert_true(st.truncated);
    assert_true(st.tables <= 5000);
    /* tables outside memory are counted and skipped */
    for (int i = 0; i < 512; i++)
        tmem_w64(&M, root + 8ull * i, (0x900000000ull + 0x1000ull * i) | 3);
    assert_int_equal(armvmi_enum_ranges(&C, tmem_read, &M, 0, collect, &c, &st), 0);
    assert_false(st.truncated);
    assert_int_equal(st.bad, 512);
    assert_int_equal(st.ranges, 0);
}

static void test_short_and_stage2(void **state)
{
    C.regime = ARMVMI_REGIME_A32_SHORT;
    C.tcr = 0;
    C.dacr = 0x55555555;
    uint64_t l1 = tmem_alloc(&M, 16384), l2 = tmem_alloc(&M, 1024);
    C.ttbr0 = l1;
    uint32_t ss = 0xab000000u | 2u | (1u << 18) | (3u << 10);
    for (int i = 0; i < 16; i++)
        tmem_w32(&M, l1 + (0x100u + (unsigned)i) * 4, ss);
    tmem_w32(&M, l1 + 0x200 * 4, (uint32_t)l2 | 1u);
    tmem_w32(&M, l2 + 5 * 4, 0x12345000u | 2u | (3u << 4));
    struct collect c = {0};
    assert_int_equal(armvmi_enum_ranges(&C, tmem_read, &M, 0, collect, &c, NULL), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.r[0].va, 0x10000000u);
    assert_int_equal(c.r[0].size, 16 << 20);
    assert_int_equal(c.r[0].pa, 0xab000000u);
    assert_int_equal(c.r[1].va, 0x20005000u);
    assert_int_equal(c.r[1].size, 4096);

    /* stage 2 alone: a 1GB block and a page, 4K, 40-bit IPA with two concatenated tables */
    memset(&C, 0, sizeof(C));
    C.regime = ARMVMI_REGIME_STAGE2;
    C.pa_bits = 48;
    C.vtcr = 24 | (1 << 6) | (5ull << 16) | (1ull << 31);
    uint64_t s2 = tmem_alloc(&M, 8192);
    C.vttbr = s2;
    struct ldgeo g = {12, 1, 40, 0};
    ld_map(&M, s2, &g, 0x8000000000ull, 1, BLOCK(0x80000000ull) | (3 << 6));
    ld_map(&M, s2, &g, 0x1000, 3, PAGE(0x5000) | (1 << 6));
    struct collect d = {0};
    assert_int_equal(armvmi_enum_ranges(&C, tmem_read, &M, 0, collect, &d, NULL), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.r[0].va, 0x1000);
    assert_int_equal(d.r[0].s2_perm, ARMVMI_PERM_R | ARMVMI_PERM_X);
    assert_int_equal(d.r[1].va, 0x8000000000ull);
    assert_int_equal(d.r[1].size, 1ull << 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_coalesce_and_ttbr1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_and_stage2, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
