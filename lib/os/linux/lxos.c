/* SPDX-License-Identifier: MIT */
/* lxos.c — the Linux handle: discovery, BTF and init_task bundled, member offsets resolved once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/profile.h>

#include "lxpriv.h"

/* Member paths ('|' separates alternatives across kernel versions); required ones first. */
static const struct {
    const char *path;
    bool required;
} fields[F_COUNT] = {
    [F_TASK_TASKS] = {"task_struct.tasks", true},
    [F_TASK_PID] = {"task_struct.pid", true},
    [F_TASK_TGID] = {"task_struct.tgid", true},
    [F_TASK_REAL_PARENT] = {"task_struct.real_parent", true},
    [F_TASK_COMM] = {"task_struct.comm", true},
    [F_TASK_REAL_CRED] = {"task_struct.real_cred", false},
    [F_TASK_STATE] = {"task_struct.__state|task_struct.state", false},
    [F_TASK_EXIT_STATE] = {"task_struct.exit_state", false},
    [F_TASK_START] = {"task_struct.start_time", false},
    [F_TASK_START_BOOT] = {"task_struct.start_boottime|task_struct.real_start_time", false},
    [F_TASK_MM] = {"task_struct.mm", true},
    [F_TASK_FLAGS] = {"task_struct.flags", true},
    [F_TASK_THREAD_GROUP] = {"task_struct.thread_group", false},
    [F_TASK_THREAD_NODE] = {"task_struct.thread_node", false},
    [F_TASK_SIGNAL] = {"task_struct.signal", false},
    [F_TASK_FILES] = {"task_struct.files", false},
    [F_TASK_KTHREAD] = {"task_struct.worker_private|task_struct.set_child_tid", false},
    [F_SIG_THREAD_HEAD] = {"signal_struct.thread_head", false},
    [F_KTHREAD_DATA] = {"kthread.data", false},
    [F_KTHREAD_FULL_NAME] = {"kthread.full_name", false},
    [F_WORKER_DESC] = {"worker.desc", false},
    [F_WORKER_CURRENT] = {"worker.current_work", false},
    [F_WORKER_POOL] = {"worker.pool", false},
    [F_CRED_UID] = {"cred.uid", false},
    [F_CRED_GID] = {"cred.gid", false},
    [F_CRED_EUID] = {"cred.euid", false},
    [F_CRED_EGID] = {"cred.egid", false},
    [F_MM_PGD] = {"mm_struct.pgd", true},
    [F_MM_MT] = {"mm_struct.mm_mt", false},
    [F_MM_MMAP] = {"mm_struct.mmap", false},
    [F_MM_ARG_START] = {"mm_struct.arg_start", false},
    [F_MM_ARG_END] = {"mm_struct.arg_end", false},
    [F_MM_ENV_START] = {"mm_struct.env_start", false},
    [F_MM_ENV_END] = {"mm_struct.env_end", false},
    [F_MM_START_BRK] = {"mm_struct.start_brk", false},
    [F_MM_BRK] = {"mm_struct.brk", false},
    [F_MM_START_STACK] = {"mm_struct.start_stack", false},
    [F_MT_ROOT] = {"maple_tree.ma_root", false},
    [F_MR_PIVOT] = {"maple_range_64.pivot", false},
    [F_MR_SLOT] = {"maple_range_64.slot", false},
    [F_MA_PIVOT] = {"maple_arange_64.pivot", false},
    [F_MA_SLOT] = {"maple_arange_64.slot", false},
    [F_VMA_START] = {"vm_area_struct.vm_start", false},
    [F_VMA_END] = {"vm_area_struct.vm_end", false},
    [F_VMA_MM] = {"vm_area_struct.vm_mm", false},
    [F_VMA_FLAGS] = {"vm_area_struct.vm_flags|vm_area_struct.__vm_flags", false},
    [F_VMA_PGOFF] = {"vm_area_struct.vm_pgoff", false},
    [F_VMA_FILE] = {"vm_area_struct.vm_file", false},
    [F_VMA_PRIV] = {"vm_area_struct.vm_private_data", false},
    [F_VMA_NEXT] = {"vm_area_struct.vm_next", false},
    [F_FILE_MNT] = {"file.f_path.mnt", false},
    [F_FILE_DENTRY] = {"file.f_path.dentry", false},
    [F_FILE_INODE] = {"file.f_inode", false},
    [F_INODE_INO] = {"inode.i_ino", false},
    [F_INODE_SB] = {"inode.i_sb", false},
    [F_SB_DEV] = {"super_block.s_dev", false},
    [F_SB_TYPE] = {"super_block.s_type", false},
    [F_FSTYPE_NAME] = {"file_system_type.name", false},
    [F_DENTRY_PARENT] = {"dentry.d_parent", false},
    [F_DENTRY_NAME] = {"dentry.d_name.name", false},
    [F_DENTRY_LEN] = {"dentry.d_name.len", false},
    [F_VFSMNT_ROOT] = {"vfsmount.mnt_root", false},
    [F_MOUNT_MNT] = {"mount.mnt", false},
    [F_MOUNT_PARENT] = {"mount.mnt_parent", false},
    [F_MOUNT_MOUNTPOINT] = {"mount.mnt_mountpoint", false},
    [F_FILES_FDT] = {"files_struct.fdt", false},
    [F_FDT_MAX] = {"fdtable.max_fds", false},
    [F_FDT_FD] = {"fdtable.fd", false},
    [F_MOD_LIST] = {"module.list", false},
    [F_MOD_NAME] = {"module.name", false},
    [F_MOD_STATE] = {"module.state", false},
    [F_MOD_MEM] = {"module.mem", false},
    [F_MOD_CORE] = {"module.core_layout", false},
    [F_MODMEM_BASE] = {"module_memory.base", false},
    [F_MODMEM_SIZE] = {"module_memory.size", false},
    [F_MODLAYOUT_BASE] = {"module_layout.base", false},
    [F_MODLAYOUT_SIZE] = {"module_layout.size", false},
};

