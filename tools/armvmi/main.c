/* SPDX-License-Identifier: MIT */
/* main.c — the armvmi command: global options and subcommand dispatch. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: armvmi [--vm SPEC] [--json] COMMAND [ARGS...]\n"
    "\n"
    "Virtual machine introspection for ARM guests.\n"
    "\n"
    "SPEC is a running VM's name, an ELF core dump, or raw:FILE[@BASE] (a raw physical image;\n"
    "BASE defaults to 0x40000000). Without --vm, $ARMVMI_VM or the only running VM is used.\n"
    "\n"
    "Guests and VMs:\n"
    "  guest fetch            download Debian's arm64 kernel and busybox, build the initramfs\n"
    "  vm start [OPTIONS]     start a VM (see `armvmi vm start --help`)\n"
    "  vm list                list running VMs\n"
    "  vm console NAME        attach to a VM's serial console (Ctrl-] detaches)\n"
    "  vm pause|resume NAME   stop or restart a VM's vCPUs\n"
    "  vm stop NAME           stop a VM and remove its runtime directory\n"
    "\n"
    "Introspection:\n"
    "  info                   driver, capabilities, vCPUs, RAM ranges\n"
    "  regs [--vcpu N]        vCPU registers (general and system); --set REG=VALUE writes\n"
    "  read --pa|--va ADDR LEN  hexdump guest memory (--raw: bytes to stdout)\n"
    "  write --pa|--va ADDR HEX write bytes to guest memory\n"
    "  translate VA [--trace] walk the page tables for a virtual address\n"
    "  pages [--user|--kernel] every mapped range of an address space\n"
    "  dump -o FILE.elf       write an ELF core dump of the target\n"
    "  btf [--type T] [--offset T.M]  the kernel's own BTF found in memory: types, offsets\n"
    "  kernel                 the Linux kernel in memory: release, KASLR, layout, kallsyms\n"
    "  syms [PATTERN]         the kernel's symbols (--addr VA: symbol+offset)\n"
    "  trace mem --pa|--va A  memory events of a --hyp VM (see `armvmi trace --help`)\n"
    "  trace step | break S   single-step, breakpoints of a --hyp VM\n"
    "  trace reg REG|smc|hvc  register-write, SMC and HVC events of a --hyp VM\n"
    "\n"
    "Linux (no profile: the kernel's own VMCOREINFO and BTF, found in memory):\n"
    "  ps [--threads]         processes (pid, ppid, uid, state, start, name)\n"
    "  pstree                 the process tree\n"
    "  cmdline PID [--env]    a process's command line (or environment) from its memory\n"
    "  maps PID               a process's memory maps, as /proc/PID/maps\n"
    "  lsof PID               a process's open files\n"
    "  lsmod                  loaded kernel modules\n"
    "  check syscalls|vectors kernel integrity: system-call tables, exception vectors\n"
    "  psxview [--all]        hidden processes: task list, PID namespace, children, runqueues\n"
    "\n"
    "Options:\n"
    "  --vm SPEC   target (see above)\n"
    "  --json      machine-readable output (also accepted after the command)\n"
    "  --profile FILE  Linux commands: types from a Volatility 3 ISF JSON file and/or symbols\n"
    "              from a System.map instead of the kernel's own BTF and kallsyms (repeatable)\n"
    "  --quiet     no progress output\n"
    "  --version   print the version\n"
    "  -h, --help  this help; `armvmi COMMAND --help` for a command\n";

int main(int argc, char **argv)
{
    struct cli c = {0};
    signal(SIGPIPE, SIG_IGN);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            c.json = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            c.quiet = true;
        } else if (strcmp(a, "--vm") == 0) {
            if (++i == argc)
                return cli_err("--vm needs a SPEC (a VM name, a dump file or raw:FILE@BASE).");
            c.vm = argv[i];
        } else if (strncmp(a, "--vm=", 5) == 0) {
            c.vm = a + 5;
        } else if (strcmp(a, "--profile") == 0) {
            if (++i == argc || c.nprofiles == CLI_MAX_PROFILES)
                return cli_err("--profile needs a FILE (at most %d).", CLI_MAX_PROFILES);
            c.profiles[c.nprofiles++] = argv[i];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("armvmi %s\n", ARMVMI_VERSION);
            return 0;
        } else {
            fputs(usage, stderr);
            return cli_err("unknown option %s.", a);
        }
    }
    if (i == argc) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[i];
    int sargc = argc - i;
    char **sargv = argv + i;
    /* --json, --quiet and --vm are accepted after the command too */
    for (int j = 1; j < sargc; j++) {
        if (strcmp(sargv[j], "--") == 0)
            break;
        if (strcmp(sargv[j], "--json") == 0) {
            c.json = true;
        } else if (strcmp(sargv[j], "--quiet") == 0 || strcmp(sargv[j], "-q") == 0) {
            c.quiet = true;
        } else if (strcmp(sargv[j], "--vm") == 0 && j + 1 < sargc && strcmp(cmd, "vm") != 0) {
            c.vm = sargv[j + 1];
            memmove(&sargv[j], &sargv[j + 2], (size_t)(sargc - j - 2) * sizeof(char *));
            sargc -= 2;
            j--;
            continue;
        } else if (strcmp(sargv[j], "--profile") == 0 && j + 1 < sargc &&
                   c.nprofiles < CLI_MAX_PROFILES) {
            c.profiles[c.nprofiles++] = sargv[j + 1];
            memmove(&sargv[j], &sargv[j + 2], (size_t)(sargc - j - 2) * sizeof(char *));
            sargc -= 2;
            j--;
            continue;
        } else {
            continue;
        }
        memmove(&sargv[j], &sargv[j + 1], (size_t)(sargc - j - 1) * sizeof(char *));
        sargc--;
        j--;
    }
    sargv[sargc] = NULL;
    static const struct {
        const char *name;
        int (*fn)(struct cli *, int, char **);
    } cmds[] = {
        {"info", cmd_info},       {"regs", cmd_regs},
        {"read", cmd_read},       {"write", cmd_write},
        {"dump", cmd_dump},       {"vm", cmd_vm},
        {"guest", cmd_guest},     {"translate", cmd_translate},
        {"pages", cmd_pages},     {"kernel", cmd_kernel},
        {"btf", cmd_btf},         {"trace", cmd_trace},
        {"ps", cmd_ps},           {"pstree", cmd_pstree},
        {"cmdline", cmd_cmdline}, {"maps", cmd_maps},
        {"lsof", cmd_lsof},       {"lsmod", cmd_lsmod},
        {"syms", cmd_syms},       {"check", cmd_check},
        {"psxview", cmd_psxview},
    };
    for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
        if (strcmp(cmd, cmds[k].name) == 0)
            return cmds[k].fn(&c, sargc, sargv);
    if (strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    return cli_err("unknown command '%s' (see `armvmi --help`).", cmd);
}
