/* SPDX-License-Identifier: MIT */
/*
 * test_linux_vmcoreinfo.c — the VMCOREINFO parser on hostile text (truncated, unterminated,
 * huge numbers, duplicate keys, garbage, forged notes) and kernel discovery on raw images.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armvmi/linux.h>

#define GOOD                                                                                       \
    "OSRELEASE=6.1.0-57-arm64\n"                                                                   \
    "BUILD-ID=d34ebfe0b641cdfdc5460d84a5d1f9380050eb97\n"                                          \
    "PAGESIZE=4096\n"                                                                              \
    "SYMBOL(init_uts_ns)=ffff800008200100\n"                                                       \
    "SYMBOL(swapper_pg_dir)=ffff800008201000\n"                                                    \
    "SYMBOL(_stext)=ffff800008210000\n"                                                            \
    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"                                                     \
    "NUMBER(VA_BITS)=48\n"                                                                         \
    "NUMBER(MODULES_END)=0xffff800008000000\n"                                                     \
    "NUMBER(kimage_voffset)=0xffff7fffc8000000\n"                                                  \
    "NUMBER(PHYS_OFFSET)=0x40000000\n"                                                             \
    "NUMBER(TCR_EL1_T1SZ)=0x10\n"                                                                  \
    "KERNELOFFSET=8000000\n"

static int parse(const char *s, struct armvmi_linux_vmcoreinfo *v)
{
    return armvmi_linux_vmcoreinfo_parse(s, strlen(s), v);
}

static void good_text(void **state)
{
    struct armvmi_linux_vmcoreinfo v;
    assert_int_equal(parse(GOOD, &v), 0);
    assert_string_equal(v.osrelease, "6.1.0-57-arm64");
    assert_int_equal(v.val[ARMVMI_VMCI_PAGESIZE], 4096);
    assert_int_equal(v.val[ARMVMI_VMCI_VA_BITS], 48);
    assert_int_equal(v.val[ARMVMI_VMCI_KIMAGE_VOFFSET], 0xffff7fffc8000000ull);
    assert_int_equal(v.val[ARMVMI_VMCI_KERNELOFFSET], 0x8000000);
    assert_int_equal(v.val[ARMVMI_VMCI_TCR_EL1_T1SZ], 16);
    assert_int_equal(v.val[ARMVMI_VMCI_SYM_SWAPPER_PG_DIR], 0xffff800008201000ull);
    assert_true(v.present & (1u << ARMVMI_VMCI_MODULES_END));
    assert_false(v.present & (1u << ARMVMI_VMCI_VMALLOC_END));
    assert_int_equal(v.bad_lines, 0);
    assert_string_equal(armvmi_linux_vmci_key_name(ARMVMI_VMCI_VA_BITS), "NUMBER(VA_BITS)");
    assert_null(armvmi_linux_vmci_key_name(ARMVMI_VMCI_NKEYS));
}

static void truncated_and_unterminated(void **state)
{
    struct armvmi_linux_vmcoreinfo v;
    /* every prefix: never a crash; a cut number is never taken */
    for (size_t n = 0; n <= strlen(GOOD); n++) {
        int rc = armvmi_linux_vmcoreinfo_parse(GOOD, n, &v);
        assert_true(rc == 0 || rc == -ARMVMI_EFORMAT);
        if (v.present & (1u << ARMVMI_VMCI_KIMAGE_VOFFSET))
            assert_int_equal(v.val[ARMVMI_VMCI_KIMAGE_VOFFSET], 0xffff7fffc8000000ull);
    }
    /* the last line has no newline: ignored */
    assert_int_equal(parse("OSRELEASE=6.1\nPAGESIZE=4096\nNUMBER(VA_BITS)=48\n"
                           "SYMBOL(swapper_pg_dir)=ffff000000001000\n"
                           "NUMBER(kimage_voffset)=0x10",
                           &v),
                     -ARMVMI_EFORMAT);
    assert_int_equal(v.bad_lines, 1);
    assert_non_null(strstr(armvmi_errmsg(), "kimage_voffset"));
    /* text stops at a NUL */
    char buf[sizeof(GOOD) + 8];
    memcpy(buf, GOOD, sizeof(GOOD));
    buf[30] = 0;
    assert_int_equal(armvmi_linux_vmcoreinfo_parse(buf, sizeof(buf), &v), -ARMVMI_EFORMAT);
    assert_int_equal(armvmi_linux_vmcoreinfo_parse(NULL, 0, &v), -ARMVMI_EFORMAT);
    assert_int_equal(armvmi_linux_vmcoreinfo_parse(NULL, 5, &v), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_linux_vmcoreinfo_parse(GOOD, 5, NULL), -ARMVMI_EINVAL);
}

