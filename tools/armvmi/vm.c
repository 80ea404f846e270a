/* SPDX-License-Identifier: MIT */
/* vm.c — `armvmi vm start|list|stop`: QEMU VMs whose RAM, gdbstub and QMP armvmi can reach. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <armvmi/abi.h>

#include "cli.h"
#include "core/paths.h"
#include "drivers/qemu_rundir.h"
#include "hyp_host.h"
#include "vm.h"

#define INIT_MARKER "ARMVMI-INIT-READY"
/* hyp/core/events.c prints it when vCPU 0 is held before the guest kernel (--hold) */
#define HOLD_MARKER "held before the guest kernel, waiting for a monitor"
#define HOLD_DEFAULT_S 300

/* ---- VM runtime directories ---- */

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char p[4400];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* ---- vm start ---- */

static const char start_help[] =
    "usage: armvmi vm start [--name N] [--smp 1..4] [--mem MiB] [--kernel K] [--initrd I]\n"
    "                       [--append ARGS] [--el2] [--hyp [--hold [--hold-timeout S]]]\n"
    "                       [--timeout S] [--json]\n"
    "Starts qemu-system-aarch64 (-machine virt,gic-version=3 -cpu max) in the background with\n"
    "guest RAM in a shared file, the gdbstub and QMP on unix sockets and the serial console\n"
    "logged, all in the VM's runtime directory, and returns once the guest has reached its\n"
    "init. Without --kernel/--initrd it boots the default guest (Debian's arm64 kernel and a\n"
    "busybox initramfs, fetched on first use; see `armvmi guest fetch`); --kernel alone boots\n"
    "that kernel with the same initramfs (e.g. one from `guest fetch --kernel-release`).\n"
    "  --name N     VM name (default: vm0, vm1, ... the first free)\n"
    "  --smp N      vCPUs, 1 to 4 (default 1)\n"
    "  --mem MiB    guest RAM in MiB, 64 to 16384 (default 512)\n"
    "  --append A   extra kernel command-line arguments\n"
    "  --el2        virtualization=on: Linux runs at EL2 with VHE\n"
    "  --hyp        boot the guest under the armvmi hypervisor\n"
    "  --hold       (--hyp) hold vCPU 0 before the guest kernel's first instruction until a\n"
    "               monitor has set its traps (any `armvmi trace` command, which releases it\n"
    "               when it starts listening; or its session ends): so that it sees the boot.\n"
    "               Returns as soon as the hypervisor waits, not at init. `vm list` says held.\n"
    "  --hold-timeout S  with no monitor attached for S seconds the guest boots anyway\n"
    "               (default 300, at most 86400; the console says which happened)\n"
    "  --timeout S  how long to wait for init (default 180); with --hold, for the hypervisor\n"
    "               to hold vCPU 0\n";

struct start_opts {
    char name[64];
    unsigned smp, mem_mib, timeout_s, hold_s; /* hold_s: --hold's timeout, 0 without --hold */
    const char *kernel, *initrd, *append;
    bool el2, hyp;
};

static int wait_for_init(const char *dir, pid_t pid, const char *marker, unsigned timeout_s)
{
    char path[4200];
    if (rundir_path(dir, RUNDIR_CONSOLE_LOG, path, sizeof(path)))
        return -2;
    long long deadline = cli_now_ms() + timeout_s * 1000LL;
    static char buf[1 << 16];
    off_t pos = 0;
    size_t keep = 0;
    while (cli_now_ms() < deadline) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            for (;;) {
                ssize_t n = pread(fd, buf + keep, sizeof(buf) - 1 - keep, pos);
                if (n <= 0)
                    break;
                pos += n;
                buf[keep + (size_t)n] = 0;
                if (strstr(buf, marker)) {
                    close(fd);
                    return 0;
                }
                /* keep a tail so a marker split across reads is still found */
                size_t total = keep + (size_t)n, tail = strlen(marker);
                if (total > tail) {
                    memmove(buf, buf + total - tail, tail);
                    keep = tail;
                } else {
                    keep = total;
                }
            }
            close(fd);
        }
        if (!rundir_pid_alive(pid))
            return -1;
        usleep(100 * 1000);
    }
    return -2;
}

