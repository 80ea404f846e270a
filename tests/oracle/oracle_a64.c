/* SPDX-License-Identifier: MIT */
/* oracle_a64.c — AArch64 CPU oracle: random tables, AT in QEMU, the same walks in lib/arch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocheck.h"
#include "ogen_a64.h"

#ifndef GUEST_A64
#define GUEST_A64 "build/oracle/guest_a64.elf"
#endif

enum { T_S1_4K, T_S1_16K, T_S1_64K, T_S2, T_S12, T_EL2, T_EL20, T_A32S12, T_ENUM, T_COUNT };
static struct otally tally[T_COUNT] = {
    {.name = "AArch64 stage 1, 4K granule (AT S1E1R/S1E1W/S1E0R)"},
    {.name = "AArch64 stage 1, 16K granule (AT S1E1R/S1E1W/S1E0R)"},
    {.name = "AArch64 stage 1, 64K granule (AT S1E1R/S1E1W/S1E0R)"},
    {.name = "AArch64 stage 2 with concatenation (AT S12E1R/S12E1W/S12E0R, stage 1 off)"},
    {.name = "AArch64 stage 1 + stage 2 combined (AT S12E1R/S12E1W/S12E0R)"},
    {.name = "AArch64 EL2 regime, E2H=0, EL2 MMU on (AT S1E2R/S1E2W)"},
    {.name = "AArch64 EL2&0 regime, E2H=1 TGE=1, EL2 MMU on (AT S1E2R/S1E2W/S1E0R)"},
    {.name = "AArch32 stage 1 (short and LPAE) under AArch64 stage 2 (HCR_EL2.RW=0, AT "
             "S12E1R/S12E1W/S12E0R)"},
    {.name = "AArch64 page enumeration (armvmi_enum_ranges) vs AT S1E1R/S12E1R ('mapped' counts "
             "ranges)"},
};

/* Coverage: agreeing mapped results by granule and leaf level (-1..3), TTBR1 hits, start
 * levels and concatenated stage-2 start tables seen. */
static unsigned long cov_leaf[T_COUNT][3][5], cov_ttbr1[3], cov_start[T_COUNT][3][5], cov_concat;

/* Host-side description of a job, for classifying its addresses. */
struct jobinfo {
    unsigned gi[2]; /* granule index per TTBR */
    int kind;       /* T_S1_4K (by TTBR), T_S2 or T_S12 */
};
static struct jobinfo jinfo[512];

static void par_decode(uint64_t par, struct oanswer *a)
{
    memset(a, 0, sizeof(*a));
    a->fault = par & PAR_F;
    if (!a->fault) {
        a->pa = par & 0x000ffffffffff000ull;
        return;
    }
    unsigned fst = (par >> 1) & 0x3f;
    a->stage = (par >> 9) & 1 ? 2 : 1;
    a->stage_unknown = (par >> 62) & 1;
    a->ptw = (par >> 8) & 1;
    a->known = true;
    a->level = fst & 3;
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
        a->level = -1;
        if (fst == 0x29)
            a->kind = ARMVMI_FAULT_ADDR_SIZE;
        else if (fst == 0x2b)
            a->kind = ARMVMI_FAULT_TRANSLATION;
        else if (fst == 0x13)
            a->kind = ARMVMI_FAULT_EXTERNAL;
        else
            a->known = false;
    }
}

static unsigned ldg_gran_of(const struct ojob *j)
{
    unsigned tg = (unsigned)(j->vtcr >> 14) & 3;
    return tg == 1 ? 16 : tg == 2 ? 14 : 12;
}

static unsigned jinfo_s2gran(const struct ojob *j)
{
    return ldg_gran_of(j) == 12 ? 0 : ldg_gran_of(j) == 14 ? 1 : 2;
}

