/* SPDX-License-Identifier: MIT */
/* test_arch_s2.c — unit tests of stage 2 (VTCR_EL2, concatenation) and the combined regime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "arch_testmem.h"

#define RAM 0x40000000ull
#define AF (1ull << 10)
#define S2RW (3ull << 6)
#define S2RO (1ull << 6)
#define VTCR(t0sz, sl0, tg0, ps)                                                                   \
    ((t0sz) | (sl0) << 6 | (tg0) << 14 | (uint64_t)(ps) << 16 | 1ull << 31)
#define TG0_64K 1ull
#define TG0_16K 2ull

static struct tmem M;
static struct armvmi_tt_config C;
static struct armvmi_translation T;

static int setup(void **state)
{
    tmem_init(&M, RAM, 16 << 20);
    memset(&C, 0, sizeof(C));
    C.regime = ARMVMI_REGIME_STAGE2;
    C.pa_bits = 48;
    return 0;
}

static int teardown(void **state)
{
    tmem_free(&M);
    return 0;
}

static void xlate(uint64_t va, unsigned acc)
{
    assert_int_equal(armvmi_translate(&C, tmem_read, &M, va, acc, &T), 0);
}

static void test_4k_concatenated(void **state)
{
    /* 40-bit IPA, start level 1: 10 bits at level 1, two concatenated tables (8KB). */
    struct ldgeo g = {12, 1, 40, 0};
    uint64_t root = tmem_alloc(&M, 8192);
    C.vtcr = VTCR(24, 1, 0ull, 5);
    C.vttbr = root | (0x55ull << 48);
    uint64_t ipa = 0x8012345000ull; /* bit 39 set: second table */
    ld_map(&M, root, &g, ipa, 3, 0x7777000ull | 3 | AF | S2RW | (0xf << 2));
    xlate(ipa + 0x123, ARMVMI_ACC_WRITE);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x7777123ull);
    assert_int_equal(T.s2_level, 3);
    assert_int_equal(T.attr, 0xf);
    assert_int_equal(T.s2_perm, ARMVMI_PERM_R | ARMVMI_PERM_W | ARMVMI_PERM_X);
    assert_true(T.steps[0].addr >= root + 4096);
    /* 1GB block at level 1 */
    ld_map(&M, root, &g, 0x40000000ull, 1, 0x80000000ull | 1 | AF | S2RO);
    xlate(0x40000010ull, ARMVMI_ACC_READ);
    assert_int_equal(T.pa, 0x80000010ull);
    assert_int_equal(T.size, 1ull << 30);
}

static void test_16k_64k(void **state)
{
    struct ldgeo g16 = {14, 2, 36, 0};
    uint64_t r16 = tmem_alloc(&M, 16384);
    C.vtcr = VTCR(28, 1, TG0_16K, 5);
    C.vttbr = r16;
    ld_map(&M, r16, &g16, 0xabcdec000ull, 3, 0x1234000ull | 3 | AF | S2RW);
    xlate(0xabcdecdefull, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x1234defull);

    struct ldgeo g64 = {16, 2, 42, 0};
    uint64_t r64 = tmem_alloc(&M, 65536);
    C.vtcr = VTCR(22, 1, TG0_64K, 5);
    C.vttbr = r64;
    ld_map(&M, r64, &g64, 0x3ff20000000ull, 2, 0x60000000ull | 1 | AF | S2RW);
    xlate(0x3ff20000042ull, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.size, 512 << 20);
    assert_int_equal(T.pa, 0x60000042ull);
}