#define IMAGE_SCAN_MAX (128ull << 20) /* bytes after _stext searched for init_task */
#define SCAN_CHUNK (1ull << 20)
#define SCAN_OVERLAP 64

int lx_kread(void *arg, uint64_t va, void *buf, size_t len)
{
    armvmi_linux_t *lx = arg;
    return armvmi_read_va(lx->h, &lx->kctx, va, buf, len);
}

bool lx_is_kva(const armvmi_linux_t *lx, uint64_t va)
{
    uint64_t bits = lx->k.va_bits.known ? lx->k.va_bits.value : 48;
    return bits < 64 && (va >> bits) == (UINT64_MAX >> bits);
}

bool lx_need(armvmi_linux_t *lx, enum lx_field f)
{
    if (lx->f[f].off >= 0)
        return true;
    armvmi_set_error(ARMVMI_ENOTSUP, "this kernel's BTF has no %s: not supported for %s.",
                     fields[f].path, lx->k.release);
    return false;
}

int lx_rd_field(armvmi_linux_t *lx, uint64_t base, enum lx_field f, uint64_t *v)
{
    const struct lx_off *o = &lx->f[f];
    *v = 0;
    if (o->off < 0)
        return armvmi_set_error(ARMVMI_ENOTSUP, "this kernel's BTF has no %s.", fields[f].path);
    uint32_t n = o->size == 1 || o->size == 2 || o->size == 4 ? o->size : 8;
    return lx_kread(lx, base + (uint64_t)o->off, v, n); /* little endian */
}

int lx_rd_ptr(armvmi_linux_t *lx, uint64_t base, enum lx_field f, uint64_t *v)
{
    *v = 0;
    if (lx->f[f].off < 0)
        return armvmi_set_error(ARMVMI_ENOTSUP, "this kernel's BTF has no %s.", fields[f].path);
    return lx_kread(lx, base + (uint64_t)lx->f[f].off, v, 8);
}

int lx_grow(void *v, size_t n, size_t *cap, size_t elem)
{
    void **pv = v;
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 64;
    void *p = realloc(*pv, c * elem);
    if (!p)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    *pv = p;
    *cap = c;
    return 0;
}

void lx_image_range(armvmi_linux_t *lx, uint64_t max, uint64_t *start, uint64_t *len)
{
    struct armvmi_info in;
    *start = lx->k.stext_pa.value;
    *len = 0;
    if (!lx->k.stext_pa.known || armvmi_get_info(lx->h, &in))
        return;
    for (unsigned i = 0; i < in.nranges && i < ARMVMI_MAX_RAM_RANGES; i++) {
        uint64_t b = in.ranges[i].base, e = b + in.ranges[i].size;
        if (*start >= b && *start < e)
            *len = e - *start < max ? e - *start : max;
    }
}

