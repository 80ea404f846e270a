/* SPDX-License-Identifier: MIT */
/* gdbrsp.h — GDB remote serial protocol client used by the qemu driver. */
#ifndef ARMVMI_GDBRSP_H
#define ARMVMI_GDBRSP_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/driver.h"

#define GDBRSP_MAX_PACKET 8192

struct gdbrsp_reg {
    char name[48];
    int regnum;
    int bits;
};

struct gdbrsp {
    int fd;
    int timeout_ms; /* per read; gdbrsp_connect sets 10 s */
    char path[256];
    char rbuf[4096];
    size_t rpos, rlen;
    struct gdbrsp_reg *regs; /* from the target description */
    size_t nregs, capregs;
};

int gdbrsp_connect(struct gdbrsp *g, const char *path);
void gdbrsp_close(struct gdbrsp *g);
int gdbrsp_send(struct gdbrsp *g, const char *data);
int gdbrsp_recv(struct gdbrsp *g, char *out, size_t cap, size_t *outlen);
/* Send cmd and receive its answer, skipping asynchronous stop replies. */
int gdbrsp_cmd(struct gdbrsp *g, const char *cmd, char *out, size_t cap);
/* Read target.xml and every file it includes; fills regs with names and numbers. */
int gdbrsp_load_target(struct gdbrsp *g);
const struct gdbrsp_reg *gdbrsp_find_reg(const struct gdbrsp *g, const char *name);
int gdbrsp_select_thread(struct gdbrsp *g, unsigned tid);
int gdbrsp_read_reg(struct gdbrsp *g, const struct gdbrsp_reg *r, uint64_t *value);
int gdbrsp_write_reg(struct gdbrsp *g, const struct gdbrsp_reg *r, uint64_t value);
/* Execute one instruction on thread tid only (vCont;s), the others staying stopped; returns
 * when the target reports the step done. */
int gdbrsp_step(struct gdbrsp *g, unsigned tid);

#endif
