/* SPDX-License-Identifier: MIT */
/* oracle_a32.c — AArch32 CPU oracle: short-descriptor and LPAE tables, ATS1C* in QEMU vs lib/arch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocheck.h"
#include "ogen_a32.h"
#include "ogen_ld.h"

#ifndef GUEST_A32
#define GUEST_A32 "build/oracle/guest_a32.elf"
#endif

#define PAR_F 1ull
#define PAR_LPAE (1ull << 11)
#define PAR_SS (1ull << 1)
#define PAR_MARK (1ull << 62)
#define PAR_MARK_SHORT (1ull << 61)

enum { T_SHORT, T_LPAE, T_PL1, T_ENUM, T_COUNT };
static struct otally tally[T_COUNT] = {
    {.name = "AArch32 short-descriptor (ATS1CPR/ATS1CPW/ATS1CUR)"},
    {.name = "AArch32 LPAE long-descriptor (ATS1CPR/ATS1CPW/ATS1CUR)"},
    {.name = "AArch32 short-descriptor at PL1, MMU on, with No-access domains (ATS1CPR/CPW/CUR)"},
    {.name = "AArch32 page enumeration (armvmi_enum_ranges) vs ATS1CPR ('mapped' counts ranges)"},
};
static int jkind[512];
/* Coverage of agreeing mapped results: short by kind (section, supersection, large, small) and
 * TTBCR.N; LPAE by leaf level (1..3) and TTBR; both by TTBR1. */
static unsigned long cov_sd[4], cov_n[8], cov_ld[4], cov_ttbr1[T_COUNT];

/* ---- checking ---- */

static void par_decode(uint64_t par, struct oanswer *a)
{
    memset(a, 0, sizeof(*a));
    a->fault = par & PAR_F;
    a->stage = 1;
    if (!a->fault) {
        if (par & PAR_LPAE)
            a->pa = par & 0xfffffff000ull;
        else if (par & PAR_SS) { /* supersection: PAR holds PA[31:24] (QEMU leaves [39:32] out) */
            a->pa = par & 0xff000000ull;
            a->pa_low32 = true;
        } else
            a->pa = par & 0xfffff000ull;
        return;
    }
    a->known = true;
    a->stage_unknown = (par & PAR_MARK_SHORT) != 0;
    if (((par & PAR_LPAE) || (par & PAR_MARK)) && !(par & PAR_MARK_SHORT)) {
        unsigned fst = (par >> 1) & 0x3f;
        a->level = fst & 3;
        a->stage_unknown = (par & PAR_MARK) != 0;
        switch (fst >> 2) {
        case 0:
            a->kind = ARMVMI_FAULT_ADDR_SIZE;
            break;
        case 1:
            a->kind = ARMVMI_FAULT_TRANSLATION;
            break;
        case 2:
            a->kind = ARMVMI_FAULT_ACCESS_FLAG;
            break;
        case 3:
            a->kind = ARMVMI_FAULT_PERMISSION;
            break;
        case 5:
            a->kind = ARMVMI_FAULT_EXTERNAL;
            break;
        default:
            a->known = false;
        }
        return;
    }
    /* Short-descriptor PAR: FS[3:0] in bits [4:1], FS[4] in bit 5. */
    unsigned fs = ((par >> 1) & 0xf) | (((par >> 5) & 1) << 4);
    switch (fs) {
    case 0x05:
        a->kind = ARMVMI_FAULT_TRANSLATION;
        a->level = 1;
        break;
    case 0x07:
        a->kind = ARMVMI_FAULT_TRANSLATION;
        a->level = 2;
        break;
    case 0x03:
        a->kind = ARMVMI_FAULT_ACCESS_FLAG;
        a->level = 1;
        break;
    case 0x06:
        a->kind = ARMVMI_FAULT_ACCESS_FLAG;
        a->level = 2;
        break;
    case 0x09:
        a->kind = ARMVMI_FAULT_DOMAIN;
        a->level = 1;
        break;
    case 0x0b:
        a->kind = ARMVMI_FAULT_DOMAIN;
        a->level = 2;
        break;
    case 0x0d:
        a->kind = ARMVMI_FAULT_PERMISSION;
        a->level = 1;
        break;
    case 0x0f:
        a->kind = ARMVMI_FAULT_PERMISSION;
        a->level = 2;
        break;
    case 0x0c:
        a->kind = ARMVMI_FAULT_EXTERNAL;
        a->level = 1;
        break;
    case 0x0e:
        a->kind = ARMVMI_FAULT_EXTERNAL;
        a->level = 2;
        break;
    default:
        a->known = false;
    }
}

