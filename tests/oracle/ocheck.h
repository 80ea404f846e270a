/* SPDX-License-Identifier: MIT */
/* ocheck.h — tallies and TAP output of the oracle host checkers. */
#ifndef ORACLE_OCHECK_H
#define ORACLE_OCHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <armvmi/arch.h>

struct otally {
    const char *name;
    unsigned long addrs;     /* input addresses checked */
    unsigned long checks;    /* AT results compared */
    unsigned long mapped;    /* results without fault */
    unsigned long faults[8]; /* CPU faults by kind */
    unsigned long mismatch;  /* fault/no-fault or output address differ */
    unsigned long detail;    /* both fault, but kind/level/stage differ */
};

/* A decoded CPU answer. */
struct oanswer {
    bool fault;
    uint64_t pa;
    enum armvmi_fault kind;
    int level;
    int stage;
    bool ptw;
    bool known;         /* kind/level decoded */
    bool stage_unknown; /* reported by an exception: no stage information */
};

static inline void otally_print(const struct otally *t, int num)
{
    bool ok = t->mismatch == 0 && t->detail == 0 && t->addrs > 0;
    printf(
        "%s %d - %s: %lu addresses, %lu AT results, %lu mapped, %lu mismatches, %lu fault-detail "
        "mismatches\n",
        ok ? "ok" : "not ok", num, t->name, t->addrs, t->checks, t->mapped, t->mismatch, t->detail);
    printf("#   CPU faults: translation %lu, access flag %lu, permission %lu, address size %lu, "
           "external %lu, domain %lu\n",
           t->faults[ARMVMI_FAULT_TRANSLATION], t->faults[ARMVMI_FAULT_ACCESS_FLAG],
           t->faults[ARMVMI_FAULT_PERMISSION], t->faults[ARMVMI_FAULT_ADDR_SIZE],
           t->faults[ARMVMI_FAULT_EXTERNAL], t->faults[ARMVMI_FAULT_DOMAIN]);
}

/* Compare one CPU answer with the walker's result; print the first few differences. */
static inline void ocompare(struct otally *t, const struct oanswer *a,
                            const struct armvmi_translation *r, uint64_t pa_mask, const char *what,
                            unsigned job, uint64_t par)
{
    t->checks++;
    bool ours_fault = r->fault != ARMVMI_FAULT_NONE;
    bool bad = false, detail = false;
    if (a->fault != ours_fault)
        bad = true;
    else if (!a->fault)
        bad = (a->pa & pa_mask) != (r->pa & pa_mask);
    else if (a->known)
        /* QEMU 7.2 reports a stage-2 fault on a stage-1 table read with the stage-1 level
         * (the architecture reports the stage-2 level): compare with the matching field. */
        detail = a->kind != r->fault ||
                 a->level != (r->fault_s1ptw ? r->fault_s1ptw_level : r->fault_level) ||
                 (!a->stage_unknown && a->stage != (r->fault_stage ? r->fault_stage : 1)) ||
                 a->ptw != r->fault_s1ptw;
    if (a->fault)
        t->faults[a->known ? a->kind : 0]++;
    else
        t->mapped++;
    if (bad)
        t->mismatch++;
    if (detail)
        t->detail++;
    if ((bad || detail) && t->mismatch + t->detail <= 12)
        printf("#   %s job %u %s va %#llx: CPU par %#llx (%s, %s L%d S%d%s) ours %s pa %#llx "
               "(%s L%d S%d%s)\n",
               bad ? "MISMATCH" : "DETAIL", job, what, (unsigned long long)r->va,
               (unsigned long long)par, a->fault ? "fault" : "ok",
               a->fault ? armvmi_fault_name(a->kind) : "-", a->level, a->stage,
               a->ptw ? " ptw" : "", ours_fault ? "fault" : "ok", (unsigned long long)r->pa,
               armvmi_fault_name(r->fault), r->fault_level, r->fault_stage,
               r->fault_s1ptw ? " ptw" : "");
    if ((bad || detail) && t->mismatch + t->detail <= 12 && getenv("ORACLE_DEBUG"))
        for (unsigned i = 0; i < r->nsteps; i++)
            printf("#     S%u L%d table %#llx [%u] @%#llx = %#llx\n", r->steps[i].stage,
                   r->steps[i].level, (unsigned long long)r->steps[i].table, r->steps[i].index,
                   (unsigned long long)r->steps[i].addr, (unsigned long long)r->steps[i].desc);
}

/* The seed: ORACLE_SEED, else from the clock; printed so that a failure replays. */
static inline uint64_t oseed(void)
{
    const char *s = getenv("ORACLE_SEED");
    if (s && *s)
        return strtoull(s, NULL, 0);
    return ((uint64_t)time(NULL) << 16) ^ (uint64_t)getpid();
}

/* True if prog is found in PATH. */
static inline bool ohave(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        const char *e = strchr(path, ':');
        size_t n = e ? (size_t)(e - path) : strlen(path);
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
        if (access(buf, X_OK) == 0)
            return true;
        path = e ? e + 1 : NULL;
    }
    return false;
}

#endif
