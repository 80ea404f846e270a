/* SPDX-License-Identifier: MIT */
/* trace.h — what the `armvmi trace` kinds share (cmd_trace.c): opening the target with the
 * process list, the options, the instruction at an event's PC and its process, hex for JSON,
 * and the listen loop with Ctrl-C handling and the closing summary. */
#ifndef ARMVMI_TOOL_TRACE_H
#define ARMVMI_TOOL_TRACE_H

#include <capstone/capstone.h>
#include <jansson.h>

#include <armvmi/events.h>

#include "cli.h"
#include "trace_proc.h"

struct trace {
    struct cli *c;
    armvmi_t *h;
    csh cs;
    bool cs_ok;
    struct trace_procs procs; /* the Linux processes, for naming (trace_proc.h); zeroed: none */
    uint64_t count, seen;
    const char *what;  /* the summary's noun for an event ("step", "hit"; NULL: "event") */
    bool debug_counts; /* the summary adds the hypervisor's filtered and handed-back counts */
    bool done;         /* a callback or tick ended the trace (e.g. its process is gone) */
    void (*tick)(struct trace *t); /* if set: called after every listen (at least once a second) */
    void *tick_arg;
};

/* Open the target (c's --vm), the disassembler and, with the VM paused, the process list. On
 * success the VM stays paused for the caller's own look (symbols, an address space) until
 * trace_resume; on failure everything is released and the error printed (returns 1). */
int trace_open(struct trace *t, struct cli *c, uint64_t count);
/* Resume the VM; notes on stderr that events will not name processes if there is no Linux. */
void trace_resume(struct trace *t);

/* How every trace kind names the process of an event (trace_proc.c), for its --help. */
#define TRACE_PROC_HELP                                                                            \
    "Each event names the process the vCPU ran (pid, comm): the task whose task_struct is\n"       \
    "SP_EL0 at EL1 (Linux's `current`), else whose mm->pgd is TTBR0's table; \"no process\"\n"     \
    "when none is (idle, a kernel thread on a borrowed address space). The task list is read\n"    \
    "at start and again when a lookup misses or finds a task that has changed since. In JSON:\n"   \
    "pid, tid, comm (null if no process) and proc = how it was found: current, ttbr0, none or\n"   \
    "unknown (no Linux layer).\n"

/* The options every trace kind takes: --count, --duration, --fail-closed, --busy-poll,
 * --monitor-timeout (TRACE_OPTS in its getopt table, trace_opt for each option seen). */
enum { TRACE_OPT_COUNT = 1900, TRACE_OPT_DURATION, TRACE_OPT_FC, TRACE_OPT_BUSY, TRACE_OPT_MTO };
#define TRACE_OPTS                                                                                 \
    {"count", required_argument, 0, TRACE_OPT_COUNT},                                              \
        {"duration", required_argument, 0, TRACE_OPT_DURATION},                                    \
        {"fail-closed", no_argument, 0, TRACE_OPT_FC},                                             \
        {"busy-poll", no_argument, 0, TRACE_OPT_BUSY},                                             \
    {                                                                                              \
        "monitor-timeout", required_argument, 0, TRACE_OPT_MTO                                     \
    }
struct trace_opts {
    uint64_t count, duration;
    struct armvmi_events_options eo;
};
/* 0: ch was one of them and is taken; 1: it is not one of them; -1: a bad value (reported). */
int trace_opt(int ch, const char *arg, struct trace_opts *o);

/* The instruction at r's PC, read through the vCPU's own EL1&0 tables, disassembled; its word in
 * *word if word is not NULL (0 if unreadable). */
void trace_disasm(struct trace *t, const struct armvmi_regs *r, char *out, size_t len,
                  uint32_t *word);
/* The process of the vCPU whose registers are r (trace_proc.h), named in text and JSON. */
void trace_proc_of(struct trace *t, const struct armvmi_regs *r, struct trace_proc *pr);
json_t *trace_hex(uint64_t v);
/* Print a JSON object as one line and free it. */
void trace_json_line(json_t *o);
/* After the registrations (rc: their status): listen until --count, --duration or Ctrl-C
 * unless rc; returns the status. */
int trace_run(struct trace *t, armvmi_events_t *ev, uint64_t duration, int rc);
/* Close ev (every trap removed) and print the summary; returns the status. */
int trace_end(struct trace *t, armvmi_events_t *ev, const struct armvmi_events_options *eo, int rc);
/* trace_run, then trace_end. */
int trace_listen(struct trace *t, armvmi_events_t *ev, const struct armvmi_events_options *eo,
                 uint64_t duration, int rc);
/* Close the process list, the disassembler and the target handle; returns rc. */
int trace_close(struct trace *t, int rc);
/* Attach with eo, catching SIGINT/SIGTERM for trace_listen; prints the error (NULL on failure). */
armvmi_events_t *trace_attach(struct trace *t, const struct armvmi_events_options *eo);

/* cmd_trace_regcall.c: `trace reg`, `trace smc`, `trace hvc` */
int trace_reg(struct cli *c, int argc, char **argv);
int trace_call(struct cli *c, int argc, char **argv, unsigned kind);
/* cmd_stepbrk.c: `trace step`, `trace break` */
int trace_step(struct cli *c, int argc, char **argv);
int trace_break(struct cli *c, int argc, char **argv);

#endif
