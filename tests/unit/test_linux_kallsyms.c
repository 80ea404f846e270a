/* SPDX-License-Identifier: MIT */
/*
 * test_linux_kallsyms.c — kallsyms decoding on synthetic images in each layout (5.4, 6.1, 6.2,
 * 6.4; absolute per-CPU offsets), found through VMCOREINFO's locations and by the scan; lookups
 * both ways; the exported-symbol table; truncated and garbage tables end in clear errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linux.h>

#include "kallsyms_gen.h"

#define NSYMS 700 /* three markers */

/* Every kallsyms symbol of g, at its address with its type; then the exported data symbols. */
static void check_all(const struct kgen *g, armvmi_linux_syms_t *s)
{
    struct armvmi_linux_syms_info in;
    armvmi_linux_syms_get_info(s, &in);
    assert_int_equal(in.kallsyms, g->n);
    assert_int_equal(in.ksymtab, g->nexp);
    assert_int_equal(armvmi_linux_syms_count(s), g->n + g->nexp);
    assert_int_equal(in.loc.names, g->loc.names);
    assert_int_equal(in.loc.token_table, g->loc.token_table);
    assert_int_equal(in.loc.offsets, g->loc.offsets);
    assert_int_equal(in.markers, g->va + g->markers_off);
    /* kallsyms symbols, in table order, are the first g->n entries in address order when
       the table is address-sorted (always, except per-CPU ones first) */
    size_t seen = 0;
    for (size_t i = 0; i < armvmi_linux_syms_count(s); i++) {
        struct armvmi_linux_sym y;
        assert_int_equal(armvmi_linux_syms_at(s, i, &y), 0);
        if (y.source != ARMVMI_SYM_KALLSYMS)
            continue;
        const struct kgen_sym *want = &g->syms[seen++];
        assert_string_equal(y.name, want->name);
        assert_int_equal(y.addr, want->addr);
        assert_int_equal(y.type, want->type);
    }
    assert_int_equal(seen, g->n);
    for (unsigned i = 0; i < g->n; i++) {
        struct armvmi_linux_sym y;
        assert_int_equal(armvmi_linux_syms_lookup(s, g->syms[i].name, &y), 0);
        assert_int_equal(y.source, ARMVMI_SYM_KALLSYMS);
        if (strcmp(g->syms[i].name, "dup_static_fn") != 0)
            assert_int_equal(y.addr, g->syms[i].addr);
        else /* the lowest of the two */
            assert_int_equal(y.addr, g->syms[g->n / 3].addr);
        uint64_t off;
        assert_int_equal(armvmi_linux_syms_addr(s, g->syms[i].addr + 3, &y, &off), 0);
        if (i + 1 < g->n && g->syms[i + 1].addr > g->syms[i].addr + 3) {
            assert_int_equal(y.addr, g->syms[i].addr);
            assert_int_equal(off, 3);
        }
    }
    for (unsigned j = 0; j < g->nexp; j++) {
        struct armvmi_linux_sym y;
        assert_int_equal(armvmi_linux_syms_lookup(s, g->exp[j].name, &y), 0);
        assert_int_equal(y.source, ARMVMI_SYM_KSYMTAB);
        assert_int_equal(y.addr, g->exp[j].addr);
        assert_int_equal(y.type, '?');
    }
    struct armvmi_linux_sym y;
    uint64_t off;
    assert_int_equal(armvmi_linux_syms_lookup(s, "no_such_symbol", &y), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "no_such_symbol"));
    assert_int_equal(armvmi_linux_syms_addr(s, g->exp[g->nexp - 1].addr + 1, &y, &off),
                     -ARMVMI_ENOENT); /* above the last symbol */
    if (!in.abs_percpu)               /* below the first */
        assert_int_equal(armvmi_linux_syms_addr(s, g->syms[0].addr - 1, &y, &off), -ARMVMI_ENOENT);
    assert_int_equal(armvmi_linux_syms_at(s, armvmi_linux_syms_count(s), &y), -ARMVMI_ENOENT);
}

