/* SPDX-License-Identifier: MIT */
/* test_arch_a32.c — unit tests of the AArch32 short-descriptor and LPAE walkers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "arch_testmem.h"

#define RAM 0x40000000ull
#define SEC(pa, dom, ap) ((uint32_t)(pa) | 2u | (dom) << 5 | ((ap)&3u) << 10 | ((ap) >> 2) << 15)
#define PT(pa, dom) ((uint32_t)(pa) | 1u | (dom) << 5)
#define SMALL(pa, ap) ((uint32_t)(pa) | 2u | ((ap)&3u) << 4 | ((ap) >> 2) << 9)
#define LARGE(pa, ap) ((uint32_t)(pa) | 1u | ((ap)&3u) << 4 | ((ap) >> 2) << 9)
#define AFE (1ull << 29)
#define EAE (1ull << 31)
#define AF (1ull << 10)

static struct tmem M;
static struct armvmi_tt_config C;
static struct armvmi_translation T;
static uint64_t L1_0, L1_1;

static int setup(void **state)
{
    tmem_init(&M, RAM, 8 << 20);
    memset(&C, 0, sizeof(C));
    C.regime = ARMVMI_REGIME_A32_SHORT;
    C.features = ARMVMI_FEAT_PXN32;
    C.dacr = 0x55555555; /* all clients */
    L1_0 = tmem_alloc(&M, 16384);
    L1_1 = tmem_alloc(&M, 16384);
    C.ttbr0 = L1_0 | 0x5a; /* attribute bits below the base are ignored */
    C.ttbr1 = L1_1;
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

static void test_section_and_split(void **state)
{
    tmem_w32(&M, L1_0 + (0x123u * 4), SEC(0x87600000u, 3, 3) | (1u << 19) | (1u << 17));
    xlate(0x12345678, ARMVMI_ACC_WRITE | ARMVMI_ACC_EL0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x87645678u);
    assert_int_equal(T.size, 1 << 20);
    assert_int_equal(T.level, 1);
    assert_int_equal(T.nsteps, 1);
    assert_int_equal(T.steps[0].kind, ARMVMI_STEP_BLOCK);
    assert_int_equal(T.domain, 3);
    assert_true(T.ns);
    assert_true(T.ng);
    /* N=2: VA[31:30] != 0 selects TTBR1; the TTBR0 table shrinks to 4KB */
    C.tcr = 2;
    tmem_w32(&M, L1_1 + (0xc00u * 4), SEC(0x10000000u, 0, 3));
    xlate(0xc0012345u, 0);
    assert_int_equal(T.pa, 0x10012345u);
    xlate(0x12345678, 0);
    assert_int_equal(T.pa, 0x87645678u);
    /* N=7: TTBR0 base bits [31:7]; the table is 128 bytes */
    C.tcr = 7;
    C.ttbr0 = L1_0 + 0x80;
    tmem_w32(&M, L1_0 + 0x80 + 4, SEC(0x22200000u, 0, 3));
    xlate(0x00112233u, 0);
    assert_int_equal(T.pa, 0x22212233u);
    /* PD1 disables TTBR1 walks */
    C.tcr = 7 | (1 << 5);
    xlate(0xc0012345u, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 1);
}

static void test_supersection(void **state)
{
    /* PA[31:24]=0xab, PA[35:32]=0x5 (bits 23:20), PA[39:36]=0xc (bits 8:5) */
    uint32_t d = 0xab000000u | (5u << 20) | (0xcu << 5) | (1u << 18) | 2u | (3u << 10);
    for (int i = 0; i < 16; i++)
        tmem_w32(&M, L1_0 + (0x310u + (unsigned)i) * 4, d);
    xlate(0x31abcdefu, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_true(T.supersection);
    assert_int_equal(T.pa, 0xc5ababcdefull);
    assert_int_equal(T.size, 16 << 20);
    assert_int_equal(T.domain, 0);
}

static void test_pages(void **state)
{
    uint64_t l2 = tmem_alloc(&M, 1024);
    tmem_w32(&M, L1_0 + 0x001 * 4, PT(l2, 2) | (1u << 2)); /* PXN */
    tmem_w32(&M, l2 + 0x23 * 4, SMALL(0x5555f000u, 3));
    for (int i = 0; i < 16; i++)
        tmem_w32(&M, l2 + (0x40u + (unsigned)i) * 4, LARGE(0x77770000u, 2));
    xlate(0x00123abcu, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x5555fabcu);
    assert_int_equal(T.level, 2);
    assert_int_equal(T.size, 4096);
    assert_int_equal(T.domain, 2);
    assert_int_equal(T.nsteps, 2);
    assert_int_equal(T.steps[0].kind, ARMVMI_STEP_TABLE);
    assert_int_equal(T.steps[1].kind, ARMVMI_STEP_PAGE);
    assert_int_equal(T.perm_el1, ARMVMI_PERM_R | ARMVMI_PERM_W); /* PXN */
    xlate(0x00145678u, ARMVMI_ACC_WRITE | ARMVMI_ACC_EL0);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION); /* AP=010: PL0 read-only */
    assert_int_equal(T.fault_level, 2);
    xlate(0x00145678u, ARMVMI_ACC_READ | ARMVMI_ACC_EL0);
    assert_int_equal(T.pa, 0x77775678u);
    assert_int_equal(T.size, 65536);
    /* invalid L2 entry */
    xlate(0x00100000u, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 2);
}

