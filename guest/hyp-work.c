// SPDX-License-Identifier: MIT
// Guest workload for the hypervisor tests: fork, syscalls, timers, page faults and cross-CPU
// wake-ups (IPIs) across all vCPUs, ending in a checksum that does not depend on scheduling.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define ROUNDS 1000
#define MAP_BYTES (2u << 20)

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ull;
}

static void die(const char *what)
{
    perror(what);
    _exit(1);
}

/* Page faults: touch every page of fresh anonymous memory, hash it back. */
static uint64_t fault_pages(int id)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int rep = 0; rep < 4; rep++) {
        unsigned char *p =
            mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap");
        for (unsigned off = 0; off < MAP_BYTES; off += 4096)
            p[off + (off >> 12) % 4000] = (unsigned char)(id * 7 + rep + (off >> 12));
        for (unsigned off = 0; off < MAP_BYTES; off += 4096)
            h = mix(h, p[off + (off >> 12) % 4000]);
        munmap(p, MAP_BYTES);
    }
    return h;
}

/* Timers: an interval timer delivering SIGALRM, and nanosleep. */
static uint64_t timers(void)
{
    struct itimerval it = {{0, 2000}, {0, 2000}}, off = {{0, 0}, {0, 0}};
    struct timespec a, b, ns = {0, 1000000};
    signal(SIGALRM, on_alarm);
    clock_gettime(CLOCK_MONOTONIC, &a);
    setitimer(ITIMER_REAL, &it, NULL);
    while (ticks < 10)
        pause();
    setitimer(ITIMER_REAL, &off, NULL);
    for (int i = 0; i < 5; i++)
        nanosleep(&ns, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int64_t us = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
    return us >= 5000 ? 1 : 0; /* time moved forward at least the sleeps */
}

static void worker(int id, int ncpu, int in, int out, int res)
{
    cpu_set_t set;
    uint64_t h = mix(0xcbf29ce484222325ull, (uint64_t)id), tok;

    CPU_ZERO(&set);
    CPU_SET(id % ncpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set))
        die("sched_setaffinity");
    h = mix(h, fault_pages(id));
    h = mix(h, timers());
    for (int i = 0; i < 2000; i++)
        h = mix(h, (uint64_t)getuid() + (uint64_t)(sched_getcpu() == id % ncpu));
    /* Token ring: every hand-over wakes a task on another CPU (a reschedule IPI). */
    for (int r = 0; r < ROUNDS; r++) {
        if (read(in, &tok, sizeof(tok)) != sizeof(tok))
            die("read");
        tok = tok * 31 + (uint64_t)id + 1;
        if (write(out, &tok, sizeof(tok)) != sizeof(tok))
            die("write");
    }
    h = mix(h, tok);
    if (write(res, &h, sizeof(h)) != sizeof(h))
        die("write result");
    _exit(0);
}

int main(void)
{
    int ring[WORKERS][2], res[WORKERS][2], ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t sum = 0xcbf29ce484222325ull, tok = 1, h;
    pid_t pids[WORKERS];

    if (ncpu < 1)
        ncpu = 1;
    for (int i = 0; i < WORKERS; i++)
        if (pipe(ring[i]) || pipe(res[i]))
            die("pipe");
    for (int i = 0; i < WORKERS; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            die("fork");
        if (pids[i] == 0)
            worker(i, ncpu, ring[i][0], ring[(i + 1) % WORKERS][1], res[i][1]);
    }
    if (write(ring[0][1], &tok, sizeof(tok)) != sizeof(tok))
        die("write");
    for (int i = 0; i < WORKERS; i++) {
        int st;
        if (read(res[i][0], &h, sizeof(h)) != sizeof(h))
            die("read result");
        sum = mix(sum, h);
        if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
            die("worker failed");
    }
    if (read(ring[0][0], &tok, sizeof(tok)) != sizeof(tok))
        die("read final token");
    sum = mix(sum, tok);
    printf("HYPWORK cpus=%d checksum=%016llx\n", ncpu, (unsigned long long)sum);
    return 0;
}
