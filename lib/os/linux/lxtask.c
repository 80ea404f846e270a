/* SPDX-License-Identifier: MIT */
/* lxtask.c — processes and threads from init_task, their address spaces, command lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxpriv.h"

/* include/linux/sched.h */
#define PF_WQ_WORKER 0x00000020u
#define PF_KTHREAD 0x00200000u
#define WORKER_DESC_LEN 24
/* Arm ARM D19.2.139 (TCR_EL1): T0SZ [5:0], EPD0 [7], TG0 [15:14] */
#define TCR_T0SZ_MASK 0x3full
#define TCR_EPD0 (1ull << 7)
#define TCR_T1SZ(tcr) (((tcr) >> 16) & 0x3f)
#define TCR_TG0_4K (0ull << 14)
#define TCR_TG0_64K (1ull << 14)
#define TCR_TG0_16K (2ull << 14)
#define STRINGS_MAX (1u << 20)

/* A NUL-terminated kernel string of at most max-1 bytes at va (read up to page ends only). */
int lx_kstr(armvmi_linux_t *lx, uint64_t va, char *out, size_t max)
{
    size_t got = 0;
    out[0] = 0;
    while (got + 1 < max) {
        size_t n = 4096 - ((va + got) & 4095);
        if (n > max - 1 - got)
            n = max - 1 - got;
        if (lx_kread(lx, va + got, out + got, n))
            return -ARMVMI_EFAULT;
        out[got + n] = 0;
        size_t l = strnlen(out + got, n);
        got += l;
        if (l < n)
            break;
    }
    out[got] = 0;
    return 0;
}

/* /proc's name of a task (fs/proc/array.c proc_task_name): workers and long kthread names. */
static void task_name(armvmi_linux_t *lx, struct armvmi_linux_task *t)
{
    snprintf(t->name, sizeof(t->name), "%s", t->comm);
    uint64_t kt;
    if (!(t->flags & PF_KTHREAD) || lx_rd_ptr(lx, t->va, F_TASK_KTHREAD, &kt) || !lx_is_kva(lx, kt))
        return;
    if (t->flags & PF_WQ_WORKER) {
        /* kernel/workqueue.c wq_worker_comm: "+desc" while running a work, "-desc" after */
        uint64_t worker, pool, cur;
        char desc[WORKER_DESC_LEN + 1] = {0};
        if (lx_rd_ptr(lx, kt, F_KTHREAD_DATA, &worker) || !lx_is_kva(lx, worker) ||
            lx_rd_ptr(lx, worker, F_WORKER_POOL, &pool) || !pool ||
            lx_rd_ptr(lx, worker, F_WORKER_CURRENT, &cur) || !lx_need(lx, F_WORKER_DESC) ||
            lx_kread(lx, worker + (uint64_t)lx->f[F_WORKER_DESC].off, desc, WORKER_DESC_LEN))
            return;
        if (desc[0])
            snprintf(t->name, sizeof(t->name), "%s%c%s", t->comm, cur ? '+' : '-', desc);
        return;
    }
    uint64_t full;
    char buf[ARMVMI_LINUX_NAME_MAX];
    if (lx_rd_ptr(lx, kt, F_KTHREAD_FULL_NAME, &full) == 0 && full && lx_is_kva(lx, full) &&
        lx_kstr(lx, full, buf, sizeof(buf)) == 0)
        snprintf(t->name, sizeof(t->name), "%s", buf);
}

