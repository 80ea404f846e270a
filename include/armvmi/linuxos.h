/* SPDX-License-Identifier: MIT */
/* linuxos.h — public API of the Linux walkers: processes, memory maps, files and modules. */
#ifndef ARMVMI_LINUXOS_H
#define ARMVMI_LINUXOS_H

/*
 * A Linux handle bundles what the walkers need from a target: the kernel found by
 * armvmi_linux_discover, its symbols (init_task) and its own BTF (member offsets), resolved
 * once when the handle opens, so that a listing does no name lookups. Guest memory is hostile:
 * every walk is bounded and a broken entry is reported (struct armvmi_linux_walk) and
 * skipped. A live VM should be paused while a handle is opened and while walks run.
 * Conventions are armvmi.h's: int status (0 or a negative ARMVMI_E*), armvmi_errmsg().
 */
#include <armvmi/linux.h>
#include <armvmi/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct armvmi_linux armvmi_linux_t;

/** Longest comm (TASK_COMM_LEN) and longest displayed task name kept, with their NUL. */
#define ARMVMI_LINUX_COMM_MAX 16
#define ARMVMI_LINUX_NAME_MAX 64
/** Longest path rebuilt from a dentry chain, with its NUL. */
#define ARMVMI_LINUX_PATH_MAX 512
/** Bounds of the walks. */
#define ARMVMI_LINUX_MAX_TASKS (1u << 22)
#define ARMVMI_LINUX_MAX_VMAS (1u << 20)
#define ARMVMI_LINUX_MAX_FDS (1u << 20)
#define ARMVMI_LINUX_MAX_MODULES 65536

/**
 * Open the Linux layer on h: discover the kernel, find its BTF in memory, resolve init_task
 * and the member offsets the walkers use. *out is released with armvmi_linux_close (which does
 * not close h; h must outlive it).
 * Errors: those of armvmi_linux_discover and armvmi_linux_btf_find (ARMVMI_ENOENT: "no BTF
 * ..."), ARMVMI_ENOENT (init_task not found; a member the walkers need is missing from the
 * BTF: the message names it), ARMVMI_ENOMEM.
 */
int armvmi_linux_open(armvmi_t *h, armvmi_linux_t **out);

/** Release a Linux handle. NULL is allowed. */
void armvmi_linux_close(armvmi_linux_t *lx);

/** The kernel the handle found (owned by lx). */
const struct armvmi_linux_kernel *armvmi_linux_get_kernel(const armvmi_linux_t *lx);

/**
 * The kernel types the handle uses (its BTF, or the outside profile's), owned by lx: valid
 * until armvmi_linux_close. For applications that need offsets the walkers do not use.
 */
const armvmi_types_t *armvmi_linux_get_types(const armvmi_linux_t *lx);

/** Where the handle's facts came from. */
struct armvmi_linux_handle_info {
    uint64_t init_task;           /**< VA of init_task */
    const char *init_task_source; /**< static: how it was found */
    uint64_t btf_pa;              /**< physical address of the BTF used */
    unsigned offsets;             /**< members resolved at open */
    bool thread_head;             /**< threads via signal->thread_head (6.7+) */
    bool module_mem;              /**< modules via mem[MOD_TEXT] (6.4+), else core_layout */
    const char *types_source;     /**< "BTF in guest memory" or the outside profile's name */
    uint64_t modules_head;        /**< VA of the `modules` list head once a listing found it */
    const char *modules_source;   /**< static: how it was found (NULL before) */
};
int armvmi_linux_handle_info(const armvmi_linux_t *lx, struct armvmi_linux_handle_info *info);

/** The outcome of one walk besides its results: broken entries seen and skipped. */
struct armvmi_linux_walk {
    unsigned broken; /**< entries that were skipped or a walk cut short */
    char msg[256];   /**< the first problem, one sentence ("" if none) */
};

