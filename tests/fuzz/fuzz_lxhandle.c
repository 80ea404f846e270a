/* SPDX-License-Identifier: MIT */
/* fuzz_lxhandle.c — fuzz target: the Linux handle and its walkers over mutated guest memory. */
/*
 * A small synthetic arm64 kernel lives in a 4 MiB raw image (a memfd opened as
 * "raw:/proc/self/fd/N@0x40000000", a real armvmi handle): VMCOREINFO, page tables (the
 * kernel image and the linear map), a BTF blob written with libbpf that defines the members
 * the walkers use, init_task ("swapper/0") in the image's data, and in the linear map two more
 * tasks, creds, an mm with a maple tree of two VMAs (one mapping /bin/busybox through a
 * dentry chain and a mount), open files. VMCOREINFO's kallsyms lines point at an empty table
 * (num_syms 0): symbol lookups fail at once and init_task is found by the image scan, as on a
 * kernel without usable symbols (a scan for kallsyms would take most of each run). Each input
 * mutates the object heap (not the page tables, VMCOREINFO or BTF): records of 4 bytes choose an
 * 8-byte slot and write zero, a small value, a pointer into the heap, or a pointer at another
 * object (cycles, aliasing). Then armvmi_linux_open and every listing run; the heap is restored
 * afterwards. The seed itself must list 3 tasks, 2 VMAs and 2 files, or the target aborts: it
 * cannot pass vacuously.
 */
#include <bpf/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <armvmi/armvmi.h>
#include <armvmi/linuxos.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x40000000ull
#define MEM (4ull << 20)
#define KVA 0xffff800008200000ull /* the kernel image: PA 0x40200000, a 2 MiB block */
#define KPA 0x40200000ull
#define LINEAR 0xffff000000000000ull /* PAGE_OFFSET for 48-bit VAs */
#define HEAP 0x40100000ull           /* object heap (linear map), what inputs mutate */
#define HEAP_LEN 0x8000ull
#define ROOT (KPA + 0x1f0000) /* swapper_pg_dir, after the BTF */
#define BTF_PA (KPA + 0x20000)
#define INIT_TASK_PA (KPA + 0x80000)
#define VMCI_PA 0x40300000ull

#define VMCOREINFO                                                                                 \
    "OSRELEASE=6.1.0-fuzz\n"                                                                       \
    "PAGESIZE=4096\n"                                                                              \
    "SYMBOL(init_uts_ns)=ffff800008200100\n"                                                       \
    "SYMBOL(swapper_pg_dir)=ffff8000083f0000\n"                                                    \
    "SYMBOL(_stext)=ffff800008210000\n"                                                            \
    "SYMBOL(kallsyms_names)=ffff800008201000\n"                                                    \
    "SYMBOL(kallsyms_num_syms)=ffff800008201000\n"                                                 \
    "SYMBOL(kallsyms_token_table)=ffff800008201000\n"                                              \
    "SYMBOL(kallsyms_token_index)=ffff800008201000\n"                                              \
    "SYMBOL(kallsyms_offsets)=ffff800008201000\n"                                                  \
    "SYMBOL(kallsyms_relative_base)=ffff800008201000\n"                                            \
    "NUMBER(VA_BITS)=48\n"                                                                         \
    "NUMBER(kimage_voffset)=0xffff7fffc8000000\n"                                                  \
    "NUMBER(PHYS_OFFSET)=0x40000000\n"                                                             \
    "NUMBER(TCR_EL1_T1SZ)=0x10\n"                                                                  \
    "KERNELOFFSET=8000000\n"

