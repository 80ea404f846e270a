/* SPDX-License-Identifier: MIT */
/* qmp.h — a minimal QEMU Machine Protocol client (JSON over a unix socket, with jansson). */
#ifndef ARMVMI_QMP_H
#define ARMVMI_QMP_H

#include <jansson.h>

struct qmp {
    int fd;
    char path[256];
    char *buf;
    size_t len, cap;
};

/* Connect, read the greeting and negotiate capabilities. */
int qmp_connect(struct qmp *q, const char *path);
void qmp_close(struct qmp *q);
/*
 * Execute cmd with args (args may be NULL; the reference is stolen). On success *ret (if not
 * NULL) receives the "return" member (new reference). A QMP error becomes ARMVMI_EIO with
 * QEMU's own description in the message. timeout_ms bounds the wait.
 */
int qmp_exec(struct qmp *q, const char *cmd, json_t *args, json_t **ret, int timeout_ms);

#endif
