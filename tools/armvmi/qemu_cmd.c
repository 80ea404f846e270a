/* SPDX-License-Identifier: MIT */
/* qemu_cmd.c — the common start of every QEMU command line (binary, -nodefaults, machine). */
#include "qemu_cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qemu_cmd_add(struct qemu_cmd *c, const char *fmt, ...)
{
    if (c->n + 2 > c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = realloc(c->v, c->cap * sizeof(char *));
        if (!c->v)
            abort();
    }
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->v[c->n], fmt, ap) < 0)
        abort();
    va_end(ap);
    c->v[++c->n] = NULL;
}

void qemu_cmd_free(struct qemu_cmd *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
}

void qemu_cmd_init(struct qemu_cmd *c, const struct qemu_machine *m)
{
    qemu_cmd_add(c, "%s", m->binary ? m->binary : QEMU_CMD_AARCH64);
    qemu_cmd_add(c, "-nodefaults");
    qemu_cmd_add(c, "-display");
    qemu_cmd_add(c, "none");
    if (m->machine) {
        qemu_cmd_add(c, "-machine");
        qemu_cmd_add(c, "%s", m->machine);
    }
    if (m->cpu) {
        qemu_cmd_add(c, "-cpu");
        qemu_cmd_add(c, "%s", m->cpu);
    }
    if (m->smp) {
        qemu_cmd_add(c, "-smp");
        qemu_cmd_add(c, "%u", m->smp);
    }
    if (m->mem_mib) {
        qemu_cmd_add(c, "-m");
        qemu_cmd_add(c, "%uM", m->mem_mib);
    }
}

int qemu_cmd_shapes_machine(const char *o)
{
    static const char *const keep[] = {"-machine", "-M",    "-cpu",   "-smp", "-m",
                                       "-object",  "-numa", "-accel", NULL};
    for (int i = 0; keep[i]; i++)
        if (!strcmp(o, keep[i]))
            return 1;
    return 0;
}