static void check_job(struct ogen *g, unsigned jn, struct ojob *j, const struct jobinfo *ji)
{
    struct armvmi_tt_config c = {0};
    c.regime = ARMVMI_REGIME_EL10;
    c.tcr = j->tcr;
    c.ttbr0 = j->ttbr0;
    c.ttbr1 = j->ttbr1;
    c.mair = j->mair;
    c.sctlr = j->sctlr;
    c.vtcr = j->vtcr;
    c.vttbr = j->vttbr;
    c.pa_bits = CPU_PA_BITS;
    c.features = CPU_FEATURES;
    if (ji->kind == T_S2)
        c.regime = ARMVMI_REGIME_STAGE2;
    else if (ji->kind == T_S12)
        c.stage2 = true;
    else if (ji->kind == T_EL2)
        c.regime = ARMVMI_REGIME_EL2;
    else if (ji->kind == T_EL20)
        c.regime = ARMVMI_REGIME_EL20;
    if (ji->kind == T_A32S12) {
        c.regime = (j->tcr & TTBCR_EAE) ? ARMVMI_REGIME_A32_LPAE : ARMVMI_REGIME_A32_SHORT;
        c.stage2 = true;
        c.dacr = (uint32_t)j->dacr;
        c.prrr = (uint32_t)j->mair;
        c.nmrr = (uint32_t)(j->mair >> 32);
        c.features |= ARMVMI_FEAT_PXN32;
    }
    unsigned acc[3] = {ARMVMI_ACC_READ, ARMVMI_ACC_WRITE, ARMVMI_ACC_READ | ARMVMI_ACC_EL0};
    if (ji->kind == T_EL2)
        acc[2] = ARMVMI_ACC_READ;
    const int wi = j->mode == OMODE_A64_S12 || j->mode == OMODE_A32_S12 ? 1
                   : j->mode == OMODE_A64_S1                            ? 0
                                                                        : 2;
    static const char *what[3][3] = {{"S1E1R", "S1E1W", "S1E0R"},
                                     {"S12E1R", "S12E1W", "S12E0R"},
                                     {"S1E2R", "S1E2W", "S1E0R/S1E2R"}};
    const uint64_t *va = og_job_vas(g, j);
    const uint64_t *res = og_job_res(g, j);
    static struct armvmi_translation r;
    struct oanswer *ans = calloc(j->nva, sizeof(*ans));
    if (getenv("ORACLE_DEBUG"))
        printf("# job %u mode %u: tcr %#llx ttbr0 %#llx ttbr1 %#llx vtcr %#llx vttbr %#llx\n", jn,
               j->mode, (unsigned long long)j->tcr, (unsigned long long)j->ttbr0,
               (unsigned long long)j->ttbr1, (unsigned long long)j->vtcr,
               (unsigned long long)j->vttbr);
    for (uint32_t i = 0; i < j->nva; i++) {
        int t = ji->kind;
        if (t == T_S1_4K)
            t = T_S1_4K + (int)ji->gi[(va[i] >> 55) & 1];
        tally[t].addrs++;
        for (int k = 0; k < 3; k++) {
            struct oanswer a;
            par_decode(res[3 * i + k], &a);
            armvmi_translate(&c, og_read_phys, g, va[i], acc[k], &r);
            if (!a.fault && r.fault == ARMVMI_FAULT_NONE && r.nsteps) {
                const struct armvmi_walk_step *s0 = &r.steps[0];
                unsigned gi = ji->kind == T_S2 || ji->kind == T_A32S12 ? jinfo_s2gran(j)
                              : ji->kind == T_EL2                      ? ji->gi[0]
                                                                       : ji->gi[(va[i] >> 55) & 1];
                cov_leaf[t][gi][r.level + 1]++;
                cov_start[t][gi][s0->level + 1]++;
                if ((t < T_S2 || t == T_EL20) && ((va[i] >> 55) & 1))
                    cov_ttbr1[gi]++;
                if (ji->kind == T_S2 && s0->index >= (1u << (ldg_gran_of(j) - 3)))
                    cov_concat++;
            }
            ocompare(&tally[t], &a, &r, ~0xfffull, what[wi][k], jn, res[3 * i + k]);
            /* stage-1 attributes: PAR_EL1.ATTR is the MAIR byte AttrIndx selects */
            if (!a.fault && r.fault == ARMVMI_FAULT_NONE && !c.stage2 &&
                c.regime != ARMVMI_REGIME_STAGE2 &&
                ((res[3 * i + k] >> 56) != r.attr || ((res[3 * i + k] >> 7) & 3) != r.sh)) {
                tally[t].detail++;
                if (tally[t].detail <= 12)
                    printf("#   ATTR job %u va %#llx: PAR %#llx, walker attr %#x\n", jn,
                           (unsigned long long)va[i], (unsigned long long)res[3 * i + k], r.attr);
            }
            if (k == 0)
                ans[i] = a;
        }
    }
    oenum_check(&tally[T_ENUM], &c, g, og_read_phys, va, ans, j->nva,
                ji->kind == T_A32S12 ? 0xffffffffull : ~0ull, ~0xfffull, jn);
    free(ans);
}