/* armvmi_linux_syms_find_in_image, a few names at a time, agrees with the whole table s. */
static void check_find(const struct kgen *g, bool scan, armvmi_linux_syms_t *s)
{
    const struct armvmi_linux_kallsyms_loc *loc = scan ? NULL : &g->loc;
    const char *names[ARMVMI_LINUX_SYMS_FIND_MAX];
    struct armvmi_linux_sym out[ARMVMI_LINUX_SYMS_FIND_MAX], y;
    size_t k = 0, total = g->n + g->nexp + 1;
    for (size_t i = 0; i < total; i++) {
        const char *nm = i < g->n        ? g->syms[i].name
                         : i < total - 1 ? g->exp[i - g->n].name
                                         : "no_such_symbol";
        if (strcmp(nm, "dup_static_fn") == 0)
            continue; /* the first in table order, not the lowest address */
        names[k++] = nm;
        if (k < ARMVMI_LINUX_SYMS_FIND_MAX && i + 1 < total)
            continue;
        int rc =
            armvmi_linux_syms_find_in_image(g->img, g->len, g->va, loc, NULL, 0, names, k, out);
        int want = 0;
        for (size_t j = 0; j < k; j++) {
            if (armvmi_linux_syms_lookup(s, names[j], &y)) {
                assert_null(out[j].name);
                continue;
            }
            want++;
            assert_ptr_equal(out[j].name, names[j]);
            assert_int_equal(out[j].addr, y.addr);
            assert_int_equal(out[j].type, y.type);
            assert_int_equal(out[j].source, y.source);
        }
        assert_int_equal(rc, want);
        /* kallsyms only: the exported names are not found, the others as before */
        rc = armvmi_linux_syms_find_in_image(g->img, g->len, g->va, loc, NULL,
                                             ARMVMI_LINUX_SYMS_NO_KSYMTAB, names, k, out);
        int want_nk = 0;
        for (size_t j = 0; j < k; j++) {
            bool kall =
                armvmi_linux_syms_lookup(s, names[j], &y) == 0 && y.source != ARMVMI_SYM_KSYMTAB;
            want_nk += kall;
            if (kall)
                assert_int_equal(out[j].addr, y.addr);
            else
                assert_null(out[j].name);
        }
        assert_int_equal(rc, want_nk);
        k = 0;
    }
    /* too many names; a garbage image is an error, not a miss */
    assert_int_equal(armvmi_linux_syms_find_in_image(g->img, g->len, g->va, loc, NULL, 0, names,
                                                     ARMVMI_LINUX_SYMS_FIND_MAX + 1, out),
                     -ARMVMI_EINVAL);
    uint8_t zero[4096] = {0};
    names[0] = "init_task";
    assert_int_equal(
        armvmi_linux_syms_find_in_image(zero, sizeof(zero), g->va, NULL, NULL, 0, names, 1, out),
        -ARMVMI_EFORMAT);
}

