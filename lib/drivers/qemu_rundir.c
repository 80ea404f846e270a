/* SPDX-License-Identifier: MIT */
/* qemu_rundir.c — a VM's runtime directory: paths, QEMU's pid and state, one QMP command. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <armvmi/abi.h>

#include "core/paths.h"
#include "drivers/driver.h"
#include "drivers/qemu_rundir.h"
#include "drivers/qmp.h"

int rundir_path(const char *dir, const char *file, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= len)
        return armvmi_fail(ARMVMI_EINVAL, "path too long: %s/%s.", dir, file);
    return 0;
}

int rundir_read_vm(const char *dir, struct rundir_vm *vm)
{
    char path[4200];
    json_error_t jerr;
    int rc = rundir_path(dir, RUNDIR_VM_JSON, path, sizeof(path));
    if (rc)
        return rc;
    json_t *cfg = json_load_file(path, 0, &jerr);
    if (!cfg)
        return armvmi_fail(ARMVMI_ENOENT, "%s is not a VM runtime directory (%s).", dir, jerr.text);
    json_int_t pid = json_integer_value(json_object_get(cfg, "pid"));
    json_int_t base = json_integer_value(json_object_get(cfg, "ram_base"));
    json_int_t size = json_integer_value(json_object_get(cfg, "ram_size"));
    json_int_t smp = json_integer_value(json_object_get(cfg, "smp"));
    json_t *carve = json_object_get(cfg, "hyp_carveout");
    json_int_t cbase = json_integer_value(json_object_get(carve, "base"));
    json_int_t csize = json_integer_value(json_object_get(carve, "size"));
    json_decref(cfg);
    if (pid <= 0 || size <= 0 || base < 0 || smp <= 0 || smp > 512)
        return armvmi_fail(ARMVMI_EFORMAT, "%s is incomplete or corrupt.", path);
    /* The carve-out, if any, must lie inside RAM. */
    if (csize < 0 || cbase < 0 ||
        (csize > 0 && (cbase < base || csize > size || cbase - base > size - csize)))
        return armvmi_fail(ARMVMI_EFORMAT, "%s: the hypervisor carve-out is not inside RAM.", path);
    *vm = (struct rundir_vm){.pid = (pid_t)pid,
                             .ram_base = (uint64_t)base,
                             .ram_size = (uint64_t)size,
                             .smp = (unsigned)smp,
                             .carve_base = (uint64_t)cbase,
                             .carve_size = (uint64_t)csize};
    return 0;
}