int main(int argc, char **argv)
{
    const char *qemu = "qemu-system-aarch64";
    const char *guest = argc > 1 ? argv[1] : GUEST_A64;
    struct ogen g;
    unsigned scale;
    int st = og_start(&g, qemu, guest, "aarch64-linux-gnu-gcc", "oracle-a64", T_COUNT, &scale);
    if (st)
        return st < 0 ? 1 : 0;
    /* 27 stage-1 jobs (all TTBR0 x TTBR1 granule pairs), 12 stage-2, 12 combined, 6 EL2 and
     * 6 EL2&0. */
    const uint32_t nva = 4400 * scale / 100 + 10, nmaps = 1500 * scale / 100 + 10;
    unsigned nj = 0;
    int maxjobs = getenv("ORACLE_JOBS") ? atoi(getenv("ORACLE_JOBS")) : 71;
    int first = getenv("ORACLE_FIRST") ? atoi(getenv("ORACLE_FIRST")) : 0;
    for (int k = first; k < maxjobs && k < 71; k++) {
        int kind = k < 27   ? T_S1_4K
                   : k < 39 ? T_S2
                   : k < 51 ? T_S12
                   : k < 57 ? T_EL2
                   : k < 63 ? T_EL20
                            : T_A32S12;
        /* about 150k addresses per stage-1 granule, 120k for stage 2 and combined */
        uint32_t n = kind == T_S1_4K || kind >= T_EL2 ? nva * 4 : nva * 9 / 4;
        static const uint32_t mode[] = {
            [T_S1_4K] = OMODE_A64_S1, [T_S2] = OMODE_A64_S12,    [T_S12] = OMODE_A64_S12,
            [T_EL2] = OMODE_A64_EL2,  [T_EL20] = OMODE_A64_EL20, [T_A32S12] = OMODE_A32_S12};
        struct ojob *j = og_job(&g, mode[kind], n);
        if (!j)
            break;
        struct jobinfo *ji = &jinfo[nj];
        ji->kind = kind;
        ji->gi[0] = (unsigned)(k % 3);
        ji->gi[1] = (unsigned)((k / 3) % 3);
        g.table_limit = g.next_table + (9ull << 20);
        int rc;
        if (kind == T_S1_4K) {
            /* a third of the jobs (every granule pair) use FEAT_LPA2 (TCR.DS=1) */
            rc = gen_el10_job(&g, j, ji->gi, nmaps, k / 9 == 0);
        } else if (kind == T_EL2 || kind == T_EL20) {
            rc = gen_el2_job(&g, j, ji->gi, nmaps, k % 2, kind == T_EL20);
        } else if (kind == T_A32S12) {
            rc = gen_a32s12_job(&g, j, nmaps, k % 2, (unsigned)(k / 2) % 8);
        } else if (kind == T_S2) {
            rc = gen_s2_job(&g, j, nmaps, k % 2 == 0); /* half with concatenated tables */
        } else {
            rc = gen_s12_job(&g, j, ji->gi, nmaps);
        }
        if (rc) {
            printf("# job %u: out of table memory\n", nj);
            g.mb->njobs--;
            continue;
        }
        nj++;
    }
    char mem[512], kern[512];
    snprintf(mem, sizeof(mem), "memory-backend-file,id=m,size=%llu,mem-path=%s,share=on",
             (unsigned long long)ORACLE_RAM_SIZE, g.path);
    snprintf(kern, sizeof(kern), "%s", guest);
    const char *qargv[] = {qemu,       "-nodefaults",
                           "-M",       "virt,virtualization=on,gic-version=3,memory-backend=m",
                           "-cpu",     "max",
                           "-m",       "512M",
                           "-object",  mem,
                           "-display", "none",
                           "-monitor", "none",
                           "-serial",  "none",
                           "-kernel",  kern,
                           NULL};
    time_t t0 = time(NULL);
    unsigned tmo = getenv("ORACLE_TIMEOUT") ? (unsigned)atoi(getenv("ORACLE_TIMEOUT")) : 600;
    if (og_run_qemu(&g, qargv, tmo) != 0) {
        printf("# QEMU did not finish the jobs (%u of %u done, CurrentEL %#llx, exception %llu: "
               "ESR %#llx ELR %#llx FAR %#llx)\n",
               g.mb->jobs_done, g.mb->njobs, (unsigned long long)g.mb->current_el,
               (unsigned long long)g.mb->exc[3], (unsigned long long)g.mb->exc[0],
               (unsigned long long)g.mb->exc[1], (unsigned long long)g.mb->exc[2]);
        if (g.mb->jobs_done < g.mb->njobs) {
            const struct ojob *fj = &g.mb->jobs[g.mb->jobs_done];
            printf("# the job that did not finish: mode %u hcr %#llx tcr %#llx ttbr0 %#llx "
                   "ttbr1 %#llx mair %#llx sctlr %#llx\n",
                   fj->mode, (unsigned long long)fj->hcr, (unsigned long long)fj->tcr,
                   (unsigned long long)fj->ttbr0, (unsigned long long)fj->ttbr1,
                   (unsigned long long)fj->mair, (unsigned long long)fj->sctlr);
            struct armvmi_tt_config fc = {.regime = fj->mode == OMODE_A64_EL2 ? ARMVMI_REGIME_EL2
                                                                              : ARMVMI_REGIME_EL20,
                                          .tcr = fj->tcr,
                                          .ttbr0 = fj->ttbr0,
                                          .ttbr1 = fj->ttbr1,
                                          .mair = fj->mair,
                                          .sctlr = fj->sctlr,
                                          .pa_bits = CPU_PA_BITS,
                                          .features = CPU_FEATURES};
            static struct armvmi_translation ft;
            armvmi_translate(&fc, og_read_phys, &g, ORACLE_PROG_PA, ARMVMI_ACC_EXEC, &ft);
            printf("# walker on the program address: fault %s, pa %#llx, el1 perm %x\n",
                   armvmi_fault_name(ft.fault), (unsigned long long)ft.pa, ft.perm_el1);
            for (unsigned i = 0; i < ft.nsteps; i++)
                printf("#   L%d %#llx = %#llx\n", ft.steps[i].level,
                       (unsigned long long)ft.steps[i].addr, (unsigned long long)ft.steps[i].desc);
        }
        for (int t = 0; t < T_COUNT; t++)
            printf("not ok %d - %s\n", t + 1, tally[t].name);
        og_close(&g);
        return 1;
    }
    printf(
        "# %u MB of tables; QEMU ran %u jobs in %lds; ID_AA64MMFR0 %#llx MMFR1 %#llx MMFR2 %#llx "
        "PFR0 %#llx\n",
        (unsigned)((g.next_table - ORACLE_TABLE_PA) >> 20), nj, (long)(time(NULL) - t0),
        (unsigned long long)g.mb->id[0], (unsigned long long)g.mb->id[1],
        (unsigned long long)g.mb->id[2], (unsigned long long)g.mb->id[3]);
    for (unsigned k = 0; k < nj; k++)
        check_job(&g, k, &g.mb->jobs[k], &jinfo[k]);
    int fails = 0;
    static const char *gname[3] = {"4K", "16K", "64K"};
    for (int t = 0; t < T_COUNT; t++) {
        otally_print(&tally[t], t + 1);
        for (int gi = 0; gi < 3; gi++) {
            unsigned long *lv = cov_leaf[t][gi], *st = cov_start[t][gi];
            if (lv[0] + lv[1] + lv[2] + lv[3] + lv[4] == 0)
                continue;
            printf("#   %s mapped by leaf level -1/0/1/2/3: %lu/%lu/%lu/%lu/%lu; by start level: "
                   "%lu/%lu/%lu/%lu/%lu",
                   gname[gi], lv[0], lv[1], lv[2], lv[3], lv[4], st[0], st[1], st[2], st[3], st[4]);
            if (t < T_S2)
                printf("; via TTBR1: %lu", cov_ttbr1[gi]);
            printf("\n");
        }
        if (t == T_S2)
            printf("#   walks through the second or later concatenated start table: %lu\n",
                   cov_concat);
        fails += tally[t].mismatch + tally[t].detail != 0;
    }
    og_close(&g);
    return fails ? 1 : 0;
}
