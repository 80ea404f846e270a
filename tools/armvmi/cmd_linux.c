/* SPDX-License-Identifier: MIT */
/* cmd_linux.c — ps, pstree, cmdline, maps, lsof, lsmod: Linux state rebuilt from guest memory. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linuxos.h>
#include <armvmi/profile.h>

#include "cli.h"

static const char ps_help[] =
    "usage: armvmi [--vm SPEC] ps [--threads] [--json]\n"
    "Lists the guest's processes from the kernel's own task list (no profile: the kernel's\n"
    "BTF and VMCOREINFO are found in memory): PID, PPID, UID, GID, state, threads, start time\n"
    "(seconds since boot) and the name /proc shows. --threads lists every thread too (TID).\n"
    "A running VM is paused while it is read, then resumed; works on dumps and raw images.\n";
static const char pstree_help[] = "usage: armvmi [--vm SPEC] pstree [--json]\n"
                                  "The guest's processes as a tree of parents and children.\n";
static const char cmdline_help[] =
    "usage: armvmi [--vm SPEC] cmdline PID [--env] [--json]\n"
    "The command line of process PID (its arguments as /proc/PID/cmdline has them), read from\n"
    "the process's own memory through its page tables; --env prints its environment instead\n"
    "(--json gives both, as arrays of strings).\n";
static const char maps_help[] =
    "usage: armvmi [--vm SPEC] maps PID [--json]\n"
    "The memory maps of process PID in /proc/PID/maps' format (range, permissions, offset,\n"
    "device, inode, path or [heap]/[stack]/[vdso]/[vvar]), from its mm's maple tree.\n";
static const char lsof_help[] = "usage: armvmi [--vm SPEC] lsof PID [--json]\n"
                                "The open file descriptors of process PID and their paths.\n";
static const char lsmod_help[] =
    "usage: armvmi [--vm SPEC] lsmod [--json]\n"
    "The loaded kernel modules (name, size, address) in /proc/modules' order.\n";

/* An open target and Linux handle; a running VM stays paused until lx_end. */
struct lxs {
    armvmi_t *h;
    armvmi_linux_t *lx;
    bool paused;
    struct armvmi_linux_profile prof; /* --profile: outside types and symbols */
};

static int lx_begin(struct cli *c, struct lxs *s)
{
    memset(s, 0, sizeof(*s));
    if (cli_profile_load(c, &s->prof))
        return 1;
    if (cli_open_held(c, &s->h, &s->paused)) {
        cli_profile_free(&s->prof);
        return 1;
    }
    struct armvmi_info in;
    armvmi_get_info(s->h, &in);
    if (armvmi_linux_open_profile(s->h, &s->prof, &s->lx)) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", armvmi_errmsg());
        if (s->paused)
            armvmi_resume(s->h);
        int r = cli_err("cannot read the Linux kernel of %s: %s", in.target, msg);
        armvmi_close(s->h); /* in.target belongs to the handle */
        cli_profile_free(&s->prof);
        return r;
    }
    return 0;
}

static void lx_end(struct lxs *s)
{
    armvmi_linux_close(s->lx);
    cli_profile_free(&s->prof);
    if (s->paused)
        armvmi_resume(s->h);
    armvmi_close(s->h);
}

/* Report a walk's broken entries on stderr (text) or in the JSON document. */
static void walk_report(const struct armvmi_linux_walk *w, json_t *j)
{
    if (j) {
        json_object_set_new(j, "broken", json_integer(w->broken));
        if (w->broken)
            json_object_set_new(j, "warning", json_string(w->msg));
    } else if (w->broken) {
        fprintf(stderr, "armvmi: warning: %u broken entr%s skipped; first: %s\n", w->broken,
                w->broken == 1 ? "y" : "ies", w->msg);
    }
}

static json_t *hexj(uint64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
    return json_string(b);
}

/* fs/proc/array.c task_state_array: the letter ps shows. */
static char state_char(uint64_t s)
{
    /* include/linux/sched.h: __task_state_index(), the letters of fs/proc/array.c */
    static const char letters[] = "RSDTtXZPI";
    uint64_t st = s & 0x7f;   /* TASK_REPORT: running .. TASK_PARKED, with the exit states */
    if ((s & 0x402) == 0x402) /* TASK_IDLE */
        return 'I';
    if ((s & 0xffffffffu) == 0x1000) /* TASK_RTLOCK_WAIT shows as uninterruptible */
        st = 0x2;
    int i = 0;
    while (st) {
        i++;
        st >>= 1;
    }
    return letters[i];
}

