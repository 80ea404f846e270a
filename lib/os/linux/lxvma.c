/* SPDX-License-Identifier: MIT */
/* lxvma.c — memory maps from the maple tree (or the VMA list before 6.1), file paths from dentries
 * and mounts, open files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxpriv.h"

#define PATH_DEPTH_MAX 256  /* dentries and mounts followed for one path */
#define NAME_MAX_LEN 255    /* a dentry name longer than this is garbage */
#define VM_MAYSHARE 0x80ull /* include/linux/mm.h */

void armvmi_linux_vma_perms(uint64_t flags, char out[5])
{
    out[0] = flags & ARMVMI_LINUX_VM_READ ? 'r' : '-';
    out[1] = flags & ARMVMI_LINUX_VM_WRITE ? 'w' : '-';
    out[2] = flags & ARMVMI_LINUX_VM_EXEC ? 'x' : '-';
    out[3] = flags & VM_MAYSHARE ? 's' : 'p';
    out[4] = 0;
}

/* Prepend "/name" to the path being built backwards in buf[*pos..len). */
static void prepend(char *buf, size_t *pos, const char *name, size_t n)
{
    if (*pos == 0)
        return; /* full: a hostile chain of long names is cut at its start */
    if (n + 1 > *pos)
        n = *pos - 1;
    *pos -= n;
    memcpy(buf + *pos, name, n);
    buf[--*pos] = '/';
}

/* The name of a pseudo file system's file, as its d_dname gives it (fs/pipe.c, net/socket.c,
 * fs/anon_inodes.c); "" if the file system is not one of those. */
static void pseudo_name(armvmi_linux_t *lx, uint64_t file, const char *dname, char *out, size_t len)
{
    uint64_t inode, sb, type, tname, ino;
    char fs[32];
    out[0] = 0;
    if (lx_rd_ptr(lx, file, F_FILE_INODE, &inode) || !lx_is_kva(lx, inode) ||
        lx_rd_ptr(lx, inode, F_INODE_SB, &sb) || !lx_is_kva(lx, sb) ||
        lx_rd_ptr(lx, sb, F_SB_TYPE, &type) || !lx_is_kva(lx, type) ||
        lx_rd_ptr(lx, type, F_FSTYPE_NAME, &tname) || !lx_is_kva(lx, tname) ||
        lx_kstr(lx, tname, fs, sizeof(fs)) || lx_rd_field(lx, inode, F_INODE_INO, &ino))
        return;
    if (strcmp(fs, "pipefs") == 0)
        snprintf(out, len, "pipe:[%llu]", (unsigned long long)ino);
    else if (strcmp(fs, "sockfs") == 0)
        snprintf(out, len, "socket:[%llu]", (unsigned long long)ino);
    else if (strcmp(fs, "anon_inodefs") == 0)
        snprintf(out, len, "anon_inode:%s", dname);
}

