/* SPDX-License-Identifier: MIT */
/* bench_ps.c — `armvmi ps` through the library: cold (fresh process) and warm listings. */
/*
 * usage: bench_ps TARGET [rounds] [guest-ps-ms]
 * TARGET is a VM name (paused by the caller, or paused here) or a dump. Measures, on one core:
 *   - cold: in a fresh (forked) process each time: armvmi_open + the pause check of
 *     `armvmi ps` + armvmi_linux_open (discovery, BTF, init_task/modules looked up in kallsyms
 *     without decoding the whole table, init_task from the code of a function) + one
 *     full listing (armvmi_linux_tasks, processes only); median of the rounds, with the
 *     phases (open / discover / BTF / symbols / listing) measured the same way in other fresh
 *     processes, through the public calls armvmi_linux_open makes;
 *   - warm: the second and later listings in one process (median of 50), per 500 processes.
 * guest-ps-ms, if given, is the guest's own `ps` time (measured inside the guest by
 * bench/ps.sh) for the ratio column. Output: a table, then one "RESULT key value" line per
 * figure for scripts.
 */
#include <armvmi/armvmi.h>
#include <armvmi/linuxos.h>
#include <armvmi/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_util.h"

#define MAX_ROUNDS 50
#define WARM 50
#define NPHASE 6

/* Phases 0-2 come from the cold runs, 3-5 from separate fresh processes (the steps inside
 * armvmi_linux_open, through the same public calls it makes). */
static const char *const phase_name[NPHASE] = {"open target (+ pause check)",
                                               "armvmi_linux_open, of which:",
                                               "first listing",
                                               "  discovery (VMCOREINFO scan)",
                                               "  BTF search + index",
                                               "  symbols (kallsyms: init_task, modules, 3 fns)"};

/* Open target as `armvmi ps` does (a pause held by the handle, nested if the VM is already
 * paused: it lets the handle cache translations); 0 or -1. */
static int open_target(const char *target, armvmi_t **h, bool *paused)
{
    *paused = false;
    if (armvmi_open(h, target))
        return -1;
    struct armvmi_info in;
    armvmi_get_info(*h, &in);
    if (in.caps & ARMVMI_CAP_PAUSE) {
        if (armvmi_pause(*h))
            return -1;
        *paused = true;
    }
    return 0;
}

/* Number of processes in a listing (the idle task, pid 0, is not one). */
static size_t nproc(const struct armvmi_linux_task *t, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += t[i].pid != 0;
    return k;
}

/* One cold run in this (fresh) process: out[] = total, processes listed, then the seconds of
 * open target, armvmi_linux_open and the first listing. */
static int cold_total(const char *target, double *out)
{
    armvmi_t *h;
    bool paused;
    armvmi_linux_t *lx;
    struct armvmi_linux_task *t;
    size_t n;
    struct armvmi_linux_walk w;
    double t0 = now();
    if (open_target(target, &h, &paused))
        return -1;
    double t1 = now();
    if (armvmi_linux_open(h, &lx))
        return -1;
    double t2 = now();
    if (armvmi_linux_tasks(lx, false, &t, &n, &w))
        return -1;
    double t3 = now();
    out[0] = t3 - t0;
    out[1] = (double)nproc(t, n);
    out[2] = t1 - t0;
    out[3] = t2 - t1;
    out[4] = t3 - t2;
    free(t);
    armvmi_linux_close(lx);
    if (paused)
        armvmi_resume(h);
    armvmi_close(h);
    return 0;
}

/* The three steps of armvmi_linux_open through their public calls, in a fresh process:
 * out[] = seconds of discovery, BTF search, symbols. */
static int cold_steps(const char *target, double *out)
{
    armvmi_t *h;
    bool paused;
    struct armvmi_linux_kernel *k = malloc(sizeof(*k));
    armvmi_types_t *ty;
    /* as armvmi_linux_open asks: kallsyms only (init_task from the code of these functions) */
    static const char *const names[] = {"init_task", "modules", "show_state_filter",
                                        "normalize_rt_tasks", "thaw_processes"};
    struct armvmi_linux_sym sy[5];
    if (!k || open_target(target, &h, &paused))
        return -1;
    double t0 = now();
    if (armvmi_linux_discover_flags(h, k, ARMVMI_LINUX_DISCOVER_FIRST))
        return -1;
    double t1 = now();
    if (armvmi_linux_btf_find(h, k, &ty))
        return -1;
    double t2 = now();
    if (armvmi_linux_syms_find(h, k, ARMVMI_LINUX_SYMS_NO_KSYMTAB, names, 5, sy) < 0)
        return -1;
    double t3 = now();
    out[0] = t1 - t0;
    out[1] = t2 - t1;
    out[2] = t3 - t2;
    armvmi_types_close(ty);
    free(k);
    if (paused)
        armvmi_resume(h);
    armvmi_close(h);
    return 0;
}