static int read_task(armvmi_linux_t *lx, uint64_t va, struct armvmi_linux_task *t)
{
    memset(t, 0, sizeof(*t));
    t->va = va;
    uint64_t v, parent;
    if (lx_rd_field(lx, va, F_TASK_PID, &v))
        return -ARMVMI_EFAULT;
    t->pid = (int32_t)v;
    if (lx_rd_field(lx, va, F_TASK_TGID, &v))
        return -ARMVMI_EFAULT;
    t->tgid = (int32_t)v;
    if (lx_rd_field(lx, va, F_TASK_FLAGS, &v))
        return -ARMVMI_EFAULT;
    t->flags = (uint32_t)v;
    t->kthread = (t->flags & PF_KTHREAD) != 0;
    if (lx_kread(lx, va + (uint64_t)lx->f[F_TASK_COMM].off, t->comm, ARMVMI_LINUX_COMM_MAX - 1))
        return -ARMVMI_EFAULT;
    t->comm[ARMVMI_LINUX_COMM_MAX - 1] = 0;
    if (lx_rd_ptr(lx, va, F_TASK_MM, &t->mm))
        return -ARMVMI_EFAULT;
    if (lx_rd_ptr(lx, va, F_TASK_REAL_PARENT, &parent) == 0 && parent != va &&
        lx_is_kva(lx, parent) && lx_rd_field(lx, parent, F_TASK_TGID, &v) == 0)
        t->ppid = (int32_t)v;
    lx_rd_field(lx, va, F_TASK_STATE, &t->state);
    if (lx_rd_field(lx, va, F_TASK_EXIT_STATE, &v) == 0)
        t->state |= v;
    lx_rd_field(lx, va, F_TASK_START, &t->start_time);
    if (lx_rd_field(lx, va, F_TASK_START_BOOT, &t->start_boottime))
        t->start_boottime = t->start_time;
    uint64_t cred;
    if (lx_rd_ptr(lx, va, F_TASK_REAL_CRED, &cred) == 0 && lx_is_kva(lx, cred)) {
        if (lx_rd_field(lx, cred, F_CRED_UID, &v) == 0)
            t->uid = (uint32_t)v;
        if (lx_rd_field(lx, cred, F_CRED_GID, &v) == 0)
            t->gid = (uint32_t)v;
        if (lx_rd_field(lx, cred, F_CRED_EUID, &v) == 0)
            t->euid = (uint32_t)v;
        if (lx_rd_field(lx, cred, F_CRED_EGID, &v) == 0)
            t->egid = (uint32_t)v;
    }
    if (t->mm && lx_is_kva(lx, t->mm) && lx_rd_ptr(lx, t->mm, F_MM_PGD, &t->pgd) == 0 &&
        lx_is_kva(lx, t->pgd) && armvmi_va_to_pa(lx->h, &lx->kctx, t->pgd, &t->pgd_pa))
        t->pgd_pa = 0;
    task_name(lx, t);
    return 0;
}

/* A growing array of tasks. */
struct tlist {
    armvmi_linux_t *lx;
    struct armvmi_linux_task *v;
    size_t n, cap;
    bool threads;
    struct lx_err *e;
    unsigned nthreads; /* of the group being walked */
    int32_t find;      /* armvmi_linux_find_task: the pid looked for, else -1 */
    uint64_t skip;     /* a thread node not to list (the leader's, 6.7+) */
    unsigned steps;    /* list entries visited, all lists together (bounded) */
};

static int push(struct tlist *L, uint64_t va)
{
    if (lx_grow(&L->v, L->n, &L->cap, sizeof(*L->v)))
        return -ARMVMI_ENOMEM;
    if (read_task(L->lx, va, &L->v[L->n])) {
        lx_err_add(L->e, "task 0x%llx cannot be read: skipped.", (unsigned long long)va);
        return 0;
    }
    if (L->find >= 0 && L->v[L->n].pid == L->find)
        return 1; /* found: stop */
    L->n++;
    return 0;
}

/* Hostile memory can chain many long thread lists: all walks share one budget. */
static int stop_walk(struct tlist *L)
{
    lx_err_add(L->e, "more than %u task list entries: the walk stopped.", ARMVMI_LINUX_MAX_TASKS);
    return -ARMVMI_EFORMAT;
}

static int on_thread(void *arg, uint64_t node)
{
    struct tlist *L = arg;
    if (++L->steps > ARMVMI_LINUX_MAX_TASKS)
        return stop_walk(L);
    L->nthreads++;
    if (node == L->skip)
        return 0;
    if (!L->threads && L->find < 0)
        return 0;
    int64_t off =
        L->lx->f[L->lx->f[F_TASK_THREAD_GROUP].off >= 0 ? F_TASK_THREAD_GROUP : F_TASK_THREAD_NODE]
            .off;
    return push(L, node - (uint64_t)off);
}