int armvmi_linux_file_path(armvmi_linux_t *lx, uint64_t file, char *out, size_t len)
{
    if (!lx || !out || len < 2)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_file_path: bad argument.");
    out[0] = 0;
    static const enum lx_field need[] = {F_FILE_MNT,    F_FILE_DENTRY,  F_DENTRY_PARENT,
                                         F_DENTRY_NAME, F_DENTRY_LEN,   F_VFSMNT_ROOT,
                                         F_MOUNT_MNT,   F_MOUNT_PARENT, F_MOUNT_MOUNTPOINT};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        if (!lx_need(lx, need[i]))
            return -ARMVMI_ENOTSUP;
    uint64_t vmnt, dentry;
    if (lx_rd_ptr(lx, file, F_FILE_MNT, &vmnt) || lx_rd_ptr(lx, file, F_FILE_DENTRY, &dentry) ||
        !lx_is_kva(lx, vmnt) || !lx_is_kva(lx, dentry))
        return armvmi_set_error(ARMVMI_EFORMAT, "file 0x%llx cannot be read.",
                                (unsigned long long)file);
    char buf[ARMVMI_LINUX_PATH_MAX];
    size_t pos = sizeof(buf) - 1;
    buf[pos] = 0;
    char name[NAME_MAX_LEN + 1] = "";
    uint64_t mount = vmnt - (uint64_t)lx->f[F_MOUNT_MNT].off;
    for (int step = 0;; step++) {
        if (step >= PATH_DEPTH_MAX)
            return armvmi_set_error(ARMVMI_EFORMAT,
                                    "file 0x%llx: its path has more than %d "
                                    "components (a cycle?).",
                                    (unsigned long long)file, PATH_DEPTH_MAX);
        uint64_t root, parent, nameva, n;
        if (lx_rd_ptr(lx, vmnt, F_VFSMNT_ROOT, &root))
            return armvmi_set_error(ARMVMI_EFORMAT, "mount 0x%llx cannot be read.",
                                    (unsigned long long)vmnt);
        if (dentry == root) {
            uint64_t pmount, mp;
            if (lx_rd_ptr(lx, mount, F_MOUNT_PARENT, &pmount) ||
                lx_rd_ptr(lx, mount, F_MOUNT_MOUNTPOINT, &mp))
                return armvmi_set_error(ARMVMI_EFORMAT, "mount 0x%llx cannot be read.",
                                        (unsigned long long)mount);
            if (pmount == mount || !lx_is_kva(lx, pmount) || !lx_is_kva(lx, mp))
                break; /* the root of the mount tree */
            mount = pmount;
            vmnt = mount + (uint64_t)lx->f[F_MOUNT_MNT].off;
            dentry = mp;
            continue;
        }
        if (lx_rd_ptr(lx, dentry, F_DENTRY_PARENT, &parent) ||
            lx_rd_ptr(lx, dentry, F_DENTRY_NAME, &nameva) ||
            lx_rd_field(lx, dentry, F_DENTRY_LEN, &n))
            return armvmi_set_error(ARMVMI_EFORMAT, "dentry 0x%llx cannot be read.",
                                    (unsigned long long)dentry);
        if (n > NAME_MAX_LEN || !lx_is_kva(lx, nameva) || lx_kread(lx, nameva, name, n))
            snprintf(name, sizeof(name), "?");
        else
            name[n] = 0;
        if (parent == dentry || !lx_is_kva(lx, parent)) {
            /* a root that is no mount's: a pseudo file system's file (pipe, socket...) */
            pseudo_name(lx, file, name, out, len);
            if (out[0])
                return 0;
            if (pos == sizeof(buf) - 1)
                prepend(buf, &pos, name, strlen(name));
            break;
        }
        prepend(buf, &pos, name, strlen(name));
        dentry = parent;
    }
    snprintf(out, len, "%s", pos == sizeof(buf) - 1 ? "/" : buf + pos);
    return 0;
}

/* ---- memory maps ---- */

struct vlist {
    armvmi_linux_t *lx;
    const struct armvmi_linux_task *t;
    struct armvmi_linux_vma *v;
    size_t n, cap;
    struct lx_err *e;
    uint64_t brk, start_brk, start_stack, prev_end;
};

/* /proc/PID/maps' name of an anonymous VMA (fs/proc/task_mmu.c show_map_vma). */
static void anon_name(struct vlist *L, struct armvmi_linux_vma *m)
{
    armvmi_linux_t *lx = L->lx;
    /* a special mapping (vdso, vvar): vm_private_data is a struct vm_special_mapping whose
     * first member is its name */
    uint64_t priv, nameva;
    char name[32];
    if (lx_rd_ptr(lx, m->va, F_VMA_PRIV, &priv) == 0 && priv && lx_is_kva(lx, priv) &&
        lx_kread(lx, priv, &nameva, 8) == 0 && lx_is_kva(lx, nameva) &&
        lx_kstr(lx, nameva, name, sizeof(name)) == 0 && name[0] == '[' &&
        name[strlen(name) - 1] == ']') {
        snprintf(m->path, sizeof(m->path), "%s", name);
        return;
    }
    if (m->start <= L->brk && m->end >= L->start_brk)
        snprintf(m->path, sizeof(m->path), "[heap]");
    else if (m->start <= L->start_stack && m->end >= L->start_stack)
        snprintf(m->path, sizeof(m->path), "[stack]");
}