/** One task (a thread; a process is its thread-group leader). */
struct armvmi_linux_task {
    uint64_t va;  /**< the task_struct */
    int32_t pid;  /**< the thread's id */
    int32_t tgid; /**< the process id */
    int32_t ppid; /**< real_parent's tgid (0 for pid 0 and for the parent of kthreadd, init) */
    uint32_t uid, gid, euid, egid; /**< from real_cred */
    uint32_t flags;                /**< PF_* */
    uint64_t state;                /**< __state (or state before 5.14) | exit_state */
    uint64_t start_time;           /**< ns since boot, monotonic (task->start_time) */
    /** ns since boot on the boot-based clock (task->start_boottime, 5.5+; start_time where
     *  the kernel has none): what /proc/PID/stat's starttime is, in USER_HZ ticks */
    uint64_t start_boottime;
    uint64_t mm;       /**< mm_struct VA, 0 for kernel threads */
    uint64_t pgd;      /**< mm->pgd VA (0 without mm) */
    uint64_t pgd_pa;   /**< its physical address: the process's page-table root */
    bool kthread;      /**< PF_KTHREAD */
    unsigned nthreads; /**< threads of the group (leaders listed as processes) */
    char comm[ARMVMI_LINUX_COMM_MAX];
    /** The name /proc shows in stat and status: comm, or a kernel thread's full name, or a
     *  workqueue worker's "kworker/0:1-events" (desc of its last work, '+' if running). */
    char name[ARMVMI_LINUX_NAME_MAX];
};

/**
 * List the tasks: init_task's tasks list gives the thread-group leaders (the processes,
 * init_task itself first, pid 0); with threads, each group's other threads follow their
 * leader. *out is malloc'd (free() it), *n its length. Bounded by ARMVMI_LINUX_MAX_TASKS.
 * A task that cannot be read is skipped and counted in *w (may be NULL).
 * Errors: ARMVMI_EFORMAT (init_task unreadable), ARMVMI_ENOMEM.
 */
int armvmi_linux_tasks(armvmi_linux_t *lx, bool threads, struct armvmi_linux_task **out, size_t *n,
                       struct armvmi_linux_walk *w);

/** Find the task of pid (a thread or a process). Errors: ARMVMI_ENOENT ("no task with pid N"). */
int armvmi_linux_find_task(armvmi_linux_t *lx, int32_t pid, struct armvmi_linux_task *out);

/**
 * Read the task_struct at va again (one task, no list walk): e.g. whether a task found earlier
 * still has its pid and its address space (mm, pgd_pa) while events arrive. A task that has
 * exited has mm 0; a freed and reused task_struct shows another pid. Guest memory is read as
 * it is: va is not checked to be a live task.
 * Errors: ARMVMI_EINVAL (va is not a kernel address), ARMVMI_EFAULT (unreadable).
 */
int armvmi_linux_task_at(armvmi_linux_t *lx, uint64_t va, struct armvmi_linux_task *out);

/**
 * The address space of a task: the kernel's translation configuration (TTBR1 =
 * swapper_pg_dir) with TTBR0 = the task's mm->pgd PA and its T0SZ/TG0 (user VA size equal to
 * the kernel's), for armvmi_read_va and armvmi_va_translate.
 * Errors: ARMVMI_ENOENT (a kernel thread: no mm, no user address space).
 */
int armvmi_linux_task_ctx(armvmi_linux_t *lx, const struct armvmi_linux_task *t,
                          struct armvmi_tt_config *ctx);

enum armvmi_linux_strings { ARMVMI_LINUX_CMDLINE = 0, ARMVMI_LINUX_ENVIRON = 1 };

/**
 * The command line (mm->arg_start..arg_end) or environment (env_start..env_end) of a task,
 * read from its own memory through its page tables: *buf (malloc'd, free() it) holds *len
 * bytes, NUL-separated as in /proc/PID/cmdline, plus a NUL. At most max bytes (0: 1 MiB).
 * Errors: ARMVMI_ENOENT (a kernel thread), ARMVMI_EFORMAT (a range that is not user
 * addresses), ARMVMI_EFAULT (a page is not mapped: swapped out or never touched).
 */
int armvmi_linux_task_strings(armvmi_linux_t *lx, const struct armvmi_linux_task *t, int which,
                              size_t max, char **buf, size_t *len);

/** VM_* bits of vm_flags (include/linux/mm.h). */
#define ARMVMI_LINUX_VM_READ 0x1u
#define ARMVMI_LINUX_VM_WRITE 0x2u
#define ARMVMI_LINUX_VM_EXEC 0x4u
#define ARMVMI_LINUX_VM_SHARED 0x8u