int rundir_write_vm(const char *dir, const struct rundir_vm *vm, json_t *extra)
{
    char path[4200], tmp[4300];
    if (rundir_path(dir, RUNDIR_VM_JSON, path, sizeof(path)) ||
        rundir_path(dir, RUNDIR_VM_JSON ".tmp", tmp, sizeof(tmp))) {
        json_decref(extra);
        return -1;
    }
    json_t *j =
        json_pack("{s:i,s:I,s:I,s:i}", "pid", (int)vm->pid, "ram_base", (json_int_t)vm->ram_base,
                  "ram_size", (json_int_t)vm->ram_size, "smp", (int)vm->smp);
    if (vm->carve_size)
        json_object_set_new(j, "hyp_carveout",
                            json_pack("{s:I,s:I}", "base", (json_int_t)vm->carve_base, "size",
                                      (json_int_t)vm->carve_size));
    if (extra)
        json_object_update(j, extra);
    json_decref(extra);
    int rc = json_dump_file(j, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (rc || rename(tmp, path))
        return -1;
    return 0;
}

pid_t rundir_qemu_pid(const char *dir)
{
    char path[4200], buf[32] = {0};
    if (rundir_path(dir, RUNDIR_QEMU_PID, path, sizeof(path)))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    long v = strtol(buf, NULL, 10);
    return v > 0 ? (pid_t)v : 0;
}

bool rundir_pid_alive(pid_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int rundir_qmp(const char *dir, const char *cmd, json_t **ret, int timeout_ms)
{
    char path[4200];
    struct qmp q;
    int rc = rundir_path(dir, RUNDIR_QMP_SOCK, path, sizeof(path));
    if (rc)
        return rc;
    rc = qmp_connect(&q, path);
    if (rc) {
        const char *slash = strrchr(dir, '/');
        return armvmi_fail(-rc,
                           "VM '%s' does not answer on QMP (%s). Is it still running? "
                           "See `armvmi vm list`.",
                           slash ? slash + 1 : dir, armvmi_errmsg());
    }
    rc = qmp_exec(&q, cmd, NULL, ret, timeout_ms);
    qmp_close(&q);
    return rc;
}

enum rundir_state rundir_state(const char *dir)
{
    if (!rundir_pid_alive(rundir_qemu_pid(dir)))
        return RUNDIR_STALE;
    json_t *ret = NULL;
    if (rundir_qmp(dir, "query-status", &ret, 2000))
        return RUNDIR_UNKNOWN;
    json_t *running = json_object_get(ret, "running");
    enum rundir_state st = !json_is_boolean(running) ? RUNDIR_UNKNOWN
                           : json_is_true(running)   ? RUNDIR_RUNNING
                                                     : RUNDIR_PAUSED;
    json_decref(ret);
    return st;
}

const char *rundir_state_name(enum rundir_state s)
{
    static const char *const names[] = {[RUNDIR_RUNNING] = "running",
                                        [RUNDIR_PAUSED] = "paused",
                                        [RUNDIR_STALE] = "stale",
                                        [RUNDIR_UNKNOWN] = "unknown"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

int rundir_list_running(char names[][64], int max)
{
    char root[4096];
    if (armvmi_runtime_root(root, sizeof(root)))
        return 0;
    DIR *d = opendir(root);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char dir[4400];
        if (!armvmi_valid_vm_name(e->d_name))
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
        if (!rundir_pid_alive(rundir_qemu_pid(dir)))
            continue;
        if (n < max)
            snprintf(names[n], 64, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

int rundir_doorbell_connect(const char *dir)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char path[4200];
    int rc = rundir_path(dir, RUNDIR_DOORBELL_SOCK, path, sizeof(path));
    if (rc)
        return rc;
    if (strlen(path) >= sizeof(sa.sun_path))
        return armvmi_fail(ARMVMI_EINVAL, "socket path %s is too long.", path);
    if (access(path, F_OK))
        return armvmi_fail(ARMVMI_ENOENT,
                           "%s has no doorbell socket: is this VM running under the armvmi "
                           "hypervisor (vm start --hyp)?",
                           dir);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return armvmi_fail(e == ECONNREFUSED ? ARMVMI_ENOENT : ARMVMI_EIO,
                           "cannot connect to the hypervisor's doorbell at %s: %s.", path,
                           strerror(e));
    }
    return fd;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int rundir_doorbell_ping(int fd, int timeout_ms, uint64_t *rtt_ns)
{
    const char ping = ARMVMI_DOORBELL_PING;
    uint64_t t0 = now_ns(), limit = t0 + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
    ssize_t n;

    while ((n = write(fd, &ping, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1)
        return armvmi_fail(ARMVMI_EIO, "cannot write to the hypervisor's doorbell: %s.",
                           n < 0 ? strerror(errno) : "short write");
    for (;;) {
        uint64_t t = now_ns();
        char buf[64];
        if (t >= limit)
            return armvmi_fail(ARMVMI_EIO,
                               "the hypervisor did not answer the doorbell ping within %d ms.",
                               timeout_ms);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)((limit - t + 999999) / 1000000));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return armvmi_fail(ARMVMI_EIO, "poll on the doorbell: %s.", strerror(errno));
        if (r == 0)
            continue;
        n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return armvmi_fail(ARMVMI_EIO, "the hypervisor's doorbell closed (%s).",
                               n < 0 ? strerror(errno) : "QEMU gone?");
        if (memchr(buf, ARMVMI_DOORBELL_PONG, (size_t)n)) {
            if (rtt_ns)
                *rtt_ns = now_ns() - t0;
            return 0;
        }
    }
}