/* Member offsets of the synthetic kernel (the BTF below says the same). */
enum {
    T_STATE = 0x0,
    T_FLAGS = 0x4,
    T_TASKS = 0x10,
    T_PID = 0x20,
    T_TGID = 0x24,
    T_PARENT = 0x28,
    T_COMM = 0x30,
    T_CRED = 0x40,
    T_EXIT = 0x48,
    T_START = 0x50,
    T_MM = 0x58,
    T_FILES = 0x60,
    T_GROUP = 0x68,
    T_SIZE = 0x100,
    MM_PGD = 0x0,
    MM_MT = 0x10,
    MM_ARG_START = 0x30,
    MM_ARG_END = 0x38,
    MM_BRK0 = 0x50,
    MM_BRK = 0x58,
    MM_STACK = 0x60,
    MM_SIZE = 0x80,
    V_START = 0x0,
    V_END = 0x8,
    V_MM = 0x10,
    V_FLAGS = 0x18,
    V_PGOFF = 0x20,
    V_FILE = 0x28,
    V_PRIV = 0x30,
    V_SIZE = 0x40,
    F_PATH = 0x10,
    F_INODE = 0x20,
    F_SIZE = 0x40,
    D_PARENT = 0x18,
    D_NAME = 0x20,
    D_SIZE = 0x40, /* qstr: len u32 at +4, name at +8 */
    MNT_PARENT = 0x10,
    MNT_MOUNTPOINT = 0x18,
    MNT_MNT = 0x20,
    MNT_SIZE = 0x40,
};

static uint8_t *ram;           /* the memfd, mapped shared: armvmi reads the same pages */
static uint8_t seed[HEAP_LEN]; /* the heap as built */
static uint64_t objs[32];      /* linear VAs of the heap's objects, for pointer mutations */
static unsigned nobjs;
static armvmi_t *h;

static void put64(uint64_t pa, uint64_t v)
{
    memcpy(ram + (pa - BASE), &v, 8);
}

static void put32(uint64_t pa, uint32_t v)
{
    memcpy(ram + (pa - BASE), &v, 4);
}

static uint64_t lva(uint64_t pa)
{
    return pa - BASE + LINEAR;
}

static uint64_t heap_top = HEAP;

/* A zeroed heap object of len bytes: its PA (maple nodes and larger: 256-byte aligned). */
static uint64_t alloc(uint64_t len)
{
    if (len >= 256)
        heap_top = (heap_top + 255) & ~255ull;
    uint64_t pa = heap_top;
    heap_top += (len + 63) & ~63ull;
    if (heap_top > HEAP + HEAP_LEN)
        abort();
    if (nobjs < sizeof(objs) / sizeof(objs[0]))
        objs[nobjs++] = lva(pa);
    return pa;
}

/* ---- BTF: every struct member the walkers need, at the offsets above ---- */

/* member types: base types, arrays, then the structs embedded in others */
enum {
    K_U32,
    K_I32,
    K_U64,
    K_CHR,
    K_PTR,
    K_COMM,
    K_PIV,
    K_SLOT,
    K_APIV,
    K_ASLOT,
    K_LH,
    K_MT,
    K_PATH,
    K_QSTR,
    K_VFSMNT,
    K_NONE,
    K_N
};