/* Parse the options of a command: only --help and the flags in extra (NULL-terminated). */
static int parse_opts(int argc, char **argv, const char *help, const char *const *flags, bool *set)
{
    struct option opts[8] = {{"help", no_argument, 0, 'h'}};
    int k = 1;
    for (int i = 0; flags && flags[i] && k < 7; i++, k++)
        opts[k] = (struct option){flags[i], no_argument, 0, 1000 + i};
    opts[k] = (struct option){0, 0, 0, 0};
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (o >= 1000) {
            set[o - 1000] = true;
            continue;
        }
        fputs(help, stderr);
        return 2;
    }
    return 0;
}

/* The PID argument of maps, lsof, cmdline. */
static int pid_arg(int argc, char **argv, const char *cmd, int32_t *pid)
{
    uint64_t v;
    if (optind + 1 != argc)
        return cli_err("%s needs one PID (see `armvmi %s --help`).", cmd, cmd);
    if (cli_u64(argv[optind], &v, false) || v > 0x7fffffff)
        return cli_err("'%s' is not a PID.", argv[optind]);
    *pid = (int32_t)v;
    return 0;
}

/* Options, the PID argument, the Linux handle and the task of maps/lsof/cmdline: 0, or -1
 * after --help, or an exit code (message printed). On 0, end with lx_end(s). */
static int pid_begin(struct cli *c, int argc, char **argv, const char *cmd, const char *help,
                     const char *const *flags, bool *set, struct lxs *s,
                     struct armvmi_linux_task *t)
{
    int r = parse_opts(argc, argv, help, flags, set);
    if (r)
        return r;
    int32_t pid = 0;
    if (pid_arg(argc, argv, cmd, &pid) || lx_begin(c, s))
        return 1;
    if (armvmi_linux_find_task(s->lx, pid, t)) {
        lx_end(s);
        return cli_lib_err(NULL);
    }
    return 0;
}

/* The JSON document of a per-process listing, or the end of its text. */
static int pid_out(const struct armvmi_linux_task *t, const char *key, json_t *arr,
                   const struct armvmi_linux_walk *w)
{
    if (!arr) {
        walk_report(w, NULL);
        return 0;
    }
    json_t *j = json_pack("{s:i,s:s,s:o}", "pid", (int)t->tgid, "name", t->name, key, arr);
    walk_report(w, j);
    return cli_json_out(j);
}

/* Options (no arguments) and the task list of ps and pstree: 0, -1 after --help, or an exit
 * code (message printed). */
static int tasks_get(struct cli *c, int argc, char **argv, const char *cmd, const char *help,
                     const char *const *flags, bool *set, bool threads,
                     struct armvmi_linux_task **t, size_t *n, struct armvmi_linux_walk *w,
                     json_t **kernel)
{
    int r = parse_opts(argc, argv, help, flags, set);
    if (r)
        return r;
    if (optind != argc)
        return cli_err("%s takes no arguments (got '%s').", cmd, argv[optind]);
    struct lxs s;
    if (lx_begin(c, &s))
        return 1;
    r = armvmi_linux_tasks(s.lx, threads || (set && set[0]), t, n, w);
    if (!r && kernel) {
        /* where the walk started, for --json */
        struct armvmi_linux_handle_info hi;
        armvmi_linux_handle_info(s.lx, &hi);
        *kernel = json_pack("{s:s,s:o,s:s,s:o}", "release", armvmi_linux_get_kernel(s.lx)->release,
                            "init_task", hexj(hi.init_task), "init_task_source",
                            hi.init_task_source, "btf_pa", hexj(hi.btf_pa));
        if (*kernel && hi.types_source)
            json_object_set_new(*kernel, "types_source", json_string(hi.types_source));
    }
    lx_end(&s);
    return r ? cli_lib_err("listing processes") : 0;
}

