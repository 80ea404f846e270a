/* SPDX-License-Identifier: MIT */
/* test_elf_fuzz.c — 20,000 randomly mutated small dumps must open or fail cleanly, never crash. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <armvmi/armvmi.h>

#include "elfgen.h"

static uint64_t rs;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static const uint64_t interesting[] = {0,
                                       1,
                                       2,
                                       3,
                                       4,
                                       5,
                                       7,
                                       8,
                                       12,
                                       16,
                                       56,
                                       64,
                                       0x7f,
                                       0x80,
                                       0xff,
                                       0x100,
                                       0xfff,
                                       0x1000,
                                       0xffff,
                                       0x10000,
                                       0x7fffffff,
                                       0x80000000,
                                       0xffffffff,
                                       0x100000000ull,
                                       0x40000000,
                                       0x7fffffffffffffffull,
                                       0x8000000000000000ull,
                                       ~0ull,
                                       ~0ull - 1,
                                       ~0ull - 0xfff};

/* Mutate b (len bytes, capacity cap) in place; metadata is hit more often than RAM. */
static size_t mutate(uint8_t *b, size_t len, size_t cap, size_t meta_len)
{
    int n = 1 + (int)(rnd() % 6);
    for (int k = 0; k < n && len; k++) {
        size_t span = (rnd() % 4) ? (meta_len < len ? meta_len : len) : len;
        size_t pos = rnd() % span;
        switch (rnd() % 8) {
        case 0: /* flip a bit */
            b[pos] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1: /* random byte */
            b[pos] = (uint8_t)rnd();
            break;
        case 2:
        case 3: { /* an interesting value, 2, 4 or 8 bytes wide, often aligned like a field */
            size_t w = (size_t)1 << (1 + rnd() % 3);
            if (rnd() % 2)
                pos &= ~(w - 1);
            uint64_t v = interesting[rnd() % (sizeof(interesting) / sizeof(interesting[0]))];
            if (rnd() % 4 == 0)
                v = len + (rnd() % 64) - 32;
            if (pos + w <= len)
                memcpy(b + pos, &v, w);
            break;
        }
        case 4: /* truncate */
            len = rnd() % (len + 1);
            break;
        case 5: /* append junk */
            while (len < cap && rnd() % 16)
                b[len++] = (uint8_t)rnd();
            break;
        case 6: { /* copy a block within the file (e.g. one program header over another) */
            size_t from = rnd() % len, l = 1 + rnd() % 64;
            if (from + l <= len && pos + l <= len)
                memmove(b + pos, b + from, l);
            break;
        }
        default: /* zero a run */
            memset(b + pos, 0, (len - pos) < 16 ? len - pos : 16);
            break;
        }
    }
    return len;
}

/* Use everything an opened handle offers; ASan and UBSan do the checking. */
static void exercise(armvmi_t *h, const char *dump_path, bool dump)
{
    struct armvmi_info info;
    assert_int_equal(armvmi_get_info(h, &info), 0);
    assert_true(info.nranges >= 1 && info.nranges <= ARMVMI_MAX_RAM_RANGES);
    static uint8_t buf[1 << 16];
    for (unsigned i = 0; i < info.nranges; i++) {
        const struct armvmi_ram_range *r = &info.ranges[i];
        size_t n = r->size < sizeof(buf) ? (size_t)r->size : sizeof(buf);
        assert_int_equal(armvmi_read_pa(h, r->base, buf, n), 0);
        assert_int_equal(armvmi_read_pa(h, r->base + r->size - 1, buf, 1), 0);
        volatile const uint8_t *m = armvmi_map_pa(h, r->base, (size_t)r->size);
        assert_non_null((const void *)m);
        (void)m[r->size - 1];
        if (r->base + r->size != 0)
            assert_true(armvmi_read_pa(h, r->base + r->size - 1, buf, 2) != 0 ||
                        (i + 1 < info.nranges && info.ranges[i + 1].base == r->base + r->size));
    }
    for (unsigned v = 0; v < info.vcpus && v < 64; v++) {
        struct armvmi_regs regs;
        assert_int_equal(armvmi_get_regs(h, v, &regs), 0);
    }
    if (dump) {
        assert_int_equal(armvmi_dump(h, dump_path, NULL, NULL), 0);
        armvmi_t *h2;
        assert_int_equal(armvmi_open(&h2, dump_path), 0);
        struct armvmi_info info2;
        armvmi_get_info(h2, &info2);
        assert_int_equal(info2.nranges, info.nranges);
        assert_int_equal(info2.vcpus, info.vcpus);
        assert_int_equal(info2.ram_bytes, info.ram_bytes);
        armvmi_close(h2);
        unlink(dump_path);
    }
}

