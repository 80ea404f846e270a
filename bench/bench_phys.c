/* SPDX-License-Identifier: MIT */
/* bench_phys.c — physical read throughput of the qemu driver against memcpy and process_vm_readv.
 */
/*
 * usage: bench_phys VM-NAME [rounds]
 * Measures, on the same running VM in the same run:
 *   - random 4 KiB reads: armvmi_read_pa, memcpy from armvmi_map_pa's mapping, and
 *     process_vm_readv from the QEMU process (how other introspection tools read guest RAM);
 *   - 2 MiB sequential reads over all of RAM, the same three ways.
 * Prints MiB/s (median of the rounds) and the ratios the foundation issue sets goals for.
 */
#include <armvmi/armvmi.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "core/paths.h"
#include "drivers/qemu_rundir.h"
#include "bench_util.h"

#define PAGE 4096u
#define NRAND 100000u
#define SEQ (2u << 20)

enum method { M_ARMVMI, M_MEMCPY, M_PVR, M_COUNT };
static const char *const mname[M_COUNT] = {"armvmi_read_pa", "memcpy(mapping)", "process_vm_readv"};

/* Where QEMU maps the VM's RAM file in its own address space. */
static int qemu_ram_va(const char *dir, pid_t *pid, uint64_t *va)
{
    char path[4200], line[8192], ram[4200];
    *pid = rundir_qemu_pid(dir);
    if (!*pid || rundir_path(dir, RUNDIR_RAM, ram, sizeof(ram)))
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/maps", *pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int rc = -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long lo, off;
        char *p = strchr(line, '/');
        if (!p)
            continue;
        p[strcspn(p, "\n")] = 0;
        if (strcmp(p, ram) == 0 && sscanf(line, "%llx-%*x %*s %llx", &lo, &off) == 2 && off == 0) {
            *va = lo;
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s VM-NAME [rounds]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (rounds < 1 || rounds > 100)
        rounds = 5;
    armvmi_t *h;
    char dir[4096];
    if (armvmi_open(&h, argv[1]) || armvmi_vm_dir(argv[1], dir, sizeof(dir))) {
        fprintf(stderr, "bench_phys: %s\n", armvmi_errmsg());
        return 1;
    }
    struct armvmi_info in;
    armvmi_get_info(h, &in);
    uint64_t base = in.ranges[0].base, size = in.ranges[0].size;
    const uint8_t *map = armvmi_map_pa(h, base, size);
    pid_t pid;
    uint64_t qva;
    if (!map || qemu_ram_va(dir, &pid, &qva)) {
        fprintf(stderr, "bench_phys: cannot map RAM or find it in QEMU's address space\n");
        return 1;
    }
    uint64_t *offs = malloc(NRAND * sizeof(*offs));
    uint8_t *buf = aligned_alloc(PAGE, SEQ);
    srand(12345);
    for (unsigned i = 0; i < NRAND; i++)
        offs[i] = ((uint64_t)rand() * PAGE) % size;
    double rnd[M_COUNT][100], seq[M_COUNT][100];
    volatile uint8_t sink = 0;
    for (int r = 0; r < rounds; r++) {
        for (int m = 0; m < M_COUNT; m++) {
            double t0 = now();
            for (unsigned i = 0; i < NRAND; i++) {
                if (m == M_ARMVMI) {
                    armvmi_read_pa(h, base + offs[i], buf, PAGE);
                } else if (m == M_MEMCPY) {
                    memcpy(buf, map + offs[i], PAGE);
                } else {
                    struct iovec l = {buf, PAGE}, rv = {(void *)(uintptr_t)(qva + offs[i]), PAGE};
                    if (process_vm_readv(pid, &l, 1, &rv, 1, 0) != PAGE) {
                        perror("process_vm_readv");
                        return 1;
                    }
                }
                sink ^= buf[i % PAGE];
            }
            rnd[m][r] = (double)NRAND * PAGE / (now() - t0) / (1 << 20);
            t0 = now();
            for (uint64_t off = 0; off + SEQ <= size; off += SEQ) {
                if (m == M_ARMVMI) {
                    armvmi_read_pa(h, base + off, buf, SEQ);
                } else if (m == M_MEMCPY) {
                    memcpy(buf, map + off, SEQ);
                } else {
                    struct iovec l = {buf, SEQ}, rv = {(void *)(uintptr_t)(qva + off), SEQ};
                    if (process_vm_readv(pid, &l, 1, &rv, 1, 0) != SEQ) {
                        perror("process_vm_readv");
                        return 1;
                    }
                }
                sink ^= buf[off % SEQ];
            }
            seq[m][r] = (double)(size - size % SEQ) / (now() - t0) / (1 << 20);
        }
    }
    double rmed[M_COUNT], smed[M_COUNT];
    for (int m = 0; m < M_COUNT; m++) {
        qsort(rnd[m], (size_t)rounds, sizeof(double), cmp_d);
        qsort(seq[m], (size_t)rounds, sizeof(double), cmp_d);
        rmed[m] = rnd[m][rounds / 2];
        smed[m] = seq[m][rounds / 2];
    }
    printf("qemu driver physical reads, VM %s (%" PRIu64 " MiB RAM), median of %d rounds\n",
           argv[1], size >> 20, rounds);
    printf("%-18s %14s %14s\n", "method", "4K random MiB/s", "2M seq MiB/s");
    for (int m = 0; m < M_COUNT; m++)
        printf("%-18s %14.0f %14.0f\n", mname[m], rmed[m], smed[m]);
    printf("ratio armvmi/memcpy:            4K %.2fx   2M %.2fx   (goal >= 0.8x)\n",
           rmed[M_ARMVMI] / rmed[M_MEMCPY], smed[M_ARMVMI] / smed[M_MEMCPY]);
    printf("ratio armvmi/process_vm_readv:  4K %.2fx   2M %.2fx   (goal >= 2x for 4K)\n",
           rmed[M_ARMVMI] / rmed[M_PVR], smed[M_ARMVMI] / smed[M_PVR]);
    free(offs);
    free(buf);
    armvmi_close(h);
    (void)sink;
    return 0;
}
