/* SPDX-License-Identifier: MIT */
/* evstress.c — guest program of the events stress test: writes two pages in a tight loop and
 * counts its own writes, so that the monitor's events can be compared with them. */
/*
 * usage: evstress N [CPU [GOFILE]]   (default GOFILE /tmp/evs-go)
 * Pins itself to CPU (when given), maps two pages A and B (mlocked), prints
 *   EVS a va=0x.. pa=0x..
 *   EVS b va=0x.. pa=0x..
 *   EVS-READY
 * waits (up to 300 s) for GOFILE to exist, then for i = 1..N stores i into A's first word and
 * then into B's (one 8-byte STR each, so that a write event carries the value), and prints
 *   EVS-DONE writes_a=N writes_b=N last_a=0x.. last_b=0x..
 * counting the stores it made and reading the words back.
 *
 * usage: evstress --dirty K [DIR]   (K <= 256 pages; default DIR /tmp)
 * Maps K pages of the file DIR/evs-shm shared at 0x6000000000 (alone in its 2 MiB of VA, so
 * one last-level table maps exactly them) and reads page 0, then prints
 *   EVS shm va=0x.. pa0=0x..
 *   EVS-SPIN
 * spins in user space (a system call only every few million loops) until DIR/evs-go1 exists,
 * reads one word of each page (read faults: the kernel writes their descriptors; a shared
 * page is mapped writable-clean, DBM=1 AP[2]=1), prints EVS-READ, waits for DIR/evs-go2, writes
 * one word into each page (with TCR_EL1.HD the MMU marks each descriptor dirty itself) and
 * prints "EVS-WRITE pages=K sum=0x.." (the words read back); exits once DIR/evs-go3 exists.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pagemap.h"

/* One plain STR Xt, [Xn]: a data abort on it has a valid syndrome (ESR.ISV) with the value. */
static inline void store64(volatile uint64_t *p, uint64_t v)
{
    __asm__ volatile("str %x0, [%1]" ::"r"(v), "r"(p) : "memory");
}

#define SHM_VA 0x6000000000ull

static int wait_file(const char *dir, const char *name, int spin)
{
    char path[512];
    time_t t0 = time(NULL);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    while (access(path, F_OK)) {
        if (time(NULL) - t0 > 300) {
            printf("EVS-TIMEOUT %s\n", name);
            return -1;
        }
        if (spin)
            for (volatile unsigned long k = 0; k < (1ul << 22); k++)
                ;
        else
            usleep(10000);
    }
    return 0;
}

static int dirty_mode(int k, const char *dir)
{
    char path[512];
    uint64_t sum = 0;
    int pm = open("/proc/self/pagemap", O_RDONLY);

    snprintf(path, sizeof(path), "%s/evs-shm", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (k < 1 || k > 256 || fd < 0 || pm < 0 || ftruncate(fd, (off_t)k * 4096)) {
        perror("evstress: --dirty K (1..256), its file, pagemap");
        return 1;
    }
    volatile uint64_t *p = mmap((void *)SHM_VA, (size_t)k * 4096, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
    if (p == MAP_FAILED) {
        perror("evstress: mmap");
        return 1;
    }
    sum += p[0];
    printf("EVS shm va=0x%" PRIxPTR " pa0=0x%" PRIx64 "\n", (uintptr_t)p, pa_of(pm, (void *)p));
    printf("EVS-SPIN\n");
    if (wait_file(dir, "evs-go1", 1))
        return 1;
    for (int i = 0; i < k; i++)
        sum += p[i * 512];
    printf("EVS-READ sum=0x%" PRIx64 "\n", sum);
    if (wait_file(dir, "evs-go2", 0))
        return 1;
    for (int i = 0; i < k; i++)
        p[i * 512 + 1] = 0x1000u + (uint64_t)i;
    sum = 0;
    for (int i = 0; i < k; i++)
        sum += p[i * 512 + 1];
    printf("EVS-WRITE pages=%d sum=0x%" PRIx64 "\n", k, sum);
    return wait_file(dir, "evs-go3", 0) ? 1 : 0; /* exit (unmap, free the table) when told */
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && !strcmp(argv[1], "--dirty"))
        return dirty_mode(atoi(argv[2]), argc > 3 ? argv[3] : "/tmp");
    if (argc < 2) {
        fprintf(stderr, "usage: evstress N [CPU [GOFILE]]\n");
        return 2;
    }
    uint64_t n = strtoull(argv[1], NULL, 0), wa = 0, wb = 0;
    const char *go = argc > 3 ? argv[3] : "/tmp/evs-go";
    int fd = open("/proc/self/pagemap", O_RDONLY);

    if (argc > 2) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(atoi(argv[2]), &set);
        if (sched_setaffinity(0, sizeof(set), &set)) {
            perror("evstress: sched_setaffinity");
            return 1;
        }
    }
    volatile uint64_t *a =
        mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (fd < 0 || a == MAP_FAILED || mlock((void *)a, 8192)) {
        perror("evstress: pagemap/mmap/mlock");
        return 1;
    }
    volatile uint64_t *b = a + 512;
    a[0] = b[0] = 0;
    printf("EVS a va=0x%" PRIxPTR " pa=0x%" PRIx64 "\n", (uintptr_t)a, pa_of(fd, (void *)a));
    printf("EVS b va=0x%" PRIxPTR " pa=0x%" PRIx64 "\n", (uintptr_t)b, pa_of(fd, (void *)b));
    printf("EVS-READY\n");
    time_t t0 = time(NULL);
    while (access(go, F_OK)) {
        if (time(NULL) - t0 > 300) {
            printf("EVS-TIMEOUT\n");
            return 1;
        }
        usleep(10000);
    }
    for (uint64_t i = 1; i <= n; i++) {
        store64(a, i);
        wa++;
        store64(b, i);
        wb++;
    }
    printf("EVS-DONE writes_a=%" PRIu64 " writes_b=%" PRIu64 " last_a=0x%" PRIx64
           " last_b=0x%" PRIx64 "\n",
           wa, wb, a[0], b[0]);
    return 0;
}
