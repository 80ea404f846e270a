/* SPDX-License-Identifier: MIT */
/* psxview.c — hidden processes: the task list, the PID IDR, children lists and runqueues. */
#include <bpf/btf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/apps_procs.h>

/* include/linux/xarray.h: 64 slots a node, 6 index bits a level */
#define XA_CHUNK_SHIFT 6
#define XA_MAX_DEPTH (64 / XA_CHUNK_SHIFT + 1)
#define XA_NODE_MAX 1024 /* bytes of a node read (struct xa_node is 576) */
/* the most CPUs whose runqueues are read (arm64's NR_CPUS is at most 4096) */
#define PSX_MAX_CPUS 4096u
/* per-CPU variables the kernel exports (EXPORT_PER_CPU_SYMBOL): their exported address and
 * their offset in BTF's .data..percpu give the section's start */
static const char *const percpu_anchors[] = {"cpu_number", "kernel_cpustat"};

struct hit {
    uint64_t task;
    int src;
};

struct ctx {
    armvmi_t *h;
    armvmi_linux_t *lx;
    const armvmi_types_t *ty;
    struct armvmi_tt_config kctx;
    uint64_t init_task;
    uint64_t kva_min; /* the lowest kernel VA: -(1 << VA_BITS) */
    struct hit *hits;
    size_t nhits, cap;
    /* visited tasks of the children walk: open addressing, 0 = empty */
    uint64_t *set;
    size_t set_cap, set_n;
    uint64_t o_children, o_sibling, o_group_leader, o_pid_links;
};

