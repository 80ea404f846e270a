/* SPDX-License-Identifier: MIT */
/* watch.c — registrations of memory events: frames, physical and virtual ranges, and clearing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events_priv.h"

#define EV_PAGE 4096ull
/* The largest range one registration may cover. */
#define EV_MAX_WATCH_FRAMES (1ull << 28) /* 1 TiB of 4K frames */
/* How long a clear waits for events the hypervisor numbered before the clear took effect. */
#define EV_DRAIN_MS 200

static const struct ev_extent *find_ext(const struct ev_watch *w, uint64_t gfn)
{
    for (size_t i = 0; i < w->next; i++)
        if (gfn >= w->ext[i].gfn && gfn - w->ext[i].gfn < w->ext[i].n)
            return &w->ext[i];
    return NULL;
}

unsigned ev_frame_allowed(const struct armvmi_events *ev, uint64_t gfn)
{
    unsigned trap = 0;
    for (size_t i = 0; i < ev->nw; i++)
        if (ev->w[i].live && find_ext(&ev->w[i], gfn)) {
            /* a conversion shares its frames with no other registration (check_overlap) */
            if (ev->w[i].trap == ARMVMI_MEM_RX2RW)
                return ARMVMI_ACC_RX2RW;
            if (ev->w[i].trap == ARMVMI_MEM_N2RWX)
                return ARMVMI_ACC_N2RWX;
            trap |= ev->w[i].trap;
        }
    return ARMVMI_ACC_RWX & ~trap;
}

/* A conversion watch and any other live registration on one frame: refused. */
static int check_overlap(const struct armvmi_events *ev, const struct ev_watch *w)
{
    bool conv = w->trap & EV_MEM_CONVERT;
    for (size_t i = 0; i < ev->nw; i++) {
        const struct ev_watch *o = &ev->w[i];
        if (!o->live || (!conv && !(o->trap & EV_MEM_CONVERT)))
            continue;
        for (size_t a = 0; a < w->next; a++)
            for (size_t b = 0; b < o->next; b++) {
                uint64_t lo = w->ext[a].gfn > o->ext[b].gfn ? w->ext[a].gfn : o->ext[b].gfn;
                uint64_t e1 = w->ext[a].gfn + w->ext[a].n, e2 = o->ext[b].gfn + o->ext[b].n;
                if (lo < (e1 < e2 ? e1 : e2))
                    return armvmi_set_error(ARMVMI_EINVAL,
                                            "frame 0x%llx is already watched by registration %d: "
                                            "a conversion watch (rx2rw, n2rwx) cannot share "
                                            "frames with another registration.",
                                            (unsigned long long)lo, o->id);
            }
    }
    return 0;
}

/* Every frame of [gfn, gfn + n) is guest RAM outside the carve-out. */
static int check_frames(const struct armvmi_events *ev, uint64_t gfn, uint64_t n)
{
    const struct armvmi_info *in = &ev->info;
    uint64_t lo = gfn * EV_PAGE, hi = (gfn + n) * EV_PAGE; /* n, gfn bounded by the caller */
    if (lo < in->hyp_carve_base + in->hyp_carve_size && hi > in->hyp_carve_base)
        return armvmi_set_error(ARMVMI_EFAULT,
                                "0x%llx-0x%llx overlaps the armvmi hypervisor's carve-out "
                                "(0x%llx+0x%llx), which the guest never sees.",
                                (unsigned long long)lo, (unsigned long long)hi - 1,
                                (unsigned long long)in->hyp_carve_base,
                                (unsigned long long)in->hyp_carve_size);
    for (unsigned i = 0; i < in->nranges; i++)
        if (lo >= in->ranges[i].base && hi <= in->ranges[i].base + in->ranges[i].size)
            return 0;
    return armvmi_set_error(ARMVMI_EFAULT,
                            "0x%llx-0x%llx is not guest RAM (see `armvmi info` for the RAM "
                            "ranges).",
                            (unsigned long long)lo, (unsigned long long)hi - 1);
}