static void print_log_tail(const char *dir, const char *file, int lines)
{
    char path[4200];
    if (rundir_path(dir, file, path, sizeof(path)))
        return;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    static char ring[64][256];
    int n = 0;
    while (fgets(ring[n % 64], sizeof(ring[0]), f))
        n++;
    fclose(f);
    int from = n > lines ? n - lines : 0;
    if (n > 0)
        fprintf(stderr, "--- last lines of %s ---\n", path);
    else if (strcmp(file, RUNDIR_CONSOLE_LOG) == 0)
        fprintf(stderr, "(the guest printed nothing on its console)\n");
    for (int i = from; i < n; i++)
        fputs(ring[i % 64], stderr);
}

static int kill_qemu(pid_t pid)
{
    if (!rundir_pid_alive(pid))
        return 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && rundir_pid_alive(pid); i++)
        usleep(50 * 1000);
    if (rundir_pid_alive(pid))
        kill(pid, SIGKILL);
    for (int i = 0; i < 100 && rundir_pid_alive(pid); i++)
        usleep(20 * 1000);
    return rundir_pid_alive(pid) ? -1 : 0;
}

static int write_vm_json(const char *dir, const struct start_opts *o, pid_t pid, const char *kernel,
                         const char *initrd)
{
    struct rundir_vm vm = {.pid = pid,
                           .ram_base = ARMVMI_VIRT_RAM_BASE,
                           .ram_size = (uint64_t)o->mem_mib << 20,
                           .smp = o->smp};
    if (o->hyp) {
        unsigned long long cb, cs;
        hyp_carveout(o->mem_mib, &cb, &cs);
        vm.carve_base = cb;
        vm.carve_size = cs;
    }
    return rundir_write_vm(dir, &vm,
                           json_pack("{s:s,s:b,s:b,s:s,s:s,s:s,s:i}", "name", o->name, "el2",
                                     o->el2, "hyp", o->hyp, "kernel", kernel, "initrd",
                                     initrd ? initrd : "", "append", o->append ? o->append : "",
                                     "hold_seconds", (int)o->hold_s));
}

static int pick_name(struct start_opts *o)
{
    char root[4096];
    if (o->name[0])
        return 0;
    if (armvmi_runtime_root(root, sizeof(root)))
        return -1;
    for (int i = 0; i < 100; i++) {
        char dir[4200];
        struct stat st;
        snprintf(dir, sizeof(dir), "%s/vm%d", root, i);
        if (stat(dir, &st) != 0) {
            snprintf(o->name, sizeof(o->name), "vm%d", i);
            return 0;
        }
    }
    return -1;
}