#define NMEMB 14
struct memb {
    const char *name;
    int kind;
    unsigned off;
};
static const struct stype {
    const char *name;
    unsigned size;
    int kind; /* K_LH...: other structs embed it; K_NONE */
    struct memb m[NMEMB];
} stypes[] = {
    /* clang-format off */
    {"list_head", 16, K_LH, {{"next", K_PTR, 0}, {"prev", K_PTR, 8}}},
    {"maple_tree", 16, K_MT, {{"ma_flags", K_U32, 4}, {"ma_root", K_PTR, 8}}},
    {"path", 16, K_PATH, {{"mnt", K_PTR, 0}, {"dentry", K_PTR, 8}}},
    {"qstr", 16, K_QSTR, {{"len", K_U32, 4}, {"name", K_PTR, 8}}},
    {"vfsmount", 16, K_VFSMNT, {{"mnt_root", K_PTR, 0}, {"mnt_sb", K_PTR, 8}}},
    {"task_struct", T_SIZE, K_NONE, {
        {"__state", K_U32, T_STATE}, {"flags", K_U32, T_FLAGS}, {"tasks", K_LH, T_TASKS},
        {"pid", K_I32, T_PID}, {"tgid", K_I32, T_TGID}, {"real_parent", K_PTR, T_PARENT},
        {"comm", K_COMM, T_COMM}, {"real_cred", K_PTR, T_CRED}, {"exit_state", K_I32, T_EXIT},
        {"start_time", K_U64, T_START}, {"mm", K_PTR, T_MM}, {"files", K_PTR, T_FILES},
        {"thread_group", K_LH, T_GROUP}}},
    {"cred", 16, K_NONE, {
        {"uid", K_U32, 0}, {"gid", K_U32, 4}, {"euid", K_U32, 8}, {"egid", K_U32, 12}}},
    {"mm_struct", MM_SIZE, K_NONE, {
        {"pgd", K_PTR, MM_PGD}, {"mm_mt", K_MT, MM_MT}, {"arg_start", K_U64, MM_ARG_START},
        {"arg_end", K_U64, MM_ARG_END}, {"env_start", K_U64, 0x40}, {"env_end", K_U64, 0x48},
        {"start_brk", K_U64, MM_BRK0}, {"brk", K_U64, MM_BRK}, {"start_stack", K_U64, MM_STACK}}},
    {"maple_range_64", 256, K_NONE, {
        {"parent", K_PTR, 0}, {"pivot", K_PIV, 8}, {"slot", K_SLOT, 128}}},
    {"maple_arange_64", 256, K_NONE, {
        {"parent", K_PTR, 0}, {"pivot", K_APIV, 8}, {"slot", K_ASLOT, 80}}},
    {"maple_node", 256, K_NONE, {{"parent", K_PTR, 0}}},
    {"vm_area_struct", V_SIZE, K_NONE, {
        {"vm_start", K_U64, V_START}, {"vm_end", K_U64, V_END}, {"vm_mm", K_PTR, V_MM},
        {"vm_flags", K_U64, V_FLAGS}, {"vm_pgoff", K_U64, V_PGOFF}, {"vm_file", K_PTR, V_FILE},
        {"vm_private_data", K_PTR, V_PRIV}}},
    {"file", F_SIZE, K_NONE, {{"f_path", K_PATH, F_PATH}, {"f_inode", K_PTR, F_INODE}}},
    {"inode", 32, K_NONE, {{"i_ino", K_U64, 8}, {"i_sb", K_PTR, 16}}},
    {"super_block", 32, K_NONE, {{"s_dev", K_U32, 16}, {"s_type", K_PTR, 24}}},
    {"file_system_type", 8, K_NONE, {{"name", K_PTR, 0}}},
    {"dentry", D_SIZE, K_NONE, {{"d_parent", K_PTR, D_PARENT}, {"d_name", K_QSTR, D_NAME}}},
    {"mount", MNT_SIZE, K_NONE, {
        {"mnt_parent", K_PTR, MNT_PARENT}, {"mnt_mountpoint", K_PTR, MNT_MOUNTPOINT},
        {"mnt", K_VFSMNT, MNT_MNT}}},
    {"files_struct", 64, K_NONE, {{"fdt", K_PTR, 32}}},
    {"fdtable", 16, K_NONE, {{"max_fds", K_U32, 0}, {"fd", K_PTR, 8}}},
    /* clang-format on */
};

static void *make_btf(size_t *len)
{
    struct btf *b = btf__new_empty();
    if (!b)
        abort();
    int id[K_N];
    id[K_U32] = btf__add_int(b, "unsigned int", 4, 0);
    id[K_I32] = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    id[K_U64] = btf__add_int(b, "long unsigned int", 8, 0);
    id[K_CHR] = btf__add_int(b, "char", 1, BTF_INT_CHAR);
    id[K_PTR] = btf__add_ptr(b, 0);
    id[K_COMM] = btf__add_array(b, id[K_U32], id[K_CHR], 16);
    id[K_PIV] = btf__add_array(b, id[K_U32], id[K_U64], 15);
    id[K_SLOT] = btf__add_array(b, id[K_U32], id[K_PTR], 16);
    id[K_APIV] = btf__add_array(b, id[K_U32], id[K_U64], 9);
    id[K_ASLOT] = btf__add_array(b, id[K_U32], id[K_PTR], 10);
    for (size_t i = 0; i < sizeof(stypes) / sizeof(stypes[0]); i++) {
        const struct stype *st = &stypes[i];
        int sid = btf__add_struct(b, st->name, st->size);
        if (st->kind != K_NONE)
            id[st->kind] = sid;
        for (size_t k = 0; k < NMEMB && st->m[k].name; k++)
            if (btf__add_field(b, st->m[k].name, id[st->m[k].kind], st->m[k].off * 8, 0))
                abort();
    }
    uint32_t sz;
    const void *raw = btf__raw_data(b, &sz);
    void *copy = raw ? malloc(sz) : NULL;
    if (!copy)
        abort();
    memcpy(copy, raw, sz);
    *len = sz;
    btf__free(b);
    return copy;
}

