/* SPDX-License-Identifier: MIT */
/* handle.c — opening targets, and physical memory access shared by every driver. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/driver.h"

int armvmi_open(armvmi_t **out, const char *spec)
{
    if (!out || !spec || !*spec)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_open: no target given.");
    *out = NULL;
    struct armvmi *h = calloc(1, sizeof(*h));
    if (!h)
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    h->target = strdup(spec);
    if (!h->target) {
        free(h);
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    }
    int rc = armvmi_driver_open(h, spec);
    if (rc) {
        if (h->ops && h->ops->close)
            h->ops->close(h);
        free(h->target);
        free(h);
        return rc;
    }
    *out = h;
    return 0;
}

void armvmi_close(armvmi_t *h)
{
    if (!h)
        return;
    if (h->pause_depth && h->resume_on_last && h->ops->resume)
        h->ops->resume(h);
    if (h->ops && h->ops->close)
        h->ops->close(h);
    armvmi_tlb_free(h);
    free(h->target);
    free(h);
}

int armvmi_get_info(armvmi_t *h, struct armvmi_info *info)
{
    if (!h || !info)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_get_info: NULL argument.");
    memset(info, 0, sizeof(*info));
    info->driver = h->ops->name;
    info->target = h->target;
    info->caps = h->caps;
    info->vcpus = h->vcpus;
    info->nranges = h->nregions;
    for (unsigned i = 0; i < h->nregions; i++) {
        info->ranges[i].base = h->regions[i].base;
        info->ranges[i].size = h->regions[i].size;
        info->ram_bytes += h->regions[i].size;
    }
    info->hyp_carve_base = h->carve_base;
    info->hyp_carve_size = h->carve_size;
    return 0;
}

const char *armvmi_cap_name(uint32_t cap)
{
    switch (cap) {
    case ARMVMI_CAP_READ:
        return "read";
    case ARMVMI_CAP_WRITE:
        return "write";
    case ARMVMI_CAP_MAP:
        return "map";
    case ARMVMI_CAP_REGS:
        return "regs";
    case ARMVMI_CAP_SYSREGS:
        return "sysregs";
    case ARMVMI_CAP_SET_REGS:
        return "set-regs";
    case ARMVMI_CAP_PAUSE:
        return "pause";
    case ARMVMI_CAP_LIVE:
        return "live";
    default:
        return NULL;
    }
}

const struct armvmi_region *armvmi_region_find(const struct armvmi *h, uint64_t pa, size_t len)
{
    for (unsigned i = 0; i < h->nregions; i++) {
        const struct armvmi_region *r = &h->regions[i];
        if (pa >= r->base && pa - r->base < r->size && len <= r->size - (pa - r->base))
            return r;
    }
    return NULL;
}

/* The region's file was truncated under its mapping (lib/core/mapguard.c). */
static int gone(const struct armvmi *h, uint64_t pa, size_t len)
{
    return armvmi_fail(ARMVMI_EIO,
                       "the file behind %s was truncated while open: guest memory at 0x%" PRIx64
                       "+0x%zx is gone (reopen the target).",
                       h->target, pa, len);
}

static int not_ram(const struct armvmi *h, uint64_t pa, size_t len)
{
    return armvmi_fail(ARMVMI_EFAULT,
                       "physical range 0x%" PRIx64 "+0x%zx is not guest RAM of %s (see `armvmi "
                       "info` for the RAM ranges).",
                       pa, len, h->target);
}

int armvmi_read_pa(armvmi_t *h, uint64_t pa, void *buf, size_t len)
{
    if (!h || (!buf && len))
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_read_pa: NULL argument.");
    if (len == 0)
        return 0;
    const struct armvmi_region *r = armvmi_region_find(h, pa, len);
    if (r && r->host) {
        const uint8_t *src = r->host + (pa - r->base);
        if (len == 8) /* descriptors: a fixed-size copy the compiler does inline */
            memcpy(buf, src, 8);
        else
            memcpy(buf, src, len);
        return armvmi_region_gone(r) ? gone(h, pa, len) : 0;
    }
    if (h->ops->read_pa)
        return h->ops->read_pa(h, pa, buf, len);
    return not_ram(h, pa, len);
}