static void test_fuzz(void **state)
{
    const char *s = getenv("ARMVMI_FUZZ_SEED");
    const char *it = getenv("ARMVMI_FUZZ_ITERS");
    uint64_t seed = s ? strtoull(s, NULL, 0) : ((uint64_t)time(NULL) << 16) ^ (uint64_t)getpid();
    long iters = it ? strtol(it, NULL, 0) : 20000;
    print_message("# seed %" PRIu64 " (rerun with ARMVMI_FUZZ_SEED=%" PRIu64 "), %ld dumps\n", seed,
                  seed, iters);
    rs = seed ? seed : 1;

    const struct eg_opts bases[] = {
        {.nvcpus = 2,
         .sysregs = true,
         .nsegs = 3,
         .segs = {{0x40000000, 0x200, 0x200},
                  {0x40000200, 0x100, 0x100},
                  {0x80000000, 0x80, 0x1000}}},
        {.nvcpus = 1, .sysregs = false, .nsegs = 1, .segs = {{0x40000000, 0x100, 0x100}}},
        {.nvcpus = 4,
         .sysregs = true,
         .nsegs = 2,
         .segs = {{0x1000, 0x40, 0x40}, {0x40000000, 0x40, 0x40}}},
    };
    /* the three bases, then the first two with QEMU 7.2's section headers (one with PN_XNUM) */
    enum { NB = 5 };
    struct eg_layout lays[NB];
    uint8_t *orig[NB];
    for (int i = 0; i < NB; i++) {
        orig[i] = eg_build(&bases[i % 3], &lays[i]);
        if (i >= 3)
            orig[i] = eg_add_sections(orig[i], &lays[i], i == 4);
    }

    char dir[256], path[300], out[300];
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/armvmi-fuzz-XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/f.elf", dir);
    snprintf(out, sizeof(out), "%s/out.elf", dir);

    size_t cap = 16384;
    uint8_t *b = malloc(cap);
    long opened = 0, rejected = 0;
    for (long i = 0; i < iters; i++) {
        int k = (int)(rnd() % NB);
        size_t len = lays[k].size;
        assert_true(len <= cap);
        memcpy(b, orig[k], len);
        len = mutate(b, len, cap, lays[k].notes_off + lays[k].notes_len);
        eg_write(path, b, len);
        armvmi_t *h;
        int rc = armvmi_open(&h, path);
        if (rc == 0) {
            exercise(h, out, opened % 100 == 0);
            armvmi_close(h);
            opened++;
        } else {
            if (rc != -ARMVMI_EFORMAT)
                fail_msg("iteration %ld (seed %" PRIu64 "): rc %d: %s", i, seed, rc,
                         armvmi_errmsg());
            assert_true(strlen(armvmi_errmsg()) > 10);
            rejected++;
        }
    }
    print_message("# %ld opened, %ld rejected\n", opened, rejected);
    assert_true(opened > 0 && rejected > 0);
    unlink(path);
    rmdir(dir);
    free(b);
    for (int i = 0; i < NB; i++)
        free(orig[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
