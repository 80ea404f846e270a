/* SPDX-License-Identifier: MIT */
/* apps_procs.h — public API of the hidden-process detector: processes seen from several views. */
#ifndef ARMVMI_APPS_PROCS_H
#define ARMVMI_APPS_PROCS_H

/*
 * A cross-view check (as Volatility's psxview): the processes (thread-group leaders) of a
 * Linux guest are collected from kernel structures that are kept independently, and each
 * process says which of them hold it. A rootkit that unlinks its task from one structure
 * (DKOM: the task list that ps-like tools walk) is still found through the others: the PID
 * namespace's IDR is what the guest's own /proc readdir and kill() use, so a process missing
 * from the task list but present in the IDR is hidden and alive.
 * Built only on the public API (linuxos.h, types.h). All offsets come from the kernel's types
 * (armvmi_linux_get_types); guest memory is hostile: every walk is bounded, cycles end a walk
 * with a message, a broken entry is counted and skipped. A live VM should be paused.
 * Conventions are armvmi.h's: int status (0 or a negative ARMVMI_E*), armvmi_errmsg().
 */
#include <armvmi/linuxos.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The views (bit 1 << source in armvmi_psx_proc.seen and .expected). */
enum armvmi_psx_source {
    /** init_task.tasks: the task list armvmi_linux_tasks (and `armvmi ps`) walks */
    ARMVMI_PSX_TASKS = 0,
    /** init_pid_ns.idr: every struct pid, its tasks[PIDTYPE_PID] task (/proc, kill()) */
    ARMVMI_PSX_PIDS,
    /** the children/sibling lists from init_task down (each process in its parent's list) */
    ARMVMI_PSX_CHILDREN,
    /** each CPU's runqueue: rq->curr unless the CPU is idle (sees only running processes) */
    ARMVMI_PSX_RUNQUEUE,
    ARMVMI_PSX_NSOURCES
};

/** One process and the views that hold it. */
struct armvmi_psx_proc {
    int32_t pid;       /**< its tgid (the task's, as read from the task_struct) */
    uint64_t task;     /**< VA of its task_struct (the key: views are merged on it) */
    uint32_t seen;     /**< bit (1 << source) for each view that holds it */
    uint32_t expected; /**< views that should hold it: the task list and the children lists
                            every process; the IDR every process but pid 0; the runqueues
                            none (a process is there only while it runs) */
    char name[ARMVMI_LINUX_NAME_MAX]; /**< as armvmi_linux_task's name */
};

/** How one view went. */
struct armvmi_psx_view {
    bool available;  /**< the view could be read (else msg says why) */
    unsigned count;  /**< processes it holds */
    unsigned broken; /**< entries skipped or a walk cut short (msg: the first problem) */
    char msg[256];
    char source[128]; /**< where it was read from ("init_pid_ns.idr at 0x...",
                           "runqueues from kallsyms, 2 CPUs"...), "" if unavailable */
};

/** The result of armvmi_psx_scan. */
struct armvmi_psx {
    struct armvmi_psx_proc *procs; /**< sorted by pid, then task; malloc'd */
    size_t n;
    struct armvmi_psx_view view[ARMVMI_PSX_NSOURCES];
};

/**
 * Collect the processes of lx's kernel (opened on h) from every view. The task list must be
 * readable; another view that cannot be used (a symbol not found: init_pid_ns and
 * __per_cpu_offset are found through armvmi_linux_syms_find, runqueues through kallsyms or,
 * without data symbols in kallsyms, through the BTF's per-CPU data section and an exported
 * per-CPU variable) is marked unavailable with its reason. Release *out with armvmi_psx_free.
 * Errors: ARMVMI_EINVAL (NULL argument), the errors of armvmi_linux_tasks, ARMVMI_ENOMEM.
 */
int armvmi_psx_scan(armvmi_t *h, armvmi_linux_t *lx, struct armvmi_psx *out);

/** Release what armvmi_psx_scan allocated (the struct itself is the caller's). */
void armvmi_psx_free(struct armvmi_psx *p);

/** The view's short name: "tasks", "pid_ns", "children", "runqueue"; NULL if out of range. */
const char *armvmi_psx_source_name(int source);

/** Views that should hold p and do not (an available view only). */
uint32_t armvmi_psx_missing(const struct armvmi_psx *r, const struct armvmi_psx_proc *p);

/** A hidden process: in the PID namespace's IDR (alive for /proc and kill()) but not in the
 *  task list. */
bool armvmi_psx_hidden(const struct armvmi_psx *r, const struct armvmi_psx_proc *p);

#ifdef __cplusplus
}
#endif

#endif
