/* SPDX-License-Identifier: MIT */
/* qmp.c — QEMU Machine Protocol client: one request at a time, events skipped. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "drivers/qmp.h"

#define QMP_MAX_MSG (16u << 20)

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Read one newline-terminated JSON message; QMP puts each on its own line. */
static int qmp_read_msg(struct qmp *q, json_t **msg, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - q->buf) + 1;
            json_error_t err;
            *msg = json_loadb(q->buf, n, 0, &err);
            memmove(q->buf, q->buf + n, q->len - n);
            q->len -= n;
            if (!*msg)
                return armvmi_fail(ARMVMI_EIO, "QMP %s sent malformed JSON: %s.", q->path,
                                   err.text);
            return 0;
        }
        if (q->len + 4096 > q->cap) {
            size_t ncap = q->cap ? q->cap * 2 : 65536;
            if (ncap > QMP_MAX_MSG)
                return armvmi_fail(ARMVMI_EIO, "QMP %s sent an oversized message.", q->path);
            char *nb = realloc(q->buf, ncap);
            if (!nb)
                return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
            q->buf = nb;
            q->cap = ncap;
        }
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = q->fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return armvmi_fail(ARMVMI_EIO, "QMP %s did not answer in time.", q->path);
        ssize_t r = read(q->fd, q->buf + q->len, q->cap - q->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return armvmi_fail(ARMVMI_EIO, "QMP %s closed the connection (QEMU exited?).", q->path);
        q->len += (size_t)r;
    }
}

int qmp_connect(struct qmp *q, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memset(q, 0, sizeof(*q));
    q->fd = -1;
    snprintf(q->path, sizeof(q->path), "%s", path);
    if (strlen(path) >= sizeof(sa.sun_path))
        return armvmi_fail(ARMVMI_EINVAL, "socket path %s is too long.", path);
    strcpy(sa.sun_path, path);
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&sa, sizeof(sa))) {
        int e = errno;
        qmp_close(q);
        return armvmi_fail(ARMVMI_EIO, "cannot connect to QMP at %s: %s.", path, strerror(e));
    }
    json_t *greeting = NULL;
    int rc = qmp_read_msg(q, &greeting, 5000);
    if (rc) {
        qmp_close(q);
        return rc;
    }
    int ok = json_object_get(greeting, "QMP") != NULL;
    json_decref(greeting);
    if (!ok) {
        qmp_close(q);
        return armvmi_fail(ARMVMI_EIO, "%s does not speak QMP.", path);
    }
    rc = qmp_exec(q, "qmp_capabilities", NULL, NULL, 5000);
    if (rc)
        qmp_close(q);
    return rc;
}

void qmp_close(struct qmp *q)
{
    if (q->fd >= 0)
        close(q->fd);
    q->fd = -1;
    free(q->buf);
    q->buf = NULL;
    q->len = q->cap = 0;
}

int qmp_exec(struct qmp *q, const char *cmd, json_t *args, json_t **ret, int timeout_ms)
{
    json_t *req = json_pack("{s:s}", "execute", cmd);
    if (!req) {
        json_decref(args);
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    }
    if (args)
        json_object_set_new(req, "arguments", args);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text)
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    size_t n = strlen(text);
    text[n] = '\n'; /* replace the NUL: QMP reads a stream */
    const char *p = text;
    size_t left = n + 1;
    while (left) {
        ssize_t w = send(q->fd, p, left, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            free(text);
            return armvmi_fail(ARMVMI_EIO, "QMP %s: write failed: %s.", q->path, strerror(errno));
        }
        p += w;
        left -= (size_t)w;
    }
    free(text);
    for (int msgs = 0; msgs < 10000; msgs++) {
        json_t *m;
        int rc = qmp_read_msg(q, &m, timeout_ms);
        if (rc)
            return rc;
        json_t *r = json_object_get(m, "return");
        json_t *e = json_object_get(m, "error");
        if (r) {
            if (ret)
                *ret = json_incref(r);
            json_decref(m);
            return 0;
        }
        if (e) {
            const char *desc = json_string_value(json_object_get(e, "desc"));
            rc = armvmi_fail(ARMVMI_EIO, "QEMU refused %s: %s.", cmd, desc ? desc : "?");
            json_decref(m);
            return rc;
        }
        json_decref(m); /* an event */
    }
    return armvmi_fail(ARMVMI_EIO, "QMP %s: no answer to %s among many events.", q->path, cmd);
}
