/* SPDX-License-Identifier: MIT */
/* lxwalk.c — bounded walkers of kernel lists and maple trees (pure, over a read callback). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <armvmi/armvmi.h>

#include "lxwalk.h"

void lx_err_add(struct lx_err *e, const char *fmt, ...)
{
    if (!e)
        return;
    if (e->broken++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
}

/* Record a fatal condition of the walk (kept even after broken entries) and fail. */
static int walk_fail(struct lx_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int walk_fail(struct lx_err *e, const char *fmt, ...)
{
    if (e) {
        e->broken++;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
    return -ARMVMI_EFORMAT;
}

int lx_list_walk(lx_read_fn rd, void *rarg, uint64_t head, unsigned max, lx_node_fn fn, void *farg,
                 struct lx_err *e)
{
    uint64_t hp[2];
    if (rd(rarg, head, hp, sizeof(hp)))
        return walk_fail(e, "the list head at 0x%llx cannot be read.", (unsigned long long)head);
    uint64_t prev = head, cur = hp[0];
    /* Brent's cycle detection: mark moves to cur at each power of two */
    uint64_t mark = head;
    unsigned power = 1, lam = 0;
    for (unsigned n = 0;; n++) {
        if (cur == head)
            return 0;
        if (n >= max)
            return walk_fail(e, "the list at 0x%llx has more than %u entries: stopped.",
                             (unsigned long long)head, max);
        if (cur == mark)
            return walk_fail(e, "the list at 0x%llx is cyclic (entry 0x%llx comes back).",
                             (unsigned long long)head, (unsigned long long)cur);
        if (++lam == power) {
            mark = cur;
            power *= 2;
            lam = 0;
        }
        uint64_t lp[2];
        if ((cur & 7) || rd(rarg, cur, lp, sizeof(lp)))
            return walk_fail(e, "list entry 0x%llx (after 0x%llx) cannot be read: list cut.",
                             (unsigned long long)cur, (unsigned long long)prev);
        if (lp[1] != prev)
            lx_err_add(e, "list entry 0x%llx: its prev 0x%llx is not 0x%llx.",
                       (unsigned long long)cur, (unsigned long long)lp[1],
                       (unsigned long long)prev);
        int r = fn(farg, cur);
        if (r)
            return r;
        prev = cur;
        cur = lp[0];
    }
}

/* ---- maple tree ---- */

struct mwalk {
    lx_read_fn rd;
    void *rarg;
    const struct lx_maple_layout *L;
    lx_entry_fn fn;
    void *farg;
    struct lx_err *e;
    unsigned budget; /* nodes and entries left */
};

static bool is_node(uint64_t v)
{
    return (v & 3) == 2 && v > 4096; /* xa_is_node() */
}

static int maple_node(struct mwalk *w, uint64_t enode, uint64_t min, uint64_t max, int depth)
{
    if (depth >= LX_MAPLE_HEIGHT_MAX)
        return walk_fail(w->e, "maple tree deeper than %d levels: stopped.", LX_MAPLE_HEIGHT_MAX);
    if (w->budget == 0)
        return walk_fail(w->e, "maple tree larger than the walk's bound: stopped.");
    w->budget--;
    unsigned type = (unsigned)(enode >> LX_MAPLE_TYPE_SHIFT) & LX_MAPLE_TYPE_MASK;
    uint64_t node = enode & ~LX_MAPLE_NODE_MASK;
    const struct lx_maple_layout *L = w->L;
    uint32_t po, so, ns;
    if (type == LX_MAPLE_LEAF_64 || type == LX_MAPLE_RANGE_64) {
        po = L->r_pivot, so = L->r_slot, ns = L->r_nslots;
    } else if (type == LX_MAPLE_ARANGE_64) {
        po = L->a_pivot, so = L->a_slot, ns = L->a_nslots;
    } else {
        lx_err_add(w->e, "maple node 0x%llx has unsupported type %u: skipped.",
                   (unsigned long long)node, type);
        return 0;
    }
    uint8_t buf[LX_MAPLE_NODE_MAX];
    if (w->rd(w->rarg, node, buf, L->node_size)) {
        lx_err_add(w->e, "maple node 0x%llx cannot be read: skipped.", (unsigned long long)node);
        return 0;
    }
    bool leaf = type == LX_MAPLE_LEAF_64;
    uint64_t first = min;
    for (uint32_t i = 0; i < ns; i++) {
        uint64_t piv, slot;
        bool have_piv = i + 1 < ns;
        if (have_piv)
            memcpy(&piv, buf + po + 8 * i, 8);
        memcpy(&slot, buf + so + 8 * i, 8);
        /* a zero pivot after the first slot means the node's max (mas_logical_pivot) */
        uint64_t last = have_piv && !(i > 0 && piv == 0) ? piv : max;
        if (last < first || last > max) {
            lx_err_add(w->e,
                       "maple node 0x%llx: pivot %u (0x%llx) outside 0x%llx..0x%llx: rest "
                       "of the node skipped.",
                       (unsigned long long)node, i, (unsigned long long)last,
                       (unsigned long long)first, (unsigned long long)max);
            return 0;
        }
        if (slot) {
            int r = 0;
            if (!leaf) {
                if (is_node(slot))
                    r = maple_node(w, slot, first, last, depth + 1);
                else
                    lx_err_add(w->e, "maple node 0x%llx: slot %u (0x%llx) is not a node: skipped.",
                               (unsigned long long)node, i, (unsigned long long)slot);
            } else if ((slot & 3) != 2) { /* internal values (XA_ZERO_ENTRY...) are no entries */
                if (w->budget == 0)
                    return walk_fail(w->e, "maple tree larger than the walk's bound: stopped.");
                w->budget--;
                r = w->fn(w->farg, slot, first, last);
            }
            if (r)
                return r;
        }
        if (last >= max)
            break;
        first = last + 1;
    }
    return 0;
}

int lx_maple_walk(lx_read_fn rd, void *rarg, const struct lx_maple_layout *L, uint64_t root,
                  unsigned max_entries, lx_entry_fn fn, void *farg, struct lx_err *e)
{
    if (!L || L->node_size > LX_MAPLE_NODE_MAX || L->r_nslots < 2 || L->a_nslots < 2 ||
        L->r_pivot + 8ull * (L->r_nslots - 1) > L->node_size ||
        L->r_slot + 8ull * L->r_nslots > L->node_size ||
        L->a_pivot + 8ull * (L->a_nslots - 1) > L->node_size ||
        L->a_slot + 8ull * L->a_nslots > L->node_size)
        return -ARMVMI_EINVAL;
    if (!root)
        return 0;
    if (!is_node(root)) /* a single entry at index 0 */
        return (root & 3) == 2 ? 0 : fn(farg, root, 0, 0);
    struct mwalk w = {rd, rarg, L, fn, farg, e, max_entries};
    return maple_node(&w, root, 0, UINT64_MAX, 0);
}