static void layout(enum kgen_layout lay, int percpu)
{
    struct kgen g;
    kgen_build(&g, lay, NSYMS, percpu);
    for (int scan = 0; scan < 2; scan++) {
        armvmi_linux_syms_t *s = NULL;
        int rc =
            armvmi_linux_syms_from_image(g.img, g.len, g.va, scan ? NULL : &g.loc, NULL, 0, &s);
        if (rc)
            fail_msg("layout %d percpu %d scan %d: %s", lay, percpu, scan, armvmi_errmsg());
        struct armvmi_linux_syms_info in;
        armvmi_linux_syms_get_info(s, &in);
        assert_string_equal(in.kallsyms_at,
                            scan ? "scan of the kernel image" : "VMCOREINFO SYMBOL(kallsyms_*)");
        assert_int_equal(in.seqs_of_names, lay >= KGEN_6_2);
        assert_int_equal(in.big_names, lay >= KGEN_6_1);
        assert_int_equal(in.abs_percpu, percpu);
        assert_string_equal(in.layout, lay == KGEN_6_4 ? "6.4+ (num_syms first)"
                                                       : "before 6.4 (offsets first)");
        check_all(&g, s);
        check_find(&g, scan, s);
        armvmi_linux_syms_free(s);
    }
    /* the scan flag ignores good locations too */
    armvmi_linux_syms_t *s = NULL;
    assert_int_equal(
        armvmi_linux_syms_from_image(g.img, g.len, g.va, &g.loc, NULL, ARMVMI_LINUX_SYMS_SCAN, &s),
        0);
    struct armvmi_linux_syms_info in;
    armvmi_linux_syms_get_info(s, &in);
    assert_string_equal(in.kallsyms_at, "scan of the kernel image");
    armvmi_linux_syms_free(s);
    kgen_free(&g);
}

static void layout_5_4(void **state)
{
    layout(KGEN_5_4, 0);
}
static void layout_5_4_abs_percpu(void **state)
{
    layout(KGEN_5_4, 1);
}
static void layout_6_1(void **state)
{
    layout(KGEN_6_1, 0);
}
static void layout_6_2(void **state)
{
    layout(KGEN_6_2, 0);
}
static void layout_6_4(void **state)
{
    layout(KGEN_6_4, 0);
}

/* VMCOREINFO answers first; its kallsyms lines give the tables. */
static void vmcoreinfo_first(void **state)
{
    struct kgen g;
    kgen_build(&g, KGEN_6_4, NSYMS, 0);
    struct armvmi_linux_kernel k;
    memset(&k, 0, sizeof(k));
    k.vmcoreinfo.present = 1u << ARMVMI_VMCI_SYM_SWAPPER_PG_DIR | 1u << ARMVMI_VMCI_SYM_STEXT;
    k.vmcoreinfo.val[ARMVMI_VMCI_SYM_SWAPPER_PG_DIR] = 0xffff800009abc000ull;
    k.vmcoreinfo.val[ARMVMI_VMCI_SYM_STEXT] = g.syms[5].addr + 0x10; /* VMCOREINFO wins */
    armvmi_linux_syms_t *s = NULL;
    assert_int_equal(armvmi_linux_syms_from_image(g.img, g.len, g.va, &g.loc, &k, 0, &s), 0);
    struct armvmi_linux_sym y;
    assert_int_equal(armvmi_linux_syms_lookup(s, "swapper_pg_dir", &y), 0);
    assert_int_equal(y.source, ARMVMI_SYM_VMCOREINFO);
    assert_int_equal(y.addr, 0xffff800009abc000ull);
    assert_int_equal(armvmi_linux_syms_lookup(s, "_stext", &y), 0);
    assert_int_equal(y.addr, g.syms[5].addr + 0x10);
    assert_int_equal(armvmi_linux_syms_lookup(s, "init_task", &y), 0);
    assert_int_equal(y.source, ARMVMI_SYM_KSYMTAB);
    assert_string_equal(armvmi_linux_sym_source_name(y.source), "ksymtab");
    /* not in VMCOREINFO's present set: not answered from it */
    assert_int_equal(armvmi_linux_syms_lookup(s, "init_uts_ns", &y), -ARMVMI_ENOENT);
    armvmi_linux_syms_free(s);
    kgen_free(&g);
}

static int decode(const struct kgen *g, const uint8_t *img, size_t len, int scan)
{
    armvmi_linux_syms_t *s = NULL;
    int rc = armvmi_linux_syms_from_image(img, len, g->va, scan ? NULL : &g->loc, NULL, 0, &s);
    if (rc == 0)
        assert_non_null(s);
    else
        assert_null(s);
    armvmi_linux_syms_free(s);
    return rc;
}