/* ---- the kernel's memory ---- */

static uint64_t str(const char *s)
{
    uint64_t pa = alloc(strlen(s) + 1);
    memcpy(ram + (pa - BASE), s, strlen(s) + 1);
    return lva(pa);
}

static uint64_t dentry(const char *name, uint64_t parent)
{
    uint64_t pa = alloc(D_SIZE), va = lva(pa);
    put64(pa + D_PARENT, parent ? parent : va);
    put32(pa + D_NAME + 4, (uint32_t)strlen(name));
    put64(pa + D_NAME + 8, str(name));
    return va;
}

static void task(uint64_t pa, int pid, const char *comm, uint64_t parent, uint64_t cred,
                 uint64_t mm, uint64_t files, uint32_t flags)
{
    put32(pa + T_STATE, 1);
    put32(pa + T_FLAGS, flags);
    put32(pa + T_PID, (uint32_t)pid);
    put32(pa + T_TGID, (uint32_t)pid);
    put64(pa + T_PARENT, parent);
    memcpy(ram + (pa - BASE) + T_COMM, comm, strlen(comm) + 1);
    put64(pa + T_CRED, cred);
    put64(pa + T_START, (uint64_t)pid * 1000000);
    put64(pa + T_MM, mm);
    put64(pa + T_FILES, files);
}

/* tasks.next/prev of a ring of task VAs */
static void ring(const uint64_t *va, int n)
{
    for (int i = 0; i < n; i++) {
        uint64_t next = va[(i + 1) % n] + T_TASKS, prev = va[(i + n - 1) % n] + T_TASKS;
        uint64_t pa = va[i] >= KVA ? va[i] - KVA + KPA : va[i] - LINEAR + BASE;
        put64(pa + T_TASKS, next);
        put64(pa + T_TASKS + 8, prev);
        put64(pa + T_GROUP, va[i] + T_GROUP);
        put64(pa + T_GROUP + 8, va[i] + T_GROUP);
    }
}