/* Make the hypervisor's store agree with the live registrations on the frames of w. */
static int apply(struct armvmi_events *ev, const struct ev_watch *w)
{
    for (size_t i = 0; i < w->next; i++) {
        uint64_t g = w->ext[i].gfn, end = g + w->ext[i].n;
        while (g < end) {
            unsigned a = ev_frame_allowed(ev, g);
            uint64_t run = 1;
            while (g + run < end && ev_frame_allowed(ev, g + run) == a)
                run++;
            int rc = ev_cmd(ev, ARMVMI_CMD_SET_ACCESS, g, run, a, NULL);
            if (rc)
                return rc;
            g += run;
        }
    }
    return 0;
}

static int add_extent(struct ev_watch *w, uint64_t gfn, size_t *cap)
{
    if (w->next && w->ext[w->next - 1].gfn + w->ext[w->next - 1].n == gfn) {
        w->ext[w->next - 1].n++;
        return 0;
    }
    if (w->next == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct ev_extent *e = realloc(w->ext, nc * sizeof(*e));
        if (!e)
            return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
        w->ext = e;
        *cap = nc;
    }
    w->ext[w->next++] = (struct ev_extent){.gfn = gfn, .n = 1};
    return 0;
}

static int check_args(struct armvmi_events *ev, unsigned trap, armvmi_mem_cb cb)
{
    if (!ev || !cb)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_mem_watch: NULL handle or callback.");
    if (ev->in_cb)
        return armvmi_set_error(ARMVMI_ESTATE,
                                "events cannot be registered from an event callback.");
    if (trap == ARMVMI_MEM_RX2RW || trap == ARMVMI_MEM_N2RWX)
        return 0;
    if (!trap || (trap & ~(ARMVMI_MEM_R | ARMVMI_MEM_W | ARMVMI_MEM_X)))
        return armvmi_set_error(ARMVMI_EINVAL,
                                "the accesses to trap must be r, w, x or a combination, or one "
                                "conversion alone (rx2rw, n2rwx).");
    return 0;
}

/* Register w (its extents filled) and apply it; frees the extents on failure. */
static int commit(struct armvmi_events *ev, struct ev_watch *w, int *id)
{
    int orc = check_overlap(ev, w);
    if (orc) {
        free(w->ext);
        return orc;
    }
    if (ev->nw == ev->capw) {
        size_t nc = ev->capw ? ev->capw * 2 : 8;
        struct ev_watch *a = realloc(ev->w, nc * sizeof(*a));
        if (!a) {
            free(w->ext);
            return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
        }
        ev->w = a;
        ev->capw = nc;
    }
    w->id = ev->next_id++;
    w->live = true;
    ev->w[ev->nw++] = *w;
    int rc = apply(ev, w);
    if (rc) { /* undo: the frames get back what the others allow */
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", armvmi_errmsg());
        ev->w[ev->nw - 1].live = false;
        apply(ev, w);
        free(w->ext);
        ev->nw--;
        return armvmi_set_error(-rc, "%s", msg);
    }
    if (id)
        *id = w->id;
    return 0;
}

int armvmi_mem_watch_pa(armvmi_events_t *ev, uint64_t pa, uint64_t len, unsigned trap,
                        armvmi_mem_cb cb, void *arg, int *id)
{
    int rc = check_args(ev, trap, cb);
    if (rc)
        return rc;
    if (!len || pa + len < pa || len > EV_MAX_WATCH_FRAMES * EV_PAGE)
        return armvmi_set_error(ARMVMI_EINVAL,
                                "a range of %llu bytes at 0x%llx cannot be "
                                "watched.",
                                (unsigned long long)len, (unsigned long long)pa);
    uint64_t first = pa / EV_PAGE, last = (pa + len - 1) / EV_PAGE;
    if ((rc = check_frames(ev, first, last - first + 1)))
        return rc;
    struct ev_watch w = {.trap = trap, .cb = cb, .arg = arg};
    w.ext = malloc(sizeof(*w.ext));
    if (!w.ext)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    w.ext[0] = (struct ev_extent){.gfn = first, .n = last - first + 1};
    w.next = 1;
    return commit(ev, &w, id);
}

