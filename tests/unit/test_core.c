/* SPDX-License-Identifier: MIT */
/* test_core.c — the handle over the raw driver: bounds, batches, maps, pause nesting, names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armvmi/armvmi.h>
#include "core/paths.h"

#define BASE 0x40000000ull
#define SIZE (64u * 1024)

static char img[64];
static uint8_t ref[SIZE];

static int setup(void **state)
{
    (void)state;
    snprintf(img, sizeof(img), "/tmp/armvmi-core-%d.bin", (int)getpid());
    for (size_t i = 0; i < SIZE; i++)
        ref[i] = (uint8_t)(i * 7 + (i >> 8));
    FILE *f = fopen(img, "wb");
    if (!f || fwrite(ref, 1, SIZE, f) != SIZE)
        return -1;
    return fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    unlink(img);
    return 0;
}

static armvmi_t *open_raw(const char *suffix)
{
    char spec[128];
    snprintf(spec, sizeof(spec), "raw:%s%s", img, suffix);
    armvmi_t *h = NULL;
    assert_int_equal(armvmi_open(&h, spec), 0);
    return h;
}

static void raw_info_and_reads(void **state)
{
    (void)state;
    armvmi_t *h = open_raw("");
    struct armvmi_info in;
    assert_int_equal(armvmi_get_info(h, &in), 0);
    assert_string_equal(in.driver, "raw");
    assert_int_equal(in.nranges, 1);
    assert_int_equal(in.ranges[0].base, BASE);
    assert_int_equal(in.ram_bytes, SIZE);
    assert_true(in.caps & ARMVMI_CAP_WRITE);
    uint8_t buf[256];
    assert_int_equal(armvmi_read_pa(h, BASE + 100, buf, sizeof(buf)), 0);
    assert_memory_equal(buf, ref + 100, sizeof(buf));
    /* the last byte is readable, one past it is not */
    assert_int_equal(armvmi_read_pa(h, BASE + SIZE - 1, buf, 1), 0);
    assert_int_equal(buf[0], ref[SIZE - 1]);
    assert_int_equal(armvmi_read_pa(h, BASE + SIZE - 1, buf, 2), -ARMVMI_EFAULT);
    assert_non_null(strstr(armvmi_errmsg(), "not guest RAM"));
    assert_int_equal(armvmi_read_pa(h, BASE - 1, buf, 2), -ARMVMI_EFAULT);
    /* ranges that would wrap the address space */
    assert_int_equal(armvmi_read_pa(h, UINT64_MAX - 3, buf, 16), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_read_pa(h, BASE + 8, buf, SIZE_MAX), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_read_pa(h, BASE, buf, 0), 0);
    armvmi_close(h);
}

static void raw_base_and_writes(void **state)
{
    (void)state;
    armvmi_t *h = open_raw("@0x1000");
    uint8_t v[4] = {1, 2, 3, 4}, back[4];
    assert_int_equal(armvmi_write_pa(h, 0x1000 + 10, v, 4), 0);
    assert_int_equal(armvmi_read_pa(h, 0x1000 + 10, back, 4), 0);
    assert_memory_equal(v, back, 4);
    assert_int_equal(armvmi_write_pa(h, 0x1000 + SIZE - 2, v, 4), -ARMVMI_EFAULT);
    /* nothing was written by the refused call */
    assert_int_equal(armvmi_read_pa(h, 0x1000 + SIZE - 2, back, 2), 0);
    assert_memory_equal(back, ref + SIZE - 2, 2);
    assert_int_equal(armvmi_write_pa(h, 0x1000 + 10, ref + 10, 4), 0); /* restore */
    armvmi_close(h);
}

static void batch_reports_each_element(void **state)
{
    (void)state;
    armvmi_t *h = open_raw("");
    uint8_t a[8], b[8], c[8];
    struct armvmi_iov iov[3] = {
        {.pa = BASE, .buf = a, .len = 8},
        {.pa = BASE + SIZE, .buf = b, .len = 8},
        {.pa = BASE + 4096, .buf = c, .len = 8},
    };
    assert_int_equal(armvmi_read_pa_batch(h, iov, 3), -ARMVMI_EFAULT);
    assert_int_equal(iov[0].status, 0);
    assert_int_equal(iov[1].status, -ARMVMI_EFAULT);
    assert_int_equal(iov[2].status, 0);
    assert_memory_equal(c, ref + 4096, 8);
    armvmi_close(h);
}

static void map_is_zero_copy(void **state)
{
    (void)state;
    armvmi_t *h = open_raw("");
    const uint8_t *p = armvmi_map_pa(h, BASE + 4096, 4096);
    assert_non_null(p);
    assert_memory_equal(p, ref + 4096, 4096);
    assert_ptr_equal(armvmi_map_pa(h, BASE + 4097, 1), p + 1);
    assert_null(armvmi_map_pa(h, BASE + SIZE - 10, 4096));
    armvmi_close(h);
}

