/* SPDX-License-Identifier: MIT */
/*
 * test_linux_walk.c — the kernel list and maple-tree walkers over synthetic memory: well-formed
 * structures give every entry in order; cyclic lists, cyclic and over-deep trees and garbage
 * pointers end in clear errors after a bounded number of steps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <armvmi/armvmi.h>

#include "os/linux/lxwalk.h"

#define BASE 0xffff000010000000ull
#define MEMSZ (64 * 1024)

static uint8_t mem[MEMSZ];
static unsigned reads;

static int rd(void *arg, uint64_t va, void *buf, size_t len)
{
    reads++;
    if (va < BASE || va - BASE > MEMSZ || len > MEMSZ - (va - BASE))
        return -ARMVMI_EFAULT;
    memcpy(buf, mem + (va - BASE), len);
    return 0;
}

static void put(uint64_t va, uint64_t v)
{
    memcpy(mem + (va - BASE), &v, 8);
}

/* list_head at BASE + 0x100 * i: entry i's next and prev */
static uint64_t node(int i)
{
    return BASE + 0x100u * (unsigned)i;
}

static void make_list(int n)
{
    memset(mem, 0, sizeof(mem));
    for (int i = 0; i <= n; i++) { /* 0 is the head */
        put(node(i), node(i == n ? 0 : i + 1));
        put(node(i) + 8, node(i == 0 ? n : i - 1));
    }
}

struct seen {
    uint64_t v[64];
    uint64_t first[64], last[64];
    unsigned n;
};

static int on_node(void *arg, uint64_t va)
{
    struct seen *s = arg;
    if (s->n < 64)
        s->v[s->n] = va;
    s->n++;
    return 0;
}

static void list_whole(void **state)
{
    make_list(5);
    struct seen s = {0};
    struct lx_err e = {0};
    assert_int_equal(lx_list_walk(rd, NULL, node(0), 100, on_node, &s, &e), 0);
    assert_int_equal(s.n, 5);
    for (int i = 0; i < 5; i++)
        assert_true(s.v[i] == node(i + 1));
    assert_int_equal(e.broken, 0);
    /* an empty list */
    make_list(0);
    s.n = 0;
    assert_int_equal(lx_list_walk(rd, NULL, node(0), 100, on_node, &s, &e), 0);
    assert_int_equal(s.n, 0);
}

static void list_cyclic(void **state)
{
    make_list(6);
    put(node(6), node(2)); /* 6 -> 2: a cycle that never returns to the head */
    struct seen s = {0};
    struct lx_err e = {0};
    reads = 0;
    assert_int_equal(lx_list_walk(rd, NULL, node(0), 1u << 20, on_node, &s, &e), -ARMVMI_EFORMAT);
    assert_non_null(strstr(e.msg, "cyclic"));
    assert_true(s.n < 32); /* found within a few laps, not by the count bound */
    assert_true(reads < 40);
    /* a self loop */
    make_list(3);
    put(node(2), node(2));
    s.n = 0;
    memset(&e, 0, sizeof(e));
    assert_int_equal(lx_list_walk(rd, NULL, node(0), 1u << 20, on_node, &s, &e), -ARMVMI_EFORMAT);
    assert_true(s.n < 8);
}

static void list_garbage(void **state)
{
    make_list(4);
    put(node(2), 0xdeadbeefdeadbee8ull); /* outside memory */
    struct seen s = {0};
    struct lx_err e = {0};
    assert_int_equal(lx_list_walk(rd, NULL, node(0), 100, on_node, &s, &e), -ARMVMI_EFORMAT);
    assert_int_equal(s.n, 2); /* 1 and 2; what 2 points at is not delivered */
    assert_non_null(strstr(e.msg, "cannot be read"));
    /* unaligned */
    make_list(4);
    put(node(1), node(2) + 3);
    s.n = 0;
    memset(&e, 0, sizeof(e));
    assert_int_equal(lx_list_walk(rd, NULL, node(0), 100, on_node, &s, &e), -ARMVMI_EFORMAT);
    /* a bad prev is reported but the walk goes on */
    make_list(4);
    put(node(3) + 8, node(1));
    s.n = 0;
    memset(&e, 0, sizeof(e));
    assert_int_equal(lx_list_walk(rd, NULL, node(0), 100, on_node, &s, &e), 0);
    assert_int_equal(s.n, 4);
    assert_int_equal(e.broken, 1);
    assert_non_null(strstr(e.msg, "prev"));
    /* longer than the bound */
    make_list(10);
    s.n = 0;
    memset(&e, 0, sizeof(e));
    assert_int_equal(lx_list_walk(rd, NULL, node(0), 5, on_node, &s, &e), -ARMVMI_EFORMAT);
    assert_int_equal(s.n, 5);
    assert_non_null(strstr(e.msg, "more than 5"));
    /* an unreadable head */
    assert_int_equal(lx_list_walk(rd, NULL, 8, 5, on_node, &s, &e), -ARMVMI_EFORMAT);
}

