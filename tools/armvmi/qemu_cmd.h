/* SPDX-License-Identifier: MIT */
/* qemu_cmd.h — the one place that starts every QEMU command line the project writes. */
#ifndef ARMVMI_QEMU_CMD_H
#define ARMVMI_QEMU_CMD_H

#include <stddef.h>

#define QEMU_CMD_AARCH64 "qemu-system-aarch64"
#define QEMU_CMD_ARM "qemu-system-arm"

/* A growing NULL-terminated argv of malloc'd strings (v is NULL until the first add). */
struct qemu_cmd {
    char **v;
    size_t n, cap;
};

/* What a QEMU command line asks for; NULL or 0 fields are left out of the command line. */
struct qemu_machine {
    const char *binary;  /* NULL: QEMU_CMD_AARCH64 */
    const char *machine; /* -machine value, e.g. "virt,gic-version=3" */
    const char *cpu;     /* -cpu value */
    unsigned smp;        /* -smp */
    unsigned mem_mib;    /* -m, in MiB */
};

/* Start c (empty) with the binary, -nodefaults (a machine without QEMU's recommended packages
 * has no option ROMs for default devices), -display none, then the fields of m that are set. */
void qemu_cmd_init(struct qemu_cmd *c, const struct qemu_machine *m);

/* Append one argument built from a printf format; aborts when out of memory. */
void qemu_cmd_add(struct qemu_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Free every argument and the array; c is empty afterwards. */
void qemu_cmd_free(struct qemu_cmd *c);

/* Whether option o (e.g. "-smp") shapes the machine and so its device tree; chardevs,
 * monitors and displays do not. */
int qemu_cmd_shapes_machine(const char *o);

#endif