static void huge_and_bad_numbers(void **state)
{
    struct armvmi_linux_vmcoreinfo v;
    static const char *const bad[] = {
        "NUMBER(kimage_voffset)=0x1ffffffffffffffff\n",  /* 65 bits */
        "NUMBER(kimage_voffset)=18446744073709551616\n", /* 2^64 */
        "NUMBER(kimage_voffset)=0x\n",
        "NUMBER(kimage_voffset)=\n",
        "NUMBER(kimage_voffset)=-1\n",
        "NUMBER(kimage_voffset)=12abc\n",
        "NUMBER(kimage_voffset)= 12\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char t[1024];
        snprintf(t, sizeof(t),
                 "OSRELEASE=6.1\nPAGESIZE=4096\nNUMBER(VA_BITS)=48\n"
                 "SYMBOL(swapper_pg_dir)=ffff000000001000\n%s",
                 bad[i]);
        assert_int_equal(parse(t, &v), -ARMVMI_EFORMAT);
        assert_int_equal(v.bad_lines, 1);
    }
    /* the largest value fits */
    assert_int_equal(parse("OSRELEASE=6.1\nPAGESIZE=4096\nNUMBER(VA_BITS)=48\n"
                           "SYMBOL(swapper_pg_dir)=ffffffffffffffff\n"
                           "NUMBER(kimage_voffset)=18446744073709551615\n",
                           &v),
                     0);
    assert_int_equal(v.val[ARMVMI_VMCI_KIMAGE_VOFFSET], UINT64_MAX);
    /* values out of the architecture's range */
    char t[512];
    strcpy(t, GOOD);
    memcpy(strstr(t, "PAGESIZE=4096"), "PAGESIZE=8192", 13);
    assert_int_equal(parse(t, &v), -ARMVMI_EFORMAT);
    strcpy(t, GOOD);
    memcpy(strstr(t, "VA_BITS)=48"), "VA_BITS)=64", 11);
    assert_int_equal(parse(t, &v), -ARMVMI_EFORMAT);
    strcpy(t, GOOD);
    memcpy(strstr(t, "T1SZ)=0x10"), "T1SZ)=0x40", 10);
    assert_int_equal(parse(t, &v), -ARMVMI_EFORMAT);
    /* a release longer than the kernel's 64 characters is ignored */
    char lr[1024];
    snprintf(lr, sizeof(lr), "OSRELEASE=%0100d\n%s", 7,
             GOOD + strlen("OSRELEASE=6.1.0-57-arm64\n"));
    assert_int_equal(parse(lr, &v), -ARMVMI_EFORMAT);
}

static void duplicates(void **state)
{
    struct armvmi_linux_vmcoreinfo v;
    /* the same value twice is harmless */
    assert_int_equal(parse(GOOD "NUMBER(VA_BITS)=48\nOSRELEASE=6.1.0-57-arm64\n", &v), 0);
    /* a second, different value is a forgery or a mix of copies: rejected */
    assert_int_equal(parse(GOOD "NUMBER(kimage_voffset)=0xffff000000000000\n", &v),
                     -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "NUMBER(kimage_voffset) twice"));
    assert_int_equal(parse(GOOD "OSRELEASE=9.9\n", &v), -ARMVMI_EFORMAT);
}