static int on_vma(void *arg, uint64_t va, uint64_t first, uint64_t last)
{
    struct vlist *L = arg;
    armvmi_linux_t *lx = L->lx;
    struct armvmi_linux_vma m = {.va = va};
    uint64_t mm;
    if (!lx_is_kva(lx, va) || lx_rd_field(lx, va, F_VMA_START, &m.start) ||
        lx_rd_field(lx, va, F_VMA_END, &m.end) || lx_rd_ptr(lx, va, F_VMA_MM, &mm) ||
        lx_rd_field(lx, va, F_VMA_FLAGS, &m.flags) || lx_rd_field(lx, va, F_VMA_PGOFF, &m.pgoff) ||
        lx_rd_ptr(lx, va, F_VMA_FILE, &m.file)) {
        lx_err_add(L->e, "VMA 0x%llx cannot be read: skipped.", (unsigned long long)va);
        return 0;
    }
    /* the tree's range and the VMA's own must agree, and VMAs do not overlap */
    if (mm != L->t->mm || m.start >= m.end || m.start != first || m.end - 1 != last ||
        m.start < L->prev_end) {
        lx_err_add(L->e,
                   "VMA 0x%llx (0x%llx-0x%llx) does not fit its mm or its place in the "
                   "tree: skipped.",
                   (unsigned long long)va, (unsigned long long)m.start, (unsigned long long)m.end);
        return 0;
    }
    L->prev_end = m.end;
    if (m.file) {
        uint64_t inode, sb, v;
        if (!lx_is_kva(lx, m.file) || armvmi_linux_file_path(lx, m.file, m.path, sizeof(m.path)))
            snprintf(m.path, sizeof(m.path), "?");
        if (lx_rd_ptr(lx, m.file, F_FILE_INODE, &inode) == 0 && lx_is_kva(lx, inode)) {
            if (lx_rd_field(lx, inode, F_INODE_INO, &v) == 0)
                m.inode = v;
            if (lx_rd_ptr(lx, inode, F_INODE_SB, &sb) == 0 && lx_is_kva(lx, sb) &&
                lx_rd_field(lx, sb, F_SB_DEV, &v) == 0)
                m.dev = (uint32_t)v;
        }
    } else {
        anon_name(L, &m);
    }
    if (lx_grow(&L->v, L->n, &L->cap, sizeof(*L->v)))
        return -ARMVMI_ENOMEM;
    L->v[L->n++] = m;
    return 0;
}

/*
 * Before 6.1: mm->mmap, the first VMA, and vm_next, in address order (NULL-terminated). The
 * order is strict, so a VMA that does not start at or after its predecessor's end is a cycle
 * or damage: the walk ends there, reported.
 */
static int vma_list_walk(struct vlist *L, uint64_t va)
{
    armvmi_linux_t *lx = L->lx;
    for (unsigned i = 0; va; i++) {
        uint64_t start, end, next;
        if (i >= ARMVMI_LINUX_MAX_VMAS) {
            lx_err_add(L->e, "pid %d: more than %u VMAs in its list: cut there.", (int)L->t->pid,
                       ARMVMI_LINUX_MAX_VMAS);
            return -ARMVMI_EFORMAT;
        }
        if (!lx_is_kva(lx, va) || lx_rd_field(lx, va, F_VMA_START, &start) ||
            lx_rd_field(lx, va, F_VMA_END, &end) || lx_rd_ptr(lx, va, F_VMA_NEXT, &next)) {
            lx_err_add(L->e,
                       "pid %d: VMA 0x%llx of its list cannot be read: the list is cut there.",
                       (int)L->t->pid, (unsigned long long)va);
            return -ARMVMI_EFORMAT;
        }
        if (start >= end || start < L->prev_end) {
            lx_err_add(L->e,
                       "pid %d: VMA 0x%llx (0x%llx-0x%llx) is out of order in its list (a "
                       "cycle?): the list is cut there.",
                       (int)L->t->pid, (unsigned long long)va, (unsigned long long)start,
                       (unsigned long long)end);
            return -ARMVMI_EFORMAT;
        }
        int rc = on_vma(L, va, start, end - 1);
        if (rc)
            return rc;
        va = next;
    }
    return 0;
}

int armvmi_linux_vmas(armvmi_linux_t *lx, const struct armvmi_linux_task *t,
                      struct armvmi_linux_vma **out, size_t *n, struct armvmi_linux_walk *w)
{
    if (!lx || !t || !out || !n)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_vmas: NULL argument.");
    if (!t->mm)
        return armvmi_set_error(ARMVMI_ENOENT,
                                "pid %d (%s) is a kernel thread: it has no memory "
                                "maps.",
                                (int)t->pid, t->comm);
    bool maple = lx->have_maple && lx->f[F_MM_MT].off >= 0;
    if (!maple && (lx->f[F_MM_MMAP].off < 0 || lx->f[F_VMA_NEXT].off < 0))
        return armvmi_set_error(ARMVMI_ENOTSUP,
                                "memory maps need the maple tree (mm->mm_mt, Linux 6.1+) or "
                                "the VMA list (mm->mmap, vm_next, before 6.1); this kernel's "
                                "BTF has neither.");
    static const enum lx_field need[] = {F_VMA_START, F_VMA_END,   F_VMA_MM,
                                         F_VMA_FLAGS, F_VMA_PGOFF, F_VMA_FILE};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        if (!lx_need(lx, need[i]))
            return -ARMVMI_ENOTSUP;
    struct lx_err e = {0};
    struct vlist L = {.lx = lx, .t = t, .e = &e};
    lx_rd_field(lx, t->mm, F_MM_BRK, &L.brk);
    lx_rd_field(lx, t->mm, F_MM_START_BRK, &L.start_brk);
    lx_rd_field(lx, t->mm, F_MM_START_STACK, &L.start_stack);
    uint64_t root;
    int rc;
    if (maple) {
        uint64_t mt = t->mm + (uint64_t)lx->f[F_MM_MT].off;
        if (lx_rd_ptr(lx, mt, F_MT_ROOT, &root))
            return armvmi_set_error(ARMVMI_EFORMAT, "pid %d: its mm_struct cannot be read.",
                                    (int)t->pid);
        rc = lx_maple_walk(lx_kread, lx, &lx->maple, root, ARMVMI_LINUX_MAX_VMAS, on_vma, &L, &e);
    } else {
        if (lx_rd_ptr(lx, t->mm, F_MM_MMAP, &root))
            return armvmi_set_error(ARMVMI_EFORMAT, "pid %d: its mm_struct cannot be read.",
                                    (int)t->pid);
        rc = vma_list_walk(&L, root);
    }
    if (rc < 0 && rc != -ARMVMI_EFORMAT) {
        free(L.v);
        return rc;
    }
    *out = L.v;
    *n = L.n;
    lx_walk_out(&e, w);
    return 0;
}