static void check_job(struct ogen *g, unsigned jn, struct ojob *j, int kind)
{
    struct armvmi_tt_config c = {0};
    c.regime = kind == T_LPAE ? ARMVMI_REGIME_A32_LPAE : ARMVMI_REGIME_A32_SHORT;
    c.tcr = j->tcr;
    c.ttbr0 = j->ttbr0;
    c.ttbr1 = j->ttbr1;
    c.mair = j->mair;
    c.prrr = (uint32_t)j->mair;
    c.nmrr = (uint32_t)(j->mair >> 32);
    c.dacr = (uint32_t)j->dacr;
    c.sctlr = j->sctlr;
    c.pa_bits = 40;
    c.features = ARMVMI_FEAT_PXN32;
    if (getenv("ORACLE_DEBUG"))
        printf("# job %u: ttbcr %#llx ttbr0 %#llx ttbr1 %#llx dacr %#llx sctlr %#llx\n", jn,
               (unsigned long long)j->tcr, (unsigned long long)j->ttbr0,
               (unsigned long long)j->ttbr1, (unsigned long long)j->dacr,
               (unsigned long long)j->sctlr);
    static const unsigned acc[3] = {ARMVMI_ACC_READ, ARMVMI_ACC_WRITE,
                                    ARMVMI_ACC_READ | ARMVMI_ACC_EL0};
    static const char *what[3] = {"ATS1CPR", "ATS1CPW", "ATS1CUR"};
    const uint64_t *va = og_job_vas(g, j);
    const uint64_t *res = og_job_res(g, j);
    static struct armvmi_translation r;
    struct oanswer *ans = calloc(j->nva, sizeof(*ans));
    for (uint32_t i = 0; i < j->nva; i++) {
        tally[kind].addrs++;
        for (int k = 0; k < 3; k++) {
            struct oanswer a;
            par_decode(res[3 * i + k], &a);
            armvmi_translate(&c, og_read_phys, g, va[i], acc[k], &r);
            if (!a.fault && r.fault == ARMVMI_FAULT_NONE && r.nsteps) {
                bool hi = r.steps[0].table == (j->ttbr1 & 0xffffffc000ull) ||
                          (kind == T_LPAE && r.steps[0].table == (j->ttbr1 & 0xffffffffe0ull));
                cov_ttbr1[kind] += hi;
                if (kind != T_LPAE) {
                    cov_sd[r.supersection        ? 1
                           : r.size == (1 << 20) ? 0
                           : r.size == 65536     ? 2
                                                 : 3]++;
                    cov_n[j->tcr & 7]++;
                } else {
                    cov_ld[r.level & 3]++;
                }
            }
            ocompare(&tally[kind], &a, &r, 0xfffffff000ull, what[k], jn, res[3 * i + k]);
            if (k == 0)
                ans[i] = a;
        }
    }
    oenum_check(&tally[T_ENUM], &c, g, og_read_phys, va, ans, j->nva, 0xffffffffull,
                0xfffffff000ull, jn);
    free(ans);
}

