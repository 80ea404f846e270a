/* SPDX-License-Identifier: MIT */
/* pages.c — guest test program: its own pages' physical frames, then a busy loop at EL0. */
/*
 * usage: pages [SECONDS]
 * Prints one line per page it owns (heap pages, a stack page, its code page):
 *   ARMVMI-PAGE va=0x<virtual> pa=0x<physical> what=<heap|stack|text> word=<first 8 bytes>
 * from /proc/self/pagemap, then "ARMVMI-SPIN" and spins in user space (no system calls)
 * for SECONDS (default 30), so that a paused vCPU is likely to be in this process at EL0.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PM_PRESENT (1ull << 63)
#define PM_PFN_MASK ((1ull << 55) - 1)

static uint64_t pa_of(int fd, const void *va, long psz)
{
    uint64_t e = 0;
    off_t off = (off_t)((uintptr_t)va / (uintptr_t)psz) * 8;
    if (pread(fd, &e, sizeof(e), off) != sizeof(e) || !(e & PM_PRESENT) || !(e & PM_PFN_MASK))
        return 0;
    return (e & PM_PFN_MASK) * (uint64_t)psz + ((uintptr_t)va % (uintptr_t)psz);
}

static void show(int fd, const void *va, const char *what, long psz)
{
    uint64_t w;
    memcpy(&w, va, sizeof(w));
    printf("ARMVMI-PAGE va=0x%" PRIxPTR " pa=0x%" PRIx64 " what=%s word=%016" PRIx64 "\n",
           (uintptr_t)va, pa_of(fd, va, psz), what, w);
}

int main(int argc, char **argv)
{
    int secs = argc > 1 ? atoi(argv[1]) : 30;
    long psz = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0) {
        perror("pages: /proc/self/pagemap");
        return 1;
    }
    enum { NHEAP = 8 };
    uint8_t *heap = mmap(NULL, NHEAP * (size_t)psz, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (heap == MAP_FAILED || mlock(heap, NHEAP * (size_t)psz)) {
        perror("pages: mmap/mlock");
        return 1;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (size_t i = 0; i < NHEAP * (size_t)psz; i++)
        heap[i] = (uint8_t)rand();
    volatile uint8_t stackpage[64];
    for (size_t i = 0; i < sizeof(stackpage); i++)
        stackpage[i] = (uint8_t)i;
    mlockall(MCL_CURRENT);
    for (int i = 0; i < NHEAP; i++)
        show(fd, heap + (size_t)i * (size_t)psz + (size_t)(i * 24), "heap", psz);
    show(fd, (const void *)stackpage, "stack", psz);
    show(fd, (const void *)(uintptr_t)main, "text", psz);
    printf("ARMVMI-SPIN\n");
    fflush(stdout);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0); /* the vDSO: no system call */
    volatile uint64_t spin = 0;
    do {
        for (int i = 0; i < 100000; i++)
            spin++;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (t.tv_sec - t0.tv_sec < secs);
    printf("ARMVMI-SPIN-DONE\n");
    return 0;
}
