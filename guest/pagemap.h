/* SPDX-License-Identifier: MIT */
/* pagemap.h — the guest test programs' physical address of a virtual one, from their own
 * /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst). */
#ifndef GUEST_PAGEMAP_H
#define GUEST_PAGEMAP_H
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#define PM_PRESENT (1ull << 63)
#define PM_PFN_MASK ((1ull << 55) - 1)

/* fd: /proc/self/pagemap open for reading; 0 if the page is not present (or PFNs hidden). */
static inline uint64_t pa_of(int fd, const void *va)
{
    uint64_t e = 0;
    off_t off = (off_t)((uintptr_t)va / 4096) * 8;
    if (pread(fd, &e, sizeof(e), off) != sizeof(e) || !(e & PM_PRESENT) || !(e & PM_PFN_MASK))
        return 0;
    return (e & PM_PFN_MASK) * 4096 + ((uintptr_t)va % 4096);
}
#endif