static void build(void)
{
    /* page tables: TTBR1 L0[256] -> L1, L1[0] -> L2, L2[65] = 2 MiB block at KPA (KVA);
       L0[0] -> L1', L1'[0] = 1 GiB block at PA 0x40000000 (the linear map) */
    uint64_t l1k = ROOT + 0x1000, l2k = ROOT + 0x2000, l1l = ROOT + 0x3000;
    put64(ROOT + ((KVA >> 39) & 511) * 8, l1k | 3);
    put64(l1k + ((KVA >> 30) & 511) * 8, l2k | 3);
    put64(l2k + ((KVA >> 21) & 511) * 8, KPA | 1 | 1u << 10);
    put64(ROOT + ((LINEAR >> 39) & 511) * 8, l1l | 3);
    put64(l1l + ((LINEAR >> 30) & 511) * 8, BASE | 1 | 1u << 10);
    /* init_uts_ns: "Linux", then the release at +130 (struct new_utsname) */
    memcpy(ram + (KPA + 0x100 - BASE), "Linux", 6);
    strcpy((char *)ram + (KPA + 0x100 - BASE) + 130, "6.1.0-fuzz");
    uint32_t nh[3] = {11, (uint32_t)strlen(VMCOREINFO), 0};
    memcpy(ram + (VMCI_PA - BASE), nh, 12);
    memcpy(ram + (VMCI_PA - BASE) + 12, "VMCOREINFO", 11);
    memcpy(ram + (VMCI_PA - BASE) + 24, VMCOREINFO, strlen(VMCOREINFO));
    size_t bl;
    void *btf = make_btf(&bl);
    memcpy(ram + (BTF_PA - BASE), btf, bl);
    free(btf);

    /* files: /bin/busybox on the root mount */
    uint64_t root = dentry("/", 0), bin = dentry("bin", root), bb = dentry("busybox", bin);
    uint64_t mnt = alloc(MNT_SIZE), mntva = lva(mnt);
    put64(mnt + MNT_PARENT, mntva);
    put64(mnt + MNT_MOUNTPOINT, root);
    put64(mnt + MNT_MNT, root);
    uint64_t fstype = alloc(8), sb = alloc(32), inode = alloc(32), file = alloc(F_SIZE);
    put64(fstype, str("ext4"));
    put32(sb + 16, 0x800001);
    put64(sb + 24, lva(fstype));
    put64(inode + 8, 1234);
    put64(inode + 16, lva(sb));
    put64(file + F_PATH, mntva + MNT_MNT);
    put64(file + F_PATH + 8, bb);
    put64(file + F_INODE, lva(inode));
    uint64_t fdarr = alloc(16), fdt = alloc(16), files = alloc(64);
    put64(fdarr, lva(file));
    put64(fdarr + 8, lva(file));
    put32(fdt, 2);
    put64(fdt + 8, lva(fdarr));
    put64(files + 32, lva(fdt));

    /* pid 1's mm: a leaf of two VMAs, busybox's text and an anonymous [heap] */
    uint64_t mm = alloc(MM_SIZE), pgd = alloc(4096), leaf = alloc(256);
    uint64_t v1 = alloc(V_SIZE), v2 = alloc(V_SIZE);
    put64(mm + MM_PGD, lva(pgd));
    put64(mm + MM_BRK0, 0x600000);
    put64(mm + MM_BRK, 0x601000);
    put64(mm + MM_ARG_START, 0x7ff000);
    put64(mm + MM_ARG_END, 0x7ff010);
    const uint64_t range[2][2] = {{0x400000, 0x5b3000}, {0x600000, 0x601000}};
    const uint64_t vma[2] = {v1, v2};
    for (int i = 0; i < 2; i++) {
        put64(vma[i] + V_START, range[i][0]);
        put64(vma[i] + V_END, range[i][1]);
        put64(vma[i] + V_MM, lva(mm));
        put64(vma[i] + V_FLAGS, i ? 0x3 : 0x5);
        put64(vma[i] + V_FILE, i ? 0 : lva(file));
    }
    /* leaf_64: gap, v1, gap, v2, gap to the end */
    const uint64_t piv[] = {0x3fffff, 0x5b2fff, 0x5fffff, 0x600fff};
    const uint64_t slots[] = {0, lva(v1), 0, lva(v2), 0};
    for (int i = 0; i < 4; i++)
        put64(leaf + 8 + 8u * (unsigned)i, piv[i]);
    for (int i = 0; i < 5; i++)
        put64(leaf + 128 + 8u * (unsigned)i, slots[i]);
    put64(mm + MM_MT + 8, lva(leaf) | 1u << 3 | 2); /* an encoded leaf_64 node */

    uint64_t cred0 = alloc(16), cred1 = alloc(16);
    put32(cred1, 1000);
    put32(cred1 + 4, 100);
    put32(cred1 + 8, 1000);
    put32(cred1 + 12, 100);
    uint64_t t1 = alloc(T_SIZE), t2 = alloc(T_SIZE);
    uint64_t init = INIT_TASK_PA - KPA + KVA;
    task(INIT_TASK_PA, 0, "swapper/0", init, lva(cred0), 0, 0, 0x00200002);
    task(t1, 1, "init", init, lva(cred1), lva(mm), lva(files), 0x00400100);
    task(t2, 2, "kthreadd", init, lva(cred0), 0, 0, 0x00208040);
    ring((const uint64_t[]){init, lva(t1), lva(t2)}, 3);
    memcpy(seed, ram + (HEAP - BASE), HEAP_LEN);
}

