/* SPDX-License-Identifier: MIT */
/* bench_walk.c — translation speed on a real guest's kernel address space: walks and cache hits. */
/*
 * usage: bench_walk VM-NAME [rounds]
 * Pauses the VM, takes vCPU 0's kernel regime, and collects 1,024 kernel virtual addresses
 * that are mapped by 4-level walks (level-3 pages) around the kernel image. Then measures on
 * one core, median of the rounds:
 *   - uncached walks/s:  armvmi_translate_uncached (the lib/arch walker over mapped RAM);
 *   - cached lookups/s:  armvmi_va_to_pa after the cache is warm;
 *   - the reference: a bare 4-level walk of the same addresses with no checks at all
 *     (four dependent loads from the mapping), which no correct walker can beat.
 */
#include <armvmi/armvmi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_util.h"

#define NVA 1024u

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s VM-NAME [rounds]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (rounds < 1 || rounds > 50)
        rounds = 5;
    armvmi_t *h;
    struct armvmi_tt_config ctx;
    struct armvmi_regs r;
    if (armvmi_open(&h, argv[1]) || armvmi_pause(h) || armvmi_get_regs(h, 0, &r) ||
        armvmi_vactx_from_vcpu(h, 0, -1, &ctx)) {
        fprintf(stderr, "bench_walk: %s\n", armvmi_errmsg());
        return 1;
    }
    struct armvmi_info in;
    armvmi_get_info(h, &in);
    const uint8_t *ram = armvmi_map_pa(h, in.ranges[0].base, in.ranges[0].size);
    uint64_t ram_base = in.ranges[0].base;
    uint64_t *va = malloc(NVA * sizeof(*va));
    struct armvmi_translation *t = malloc(sizeof(*t));
    unsigned n = 0;
    uint64_t start = r.regs[ARMVMI_REG_PC] & ~0xfffull;
    /* Pages of the kernel image around PC (mapped with 4K pages at level 3) */
    for (uint64_t off = 0; n < NVA && off < (256ull << 20); off += 4096) {
        for (int sgn = -1; sgn <= 1 && n < NVA; sgn += 2) {
            uint64_t v = start + (uint64_t)sgn * off;
            if (armvmi_translate_uncached(h, &ctx, v, 0, t) == 0 && t->fault == ARMVMI_FAULT_NONE &&
                t->level == 3 && t->nsteps == 4)
                va[n++] = v + (off * 7 & 0xff8);
        }
    }
    if (n < NVA) {
        fprintf(stderr, "bench_walk: only %u level-3 kernel pages found\n", n);
        return 1;
    }
    /* shuffle so neither walker nor cache sees a sequential pattern */
    srand(1);
    for (unsigned i = NVA - 1; i > 0; i--) {
        unsigned j = (unsigned)rand() % (i + 1);
        uint64_t x = va[i];
        va[i] = va[j];
        va[j] = x;
    }
    const unsigned reps = 200;
    double res[3][50];
    volatile uint64_t sink = 0;
    for (int k = 0; k < rounds; k++) {
        double t0 = now();
        for (unsigned rep = 0; rep < reps; rep++)
            for (unsigned i = 0; i < NVA; i++) {
                /* reference: 4 dependent loads, 4K granule, 48-bit VA, no checks */
                uint64_t table =
                    ((va[i] >> 55) & 1 ? ctx.ttbr1 : ctx.ttbr0) & 0x0000fffffffff000ull;
                for (int l = 0; l < 4; l++) {
                    uint64_t d;
                    memcpy(&d, ram + (table - ram_base) + ((va[i] >> (39 - 9 * l)) & 511) * 8, 8);
                    table = d & 0x0000fffffffff000ull;
                }
                sink += table;
            }
        res[0][k] = (double)reps * NVA / (now() - t0);
        t0 = now();
        for (unsigned rep = 0; rep < reps / 4; rep++)
            for (unsigned i = 0; i < NVA; i++) {
                armvmi_translate_uncached(h, &ctx, va[i], 0, t);
                sink += t->pa;
            }
        res[1][k] = (double)(reps / 4) * NVA / (now() - t0);
        for (unsigned i = 0; i < NVA; i++)
            armvmi_va_translate(h, &ctx, va[i], 0, t);
        t0 = now();
        for (unsigned rep = 0; rep < reps; rep++)
            for (unsigned i = 0; i < NVA; i++) {
                uint64_t pa;
                armvmi_va_to_pa(h, &ctx, va[i], &pa);
                sink += pa;
            }
        res[2][k] = (double)reps * NVA / (now() - t0);
    }
    for (int m = 0; m < 3; m++)
        qsort(res[m], (size_t)rounds, sizeof(double), cmp_d);
    double ref = res[0][rounds / 2], unc = res[1][rounds / 2], hit = res[2][rounds / 2];
    printf("translation on VM %s, %u kernel VAs (4-level walks), median of %d rounds, one core\n",
           argv[1], NVA, rounds);
    printf("bare 4-load walk (reference)   %8.1f M/s\n", ref / 1e6);
    printf("uncached walks (lib/arch)      %8.1f M/s   %.3fx reference   (goal >= 10 M/s)\n",
           unc / 1e6, unc / ref);
    printf("cached lookups                 %8.1f M/s   %.3fx reference   (goal >= 100 M/s)\n",
           hit / 1e6, hit / ref);
    (void)sink;
    free(va);
    free(t);
    armvmi_resume(h);
    armvmi_close(h);
    return 0;
}
