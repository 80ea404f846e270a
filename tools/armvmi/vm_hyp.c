/* SPDX-License-Identifier: MIT */
/* vm_hyp.c — boot arguments for a guest under the armvmi hypervisor (`vm start --hyp`). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armvmi/abi.h>

#include "drivers/qemu_rundir.h"
#include "hyp_host.h"
#include "vm.h"

int vm_hyp_boot_args(struct qemu_cmd *a, const char *dir, unsigned smp, unsigned mem_mib,
                     const char *kernel, const char *initrd, const char *append, unsigned hold_s)
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
        .hold_s = hold_s,
    };
    char err[512] = "";
    int rc = hyp_qemu_args(&b, a, err, sizeof(err));
    free(elf);
    if (rc)
        return cli_err("cannot prepare the hypervisor boot: %s", err);
    return 0;
}

int vm_hyp_held(const char *dir)
{
    char path[4200];
    struct armvmi_abi_chan ch;
    int fd;
    ssize_t n;

    if (rundir_path(dir, RUNDIR_RAM, path, sizeof(path)))
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* QEMU virt: RAM (the file's offset 0) starts at ARMVMI_CARVE_BASE */
    n = pread(fd, &ch, sizeof(ch), (off_t)(ARMVMI_CHAN_ADDR - ARMVMI_CARVE_BASE));
    close(fd);
    if (n != (ssize_t)sizeof(ch) || ch.magic != ARMVMI_CHAN_MAGIC ||
        ch.version != ARMVMI_ABI_VERSION)
        return -1;
    return (ch.hyp_flags & ARMVMI_CHAN_F_HELD) != 0;
}
