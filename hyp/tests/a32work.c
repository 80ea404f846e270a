// SPDX-License-Identifier: MIT
// AArch32 EL0 guest workload for the hypervisor tests: a long compute/syscall loop, so that
// interrupts and traps arrive while the CPU is in AArch32 state; prints a fixed checksum.
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    unsigned long s = 0;

    for (unsigned i = 0; i < 60000000u; i++) {
        s = s * 31 + i;
        if (!(i % 100000))
            s += getppid() > 0;
    }
    printf("A32WORK sum=%lu\n", s);
    return 0;
}