int main(int argc, char **argv)
{
    const char *qemu = "qemu-system-arm";
    const char *guest = argc > 1 ? argv[1] : GUEST_A32;
    struct ogen g;
    unsigned scale;
    int st = og_start(&g, qemu, guest, "arm-linux-gnueabihf-gcc", "oracle-a32", T_COUNT, &scale);
    if (st)
        return st < 0 ? 1 : 0;
    const uint32_t nva = 7000 * scale / 100 + 10, nmaps = 2500 * scale / 100 + 10;
    unsigned nj = 0;
    /* 32 jobs from Hyp mode (short and LPAE alternately), then 16 short-descriptor jobs at
     * PL1 (they must come last: the program stays in SVC mode). */
    int maxjobs = getenv("ORACLE_JOBS") ? atoi(getenv("ORACLE_JOBS")) : 48;
    int first = getenv("ORACLE_FIRST") ? atoi(getenv("ORACLE_FIRST")) : 0;
    for (int k = first; k < maxjobs && k < 48; k++) {
        int kind = k >= 32 ? T_PL1 : k & 1 ? T_LPAE : T_SHORT;
        struct ojob *j = og_job(&g, kind == T_PL1 ? OMODE_A32_PL1 : OMODE_A32_S1, nva);
        if (!j)
            break;
        g.table_limit = g.next_table + (12ull << 20);
        int rc = kind == T_LPAE
                     ? gen_lpae(&g, j, nmaps, false)
                     : gen_short(&g, j, nmaps, (unsigned)(k / 2) % 8, false, kind == T_PL1);
        if (rc != 0) {
            g.mb->njobs--;
            continue;
        }
        jkind[nj++] = kind;
    }
    char mem[512];
    snprintf(mem, sizeof(mem), "memory-backend-file,id=m,size=%llu,mem-path=%s,share=on",
             (unsigned long long)ORACLE_RAM_SIZE, g.path);
    const char *qargv[] = {
        qemu,       "-nodefaults", "-M",       "virt,virtualization=on,memory-backend=m",
        "-cpu",     "cortex-a15",  "-m",       "512M",
        "-object",  mem,           "-display", "none",
        "-monitor", "none",        "-serial",  "none",
        "-kernel",  guest,         NULL};
    time_t t0 = time(NULL);
    if (og_run_qemu(&g, qargv, 600) != 0) {
        printf("# QEMU did not finish the jobs (%u of %u done, CPSR %#llx, exception %llu: "
               "HSR %#llx ELR %#llx HDFAR %#llx)\n",
               g.mb->jobs_done, g.mb->njobs, (unsigned long long)g.mb->current_el,
               (unsigned long long)g.mb->exc[3], (unsigned long long)g.mb->exc[0],
               (unsigned long long)g.mb->exc[1], (unsigned long long)g.mb->exc[2]);
        for (int t = 0; t < T_COUNT; t++)
            printf("not ok %d - %s\n", t + 1, tally[t].name);
        og_close(&g);
        return 1;
    }
    printf("# %u MB of tables; QEMU ran %u jobs in %lds; ID_MMFR0 %#llx\n",
           (unsigned)((g.next_table - ORACLE_TABLE_PA) >> 20), nj, (long)(time(NULL) - t0),
           (unsigned long long)g.mb->id[0]);
    for (unsigned k = 0; k < nj; k++)
        check_job(&g, k, &g.mb->jobs[k], jkind[k]);
    int fails = 0;
    for (int t = 0; t < T_COUNT; t++) {
        otally_print(&tally[t], t + 1);
        if (t == T_ENUM)
            continue;
        if (t == T_SHORT)
            printf("#   mapped: sections %lu, supersections %lu, large pages %lu, small pages %lu; "
                   "by TTBCR.N 0..7: %lu/%lu/%lu/%lu/%lu/%lu/%lu/%lu; via TTBR1: %lu\n",
                   cov_sd[0], cov_sd[1], cov_sd[2], cov_sd[3], cov_n[0], cov_n[1], cov_n[2],
                   cov_n[3], cov_n[4], cov_n[5], cov_n[6], cov_n[7], cov_ttbr1[T_SHORT]);
        else
            printf("#   mapped by leaf level 1/2/3: %lu/%lu/%lu; via TTBR1: %lu\n", cov_ld[1],
                   cov_ld[2], cov_ld[3], cov_ttbr1[T_LPAE]);
        fails += tally[t].mismatch + tally[t].detail != 0;
    }
    og_close(&g);
    return fails ? 1 : 0;
}