static void garbage(void **state)
{
    struct armvmi_linux_vmcoreinfo v;
    unsigned char g[8192];
    srand(7);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(g); i++)
            g[i] = (unsigned char)(round & 1 ? "=\nA0x("[rand() % 6] : rand());
        assert_int_equal(armvmi_linux_vmcoreinfo_parse(g, sizeof(g), &v), -ARMVMI_EFORMAT);
    }
    /* control characters and overlong lines are dropped, the rest still parses */
    char t[2048];
    char longl[400];
    memset(longl, 'A', sizeof(longl) - 1);
    longl[sizeof(longl) - 1] = 0;
    snprintf(t, sizeof(t), "%s\nX\x01Y=1\n%s=2\n", GOOD, longl);
    assert_int_equal(parse(t, &v), 0);
    assert_int_equal(v.bad_lines, 2);
}

static void notes(void **state)
{
    unsigned char b[4096] = {11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(b + 12, "VMCOREINFO", 11);
    uint32_t dsz = (uint32_t)strlen(GOOD);
    memcpy(b + 4, &dsz, 4);
    memcpy(b + 24, GOOD, dsz);
    const void *d;
    size_t dl;
    assert_int_equal(armvmi_linux_vmcoreinfo_note(b, sizeof(b), &d, &dl), 0);
    assert_ptr_equal(d, b + 24);
    assert_int_equal(dl, dsz);
    /* a forged size past the buffer is clamped */
    dsz = 0xffffffffu;
    memcpy(b + 4, &dsz, 4);
    assert_int_equal(armvmi_linux_vmcoreinfo_note(b, 100, &d, &dl), 0);
    assert_int_equal(dl, 100 - 24);
    struct armvmi_linux_vmcoreinfo v;
    assert_int_equal(armvmi_linux_vmcoreinfo_parse(d, dl, &v), -ARMVMI_EFORMAT);
    /* wrong type, name or namesz; too short */
    b[8] = 1;
    assert_int_equal(armvmi_linux_vmcoreinfo_note(b, sizeof(b), &d, &dl), -ARMVMI_ENOENT);
    b[8] = 0;
    b[12] = 'v';
    assert_int_equal(armvmi_linux_vmcoreinfo_note(b, sizeof(b), &d, &dl), -ARMVMI_ENOENT);
    b[12] = 'V';
    b[0] = 12;
    assert_int_equal(armvmi_linux_vmcoreinfo_note(b, sizeof(b), &d, &dl), -ARMVMI_ENOENT);
    b[0] = 11;
    assert_int_equal(armvmi_linux_vmcoreinfo_note(b, 23, &d, &dl), -ARMVMI_ENOENT);
}

/* ---- discovery on a raw image ---- */

#define BASE 0x40000000ull
#define MEM (4ull << 20)
#define ROOT 0x40201000ull /* swapper_pg_dir: ffff800008201000 - kimage_voffset */
#define KVA 0xffff800008200000ull

static void put64(unsigned char *m, uint64_t pa, uint64_t v)
{
    memcpy(m + (pa - BASE), &v, 8);
}

/* A 4K/48-bit kernel: the 2 MiB block at KVA maps to PA 0x40200000, like GOOD says. */
static char *image(const char *text, bool note, bool tables, const char *uts_release)
{
    static char path[64];
    unsigned char *m = calloc(1, MEM);
    assert_non_null(m);
    if (tables) {
        put64(m, ROOT + ((KVA >> 39) & 511) * 8, (ROOT + 0x1000) | 3);
        put64(m, ROOT + 0x1000 + ((KVA >> 30) & 511) * 8, (ROOT + 0x2000) | 3);
        put64(m, ROOT + 0x2000 + ((KVA >> 21) & 511) * 8, 0x40200000ull | 1 | 1u << 10);
    }
    unsigned char *uts = m + (0x40200100 - BASE);
    memcpy(uts, "Linux", 6);
    strcpy((char *)uts + 130, uts_release);
    unsigned char *p = m + 0x300000;
    if (note) {
        uint32_t h[3] = {11, (uint32_t)strlen(text), 0};
        memcpy(p, h, 12);
        memcpy(p + 12, "VMCOREINFO", 11);
        memcpy(p + 24, text, strlen(text));
    } else {
        memcpy(p, text, strlen(text));
    }
    strcpy(path, "/tmp/armvmi-kd-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, m, MEM), (ssize_t)MEM);
    close(fd);
    free(m);
    static char spec[128];
    snprintf(spec, sizeof(spec), "raw:%s@0x40000000", path);
    return spec;
}

static int discover(const char *spec, struct armvmi_linux_kernel *k)
{
    armvmi_t *h;
    assert_int_equal(armvmi_open(&h, spec), 0);
    int rc = armvmi_linux_discover(h, k);
    if (rc == 0) { /* the context built from discovery alone translates the image */
        struct armvmi_tt_config cfg;
        uint64_t pa;
        assert_int_equal(armvmi_linux_kernel_ttconfig(k, &cfg), 0);
        if (k->hits[k->chosen].validated) {
            assert_int_equal(armvmi_va_to_pa(h, &cfg, KVA + 0x10000, &pa), 0);
            assert_int_equal(pa, 0x40210000);
        }
    }
    armvmi_close(h);
    return rc;
}

static void discover_raw(void **state)
{
    struct armvmi_linux_kernel *k = calloc(1, sizeof(*k));
    char path[128];
    for (int note = 0; note < 2; note++) {
        const char *spec = image(GOOD, note, true, "6.1.0-57-arm64");
        snprintf(path, sizeof(path), "%s", spec + 4);
        *strchr(path, '@') = 0;
        assert_int_equal(discover(spec, k), 0);
        unlink(path);
        assert_string_equal(k->release, "6.1.0-57-arm64");
        assert_int_equal(k->nhits, 1);
        assert_true(k->hits[0].validated);
        assert_int_equal(k->hits[0].note, note);
        assert_int_equal(k->hits[0].pa, BASE + 0x300000);
        assert_int_equal(k->kaslr_offset.value, 0x8000000);
        assert_int_equal(k->swapper_pg_dir_pa.value, ROOT);
        assert_int_equal(k->stext_pa.value, 0x40210000);
        assert_int_equal(k->va_bits.value, 48);
        assert_int_equal(k->page_offset.value, 0xffff000000000000ull);
        assert_string_equal(k->ttbr1_check, "");
        assert_non_null(strstr(k->release_source, "init_uts_ns"));
    }
    /* a stale or forged copy whose tables do not confirm it: used, but marked unvalidated */
    const char *spec = image(GOOD, false, true, "5.10.0-other");
    snprintf(path, sizeof(path), "%s", spec + 4);
    *strchr(path, '@') = 0;
    assert_int_equal(discover(spec, k), 0);
    unlink(path);
    assert_false(k->hits[0].validated);
    assert_non_null(strstr(k->release_source, "unvalidated"));
    /* no VMCOREINFO: the message says what was scanned */
    spec = image("nothing here\n", false, false, "x");
    snprintf(path, sizeof(path), "%s", spec + 4);
    *strchr(path, '@') = 0;
    assert_int_equal(discover(spec, k), -ARMVMI_ENOENT);
    unlink(path);
    assert_non_null(strstr(armvmi_errmsg(), "no usable VMCOREINFO in 4 MiB of RAM"));
    /* a forged page that does not parse: a candidate, rejected */
    spec = image("OSRELEASE=6.1\nPAGESIZE=3\n", false, false, "x");
    snprintf(path, sizeof(path), "%s", spec + 4);
    *strchr(path, '@') = 0;
    assert_int_equal(discover(spec, k), -ARMVMI_ENOENT);
    unlink(path);
    assert_non_null(strstr(armvmi_errmsg(), "1 candidate page"));
    free(k);
}

/* The kernel context from discovery alone: Arm ARM D19.2.139 TCR_EL1 fields. */
/* ARMVMI_LINUX_DISCOVER_FIRST: the full scan's copy and facts, RAM scanned only up to it; a copy
 * that does not validate does not stop the scan. */
static void discover_first(void **state)
{
    (void)state;
    struct armvmi_linux_kernel *k = calloc(1, sizeof(*k)), *f = calloc(1, sizeof(*f));
    for (int good = 1; good >= 0; good--) {
        const char *spec = image(GOOD, true, true, good ? "6.1.0-57-arm64" : "5.10.0-other");
        char path[128];
        snprintf(path, sizeof(path), "%s", spec + 4);
        *strchr(path, '@') = 0;
        armvmi_t *h;
        assert_int_equal(armvmi_open(&h, spec), 0);
        assert_int_equal(armvmi_linux_discover(h, k), 0);
        assert_int_equal(armvmi_linux_discover_flags(h, f, ARMVMI_LINUX_DISCOVER_FIRST), 0);
        armvmi_close(h);
        unlink(path);
        assert_int_equal(k->scanned, MEM);
        assert_int_equal(f->scanned, good ? 0x301000 : MEM);
        assert_int_equal(f->nhits, 1);
        assert_int_equal(f->hits[0].validated, good);
        assert_string_equal(f->release, k->release);
        assert_string_equal(f->release_source, k->release_source);
        assert_int_equal(f->stext_pa.value, k->stext_pa.value);
        assert_int_equal(f->swapper_pg_dir_pa.value, k->swapper_pg_dir_pa.value);
        assert_int_equal(f->kaslr_offset.value, k->kaslr_offset.value);
    }
    free(k);
    free(f);
}

static void ttconfig(void **state)
{
    struct armvmi_linux_kernel k = {0};
    struct armvmi_tt_config c;
    assert_int_equal(armvmi_linux_kernel_ttconfig(&k, &c), -ARMVMI_EINVAL);
    k.swapper_pg_dir_pa = (struct armvmi_linux_fact){0x41858000, true, "t"};
    k.page_size = (struct armvmi_linux_fact){4096, true, "t"};
    k.t1sz = (struct armvmi_linux_fact){16, true, "t"};
    assert_int_equal(armvmi_linux_kernel_ttconfig(&k, &c), 0);
    /* T1SZ 16, TG1 4K (0b10), EPD0, IPS 48 bits */
    assert_int_equal(c.tcr, 0x580100080ull);
    assert_int_equal(c.ttbr1, 0x41858000);
    assert_int_equal(c.regime, ARMVMI_REGIME_EL10);
    assert_int_equal(c.features, 0);
    k.page_size.value = 16384;
    k.t1sz.value = 17; /* 47-bit VAs, the arm64-16k flavour's 48-bit build minus one */
    assert_int_equal(armvmi_linux_kernel_ttconfig(&k, &c), 0);
    assert_int_equal(c.tcr, 0x540110080ull);
    k.t1sz.value = 12; /* 52-bit with 16K: LPA2, DS=1, IPS 52 bits */
    assert_int_equal(armvmi_linux_kernel_ttconfig(&k, &c), 0);
    assert_int_equal(c.tcr, (1ull << 59) | 0x6400c0080ull);
    assert_int_equal(c.features, ARMVMI_FEAT_LPA2);
    assert_int_equal(c.pa_bits, 52);
    k.page_size.value = 65536; /* 52-bit with 64K: FEAT_LVA, no DS */
    assert_int_equal(armvmi_linux_kernel_ttconfig(&k, &c), 0);
    assert_int_equal(c.tcr, 0x5c00c0080ull);
    assert_int_equal(c.features, ARMVMI_FEAT_LVA);
    k.page_size.value = 8192;
    assert_int_equal(armvmi_linux_kernel_ttconfig(&k, &c), -ARMVMI_EINVAL);
    k.page_size.value = 4096;
    k.t1sz.value = 40;
    assert_int_equal(armvmi_linux_kernel_ttconfig(&k, &c), -ARMVMI_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_text),
        cmocka_unit_test(truncated_and_unterminated),
        cmocka_unit_test(huge_and_bad_numbers),
        cmocka_unit_test(duplicates),
        cmocka_unit_test(garbage),
        cmocka_unit_test(notes),
        cmocka_unit_test(discover_raw),
        cmocka_unit_test(discover_first),
        cmocka_unit_test(ttconfig),
    };
    return cmocka_run_group_tests_name("linux_vmcoreinfo", tests, NULL, NULL);
}