static int vm_start(struct cli *c, struct start_opts *o)
{
    char dir[4096];
    struct guest_kit kit;
    const char *kernel = o->kernel, *initrd = o->initrd;
    bool kit_initrd = !o->initrd; /* a kernel alone boots with the guest kit's initramfs */

    if (pick_name(o))
        return cli_err("cannot choose a VM name: give one with --name.");
    if (armvmi_vm_dir(o->name, dir, sizeof(dir)))
        return cli_lib_err(NULL);
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (rundir_pid_alive(rundir_qemu_pid(dir)))
            return cli_err("a VM named '%s' is already running (stop it with `armvmi vm stop "
                           "%s`, or choose another --name).",
                           o->name, o->name);
        remove_dir(dir); /* left over from a VM that died */
    }
    if (kernel && access(kernel, R_OK))
        return cli_err("cannot read kernel %s: %s.", kernel, strerror(errno));
    if (!kernel || kit_initrd) {
        if (guestkit_get(&kit, NULL, !c->quiet))
            return 1;
        if (!kernel)
            kernel = kit.kernel;
        if (kit_initrd)
            initrd = kit.initrd;
    }
    if (initrd && access(initrd, R_OK))
        return cli_err("cannot read initrd %s: %s.", initrd, strerror(errno));
    char root[4096];
    if (armvmi_runtime_root(root, sizeof(root)) || armvmi_mkdirs(root) || mkdir(dir, 0700))
        return cli_err("cannot create the VM directory %s: %s.", dir, strerror(errno));

    struct qemu_cmd a = {0};
    qemu_cmd_init(&a,
                  &(struct qemu_machine){
                      .machine = (o->el2 || o->hyp)
                                     ? "virt,gic-version=3,virtualization=on,memory-backend=ram0"
                                     : "virt,gic-version=3,memory-backend=ram0",
                      .cpu = "max",
                      .smp = o->smp,
                      .mem_mib = o->mem_mib});
    qemu_cmd_add(&a, "-object");
    qemu_cmd_add(&a, "memory-backend-file,id=ram0,size=%uM,mem-path=%s/" RUNDIR_RAM ",share=on",
                 o->mem_mib, dir);
    qemu_cmd_add(&a, "-chardev");
    qemu_cmd_add(&a, "socket,id=con0,path=%s/%s,server=on,wait=off,logfile=%s/%s", dir,
                 RUNDIR_CONSOLE_SOCK, dir, RUNDIR_CONSOLE_LOG);
    qemu_cmd_add(&a, "-serial");
    qemu_cmd_add(&a, "chardev:con0");
    qemu_cmd_add(&a, "-chardev");
    qemu_cmd_add(&a, "socket,id=gdb0,path=%s/" RUNDIR_GDB_SOCK ",server=on,wait=off", dir);
    qemu_cmd_add(&a, "-gdb");
    qemu_cmd_add(&a, "chardev:gdb0");
    qemu_cmd_add(&a, "-qmp");
    qemu_cmd_add(&a, "unix:%s/" RUNDIR_QMP_SOCK ",server=on,wait=off", dir);
    qemu_cmd_add(&a, "-pidfile");
    qemu_cmd_add(&a, "%s/" RUNDIR_QEMU_PID, dir);
    qemu_cmd_add(&a, "-daemonize");
    char append[4096];
    snprintf(append, sizeof(append), "console=ttyAMA0%s%s", o->append ? " " : "",
             o->append ? o->append : "");
    if (o->hyp) {
        if (vm_hyp_boot_args(&a, dir, o->smp, o->mem_mib, kernel, initrd, append, o->hold_s)) {
            qemu_cmd_free(&a);
            remove_dir(dir);
            return 1;
        }
    } else {
        qemu_cmd_add(&a, "-kernel");
        qemu_cmd_add(&a, "%s", kernel);
        if (initrd) {
            qemu_cmd_add(&a, "-initrd");
            qemu_cmd_add(&a, "%s", initrd);
        }
        qemu_cmd_add(&a, "-append");
        qemu_cmd_add(&a, "%s", append);
    }

    char qlog[4200];
    int lfd = rundir_path(dir, RUNDIR_QEMU_LOG, qlog, sizeof(qlog))
                  ? -1
                  : open(qlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (!c->quiet && !c->json)
        fprintf(stderr, "starting VM '%s' (%u vCPU, %u MiB%s)...\n", o->name, o->smp, o->mem_mib,
                o->hyp   ? ", under the armvmi hypervisor"
                : o->el2 ? ", EL2"
                         : "");
    int rc = cli_spawn(a.v, NULL, lfd, lfd);
    if (lfd >= 0)
        close(lfd);
    qemu_cmd_free(&a);
    pid_t pid = rundir_qemu_pid(dir);
    if (rc != 0 || !pid) {
        cli_err("qemu-system-aarch64 failed to start VM '%s'.", o->name);
        print_log_tail(dir, RUNDIR_QEMU_LOG, 20);
        remove_dir(dir);
        return 1;
    }
    if (write_vm_json(dir, o, pid, kernel, initrd)) {
        kill_qemu(pid);
        remove_dir(dir);
        return cli_err("cannot write %s/" RUNDIR_VM_JSON ".", dir);
    }
    const char *marker = o->hold_s ? HOLD_MARKER : kit_initrd ? INIT_MARKER : "as init process";
    long long t0 = cli_now_ms();
    int w = wait_for_init(dir, pid, marker, o->timeout_s);
    if (w) {
        if (o->hold_s)
            cli_err(w == -1 ? "VM '%s' stopped before its hypervisor held it."
                            : "VM '%s': the hypervisor did not say it holds vCPU 0 within %u s.",
                    o->name, o->timeout_s);
        else
            cli_err(w == -1 ? "VM '%s' stopped before its init started."
                            : "VM '%s' did not reach its init within %u s.",
                    o->name, o->timeout_s);
        print_log_tail(dir, RUNDIR_CONSOLE_LOG, 25);
        print_log_tail(dir, RUNDIR_QEMU_LOG, 10);
        kill_qemu(pid);
        remove_dir(dir);
        return 1;
    }
    double secs = (double)(cli_now_ms() - t0) / 1000.0;
    if (c->json)
        return cli_json_out(json_pack(
            "{s:s,s:s,s:i,s:i,s:i,s:b,s:b,s:f,s:b,s:i}", "name", o->name, "dir", dir, "pid",
            (int)pid, "smp", (int)o->smp, "mem_mib", (int)o->mem_mib, "el2", o->el2, "hyp", o->hyp,
            "boot_seconds", secs, "held", o->hold_s != 0, "hold_seconds", (int)o->hold_s));
    if (o->hold_s) {
        printf("VM '%s' is held before its kernel (hypervisor up in %.1f s); pid %d, runtime "
               "directory %s\n",
               o->name, secs, (int)pid, dir);
        printf("Next: a monitor, e.g. `armvmi --vm %s trace smc`, sees the boot from the first "
               "instruction; without one attached the guest boots on its own after %u s.\n",
               o->name, o->hold_s);
        return 0;
    }
    printf("VM '%s' is up (init reached in %.1f s); pid %d, runtime directory %s\n", o->name, secs,
           (int)pid, dir);
    printf("Next: `armvmi --vm %s info`, `armvmi vm console %s`, `armvmi vm stop %s`.\n", o->name,
           o->name, o->name);
    return 0;
}

