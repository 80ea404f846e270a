/* SPDX-License-Identifier: MIT */
/*
 * test_apps_check.c — the pure parts of the integrity checks (lib/apps): which names are
 * system-call entry points, the addresses ADRP/ADD pairs form (Debian 12's do_el0_svc and
 * do_el0_svc_compat as they are in memory, and hand-made encodings), and the length of a table
 * of kernel pointers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <armvmi/apps.h>

static void syscall_names(void **state)
{
    (void)state;
    assert_true(armvmi_check_syscall_name("__arm64_sys_read"));
    assert_true(armvmi_check_syscall_name("__arm64_compat_sys_sigreturn"));
    assert_true(armvmi_check_syscall_name("sys_ni_syscall"));
    assert_true(armvmi_check_syscall_name("__arm64_sys_ni_syscall"));
    /* the prefix alone, other wrappers of the same call, other functions */
    assert_false(armvmi_check_syscall_name("__arm64_sys_"));
    assert_false(armvmi_check_syscall_name("__arm64_compat_sys_"));
    assert_false(armvmi_check_syscall_name("__se_sys_read"));
    assert_false(armvmi_check_syscall_name("__do_sys_getpid"));
    assert_false(armvmi_check_syscall_name("ksys_read"));
    assert_false(armvmi_check_syscall_name("vectors"));
    assert_false(armvmi_check_syscall_name(""));
    assert_false(armvmi_check_syscall_name(NULL));
}

/* do_el0_svc of Debian 12's 6.1.0-57-arm64, at its KASLR address (from `armvmi read --va`) */
static const uint32_t el0_svc[] = {
    0xaa1e03e9, 0xd503201f, 0xd503233f, 0xa9bf7bfd, 0x910003fd,
    0xd503201f, 0x1400000b, 0xb9404001, 0x900066c2, /* adrp x2, 0xffffc7e12c100000 */
    0x9127a042,                                     /* add x2, x2, #0x9e8: sys_call_table */
    0x97ffffb9, 0xa8c17bfd, 0xd50323bf, 0xd65f03c0, 0x9000fa61, /* adrp x1, 0xffffc7e12d374000 */
    0xf942ac21, /* ldr x1, [x1, #1368]: not an ADD */
};
#define EL0_SVC 0xffffc7e12b428914ull
#define ETEXT 0xffffc7e12c100000ull

/* do_el0_svc_compat: the ADD comes three instructions after its ADRP */
static const uint32_t el0_svc_compat[] = {
    0xaa1e03e9, 0xd503201f, 0xd503233f, 0xa9bf7bfd, 0xf00066e2, /* adrp x2, 0xffffc7e12c107000 */
    0x910003fd,                                                 /* mov x29, sp (add x29, sp, #0) */
    0xb9403801, 0x91030042, /* add x2, x2, #0xc0: compat_sys_call_table */
    0x97ffff94,
};
#define EL0_SVC_COMPAT 0xffffc7e12b4289b0ull

static void adrp_add_kernel(void **state)
{
    (void)state;
    uint64_t out[4];
    size_t n = sizeof(el0_svc) / 4;
    assert_int_equal(armvmi_check_adrp_add(el0_svc, n, EL0_SVC, ETEXT, ETEXT + (256 << 20), out, 4),
                     1);
    assert_true(out[0] == 0xffffc7e12c1009e8ull);
    /* below the range: nothing */
    assert_int_equal(
        armvmi_check_adrp_add(el0_svc, n, EL0_SVC, ETEXT + 0x1000, ETEXT + 0x2000, out, 4), 0);
    n = sizeof(el0_svc_compat) / 4;
    assert_int_equal(armvmi_check_adrp_add(el0_svc_compat, n, EL0_SVC_COMPAT, ETEXT,
                                           ETEXT + (256 << 20), out, 4),
                     1);
    assert_true(out[0] == 0xffffc7e12c1070c0ull);
    /* the same code at another address (another KASLR slide) forms slid addresses */
    assert_int_equal(
        armvmi_check_adrp_add(el0_svc_compat, n, EL0_SVC_COMPAT - 0x200000, 0, UINT64_MAX, out, 4),
        1);
    assert_true(out[0] == 0xffffc7e12c1070c0ull - 0x200000);
}

static void adrp_add_encodings(void **state)
{
    (void)state;
    uint64_t out[4];
    const uint64_t pc = 0x10000800;
    const uint32_t code[] = {
        0xf0ffffe0, /* adrp x0, . - 4096 (immhi:immlo all ones: -1 page) */
        0x91400400, /* add x0, x0, #1, lsl #12: back to the PC's page */
        0x11000421, /* add w1, w1, #1 (32-bit: ignored) */
        0x91000442, /* add x2, x2, #1: x2 has no ADRP */
        0x90000003, /* adrp x3, . */
        0x91002064, /* add x4, x3, #8: Rd != Rn */
        0x91002064, /* the same address again: not repeated */
        0x91004063, /* add x3, x3, #16 */
        0x91004063, /* x3 is no longer a page: nothing */
    };
    size_t n = sizeof(code) / 4;
    assert_int_equal(armvmi_check_adrp_add(code, n, pc, 0, UINT64_MAX, out, 4), 3);
    assert_true(out[0] == 0x10000000);
    assert_true(out[1] == 0x10000008);
    assert_true(out[2] == 0x10000010);
    /* at most max */
    assert_int_equal(armvmi_check_adrp_add(code, n, pc, 0, UINT64_MAX, out, 1), 1);
    assert_true(out[0] == 0x10000000);
    assert_int_equal(armvmi_check_adrp_add(code, 0, pc, 0, UINT64_MAX, out, 4), 0);
}

static void ptr_run(void **state)
{
    (void)state;
    const uint64_t min = 0xffff000000000000ull;
    /* the end of Debian 12's sys_call_table: pointers, then the string "dump_backtrace" */
    const uint64_t w[] = {0xffffc7e12b57dca4ull, 0xffffc7e12b761184ull, 0x6361625f706d7564ull,
                          0xffffc7e12c3e7ec0ull};
    assert_int_equal(armvmi_check_ptr_run(w, 4, min), 2);
    assert_int_equal(armvmi_check_ptr_run(w, 1, min), 1);
    assert_int_equal(armvmi_check_ptr_run(w + 2, 2, min), 0);
    assert_int_equal(armvmi_check_ptr_run(w, 0, min), 0);
}

static void where_names(void **state)
{
    (void)state;
    assert_string_equal(armvmi_check_where_name(ARMVMI_WHERE_EXPECTED), "expected");
    assert_string_equal(armvmi_check_where_name(ARMVMI_WHERE_MODULE), "module");
    assert_string_equal(armvmi_check_where_name(ARMVMI_WHERE_UNKNOWN), "unknown memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syscall_names),      cmocka_unit_test(adrp_add_kernel),
        cmocka_unit_test(adrp_add_encodings), cmocka_unit_test(ptr_run),
        cmocka_unit_test(where_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
