// SPDX-License-Identifier: MIT
// Guest micro-benchmarks for bench/hyp.sh, to tell which kind of guest work the
// hypervisor slows: each prints "UBENCH <name> <n> <ns per op>".
// Usage: hyp-ubench [switch|fault|syscall|fork|all] [N]
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void report(const char *name, long n, uint64_t ns)
{
    printf("UBENCH %s %ld %.1f\n", name, n, (double)ns / (double)n);
}

/* Two processes hand a byte back and forth: two context switches per round. */
static void bench_switch(long n)
{
    int a[2], b[2];
    char c = 0;
    if (pipe(a) || pipe(b))
        exit(1);
    pid_t p = fork();
    if (p == 0) {
        for (long i = 0; i < n; i++)
            if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
            exit(1);
    report("switch", n, now_ns() - t0);
    waitpid(p, NULL, 0);
}

static void bench_fault(long n)
{
    size_t len = (size_t)n * 4096;
    uint64_t t0 = now_ns();
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        exit(1);
    for (long i = 0; i < n; i++)
        m[i * 4096] = 1;
    munmap(m, len);
    report("fault", n, now_ns() - t0);
}

static void bench_syscall(long n)
{
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        getppid();
    report("syscall", n, now_ns() - t0);
}

static void bench_fork(long n)
{
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        waitpid(p, NULL, 0);
    }
    report("fork", n, now_ns() - t0);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    long n = argc > 2 ? atol(argv[2]) : 0;
    int all = !strcmp(what, "all");

    if (all || !strcmp(what, "switch"))
        bench_switch(n ? n : 2000);
    if (all || !strcmp(what, "fault"))
        bench_fault(n ? n : 5000);
    if (all || !strcmp(what, "syscall"))
        bench_syscall(n ? n : 50000);
    if (all || !strcmp(what, "fork"))
        bench_fork(n ? n : 100);
    return 0;
}