int cmd_ps(struct cli *c, int argc, char **argv)
{
    static const char *const flags[] = {"threads", NULL};
    bool set[1] = {false};
    struct armvmi_linux_task *t;
    size_t n;
    struct armvmi_linux_walk w;
    json_t *kernel = NULL;
    int r = tasks_get(c, argc, argv, "ps", ps_help, flags, set, false, &t, &n, &w,
                      c->json ? &kernel : NULL);
    if (r)
        return r < 0 ? 0 : r;
    json_t *j = c->json ? json_object() : NULL, *arr = c->json ? json_array() : NULL;
    if (!c->json)
        printf("%7s %7s %7s %5s %5s %3s %1s %10s %s\n", "PID", set[0] ? "TID" : "THR", "PPID",
               "UID", "GID", "", "S", "START", "NAME");
    for (size_t i = 0; i < n; i++) {
        const struct armvmi_linux_task *p = &t[i];
        if (p->pid == 0)
            continue; /* the idle task: not a process /proc shows */
        bool leader = p->pid == p->tgid;
        if (j) {
            json_t *o = json_pack(
                "{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:s,s:s,s:s#,s:b,s:b,s:I,s:o,s:o,s:o}", "pid",
                (int)p->tgid, "tid", (int)p->pid, "ppid", (int)p->ppid, "uid", (int)p->uid, "gid",
                (int)p->gid, "euid", (int)p->euid, "egid", (int)p->egid, "name", p->name, "comm",
                p->comm, "state", (char[]){state_char(p->state), 0}, 1, "kthread", p->kthread,
                "thread_leader", leader, "start_time_ns", (json_int_t)p->start_time, "task",
                hexj(p->va), "mm", p->mm ? hexj(p->mm) : json_null(), "pgd_pa",
                p->pgd_pa ? hexj(p->pgd_pa) : json_null());
            json_object_set_new(o, "start_boottime_ns",
                                json_integer((json_int_t)p->start_boottime));
            if (leader)
                json_object_set_new(o, "threads", json_integer(p->nthreads));
            json_array_append_new(arr, o);
            continue;
        }
        printf("%7d %7d %7d %5u %5u %3s %c %10.2f %s%s%s\n", (int)p->tgid,
               set[0] ? (int)p->pid : (int)p->nthreads, (int)p->ppid, p->uid, p->gid, "",
               state_char(p->state), (double)p->start_time / 1e9, p->kthread ? "[" : "", p->name,
               p->kthread ? "]" : "");
    }
    free(t);
    if (j) {
        json_object_set_new(j, "processes", arr);
        json_object_set_new(j, "kernel", kernel);
        walk_report(&w, j);
        return cli_json_out(j);
    }
    walk_report(&w, NULL);
    return 0;
}

/* pstree: children of parent, depth-first, sorted by pid (the task list's order is by age). */
static json_t *tree_json(const struct armvmi_linux_task *t, size_t n, size_t i, int depth)
{
    json_t *o = json_pack("{s:i,s:s}", "pid", (int)t[i].tgid, "name", t[i].name);
    json_t *kids = json_array();
    for (size_t k = 0; k < n && depth < 64; k++)
        if (k != i && t[k].pid == t[k].tgid && t[k].ppid == t[i].tgid && t[k].pid != 0)
            json_array_append_new(kids, tree_json(t, n, k, depth + 1));
    json_object_set_new(o, "children", kids);
    return o;
}

static void tree_print(const struct armvmi_linux_task *t, size_t n, size_t i, int depth)
{
    printf("%*s%s(%d)\n", 2 * depth, "", t[i].name, (int)t[i].tgid);
    for (size_t k = 0; k < n && depth < 64; k++)
        if (k != i && t[k].pid == t[k].tgid && t[k].ppid == t[i].tgid && t[k].pid != 0)
            tree_print(t, n, k, depth + 1);
}

int cmd_pstree(struct cli *c, int argc, char **argv)
{
    struct armvmi_linux_task *t;
    size_t n;
    struct armvmi_linux_walk w;
    int r = tasks_get(c, argc, argv, "pstree", pstree_help, NULL, NULL, false, &t, &n, &w, NULL);
    if (r)
        return r < 0 ? 0 : r;
    /* roots: processes whose parent is pid 0 (init, kthreadd) or is not listed */
    json_t *arr = c->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (t[i].pid == 0)
            continue;
        bool parent_listed = false;
        for (size_t k = 0; k < n && !parent_listed; k++)
            parent_listed = t[k].pid != 0 && t[k].tgid == t[i].ppid && k != i;
        if (parent_listed)
            continue;
        if (arr)
            json_array_append_new(arr, tree_json(t, n, i, 0));
        else
            tree_print(t, n, i, 0);
    }
    free(t);
    if (arr) {
        json_t *j = json_pack("{s:o}", "tree", arr);
        walk_report(&w, j);
        return cli_json_out(j);
    }
    walk_report(&w, NULL);
    return 0;
}

