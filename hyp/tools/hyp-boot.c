/* SPDX-License-Identifier: MIT */
/* Test harness: boot a kernel+initrd under the hypervisor (or directly, --no-hyp) in QEMU on stdio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tools/armvmi/hyp_host.h"

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
    struct hyp_boot b = {.qemu = "qemu-system-aarch64", .smp = 1, .mem_mib = 512};
    int no_hyp = 0, print = 0, i;
    char **v = NULL, err[512], smp[16], mem[16];
    size_t n = 0;

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
            b.qemu = val;
        else if (!strcmp(a, "--smp"))
            b.smp = (unsigned)atoi(val);
        else if (!strcmp(a, "--mem"))
            b.mem_mib = (unsigned)atoi(val);
        else
            usage();
    }
    if (!b.kernel || !b.initrd || !b.rundir || (!no_hyp && !b.hyp_elf))
        usage();
    snprintf(smp, sizeof(smp), "%u", b.smp);
    snprintf(mem, sizeof(mem), "%u", b.mem_mib);
    /* The reference run (--no-hyp) is plain QEMU: Linux at EL1, no EL2 (as `--el2` off). */
    const char *base[] = {b.qemu,
                          "-machine",
                          no_hyp ? "virt,gic-version=3" : "virt,virtualization=on,gic-version=3",
                          "-cpu",
                          "max",
                          "-smp",
                          smp,
                          "-m",
                          mem,
                          "-nodefaults",
                          "-display",
                          "none",
                          "-serial",
                          "mon:stdio",
                          NULL};
    for (int k = 0; base[k]; k++) {
        v = realloc(v, (n + 2) * sizeof(char *));
        v[n++] = strdup(base[k]);
        v[n] = NULL;
    }
    b.base_argv = v;
    if (no_hyp) {
        char app[4096];
        snprintf(app, sizeof(app), "console=ttyAMA0 panic=-1%s%s", b.append ? " " : "",
                 b.append ? b.append : "");
        const char *extra[] = {"-kernel", b.kernel, "-initrd", b.initrd, "-append", app, NULL};
        for (int k = 0; extra[k]; k++) {
            v = realloc(v, (n + 2) * sizeof(char *));
            v[n++] = strdup(extra[k]);
            v[n] = NULL;
        }
    } else if (hyp_qemu_args(&b, &v, &n, err, sizeof(err))) {
        fprintf(stderr, "armvmi-hyp-boot: %s\n", err);
        return 1;
    }
    for (; i < argc; i++) {
        v = realloc(v, (n + 2) * sizeof(char *));
        v[n++] = strdup(argv[i]);
        v[n] = NULL;
    }
    if (print) {
        for (size_t k = 0; k < n; k++)
            printf("%s%s", k ? " " : "", v[k]);
        printf("\n");
        return 0;
    }
    execvp(v[0], v);
    perror(v[0]);
    return 127;
}
