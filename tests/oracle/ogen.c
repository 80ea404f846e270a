/* SPDX-License-Identifier: MIT */
/* ogen.c — host side of the CPU oracle: RAM image, seeded PRNG, table allocator, QEMU runner. */
#include "ocheck.h"
#include "ogen.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int og_open(struct ogen *g, const char *dir, const char *name, uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->path, sizeof(g->path), "%s/%s.%d.img", dir, name, (int)getpid());
    g->fd = open(g->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (g->fd < 0 || ftruncate(g->fd, (off_t)ORACLE_RAM_SIZE) != 0) {
        fprintf(stderr, "oracle: cannot create the RAM image %s\n", g->path);
        return -1;
    }
    g->ram = mmap(NULL, ORACLE_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
    if (g->ram == MAP_FAILED) {
        fprintf(stderr, "oracle: cannot map the RAM image %s\n", g->path);
        return -1;
    }
    g->rng = seed * 0x9e3779b97f4a7c15ull + 0x1234567;
    for (int i = 0; i < 8; i++)
        og_rand(g);
    g->next_table = ORACLE_TABLE_PA;
    g->next_data = ORACLE_DATA_PA;
    g->mb = og_ptr(g, ORACLE_MBOX_PA);
    g->mb->magic = OMBOX_MAGIC;
    return 0;
}

void og_close(struct ogen *g)
{
    if (g->ram && g->ram != MAP_FAILED)
        munmap(g->ram, ORACLE_RAM_SIZE);
    if (g->fd >= 0) {
        close(g->fd);
        unlink(g->path);
    }
}

uint64_t og_rand(struct ogen *g)
{
    /* xorshift64* */
    uint64_t x = g->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    g->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint64_t og_below(struct ogen *g, uint64_t n)
{
    return n ? og_rand(g) % n : 0;
}

bool og_pct(struct ogen *g, unsigned pct)
{
    return og_below(g, 100) < pct;
}

bool og_in_ram(uint64_t pa, uint64_t len)
{
    return pa >= ORACLE_RAM_BASE && pa - ORACLE_RAM_BASE <= ORACLE_RAM_SIZE &&
           len <= ORACLE_RAM_SIZE - (pa - ORACLE_RAM_BASE);
}

void *og_ptr(struct ogen *g, uint64_t pa)
{
    return g->ram + (pa - ORACLE_RAM_BASE);
}

uint64_t og_alloc_table(struct ogen *g, uint64_t size, uint64_t align)
{
    uint64_t pa = (g->next_table + align - 1) & ~(align - 1);
    if (!og_in_ram(pa, size) || (g->table_limit && pa + size > g->table_limit))
        return 0;
    g->next_table = pa + size;
    return pa;
}

uint64_t og_r64(struct ogen *g, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, og_ptr(g, pa), 8);
    return v;
}

void og_w64(struct ogen *g, uint64_t pa, uint64_t v)
{
    memcpy(og_ptr(g, pa), &v, 8);
}

uint32_t og_r32(struct ogen *g, uint64_t pa)
{
    uint32_t v;
    memcpy(&v, og_ptr(g, pa), 4);
    return v;
}

void og_w32(struct ogen *g, uint64_t pa, uint32_t v)
{
    memcpy(og_ptr(g, pa), &v, 4);
}

struct ojob *og_job(struct ogen *g, uint32_t mode, uint32_t nva)
{
    uint64_t need = (uint64_t)nva * 32;
    if (g->next_data + need > ORACLE_DATA_END)
        return NULL;
    if (sizeof(struct ombox) + (g->mb->njobs + 1) * sizeof(struct ojob) >
        ORACLE_DATA_PA - ORACLE_MBOX_PA)
        return NULL;
    struct ojob *j = &g->mb->jobs[g->mb->njobs++];
    memset(j, 0, sizeof(*j));
    j->mode = mode;
    j->nva = nva;
    j->va_pa = g->next_data;
    j->res_pa = g->next_data + (uint64_t)nva * 8;
    g->next_data += need;
    return j;
}

uint64_t *og_job_vas(struct ogen *g, struct ojob *j)
{
    return og_ptr(g, j->va_pa);
}

uint64_t *og_job_res(struct ogen *g, struct ojob *j)
{
    return og_ptr(g, j->res_pa);
}

int og_run_qemu(struct ogen *g, const struct qemu_machine *m, const char *guest, unsigned timeout_s)
{
    char machine[256];
    snprintf(machine, sizeof(machine), "%s,memory-backend=og", m->machine);
    struct qemu_machine mm = *m;
    mm.machine = machine;
    struct qemu_cmd q = {0};
    qemu_cmd_add(&q, "timeout");
    qemu_cmd_add(&q, "-k");
    qemu_cmd_add(&q, "5");
    qemu_cmd_add(&q, "%u", timeout_s);
    struct qemu_cmd qemu = {0};
    qemu_cmd_init(&qemu, &mm);
    for (size_t i = 0; i < qemu.n; i++)
        qemu_cmd_add(&q, "%s", qemu.v[i]);
    qemu_cmd_free(&qemu);
    qemu_cmd_add(&q, "-object");
    qemu_cmd_add(&q, "memory-backend-file,id=og,size=%llu,mem-path=%s,share=on",
                 (unsigned long long)ORACLE_RAM_SIZE, g->path);
    const char *rest[] = {"-monitor", "none", "-serial", "none", "-kernel", guest, NULL};
    for (int i = 0; rest[i]; i++)
        qemu_cmd_add(&q, "%s", rest[i]);
    msync(g->ram, ORACLE_RAM_SIZE, MS_SYNC);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(q.v[0], q.v);
        _exit(127);
    }
    qemu_cmd_free(&q);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "oracle: QEMU failed (status %d)\n", st);
        return -1;
    }
    return g->mb->status == OMBOX_DONE ? 0 : -1;
}

int og_read_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct ogen *g = ctx;
    if (!og_in_ram(pa, len))
        return -1;
    memcpy(buf, og_ptr(g, pa), len);
    return 0;
}

int og_start(struct ogen *g, const char *qemu, const char *guest, const char *cross,
             const char *name, int ntests, unsigned *scale)
{
    if (!ohave(qemu)) {
        printf("1..0 # SKIP %s not installed\n", qemu);
        return 1;
    }
    if (access(guest, R_OK) != 0) {
        printf("1..0 # SKIP %s not built (is %s installed?)\n", guest, cross);
        return 1;
    }
    uint64_t seed = oseed();
    *scale = getenv("ORACLE_SCALE") ? (unsigned)atoi(getenv("ORACLE_SCALE")) : 100;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    printf("1..%d\n# seed %llu (replay with ORACLE_SEED=%llu)\n", ntests, (unsigned long long)seed,
           (unsigned long long)seed);
    fflush(stdout);
    if (og_open(g, dir, name, seed)) {
        og_close(g);
        return -1;
    }
    return 0;
}