/* NUL-separated strings as a JSON array (a last string without its NUL is kept). */
static json_t *strings_json(const char *b, size_t len)
{
    json_t *a = json_array();
    for (size_t i = 0; i < len;) {
        size_t l = strnlen(b + i, len - i);
        json_array_append_new(a, json_stringn(b + i, l));
        i += l + 1;
    }
    return a;
}

int cmd_cmdline(struct cli *c, int argc, char **argv)
{
    static const char *const flags[] = {"env", NULL};
    bool set[1] = {false};
    struct lxs s;
    struct armvmi_linux_task t;
    int r = pid_begin(c, argc, argv, "cmdline", cmdline_help, flags, set, &s, &t);
    if (r)
        return r < 0 ? 0 : r;
    char *args = NULL, *env = NULL;
    size_t alen = 0, elen = 0;
    if (c->json || !set[0])
        r = armvmi_linux_task_strings(s.lx, &t, ARMVMI_LINUX_CMDLINE, 0, &args, &alen);
    if (!r && (c->json || set[0]))
        r = armvmi_linux_task_strings(s.lx, &t, ARMVMI_LINUX_ENVIRON, 0, &env, &elen);
    lx_end(&s);
    if (r) {
        free(args);
        return cli_lib_err(NULL);
    }
    if (c->json) {
        json_t *j = json_pack("{s:i,s:s,s:o,s:o}", "pid", (int)t.tgid, "name", t.name, "argv",
                              strings_json(args, alen), "environ", strings_json(env, elen));
        free(args);
        free(env);
        return cli_json_out(j);
    }
    const char *b = set[0] ? env : args;
    size_t len = set[0] ? elen : alen;
    for (size_t i = 0; i < len;) {
        size_t l = strnlen(b + i, len - i);
        if (set[0])
            printf("%.*s\n", (int)l, b + i);
        else
            printf("%s%.*s", i ? " " : "", (int)l, b + i);
        i += l + 1;
    }
    if (!set[0])
        printf("\n");
    free(args);
    free(env);
    return 0;
}

int cmd_maps(struct cli *c, int argc, char **argv)
{
    struct lxs s;
    struct armvmi_linux_task t;
    int r = pid_begin(c, argc, argv, "maps", maps_help, NULL, NULL, &s, &t);
    if (r)
        return r < 0 ? 0 : r;
    struct armvmi_linux_vma *v = NULL;
    size_t n = 0;
    struct armvmi_linux_walk w;
    uint64_t page = armvmi_linux_get_kernel(s.lx)->page_size.value;
    r = armvmi_linux_vmas(s.lx, &t, &v, &n, &w);
    lx_end(&s);
    if (r)
        return cli_lib_err(NULL);
    json_t *arr = c->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        char perms[5], dev[16];
        armvmi_linux_vma_perms(v[i].flags, perms);
        uint64_t off = v[i].file ? v[i].pgoff * page : 0;
        snprintf(dev, sizeof(dev), "%02x:%02x", v[i].dev >> 20, v[i].dev & 0xfffff);
        if (arr) {
            json_array_append_new(arr, json_pack("{s:o,s:o,s:s,s:o,s:s,s:I,s:s,s:o}", "start",
                                                 hexj(v[i].start), "end", hexj(v[i].end), "perms",
                                                 perms, "offset", hexj(off), "dev", dev, "inode",
                                                 (json_int_t)v[i].inode, "path", v[i].path, "vma",
                                                 hexj(v[i].va)));
            continue;
        }
        /* fs/proc/task_mmu.c: the name starts at column 73 (25 + 6 * sizeof(void *)) */
        int col = printf("%08llx-%08llx %s %08llx %s %llu ", (unsigned long long)v[i].start,
                         (unsigned long long)v[i].end, perms, (unsigned long long)off, dev,
                         (unsigned long long)v[i].inode);
        if (v[i].path[0])
            printf("%*s%s", col < 73 ? 73 - col : 0, "", v[i].path);
        printf("\n");
    }
    free(v);
    return pid_out(&t, "maps", arr, &w);
}

