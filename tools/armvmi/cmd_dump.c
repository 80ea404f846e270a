/* SPDX-License-Identifier: MIT */
/* cmd_dump.c — `armvmi dump`: an ELF core dump of a VM or of another dump. */
#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: armvmi [--vm SPEC] dump -o FILE.elf [--json] [--quiet]\n"
    "Writes an ELF core dump of the target in QEMU's dump-guest-memory layout (plus a note\n"
    "with each vCPU's system registers). A live VM is paused while it is written and then\n"
    "resumed. The file appears only when complete: Ctrl-C or an error leaves nothing behind.\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int progress(void *arg, uint64_t done, uint64_t total)
{
    if (interrupted)
        return 1;
    struct cli *c = arg;
    if (!c->quiet)
        cli_progress("dump", done, total);
    return 0;
}

int cmd_dump(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (o) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            fputs(help, stderr);
            return 2;
        }
    }
    if (!out)
        return cli_err("dump needs -o FILE (where to write the ELF core).");
    if (optind != argc)
        return cli_err("dump takes no arguments besides -o FILE (got '%s').", argv[optind]);
    armvmi_t *h;
    if (cli_open(c, &h))
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = armvmi_dump(h, out, progress, c);
    struct armvmi_info in;
    armvmi_get_info(h, &in);
    armvmi_close(h);
    if (rc == -ARMVMI_EINTR)
        return cli_err("dump interrupted; %s was not written.", out);
    if (rc)
        return cli_lib_err("dump");
    if (c->json)
        return cli_json_out(json_pack("{s:s,s:I,s:i}", "file", out, "ram_bytes",
                                      (json_int_t)in.ram_bytes, "vcpus", (int)in.vcpus));
    if (!c->quiet)
        printf("wrote %s (%llu MiB of RAM, %u vCPU(s))\n", out,
               (unsigned long long)(in.ram_bytes >> 20), in.vcpus);
    return 0;
}