static void dumps_pause_and_have_no_regs(void **state)
{
    (void)state;
    armvmi_t *h = open_raw("");
    bool paused = false;
    assert_int_equal(armvmi_is_paused(h, &paused), 0);
    assert_true(paused);
    assert_int_equal(armvmi_pause(h), 0);
    assert_int_equal(armvmi_pause(h), 0);
    assert_int_equal(armvmi_resume(h), 0);
    assert_int_equal(armvmi_resume(h), 0);
    assert_int_equal(armvmi_resume(h), -ARMVMI_ESTATE);
    struct armvmi_regs r;
    assert_int_equal(armvmi_get_regs(h, 0, &r), -ARMVMI_ENOTSUP);
    assert_int_equal(armvmi_set_reg(h, 0, ARMVMI_REG_X0, 1), -ARMVMI_ENOTSUP);
    armvmi_close(h);
}

static void bad_specs(void **state)
{
    (void)state;
    armvmi_t *h = (armvmi_t *)0x1;
    assert_int_equal(armvmi_open(&h, "raw:"), -ARMVMI_EINVAL);
    assert_null(h);
    assert_int_equal(armvmi_open(&h, "raw:/nonexistent@0x0"), -ARMVMI_ENOENT);
    char spec[128];
    snprintf(spec, sizeof(spec), "raw:%s@0x", img);
    assert_int_equal(armvmi_open(&h, spec), -ARMVMI_EINVAL);
    snprintf(spec, sizeof(spec), "raw:%s@0xffffffffffffff00", img);
    assert_int_equal(armvmi_open(&h, spec), -ARMVMI_EINVAL); /* would pass 2^64 */
    assert_int_equal(armvmi_open(&h, "no-such-vm-here"), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "no running VM named 'no-such-vm-here'"));
    assert_int_equal(armvmi_open(&h, ""), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_open(&h, "raw:/tmp"), -ARMVMI_EFORMAT); /* a directory */
    armvmi_close(NULL);
}

static void register_names(void **state)
{
    (void)state;
    for (int r = 0; r < ARMVMI_REG_COUNT; r++) {
        const char *n = armvmi_reg_name(r);
        assert_non_null(n);
        assert_int_equal(armvmi_reg_from_name(n), r);
    }
    assert_int_equal(armvmi_reg_from_name("x17"), ARMVMI_REG_X0 + 17);
    assert_int_equal(armvmi_reg_from_name("ttbr1_el2"), ARMVMI_REG_TTBR1_EL2);
    assert_int_equal(armvmi_reg_from_name("cpsr"), ARMVMI_REG_PSTATE);
    assert_int_equal(armvmi_reg_from_name("x31"), -ARMVMI_ENOENT);
    assert_null(armvmi_reg_name(ARMVMI_REG_COUNT));
    struct armvmi_regs s = {0};
    armvmi_reg_set(&s, ARMVMI_REG_HCR_EL2, 42);
    assert_true(armvmi_reg_valid(&s, ARMVMI_REG_HCR_EL2));
    assert_false(armvmi_reg_valid(&s, ARMVMI_REG_X0));
    assert_false(armvmi_reg_valid(&s, ARMVMI_REG_COUNT));
}

static void vm_names_and_dirs(void **state)
{
    (void)state;
    assert_true(armvmi_valid_vm_name("vm0"));
    assert_true(armvmi_valid_vm_name("a.b-c_d"));
    assert_false(armvmi_valid_vm_name(""));
    assert_false(armvmi_valid_vm_name(".hidden"));
    assert_false(armvmi_valid_vm_name("../etc"));
    assert_false(armvmi_valid_vm_name("a/b"));
    assert_false(armvmi_valid_vm_name("123456789012345678901234567890123"));
    setenv("ARMVMI_RUNTIME_DIR", "/run/test-root", 1);
    char dir[256];
    assert_int_equal(armvmi_vm_dir("x", dir, sizeof(dir)), 0);
    assert_string_equal(dir, "/run/test-root/x");
    assert_int_equal(armvmi_vm_dir("../x", dir, sizeof(dir)), -ARMVMI_EINVAL);
    unsetenv("ARMVMI_RUNTIME_DIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_info_and_reads),
        cmocka_unit_test(raw_base_and_writes),
        cmocka_unit_test(batch_reports_each_element),
        cmocka_unit_test(map_is_zero_copy),
        cmocka_unit_test(dumps_pause_and_have_no_regs),
        cmocka_unit_test(bad_specs),
        cmocka_unit_test(register_names),
        cmocka_unit_test(vm_names_and_dirs),
    };
    return cmocka_run_group_tests_name("core", tests, setup, teardown);
}