int cmd_lsof(struct cli *c, int argc, char **argv)
{
    struct lxs s;
    struct armvmi_linux_task t;
    int r = pid_begin(c, argc, argv, "lsof", lsof_help, NULL, NULL, &s, &t);
    if (r)
        return r < 0 ? 0 : r;
    struct armvmi_linux_fd *f = NULL;
    size_t n = 0;
    struct armvmi_linux_walk w;
    r = armvmi_linux_fds(s.lx, &t, &f, &n, &w);
    lx_end(&s);
    if (r)
        return cli_lib_err(NULL);
    json_t *arr = c->json ? json_array() : NULL;
    if (!arr)
        printf("%5s %s\n", "FD", "PATH");
    for (size_t i = 0; i < n; i++) {
        if (arr)
            json_array_append_new(arr, json_pack("{s:i,s:s,s:o}", "fd", (int)f[i].fd, "path",
                                                 f[i].path, "file", hexj(f[i].file)));
        else
            printf("%5d %s\n", (int)f[i].fd, f[i].path);
    }
    free(f);
    return pid_out(&t, "files", arr, &w);
}

int cmd_lsmod(struct cli *c, int argc, char **argv)
{
    int r = parse_opts(argc, argv, lsmod_help, NULL, NULL);
    if (r)
        return r < 0 ? 0 : r;
    if (optind != argc)
        return cli_err("lsmod takes no arguments (got '%s').", argv[optind]);
    struct lxs s;
    if (lx_begin(c, &s))
        return 1;
    struct armvmi_linux_module *m = NULL;
    size_t n = 0;
    struct armvmi_linux_walk w;
    r = armvmi_linux_modules(s.lx, &m, &n, &w);
    struct armvmi_linux_handle_info hi;
    armvmi_linux_handle_info(s.lx, &hi);
    lx_end(&s);
    if (r)
        return cli_lib_err("listing modules");
    static const char *const states[] = {"Live", "Loading", "Unloading", "Unformed"};
    json_t *arr = c->json ? json_array() : NULL;
    if (!arr)
        printf("%-24s %8s %-18s %s\n", "Module", "Size", "Address", "State");
    for (size_t i = 0; i < n; i++) {
        const char *st = m[i].state >= 0 && m[i].state < 4 ? states[m[i].state] : "?";
        if (arr)
            json_array_append_new(
                arr, json_pack("{s:s,s:I,s:o,s:I,s:s,s:o}", "name", m[i].name, "size",
                               (json_int_t)m[i].core_size, "base", hexj(m[i].base), "text_size",
                               (json_int_t)m[i].size, "state", st, "module", hexj(m[i].va)));
        else
            printf("%-24s %8llu 0x%016llx %s\n", m[i].name, (unsigned long long)m[i].core_size,
                   (unsigned long long)m[i].base, st);
    }
    free(m);
    if (arr) {
        json_t *j = json_pack("{s:o,s:o,s:s}", "modules", arr, "list_head", hexj(hi.modules_head),
                              "list_source", hi.modules_source);
        walk_report(&w, j);
        return cli_json_out(j);
    }
    walk_report(&w, NULL);
    return 0;
}

int cli_pid_ctx(const struct cli *c, armvmi_t *h, int32_t pid, struct armvmi_tt_config *ctx)
{
    armvmi_linux_t *lx;
    struct armvmi_linux_task t;
    struct armvmi_linux_profile prof = {0};
    if (c && cli_profile_load(c, &prof))
        return 1;
    if (armvmi_linux_open_profile(h, &prof, &lx)) {
        cli_profile_free(&prof);
        return cli_lib_err("--pid needs the guest's Linux kernel");
    }
    int r = armvmi_linux_find_task(lx, pid, &t);
    if (!r)
        r = armvmi_linux_task_ctx(lx, &t, ctx);
    armvmi_linux_close(lx);
    cli_profile_free(&prof);
    return r ? cli_lib_err(NULL) : 0;
}
