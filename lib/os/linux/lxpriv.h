/* SPDX-License-Identifier: MIT */
/* lxpriv.h — the Linux handle's internals shared by its walkers (tasks, VMAs, files, modules). */
#ifndef ARMVMI_LXPRIV_H
#define ARMVMI_LXPRIV_H

#include <armvmi/linuxos.h>
#include <armvmi/types.h>

#include "lxwalk.h"

/* Members the walkers use, resolved once by name from BTF (lxos.c's table has the paths). */
enum lx_field {
    F_TASK_TASKS,
    F_TASK_PID,
    F_TASK_TGID,
    F_TASK_REAL_PARENT,
    F_TASK_COMM,
    F_TASK_REAL_CRED,
    F_TASK_STATE,
    F_TASK_EXIT_STATE,
    F_TASK_START,
    F_TASK_START_BOOT,
    F_TASK_MM,
    F_TASK_FLAGS,
    F_TASK_THREAD_GROUP,
    F_TASK_THREAD_NODE,
    F_TASK_SIGNAL,
    F_TASK_FILES,
    F_TASK_KTHREAD,
    F_SIG_THREAD_HEAD,
    F_KTHREAD_DATA,
    F_KTHREAD_FULL_NAME,
    F_WORKER_DESC,
    F_WORKER_CURRENT,
    F_WORKER_POOL,
    F_CRED_UID,
    F_CRED_GID,
    F_CRED_EUID,
    F_CRED_EGID,
    F_MM_PGD,
    F_MM_MT,
    F_MM_MMAP,
    F_MM_ARG_START,
    F_MM_ARG_END,
    F_MM_ENV_START,
    F_MM_ENV_END,
    F_MM_START_BRK,
    F_MM_BRK,
    F_MM_START_STACK,
    F_MT_ROOT,
    F_MR_PIVOT,
    F_MR_SLOT,
    F_MA_PIVOT,
    F_MA_SLOT,
    F_VMA_START,
    F_VMA_END,
    F_VMA_MM,
    F_VMA_FLAGS,
    F_VMA_PGOFF,
    F_VMA_FILE,
    F_VMA_PRIV,
    F_VMA_NEXT,
    F_FILE_MNT,
    F_FILE_DENTRY,
    F_FILE_INODE,
    F_INODE_INO,
    F_INODE_SB,
    F_SB_DEV,
    F_SB_TYPE,
    F_FSTYPE_NAME,
    F_DENTRY_PARENT,
    F_DENTRY_NAME,
    F_DENTRY_LEN,
    F_VFSMNT_ROOT,
    F_MOUNT_MNT,
    F_MOUNT_PARENT,
    F_MOUNT_MOUNTPOINT,
    F_FILES_FDT,
    F_FDT_MAX,
    F_FDT_FD,
    F_MOD_LIST,
    F_MOD_NAME,
    F_MOD_STATE,
    F_MOD_MEM,
    F_MOD_CORE,
    F_MODMEM_BASE,
    F_MODMEM_SIZE,
    F_MODLAYOUT_BASE,
    F_MODLAYOUT_SIZE,
    F_COUNT
};

struct lx_off {
    int64_t off;   /* -1: not in this kernel */
    uint32_t size; /* bytes of the member */
    uint64_t nelems;
};

struct armvmi_linux {
    armvmi_t *h;
    struct armvmi_linux_kernel k;
    struct armvmi_tt_config kctx; /* the kernel's address space (swapper_pg_dir) */
    armvmi_types_t *types;
    bool types_borrowed;      /* an outside profile's (armvmi_linux_open_profile): not closed */
    const char *types_source; /* "BTF in guest memory" or the profile's name */
    struct lx_off f[F_COUNT];
    struct lx_maple_layout maple;
    bool have_maple;
    uint64_t modmem_size; /* sizeof(struct module_memory) */
    uint64_t init_task;
    const char *init_task_source;
    uint64_t modules_head;      /* VA of the `modules` list head, 0 if not known */
    uint64_t modules_sym;       /* its symbol's value (kallsyms with KALLSYMS_ALL), to be checked */
    const char *modules_source; /* static: how modules_head was found */
};

/* Read from the kernel's address space (lx_read_fn shape). */
int lx_kread(void *lx, uint64_t va, void *buf, size_t len);
/* Read an unsigned member of size f.size (1, 2, 4 or 8) of the object at base. */
int lx_rd_field(armvmi_linux_t *lx, uint64_t base, enum lx_field f, uint64_t *v);
/* A pointer member (8 bytes). */
int lx_rd_ptr(armvmi_linux_t *lx, uint64_t base, enum lx_field f, uint64_t *v);
/* Is field f known; else set the error "this kernel's BTF has no X" and return false. */
bool lx_need(armvmi_linux_t *lx, enum lx_field f);
/* A plausible kernel VA (in the kernel half of the address space). */
bool lx_is_kva(const armvmi_linux_t *lx, uint64_t va);
/* A NUL-terminated kernel string of at most max-1 bytes at va. */
int lx_kstr(armvmi_linux_t *lx, uint64_t va, char *out, size_t max);
/* Find the `modules` list head (lxmod.c); 0 or an error saying why not. */
int lx_find_modules(armvmi_linux_t *lx);
/* Make room for one more element in *v (n used of *cap, elem bytes each): 0 or ENOMEM. */
int lx_grow(void *v, size_t n, size_t *cap, size_t elem);
/* The physical range of the kernel image searched for its data: from _stext, bounded by its
 * RAM range and by max bytes; *len 0 if unknown. */
void lx_image_range(armvmi_linux_t *lx, uint64_t max, uint64_t *start, uint64_t *len);
/* Copy w's outcome to the public walk record. */
void lx_walk_out(const struct lx_err *e, struct armvmi_linux_walk *w);

#endif
