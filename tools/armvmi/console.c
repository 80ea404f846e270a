/* SPDX-License-Identifier: MIT */
/* console.c — `armvmi vm console`: attach to a VM's serial console, or send it a line. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/paths.h"
#include "drivers/qemu_rundir.h"
#include "vm.h"

static const char help[] =
    "usage: armvmi vm console NAME [--send LINE [--expect TEXT] [--timeout S]] [--json]\n"
    "Attaches the terminal to the VM's serial console; Ctrl-] detaches. The whole console\n"
    "output is also in console.log in the VM's runtime directory.\n"
    "  --send LINE    type LINE and Enter into the console instead of attaching\n"
    "  --expect TEXT  then wait until TEXT appears in the output and print the output since\n"
    "                 LINE was sent (exit 1 if it does not appear in time)\n"
    "  --timeout S    how long --expect waits (default 30)\n";

static int connect_console(const char *dir)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (rundir_path(dir, RUNDIR_CONSOLE_SOCK, sa.sun_path, sizeof(sa.sun_path))) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        close(fd);
        return -1;
    }
    return fd;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Read log[from..] into a malloc'd string (at most 4 MiB). */
static char *read_from(const char *path, off_t from)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < from)
        from = 0;
    size_t n = (size_t)(end - from);
    if (n > (4u << 20)) {
        from = end - (4 << 20);
        n = 4u << 20;
    }
    char *buf = malloc(n + 1);
    ssize_t got = buf ? pread(fd, buf, n, from) : -1;
    close(fd);
    if (got < 0) {
        free(buf);
        return NULL;
    }
    buf[got] = 0;
    /* the console log may contain NULs; keep the text readable */
    for (ssize_t i = 0; i < got; i++)
        if (buf[i] == 0)
            buf[i] = ' ';
    return buf;
}

static int send_line(struct cli *c, const char *dir, const char *name, const char *line,
                     const char *expect, unsigned timeout_s)
{
    char log[4200];
    if (rundir_path(dir, RUNDIR_CONSOLE_LOG, log, sizeof(log)))
        return cli_lib_err(NULL);
    off_t start = file_size(log);
    int fd = connect_console(dir);
    if (fd < 0)
        return cli_err("cannot connect to the console of VM '%s' (is someone attached?): %s.", name,
                       strerror(errno));
    size_t n = strlen(line);
    char *buf = malloc(n + 2);
    if (!buf) {
        close(fd);
        return cli_err("out of memory.");
    }
    memcpy(buf, line, n);
    buf[n++] = '\r';
    ssize_t w = write(fd, buf, n);
    free(buf);
    if (w != (ssize_t)n) {
        close(fd);
        return cli_err("could not send to the console of VM '%s'.", name);
    }
    /* QEMU reads the socket only as fast as the UART's FIFO drains and drops what is unread
     * when the connection goes: with --expect it stays open until the answer is there (its
     * own copy of the output is drained and dropped: the log has it); else a moment per byte */
    if (!expect) {
        usleep(50 * 1000 + (useconds_t)n * 500);
        close(fd);
    } else {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    if (rundir_state(dir) == RUNDIR_PAUSED)
        fprintf(stderr, "armvmi: note: VM '%s' is paused; the line waits until it resumes.\n",
                name);
    if (!expect) {
        if (c->json)
            return cli_json_out(json_pack("{s:s,s:b}", "sent", line, "ok", 1));
        return 0;
    }
    long long deadline = cli_now_ms() + timeout_s * 1000LL;
    char *out = NULL;
    bool found = false;
    for (;;) {
        char junk[4096];
        while (read(fd, junk, sizeof(junk)) > 0)
            ;
        free(out);
        out = read_from(log, start);
        if (out && strstr(out, expect)) {
            found = true;
            break;
        }
        if (cli_now_ms() >= deadline)
            break;
        usleep(100 * 1000);
    }
    close(fd);
    if (c->json) {
        cli_json_out(
            json_pack("{s:s,s:b,s:s}", "sent", line, "found", found, "output", out ? out : ""));
    } else {
        fputs(out ? out : "", stdout);
        if (out && *out && out[strlen(out) - 1] != '\n')
            putchar('\n');
    }
    free(out);
    if (!found)
        return cli_err("'%s' did not appear on the console of VM '%s' within %u s.", expect, name,
                       timeout_s);
    return 0;
}

static int attach(const char *dir, const char *name)
{
    int fd = connect_console(dir);
    if (fd < 0)
        return cli_err("cannot connect to the console of VM '%s' (is someone else attached?): "
                       "%s.",
                       name, strerror(errno));
    struct termios old, raw;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        raw = old;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    fprintf(stderr, "[connected to the console of VM '%s'; Ctrl-] detaches]\r\n", name);
    if (rundir_state(dir) == RUNDIR_PAUSED)
        fprintf(stderr, "[VM '%s' is paused: it will not answer until `armvmi vm resume %s`]\r\n",
                name, name);
    char buf[4096];
    int rc = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0) {
                rc = cli_err("\r\nthe console of VM '%s' closed (QEMU exited?).", name);
                break;
            }
            if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
                break;
        }
        if (p[0].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n <= 0)
                break;
            char *esc = memchr(buf, 0x1d, (size_t)n);
            size_t len = esc ? (size_t)(esc - buf) : (size_t)n;
            if (len && write(fd, buf, len) < 0)
                break;
            if (esc)
                break;
        }
    }
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
    close(fd);
    fprintf(stderr, "\n[detached]\n");
    return rc;
}

int cmd_vm_console(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"send", required_argument, 0, 's'},
                                         {"expect", required_argument, 0, 'e'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *send = NULL, *expect = NULL;
    uint64_t timeout = 30;
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            send = optarg;
            break;
        case 'e':
            expect = optarg;
            break;
        case 't':
            if (cli_u64(optarg, &timeout, false) || timeout < 1 || timeout > 3600)
                return cli_err("--timeout takes seconds from 1 to 3600 (got '%s').", optarg);
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            fputs(help, stderr);
            return 2;
        }
    }
    if (optind != argc - 1)
        return cli_err("vm console needs exactly one VM NAME (see `armvmi vm list`).");
    if (expect && !send)
        return cli_err("--expect goes with --send.");
    const char *name = argv[optind];
    char dir[4096];
    if (armvmi_vm_dir(name, dir, sizeof(dir)))
        return cli_lib_err(NULL);
    struct stat st;
    if (stat(dir, &st) != 0)
        return cli_err("no VM named '%s' (see `armvmi vm list`).", name);
    if (send)
        return send_line(c, dir, name, send, expect, (unsigned)timeout);
    return attach(dir, name);
}