static int cmd_vm_start(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"name", required_argument, 0, 'n'},
                                         {"smp", required_argument, 0, 's'},
                                         {"mem", required_argument, 0, 'm'},
                                         {"kernel", required_argument, 0, 'k'},
                                         {"initrd", required_argument, 0, 'i'},
                                         {"append", required_argument, 0, 'a'},
                                         {"el2", no_argument, 0, 'e'},
                                         {"hyp", no_argument, 0, 'H'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"hold", no_argument, 0, 'O'},
                                         {"hold-timeout", required_argument, 0, 'T'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct start_opts o = {.smp = 1, .mem_mib = 512, .timeout_s = 180};
    uint64_t v, hold_timeout = 0;
    bool hold = false;
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            if (!armvmi_valid_vm_name(optarg))
                return cli_err("'%s' is not a valid VM name (1-32 of A-Z a-z 0-9 _ . -).", optarg);
            snprintf(o.name, sizeof(o.name), "%s", optarg);
            break;
        case 's':
            if (cli_u64(optarg, &v, false) || v < 1 || v > 4)
                return cli_err("--smp takes 1 to 4 (got '%s').", optarg);
            o.smp = (unsigned)v;
            break;
        case 'm':
            if (cli_u64(optarg, &v, false) || v < 64 || v > 16384)
                return cli_err("--mem takes MiB from 64 to 16384 (got '%s').", optarg);
            o.mem_mib = (unsigned)v;
            break;
        case 't':
            if (cli_u64(optarg, &v, false) || v < 1 || v > 3600)
                return cli_err("--timeout takes seconds from 1 to 3600 (got '%s').", optarg);
            o.timeout_s = (unsigned)v;
            break;
        case 'k':
            o.kernel = optarg;
            break;
        case 'i':
            o.initrd = optarg;
            break;
        case 'a':
            o.append = optarg;
            break;
        case 'e':
            o.el2 = true;
            break;
        case 'H':
            o.hyp = true;
            break;
        case 'O':
            hold = true;
            break;
        case 'T':
            if (cli_u64(optarg, &hold_timeout, false) || hold_timeout < 1 ||
                hold_timeout > ARMVMI_BOOT_HOLD_MAX_S)
                return cli_err("--hold-timeout takes seconds from 1 to %u (got '%s').",
                               ARMVMI_BOOT_HOLD_MAX_S, optarg);
            break;
        case 'h':
            fputs(start_help, stdout);
            return 0;
        default:
            fputs(start_help, stderr);
            return 2;
        }
    }
    if (optind != argc)
        return cli_err("vm start takes no arguments besides its options (got '%s').", argv[optind]);
    if (o.el2 && o.hyp)
        return cli_err("--el2 and --hyp exclude each other: under --hyp the guest runs at EL1 "
                       "and the hypervisor owns EL2.");
    if (hold && !o.hyp)
        return cli_err("--hold needs --hyp: only the armvmi hypervisor can hold the guest for a "
                       "monitor.");
    if (hold_timeout && !hold)
        return cli_err("--hold-timeout is the time limit of --hold: give --hold too.");
    if (hold)
        o.hold_s = hold_timeout ? (unsigned)hold_timeout : HOLD_DEFAULT_S;
    return vm_start(c, &o);
}

