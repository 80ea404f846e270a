/* SPDX-License-Identifier: MIT */
/* evtarget.c — guest test program for memory events: a data page written and read in a known
 * pattern, and a code page, each started by a trigger file. */
/*
 * usage: evtarget [DIR]   (default /tmp)
 * Prints its pages (physical addresses from /proc/self/pagemap):
 *   EVT data va=0x.. pa=0x..      the data page (mlocked, alone in its 2 MiB of VA), every
 *                                 word 0x5a5a5a5a5a5a5a5a
 *   EVT code va=0x.. pa=0x..      the page of exec_target (page aligned)
 *   EVT writer va=0x..            do_writes, do_writes32, do_read: the accesses' PCs are in
 *   EVT writer32 va=0x..          their first 64 bytes
 *   EVT reader va=0x..
 *   EVT-READY
 * then for N = 1, 2, ... waits (up to 300 s) for the file DIR/evt-go-N, whose first word is
 * the operation, does it, and prints "EVT-N" and its result:
 *   w    8 stores of 8 bytes (post-indexed: no syndrome), word i = 0x1111111111111111 * (i + 1)
 *        at words 0-7; prints the 8 words read back
 *   w32  4 stores of 4 bytes (with syndrome), 0xc0de0000 + i at 32-bit words 64-67; prints them
 *   r    one 8-byte load of word 16; prints it
 *   x    calls exec_target(5), 3 instructions alone on their page; prints the result (16)
 *   spin spins in user space for 15 s (no system calls), so that a paused vCPU is in it
 *   end  prints EVT-END and exits
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

#define DATA_VA 0x5000000000ull
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

/* int exec_target(int v): v * 3 + 1, alone on its page, so that execute-protecting the page
 * traps exactly its three instructions. */
int exec_target(int v);
__asm__(".text\n"
        ".balign 4096\n"
        ".global exec_target\n"
        ".type exec_target, %function\n"
        "exec_target:\n"
        "  add w0, w0, w0, lsl #1\n"
        "  add w0, w0, #1\n"
        "  ret\n"
        ".size exec_target, . - exec_target\n"
        ".balign 4096\n");

__attribute__((noinline, aligned(64))) static void do_writes32(volatile uint32_t *p)
{
    for (int i = 0; i < 4; i++)
        p[64 + i] = 0xc0de0000u + (uint32_t)i;
}

static int wait_for(const char *dir, int n, char *op, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/evt-go-%d", dir, n);
    time_t t0 = time(NULL);
    while (time(NULL) - t0 < 300) {
        FILE *f = fopen(path, "r");
        if (f) {
            int ok = fscanf(f, "%15s", op) == 1;
            fclose(f);
            if (ok)
                return 0;
        }
        usleep(10000);
    }
    (void)len;
    printf("EVT-TIMEOUT %d\n", n);
    return -1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int (*volatile fn)(int) = exec_target;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    /* alone in its 2 MiB of VA, so its last-level table maps nothing else of ours */
    volatile uint64_t *p =
        mmap((void *)DATA_VA, 4096, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_FIXED_NOREPLACE, -1, 0);

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
    printf("EVT writer32 va=0x%" PRIxPTR "\n", (uintptr_t)do_writes32);
    printf("EVT reader va=0x%" PRIxPTR "\n", (uintptr_t)do_read);
    printf("EVT-READY\n");
    for (int n = 1; n < 1000; n++) {
        char op[16];
        if (wait_for(dir, n, op, sizeof(op)))
            return 1;
        printf("EVT-%d", n);
        if (!strcmp(op, "w")) {
            do_writes(p);
            for (int i = 0; i < 8; i++)
                printf(" %016" PRIx64, p[i]);
        } else if (!strcmp(op, "w32")) {
            do_writes32((volatile uint32_t *)p);
            for (int i = 0; i < 4; i++)
                printf(" %08x", ((volatile uint32_t *)p)[64 + i]);
        } else if (!strcmp(op, "r")) {
            printf(" 0x%016" PRIx64, do_read(p));
        } else if (!strcmp(op, "x")) {
            printf(" %d", fn(5));
        } else if (!strcmp(op, "spin")) {
            time_t t0 = time(NULL);
            for (volatile unsigned long k = 0; time(NULL) - t0 < 15; k++)
                ;
            printf(" spun");
        } else {
            printf(" END\nEVT-END\n");
            return 0;
        }
        printf("\n");
    }
    return 0;
}
