/* SPDX-License-Identifier: MIT */
/* cmd_psxview.c — armvmi psxview: hidden processes found by comparing kernel views. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/apps_procs.h>

#include "cli.h"

static const char psxview_help[] =
    "usage: armvmi [--vm SPEC] psxview [--all] [--json]\n"
    "Hidden processes: each process (thread-group leader) of the Linux guest is looked for in\n"
    "kernel structures kept independently, and the views that hold it are shown:\n"
    "  tasks     the task list from init_task (what `armvmi ps` walks)\n"
    "  pid_ns    the PID namespace's IDR (init_pid_ns): what the guest's /proc and kill() use\n"
    "  children  the children/sibling lists from init_task down\n"
    "  runqueue  each CPU's running task (rq->curr; idle CPUs show nothing): 'yes' or '-'\n"
    "A view that cannot be read says why and its column shows '?'. By default only processes\n"
    "missing from a view that should hold them are listed (pid 0, the idle task, is in no\n"
    "IDR; the runqueues hold only what runs), else one line says all views agree; --all lists\n"
    "every process. Offsets come from the kernel's BTF; a running VM is paused while read.\n"
    "--json: {processes: [{pid, name, task, seen: {VIEW: bool}, missing: [VIEW...], hidden}],\n"
    "views: {VIEW: {available, count, broken, message, source}}, hidden: [pid...], total}.\n"
    "Exit status: 0 clean; 1 when a process is hidden (in the IDR but not in the task list:\n"
    "alive for the guest, unlinked from the list ps-like tools walk), or on an error.\n";

static const char *cell(const struct armvmi_psx *r, const struct armvmi_psx_proc *p, int s)
{
    if (!r->view[s].available)
        return "?";
    if (p->seen & 1u << s)
        return "yes";
    return p->expected & 1u << s ? "no" : "-";
}

static json_t *view_json(const struct armvmi_psx_view *v)
{
    json_t *o = json_pack("{s:b,s:i,s:i}", "available", v->available, "count", (int)v->count,
                          "broken", (int)v->broken);
    if (v->msg[0])
        json_object_set_new(o, "message", json_string(v->msg));
    if (v->source[0])
        json_object_set_new(o, "source", json_string(v->source));
    return o;
}

static json_t *proc_json(const struct armvmi_psx *r, const struct armvmi_psx_proc *p)
{
    char task[32];
    snprintf(task, sizeof(task), "0x%llx", (unsigned long long)p->task);
    json_t *seen = json_object(), *missing = json_array();
    uint32_t miss = armvmi_psx_missing(r, p);
    for (int s = 0; s < ARMVMI_PSX_NSOURCES; s++) {
        const char *name = armvmi_psx_source_name(s);
        json_object_set_new(seen, name,
                            r->view[s].available ? json_boolean(p->seen & 1u << s) : json_null());
        if (miss & 1u << s)
            json_array_append_new(missing, json_string(name));
    }
    return json_pack("{s:i,s:s,s:s,s:o,s:o,s:b}", "pid", (int)p->pid, "name", p->name, "task", task,
                     "seen", seen, "missing", missing, "hidden", armvmi_psx_hidden(r, p));
}

static int report(struct cli *c, const struct armvmi_psx *r, bool all)
{
    json_t *arr = c->json ? json_array() : NULL, *hidden = c->json ? json_array() : NULL;
    size_t listed = 0, nhidden = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct armvmi_psx_proc *p = &r->procs[i];
        bool h = armvmi_psx_hidden(r, p);
        nhidden += h;
        if (h && hidden)
            json_array_append_new(hidden, json_integer(p->pid));
        if (!all && !armvmi_psx_missing(r, p))
            continue;
        if (arr) {
            json_array_append_new(arr, proc_json(r, p));
        } else {
            if (listed == 0)
                printf("%7s %-18s %-5s %-6s %-8s %-8s %s\n", "PID", "TASK", "TASKS", "PID_NS",
                       "CHILDREN", "RUNQUEUE", "NAME");
            printf("%7d 0x%-16llx %-5s %-6s %-8s %-8s %s%s\n", (int)p->pid,
                   (unsigned long long)p->task, cell(r, p, ARMVMI_PSX_TASKS),
                   cell(r, p, ARMVMI_PSX_PIDS), cell(r, p, ARMVMI_PSX_CHILDREN),
                   cell(r, p, ARMVMI_PSX_RUNQUEUE), p->name, h ? "  <- hidden" : "");
        }
        listed++;
    }
    if (c->json) {
        json_t *views = json_object();
        for (int s = 0; s < ARMVMI_PSX_NSOURCES; s++)
            json_object_set_new(views, armvmi_psx_source_name(s), view_json(&r->view[s]));
        cli_json_out(json_pack("{s:o,s:o,s:o,s:i}", "processes", arr, "views", views, "hidden",
                               hidden, "total", (int)r->n));
        return nhidden ? 1 : 0;
    }
    for (int s = 0; s < ARMVMI_PSX_NSOURCES; s++) {
        const struct armvmi_psx_view *v = &r->view[s];
        if (!v->available)
            fprintf(stderr, "armvmi: view %s not available: %s\n", armvmi_psx_source_name(s),
                    v->msg);
        else if (v->broken)
            fprintf(stderr, "armvmi: warning: view %s: %u broken entr%s; first: %s\n",
                    armvmi_psx_source_name(s), v->broken, v->broken == 1 ? "y" : "ies", v->msg);
    }
    if (listed == 0)
        printf("%zu processes, seen by every view that should see them.\n", r->n);
    if (nhidden)
        printf("%zu hidden process%s: in the PID namespace but not in the task list.\n", nhidden,
               nhidden == 1 ? "" : "es");
    return nhidden ? 1 : 0;
}

int cmd_psxview(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    bool all = false;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
        if (o == 'a') {
            all = true;
        } else if (o == 'h') {
            fputs(psxview_help, stdout);
            return 0;
        } else {
            fputs(psxview_help, stderr);
            return 2;
        }
    }
    if (optind != argc)
        return cli_err("psxview takes no arguments (got '%s').", argv[optind]);
    armvmi_t *h;
    bool paused;
    if (cli_open_held(c, &h, &paused))
        return 1;
    armvmi_linux_t *lx = NULL;
    struct armvmi_psx r;
    int ret;
    if (armvmi_linux_open(h, &lx)) {
        ret = cli_lib_err("cannot read the Linux kernel");
    } else if (armvmi_psx_scan(h, lx, &r)) {
        ret = cli_lib_err("cannot collect the processes");
    } else {
        ret = report(c, &r, all);
        armvmi_psx_free(&r);
    }
    armvmi_linux_close(lx);
    if (paused)
        armvmi_resume(h);
    armvmi_close(h);
    return ret;
}