/* ---- vm list / stop ---- */

static int cmd_vm_list(struct cli *c, int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            puts("usage: armvmi vm list [--json]\nLists VMs with a runtime directory and their "
                 "state: running, paused, held (--hyp --hold: vCPU 0 waits for a monitor before "
                 "the guest kernel), or stale (QEMU gone; `vm stop` cleans up).");
            return 0;
        }
        return cli_err("vm list takes no arguments.");
    }
    char root[4096];
    if (armvmi_runtime_root(root, sizeof(root)))
        return cli_lib_err(NULL);
    json_t *arr = json_array();
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char dir[4400], path[4500];
        if (!armvmi_valid_vm_name(e->d_name))
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
        json_t *j = rundir_path(dir, RUNDIR_VM_JSON, path, sizeof(path))
                        ? NULL
                        : json_load_file(path, 0, NULL);
        if (!j)
            j = json_pack("{s:s}", "name", e->d_name);
        json_object_set_new(j, "dir", json_string(dir));
        enum rundir_state rs = rundir_state(dir);
        /* a running --hyp VM whose hypervisor holds vCPU 0 for a monitor (vm start --hold) */
        bool held = rs == RUNDIR_RUNNING && json_is_true(json_object_get(j, "hyp")) &&
                    vm_hyp_held(dir) == 1;
        json_object_set_new(j, "state", json_string(held ? "held" : rundir_state_name(rs)));
        json_object_set_new(j, "held", json_boolean(held));
        json_array_append_new(arr, j);
    }
    if (d)
        closedir(d);
    if (c->json)
        return cli_json_out(arr);
    size_t i;
    json_t *j;
    if (json_array_size(arr) == 0)
        puts("no VMs (start one with `armvmi vm start`)");
    else
        printf("%-12s %-8s %7s %4s %8s  %s\n", "NAME", "STATE", "PID", "CPUS", "RAM", "MODE");
    json_array_foreach(arr, i, j)
    {
        printf("%-12s %-8s %7lld %4lld %6lldMi  %s\n",
               json_string_value(json_object_get(j, "name")),
               json_string_value(json_object_get(j, "state")),
               json_integer_value(json_object_get(j, "pid")),
               json_integer_value(json_object_get(j, "smp")),
               json_integer_value(json_object_get(j, "ram_size")) >> 20,
               json_is_true(json_object_get(j, "hyp"))   ? "hyp"
               : json_is_true(json_object_get(j, "el2")) ? "el2"
                                                         : "el1");
    }
    json_decref(arr);
    return 0;
}