static void test_fault_translation_config(void **state)
{
    /* 40-bit IPA from level 2 would need 512 concatenated tables: invalid. */
    C.vtcr = VTCR(24, 0, 0ull, 5);
    C.vttbr = tmem_alloc(&M, 4096);
    xlate(0x1000, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_stage, 2);
    assert_int_equal(T.fault_level, 0);
    /* IPA beyond the input size */
    C.vtcr = VTCR(24, 1, 0ull, 5);
    xlate(1ull << 40, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    /* invalid entry at level 2 */
    struct ldgeo g = {12, 1, 40, 0};
    uint64_t root = tmem_alloc(&M, 8192);
    C.vttbr = root;
    ld_map(&M, root, &g, 0x200000, 2, 0);
    xlate(0x200000, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 2);
}

static void test_fault_permission_af_size(void **state)
{
    struct ldgeo g = {12, 1, 32, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.vtcr = VTCR(32, 1, 0ull, 0); /* 32-bit IPA and PA */
    C.vttbr = root;
    ld_map(&M, root, &g, 0x1000, 3, 0x5000 | 3 | AF | S2RO);
    xlate(0x1000, ARMVMI_ACC_WRITE);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION);
    assert_int_equal(T.fault_stage, 2);
    assert_int_equal(T.fault_level, 3);
    ld_map(&M, root, &g, 0x2000, 3, 0x5000 | 3 | AF);
    xlate(0x2000, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION);
    ld_map(&M, root, &g, 0x3000, 3, 0x5000 | 3 | S2RW);
    xlate(0x3000, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_ACCESS_FLAG);
    ld_map(&M, root, &g, 0x4000, 3, 0x100005000ull | 3 | AF | S2RW);
    xlate(0x4000, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_ADDR_SIZE);
    assert_int_equal(T.fault_level, 3);
    /* an IPA size above the PA size is refused */
    C.vtcr = VTCR(24, 1, 0ull, 0);
    xlate(0x1000, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
}

static void test_combined(void **state)
{
    /* Stage 2: IPA = PA + 1GB for the RAM, 4K, 40-bit IPA. Stage 1: 4K, 39-bit VA. */
    const uint64_t off = 1ull << 30;
    struct ldgeo g2 = {12, 1, 40, 0};
    uint64_t s2root = tmem_alloc(&M, 8192);
    C.vtcr = VTCR(24, 1, 0ull, 5);
    C.vttbr = s2root;
    /* map RAM pages [RAM, RAM + 1MB) at IPA + off, except one page */
    uint64_t s1root = tmem_alloc(&M, 4096);
    uint64_t s1l2 = tmem_alloc(&M, 4096), s1l3 = tmem_alloc(&M, 4096);
    for (uint64_t pa = RAM; pa < RAM + (1 << 20); pa += 4096)
        if (pa != s1l3)
            ld_map(&M, s2root, &g2, pa + off, 3, pa | 3 | AF | S2RW);
    /* stage-1 tables hold IPAs */
    tmem_w64(&M, s1root + 0 * 8, (s1l2 + off) | 3);
    tmem_w64(&M, s1l2 + 1 * 8, (s1l3 + off) | 3);
    tmem_w64(&M, s1l2 + 2 * 8, 0x200000000ull | 1 | AF); /* 2MB block to IPA 8GB */
    ld_map(&M, s2root, &g2, 0x200000000ull, 2, 0x7fe00000ull | 1 | AF | S2RO);
    C.regime = ARMVMI_REGIME_EL10;
    C.stage2 = true;
    C.tcr = 25 | (25 << 16) | (2ull << 30) | (5ull << 32);
    C.ttbr0 = s1root + off;
    xlate(0x400000 + 0x1234, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.ipa, 0x200001234ull);
    assert_int_equal(T.pa, 0x7fe01234ull);
    assert_int_equal(T.s2_level, 2);
    /* write: stage 1 allows it, stage 2 is read-only */
    xlate(0x400000, ARMVMI_ACC_WRITE);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION);
    assert_int_equal(T.fault_stage, 2);
    assert_false(T.fault_s1ptw);
    assert_int_equal(T.fault_ipa, 0x200000000ull);
    /* the level-3 table page is not mapped at stage 2: a fault on the stage-1 walk */
    xlate(0x200000, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_stage, 2);
    assert_true(T.fault_s1ptw);
    assert_int_equal(T.fault_level, 3);
    assert_int_equal(T.fault_s1ptw_level, 3);
    assert_int_equal(T.fault_ipa, s1l3 + off);
    /* output IPA not mapped at stage 2 */
    tmem_w64(&M, s1l2 + 3 * 8, 0x300000000ull | 1 | AF);
    xlate(0x600000, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_stage, 2);
    assert_false(T.fault_s1ptw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_4k_concatenated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_16k_64k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_translation_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_permission_af_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_combined, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
