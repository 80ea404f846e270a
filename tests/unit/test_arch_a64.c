/* SPDX-License-Identifier: MIT */
/* test_arch_a64.c — unit tests of the AArch64 stage-1 walker (granules, TTBR choice, faults). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "arch_testmem.h"

#define RAM 0x40000000ull
#define AF (1ull << 10)
#define PAGE(pa) ((pa) | 3 | AF)
#define BLOCK(pa) ((pa) | 1 | AF)
#define TABLE(pa) ((pa) | 3)
#define AP_EL0 (1ull << 6)
#define AP_RO (1ull << 7)
#define PXN (1ull << 53)
#define UXN (1ull << 54)
#define IPS48 (5ull << 32)
#define TG1_4K (2ull << 30)
#define TG1_16K (1ull << 30)
#define TG1_64K (3ull << 30)
#define TG0_64K (1ull << 14)
#define TG0_16K (2ull << 14)

static struct tmem M;
static struct armvmi_tt_config C;
static struct armvmi_translation T;

static int setup(void **state)
{
    tmem_init(&M, RAM, 16 << 20);
    memset(&C, 0, sizeof(C));
    C.regime = ARMVMI_REGIME_EL10;
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

static void test_4k_4level_page(void **state)
{
    struct ldgeo g = {12, 0, 48, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 16 | (16 << 16) | TG1_4K | IPS48;
    C.ttbr0 = root | (0x1234ull << 48) | 1; /* ASID and CnP must be masked off */
    C.mair = 0xff44ull << 16;               /* Attr2 = 0x44, Attr3 = 0xff */
    uint64_t va = 0x0000123456789abcull;
    ld_map(&M, root, &g, va, 3,
           PAGE(0x87654000ull) | (3 << 2) | (3 << 8) | (1 << 11) | (1ull << 52));
    xlate(va, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x87654abcull);
    assert_int_equal(T.size, 4096);
    assert_int_equal(T.level, 3);
    assert_int_equal(T.nsteps, 4);
    assert_int_equal(T.attrindx, 3);
    assert_int_equal(T.attr, 0xff);
    assert_int_equal(T.sh, 3);
    assert_true(T.ng);
    assert_true(T.contiguous);
    assert_int_equal(T.perm_el1, ARMVMI_PERM_R | ARMVMI_PERM_W | ARMVMI_PERM_X);
    assert_int_equal(T.perm_el0, ARMVMI_PERM_X); /* EL0 execute-only */
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(T.steps[i].kind, ARMVMI_STEP_TABLE);
    assert_int_equal(T.steps[3].kind, ARMVMI_STEP_PAGE);
    /* 0b01 at level 3 is reserved: the walk faults there and the step says so. */
    ld_map(&M, root, &g, va, 3, BLOCK(0x87654000ull));
    xlate(va, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.nsteps, 4);
    assert_int_equal(T.steps[3].kind, ARMVMI_STEP_INVALID);
}