/* Every cut of the image inside the tables: a clear error or (past them) success. */
static void truncated(void **state)
{
    for (enum kgen_layout lay = KGEN_5_4; lay <= KGEN_6_4; lay++) {
        struct kgen g;
        kgen_build(&g, lay, NSYMS, 0);
        uint64_t lo = g.offs_off < g.names_off ? g.offs_off : g.names_off;
        for (uint64_t cut = lo; cut < g.len; cut += 37) {
            uint8_t *copy = malloc(cut); /* exactly cut bytes: ASan sees any overrun */
            memcpy(copy, g.img, cut);
            for (int scan = 0; scan < 2; scan++) {
                int rc = decode(&g, copy, cut, scan);
                if (rc) {
                    assert_int_equal(rc, -ARMVMI_EFORMAT);
                    assert_non_null(strstr(armvmi_errmsg(), "kallsyms"));
                }
            }
            free(copy);
        }
        /* cut in the middle of the names: the VMCOREINFO path names the problem */
        uint64_t cut = g.names_off + 100;
        assert_int_equal(decode(&g, g.img, cut, 0), -ARMVMI_EFORMAT);
        kgen_free(&g);
    }
}

static void garbage(void **state)
{
    struct kgen g;
    kgen_build(&g, KGEN_6_1, NSYMS, 0);
    uint8_t *c = malloc(g.len);
    /* a token index that is not increasing */
    memcpy(c, g.img, g.len);
    c[g.ti_off + 20] ^= 0x40;
    assert_int_equal(decode(&g, c, g.len, 0), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "token"));
    assert_int_equal(decode(&g, c, g.len, 1), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "no kallsyms tables found"));
    /* a marker that disagrees with the names */
    memcpy(c, g.img, g.len);
    c[g.markers_off + 4] ^= 1;
    assert_int_equal(decode(&g, c, g.len, 0), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "markers"));
    assert_int_equal(decode(&g, c, g.len, 1), -ARMVMI_EFORMAT);
    /* an absurd symbol count */
    memcpy(c, g.img, g.len);
    uint64_t num = g.loc.num_syms - g.va;
    c[num + 3] = 0x7f;
    assert_int_equal(decode(&g, c, g.len, 0), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "num_syms"));
    /* a zero name length */
    memcpy(c, g.img, g.len);
    c[g.names_off + 40] = 0;
    c[g.names_off] = 0;
    assert_int_equal(decode(&g, c, g.len, 0), -ARMVMI_EFORMAT);
    /* a table location outside the image */
    memcpy(c, g.img, g.len);
    struct armvmi_linux_kallsyms_loc loc = g.loc;
    loc.token_index = g.va + g.len + 8;
    armvmi_linux_syms_t *s = NULL;
    assert_int_equal(armvmi_linux_syms_from_image(c, g.len, g.va, &loc, NULL, 0, &s),
                     -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "outside the kernel image"));
    /* random bytes and zeros: nothing found, quickly */
    for (size_t i = 0; i < g.len; i++)
        c[i] = (uint8_t)(i * 2654435761u >> 13);
    assert_int_equal(decode(&g, c, g.len, 1), -ARMVMI_EFORMAT);
    memset(c, 0, g.len);
    assert_int_equal(decode(&g, c, g.len, 1), -ARMVMI_EFORMAT);
    assert_int_equal(decode(&g, c, 0, 1), -ARMVMI_EFORMAT);
    assert_int_equal(armvmi_linux_syms_from_image(NULL, 1, 0, NULL, NULL, 0, &s), -ARMVMI_EINVAL);
    free(c);
    kgen_free(&g);
}

static unsigned ks_same(unsigned i);

/* A PREL32 table of n entries at *o in g's image, named fmt(order(i)), strings after the table,
 * then (late) a 20-entry table after those strings, as a scan must not reach. */