/* Run fn in a forked child (a fresh process: no library state), its n doubles back by pipe. */
static int in_child(int (*fn)(const char *, double *), const char *target, double *out, size_t n)
{
    int p[2];
    if (pipe(p))
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(p[0]);
        int r = fn(target, out);
        if (r)
            fprintf(stderr, "bench_ps: %s\n", armvmi_errmsg());
        else if (write(p[1], out, n * sizeof(*out)) != (ssize_t)(n * sizeof(*out)))
            r = -1;
        _exit(r ? 1 : 0);
    }
    close(p[1]);
    ssize_t got = read(p[0], out, n * sizeof(*out));
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return got == (ssize_t)(n * sizeof(*out)) && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TARGET [rounds] [guest-ps-ms]\n", argv[0]);
        return 2;
    }
    const char *target = argv[1];
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 7;
    double guest_ms = argc > 3 ? atof(argv[3]) : 0;

    double cold[MAX_ROUNDS], ph[NPHASE][MAX_ROUNDS], procs = 0;
    for (int r = 0; r < rounds; r++) {
        double o[5], p[3];
        if (in_child(cold_total, target, o, 5) || in_child(cold_steps, target, p, 3)) {
            fprintf(stderr, "bench_ps: a cold run failed on %s\n", target);
            return 1;
        }
        cold[r] = o[0];
        procs = o[1];
        for (int i = 0; i < 3; i++) {
            ph[i][r] = o[2 + i];
            ph[3 + i][r] = p[i];
        }
    }

    armvmi_t *h;
    bool paused;
    armvmi_linux_t *lx;
    struct armvmi_linux_task *t;
    size_t n;
    struct armvmi_linux_walk w;
    if (open_target(target, &h, &paused) || armvmi_linux_open(h, &lx) ||
        armvmi_linux_tasks(lx, false, &t, &n, &w)) {
        fprintf(stderr, "bench_ps: %s\n", armvmi_errmsg());
        return 1;
    }
    free(t);
    double warm[WARM];
    size_t np = 0;
    for (int r = 0; r < WARM; r++) {
        double t0 = now();
        if (armvmi_linux_tasks(lx, false, &t, &n, &w)) {
            fprintf(stderr, "bench_ps: %s\n", armvmi_errmsg());
            return 1;
        }
        warm[r] = now() - t0;
        np = nproc(t, n);
        free(t);
    }
    armvmi_linux_close(lx);
    if (paused)
        armvmi_resume(h);
    armvmi_close(h);
    if ((double)np != procs)
        fprintf(stderr, "bench_ps: warning: %zu processes warm, %.0f cold\n", np, procs);

    double c = median(cold, rounds) * 1e3, wm = median(warm, WARM) * 1e3;
    double w500 = np ? wm * 500.0 / (double)np : 0;
    printf("armvmi ps on %s: %zu processes, cold median of %d fresh processes, warm median of "
           "%d listings, one core\n",
           target, np, rounds, WARM);
    printf("  cold (open + discovery + BTF + symbols + listing) %9.2f ms   %6.2fx goal (<= 50 "
           "ms)\n",
           c, c / 50.0);
    double pm[NPHASE];
    for (int i = 0; i < NPHASE; i++) {
        pm[i] = median(ph[i], rounds) * 1e3;
        printf("    %-46s %9.2f ms\n", phase_name[i], pm[i]);
    }
    /* medians of separate runs: noise can make this slightly negative */
    printf("    %-46s %9.2f ms\n", "  the rest (init_task, offsets; by difference)",
           pm[1] - pm[3] - pm[4] - pm[5]);
    printf("  warm listing                                     %9.3f ms (%.3f ms per 500)   "
           "%6.3fx goal (<= 0.5 ms / 500)\n",
           wm, w500, w500 / 0.5);
    if (guest_ms > 0) {
        double g500 = np ? guest_ms * 500.0 / (double)np : 0;
        printf("  guest's own busybox ps (in the guest)            %9.1f ms (%.1f ms per 500)\n",
               guest_ms, g500);
        printf("  guest ps / armvmi cold %.1fx, guest ps / armvmi warm %.0fx\n", guest_ms / c,
               guest_ms / wm);
    }
    printf("RESULT procs %zu\nRESULT cold_ms %.3f\nRESULT warm_ms %.4f\nRESULT warm500_ms %.4f\n",
           np, c, wm, w500);
    for (int i = 0; i < NPHASE; i++)
        printf("RESULT phase%d_ms %.3f\n", i, pm[i]);
    return 0;
}