int armvmi_write_pa(armvmi_t *h, uint64_t pa, const void *buf, size_t len)
{
    if (!h || (!buf && len))
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_write_pa: NULL argument.");
    if (!(h->caps & ARMVMI_CAP_WRITE))
        return armvmi_fail(ARMVMI_ENOTSUP, "%s is read-only (a %s target).", h->target,
                           h->ops->name);
    if (len == 0)
        return 0;
    armvmi_tlb_flush(h); /* the bytes may be translation tables */
    const struct armvmi_region *r = armvmi_region_find(h, pa, len);
    if (r && r->host && r->writable) {
        memcpy(r->host + (pa - r->base), buf, len);
        return armvmi_region_gone(r) ? gone(h, pa, len) : 0;
    }
    if (h->ops->write_pa)
        return h->ops->write_pa(h, pa, buf, len);
    return not_ram(h, pa, len);
}

int armvmi_read_pa_batch(armvmi_t *h, struct armvmi_iov *iov, size_t n)
{
    if (!h || (!iov && n))
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_read_pa_batch: NULL argument.");
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        iov[i].status = armvmi_read_pa(h, iov[i].pa, iov[i].buf, iov[i].len);
        if (iov[i].status && !first)
            first = iov[i].status;
    }
    return first;
}

void *armvmi_map_pa(armvmi_t *h, uint64_t pa, size_t len)
{
    if (!h)
        return NULL;
    const struct armvmi_region *r = armvmi_region_find(h, pa, len ? len : 1);
    if (!r) {
        not_ram(h, pa, len);
        return NULL;
    }
    if (!r->host) {
        armvmi_fail(ARMVMI_ENOTSUP, "%s cannot map guest memory; use armvmi_read_pa.", h->target);
        return NULL;
    }
    return r->host + (pa - r->base);
}

int armvmi_pause(armvmi_t *h)
{
    if (!h)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_pause: NULL handle.");
    if (!(h->caps & ARMVMI_CAP_LIVE)) {
        h->pause_depth++;
        return 0; /* a dump never runs */
    }
    if (!h->ops->pause)
        return armvmi_fail(ARMVMI_ENOTSUP, "%s cannot be paused.", h->target);
    if (h->pause_depth == 0) {
        bool paused = false;
        int rc = h->ops->is_paused ? h->ops->is_paused(h, &paused) : 0;
        if (rc)
            return rc;
        if (!paused && (rc = h->ops->pause(h)))
            return rc;
        h->resume_on_last = !paused;
    }
    h->pause_depth++;
    return 0;
}

int armvmi_resume(armvmi_t *h)
{
    if (!h)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_resume: NULL handle.");
    if (h->pause_depth == 0)
        return armvmi_fail(ARMVMI_ESTATE, "armvmi_resume without a matching armvmi_pause.");
    if (--h->pause_depth == 0 && h->resume_on_last && (h->caps & ARMVMI_CAP_LIVE)) {
        h->resume_on_last = false;
        armvmi_tlb_flush(h); /* the guest may change its tables once it runs */
        return h->ops->resume(h);
    }
    return 0;
}

int armvmi_is_paused(armvmi_t *h, bool *paused)
{
    if (!h || !paused)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_is_paused: NULL argument.");
    if (!(h->caps & ARMVMI_CAP_LIVE) || !h->ops->is_paused) {
        *paused = true;
        return 0;
    }
    return h->ops->is_paused(h, paused);
}

int armvmi_hyp_doorbell(armvmi_t *h, int *fd)
{
    if (!h || !fd)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_hyp_doorbell: NULL argument.");
    if (!h->ops->doorbell)
        return armvmi_fail(ARMVMI_ENOTSUP,
                           "%s has no doorbell (not a VM under the armvmi "
                           "hypervisor).",
                           h->target);
    return h->ops->doorbell(h, fd);
}