static void test_faults_domain_af_external(void **state)
{
    tmem_w32(&M, L1_0 + 0x010 * 4, SEC(0x01000000u, 4, 5)); /* AP=101: PL1 read-only */
    C.dacr = 0;                                             /* domain 4: No access */
    xlate(0x01000000u, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_DOMAIN);
    assert_int_equal(T.fault_level, 1);
    C.dacr = 3u << 8; /* Manager: no permission checks */
    xlate(0x01000000u, ARMVMI_ACC_WRITE | ARMVMI_ACC_EL0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    C.dacr = 1u << 8; /* Client */
    xlate(0x01000000u, ARMVMI_ACC_WRITE);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION);
    /* AFE=1: AP[0] is the Access flag */
    C.sctlr = AFE;
    tmem_w32(&M, L1_0 + 0x011 * 4, SEC(0x01100000u, 4, 2));
    xlate(0x01100000u, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_ACCESS_FLAG);
    assert_int_equal(T.fault_level, 1);
    /* the Access flag is checked during the walk, before the domain: also for Manager and
     * No-access domains */
    C.dacr = 3u << 8;
    xlate(0x01100000u, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_ACCESS_FLAG);
    C.dacr = 0;
    xlate(0x01100000u, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_ACCESS_FLAG);
    C.dacr = 1u << 8;
    /* page table outside memory */
    tmem_w32(&M, L1_0 + 0x012 * 4, PT(0x90000000u, 4));
    xlate(0x01200000u, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_EXTERNAL);
    assert_int_equal(T.fault_level, 2);
    /* 0b11 is a section with PXN only on CPUs with the PXN feature */
    tmem_w32(&M, L1_0 + 0x013 * 4, SEC(0x01300000u, 4, 3) | 1u);
    xlate(0x01300000u, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_false(T.perm_el1 & ARMVMI_PERM_X);
    C.features = 0;
    xlate(0x01300000u, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
}

static void test_lpae(void **state)
{
    C.regime = ARMVMI_REGIME_A32_LPAE;
    /* T0SZ=1, T1SZ=1: TTBR0 below 2GB, TTBR1 above; both start at level 1 (2 entries). */
    C.tcr = EAE | 1 | (1u << 16);
    uint64_t r0 = tmem_alloc(&M, 4096), r1 = tmem_alloc(&M, 4096);
    C.ttbr0 = r0 | (0x12ull << 48); /* ASID ignored */
    C.ttbr1 = r1;
    C.mair = 0x44ull << 8;
    struct ldgeo g0 = {12, 1, 31, 0}, g1 = {12, 1, 31, 0};
    ld_map(&M, r0, &g0, 0x40001000u, 3, 0xab12345000ull | 3 | AF | (1 << 2));
    xlate(0x40001abcu, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0xab12345abcull);
    assert_int_equal(T.attr, 0x44);
    ld_map(&M, r1, &g1, 0xc0200000u, 2, 0x200000ull | 1 | AF);
    xlate(0xc0200010u, 0);
    assert_int_equal(T.pa, 0x200010ull);
    assert_int_equal(T.size, 2 << 20);
    /* bits [47:40] of the output address: Address size fault */
    ld_map(&M, r0, &g0, 0x40002000u, 3, 0x10000002000ull | 3 | AF);
    xlate(0x40002000u, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_ADDR_SIZE);
    /* T0SZ=2, T1SZ=2: [1GB, 3GB) is in neither region */
    C.tcr = EAE | 2 | (2u << 16);
    xlate(0x80000000u, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 1);
    /* EPD1 */
    C.tcr = EAE | 1 | (1u << 16) | (1u << 23);
    xlate(0xc0200010u, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    /* PL0 access through APTable[0] is refused */
    C.tcr = EAE | 1 | (1u << 16);
    struct ldgeo gt = {12, 1, 31, 1ull << 61};
    ld_map(&M, r0, &gt, 0x00003000u, 3, 0x3000ull | 3 | AF | (1 << 6));
    xlate(0x00003000u, ARMVMI_ACC_READ | ARMVMI_ACC_EL0);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION);
    assert_int_equal(T.fault_level, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_section_and_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supersection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults_domain_af_external, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lpae, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
