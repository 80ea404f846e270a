// SPDX-License-Identifier: MIT
// Guest probe for the hypervisor tests: map physical addresses through /dev/mem and read them
// (argument ADDR) or write a 32-bit value (argument ADDR=VALUE), in order, reporting per access
// whether it succeeded or faulted (SIGBUS/SIGSEGV).
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;

static void on_fault(int sig)
{
    siglongjmp(env, sig);
}

int main(int argc, char **argv)
{
    int fd = open("/dev/mem", O_RDWR | O_SYNC), fails = 0;
    struct sigaction sa = {.sa_handler = on_fault};

    if (fd < 0) {
        perror("HYPCARVE open /dev/mem");
        return 2;
    }
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    for (int i = 1; i < argc; i++) {
        unsigned long long pa = strtoull(argv[i], NULL, 0), page = pa & ~0xfffULL;
        const char *eq = strchr(argv[i], '=');
        uint32_t val = eq ? (uint32_t)strtoul(eq + 1, NULL, 0) : 0;
        volatile uint32_t *p =
            mmap(NULL, 4096, PROT_READ | (eq ? PROT_WRITE : 0), MAP_SHARED, fd, (off_t)page);
        int sig;

        if (p == MAP_FAILED) {
            printf("HYPCARVE 0x%llx MAPFAIL\n", pa);
            fails++;
            continue;
        }
        if ((sig = sigsetjmp(env, 1)) == 0 && eq) {
            p[(pa & 0xfff) / 4] = val;
            printf("HYPCARVE 0x%llx WROTE 0x%08x\n", pa, val);
        } else if (sig == 0) {
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