static void test_4k_ttbr1_blocks(void **state)
{
    /* T1SZ=25: 39-bit upper range, start level 1; 1GB and 2MB blocks. */
    struct ldgeo g = {12, 1, 39, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 16 | (25 << 16) | TG1_4K | IPS48;
    C.ttbr1 = root;
    uint64_t va1 = 0xffffff8040000000ull + 0x12345678;
    ld_map(&M, root, &g, va1, 1, BLOCK(0x80000000ull));
    xlate(va1, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x80000000ull + 0x12345678);
    assert_int_equal(T.size, 1ull << 30);
    assert_int_equal(T.level, 1);
    assert_int_equal(T.steps[T.nsteps - 1].kind, ARMVMI_STEP_BLOCK);
    uint64_t va2 = 0xffffffc000200000ull + 0x1abcd;
    ld_map(&M, root, &g, va2, 2, BLOCK(0x1200000ull));
    xlate(va2, 0);
    assert_int_equal(T.pa, 0x1200000ull + 0x1abcd);
    assert_int_equal(T.size, 2 << 20);
    /* Just below the upper range: bits [63:39] not all ones. */
    xlate(0xffffff4000000000ull, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 0);
}

static void test_16k_and_64k(void **state)
{
    /* 16K, T0SZ=17 (47 bits): start level 1; 32MB block at level 2. TG1=16K for TTBR1. */
    struct ldgeo g16 = {14, 1, 47, 0};
    uint64_t r16 = tmem_alloc(&M, 16384);
    C.tcr = 17 | TG0_16K | (28 << 16) | TG1_16K | IPS48;
    C.ttbr0 = r16;
    uint64_t va = 0x00004abc02000000ull + 0x123456;
    ld_map(&M, r16, &g16, va, 2, BLOCK(0x7e000000ull));
    xlate(va, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.size, 32 << 20);
    assert_int_equal(T.pa, 0x7e000000ull + 0x123456);
    /* 16K T1SZ=28: 36 bits, start level 2 (2 levels: 11 + 11 bits). */
    struct ldgeo g16b = {14, 2, 36, 0};
    uint64_t r16b = tmem_alloc(&M, 16384);
    C.ttbr1 = r16b;
    uint64_t vb = 0xfffffff123456789ull;
    ld_map(&M, r16b, &g16b, vb, 3, PAGE(0x55554000ull));
    xlate(vb, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x55554000ull | (vb & 0x3fff));
    assert_int_equal(T.size, 16384);

    /* 64K, T0SZ=22 (42 bits): start level 2; 512MB block and 64K page. */
    struct ldgeo g64 = {16, 2, 42, 0};
    uint64_t r64 = tmem_alloc(&M, 65536);
    C.tcr = 22 | TG0_64K | (16 << 16) | TG1_64K | IPS48;
    C.ttbr0 = r64;
    uint64_t v1 = 0x2a0000000ull + 0x1234567;
    ld_map(&M, r64, &g64, v1, 2, BLOCK(0x20000000ull));
    xlate(v1, 0);
    assert_int_equal(T.size, 512 << 20);
    assert_int_equal(T.pa, 0x20000000ull + 0x1234567);
    uint64_t v2 = 0x3ff12345678ull;
    ld_map(&M, r64, &g64, v2, 3, PAGE(0x9990000ull));
    xlate(v2, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.size, 65536);
    assert_int_equal(T.level, 3);
    assert_int_equal(T.pa, 0x9990000ull | (v2 & 0xffff));
}

static void test_fault_translation(void **state)
{
    struct ldgeo g = {12, 0, 48, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 16 | (16 << 16) | TG1_4K | IPS48;
    C.ttbr0 = root;
    uint64_t va = 0x7f0000200000ull;
    ld_map(&M, root, &g, va, 2, 0); /* invalid level-2 entry */
    xlate(va, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 2);
    assert_int_equal(T.fault_stage, 1);
    /* 4K level-0 block needs DS=1: translation fault at level 0. */
    uint64_t vb = 0x008000000000ull;
    ld_map(&M, root, &g, vb, 0, BLOCK(0));
    xlate(vb, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 0);
    /* Level-3 0b01 encoding is reserved. */
    uint64_t vc = 0x10000ull;
    ld_map(&M, root, &g, vc, 3, BLOCK(0x5000));
    xlate(vc, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 3);
    /* EPD0 disables TTBR0 walks. */
    C.tcr |= 1 << 7;
    ld_map(&M, root, &g, va, 3, PAGE(0x1000));
    xlate(va, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.nsteps, 0);
}

static void test_fault_access_flag(void **state)
{
    struct ldgeo g = {12, 1, 39, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 25 | (25 << 16) | TG1_4K | IPS48;
    C.ttbr0 = root;
    ld_map(&M, root, &g, 0x1000, 3, 0x7000 | 3);
    xlate(0x1000, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_ACCESS_FLAG);
    assert_int_equal(T.fault_level, 3);
    C.tcr |= 1ull << 39; /* TCR.HA: hardware sets AF, no fault */
    xlate(0x1000, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_false(T.af);
}

static void test_fault_permission(void **state)
{
    struct ldgeo g = {12, 1, 39, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 25 | (25 << 16) | TG1_4K | IPS48;
    C.ttbr0 = root;
    ld_map(&M, root, &g, 0x1000, 3, PAGE(0x7000) | AP_RO);
    xlate(0x1000, ARMVMI_ACC_WRITE);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION);
    assert_int_equal(T.fault_level, 3);
    xlate(0x1000, ARMVMI_ACC_READ | ARMVMI_ACC_EL0);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION);
    xlate(0x1000, ARMVMI_ACC_READ);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    /* EL0-writable: never EL1-executable; WXN also removes EL0 execute. */
    ld_map(&M, root, &g, 0x2000, 3, PAGE(0x8000) | AP_EL0);
    xlate(0x2000, 0);
    assert_int_equal(T.perm_el0, ARMVMI_PERM_R | ARMVMI_PERM_W | ARMVMI_PERM_X);
    assert_int_equal(T.perm_el1, ARMVMI_PERM_R | ARMVMI_PERM_W);
    C.sctlr = 1 << 19;
    xlate(0x2000, ARMVMI_ACC_EXEC | ARMVMI_ACC_EL0);
    assert_int_equal(T.fault, ARMVMI_FAULT_PERMISSION);
    C.sctlr = 0;
    /* APTable and XN tables from an upper level. */
    struct ldgeo gt = {12, 1, 39, (1ull << 62) | (1ull << 61) | (1ull << 60) | (1ull << 59)};
    ld_map(&M, root, &gt, 0x40001000ull, 3, PAGE(0x9000) | AP_EL0);
    xlate(0x40001000ull, 0);
    assert_int_equal(T.perm_el0, 0);
    assert_int_equal(T.perm_el1, ARMVMI_PERM_R);
    C.tcr |= 1ull << 41; /* HPD0 disables the hierarchical controls */
    xlate(0x40001000ull, 0);
    assert_int_equal(T.perm_el0, ARMVMI_PERM_R | ARMVMI_PERM_W | ARMVMI_PERM_X);
}

static void test_fault_addr_size(void **state)
{
    struct ldgeo g = {12, 1, 39, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 25 | (25 << 16) | TG1_4K; /* IPS=0: 32-bit PA */
    C.ttbr0 = root;
    ld_map(&M, root, &g, 0x1000, 3, PAGE(0x100000000ull));
    xlate(0x1000, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_ADDR_SIZE);
    assert_int_equal(T.fault_level, 3);
    C.tcr |= 2ull << 32; /* 40 bits */
    xlate(0x1000, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    C.ttbr0 = 0x10000000000ull; /* TTBR above 40 bits */
    xlate(0x1000, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_ADDR_SIZE);
    assert_int_equal(T.fault_level, 0);
}

static void test_fault_external(void **state)
{
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 25 | (25 << 16) | TG1_4K | IPS48;
    C.ttbr0 = root;
    tmem_w64(&M, root, TABLE(0x9000000000ull)); /* table outside RAM */
    xlate(0x1000, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_EXTERNAL);
    assert_int_equal(T.fault_level, 2);
}

static void test_tbi_and_range(void **state)
{
    struct ldgeo g = {12, 0, 48, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 16 | (16 << 16) | TG1_4K | IPS48;
    C.ttbr0 = root;
    ld_map(&M, root, &g, 0x1000, 3, PAGE(0x3000));
    xlate(0x5a00000000001000ull, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    assert_int_equal(T.fault_level, 0);
    C.tcr |= 1ull << 37; /* TBI0 */
    xlate(0x5a00000000001000ull, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x3000);
    /* bit 55 selects TTBR1 even with a zero top byte when TBI1 is set */
    C.tcr |= 1ull << 38 | 1ull << 23; /* TBI1, EPD1 */
    xlate(0x00ffffffffff0000ull, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
}

static void test_lpa2_4k_level_minus1(void **state)
{
    /* DS=1, T0SZ=12: 52-bit VA, start level -1; 52-bit OA with OA[51:50] in bits [9:8]. */
    struct ldgeo g = {12, -1, 52, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.features = ARMVMI_FEAT_LPA2;
    C.pa_bits = 52;
    C.tcr = 12 | (16 << 16) | TG1_4K | (6ull << 32) | (1ull << 59) | (2 << 12);
    C.ttbr0 = root;
    uint64_t va = 0x000f123456789000ull;
    uint64_t oa = 0x000e000012345000ull; /* bits 51:50 = 0b11, bit 49 = 1 */
    uint64_t desc = (oa & 0x0003fffffffff000ull) | ((oa >> 50) << 8) | 3 | AF;
    ld_map(&M, root, &g, va, 3, desc);
    xlate(va + 0x12, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.nsteps, 5);
    assert_int_equal(T.steps[0].level, -1);
    assert_int_equal(T.pa, oa + 0x12);
    assert_int_equal(T.sh, 2); /* from TCR.SH0 with DS=1 */
    /* Level-0 block (512GB) is allowed with DS=1. */
    uint64_t vb = 0x0001008000000000ull;
    ld_map(&M, root, &g, vb, 0, BLOCK(0x8000000000ull));
    xlate(vb + 5, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.size, 1ull << 39);
}

/* A context taken from a CPU must declare the LPA2 it has: a Linux-like 52-bit TTBR1 walk. */
static void test_lpa2_features_from_cpu(void **state)
{
    struct ldgeo g = {12, -1, 52, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.tcr = 12 | (12 << 16) | TG1_4K | (5ull << 32) | (1ull << 59); /* T0SZ=T1SZ=12, DS */
    C.ttbr1 = root;
    uint64_t va = 0xfffd2c4012345000ull; /* in the upper half of a 52-bit VA space */
    ld_map(&M, root, &g, va, 3, PAGE(0x41234000ull));
    C.features = 0; /* DS ignored: a 48-bit walk, which fails */
    xlate(va, 0);
    assert_int_not_equal(T.fault, ARMVMI_FAULT_NONE);
    C.features = armvmi_features_from_tcr(&C);
    assert_int_equal(C.features, ARMVMI_FEAT_LPA2);
    xlate(va + 8, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.steps[0].level, -1);
    assert_int_equal(T.steps[0].index, (va >> 48) & 15);
    assert_int_equal(T.steps[1].index, (va >> 39) & 511);
    assert_int_equal(T.pa, 0x41234008ull);
    /* QEMU's -cpu max: TGran4=1, TGran16=2, TGran4_2=TGran16_2=3, PARange=52 bits */
    unsigned pa_bits = 0;
    C.features = armvmi_features_from_id(0x0000032310201126ull, 0x1021011010011011ull, &pa_bits);
    assert_true(C.features & ARMVMI_FEAT_LPA2);
    assert_true(C.features & ARMVMI_FEAT_LPA);
    assert_true(C.features & ARMVMI_FEAT_LVA);
    assert_true(C.features & ARMVMI_FEAT_TTST);
    assert_int_equal(pa_bits, 52);
    C.pa_bits = pa_bits;
    xlate(va, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    /* Cortex-A72: 44-bit PAs, no LPA2; stage-2 fields 0 ("as stage 1") */
    assert_int_equal(armvmi_features_from_id(0x1124ull, 0, &pa_bits), 0);
    assert_int_equal(pa_bits, 44);
    /* a 16K-only LPA2 CPU; and TGran4_2 = 3 alone */
    assert_int_equal(armvmi_features_from_id(0xf0200005ull, 0, NULL), ARMVMI_FEAT_LPA2);
    assert_int_equal(armvmi_features_from_id(0x30000000005ull, 0, NULL), ARMVMI_FEAT_LPA2);
    /* DS lives at bit 32 in TCR_EL2's EL2 layout, and in VTCR_EL2 for stage 2 */
    C.regime = ARMVMI_REGIME_EL2;
    C.tcr = 1ull << 59;
    assert_int_equal(armvmi_features_from_tcr(&C), 0);
    C.tcr = 1ull << 32;
    assert_int_equal(armvmi_features_from_tcr(&C), ARMVMI_FEAT_LPA2);
    C.regime = ARMVMI_REGIME_STAGE2;
    C.tcr = 0;
    C.vtcr = 1ull << 32;
    assert_int_equal(armvmi_features_from_tcr(&C), ARMVMI_FEAT_LPA2);
    C.regime = ARMVMI_REGIME_EL10;
    assert_int_equal(armvmi_features_from_tcr(&C), 0); /* no stage 2 in use */
    C.stage2 = true;
    assert_int_equal(armvmi_features_from_tcr(&C), ARMVMI_FEAT_LPA2);
    C.regime = ARMVMI_REGIME_A32_LPAE;
    C.stage2 = false;
    C.tcr = ~0ull;
    assert_int_equal(armvmi_features_from_tcr(&C), 0);
    assert_int_equal(armvmi_features_from_tcr(NULL), 0);
}

static void test_lpa_64k_52bit(void **state)
{
    struct ldgeo g = {16, 1, 52, 0};
    uint64_t root = tmem_alloc(&M, 8192);
    C.features = ARMVMI_FEAT_LPA | ARMVMI_FEAT_LVA;
    C.pa_bits = 52;
    C.tcr = 12 | TG0_64K | (16 << 16) | TG1_64K | (6ull << 32);
    C.ttbr0 = root;
    uint64_t va = 0x000fedcba9870000ull;
    uint64_t oa = 0x000a987654320000ull;
    uint64_t desc = (oa & 0x0000ffffffff0000ull) | ((oa >> 48) << 12) | 3 | AF;
    ld_map(&M, root, &g, va, 3, desc);
    xlate(va + 0x4321, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, oa + 0x4321);
    /* 4TB level-1 block with FEAT_LPA. */
    uint64_t vb = 0x0000400000000000ull;
    ld_map(&M, root, &g, vb, 1, BLOCK(0x0001000000000000ull >> 48 << 12));
    xlate(vb + 7, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.size, 1ull << 42);
    assert_int_equal(T.pa, 0x0001000000000000ull + 7);
    /* IPS=48 makes the same OA an Address size fault. */
    C.tcr = (C.tcr & ~(7ull << 32)) | IPS48;
    xlate(va, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_ADDR_SIZE);
}

static void test_el2_regimes(void **state)
{
    struct ldgeo g = {12, 1, 39, 0};
    uint64_t root = tmem_alloc(&M, 4096);
    C.regime = ARMVMI_REGIME_EL2;
    C.tcr = 25 | (5ull << 16); /* TCR_EL2: PS at [18:16] */
    C.ttbr0 = root;
    ld_map(&M, root, &g, 0x5000, 3, PAGE(0x6000) | AP_EL0 | (1ull << 11));
    xlate(0x5000, ARMVMI_ACC_WRITE);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.perm_el0, 0);
    assert_false(T.ng);
    /* One range: an upper VA is out of range. */
    xlate(0xffffffffffff5000ull, 0);
    assert_int_equal(T.fault, ARMVMI_FAULT_TRANSLATION);
    /* EL2&0 uses the EL1 layout with TTBR1. */
    C.regime = ARMVMI_REGIME_EL20;
    C.tcr = 25 | (25 << 16) | TG1_4K | IPS48;
    C.ttbr1 = root;
    xlate(0xffffff8000005000ull, ARMVMI_ACC_EL0 | ARMVMI_ACC_WRITE);
    assert_int_equal(T.fault, ARMVMI_FAULT_NONE);
    assert_int_equal(T.pa, 0x6000);
    assert_true(T.ng);
}

static void test_bad_args(void **state)
{
    assert_int_equal(armvmi_translate(NULL, tmem_read, &M, 0, 0, &T), -1);
    C.regime = (enum armvmi_regime)99;
    assert_int_equal(armvmi_translate(&C, tmem_read, &M, 0, 0, &T), -1);
    assert_string_equal(armvmi_fault_name(ARMVMI_FAULT_PERMISSION), "permission");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_4k_4level_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_4k_ttbr1_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_16k_and_64k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_translation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_access_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_permission, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_addr_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_external, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tbi_and_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lpa2_4k_level_minus1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lpa2_features_from_cpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lpa_64k_52bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_el2_regimes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
