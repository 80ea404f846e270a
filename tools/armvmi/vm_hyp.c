/* SPDX-License-Identifier: MIT */
/* vm_hyp.c — boot arguments for a guest under the armvmi hypervisor (`vm start --hyp`). */
#include "vm.h"

int vm_hyp_boot_args(struct argvec *a, const struct argvec *base, const char *dir,
                     unsigned smp, unsigned mem_mib, const char *kernel, const char *initrd,
                     const char *append)
{
    return cli_err("--hyp is not available yet: the hypervisor is still being built.");
}
