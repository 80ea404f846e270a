/* SPDX-License-Identifier: MIT */
/* magic.c — guest test program: a page of random magic, its physical address, and a watch. */
/*
 * Prints   ARMVMI-MAGIC pa=0x<physical address> magic=<16 hex digits>
 * then polls the page for up to the given seconds (default 60) and, when its first 8 bytes
 * change, prints   ARMVMI-MAGIC-SEEN <16 hex digits of the new first 8 bytes>
 * or, on timeout,  ARMVMI-MAGIC-TIMEOUT
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define PM_PRESENT (1ull << 63)
#define PM_PFN_MASK ((1ull << 55) - 1)

static uint64_t virt_to_phys(const void *va)
{
    long psz = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        return 0;
    uint64_t e = 0;
    off_t off = (off_t)((uintptr_t)va / (uintptr_t)psz) * 8;
    ssize_t n = pread(fd, &e, sizeof(e), off);
    close(fd);
    if (n != sizeof(e) || !(e & PM_PRESENT) || !(e & PM_PFN_MASK))
        return 0;
    return (e & PM_PFN_MASK) * (uint64_t)psz + ((uintptr_t)va % (uintptr_t)psz);
}

int main(int argc, char **argv)
{
    int secs = argc > 1 ? atoi(argv[1]) : 60;
    long psz = sysconf(_SC_PAGESIZE);
    volatile uint64_t *page = mmap(NULL, (size_t)psz, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (page == MAP_FAILED || mlock((void *)page, (size_t)psz)) {
        perror("magic: mmap/mlock");
        return 1;
    }
    uint64_t magic = 0;
    if (getrandom(&magic, sizeof(magic), 0) != sizeof(magic)) {
        perror("magic: getrandom");
        return 1;
    }
    magic |= 1; /* never all-zero */
    for (size_t i = 0; i < (size_t)psz / 8; i++)
        page[i] = magic;
    uint64_t pa = virt_to_phys((const void *)page);
    if (!pa) {
        fprintf(stderr, "magic: /proc/self/pagemap gave no frame (not root?)\n");
        return 1;
    }
    printf("ARMVMI-MAGIC pa=0x%" PRIx64 " magic=%016" PRIx64 "\n", pa, magic);
    fflush(stdout);
    for (int i = 0; i < secs * 20; i++) {
        if (page[0] != magic) {
            printf("ARMVMI-MAGIC-SEEN %016" PRIx64 "\n", (uint64_t)page[0]);
            return 0;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    printf("ARMVMI-MAGIC-TIMEOUT\n");
    return 2;
}