static int cmd_vm_stop(struct cli *c, int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs("usage: armvmi vm stop NAME [--json]\nStops the VM's QEMU (QMP quit, then "
              "signals) and removes its runtime directory.\n",
              argc == 2 ? stdout : stderr);
        return argc == 2 ? 0 : 2;
    }
    char dir[4096];
    if (armvmi_vm_dir(argv[1], dir, sizeof(dir)))
        return cli_lib_err(NULL);
    struct stat st;
    if (stat(dir, &st) != 0)
        return cli_err("no VM named '%s' (see `armvmi vm list`).", argv[1]);
    pid_t pid = rundir_qemu_pid(dir);
    if (rundir_pid_alive(pid)) {
        rundir_qmp(dir, "quit", NULL, 2000);
        for (int i = 0; i < 100 && rundir_pid_alive(pid); i++)
            usleep(20 * 1000);
        if (kill_qemu(pid))
            return cli_err("QEMU (pid %d) of VM '%s' does not die.", (int)pid, argv[1]);
    }
    remove_dir(dir);
    if (c->json)
        return cli_json_out(json_pack("{s:s,s:b}", "name", argv[1], "stopped", 1));
    printf("VM '%s' stopped\n", argv[1]);
    return 0;
}

static int cmd_vm_runstate(struct cli *c, int argc, char **argv, bool pause)
{
    if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: armvmi vm %s NAME [--json]\n%s all vCPUs of the VM (through QMP).\n",
                pause ? "pause" : "resume", pause ? "Stops" : "Restarts");
        return argc == 2 ? 0 : 2;
    }
    char dir[4096];
    if (armvmi_vm_dir(argv[1], dir, sizeof(dir)))
        return cli_lib_err(NULL);
    if (!rundir_pid_alive(rundir_qemu_pid(dir)))
        return cli_err("no running VM named '%s' (see `armvmi vm list`).", argv[1]);
    if (rundir_qmp(dir, pause ? "stop" : "cont", NULL, 5000))
        return cli_lib_err(NULL);
    if (c->json)
        return cli_json_out(json_pack("{s:s,s:b}", "name", argv[1], "paused", pause));
    printf("VM '%s' %s\n", argv[1], pause ? "paused" : "resumed");
    return 0;
}

int cmd_vm(struct cli *c, int argc, char **argv)
{
    static const char help[] = "usage: armvmi vm start|list|console|pause|resume|stop|ping ...\n"
                               "  (`armvmi vm SUBCOMMAND --help` for each)\n";
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "start"))
        return cmd_vm_start(c, argc - 1, argv + 1);
    if (!strcmp(argv[1], "list"))
        return cmd_vm_list(c, argc - 1, argv + 1);
    if (!strcmp(argv[1], "stop"))
        return cmd_vm_stop(c, argc - 1, argv + 1);
    if (!strcmp(argv[1], "pause") || !strcmp(argv[1], "resume"))
        return cmd_vm_runstate(c, argc - 1, argv + 1, !strcmp(argv[1], "pause"));
    if (!strcmp(argv[1], "console"))
        return cmd_vm_console(c, argc - 1, argv + 1);
    if (!strcmp(argv[1], "ping"))
        return cmd_vm_ping(c, argc - 1, argv + 1);
    return cli_err("unknown vm subcommand '%s' (start, list, console, pause, resume, stop, ping).",
                   argv[1]);
}