int armvmi_mem_watch_frame(armvmi_events_t *ev, uint64_t gfn, unsigned trap, armvmi_mem_cb cb,
                           void *arg, int *id)
{
    if (gfn >= (1ull << 52) / EV_PAGE)
        return armvmi_set_error(ARMVMI_EINVAL, "frame 0x%llx is beyond 52-bit addresses.",
                                (unsigned long long)gfn);
    return armvmi_mem_watch_pa(ev, gfn * EV_PAGE, EV_PAGE, trap, cb, arg, id);
}

int armvmi_mem_watch_va(armvmi_events_t *ev, const struct armvmi_tt_config *ctx, uint64_t va,
                        uint64_t len, unsigned trap, armvmi_mem_cb cb, void *arg, int *id)
{
    int rc = check_args(ev, trap, cb);
    if (rc)
        return rc;
    if (!ctx || !len || va + len < va || len > EV_MAX_WATCH_FRAMES * EV_PAGE)
        return armvmi_set_error(ARMVMI_EINVAL,
                                "a range of %llu bytes at VA 0x%llx cannot be "
                                "watched.",
                                (unsigned long long)len, (unsigned long long)va);
    struct ev_watch w = {.trap = trap, .cb = cb, .arg = arg};
    size_t cap = 0;
    uint64_t page = va & ~(EV_PAGE - 1), end = va + len - 1;
    for (;;) {
        uint64_t pa;
        if ((rc = armvmi_va_to_pa(ev->h, ctx, page, &pa)) == -ARMVMI_EFAULT) {
            char msg[384];
            snprintf(msg, sizeof(msg), "%s", armvmi_errmsg());
            size_t n = strlen(msg);
            if (n && msg[n - 1] == '.')
                msg[n - 1] = 0;
            rc = armvmi_set_error(ARMVMI_EFAULT,
                                  "%s; nothing was watched: a virtual range is watched through "
                                  "the frames its pages map now, so every page must be mapped "
                                  "(let the guest touch it first).",
                                  msg);
        }
        if (rc || (rc = check_frames(ev, pa / EV_PAGE, 1)) ||
            (rc = add_extent(&w, pa / EV_PAGE, &cap))) {
            free(w.ext);
            return rc;
        }
        if (end - page < EV_PAGE)
            break;
        page += EV_PAGE;
    }
    return commit(ev, &w, id);
}

static int unwatch_at(struct armvmi_events *ev, size_t i)
{
    struct ev_watch *w = &ev->w[i];
    w->live = false;
    w->draining = true;
    int rc = apply(ev, w);
    /* Every event numbered before the store changed is delivered now, to w too. */
    uint64_t upto = EV_LOAD(&ev->chan->seq);
    int rc2 = ev_drain(ev, upto, EV_DRAIN_MS);
    w = &ev->w[i]; /* callbacks cannot register, so the table did not move */
    free(w->ext);
    memmove(&ev->w[i], &ev->w[i + 1], (ev->nw - i - 1) * sizeof(*w));
    ev->nw--;
    return rc ? rc : rc2;
}

int armvmi_mem_unwatch(armvmi_events_t *ev, int id)
{
    if (!ev)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_mem_unwatch: NULL handle.");
    if (ev->in_cb)
        return armvmi_set_error(ARMVMI_ESTATE, "events cannot be cleared from an event callback.");
    for (size_t i = 0; i < ev->nw; i++)
        if (ev->w[i].id == id && ev->w[i].live)
            return unwatch_at(ev, i);
    return armvmi_set_error(ARMVMI_ENOENT, "no memory event registration %d.", id);
}

int ev_unwatch_all(struct armvmi_events *ev)
{
    int rc = 0;
    while (ev->nw) {
        int r = unwatch_at(ev, ev->nw - 1);
        if (r && !rc)
            rc = r;
    }
    return rc;
}