/* The threads of the group led by the task at L->v[L->n - 1] (other than itself). */
static int walk_threads(struct tlist *L, uint64_t leader)
{
    armvmi_linux_t *lx = L->lx;
    L->nthreads = 1;
    if (lx->f[F_TASK_THREAD_GROUP].off >= 0) {
        /* before 6.7: a ring of task->thread_group through every thread of the group */
        uint64_t head = leader + (uint64_t)lx->f[F_TASK_THREAD_GROUP].off;
        return lx_list_walk(lx_kread, lx, head, ARMVMI_LINUX_MAX_TASKS, on_thread, L, L->e);
    }
    uint64_t sig;
    if (lx->f[F_SIG_THREAD_HEAD].off < 0 || lx->f[F_TASK_THREAD_NODE].off < 0 ||
        lx_rd_ptr(lx, leader, F_TASK_SIGNAL, &sig) || !lx_is_kva(lx, sig))
        return 0;
    /* 6.7+: signal->thread_head lists every thread, the leader too (skipped here) */
    L->nthreads = 0;
    L->skip = leader + (uint64_t)lx->f[F_TASK_THREAD_NODE].off;
    uint64_t head = sig + (uint64_t)lx->f[F_SIG_THREAD_HEAD].off;
    int rc = lx_list_walk(lx_kread, lx, head, ARMVMI_LINUX_MAX_TASKS, on_thread, L, L->e);
    L->skip = 0;
    return rc;
}

static int on_process(void *arg, uint64_t node)
{
    struct tlist *L = arg;
    if (++L->steps > ARMVMI_LINUX_MAX_TASKS)
        return stop_walk(L);
    uint64_t va = node - (uint64_t)L->lx->f[F_TASK_TASKS].off;
    size_t at = L->n;
    int r = push(L, va);
    if (r)
        return r;
    if (L->n == at)
        return 0; /* unreadable: skipped */
    r = walk_threads(L, va);
    if (r > 0)
        return r;
    if (r)
        lx_err_add(L->e, "the threads of pid %d could not all be listed.", (int)L->v[at].pid);
    L->v[at].nthreads = L->nthreads;
    return 0;
}

static int list_tasks(armvmi_linux_t *lx, bool threads, int32_t find, struct tlist *L,
                      struct lx_err *e)
{
    *L = (struct tlist){.lx = lx, .threads = threads, .e = e, .find = find};
    struct armvmi_linux_task it;
    if (read_task(lx, lx->init_task, &it))
        return armvmi_set_error(ARMVMI_EFORMAT, "init_task at 0x%llx cannot be read.",
                                (unsigned long long)lx->init_task);
    int r = push(L, lx->init_task);
    if (r > 0)
        return r;
    if (r < 0)
        return r;
    uint64_t head = lx->init_task + (uint64_t)lx->f[F_TASK_TASKS].off;
    r = lx_list_walk(lx_kread, lx, head, ARMVMI_LINUX_MAX_TASKS, on_process, L, e);
    return r == -ARMVMI_EFORMAT ? 0 : r; /* a cut list: what was read is kept, e says why */
}

struct vaidx {
    uint64_t va;
    size_t i;
};

