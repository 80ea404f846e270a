/* SPDX-License-Identifier: MIT */
/* ogen.h — host side of the CPU oracle: RAM image, seeded PRNG, table allocator, QEMU runner. */
#ifndef ORACLE_OGEN_H
#define ORACLE_OGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <armvmi/arch.h>

#include "mbox.h"
#include "qemu_cmd.h"

struct ogen {
    uint8_t *ram; /* mapping of the whole RAM image file */
    int fd;
    char path[256];
    uint64_t rng;         /* xorshift state */
    uint64_t next_table;  /* bump allocator in [ORACLE_TABLE_PA, RAM end) */
    uint64_t next_data;   /* bump allocator in [ORACLE_DATA_PA, ORACLE_DATA_END) */
    uint64_t table_limit; /* og_alloc_table fails above this (0: end of RAM) */
    struct ombox *mb;
};

/* Create the RAM image file in dir (sparse, zero) and map it. Returns 0 or -1 with a message. */
int og_open(struct ogen *g, const char *dir, const char *name, uint64_t seed);
void og_close(struct ogen *g);

/*
 * Start an oracle checker: skip (TAP "1..0 # SKIP", returns 1) if qemu is not installed or the
 * guest program is not built (cross names the compiler to mention); else print the plan of
 * ntests and the seed, open the RAM image named name, and return 0 with *scale from
 * ORACLE_SCALE (default 100). Returns -1 if the image cannot be made.
 */
int og_start(struct ogen *g, const char *qemu, const char *guest, const char *cross,
             const char *name, int ntests, unsigned *scale);

uint64_t og_rand(struct ogen *g);
/* Uniform in [0, n) (n > 0). */
uint64_t og_below(struct ogen *g, uint64_t n);
/* True with probability pct/100. */
bool og_pct(struct ogen *g, unsigned pct);

/* Zeroed block of size bytes aligned to align in the table area, or 0 if full. */
uint64_t og_alloc_table(struct ogen *g, uint64_t size, uint64_t align);
/* Host pointer of guest PA pa (which must be in RAM). */
void *og_ptr(struct ogen *g, uint64_t pa);
bool og_in_ram(uint64_t pa, uint64_t len);
uint64_t og_r64(struct ogen *g, uint64_t pa);
void og_w64(struct ogen *g, uint64_t pa, uint64_t v);
uint32_t og_r32(struct ogen *g, uint64_t pa);
void og_w32(struct ogen *g, uint64_t pa, uint32_t v);

/* A new job with room for nva addresses; returns NULL if the data area is full. */
struct ojob *og_job(struct ogen *g, uint32_t mode, uint32_t nva);
uint64_t *og_job_vas(struct ogen *g, struct ojob *j);
uint64_t *og_job_res(struct ogen *g, struct ojob *j);

/* Run QEMU for machine m (its -machine options without the memory backend, which is g's
 * file) with the guest program as -kernel, under timeout; 0 if the guest reported OMBOX_DONE. */
int og_run_qemu(struct ogen *g, const struct qemu_machine *m, const char *guest,
                unsigned timeout_s);

/* The read callback over the image, for armvmi_translate. */
int og_read_phys(void *ctx, uint64_t pa, void *buf, size_t len);

#endif
