/* SPDX-License-Identifier: MIT */
/* Test harness: boot a kernel+initrd under the hypervisor (or directly, --no-hyp) on stdio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hyp_host.h"
#include "qemu_cmd.h"

static void usage(void)
{
    fprintf(
        stderr,
        "usage: armvmi-hyp-boot --kernel IMAGE --initrd INITRD --rundir DIR [--smp N] [--mem MIB]\n"
        "       [--append ARGS] [--hyp ELF] [--qemu PATH] [--no-hyp] [--print] [--carveout] [-- "
        "extra QEMU args]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct hyp_boot b = {.smp = 1, .mem_mib = 512};
    const char *qemu = QEMU_CMD_AARCH64;
    int no_hyp = 0, print = 0, i;
    char err[512];
    struct qemu_cmd v = {0};

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "--no-hyp")) {
            no_hyp = 1;
            continue;
        }
        if (!strcmp(a, "--print")) {
            print = 1;
            continue;
        }
        if (!strcmp(a, "--carveout")) {
            unsigned long long base, size;
            hyp_carveout(b.mem_mib, &base, &size);
            printf("0x%llx 0x%llx\n", base, size);
            return 0;
        }
        if (!val)
            usage();
        i++;
        if (!strcmp(a, "--kernel"))
            b.kernel = val;
        else if (!strcmp(a, "--initrd"))
            b.initrd = val;
        else if (!strcmp(a, "--rundir"))
            b.rundir = val;
        else if (!strcmp(a, "--append"))
            b.append = val;
        else if (!strcmp(a, "--hyp"))
            b.hyp_elf = val;
        else if (!strcmp(a, "--qemu"))
            qemu = val;
        else if (!strcmp(a, "--smp"))
            b.smp = (unsigned)atoi(val);
        else if (!strcmp(a, "--mem"))
            b.mem_mib = (unsigned)atoi(val);
        else
            usage();
    }
    if (!b.kernel || !b.initrd || !b.rundir || (!no_hyp && !b.hyp_elf))
        usage();
    /* The reference run (--no-hyp) is plain QEMU: Linux at EL1, no EL2 (as `--el2` off). */
    qemu_cmd_init(&v,
                  &(struct qemu_machine){.binary = qemu,
                                         .machine = no_hyp ? "virt,gic-version=3"
                                                           : "virt,virtualization=on,gic-version=3",
                                         .cpu = "max",
                                         .smp = b.smp,
                                         .mem_mib = b.mem_mib});
    qemu_cmd_add(&v, "-serial");
    qemu_cmd_add(&v, "mon:stdio");
    if (no_hyp) {
        char app[4096];
        snprintf(app, sizeof(app), "console=ttyAMA0 panic=-1%s%s", b.append ? " " : "",
                 b.append ? b.append : "");
        const char *extra[] = {"-kernel", b.kernel, "-initrd", b.initrd, "-append", app, NULL};
        for (int k = 0; extra[k]; k++)
            qemu_cmd_add(&v, "%s", extra[k]);
    } else if (hyp_qemu_args(&b, &v, err, sizeof(err))) {
        fprintf(stderr, "armvmi-hyp-boot: %s\n", err);
        return 1;
    }
    for (; i < argc; i++)
        qemu_cmd_add(&v, "%s", argv[i]);
    if (print) {
        for (size_t k = 0; k < v.n; k++)
            printf("%s%s", k ? " " : "", v.v[k]);
        printf("\n");
        return 0;
    }
    execvp(v.v[0], v.v);
    perror(v.v[0]);
    return 127;
}