/** One memory map (VMA). */
struct armvmi_linux_vma {
    uint64_t va; /**< the vm_area_struct */
    uint64_t start, end;
    uint64_t flags; /**< vm_flags */
    uint64_t pgoff; /**< vm_pgoff: file offset in pages */
    uint64_t file;  /**< vm_file, 0 for anonymous memory */
    uint32_t dev;   /**< the file's device (kernel dev_t: major << 20 | minor), 0 if none */
    uint64_t inode; /**< the file's inode number, 0 if none */
    /** /proc/PID/maps' name: the file's path, [heap], [stack], [vdso], [vvar]..., or "". */
    char path[ARMVMI_LINUX_PATH_MAX];
};

/**
 * The memory maps of task t, in address order, from its mm's maple tree (mm->mm_mt, Linux
 * 6.1+) or, before it, its VMA list (mm->mmap, vm_next). *out is malloc'd (free() it).
 * Errors: ARMVMI_ENOENT (a kernel thread), ARMVMI_ENOTSUP (BTF with neither), ARMVMI_ENOMEM.
 */
int armvmi_linux_vmas(armvmi_linux_t *lx, const struct armvmi_linux_task *t,
                      struct armvmi_linux_vma **out, size_t *n, struct armvmi_linux_walk *w);

/** "r-xp"-style permissions of vm_flags, as /proc/PID/maps prints them. */
void armvmi_linux_vma_perms(uint64_t flags, char out[5]);

/**
 * The path of a struct file (f_path: dentry chain to the mount root, then mount points up to
 * the root mount), as d_path() gives it, into out (len bytes). Bounded; "?" pieces for names
 * that cannot be read. Errors: ARMVMI_EFORMAT (unreadable file or a chain that does not end).
 */
int armvmi_linux_file_path(armvmi_linux_t *lx, uint64_t file, char *out, size_t len);

/** One open file descriptor. */
struct armvmi_linux_fd {
    int32_t fd;
    uint64_t file;
    char path[ARMVMI_LINUX_PATH_MAX];
};

/** The open files of t (files->fdt->fd[0..max_fds)). *out is malloc'd (free() it). */
int armvmi_linux_fds(armvmi_linux_t *lx, const struct armvmi_linux_task *t,
                     struct armvmi_linux_fd **out, size_t *n, struct armvmi_linux_walk *w);

/** One loaded kernel module. */
struct armvmi_linux_module {
    uint64_t va; /**< struct module */
    char name[56];
    uint64_t base, size; /**< its text: mem[MOD_TEXT] (6.4+) or core_layout */
    uint64_t core_size;  /**< all of its core memory (what /proc/modules prints) */
    int32_t state;
};

/** The loaded modules, in the `modules` list's order (/proc/modules' order). */
int armvmi_linux_modules(armvmi_linux_t *lx, struct armvmi_linux_module **out, size_t *n,
                         struct armvmi_linux_walk *w);

/**
 * The BTF of the loaded module called name (the bytes of the guest's /sys/kernel/btf/<name>),
 * found in guest memory and parsed as split BTF on the handle's vmlinux BTF: from struct
 * module's btf_data while the module is still coming, else from the kernel's btf_modules
 * entry for it (a struct btf_module, found by a checked search of RAM for pointers to the
 * module: its list links, its struct btf's name and a BTF header of exactly btf->data_size
 * bytes must agree). Lookups find the module's own types, then vmlinux's. *out is released
 * with armvmi_types_close() before lx is closed (lx owns the base types).
 * Errors: ARMVMI_ENOENT (no such module; no BTF for it), ARMVMI_ENOTSUP (a kernel without
 * module BTF: before 5.11 or without CONFIG_DEBUG_INFO_BTF_MODULES; types from an outside
 * profile), ARMVMI_EFORMAT (BTF that does not parse on vmlinux's), ARMVMI_ENOMEM, those of
 * armvmi_linux_modules.
 */
int armvmi_linux_module_btf(armvmi_linux_t *lx, const char *name, armvmi_types_t **out);

#ifdef __cplusplus
}
#endif

#endif