static int vaidx_cmp(const void *a, const void *b)
{
    const struct vaidx *x = a, *y = b;
    if (x->va != y->va)
        return x->va < y->va ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* A list that loops before its head is seen again lists some tasks twice (cycle detection
 * needs a lap or two): keep each task's first appearance, in order. */
static void dedupe(struct tlist *L)
{
    struct vaidx *v = malloc(L->n * sizeof(*v) + 1);
    bool *dup = calloc(L->n + 1, 1);
    if (v && dup) {
        for (size_t i = 0; i < L->n; i++)
            v[i] = (struct vaidx){L->v[i].va, i};
        qsort(v, L->n, sizeof(*v), vaidx_cmp);
        for (size_t i = 1; i < L->n; i++)
            if (v[i].va == v[i - 1].va)
                dup[v[i].i] = true;
        size_t k = 0;
        for (size_t i = 0; i < L->n; i++)
            if (!dup[i])
                L->v[k++] = L->v[i];
        L->n = k;
    }
    free(v);
    free(dup);
}

int armvmi_linux_tasks(armvmi_linux_t *lx, bool threads, struct armvmi_linux_task **out, size_t *n,
                       struct armvmi_linux_walk *w)
{
    if (!lx || !out || !n)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_tasks: NULL argument.");
    struct lx_err e = {0};
    struct tlist L;
    int r = list_tasks(lx, threads, -1, &L, &e);
    if (r < 0) {
        free(L.v);
        return r;
    }
    if (e.broken)
        dedupe(&L);
    *out = L.v;
    *n = L.n;
    lx_walk_out(&e, w);
    return 0;
}

int armvmi_linux_task_at(armvmi_linux_t *lx, uint64_t va, struct armvmi_linux_task *out)
{
    if (!lx || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_task_at: NULL argument.");
    if (!lx_is_kva(lx, va))
        return armvmi_set_error(ARMVMI_EINVAL,
                                "armvmi_linux_task_at: 0x%llx is not a kernel address.",
                                (unsigned long long)va);
    if (read_task(lx, va, out))
        return armvmi_set_error(ARMVMI_EFAULT,
                                "armvmi_linux_task_at: the task_struct at 0x%llx cannot be read.",
                                (unsigned long long)va);
    return 0;
}

int armvmi_linux_find_task(armvmi_linux_t *lx, int32_t pid, struct armvmi_linux_task *out)
{
    if (!lx || !out || pid < 0)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_find_task: bad argument.");
    struct lx_err e = {0};
    struct tlist L;
    int r = list_tasks(lx, false, pid, &L, &e);
    if (r == 1)
        *out = L.v[L.n];
    free(L.v);
    if (r == 1)
        return 0;
    if (r < 0)
        return r;
    if (e.broken)
        return armvmi_set_error(ARMVMI_ENOENT, "no task with pid %d (the task list is damaged: %s)",
                                (int)pid, e.msg);
    return armvmi_set_error(ARMVMI_ENOENT, "no task with pid %d.", (int)pid);
}

int armvmi_linux_task_ctx(armvmi_linux_t *lx, const struct armvmi_linux_task *t,
                          struct armvmi_tt_config *ctx)
{
    if (!lx || !t || !ctx)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_task_ctx: NULL argument.");
    if (!t->mm)
        return armvmi_set_error(ARMVMI_ENOENT,
                                "pid %d (%s) is a kernel thread: it has no user address space.",
                                (int)t->pid, t->comm);
    if (!t->pgd_pa)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "pid %d: its mm->pgd (0x%llx) does not translate to RAM.",
                                (int)t->pid, (unsigned long long)t->pgd);
    *ctx = lx->kctx;
    uint64_t tg0 = lx->k.page_size.value == 65536   ? TCR_TG0_64K
                   : lx->k.page_size.value == 16384 ? TCR_TG0_16K
                                                    : TCR_TG0_4K;
    ctx->tcr = (ctx->tcr & ~(TCR_EPD0 | TCR_T0SZ_MASK | (3ull << 14))) | TCR_T1SZ(ctx->tcr) | tg0;
    ctx->ttbr0 = t->pgd_pa;
    return 0;
}

int armvmi_linux_task_strings(armvmi_linux_t *lx, const struct armvmi_linux_task *t, int which,
                              size_t max, char **buf, size_t *len)
{
    if (!lx || !t || !buf || !len ||
        (which != ARMVMI_LINUX_CMDLINE && which != ARMVMI_LINUX_ENVIRON))
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_task_strings: bad argument.");
    const char *what = which == ARMVMI_LINUX_CMDLINE ? "command line" : "environment";
    struct armvmi_tt_config ctx;
    int rc = armvmi_linux_task_ctx(lx, t, &ctx);
    if (rc)
        return rc;
    enum lx_field fs = which == ARMVMI_LINUX_CMDLINE ? F_MM_ARG_START : F_MM_ENV_START;
    enum lx_field fe = which == ARMVMI_LINUX_CMDLINE ? F_MM_ARG_END : F_MM_ENV_END;
    uint64_t s, e;
    if (!lx_need(lx, fs) || !lx_need(lx, fe))
        return -ARMVMI_ENOTSUP;
    if (lx_rd_field(lx, t->mm, fs, &s) || lx_rd_field(lx, t->mm, fe, &e))
        return armvmi_set_error(ARMVMI_EFORMAT, "pid %d: its mm_struct cannot be read.",
                                (int)t->pid);
    uint64_t bits = 64 - TCR_T1SZ(ctx.tcr);
    if (e < s || (e >> bits) != 0)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "pid %d: its %s range 0x%llx..0x%llx is not user memory.",
                                (int)t->pid, what, (unsigned long long)s, (unsigned long long)e);
    if (!max)
        max = STRINGS_MAX;
    size_t n = e - s < max ? (size_t)(e - s) : max;
    char *b = malloc(n + 1);
    if (!b)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    rc = armvmi_read_va(lx->h, &ctx, s, b, n);
    if (rc) {
        char why[256];
        snprintf(why, sizeof(why), "%s", armvmi_errmsg());
        free(b);
        return armvmi_set_error(-rc, "pid %d: its %s at 0x%llx cannot be read from its memory (%s)",
                                (int)t->pid, what, (unsigned long long)s, why);
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}