#define KS_LATE 20
static void ks_table(struct kgen *g, size_t *o, unsigned n, const char *fmt,
                     unsigned (*order)(unsigned), bool late)
{
    size_t tab = *o, str = tab + (size_t)n * 12;
    for (unsigned i = 0; i < n; i++) {
        char nm[32];
        snprintf(nm, sizeof(nm), fmt, order(i));
        size_t e = tab + (size_t)i * 12, at = e;
        kgen_put32(g, &at, (uint32_t)(int32_t)(int64_t)(KGEN_DATA - g->va + 8ull * i - e));
        kgen_put32(g, &at, (uint32_t)(int32_t)((int64_t)str - (int64_t)at));
        kgen_put(g, &str, nm, strlen(nm) + 1);
        kgen_put32(g, &at, (uint32_t)(int32_t)((int64_t)str - (int64_t)at)); /* namespace "" */
        kgen_put(g, &str, "", 1);
    }
    *o = str;
    kgen_align(o, 8);
    if (late) {
        size_t o2 = *o;
        ks_table(g, &o2, KS_LATE, "late_%02u", ks_same, false);
        *o = o2;
    }
}

static unsigned ks_same(unsigned i)
{
    return i;
}

static unsigned ks_two_sections(unsigned i)
{
    return i < 200 ? 2 * i : 2 * (i - 200) + 1; /* __ksymtab then __ksymtab_gpl, each sorted */
}

static unsigned ks_unsorted(unsigned i)
{
    return (i * 37u) % 300;
}

/* The kernel's linker script: kallsyms (.rodata), then the __ksymtab* tables, then
 * __ksymtab_strings. The scan starts after kallsyms; a long sorted table ends it at its strings,
 * an unsorted run does not. */
static void ksymtab_strings_end_scan(void **state)
{
    (void)state;
    for (int sorted = 1; sorted >= 0; sorted--) {
        struct kgen g;
        kgen_build(&g, KGEN_6_1, NSYMS, 0);
        size_t o = g.len + 64, len = o + 300 * 40 + KS_LATE * 40 + 64;
        uint8_t *img = realloc(g.img, len);
        assert_non_null(img);
        memset(img + g.len, 0, len - g.len);
        g.img = img;
        size_t early = 64; /* a table in the text before kallsyms: not a __ksymtab */
        ks_table(&g, &early, KS_LATE, "early_%02u", ks_same, false);
        kgen_align(&o, 8);
        ks_table(&g, &o, 300, "exp_%03u", sorted ? ks_two_sections : ks_unsorted, true);
        armvmi_linux_syms_t *s = NULL;
        assert_int_equal(armvmi_linux_syms_from_image(g.img, o, g.va, &g.loc, NULL, 0, &s), 0);
        struct armvmi_linux_syms_info in;
        armvmi_linux_syms_get_info(s, &in);
        assert_int_equal(in.ksymtab, g.nexp + 300 + (sorted ? 0 : KS_LATE));
        struct armvmi_linux_sym y;
        assert_int_equal(armvmi_linux_syms_lookup(s, "early_05", &y), -ARMVMI_ENOENT);
        assert_int_equal(armvmi_linux_syms_lookup(s, "late_05", &y), sorted ? -ARMVMI_ENOENT : 0);
        assert_int_equal(armvmi_linux_syms_lookup(s, sorted ? "exp_199" : "exp_037", &y), 0);
        assert_int_equal(y.source, ARMVMI_SYM_KSYMTAB);
        armvmi_linux_syms_free(s);
        kgen_free(&g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_5_4),
        cmocka_unit_test(layout_5_4_abs_percpu),
        cmocka_unit_test(layout_6_1),
        cmocka_unit_test(layout_6_2),
        cmocka_unit_test(layout_6_4),
        cmocka_unit_test(vmcoreinfo_first),
        cmocka_unit_test(truncated),
        cmocka_unit_test(garbage),
        cmocka_unit_test(ksymtab_strings_end_scan),
    };
    return cmocka_run_group_tests_name("linux_kallsyms", tests, NULL, NULL);
}
