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
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pagemap.h"

/* One plain STR Xt, [Xn]: a data abort on it has a valid syndrome (ESR.ISV) with the value. */
static inline void store64(volatile uint64_t *p, uint64_t v)
{
    __asm__ volatile("str %x0, [%1]" ::"r"(v), "r"(p) : "memory");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: evstress N [CPU [GOFILE]]\n");
        return 2;
    }
    uint64_t n = strtoull(argv[1], NULL, 0), wa = 0, wb = 0;
    const char *go = argc > 3 ? argv[3] : "/tmp/evs-go";
    int fd = open("/proc/self/pagemap", O_RDONLY);

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(atoi(argv[2]), &set);
        if (sched_setaffinity(0, sizeof(set), &set)) {
            perror("evstress: sched_setaffinity");
            return 1;
        }
    }
    volatile uint64_t *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
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