/* ---- maple tree: struct maple_node as the kernel lays it out on 64-bit ---- */

static const struct lx_maple_layout L = {256, 8, 128, 16, 8, 80, 10};

static uint64_t enode(uint64_t va, unsigned type)
{
    return va | (uint64_t)type << LX_MAPLE_TYPE_SHIFT | 2;
}

/* A range_64/leaf_64 node at va with pivots p[0..n-2] and slots s[0..n-1]. */
static void rnode(uint64_t va, const uint64_t *p, const uint64_t *s, int n)
{
    memset(mem + (va - BASE), 0, 256);
    for (int i = 0; i < n; i++) {
        if (i < 15 && i < n - 1)
            put(va + 8 + 8u * (unsigned)i, p[i]);
        put(va + 128 + 8u * (unsigned)i, s[i]);
    }
}

static int on_entry(void *arg, uint64_t v, uint64_t first, uint64_t last)
{
    struct seen *s = arg;
    if (s->n < 64) {
        s->v[s->n] = v;
        s->first[s->n] = first;
        s->last[s->n] = last;
    }
    s->n++;
    return 0;
}

/* root (range_64) -> two leaves; VMA-like entries with NULL gaps between them */
static uint64_t make_tree(void)
{
    memset(mem, 0, sizeof(mem));
    uint64_t root = BASE + 0x1000, l1 = BASE + 0x1100, l2 = BASE + 0x1200;
    /* leaf 1 covers 0..0x4fff: gap, A (0x1000-0x1fff), gap, B (0x3000-0x4fff) */
    rnode(l1, (uint64_t[]){0xfff, 0x1fff, 0x2fff, 0x4fff}, (uint64_t[]){0, 0xa0, 0, 0xb0, 0}, 5);
    /* leaf 2 covers 0x5000..max: C (0x5000-0x5fff), gap to the end (pivot 0: max) */
    rnode(l2, (uint64_t[]){0x5fff, 0}, (uint64_t[]){0xc0, 0, 0}, 3);
    rnode(root, (uint64_t[]){0x4fff}, (uint64_t[]){enode(l1, 1), enode(l2, 1)}, 2);
    return enode(root, 2);
}

