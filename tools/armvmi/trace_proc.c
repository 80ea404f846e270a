/* SPDX-License-Identifier: MIT */
/* trace_proc.c — which Linux process a vCPU runs at an event, from its TTBR0 or SP_EL0, and how
 * every trace kind shows it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trace_proc.h"

/* Arm ARM D8.2 (TTBR0_EL1): ASID in bits [63:48], CnP in bit 0; the rest is the table's
 * address for 48-bit output addresses (Linux arm64 keeps the ASID in TTBR1, TCR_EL1.A1 = 1,
 * but masking both kinds of bits is right either way). */
#define TTBR_BADDR_MASK 0x0000fffffffffffeull
/* PSTATE.M[3:2]: the exception level. */
#define PSTATE_EL(p) (((p) >> 2) & 3)
#define PROC_MISS_REFRESH_MS 100
#define PROC_MAX_AGE_MS 2000

static int refresh(struct trace_procs *p)
{
    struct armvmi_linux_task *t;
    size_t n;
    struct armvmi_linux_walk w;
    if (armvmi_linux_tasks(p->lx, true, &t, &n, &w))
        return -1;
    struct trace_task *c = n ? calloc(n, sizeof(*c)) : NULL;
    if (n && !c) {
        free(t);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        c[i] = (struct trace_task){.va = t[i].va,
                                   .pgd_pa = t[i].mm ? t[i].pgd_pa : 0,
                                   .pid = t[i].pid,
                                   .tgid = t[i].tgid,
                                   .kthread = t[i].kthread};
        memcpy(c[i].comm, t[i].comm, sizeof(c[i].comm));
        c[i].comm[sizeof(c[i].comm) - 1] = 0;
    }
    free(t);
    free(p->t);
    p->t = c;
    p->n = n;
    p->refreshed_ms = cli_now_ms();
    p->refreshes++;
    return 0;
}

void trace_procs_open(struct trace_procs *p, armvmi_t *h)
{
    memset(p, 0, sizeof(*p));
    if (armvmi_linux_open(h, &p->lx)) {
        snprintf(p->err, sizeof(p->err), "%s", armvmi_errmsg());
        p->lx = NULL;
        return;
    }
    if (refresh(p)) {
        snprintf(p->err, sizeof(p->err), "%s", armvmi_errmsg());
        armvmi_linux_close(p->lx);
        p->lx = NULL;
    }
}

void trace_procs_close(struct trace_procs *p)
{
    free(p->t);
    armvmi_linux_close(p->lx);
    memset(p, 0, sizeof(*p));
}

static const struct trace_task *find(const struct trace_procs *p, uint64_t ttbr0, uint64_t cur)
{
    if (cur)
        for (size_t i = 0; i < p->n; i++)
            if (p->t[i].va == cur)
                return &p->t[i];
    const struct trace_task *hit = NULL;
    if (ttbr0)
        for (size_t i = 0; i < p->n; i++)
            if (p->t[i].pgd_pa == ttbr0) {
                hit = &p->t[i];
                if (hit->pid == hit->tgid) /* a thread-group leader names the process best */
                    break;
            }
    return hit;
}

/* Whether the list's entry t still describes the live task: its pid and, when t was found by
 * the table, that table. A task that exited can leave its task_struct or its page-table root to
 * a new one before the list is read again (a trace then named another process after it). */
static bool still(const struct trace_procs *p, const struct trace_task *t, uint64_t ttbr0)
{
    struct armvmi_linux_task now;
    return armvmi_linux_task_at(p->lx, t->va, &now) == 0 && now.pid == t->pid &&
           now.tgid == t->tgid && (!ttbr0 || (now.mm && now.pgd_pa == ttbr0));
}

/* At EL1, `current` (SP_EL0) read by itself when the list has not got it (a task forked after
 * the last read, within the 100 ms between re-reads); otherwise fallback is kept. */
