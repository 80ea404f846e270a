/* SPDX-License-Identifier: MIT */
/* raw.c — the "raw" driver: a flat image of guest physical memory starting at a base address. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/driver.h"

static void raw_close(struct armvmi *h)
{
    for (unsigned i = 0; i < h->nregions; i++)
        if (h->regions[i].host) {
            armvmi_mapguard_remove(h->regions[i].guard);
            munmap(h->regions[i].host, h->regions[i].size);
        }
    h->nregions = 0;
}

static const struct armvmi_driver_ops raw_ops = {
    .name = "raw",
    .close = raw_close,
};

int armvmi_raw_open(struct armvmi *h, const char *path, uint64_t base)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return armvmi_fail(errno == ENOENT ? ARMVMI_ENOENT : ARMVMI_EIO, "cannot open %s: %s.",
                           path, strerror(errno));
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return armvmi_fail(ARMVMI_EFORMAT, "%s is not a regular file.", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return armvmi_fail(ARMVMI_EFORMAT, "%s is empty: a raw image needs at least one byte.",
                           path);
    }
    if ((uint64_t)st.st_size > UINT64_MAX - base) {
        close(fd);
        return armvmi_fail(ARMVMI_EINVAL,
                           "%s at base 0x%" PRIx64 " would pass the end of the "
                           "physical address space.",
                           path, base);
    }
    /* Writable when the file is: open again read-write so `write --pa` can patch an image. */
    int wfd = open(path, O_RDWR | O_CLOEXEC);
    void *p = mmap(NULL, st.st_size, PROT_READ | (wfd >= 0 ? PROT_WRITE : 0), MAP_SHARED,
                   wfd >= 0 ? wfd : fd, 0);
    close(fd);
    if (wfd >= 0)
        close(wfd);
    if (p == MAP_FAILED)
        return armvmi_fail(ARMVMI_EIO, "cannot map %s: %s.", path, strerror(errno));
    h->ops = &raw_ops;
    h->nregions = 1;
    h->regions[0] =
        (struct armvmi_region){.base = base,
                               .size = (uint64_t)st.st_size,
                               .host = p,
                               .writable = wfd >= 0,
                               .guard = armvmi_mapguard_add(p, (size_t)st.st_size, wfd >= 0)};
    h->caps = ARMVMI_CAP_READ | ARMVMI_CAP_MAP | (wfd >= 0 ? ARMVMI_CAP_WRITE : 0);
    h->vcpus = 0;
    return 0;
}
