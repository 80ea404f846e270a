/* SPDX-License-Identifier: MIT */
/* lxwalk.h — bounded walkers of kernel lists and maple trees over a "read kernel VA" callback. */
#ifndef ARMVMI_LXWALK_H
#define ARMVMI_LXWALK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Pure functions: no I/O of their own, no globals. Guest memory is hostile: every walk is
 * bounded (entry and node budgets, depth), cycles are detected, a broken entry is counted in
 * struct lx_err and skipped where the structure allows it.
 */

/** Read len bytes at kernel VA va; 0 or a negative ARMVMI_E* code. */
typedef int (*lx_read_fn)(void *arg, uint64_t va, void *buf, size_t len);

/** What went wrong during a walk: the number of broken entries and the first message. */
struct lx_err {
    unsigned broken;
    char msg[256];
};

/** Record a broken entry (the first message is kept). */
void lx_err_add(struct lx_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Called for each node (VA of its list_head); non-zero stops the walk with that value. */
typedef int (*lx_node_fn)(void *arg, uint64_t node);

/**
 * Walk the circular list_head list at head (not itself an entry), calling fn for each entry,
 * at most max entries. A cycle that does not return to head, a next pointer that cannot be
 * read, more than max entries or a next that is not 8-byte aligned ends the walk with
 * -ARMVMI_EFORMAT (message in e, entries so far were delivered). An entry whose prev does not
 * point back at its predecessor is counted as broken but followed.
 */
int lx_list_walk(lx_read_fn rd, void *rarg, uint64_t head, unsigned max, lx_node_fn fn, void *farg,
                 struct lx_err *e);

/* lib/maple_tree.c: encoded node pointers and node types */
#define LX_MAPLE_NODE_MASK 255ull
#define LX_MAPLE_TYPE_SHIFT 3
#define LX_MAPLE_TYPE_MASK 0x0f
enum lx_maple_type { LX_MAPLE_DENSE = 0, LX_MAPLE_LEAF_64, LX_MAPLE_RANGE_64, LX_MAPLE_ARANGE_64 };
#define LX_MAPLE_HEIGHT_MAX 31
#define LX_MAPLE_NODE_MAX 512 /* bytes of a node read (struct maple_node is 256) */

/** Where the pivots and slots are in the node types (from BTF). */
struct lx_maple_layout {
    uint32_t node_size;                 /* sizeof(struct maple_node) */
    uint32_t r_pivot, r_slot, r_nslots; /* maple_range_64 (and maple_leaf_64) */
    uint32_t a_pivot, a_slot, a_nslots; /* maple_arange_64 */
};

/** Called for each non-NULL leaf entry with its index range; non-zero stops the walk. */
typedef int (*lx_entry_fn)(void *arg, uint64_t entry, uint64_t first, uint64_t last);

/**
 * Walk the maple tree whose ma_root is root, in index order, calling fn for every non-NULL
 * entry that is not an internal (reserved) value, at most max_entries. Bounded: depth
 * LX_MAPLE_HEIGHT_MAX, at most max_entries nodes read. A node that cannot be read, has an
 * unknown type, or pivots out of order or outside its parent's range is counted as broken in
 * e and skipped. Returns 0, or -ARMVMI_EFORMAT when a bound was hit (message in e), or fn's
 * value; -ARMVMI_EINVAL for a layout that does not fit LX_MAPLE_NODE_MAX.
 */
int lx_maple_walk(lx_read_fn rd, void *rarg, const struct lx_maple_layout *L, uint64_t root,
                  unsigned max_entries, lx_entry_fn fn, void *farg, struct lx_err *e);

/**
 * The data addresses that the A64 code at pc (n instructions) forms from ADRP: ADRP+ADD
 * results and the addresses of 64-bit loads and stores with an immediate offset from such a
 * register (section anchors: `adrp x20, anchor; ldr x19, [x20, #80]!`). Distinct addresses go
 * to out, at most max; returns how many. Registers are tracked only along straight-line code.
 */
size_t lx_code_refs(const uint32_t *code, size_t n, uint64_t pc, uint64_t *out, size_t max);

#endif
