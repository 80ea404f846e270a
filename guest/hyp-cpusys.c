// SPDX-License-Identifier: MIT
// Guest CPU + system-call workload for the hypervisor benchmark (bench/hyp.sh): one
// process computing over a buffer and making system calls that move data in and out of the
// kernel, with no context switches of its own. It ends in a checksum that depends only on the
// work done, so a run under the hypervisor can be compared with a run without it.
// Usage: hyp-cpusys [ROUNDS]     (default 700; prints "HYPCPUSYS rounds=N checksum=X")
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BUF_BYTES (64u << 10)
#define CHUNK 512
#define SYSCALLS_PER_ROUND 64

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ull;
}

static void die(const char *what)
{
    fprintf(stderr, "hyp-cpusys: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* CPU: a few passes of an xorshift stream through the buffer, hashed back. */
static uint64_t compute(unsigned char *buf, uint64_t seed)
{
    uint64_t x = seed | 1, h = 0xcbf29ce484222325ull;
    for (int pass = 0; pass < 6; pass++) {
        for (unsigned i = 0; i < BUF_BYTES; i += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint64_t v;
            memcpy(&v, buf + i, sizeof(v));
            v = v * 31 + x;
            memcpy(buf + i, &v, sizeof(v));
        }
        for (unsigned i = 0; i < BUF_BYTES; i += 64)
            h = mix(h, buf[i]);
    }
    return h;
}

/*
 * System calls: a pipe to itself (write then read back: no other task runs), /dev/zero and
 * /dev/null, a tmpfs file (pwrite/pread), and calls that return at once.
 */
static uint64_t syscalls(unsigned char *buf, int pfd[2], int zero, int null, int file, uint64_t h)
{
    unsigned char back[CHUNK];
    struct stat st;
    for (int i = 0; i < SYSCALLS_PER_ROUND / 8; i++) {
        unsigned char *p = buf + (unsigned)i * CHUNK;
        if (write(pfd[1], p, CHUNK) != CHUNK || read(pfd[0], back, CHUNK) != CHUNK)
            die("pipe");
        if (memcmp(p, back, CHUNK))
            die("pipe gave back other bytes");
        if (pwrite(file, p, CHUNK, (off_t)i * CHUNK) != CHUNK ||
            pread(file, back, CHUNK, (off_t)i * CHUNK) != CHUNK)
            die("tmpfs file");
        h = mix(h, back[i % CHUNK]);
        if (read(zero, back, CHUNK) != CHUNK || back[i % CHUNK] != 0)
            die("/dev/zero");
        if (write(null, p, CHUNK) != CHUNK)
            die("/dev/null");
        if (fstat(file, &st))
            die("fstat");
        h = mix(h, (uint64_t)st.st_size);
        h = mix(h, (uint64_t)syscall(SYS_getppid) != 0);
    }
    return h;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 0) : 700;
    if (rounds < 1 || rounds > 1000000) {
        fprintf(stderr, "usage: hyp-cpusys [ROUNDS]   (1 to 1000000)\n");
        return 2;
    }
    unsigned char *buf = calloc(1, BUF_BYTES);
    int pfd[2], zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
    char path[] = "/tmp/hyp-cpusys.XXXXXX";
    int file = mkstemp(path);
    if (!buf || pipe(pfd) || zero < 0 || null < 0 || file < 0)
        die("setup");
    unlink(path);

    uint64_t h = 0xcbf29ce484222325ull;
    for (long r = 0; r < rounds; r++) {
        h = mix(h, compute(buf, (uint64_t)r));
        h = syscalls(buf, pfd, zero, null, file, h);
    }
    printf("HYPCPUSYS rounds=%ld checksum=%016llx\n", rounds, (unsigned long long)h);
    return 0;
}
