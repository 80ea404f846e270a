/* SPDX-License-Identifier: MIT */
/*
 * test_mapguard.c — a dump or image truncated by another process while it is open: reads and
 * writes past the new end fail with ARMVMI_EIO instead of killing the program with SIGBUS,
 * and a SIGBUS that is not the library's still reaches the program's own handler or kills it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <armvmi/armvmi.h>
#include "elfgen.h"

#define BASE 0x40000000ull
#define SIZE (64u * 1024)

static char img[96], core[96], other[96];

static void write_file(const char *path, size_t len)
{
    uint8_t *b = malloc(len);
    assert_non_null(b);
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(i * 13 + 1);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(b);
}

static int setup(void **state)
{
    (void)state;
    snprintf(img, sizeof(img), "/tmp/armvmi-mapguard-%d.bin", (int)getpid());
    snprintf(core, sizeof(core), "/tmp/armvmi-mapguard-%d.elf", (int)getpid());
    snprintf(other, sizeof(other), "/tmp/armvmi-mapguard-%d.other", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(img);
    unlink(core);
    unlink(other);
    return 0;
}

static void raw_truncated_while_open(void **state)
{
    (void)state;
    char spec[128];
    uint8_t buf[16];
    write_file(img, SIZE);
    snprintf(spec, sizeof(spec), "raw:%s", img);
    armvmi_t *h = NULL;
    assert_int_equal(armvmi_open(&h, spec), 0);
    assert_int_equal(armvmi_read_pa(h, BASE + 0x8000, buf, sizeof(buf)), 0);
    assert_int_equal(buf[0], (uint8_t)(0x8000 * 13 + 1));

    assert_int_equal(truncate(img, 8192), 0); /* another process cuts the file */
    assert_int_equal(armvmi_read_pa(h, BASE + 0x8000, buf, sizeof(buf)), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "truncated while open"));
    assert_non_null(strstr(armvmi_errmsg(), "0x40008000"));
    /* The file changed under the mapping: nothing read through it is trusted any more. */
    assert_int_equal(armvmi_read_pa(h, BASE, buf, sizeof(buf)), -ARMVMI_EIO);
    assert_int_equal(armvmi_write_pa(h, BASE + 0xc000, buf, sizeof(buf)), -ARMVMI_EIO);
    armvmi_close(h);

    /* A dump of a target whose file shrank fails cleanly and leaves no partial file. */
    char out[128];
    snprintf(out, sizeof(out), "%s.dump", img);
    write_file(img, SIZE);
    assert_int_equal(armvmi_open(&h, spec), 0);
    assert_int_equal(truncate(img, 8192), 0);
    assert_int_equal(armvmi_dump(h, out, NULL, NULL), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "truncated"));
    assert_int_equal(access(out, F_OK), -1);
    armvmi_close(h);

    /* Reopened, it is the shorter image, and reads work again. */
    assert_int_equal(armvmi_open(&h, spec), 0);
    struct armvmi_info in;
    assert_int_equal(armvmi_get_info(h, &in), 0);
    assert_int_equal(in.ram_bytes, 8192);
    assert_int_equal(armvmi_read_pa(h, BASE + 0x1000, buf, sizeof(buf)), 0);
    assert_int_equal(buf[0], (uint8_t)(0x1000 * 13 + 1));
    armvmi_close(h);
}

static void elf_truncated_while_open(void **state)
{
    (void)state;
    static const struct eg_opts o = {
        .nvcpus = 1,
        .nsegs = 2,
        .segs = {{0x40000000, 0x4000, 0x4000}, {0x50000000, 0x8000, 0x8000}}};
    struct eg_layout lay;
    uint8_t *b = eg_build(&o, &lay);
    eg_write(core, b, lay.size);
    free(b);
    armvmi_t *h = NULL;
    uint8_t buf[8];
    assert_int_equal(armvmi_open(&h, core), 0);
    assert_int_equal(armvmi_read_pa(h, 0x50007000, buf, sizeof(buf)), 0);
    assert_int_equal(buf[0], eg_byte(0x50007000));

    assert_int_equal(truncate(core, (off_t)lay.seg_off[1]), 0); /* the second segment is gone */
    assert_int_equal(armvmi_read_pa(h, 0x50007000, buf, sizeof(buf)), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "truncated while open"));
    /* Registers were copied at open and stay readable. */
    struct armvmi_regs r;
    assert_int_equal(armvmi_get_regs(h, 0, &r), 0);
    armvmi_close(h);
}

/* Touch the first byte past the end of a file mapping the test made itself (not the library). */
static void touch_foreign_truncated_mapping(void)
{
    write_file(other, 16384);
    FILE *f = fopen(other, "rb");
    if (!f)
        _exit(3);
    volatile uint8_t *m = mmap(NULL, 16384, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    if (m == MAP_FAILED || truncate(other, 4096))
        _exit(3);
    (void)m[8192];
}

/* Open a guarded target, then fault on the test's own truncated mapping. */
static void child_foreign_fault(void)
{
    char spec[128];
    armvmi_t *h = NULL;
    write_file(img, SIZE);
    snprintf(spec, sizeof(spec), "raw:%s", img);
    if (armvmi_open(&h, spec))
        _exit(4);
    touch_foreign_truncated_mapping();
    _exit(0); /* survived a SIGBUS that was not the library's: wrong */
}

static void foreign_sigbus_still_kills(void **state)
{
    (void)state;
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        /* A program with no SIGBUS handler of its own (cmocka and sanitizers install one). */
        signal(SIGBUS, SIG_DFL);
        child_foreign_fault();
    }
    int st;
    assert_int_equal(waitpid(p, &st, 0), p);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGBUS);
}

static void on_bus(int sig)
{
    (void)sig;
    _exit(42);
}

static void foreign_sigbus_reaches_program_handler(void **state)
{
    (void)state;
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        signal(SIGBUS, on_bus); /* the program's handler, installed before the library's */
        child_foreign_fault();
    }
    int st;
    assert_int_equal(waitpid(p, &st, 0), p);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_truncated_while_open),
        cmocka_unit_test(elf_truncated_while_open),
        cmocka_unit_test(foreign_sigbus_still_kills),
        cmocka_unit_test(foreign_sigbus_reaches_program_handler),
    };
    return cmocka_run_group_tests_name("mapguard", tests, setup, teardown);
}
