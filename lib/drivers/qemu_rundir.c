/* SPDX-License-Identifier: MIT */
/* qemu_rundir.c — a VM's runtime directory: paths, QEMU's pid and state, one QMP command. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
