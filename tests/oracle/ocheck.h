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
    bool pa_low32;      /* only PA[31:24] reported (short-descriptor PAR of a supersection) */
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
        bad = (a->pa & pa_mask & (a->pa_low32 ? 0xff000000ull : ~0ull)) !=
              (r->pa & pa_mask & (a->pa_low32 ? 0xff000000ull : ~0ull));
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

/* ---- page enumeration checked against the CPU ---- */

struct orange_set {
    struct armvmi_range *r;
    size_t n, cap;
};

static inline int orange_add(void *arg, const struct armvmi_range *r)
{
    struct orange_set *s = arg;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->r = realloc(s->r, s->cap * sizeof(*s->r));
        if (!s->r)
            return 1;
    }
    s->r[s->n++] = *r;
    return 0;
}

/* The range holding va, or NULL (ranges are sorted and disjoint). */
static inline const struct armvmi_range *orange_find(const struct orange_set *s, uint64_t va)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (va < s->r[mid].va)
            hi = mid;
        else if (va - s->r[mid].va >= s->r[mid].size)
            lo = mid + 1;
        else
            return &s->r[mid];
    }
    return NULL;
}

/* Enumerate cfg's address space and check it against the CPU's first answer (a privileged
 * read) for each address: a mapped address must be in a range with the same output; an
 * address with a translation, access-flag, address-size or external fault must be in none. */
static inline void oenum_check(struct otally *t, const struct armvmi_tt_config *cfg, void *rctx,
                               armvmi_read_phys_fn rd, const uint64_t *va,
                               const struct oanswer *ans, uint32_t n, uint64_t in_mask,
                               uint64_t pa_mask, unsigned job)
{
    struct orange_set s = {0};
    struct armvmi_enum_stats st;
    int rc = armvmi_enum_ranges(cfg, rd, rctx, 0, orange_add, &s, &st);
    if (rc != 0 || st.truncated) {
        t->mismatch++;
        printf(
            "#   job %u: enumeration failed (rc %d, truncated %d, %llu tables, %llu leaves, %llu "
            "ranges)\n",
            job, rc, st.truncated, (unsigned long long)st.tables, (unsigned long long)st.leaves,
            (unsigned long long)st.ranges);
        free(s.r);
        return;
    }
    for (size_t i = 1; i < s.n; i++)
        if (s.r[i].va < s.r[i - 1].va + s.r[i - 1].size) {
            t->mismatch++;
            printf("#   job %u: ranges overlap or are unsorted at %#llx\n", job,
                   (unsigned long long)s.r[i].va);
            break;
        }
    t->mapped += s.n; /* ranges reported */
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v = va[i] & in_mask;
        if (in_mask == ~0ull) { /* the top byte (TBI) is not part of a canonical VA */
            uint64_t canon = (v & (1ull << 55)) ? v | (0xffull << 56) : v & ~(0xffull << 56);
            if (ans[i].fault && canon != v)
                continue;
            v = canon;
        }
        const struct armvmi_range *r = orange_find(&s, v);
        t->checks++;
        t->addrs++;
        bool bad;
        if (!ans[i].fault)
            bad = !r || ((r->pa + (v - r->va)) & pa_mask &
                         (ans[i].pa_low32 ? 0xff000000ull : ~0ull)) != (ans[i].pa & pa_mask);
        else if (ans[i].known && ans[i].kind != ARMVMI_FAULT_PERMISSION)
            bad = r != NULL;
        else
            continue;
        if (bad) {
            t->mismatch++;
            if (t->mismatch <= 8)
                printf("#   ENUM job %u va %#llx: CPU %s pa %#llx, range %s %#llx+%#llx -> %#llx\n",
                       job, (unsigned long long)v, ans[i].fault ? "fault" : "ok",
                       (unsigned long long)ans[i].pa, r ? "found" : "none",
                       (unsigned long long)(r ? r->va : 0), (unsigned long long)(r ? r->size : 0),
                       (unsigned long long)(r ? r->pa : 0));
        }
    }
    free(s.r);
}