static void maple_whole(void **state)
{
    uint64_t root = make_tree();
    struct seen s = {0};
    struct lx_err e = {0};
    assert_int_equal(lx_maple_walk(rd, NULL, &L, root, 1000, on_entry, &s, &e), 0);
    assert_int_equal(e.broken, 0);
    assert_int_equal(s.n, 3);
    assert_true(s.v[0] == 0xa0 && s.first[0] == 0x1000 && s.last[0] == 0x1fff);
    assert_true(s.v[1] == 0xb0 && s.first[1] == 0x3000 && s.last[1] == 0x4fff);
    assert_true(s.v[2] == 0xc0 && s.first[2] == 0x5000 && s.last[2] == 0x5fff);
    /* an arange_64 root works the same (pivots at 8, slots at 80) */
    uint64_t ar = BASE + 0x1300;
    memset(mem + (ar - BASE), 0, 256);
    put(ar + 8, 0x4fff);
    put(ar + 80, enode(BASE + 0x1100, 1));
    put(ar + 88, enode(BASE + 0x1200, 1));
    s.n = 0;
    assert_int_equal(lx_maple_walk(rd, NULL, &L, enode(ar, 3), 1000, on_entry, &s, &e), 0);
    assert_int_equal(s.n, 3);
    /* an empty tree, and a single entry without a node */
    s.n = 0;
    assert_int_equal(lx_maple_walk(rd, NULL, &L, 0, 1000, on_entry, &s, &e), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(lx_maple_walk(rd, NULL, &L, 0xd0, 1000, on_entry, &s, &e), 0);
    assert_int_equal(s.n, 1);
}

static void maple_cyclic(void **state)
{
    uint64_t root = make_tree();
    /* leaf 2 becomes an internal node pointing back at the root */
    uint64_t l2 = BASE + 0x1200;
    rnode(l2, (uint64_t[]){0}, (uint64_t[]){root, 0}, 2);
    put(BASE + 0x1000 + 128 + 8, enode(l2, 2));
    struct seen s = {0};
    struct lx_err e = {0};
    reads = 0;
    int r = lx_maple_walk(rd, NULL, &L, root, 1u << 16, on_entry, &s, &e);
    assert_true(r == 0 || r == -ARMVMI_EFORMAT);
    assert_true(e.broken > 0);
    assert_true(reads < 1000);
    assert_true(s.n < 100);
}

static void maple_overdeep(void **state)
{
    memset(mem, 0, sizeof(mem));
    /* a chain of 40 range_64 nodes, each one's only child the next: deeper than any tree */
    for (int i = 0; i < 40; i++) {
        uint64_t va = BASE + 0x100u * (unsigned)i;
        rnode(va, (uint64_t[]){0}, (uint64_t[]){enode(va + 0x100, 2), 0}, 2);
    }
    struct seen s = {0};
    struct lx_err e = {0};
    reads = 0;
    assert_int_equal(lx_maple_walk(rd, NULL, &L, enode(BASE, 2), 1u << 16, on_entry, &s, &e),
                     -ARMVMI_EFORMAT);
    assert_non_null(strstr(e.msg, "deeper"));
    assert_true(reads <= LX_MAPLE_HEIGHT_MAX + 1);
    /* a node whose child is itself */
    rnode(BASE, (uint64_t[]){0}, (uint64_t[]){enode(BASE, 2), 0}, 2);
    memset(&e, 0, sizeof(e));
    assert_int_equal(lx_maple_walk(rd, NULL, &L, enode(BASE, 2), 1u << 16, on_entry, &s, &e),
                     -ARMVMI_EFORMAT);
}

static void maple_garbage(void **state)
{
    uint64_t root = make_tree();
    struct seen s = {0};
    struct lx_err e = {0};
    /* a root outside memory: one broken node, no entries */
    assert_int_equal(
        lx_maple_walk(rd, NULL, &L, enode(0xdead0000ull << 8, 2), 100, on_entry, &s, &e), 0);
    assert_int_equal(e.broken, 1);
    assert_non_null(strstr(e.msg, "cannot be read"));
    /* pivots out of order: the rest of that node is skipped, the other leaf still read */
    put(BASE + 0x1100 + 8 + 16, 0x800);
    memset(&e, 0, sizeof(e));
    s.n = 0;
    assert_int_equal(lx_maple_walk(rd, NULL, &L, root, 100, on_entry, &s, &e), 0);
    assert_int_equal(e.broken, 1);
    assert_non_null(strstr(e.msg, "outside"));
    assert_int_equal(s.n, 2); /* A and C */
    /* an unknown node type */
    memset(&e, 0, sizeof(e));
    assert_int_equal(lx_maple_walk(rd, NULL, &L, enode(BASE + 0x1000, 9), 100, on_entry, &s, &e),
                     0);
    assert_non_null(strstr(e.msg, "type"));
    /* the entry budget */
    make_tree();
    memset(&e, 0, sizeof(e));
    s.n = 0;
    assert_int_equal(lx_maple_walk(rd, NULL, &L, root, 2, on_entry, &s, &e), -ARMVMI_EFORMAT);
    /* a layout that does not fit a node */
    const struct lx_maple_layout bad = {1024, 8, 128, 16, 8, 80, 10};
    assert_int_equal(lx_maple_walk(rd, NULL, &bad, root, 100, on_entry, &s, &e), -ARMVMI_EINVAL);
}

/* Code of Debian 6.1's find_module_all and m_start (objdump of the guest's memory): `modules`
 * through a section anchor and a pre-indexed load, and by ADRP+ADD. */
static void code_refs(void **state)
{
    const uint64_t pc = 0xffffc9e7fdb54218ull;
    uint64_t out[8];
    const uint32_t anchor[] = {0x9000e055, 0x912702b5, 0xd503201f, 0xf8450ea0};
    assert_int_equal(lx_code_refs(anchor, 4, pc, out, 8), 2);
    assert_true(out[0] == 0xffffc9e7ff75c9c0ull && out[1] == 0xffffc9e7ff75ca10ull);
    const uint32_t direct[] = {0xf000e000, 0xd503201f, 0x9127c000};
    assert_int_equal(lx_code_refs(direct, 3, 0xffffc9e7fdb59670ull, out, 8), 1);
    assert_true(out[0] == 0xffffc9e7ff75c9f0ull);
    /* a call between ADRP and ADD clobbers x0; a RET forgets everything; x21 survives a call */
    const uint32_t call[] = {0xf000e000, 0x94000010, 0x9127c000};
    assert_int_equal(lx_code_refs(call, 3, 0xffffc9e7fdb59670ull, out, 8), 0);
    const uint32_t ret[] = {0x9000e055, 0xd65f03c0, 0x912702b5};
    assert_int_equal(lx_code_refs(ret, 3, pc, out, 8), 0);
    const uint32_t kept[] = {0x9000e055, 0x94000010, 0x912702b5};
    assert_int_equal(lx_code_refs(kept, 3, pc, out, 8), 1);
    /* a register written by an instruction not followed (mov x21, x0) is forgotten */
    const uint32_t mov[] = {0x9000e055, 0xaa0003f5, 0x912702b5};
    assert_int_equal(lx_code_refs(mov, 3, pc, out, 8), 0);
    /* out is bounded */
    assert_int_equal(lx_code_refs(anchor, 4, pc, out, 1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_whole),    cmocka_unit_test(list_cyclic),
        cmocka_unit_test(list_garbage),  cmocka_unit_test(maple_whole),
        cmocka_unit_test(maple_cyclic),  cmocka_unit_test(maple_overdeep),
        cmocka_unit_test(maple_garbage), cmocka_unit_test(code_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