void lx_walk_out(const struct lx_err *e, struct armvmi_linux_walk *w)
{
    if (!w)
        return;
    w->broken = e->broken;
    snprintf(w->msg, sizeof(w->msg), "%s", e->msg);
}

static int resolve(armvmi_linux_t *lx)
{
    for (int i = 0; i < F_COUNT; i++) {
        lx->f[i].off = -1;
        char alt[128];
        snprintf(alt, sizeof(alt), "%s", fields[i].path);
        char *save = NULL;
        for (char *p = strtok_r(alt, "|", &save); p; p = strtok_r(NULL, "|", &save)) {
            struct armvmi_member m;
            if (armvmi_types_member(lx->types, p, &m) == 0) {
                lx->f[i] = (struct lx_off){(int64_t)m.offset, (uint32_t)m.size, m.nelems};
                if (m.kind == ARMVMI_TYPE_ARRAY && m.nelems)
                    lx->f[i].size = (uint32_t)(m.size / m.nelems); /* the element's size */
                break;
            }
        }
        if (lx->f[i].off < 0 && fields[i].required)
            return armvmi_set_error(ARMVMI_ENOENT,
                                    "the kernel's BTF has no %s, which the process walker needs.",
                                    fields[i].path);
    }
    uint64_t node_size;
    const struct lx_off *f = lx->f;
    if (f[F_MT_ROOT].off >= 0 && f[F_MR_PIVOT].off >= 0 && f[F_MR_SLOT].off >= 0 &&
        f[F_MA_PIVOT].off >= 0 && f[F_MA_SLOT].off >= 0 &&
        armvmi_types_size(lx->types, "maple_node", &node_size) == 0 &&
        node_size <= LX_MAPLE_NODE_MAX) {
        lx->maple = (struct lx_maple_layout){
            (uint32_t)node_size,           (uint32_t)f[F_MR_PIVOT].off, (uint32_t)f[F_MR_SLOT].off,
            (uint32_t)f[F_MR_SLOT].nelems, (uint32_t)f[F_MA_PIVOT].off, (uint32_t)f[F_MA_SLOT].off,
            (uint32_t)f[F_MA_SLOT].nelems};
        lx->have_maple = true;
    }
    if (armvmi_types_size(lx->types, "module_memory", &lx->modmem_size))
        lx->modmem_size = 0;
    return 0;
}

/*
 * init_task without symbols: the idle task of CPU 0 lies in the kernel image's data with comm
 * "swapper/0" (or "swapper" before init_idle), pid 0, and a tasks list whose next entry points
 * back at it. Check every such string in the image after _stext.
 */
static int check_init_task(armvmi_linux_t *lx, uint64_t va)
{
    uint64_t pid, tgid, next, back;
    if (lx_rd_field(lx, va, F_TASK_PID, &pid) || pid != 0 ||
        lx_rd_field(lx, va, F_TASK_TGID, &tgid) || tgid != 0)
        return 0;
    uint64_t tasks = va + (uint64_t)lx->f[F_TASK_TASKS].off;
    if (lx_kread(lx, tasks, &next, 8) || !lx_is_kva(lx, next) || lx_kread(lx, next + 8, &back, 8))
        return 0;
    return back == tasks;
}

static int find_init_task(armvmi_linux_t *lx)
{
    const struct armvmi_linux_kernel *k = &lx->k;
    if (!k->stext_pa.known || !k->kimage_voffset.known)
        return armvmi_set_error(ARMVMI_ENOENT, "init_task not found: discovery found no _stext.");
    uint64_t start, len;
    lx_image_range(lx, IMAGE_SCAN_MAX, &start, &len);
    uint8_t *buf = malloc(SCAN_CHUNK);
    if (!buf)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    uint64_t comm = (uint64_t)lx->f[F_TASK_COMM].off;
    int found = 0;
    for (uint64_t pos = 0; pos < len && !found; pos += SCAN_CHUNK - SCAN_OVERLAP) {
        size_t n = len - pos < SCAN_CHUNK ? (size_t)(len - pos) : (size_t)SCAN_CHUNK;
        if (armvmi_read_pa(lx->h, start + pos, buf, n))
            continue;
        for (size_t off = 0; off + 16 <= n && !found;) {
            uint8_t *p = memmem(buf + off, n - off, "swapper", 8 - 1);
            if (!p || (size_t)(p - buf) + 16 > n)
                break;
            off = (size_t)(p - buf);
            uint64_t pa = start + pos + off;
            if ((memcmp(p, "swapper/0\0", 10) == 0 || memcmp(p, "swapper\0", 8) == 0) &&
                pa >= comm && ((pa - comm) & 7) == 0) {
                uint64_t va = pa - comm + k->kimage_voffset.value;
                if (check_init_task(lx, va)) {
                    lx->init_task = va;
                    found = 1;
                }
            }
            off++;
        }
    }
    free(buf);
    if (!found)
        return armvmi_set_error(ARMVMI_ENOENT,
                                "init_task not found: no \"swapper/0\" task with pid 0 and a "
                                "consistent tasks list in the %llu MiB after _stext.",
                                (unsigned long long)(len >> 20));
    lx->init_task_source = "scan of the kernel image (comm \"swapper/0\", pid 0, tasks list)";
    return 0;
}