/* Record a problem of view v (the first message is kept). */
static void view_err(struct armvmi_psx_view *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void view_err(struct armvmi_psx_view *v, const char *fmt, ...)
{
    if (v->broken++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
        va_end(ap);
    }
}

/* A view that cannot be used at all, and why. */
static void view_off(struct armvmi_psx_view *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void view_off(struct armvmi_psx_view *v, const char *fmt, ...)
{
    v->available = false;
    v->source[0] = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
    va_end(ap);
}

static int kread(struct ctx *c, uint64_t va, void *buf, size_t len)
{
    /* a kernel VA has its top bits set (TTBR1's half); anything else is not followed */
    if (va < c->kva_min)
        return -ARMVMI_EFAULT;
    return armvmi_read_va(c->h, &c->kctx, va, buf, len);
}

static int kread64(struct ctx *c, uint64_t va, uint64_t *v)
{
    return kread(c, va, v, sizeof(*v));
}

static int add_hit(struct ctx *c, uint64_t task, int src)
{
    if (c->nhits == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct hit *n = realloc(c->hits, cap * sizeof(*n));
        if (!n)
            return armvmi_set_error(ARMVMI_ENOMEM, "out of memory collecting processes.");
        c->hits = n;
        c->cap = cap;
    }
    c->hits[c->nhits++] = (struct hit){task, src};
    return 0;
}

/* Add va to the visited set: 1 if it was new, 0 if seen, or an error. */
static int set_add(struct ctx *c, uint64_t va)
{
    if (2 * (c->set_n + 1) > c->set_cap) {
        size_t cap = c->set_cap ? c->set_cap * 2 : 512;
        uint64_t *n = calloc(cap, sizeof(*n));
        if (!n)
            return armvmi_set_error(ARMVMI_ENOMEM, "out of memory collecting processes.");
        for (size_t i = 0; i < c->set_cap; i++)
            for (size_t j = (c->set[i] >> 4) & (cap - 1); c->set[i]; j = (j + 1) & (cap - 1))
                if (!n[j]) {
                    n[j] = c->set[i];
                    break;
                }
        free(c->set);
        c->set = n;
        c->set_cap = cap;
    }
    for (size_t j = (va >> 4) & (c->set_cap - 1);; j = (j + 1) & (c->set_cap - 1)) {
        if (c->set[j] == va)
            return 0;
        if (!c->set[j]) {
            c->set[j] = va;
            c->set_n++;
            return 1;
        }
    }
}

static int offset(struct ctx *c, const char *path, uint64_t *off, struct armvmi_psx_view *v)
{
    if (armvmi_types_offset(c->ty, path, off) == 0)
        return 0;
    view_off(v, "the kernel's types have no %s.", path);
    return -1;
}

/* ---- the task list ---- */

static int view_tasks(struct ctx *c, struct armvmi_psx_view *v)
{
    struct armvmi_linux_task *t;
    size_t n;
    struct armvmi_linux_walk w;
    int r = armvmi_linux_tasks(c->lx, false, &t, &n, &w);
    if (r)
        return r;
    v->available = true;
    snprintf(v->source, sizeof(v->source), "init_task.tasks at 0x%llx",
             (unsigned long long)(c->init_task));
    v->broken = w.broken;
    snprintf(v->msg, sizeof(v->msg), "%s", w.msg);
    for (size_t i = 0; i < n && !r; i++)
        r = add_hit(c, t[i].va, ARMVMI_PSX_TASKS);
    free(t);
    return r;
}

/* ---- the PID namespace's IDR (an xarray of struct pid) ---- */

struct idr {
    uint64_t node_size, o_shift, o_parent, o_slots, nslots; /* struct xa_node */
    uint64_t o_tasks, o_nr;                                 /* struct pid */
    unsigned budget;                                        /* nodes and entries left */
};

/* One struct pid: its PIDTYPE_PID task, if that is a thread-group leader. */
static int idr_entry(struct ctx *c, struct idr *x, uint64_t pid, struct armvmi_psx_view *v)
{
    uint64_t first;
    int32_t nr;
    if (kread64(c, pid + x->o_tasks, &first) || kread(c, pid + x->o_nr, &nr, sizeof(nr))) {
        view_err(v, "struct pid at 0x%llx cannot be read: skipped.", (unsigned long long)pid);
        return 0;
    }
    if (!first) /* a pid kept only as a process group or session id */
        return 0;
    uint64_t task = first - c->o_pid_links;
    struct armvmi_linux_task t;
    if (armvmi_linux_task_at(c->lx, task, &t)) {
        view_err(v, "the task 0x%llx of pid %d cannot be read: skipped.", (unsigned long long)task,
                 (int)nr);
        return 0;
    }
    if (t.pid != nr) {
        view_err(v, "struct pid 0x%llx (pid %d) leads to a task of pid %d: skipped.",
                 (unsigned long long)pid, (int)nr, (int)t.pid);
        return 0;
    }
    if (t.pid != t.tgid) /* a thread: its group leader has its own pid */
        return 0;
    return add_hit(c, task, ARMVMI_PSX_PIDS);
}

/* include/linux/xarray.h: xa_is_node() (internal entry above 4096), xa_to_node() */
static bool xa_is_node(uint64_t e)
{
    return (e & 3) == 2 && e > 4096;
}

static int idr_node(struct ctx *c, struct idr *x, uint64_t entry, uint64_t parent, int shift,
                    int depth, struct armvmi_psx_view *v)
{
    uint64_t node = entry - 2;
    uint8_t buf[XA_NODE_MAX];
    if (depth >= XA_MAX_DEPTH || x->budget == 0) {
        view_err(v, "the PID IDR is deeper or larger than the walk's bound: stopped.");
        return 1;
    }
    x->budget--;
    if (kread(c, node, buf, x->node_size)) {
        view_err(v, "IDR node 0x%llx cannot be read: skipped.", (unsigned long long)node);
        return 0;
    }
    uint8_t sh = buf[x->o_shift];
    uint64_t up;
    memcpy(&up, buf + x->o_parent, 8);
    /* each level down is XA_CHUNK_SHIFT bits less: a node that does not say so (a cycle,
     * garbage) is not followed */
    if ((shift >= 0 && sh != shift) || sh % XA_CHUNK_SHIFT || sh >= 64 || up != parent) {
        view_err(v,
                 "IDR node 0x%llx has shift %u and parent 0x%llx (expected %d, 0x%llx): "
                 "skipped.",
                 (unsigned long long)node, sh, (unsigned long long)up, shift,
                 (unsigned long long)parent);
        return 0;
    }
    for (uint64_t i = 0; i < x->nslots; i++) {
        uint64_t e;
        memcpy(&e, buf + x->o_slots + 8 * i, 8);
        if (!e)
            continue;
        int r = 0;
        if (xa_is_node(e)) {
            if (sh == 0)
                view_err(v, "IDR leaf 0x%llx holds a node: skipped.", (unsigned long long)node);
            else
                r = idr_node(c, x, e, node, sh - XA_CHUNK_SHIFT, depth + 1, v);
        } else if ((e & 3) == 0) { /* not a value, sibling, retry or zero entry */
            if (x->budget == 0) {
                view_err(v, "the PID IDR is larger than the walk's bound: stopped.");
                return 1;
            }
            x->budget--;
            r = idr_entry(c, x, e, v);
        }
        if (r)
            return r;
    }
    return 0;
}

static int view_pids(struct ctx *c, uint64_t init_pid_ns, struct armvmi_psx_view *v)
{
    struct idr x = {.budget = ARMVMI_LINUX_MAX_TASKS};
    uint64_t o_head, o_numbers, o_upid_nr;
    struct armvmi_member m;
    if (offset(c, "pid_namespace.idr.idr_rt.xa_head", &o_head, v) ||
        offset(c, "xa_node.shift", &x.o_shift, v) || offset(c, "xa_node.parent", &x.o_parent, v) ||
        offset(c, "pid.tasks", &x.o_tasks, v) || offset(c, "pid.numbers", &o_numbers, v) ||
        offset(c, "upid.nr", &o_upid_nr, v) ||
        offset(c, "task_struct.pid_links", &c->o_pid_links, v))
        return 0;
    if (armvmi_types_member(c->ty, "xa_node.slots", &m) || m.kind != ARMVMI_TYPE_ARRAY ||
        armvmi_types_size(c->ty, "xa_node", &x.node_size) || x.node_size > XA_NODE_MAX ||
        m.offset + 8 * m.nelems > x.node_size) {
        view_off(v, "the kernel's struct xa_node is not the expected array of slots.");
        return 0;
    }
    x.o_slots = m.offset;
    x.nslots = m.nelems;
    x.o_nr = o_numbers + o_upid_nr; /* numbers[0]: the pid in the initial namespace */
    uint64_t head;
    if (kread64(c, init_pid_ns + o_head, &head)) {
        view_off(v, "init_pid_ns (0x%llx) cannot be read.", (unsigned long long)init_pid_ns);
        return 0;
    }
    v->available = true;
    snprintf(v->source, sizeof(v->source), "init_pid_ns.idr at 0x%llx",
             (unsigned long long)init_pid_ns);
    if (!head)
        return 0;
    if (!xa_is_node(head)) /* a single entry: index 0 */
        return (head & 3) == 0 ? idr_entry(c, &x, head, v) : 0;
    int r = idr_node(c, &x, head, 0, -1, 0, v);
    return r < 0 ? r : 0;
}

/* ---- children lists from init_task ---- */

static int view_children(struct ctx *c, struct armvmi_psx_view *v)
{
    if (offset(c, "task_struct.children", &c->o_children, v) ||
        offset(c, "task_struct.sibling", &c->o_sibling, v))
        return 0;
    v->available = true;
    snprintf(v->source, sizeof(v->source), "init_task.children and down");
    /* breadth first: the hits of this view are the queue; the set makes every task once */
    size_t q = c->nhits;
    int r = set_add(c, c->init_task);
    if (r < 0 || (r = add_hit(c, c->init_task, ARMVMI_PSX_CHILDREN)))
        return r;
    unsigned budget = ARMVMI_LINUX_MAX_TASKS;
    for (; q < c->nhits; q++) {
        uint64_t parent = c->hits[q].task, head = parent + c->o_children, prev = head, e;
        if (kread64(c, head, &e)) {
            view_err(v, "the children of task 0x%llx cannot be read: skipped.",
                     (unsigned long long)parent);
            continue;
        }
        while (e != head) {
            uint64_t lp[2];
            if (budget-- == 0) {
                view_err(v, "more than %u tasks in the children lists: stopped.",
                         ARMVMI_LINUX_MAX_TASKS);
                return 0;
            }
            if ((e & 7) || kread(c, e, lp, sizeof(lp))) {
                view_err(v,
                         "children list of task 0x%llx: entry 0x%llx cannot be read: list "
                         "cut.",
                         (unsigned long long)parent, (unsigned long long)e);
                break;
            }
            uint64_t child = e - c->o_sibling;
            r = set_add(c, child);
            if (r < 0)
                return r;
            if (r == 0) {
                view_err(v,
                         "children list of task 0x%llx is cyclic (task 0x%llx comes back): "
                         "cut.",
                         (unsigned long long)parent, (unsigned long long)child);
                break;
            }
            if (lp[1] != prev)
                view_err(v, "children list of task 0x%llx: entry 0x%llx's prev is not 0x%llx.",
                         (unsigned long long)parent, (unsigned long long)e,
                         (unsigned long long)prev);
            if ((r = add_hit(c, child, ARMVMI_PSX_CHILDREN)))
                return r;
            prev = e;
            e = lp[0];
        }
    }
    return 0;
}

/* ---- each CPU's runqueue ---- */

/* Offsets in the BTF's .data..percpu of runqueues and the anchors (UINT64_MAX: not there). */
static int percpu_offsets(struct ctx *c, uint64_t *rq, uint64_t *anchor, size_t nanchor,
                          struct armvmi_psx_view *v)
{
    const void *data;
    size_t len;
    if (armvmi_types_raw(c->ty, &data, &len)) {
        view_off(v, "runqueues is not in kallsyms and the kernel's types are not BTF.");
        return -1;
    }
    struct btf *b = btf__new(data, (uint32_t)len);
    if (!b) {
        view_off(v, "the kernel's BTF does not parse with libbpf.");
        return -1;
    }
    *rq = UINT64_MAX;
    for (size_t i = 0; i < nanchor; i++)
        anchor[i] = UINT64_MAX;
    int id = btf__find_by_name_kind(b, ".data..percpu", BTF_KIND_DATASEC);
    const struct btf_type *t = id > 0 ? btf__type_by_id(b, id) : NULL;
    if (t) {
        const struct btf_var_secinfo *vs = btf_var_secinfos(t);
        for (unsigned i = 0; i < btf_vlen(t); i++) {
            const struct btf_type *vt = btf__type_by_id(b, vs[i].type);
            const char *name = vt ? btf__name_by_offset(b, vt->name_off) : NULL;
            if (!name)
                continue;
            if (strcmp(name, "runqueues") == 0)
                *rq = vs[i].offset;
            for (size_t k = 0; k < nanchor; k++)
                if (strcmp(name, percpu_anchors[k]) == 0)
                    anchor[k] = vs[i].offset;
        }
    }
    btf__free(b);
    if (*rq == UINT64_MAX) {
        view_off(v, "the kernel's BTF has no per-CPU variable runqueues.");
        return -1;
    }
    return 0;
}

/* syms: runqueues, __per_cpu_offset, nr_cpu_ids, then the anchors (armvmi_linux_syms_find's) */
static int view_runqueues(struct ctx *c, const struct armvmi_linux_sym *syms,
                          struct armvmi_psx_view *v)
{
    uint64_t o_curr, o_idle, o_cpu;
    if (!syms[1].name || !syms[2].name) {
        view_off(v, "the kernel's symbols have no %s.",
                 syms[1].name ? "nr_cpu_ids" : "__per_cpu_offset");
        return 0;
    }
    if (offset(c, "rq.curr", &o_curr, v) || offset(c, "rq.idle", &o_idle, v) ||
        offset(c, "rq.cpu", &o_cpu, v) ||
        offset(c, "task_struct.group_leader", &c->o_group_leader, v))
        return 0;
    uint64_t rq = syms[0].addr;
    const char *how = "kallsyms";
    if (!syms[0].name) {
        /* no data symbols in kallsyms (no KALLSYMS_ALL): the section's start from an exported
         * per-CPU variable */
        size_t na = sizeof(percpu_anchors) / sizeof(percpu_anchors[0]);
        uint64_t off, aoff[sizeof(percpu_anchors) / sizeof(percpu_anchors[0])];
        if (percpu_offsets(c, &off, aoff, na, v))
            return 0;
        rq = 0;
        for (size_t k = 0; k < na && !rq; k++)
            if (syms[3 + k].name && aoff[k] != UINT64_MAX)
                rq = syms[3 + k].addr - aoff[k] + off;
        if (!rq) {
            view_off(v, "no exported per-CPU variable (cpu_number, kernel_cpustat) to place "
                        "runqueues.");
            return 0;
        }
        how = "BTF .data..percpu and an exported per-CPU variable";
    }
    uint32_t ncpu;
    if (kread(c, syms[2].addr, &ncpu, sizeof(ncpu)) || ncpu == 0 || ncpu > PSX_MAX_CPUS) {
        view_off(v, "nr_cpu_ids (0x%llx) cannot be read or is not 1..%u.",
                 (unsigned long long)syms[2].addr, PSX_MAX_CPUS);
        return 0;
    }
    v->available = true;
    unsigned good = 0;
    for (uint32_t i = 0; i < ncpu; i++) {
        uint64_t pcpu, curr, idle, leader;
        int32_t cpu;
        if (kread64(c, syms[1].addr + 8ull * i, &pcpu)) {
            view_err(v, "__per_cpu_offset[%u] cannot be read.", i);
            continue;
        }
        uint64_t r = rq + pcpu;
        if (kread(c, r + o_cpu, &cpu, sizeof(cpu)) || kread64(c, r + o_curr, &curr) ||
            kread64(c, r + o_idle, &idle)) {
            view_err(v, "the runqueue of CPU %u (0x%llx, from %s) cannot be read.", i,
                     (unsigned long long)r, how);
            continue;
        }
        if (cpu != (int32_t)i) {
            view_err(v, "the runqueue of CPU %u (0x%llx, from %s) says it is CPU %d: skipped.", i,
                     (unsigned long long)r, how, (int)cpu);
            continue;
        }
        good++;
        if (curr == idle || !curr)
            continue; /* the CPU is idle */
        if (kread64(c, curr + c->o_group_leader, &leader)) {
            view_err(v, "the task 0x%llx running on CPU %u cannot be read.",
                     (unsigned long long)curr, i);
            continue;
        }
        int e = add_hit(c, leader, ARMVMI_PSX_RUNQUEUE);
        if (e)
            return e;
    }
    snprintf(v->source, sizeof(v->source), "runqueues from %s, %u of %u CPUs", how, good, ncpu);
    if (!good)
        view_off(v,
                 "no CPU's runqueue checks out (rq->cpu): runqueues (from %s) is not "
                 "where it was looked for.",
                 how);
    return 0;
}

/* ---- merge ---- */

static int hit_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    return x->src - y->src;
}

static int proc_cmp(const void *a, const void *b)
{
    const struct armvmi_psx_proc *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->task < y->task ? -1 : x->task > y->task;
}

static int merge(struct ctx *c, struct armvmi_psx *out)
{
    qsort(c->hits, c->nhits, sizeof(*c->hits), hit_cmp);
    out->procs = calloc(c->nhits ? c->nhits : 1, sizeof(*out->procs));
    if (!out->procs)
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory collecting processes.");
    for (size_t i = 0; i < c->nhits; i++) {
        struct armvmi_psx_proc *p = &out->procs[out->n ? out->n - 1 : 0];
        if (!out->n || p->task != c->hits[i].task) {
            p = &out->procs[out->n++];
            p->task = c->hits[i].task;
            struct armvmi_linux_task t;
            if (armvmi_linux_task_at(c->lx, p->task, &t) == 0) {
                p->pid = t.tgid;
                snprintf(p->name, sizeof(p->name), "%s", t.name);
            } else {
                p->pid = -1;
                snprintf(p->name, sizeof(p->name), "?");
            }
            p->expected = 1u << ARMVMI_PSX_TASKS | 1u << ARMVMI_PSX_CHILDREN;
            if (p->pid != 0)
                p->expected |= 1u << ARMVMI_PSX_PIDS;
        }
        if (!(p->seen & 1u << c->hits[i].src))
            out->view[c->hits[i].src].count++;
        p->seen |= 1u << c->hits[i].src;
    }
    qsort(out->procs, out->n, sizeof(*out->procs), proc_cmp);
    return 0;
}

int armvmi_psx_scan(armvmi_t *h, armvmi_linux_t *lx, struct armvmi_psx *out)
{
    if (!h || !lx || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_psx_scan: NULL argument.");
    memset(out, 0, sizeof(*out));
    struct ctx c = {.h = h, .lx = lx, .ty = armvmi_linux_get_types(lx)};
    const struct armvmi_linux_kernel *k = armvmi_linux_get_kernel(lx);
    struct armvmi_linux_handle_info hi;
    int r = armvmi_linux_handle_info(lx, &hi);
    if (r || (r = armvmi_linux_kernel_ttconfig(k, &c.kctx)))
        return r;
    c.init_task = hi.init_task;
    unsigned va_bits = k->va_bits.known ? (unsigned)k->va_bits.value : 48;
    c.kva_min = va_bits >= 36 && va_bits <= 52 ? ~0ull << va_bits : ~0ull << 48;
    if ((r = view_tasks(&c, &out->view[ARMVMI_PSX_TASKS])))
        goto out;
    static const char *const names[] = {"runqueues",  "__per_cpu_offset", "nr_cpu_ids",
                                        "cpu_number", "kernel_cpustat",   "init_pid_ns"};
    size_t nn = sizeof(names) / sizeof(names[0]);
    struct armvmi_linux_sym syms[sizeof(names) / sizeof(names[0])];
    memset(syms, 0, sizeof(syms));
    char why[256] = "";
    if (armvmi_linux_syms_find(h, k, 0, (const char *const *)names, nn, syms) < 0)
        snprintf(why, sizeof(why), "the kernel's symbols cannot be read: %s", armvmi_errmsg());
    if (!syms[5].name)
        view_off(&out->view[ARMVMI_PSX_PIDS], "%s", why[0] ? why : "no symbol init_pid_ns.");
    else if ((r = view_pids(&c, syms[5].addr, &out->view[ARMVMI_PSX_PIDS])))
        goto out;
    if ((r = view_children(&c, &out->view[ARMVMI_PSX_CHILDREN])))
        goto out;
    if (why[0])
        view_off(&out->view[ARMVMI_PSX_RUNQUEUE], "%s", why);
    else if ((r = view_runqueues(&c, syms, &out->view[ARMVMI_PSX_RUNQUEUE])))
        goto out;
    r = merge(&c, out);
out:
    free(c.hits);
    free(c.set);
    if (r)
        armvmi_psx_free(out);
    return r;
}

void armvmi_psx_free(struct armvmi_psx *p)
{
    if (!p)
        return;
    free(p->procs);
    p->procs = NULL;
    p->n = 0;
}

const char *armvmi_psx_source_name(int source)
{
    static const char *const names[ARMVMI_PSX_NSOURCES] = {"tasks", "pid_ns", "children",
                                                           "runqueue"};
    return source >= 0 && source < ARMVMI_PSX_NSOURCES ? names[source] : NULL;
}

uint32_t armvmi_psx_missing(const struct armvmi_psx *r, const struct armvmi_psx_proc *p)
{
    uint32_t avail = 0;
    for (int s = 0; s < ARMVMI_PSX_NSOURCES; s++)
        if (r->view[s].available)
            avail |= 1u << s;
    return p->expected & avail & ~p->seen;
}

bool armvmi_psx_hidden(const struct armvmi_psx *r, const struct armvmi_psx_proc *p)
{
    return r->view[ARMVMI_PSX_TASKS].available && r->view[ARMVMI_PSX_PIDS].available &&
           !(p->seen & 1u << ARMVMI_PSX_TASKS) && (p->seen & 1u << ARMVMI_PSX_PIDS);
}