static const struct trace_task *current_task(struct trace_procs *p, uint64_t cur,
                                             const struct trace_task *fallback)
{
    struct armvmi_linux_task k;
    if (armvmi_linux_task_at(p->lx, cur, &k) || k.pid < 0 || k.tgid <= 0)
        return fallback;
    p->one = (struct trace_task){.va = k.va,
                                 .pgd_pa = k.mm ? k.pgd_pa : 0,
                                 .pid = k.pid,
                                 .tgid = k.tgid,
                                 .kthread = k.kthread};
    memcpy(p->one.comm, k.comm, sizeof(p->one.comm));
    p->one.comm[sizeof(p->one.comm) - 1] = 0;
    return &p->one;
}

static void lookup(struct trace_procs *p, uint64_t ttbr0, uint64_t cur, struct trace_proc *out)
{
    out->task = NULL;
    if (!p->lx) {
        out->how = TRACE_PROC_UNKNOWN;
        return;
    }
    ttbr0 &= TTBR_BADDR_MASK;
    long long now = cli_now_ms();
    if (now - p->refreshed_ms > PROC_MAX_AGE_MS)
        refresh(p); /* on failure the old list stays */
    const struct trace_task *t = find(p, ttbr0, cur);
    if (t && !still(p, t, t->va == cur ? 0 : ttbr0)) /* stale: read the list again */
        t = refresh(p) ? NULL : find(p, ttbr0, cur);
    else if (!t && now - p->refreshed_ms >= PROC_MISS_REFRESH_MS && !refresh(p))
        t = find(p, ttbr0, cur);
    if ((!t || t->va != cur) && cur)
        t = current_task(p, cur, t);
    out->task = t;
    out->how = !t ? TRACE_PROC_NONE : (cur && t->va == cur) ? TRACE_PROC_CURRENT : TRACE_PROC_TTBR0;
}

void trace_procs_lookup(struct trace_procs *p, const struct armvmi_regs *r, struct trace_proc *out)
{
    /* At EL1 Linux arm64 keeps `current` in SP_EL0 (asm/current.h); at EL0 it is the user's. */
    uint64_t cur = PSTATE_EL(r->regs[ARMVMI_REG_PSTATE]) == 1 ? r->regs[ARMVMI_REG_SP_EL0] : 0;
    lookup(p, r->regs[ARMVMI_REG_TTBR0_EL1], cur, out);
}

void trace_procs_by_table(struct trace_procs *p, uint64_t ttbr, struct trace_proc *out)
{
    lookup(p, ttbr, 0, out);
}

void trace_proc_text(const struct trace_proc *pr, char *out, size_t len)
{
    const struct trace_task *k = pr->task;
    if (k && k->kthread)
        snprintf(out, len, "[kernel thread %d %s]", k->pid, k->comm);
    else if (k)
        snprintf(out, len, "[pid %d %s%s]", k->tgid, k->comm,
                 k->pid != k->tgid ? " (a thread)" : "");
    else
        snprintf(out, len, "[%s]",
                 pr->how == TRACE_PROC_NONE ? "no process has this address space"
                                            : "process unknown");
}

void trace_proc_json(json_t *o, const char *prefix, const struct trace_proc *pr)
{
    const struct trace_task *k = pr->task;
    char key[32];
    snprintf(key, sizeof(key), "%spid", prefix);
    json_object_set_new(o, key, k ? json_integer(k->tgid) : json_null());
    snprintf(key, sizeof(key), "%stid", prefix);
    json_object_set_new(o, key, k ? json_integer(k->pid) : json_null());
    snprintf(key, sizeof(key), "%scomm", prefix);
    json_object_set_new(o, key, k ? json_string(k->comm) : json_null());
    snprintf(key, sizeof(key), "%sproc", prefix);
    json_object_set_new(o, key, json_string(trace_proc_how_name(pr->how)));
}

const char *trace_proc_how_name(enum trace_proc_how how)
{
    switch (how) {
    case TRACE_PROC_CURRENT:
        return "current";
    case TRACE_PROC_TTBR0:
        return "ttbr0";
    case TRACE_PROC_NONE:
        return "none";
    default:
        return "unknown";
    }
}
