/* SPDX-License-Identifier: MIT */
/* util.c — option parsing helpers, output, subprocesses and progress for the armvmi command. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "drivers/qemu_rundir.h"

extern char **environ;

int cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("armvmi: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_lib_err(const char *what)
{
    if (what)
        return cli_err("%s: %s", what, armvmi_errmsg());
    return cli_err("%s", armvmi_errmsg());
}

int cli_u64(const char *s, uint64_t *out, bool allow_suffix)
{
    char *end;
    if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    if (allow_suffix && *end) {
        unsigned shift = 0;
        switch (toupper((unsigned char)*end)) {
        case 'K':
            shift = 10;
            break;
        case 'M':
            shift = 20;
            break;
        case 'G':
            shift = 30;
            break;
        default:
            return -1;
        }
        if (end[1] &&
            !(toupper((unsigned char)end[1]) == 'I' && toupper((unsigned char)end[2]) == 'B' &&
              !end[3]) &&
            !(toupper((unsigned char)end[1]) == 'B' && !end[2]))
            return -1;
        if (v > (ULLONG_MAX >> shift))
            return -1;
        v <<= shift;
        end = "";
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int cli_open(struct cli *c, armvmi_t **h)
{
    const char *spec = c->vm ? c->vm : getenv("ARMVMI_VM");
    if (!spec || !*spec) {
        char names[2][64];
        int n = rundir_list_running(names, 2);
        if (n == 1)
            spec = names[0];
        else if (n == 0)
            return cli_err("no target: no VM is running. Start one with `armvmi vm start`, or "
                           "give --vm DUMP or --vm raw:FILE@BASE.");
        else
            return cli_err("several VMs are running: choose one with --vm NAME (see `armvmi "
                           "vm list`).");
        static char chosen[64];
        snprintf(chosen, sizeof(chosen), "%s", names[0]);
        spec = chosen;
    }
    if (armvmi_open(h, spec))
        return cli_lib_err(NULL);
    return 0;
}

int cli_open_paused(struct cli *c, armvmi_t **h, bool *paused)
{
    *paused = false;
    if (cli_open(c, h))
        return 1;
    struct armvmi_info in;
    armvmi_get_info(*h, &in);
    /* a running VM is paused for the read; one paused already stays paused */
    bool was_paused = true;
    if ((in.caps & ARMVMI_CAP_PAUSE) && armvmi_is_paused(*h, &was_paused) == 0 && !was_paused &&
        armvmi_pause(*h)) {
        armvmi_close(*h);
        return cli_lib_err("cannot pause the VM");
    }
    *paused = (in.caps & ARMVMI_CAP_PAUSE) && !was_paused;
    return 0;
}

int cli_open_held(struct cli *c, armvmi_t **h, bool *held)
{
    *held = false;
    if (cli_open(c, h))
        return 1;
    struct armvmi_info in;
    armvmi_get_info(*h, &in);
    if (!(in.caps & ARMVMI_CAP_PAUSE))
        return 0;
    if (armvmi_pause(*h)) {
        armvmi_close(*h);
        return cli_lib_err("cannot pause the VM");
    }
    *held = true;
    return 0;
}

int cli_json_out(json_t *v)
{
    json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(v);
    return 0;
}

void cli_hexdump(FILE *f, uint64_t addr, const uint8_t *buf, size_t len)
{
    for (size_t off = 0; off < len; off += 16) {
        size_t n = len - off < 16 ? len - off : 16;
        fprintf(f, "%016llx  ", (unsigned long long)(addr + off));
        for (size_t i = 0; i < 16; i++) {
            if (i < n)
                fprintf(f, "%02x ", buf[off + i]);
            else
                fputs("   ", f);
            if (i == 7)
                fputc(' ', f);
        }
        fputs(" |", f);
        for (size_t i = 0; i < n; i++)
            fputc(isprint(buf[off + i]) ? buf[off + i] : '.', f);
        fputs("|\n", f);
    }
}

int cli_spawn(char *const argv[], const char *cwd, int out_fd, int err_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    if (err_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        cli_err("cannot run %s: %s.", argv[0], strerror(rc));
        return -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cli_run(char *const argv[], bool quiet)
{
    int fd = -1;
    if (quiet)
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int rc = cli_spawn(argv, NULL, fd, -1);
    if (fd >= 0)
        close(fd);
    return rc;
}

int cli_capture(char *const argv[], char *out, size_t cap)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return -1;
    int rc = cli_spawn(argv, NULL, fileno(tmp), -1);
    rewind(tmp);
    size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = 0;
    fclose(tmp);
    return rc;
}

const char *cli_exe_dir(void)
{
    static char dir[PATH_MAX];
    if (!dir[0]) {
        ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
        if (n <= 0) {
            strcpy(dir, ".");
        } else {
            dir[n] = 0;
            char *s = strrchr(dir, '/');
            if (s)
                *s = 0;
        }
    }
    return dir;
}

char *cli_find_companion(const char *const rel[])
{
    for (int i = 0; rel[i]; i++) {
        char p[PATH_MAX], real[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", cli_exe_dir(), rel[i]);
        if (access(p, R_OK) == 0 && realpath(p, real))
            return strdup(real);
    }
    return NULL;
}

int cli_progress(void *arg, uint64_t done, uint64_t total)
{
    static time_t last;
    const char *label = arg ? arg : "";
    if (!isatty(STDERR_FILENO) || total == 0)
        return 0;
    time_t now = time(NULL);
    if (done != total && now == last && done != 0)
        return 0;
    last = now;
    int pct = (int)(done * 100 / total);
    int bar = pct / 4;
    fprintf(stderr, "\r%s [%.*s%*s] %3d%% %llu/%llu MiB", label, bar, "#########################",
            25 - bar, "", pct, (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
    if (done == total)
        fputc('\n', stderr);
    return 0;
}

void cli_perm_str(uint8_t perm, char out[4])
{
    out[0] = (perm & ARMVMI_PERM_R) ? 'r' : '-';
    out[1] = (perm & ARMVMI_PERM_W) ? 'w' : '-';
    out[2] = (perm & ARMVMI_PERM_X) ? 'x' : '-';
    out[3] = 0;
}

const char *cli_size_str(uint64_t size, char *buf, size_t len)
{
    if (size >= (1ull << 30) && !(size & ((1ull << 30) - 1)))
        snprintf(buf, len, "%lluG", (unsigned long long)(size >> 30));
    else if (size >= (1ull << 20) && !(size & ((1ull << 20) - 1)))
        snprintf(buf, len, "%lluM", (unsigned long long)(size >> 20));
    else
        snprintf(buf, len, "%lluK", (unsigned long long)(size >> 10));
    return buf;
}

long long cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}