/* Is va init_task: check_init_task, and the idle task's name ("swapper/0", "swapper"). */
static int check_init_task_named(armvmi_linux_t *lx, uint64_t va)
{
    char comm[10];
    if (lx_kread(lx, va + (uint64_t)lx->f[F_TASK_COMM].off, comm, sizeof(comm)) ||
        (memcmp(comm, "swapper/0", 10) != 0 && memcmp(comm, "swapper", 8) != 0))
        return 0;
    return check_init_task(lx, va);
}

/* Global functions whose first instructions form &init_task (for_each_process and
 * for_each_process_thread start there): kernel/sched/core.c, kernel/power/process.c. */
static const char *const init_task_users[] = {"show_state_filter", "normalize_rt_tasks",
                                              "thaw_processes"};
#define INIT_TASK_USERS (sizeof(init_task_users) / sizeof(init_task_users[0]))
#define CODE_WINDOW 128 /* instructions read from the start of each */
#define CODE_REFS 32    /* addresses kept per function */

/* init_task from the addresses that the code of the functions in sym[] forms, each checked. */
static bool init_task_by_code(armvmi_linux_t *lx, const struct armvmi_linux_sym *sym, size_t n)
{
    for (size_t f = 0; f < n; f++) {
        uint32_t code[CODE_WINDOW];
        uint64_t refs[CODE_REFS];
        if (!sym[f].name || lx_kread(lx, sym[f].addr, code, sizeof(code)))
            continue;
        size_t nr = lx_code_refs(code, CODE_WINDOW, sym[f].addr, refs, CODE_REFS);
        for (size_t i = 0; i < nr; i++)
            if ((refs[i] & 7) == 0 && check_init_task_named(lx, refs[i])) {
                lx->init_task = refs[i];
                lx->init_task_source = "code reference (ADRP/ADD in a function that walks the "
                                       "task list)";
                return true;
            }
    }
    return false;
}

/*
 * init_task and the `modules` list head from the kernel's symbols where it has them: `modules`
 * is in kallsyms only with KALLSYMS_ALL, init_task too; without it, init_task is the address
 * that the code of a function known to walk the task list forms (kallsyms has every function),
 * or its exported symbol (the __ksymtab scan: slower, so last). Each is checked before use;
 * without them the image is searched.
 */
static void from_symbols(armvmi_linux_t *lx)
{
    const char *names[2 + INIT_TASK_USERS] = {"init_task", "modules"};
    memcpy(names + 2, init_task_users, sizeof(init_task_users));
    struct armvmi_linux_sym sym[2 + INIT_TASK_USERS];
    if (armvmi_linux_syms_find(lx->h, &lx->k, ARMVMI_LINUX_SYMS_NO_KSYMTAB, names,
                               2 + INIT_TASK_USERS, sym) < 0)
        return;
    if (!lx->init_task && sym[0].name && check_init_task(lx, sym[0].addr)) {
        lx->init_task = sym[0].addr;
        lx->init_task_source = sym[0].source == ARMVMI_SYM_KALLSYMS ? "kallsyms" : "VMCOREINFO";
    }
    if (!lx->modules_sym && sym[1].name)
        lx->modules_sym = sym[1].addr;
    if (lx->init_task || init_task_by_code(lx, sym + 2, INIT_TASK_USERS))
        return;
    if (armvmi_linux_syms_find(lx->h, &lx->k, 0, names, 1, sym) > 0 && sym[0].name &&
        check_init_task(lx, sym[0].addr)) {
        lx->init_task = sym[0].addr;
        lx->init_task_source = sym[0].source == ARMVMI_SYM_KSYMTAB ? "exported symbol (__ksymtab)"
                               : sym[0].source == ARMVMI_SYM_KALLSYMS ? "kallsyms"
                                                                      : "VMCOREINFO";
    }
}