/* ---- open files ---- */

int armvmi_linux_fds(armvmi_linux_t *lx, const struct armvmi_linux_task *t,
                     struct armvmi_linux_fd **out, size_t *n, struct armvmi_linux_walk *w)
{
    if (!lx || !t || !out || !n)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_linux_fds: NULL argument.");
    static const enum lx_field need[] = {F_TASK_FILES, F_FILES_FDT, F_FDT_MAX, F_FDT_FD};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        if (!lx_need(lx, need[i]))
            return -ARMVMI_ENOTSUP;
    struct lx_err e = {0};
    uint64_t files, fdt, max, fdarr;
    if (lx_rd_ptr(lx, t->va, F_TASK_FILES, &files))
        return armvmi_set_error(ARMVMI_EFORMAT, "pid %d: its task cannot be read.", (int)t->pid);
    *out = NULL;
    *n = 0;
    if (!files) { /* an exited task, or a kernel thread without files */
        lx_walk_out(&e, w);
        return 0;
    }
    if (!lx_is_kva(lx, files) || lx_rd_ptr(lx, files, F_FILES_FDT, &fdt) || !lx_is_kva(lx, fdt) ||
        lx_rd_field(lx, fdt, F_FDT_MAX, &max) || lx_rd_ptr(lx, fdt, F_FDT_FD, &fdarr) ||
        !lx_is_kva(lx, fdarr))
        return armvmi_set_error(ARMVMI_EFORMAT, "pid %d: its file table cannot be read.",
                                (int)t->pid);
    if (max > ARMVMI_LINUX_MAX_FDS) {
        lx_err_add(&e, "pid %d: max_fds %llu is implausible: only the first %u read.", (int)t->pid,
                   (unsigned long long)max, ARMVMI_LINUX_MAX_FDS);
        max = ARMVMI_LINUX_MAX_FDS;
    }
    struct armvmi_linux_fd *v = NULL;
    size_t cnt = 0, cap = 0;
    uint64_t chunk[512];
    for (uint64_t i = 0; i < max; i += 512) {
        size_t k = max - i < 512 ? (size_t)(max - i) : 512;
        if (lx_kread(lx, fdarr + 8 * i, chunk, 8 * k)) {
            lx_err_add(&e, "pid %d: fd array at 0x%llx cannot be read: cut at fd %llu.",
                       (int)t->pid, (unsigned long long)fdarr, (unsigned long long)i);
            break;
        }
        for (size_t j = 0; j < k; j++) {
            if (!chunk[j])
                continue;
            if (lx_grow(&v, cnt, &cap, sizeof(*v))) {
                free(v);
                return -ARMVMI_ENOMEM;
            }
            struct armvmi_linux_fd *f = &v[cnt++];
            f->fd = (int32_t)(i + j);
            f->file = chunk[j];
            if (!lx_is_kva(lx, f->file) ||
                armvmi_linux_file_path(lx, f->file, f->path, sizeof(f->path))) {
                lx_err_add(&e, "pid %d fd %d: file 0x%llx cannot be read.", (int)t->pid, f->fd,
                           (unsigned long long)f->file);
                snprintf(f->path, sizeof(f->path), "?");
            }
        }
    }
    *out = v;
    *n = cnt;
    lx_walk_out(&e, w);
    return 0;
}
