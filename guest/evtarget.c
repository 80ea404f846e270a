/* SPDX-License-Identifier: MIT */
/* evtarget.c — guest test program for memory events: a data page written and read in a known
 * pattern, and a code page, each started by a trigger file. */
/*
 * usage: evtarget [DIR]   (default /tmp)
 * Prints its pages (physical addresses from /proc/self/pagemap):
 *   EVT data va=0x.. pa=0x..      the data page (mlocked)
 *   EVT code va=0x.. pa=0x..      the page of exec_target (page aligned)
 *   EVT writer va=0x..            do_writes (the stores' PCs are just after it)
 *   EVT reader va=0x..            do_read
 *   EVT-READY
 * then waits (up to 300 s each) for DIR/evt-PHASE to exist, for PHASE in w, r, x, w2, and does:
 *   w:  8 stores of 8 bytes, word i = 0x1111111111111111 * (i + 1) at offsets 0, 8, ... 56;
 *       prints "EVT-W" and the 8 words read back
 *   r:  one 8-byte load of word 16 (0x5a5a5a5a5a5a5a5a as written at start); "EVT-R 0x..."
 *   x:  calls exec_target(5) (returns 5 * 3 + 1); "EVT-X 16"
 *   w2: 4 stores to word 32..35 (4 bytes each: 0xc0de0000 + i); "EVT-W2" and the words
 * and ends with EVT-END.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PM_PRESENT (1ull << 63)
#define PM_PFN_MASK ((1ull << 55) - 1)

static uint64_t pa_of(int fd, const void *va)
{
    uint64_t e = 0;
    off_t off = (off_t)((uintptr_t)va / 4096) * 8;
    if (pread(fd, &e, sizeof(e), off) != sizeof(e) || !(e & PM_PRESENT) || !(e & PM_PFN_MASK))
        return 0;
    return (e & PM_PFN_MASK) * 4096 + ((uintptr_t)va % 4096);
}

__attribute__((noinline, aligned(64))) static void do_writes(volatile uint64_t *p)
{
    for (int i = 0; i < 8; i++)
        p[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
}

__attribute__((noinline, aligned(64))) static uint64_t do_read(volatile uint64_t *p)
{
    return p[16];
}

__attribute__((noinline, aligned(4096))) int exec_target(int v)
{
    return v * 3 + 1;
}

__attribute__((noinline, aligned(64))) static void do_writes32(volatile uint32_t *p)
{
    for (int i = 0; i < 4; i++)
        p[64 + i] = 0xc0de0000u + (uint32_t)i;
}

static int wait_for(const char *dir, const char *phase)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/evt-%s", dir, phase);
    for (int i = 0; i < 30000; i++) {
        if (!stat(path, &st))
            return 0;
        usleep(10000);
    }
    printf("EVT-TIMEOUT %s\n", phase);
    return -1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int (*volatile fn)(int) = exec_target;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    volatile uint64_t *p =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (fd < 0 || p == MAP_FAILED || mlock((void *)p, 4096)) {
        perror("evtarget: pagemap/mmap/mlock");
        return 1;
    }
    for (int i = 0; i < 512; i++)
        p[i] = 0x5a5a5a5a5a5a5a5aull;
    (void)fn(0); /* the code page present */
    printf("EVT data va=0x%" PRIxPTR " pa=0x%" PRIx64 "\n", (uintptr_t)p, pa_of(fd, (void *)p));
    printf("EVT code va=0x%" PRIxPTR " pa=0x%" PRIx64 "\n", (uintptr_t)exec_target,
           pa_of(fd, (void *)exec_target));
    printf("EVT writer va=0x%" PRIxPTR "\n", (uintptr_t)do_writes);
    printf("EVT reader va=0x%" PRIxPTR "\n", (uintptr_t)do_read);
    printf("EVT writer32 va=0x%" PRIxPTR "\n", (uintptr_t)do_writes32);
    printf("EVT-READY\n");
    if (wait_for(dir, "w"))
        return 1;
    do_writes(p);
    printf("EVT-W");
    for (int i = 0; i < 8; i++)
        printf(" %016" PRIx64, p[i]);
    printf("\n");
    if (wait_for(dir, "r"))
        return 1;
    printf("EVT-R 0x%016" PRIx64 "\n", do_read(p));
    if (wait_for(dir, "x"))
        return 1;
    printf("EVT-X %d\n", fn(5));
    if (wait_for(dir, "w2"))
        return 1;
    do_writes32((volatile uint32_t *)p);
    printf("EVT-W2");
    for (int i = 0; i < 4; i++)
        printf(" %08x", ((volatile uint32_t *)p)[64 + i]);
    printf("\nEVT-END\n");
    return 0;
}