/* init_task and `modules` from an outside System.map fitted to the running kernel. */
static int from_sysmap(armvmi_linux_t *lx, armvmi_sysmap_t *m)
{
    int rc = armvmi_sysmap_fit(m, &lx->k);
    if (rc)
        return rc;
    struct armvmi_linux_sym sym;
    if (armvmi_sysmap_lookup(m, "init_task", &sym) == 0 && check_init_task(lx, sym.addr)) {
        lx->init_task = sym.addr;
        lx->init_task_source = "outside profile (System.map or ISF symbols)";
    }
    if (armvmi_sysmap_lookup(m, "modules", &sym) == 0)
        lx->modules_sym = sym.addr;
    return 0;
}

int armvmi_linux_open(armvmi_t *h, armvmi_linux_t **out)
{
    return armvmi_linux_open_profile(h, NULL, out);
}

int armvmi_linux_open_profile(armvmi_t *h, const struct armvmi_linux_profile *p,
                              armvmi_linux_t **out)
{
    if (!h || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_open: NULL argument.");
    *out = NULL;
    armvmi_linux_t *lx = calloc(1, sizeof(*lx));
    if (!lx)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    lx->h = h;
    int rc = armvmi_linux_discover_flags(h, &lx->k, ARMVMI_LINUX_DISCOVER_FIRST);
    if (!rc)
        rc = armvmi_linux_kernel_ttconfig(&lx->k, &lx->kctx);
    if (!rc && p && p->types) {
        lx->types = p->types;
        lx->types_borrowed = true;
        lx->types_source = p->types_name ? p->types_name : "an outside profile";
    } else if (!rc) {
        lx->types_source = "BTF in guest memory";
        rc = armvmi_linux_btf_find(h, &lx->k, &lx->types);
        if (rc == -ARMVMI_ENOENT)
            armvmi_set_error(ARMVMI_ENOENT, "no BTF in the kernel's memory (a kernel built without "
                                            "CONFIG_DEBUG_INFO_BTF): processes cannot be listed "
                                            "(give types with --profile FILE.json).");
    }
    if (!rc)
        rc = resolve(lx);
    if (!rc && p && p->sysmap)
        rc = from_sysmap(lx, p->sysmap);
    if (!rc && (!lx->init_task || !lx->modules_sym))
        from_symbols(lx);
    if (!rc && !lx->init_task)
        rc = find_init_task(lx);
    if (rc) {
        armvmi_linux_close(lx);
        return rc;
    }
    *out = lx;
    return 0;
}

void armvmi_linux_close(armvmi_linux_t *lx)
{
    if (!lx)
        return;
    if (!lx->types_borrowed)
        armvmi_types_close(lx->types);
    free(lx);
}

const struct armvmi_linux_kernel *armvmi_linux_get_kernel(const armvmi_linux_t *lx)
{
    return lx ? &lx->k : NULL;
}

const armvmi_types_t *armvmi_linux_get_types(const armvmi_linux_t *lx)
{
    return lx ? lx->types : NULL;
}

int armvmi_linux_handle_info(const armvmi_linux_t *lx, struct armvmi_linux_handle_info *info)
{
    if (!lx || !info)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_handle_info: NULL argument.");
    memset(info, 0, sizeof(*info));
    info->init_task = lx->init_task;
    info->init_task_source = lx->init_task_source;
    info->types_source = lx->types_source;
    info->modules_head = lx->modules_head;
    info->modules_source = lx->modules_source;
    struct armvmi_types_info ti;
    if (armvmi_types_info(lx->types, &ti) == 0)
        info->btf_pa = ti.pa;
    for (int i = 0; i < F_COUNT; i++)
        info->offsets += lx->f[i].off >= 0;
    info->thread_head = lx->f[F_SIG_THREAD_HEAD].off >= 0 && lx->f[F_TASK_THREAD_NODE].off >= 0;
    info->module_mem = lx->f[F_MOD_MEM].off >= 0;
    return 0;
}
