/* SPDX-License-Identifier: MIT */
/* test_elf_qmp.c — checks a dump made by QEMU's dump-guest-memory (run by 20-elf-qmp-dump.t). */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <armvmi/armvmi.h>

/*
 * Environment (all set by tests/integration/20-elf-qmp-dump.t; without ARMVMI_QEMU_DUMP the
 * program prints a TAP skip, since cmocka's skip() prints "not ok # SKIP", which prove fails):
 *   ARMVMI_QEMU_DUMP     the ELF file QEMU wrote
 *   ARMVMI_QEMU_RAW      the same RAM saved with QMP pmemsave, from ARMVMI_QEMU_RAM_BASE
 *   ARMVMI_QEMU_RAM      expected RAM range, "BASE+SIZE"
 *   ARMVMI_QEMU_VCPUS    expected vCPU count
 *   ARMVMI_QEMU_PC0      expected PC of vCPU 0
 *   ARMVMI_QEMU_PAYLOAD  "FILE@ADDR": bytes QEMU's loader put in RAM
 */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set; run tests/integration/20-elf-qmp-dump.t.", name);
    return v;
}

static uint64_t env_u64(const char *name)
{
    return strtoull(env(name), NULL, 0);
}

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static armvmi_t *open_dump(void)
{
    armvmi_t *h;
    int rc = armvmi_open(&h, env("ARMVMI_QEMU_DUMP"));
    if (rc)
        fail_msg("cannot open the QEMU dump: %s", armvmi_errmsg());
    return h;
}

static void test_info(void **state)
{
    armvmi_t *h = open_dump();
    const char *ram = env("ARMVMI_QEMU_RAM");
    uint64_t base = strtoull(ram, NULL, 0), size = strtoull(strchr(ram, '+') + 1, NULL, 0);
    struct armvmi_info info;
    assert_int_equal(armvmi_get_info(h, &info), 0);
    assert_string_equal(info.driver, "elf");
    assert_int_equal(info.caps, ARMVMI_CAP_READ | ARMVMI_CAP_MAP | ARMVMI_CAP_REGS);
    assert_int_equal(info.vcpus, env_u64("ARMVMI_QEMU_VCPUS"));
    assert_int_equal(info.nranges, 1);
    assert_int_equal(info.ranges[0].base, base);
    assert_int_equal(info.ranges[0].size, size);
    armvmi_close(h);
}

static void compare(armvmi_t *a, armvmi_t *b, uint64_t base, uint64_t size)
{
    uint8_t x[512], y[512];
    for (int i = 0; i < 1000; i++) {
        size_t len = 1 + rnd() % sizeof(x);
        uint64_t pa = base + rnd() % (size - len + 1);
        assert_int_equal(armvmi_read_pa(a, pa, x, len), 0);
        assert_int_equal(armvmi_read_pa(b, pa, y, len), 0);
        assert_memory_equal(x, y, len);
    }
    const void *ma = armvmi_map_pa(a, base, size), *mb = armvmi_map_pa(b, base, size);
    assert_non_null(ma);
    assert_non_null(mb);
    assert_int_equal(memcmp(ma, mb, size), 0);
}

/* The dump holds the same bytes as pmemsave of the same paused guest. */
static void test_bytes_match_pmemsave(void **state)
{
    armvmi_t *h = open_dump(), *raw;
    char spec[4200];
    const char *ram = env("ARMVMI_QEMU_RAM");
    snprintf(spec, sizeof(spec), "raw:%s@%s", env("ARMVMI_QEMU_RAW"), ram);
    *strrchr(spec, '+') = '\0';
    assert_int_equal(armvmi_open(&raw, spec), 0);
    struct armvmi_info info;
    armvmi_get_info(h, &info);
    compare(h, raw, info.ranges[0].base, info.ranges[0].size);
    armvmi_close(raw);
    armvmi_close(h);
}

static void test_payload(void **state)
{
    armvmi_t *h = open_dump();
    char file[4096];
    snprintf(file, sizeof(file), "%s", env("ARMVMI_QEMU_PAYLOAD"));
    char *at = strrchr(file, '@');
    assert_non_null(at);
    *at = '\0';
    uint64_t addr = strtoull(at + 1, NULL, 0);
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    static uint8_t want[1 << 20], got[1 << 20];
    size_t n = fread(want, 1, sizeof(want), f);
    fclose(f);
    assert_true(n > 0);
    assert_int_equal(armvmi_read_pa(h, addr, got, n), 0);
    assert_memory_equal(got, want, n);
    armvmi_close(h);
}

static void test_regs(void **state)
{
    armvmi_t *h = open_dump();
    struct armvmi_regs r;
    assert_int_equal(armvmi_get_regs(h, 0, &r), 0);
    assert_true(armvmi_reg_valid(&r, ARMVMI_REG_PC));
    assert_true(armvmi_reg_valid(&r, ARMVMI_REG_X30));
    assert_false(armvmi_reg_valid(&r, ARMVMI_REG_TTBR0_EL1)); /* QEMU writes no sysregs */
    assert_int_equal(r.regs[ARMVMI_REG_PC], env_u64("ARMVMI_QEMU_PC0"));
    /* out of reset a -cpu max vCPU without EL2/EL3 runs at EL1h with DAIF masked */
    assert_int_equal(r.regs[ARMVMI_REG_PSTATE] & 0x3cf, 0x3c5);
    armvmi_close(h);
}

/* armvmi_dump of the QEMU dump reopens with the same registers and bytes. */
static void test_redump(void **state)
{
    armvmi_t *h = open_dump(), *h2;
    char out[4200];
    snprintf(out, sizeof(out), "%s.redump", env("ARMVMI_QEMU_DUMP"));
    assert_int_equal(armvmi_dump(h, out, NULL, NULL), 0);
    assert_int_equal(armvmi_open(&h2, out), 0);
    struct armvmi_info a, b;
    armvmi_get_info(h, &a);
    armvmi_get_info(h2, &b);
    assert_int_equal(a.vcpus, b.vcpus);
    assert_int_equal(a.nranges, b.nranges);
    for (unsigned v = 0; v < a.vcpus; v++) {
        struct armvmi_regs ra, rb;
        assert_int_equal(armvmi_get_regs(h, v, &ra), 0);
        assert_int_equal(armvmi_get_regs(h2, v, &rb), 0);
        assert_memory_equal(&ra, &rb, sizeof(ra));
    }
    compare(h, h2, a.ranges[0].base, a.ranges[0].size);
    armvmi_close(h2);
    armvmi_close(h);
    unlink(out);
}

int main(void)
{
    if (!getenv("ARMVMI_QEMU_DUMP")) {
        printf("1..0 # SKIP needs a QEMU dump: run by tests/integration/20-elf-qmp-dump.t\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info),    cmocka_unit_test(test_bytes_match_pmemsave),
        cmocka_unit_test(test_payload), cmocka_unit_test(test_regs),
        cmocka_unit_test(test_redump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