/* Open the Linux layer and run every listing; with check, the seed's counts must come out. */
static void walk_all(int check)
{
    armvmi_linux_t *lx;
    if (armvmi_linux_open(h, &lx)) {
        if (check) {
            fprintf(stderr, "fuzz_lxhandle: the seed does not open: %s\n", armvmi_errmsg());
            abort();
        }
        return;
    }
    struct armvmi_linux_task *t = NULL;
    size_t n = 0, nvma = 0, nfd = 0;
    struct armvmi_linux_walk w;
    if (armvmi_linux_tasks(lx, true, &t, &n, &w) == 0) {
        if (n > 4096)
            abort(); /* the heap holds at most a few hundred task-sized objects */
        for (size_t i = 0; i < n; i++) {
            struct armvmi_linux_vma *v = NULL;
            struct armvmi_linux_fd *f = NULL;
            size_t k;
            char *s = NULL;
            int vr = armvmi_linux_vmas(lx, &t[i], &v, &k, &w);
            if (check && t[i].mm &&
                (vr || w.broken || k != 2 || strcmp(v[0].path, "/bin/busybox") ||
                 strcmp(v[1].path, "[heap]"))) {
                fprintf(stderr, "fuzz_lxhandle: the seed's maps of pid %d: %s %s\n", (int)t[i].pid,
                        vr ? armvmi_errmsg() : "", w.msg);
                abort();
            }
            if (vr == 0) {
                for (size_t j = 1; j < k; j++)
                    if (v[j].start < v[j - 1].end)
                        abort(); /* the walker promises ordered, disjoint maps */
                nvma += k;
                free(v);
            }
            if (armvmi_linux_fds(lx, &t[i], &f, &k, &w) == 0) {
                nfd += k;
                free(f);
            }
            if (armvmi_linux_task_strings(lx, &t[i], ARMVMI_LINUX_CMDLINE, 4096, &s, &k) == 0)
                free(s);
            struct armvmi_tt_config ctx;
            armvmi_linux_task_ctx(lx, &t[i], &ctx);
            struct armvmi_linux_task again;
            int ar = armvmi_linux_task_at(lx, t[i].va, &again);
            if (check && (ar || again.pid != t[i].pid || again.tgid != t[i].tgid ||
                          again.mm != t[i].mm || again.pgd_pa != t[i].pgd_pa)) {
                fprintf(stderr, "fuzz_lxhandle: task_at(pid %d) differs from the list's\n",
                        (int)t[i].pid);
                abort();
            }
        }
        struct armvmi_linux_task one;
        armvmi_linux_find_task(lx, 1, &one);
        if (check && armvmi_linux_task_at(lx, 0x1000, &one) != -ARMVMI_EINVAL)
            abort(); /* a user address is refused */
    }
    if (check && (n != 3 || nvma != 2 || nfd != 2)) {
        fprintf(stderr, "fuzz_lxhandle: the seed lists %zu tasks, %zu VMAs, %zu files\n", n, nvma,
                nfd);
        abort();
    }
    free(t);
    armvmi_linux_close(lx);
}

static int setup(void)
{
    int fd = memfd_create("fuzz_lxhandle", 0);
    if (fd < 0 || ftruncate(fd, MEM))
        return -1;
    ram = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ram == MAP_FAILED)
        return -1;
    build();
    char spec[64];
    snprintf(spec, sizeof(spec), "raw:/proc/self/fd/%d@0x%llx", fd, BASE);
    if (armvmi_open(&h, spec))
        return -1;
    walk_all(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (setup()) {
            fprintf(stderr, "fuzz_lxhandle: setup failed: %s\n", armvmi_errmsg());
            abort();
        }
        ready = 1;
    }
    /* at most 256 mutations an input: bounded time */
    for (size_t i = 0; i + 4 <= size && i < 4 * 256; i += 4) {
        uint64_t slot = HEAP + 8 * ((data[i] | (uint64_t)data[i + 1] << 8) % (HEAP_LEN / 8));
        uint8_t arg = data[i + 3];
        uint64_t v;
        switch (data[i + 2] & 3) {
        case 0:
            v = 0;
            break;
        case 1:
            v = arg * 0x0101010101010101ull >> (data[i + 2] >> 2 & 7) * 8;
            break;
        case 2:
            v = lva(HEAP) + 8ull * arg * 16;
            break;
        default:
            v = objs[arg % nobjs] + (uint64_t)(data[i + 2] >> 2) * 8;
            break;
        }
        put64(slot, v);
    }
    walk_all(0);
    memcpy(ram + (HEAP - BASE), seed, HEAP_LEN);
    return 0;
}
