// SPDX-License-Identifier: MIT
// Guest probe for the hypervisor tests: map physical addresses through /dev/mem and read them,
// reporting per address whether the read succeeded or faulted (SIGBUS/SIGSEGV).
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;

static void on_fault(int sig)
{
    siglongjmp(env, sig);
}

int main(int argc, char **argv)
{
    int fd = open("/dev/mem", O_RDONLY | O_SYNC), fails = 0;
    struct sigaction sa = {.sa_handler = on_fault};

    if (fd < 0) {
        perror("HYPCARVE open /dev/mem");
        return 2;
    }
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    for (int i = 1; i < argc; i++) {
        unsigned long long pa = strtoull(argv[i], NULL, 0), page = pa & ~0xfffULL;
        volatile uint32_t *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, (off_t)page);
        int sig;

        if (p == MAP_FAILED) {
            printf("HYPCARVE 0x%llx MAPFAIL\n", pa);
            fails++;
            continue;
        }
        if ((sig = sigsetjmp(env, 1)) == 0) {
            uint32_t v = p[(pa & 0xfff) / 4];
            printf("HYPCARVE 0x%llx READ 0x%08x\n", pa, v);
        } else {
            printf("HYPCARVE 0x%llx %s\n", pa, sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
        }
        fflush(stdout);
        munmap((void *)p, 4096);
    }
    return fails ? 1 : 0;
}
