/* SPDX-License-Identifier: MIT */
/* trace_proc.h — which Linux process a vCPU runs at an event (every `armvmi trace` kind). */
#ifndef ARMVMI_TRACE_PROC_H
#define ARMVMI_TRACE_PROC_H

#include <jansson.h>

#include <armvmi/linuxos.h>

/* One task of the cache. */
struct trace_task {
    uint64_t va;     /* task_struct */
    uint64_t pgd_pa; /* its address space's root (0: none) */
    int32_t pid, tgid;
    bool kthread;
    char comm[ARMVMI_LINUX_COMM_MAX];
};

/* The guest's tasks, read through the Linux layer and kept until a lookup misses. */
struct trace_procs {
    armvmi_linux_t *lx; /* NULL: the Linux layer could not be opened (why: err) */
    char err[256];
    struct trace_task *t;
    size_t n;
    long long refreshed_ms;
    unsigned refreshes;
    struct trace_task one; /* `current` read by itself: a task newer than the list */
};

/* What a lookup found. */
enum trace_proc_how {
    TRACE_PROC_UNKNOWN, /* no Linux layer */
    TRACE_PROC_NONE,    /* no task has this address space (idle, a kernel thread's) */
    TRACE_PROC_CURRENT, /* at EL1: SP_EL0 is the kernel's `current` task_struct */
    TRACE_PROC_TTBR0,   /* TTBR0's table (ASID masked) is the task's mm->pgd */
};
struct trace_proc {
    enum trace_proc_how how;
    const struct trace_task *task; /* valid until the next lookup (CURRENT, TTBR0) */
};

/* Open the Linux layer on h (a live VM, paused by the caller) and read the task list. On
 * failure p->lx is NULL and p->err says why; the tracer goes on without process names. */
void trace_procs_open(struct trace_procs *p, armvmi_t *h);
void trace_procs_close(struct trace_procs *p);

/* The process of the vCPU whose registers are r. A miss re-reads the task list (at most every
 * 100 ms); a list older than 2 s is re-read too, since a freed page table can be reused. At EL1
 * a `current` the list does not have yet (a process just forked) is read by itself. */
void trace_procs_lookup(struct trace_procs *p, const struct armvmi_regs *r, struct trace_proc *out);

/* The process whose address space has the table base of ttbr (ASID and CnP ignored): the new
 * value of a TTBR0_EL1 write, say. Misses refresh the list as trace_procs_lookup does. */
void trace_procs_by_table(struct trace_procs *p, uint64_t ttbr, struct trace_proc *out);

/* How every trace kind shows it: "[pid 12 sh]", "[pid 12 sh (a thread)]", "[kernel thread 3
 * kworker/0:1]", "[no process has this address space]" or "[process unknown]" (no Linux layer);
 * in JSON the keys PREFIXpid (tgid), PREFIXtid, PREFIXcomm (null when no process) and
 * PREFIXproc (trace_proc_how_name). */
void trace_proc_text(const struct trace_proc *pr, char *out, size_t len);
void trace_proc_json(json_t *o, const char *prefix, const struct trace_proc *pr);

/* "ttbr0", "current", "none" or "unknown". */
const char *trace_proc_how_name(enum trace_proc_how how);

#endif
