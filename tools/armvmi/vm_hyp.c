/* SPDX-License-Identifier: MIT */
/* vm_hyp.c — boot arguments for a guest under the armvmi hypervisor (`vm start --hyp`). */
#include <stdlib.h>
#include <string.h>

#include "hyp_host.h"
#include "vm.h"

int vm_hyp_boot_args(struct qemu_cmd *a, const char *dir, unsigned smp, unsigned mem_mib,
                     const char *kernel, const char *initrd, const char *append)
{
    static const char *const rel[] = {"../hyp/armvmi-hyp.elf", "../libexec/armvmi/armvmi-hyp.elf",
                                      NULL};
    const char *env = getenv("ARMVMI_HYP_ELF");
    char *elf = env && *env ? strdup(env) : cli_find_companion(rel);
    if (!elf)
        return cli_err("the hypervisor (armvmi-hyp.elf) was not found next to armvmi (%s/../hyp): "
                       "build it with `make` (needs gcc-aarch64-linux-gnu).",
                       cli_exe_dir());
    struct hyp_boot b = {
        .rundir = dir,
        .hyp_elf = elf,
        .kernel = kernel,
        .initrd = initrd,
        .append = append,
        .smp = smp,
        .mem_mib = mem_mib,
    };
    char err[512] = "";
    int rc = hyp_qemu_args(&b, a, err, sizeof(err));
    free(elf);
    if (rc)
        return cli_err("cannot prepare the hypervisor boot: %s", err);
    return 0;
}
