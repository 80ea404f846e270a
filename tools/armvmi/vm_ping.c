/* SPDX-License-Identifier: MIT */
/* vm_ping.c — `armvmi vm ping`: round trips through the hypervisor's doorbell (liveness). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/paths.h"
#include "drivers/qemu_rundir.h"
#include "vm.h"

static const char help[] =
    "usage: armvmi vm ping NAME|DIR [--count N] [--timeout MS] [--json]\n"
    "Sends N (default 1) pings in a row through the armvmi hypervisor's doorbell (a VM started\n"
    "with --hyp; DIR: a run directory given as a path with a '/'); the hypervisor itself answers\n"
    "each one within MS milliseconds (default 2000). Prints the round-trip times.\n";

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int cmd_vm_ping(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"count", required_argument, 0, 'n'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    uint64_t count = 1, timeout = 2000;
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'h') {
            fputs(help, stdout);
            return 0;
        }
        if (ch == 'n' && !cli_u64(optarg, &count, false) && count >= 1 && count <= 1000000)
            continue;
        if (ch == 't' && !cli_u64(optarg, &timeout, false) && timeout >= 1 && timeout <= 60000)
            continue;
        if (ch == 'n')
            return cli_err("--count takes 1 to 1000000 pings (got '%s').", optarg);
        if (ch == 't')
            return cli_err("--timeout takes milliseconds from 1 to 60000 (got '%s').", optarg);
        fputs(help, stderr);
        return 2;
    }
    if (optind != argc - 1)
        return cli_err("vm ping needs exactly one VM NAME or run DIR (see `armvmi vm list`).");
    const char *name = argv[optind];
    char dir[4096];
    if (strchr(name, '/'))
        snprintf(dir, sizeof(dir), "%s", name); /* a run directory (the test harness's) */
    else if (armvmi_vm_dir(name, dir, sizeof(dir)))
        return cli_lib_err(NULL);
    else if (!rundir_pid_alive(rundir_qemu_pid(dir)))
        return cli_err("no running VM named '%s' (see `armvmi vm list`).", name);
    int fd = rundir_doorbell_connect(dir);
    if (fd < 0)
        return cli_lib_err(NULL);
    uint64_t *rtt = calloc(count, sizeof(*rtt)), sum = 0;
    if (!rtt) {
        close(fd);
        return cli_err("out of memory.");
    }
    for (uint64_t i = 0; i < count; i++) {
        if (rundir_doorbell_ping(fd, (int)timeout, &rtt[i])) {
            close(fd);
            free(rtt);
            return cli_err("ping %llu of %llu: %s", (unsigned long long)i + 1,
                           (unsigned long long)count, armvmi_errmsg());
        }
        sum += rtt[i];
    }
    close(fd);
    qsort(rtt, count, sizeof(*rtt), cmp_u64);
    double min = rtt[0] / 1e3, med = rtt[count / 2] / 1e3, max = rtt[count - 1] / 1e3,
           mean = (double)sum / count / 1e3;
    free(rtt);
    if (c->json)
        return cli_json_out(json_pack("{s:s,s:I,s:f,s:f,s:f,s:f}", "name", name, "count",
                                      (json_int_t)count, "min_us", min, "median_us", med, "mean_us",
                                      mean, "max_us", max));
    printf("VM '%s': %llu ping%s answered by the hypervisor, round trip min %.1f / median %.1f / "
           "mean %.1f / max %.1f us\n",
           name, (unsigned long long)count, count == 1 ? "" : "s", min, med, mean, max);
    return 0;
}
