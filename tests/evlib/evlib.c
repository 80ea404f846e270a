/* SPDX-License-Identifier: MIT */
/* evlib.c — a test monitor built only on the public events API (include/armvmi/events.h). */
/*
 * usage: evlib VM conv PA rx2rw|n2rwx [--timeout S]
 *   Watches the frame of PA with the conversion and prints "EVLIB ready access=A" (A: the
 *   frame's access from the hypervisor's store), then one line per event
 *     EV seq=N access=r|w|x async=0|1 gpa=0x.. value=0x..|-
 *   until SIGINT/SIGTERM (or S seconds), then
 *     EVLIB end access=A events=N async=N unclaimed=N gaps=N dups=N bad=N
 *   and removes the watch ("EVLIB closed rc=0").
 *
 * usage: evlib VM stress [--busy] [--track PA]... [--cycle PA]... [--cycle-every N]
 *                        [--idle S] [--timeout S]
 *   Write-watches the frames of every --track and --cycle PA (STEP: each store happens once)
 *   and counts the events. Every N events, while the guest runs, the --track frames are
 *   re-registered (a new watch first, then the old one removed: never unprotected) and each
 *   --cycle frame's watch is removed, or set again if it was removed. Stops S seconds after the
 *   last event (--idle, once there was one) or after --timeout S. Prints
 *     EVLIB ready
 *     EVLIB track 0x.. events=N runs=N first=N last=N backwards=N   (per frame: written values)
 *     EVLIB seqcheck max=N missing=N dup=N events=N   (its own check of the events' seq)
 *     EVLIB stats events=N gaps=N dups=N bad=N unclaimed=N dropped=N hyp_errors=N
 *     EVLIB cycles=N failed=N
 *     EVLIB rate events=N seconds=S per_second=N
 *     EVLIB closed rc=0
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <armvmi/events.h>

#define MAX_PAGES 16
#define SEQ_LIMIT (1ull << 32) /* a seq beyond this is counted as bad, not tracked */

static armvmi_events_t *volatile the_ev;

static void on_signal(int sig)
{
    (void)sig;
    armvmi_events_t *ev = the_ev;
    if (ev)
        armvmi_events_interrupt(ev);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *access_name(unsigned a, char buf[8])
{
    if (a == ARMVMI_MEM_RX2RW)
        return "rx2rw";
    if (a == ARMVMI_MEM_N2RWX)
        return "n2rwx";
    int n = 0;
    if (a & ARMVMI_MEM_R)
        buf[n++] = 'r';
    if (a & ARMVMI_MEM_W)
        buf[n++] = 'w';
    if (a & ARMVMI_MEM_X)
        buf[n++] = 'x';
    if (!n)
        buf[n++] = 'n';
    buf[n] = 0;
    return buf;
}

/* One watched frame and the values written to it. */
struct page {
    uint64_t pa;
    bool cycle; /* cleared and re-set (else re-registered, never unprotected) */
    int id;     /* its registration, -1 while cleared */
    uint64_t events, runs, first, last, backwards;
};

static struct mon {
    struct page pages[MAX_PAGES];
    int npages;
    uint64_t seen, last_seq, cycle_every, next_cycle;
    uint8_t *seq_seen;
    uint64_t seq_cap, seq_max, seq_dup, seq_bad;
    double first_t, last_t;
} M;

static void seq_note(uint64_t s)
{
    if (s == 0 || s > SEQ_LIMIT) {
        M.seq_bad++;
        return;
    }
    if (s >= M.seq_cap) {
        uint64_t cap = M.seq_cap ? M.seq_cap : 1 << 16;
        while (cap <= s)
            cap *= 2;
        uint8_t *n = realloc(M.seq_seen, cap);
        if (!n) {
            M.seq_bad++;
            return;
        }
        memset(n + M.seq_cap, 0, cap - M.seq_cap);
        M.seq_seen = n, M.seq_cap = cap;
    }
    if (M.seq_seen[s]++)
        M.seq_dup++;
    if (s > M.seq_max)
        M.seq_max = s;
}

static int on_stress(armvmi_events_t *ev, const struct armvmi_mem_event *e,
                     struct armvmi_mem_response *rsp, void *arg)
{
    (void)ev, (void)arg;
    rsp->action = ARMVMI_MEM_STEP;
    /* one event reaches every registration covering it: a re-registered frame's two */
    if (e->seq == M.last_seq && M.seen)
        return 0;
    M.last_seq = e->seq;
    M.seen++;
    M.last_t = now_s();
    if (M.seen == 1)
        M.first_t = M.last_t;
    seq_note(e->seq);
    for (int i = 0; i < M.npages; i++) {
        struct page *p = &M.pages[i];
        if (e->gpa >> 12 != p->pa >> 12 || e->access != ARMVMI_MEM_W ||
            !(e->flags & ARMVMI_MEMF_VALUE))
            continue;
        if (!p->events++)
            p->runs = 1, p->first = e->value;
        else if (e->value > p->last + 1)
            p->runs++;
        else if (e->value != p->last + 1)
            p->backwards++;
        p->last = e->value;
    }
    /* back to the main loop, which changes the watches (callbacks cannot) */
    return M.cycle_every && M.seen >= M.next_cycle;
}

static int on_conv(armvmi_events_t *ev, const struct armvmi_mem_event *e,
                   struct armvmi_mem_response *rsp, void *arg)
{
    (void)ev, (void)arg;
    char a[8];
    printf("EV seq=%" PRIu64 " access=%s async=%d gpa=0x%" PRIx64 " value=", e->seq,
           access_name(e->access, a), !!(e->flags & ARMVMI_MEMF_ASYNC), e->gpa);
    if (e->flags & ARMVMI_MEMF_VALUE)
        printf("0x%" PRIx64 "\n", e->value);
    else
        printf("-\n");
    fflush(stdout);
    rsp->action = ARMVMI_MEM_SKIP; /* ignored for an async event: the vCPU did not wait */
    return 0;
}

static int fail(const char *what)
{
    fprintf(stderr, "evlib: %s: %s\n", what, armvmi_errmsg());
    return 1;
}

/* Listen once (up to 200 ms): 0 to go on, 1 interrupted (SIGINT/SIGTERM), -1 failed. */
static int listen_step(armvmi_events_t *ev)
{
    int n = armvmi_events_listen(ev, 200);
    if (n == -ARMVMI_EINTR)
        return 1;
    return n < 0 ? -fail("listen") : 0;
}

static int print_access(armvmi_events_t *ev, uint64_t pa, const char *prefix)
{
    unsigned acc;
    char a[8];
    if (armvmi_mem_get_access(ev, pa >> 12, &acc))
        return fail("get access");
    printf("%s access=%s", prefix, access_name(acc, a));
    return 0;
}

static int run_conv(armvmi_events_t *ev, uint64_t pa, unsigned conv, double timeout)
{
    int id;
    if (armvmi_mem_watch_pa(ev, pa, 1, conv, on_conv, NULL, &id))
        return fail("watch");
    if (print_access(ev, pa, "EVLIB ready"))
        return 1;
    printf("\n");
    fflush(stdout);
    double end = now_s() + timeout;
    int step = 0;
    while (now_s() < end && !(step = listen_step(ev)))
        ;
    int rc = step < 0;
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    if (print_access(ev, pa, "EVLIB end"))
        return 1;
    printf(" events=%" PRIu64 " async=%" PRIu64 " unclaimed=%" PRIu64 " gaps=%" PRIu64
           " dups=%" PRIu64 " bad=%" PRIu64 "\n",
           st.events, st.async_events, st.unclaimed, st.seq_gaps, st.seq_dups, st.bad_events);
    if (armvmi_mem_unwatch(ev, id))
        rc = fail("unwatch");
    return rc;
}

/* One round of changes: --track frames re-registered, --cycle frames cleared or re-set. */
static unsigned cycle(armvmi_events_t *ev)
{
    unsigned failed = 0;
    for (int i = 0; i < M.npages; i++) {
        struct page *p = &M.pages[i];
        if (!p->cycle) {
            int id;
            if (armvmi_mem_watch_pa(ev, p->pa, 1, ARMVMI_MEM_W, on_stress, NULL, &id) ||
                armvmi_mem_unwatch(ev, p->id)) {
                fprintf(stderr, "evlib: re-registering 0x%" PRIx64 ": %s\n", p->pa,
                        armvmi_errmsg());
                failed++;
                continue;
            }
            p->id = id;
        } else if (p->id >= 0) {
            if (armvmi_mem_unwatch(ev, p->id)) {
                fprintf(stderr, "evlib: clearing 0x%" PRIx64 ": %s\n", p->pa, armvmi_errmsg());
                failed++;
            } else {
                p->id = -1;
            }
        } else if (armvmi_mem_watch_pa(ev, p->pa, 1, ARMVMI_MEM_W, on_stress, NULL, &p->id)) {
            fprintf(stderr, "evlib: re-setting 0x%" PRIx64 ": %s\n", p->pa, armvmi_errmsg());
            p->id = -1;
            failed++;
        }
    }
    return failed;
}

static int run_stress(armvmi_events_t *ev, double idle, double timeout)
{
    for (int i = 0; i < M.npages; i++)
        if (armvmi_mem_watch_pa(ev, M.pages[i].pa, 1, ARMVMI_MEM_W, on_stress, NULL,
                                &M.pages[i].id))
            return fail("watch");
    printf("EVLIB ready\n");
    fflush(stdout);
    M.next_cycle = M.cycle_every;
    uint64_t cycles = 0, failed = 0;
    double start = now_s();
    int rc = 0;
    for (;;) {
        int step = listen_step(ev);
        if (step) {
            rc = step < 0;
            break;
        }
        if (M.cycle_every && M.seen >= M.next_cycle) {
            failed += cycle(ev);
            cycles++;
            M.next_cycle = M.seen + M.cycle_every;
        }
        double t = now_s();
        if (t - start > timeout || (idle > 0 && M.seen && t - M.last_t > idle))
            break;
    }
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    for (int i = 0; i < M.npages; i++) {
        const struct page *p = &M.pages[i];
        printf("EVLIB track 0x%" PRIx64 " events=%" PRIu64 " runs=%" PRIu64 " first=%" PRIu64
               " last=%" PRIu64 " backwards=%" PRIu64 "\n",
               p->pa, p->events, p->runs, p->first, p->last, p->backwards);
    }
    uint64_t missing = 0;
    for (uint64_t s = 1; s <= M.seq_max; s++)
        missing += !M.seq_seen[s];
    printf("EVLIB seqcheck max=%" PRIu64 " missing=%" PRIu64 " dup=%" PRIu64 " bad=%" PRIu64
           " events=%" PRIu64 "\n",
           M.seq_max, missing, M.seq_dup, M.seq_bad, M.seen);
    printf("EVLIB stats events=%" PRIu64 " gaps=%" PRIu64 " dups=%" PRIu64 " bad=%" PRIu64
           " unclaimed=%" PRIu64 " dropped=%" PRIu64 " hyp_errors=%" PRIu64 "\n",
           st.events, st.seq_gaps, st.seq_dups, st.bad_events, st.unclaimed, st.async_dropped,
           st.hyp_errors);
    if (st.last_problem[0])
        printf("EVLIB problem %s\n", st.last_problem);
    printf("EVLIB cycles=%" PRIu64 " failed=%" PRIu64 "\n", cycles, failed);
    double secs = M.seen > 1 ? M.last_t - M.first_t : 0;
    printf("EVLIB rate events=%" PRIu64 " seconds=%.3f per_second=%.0f\n", M.seen, secs,
           secs > 0 ? (double)M.seen / secs : 0.0);
    free(M.seq_seen);
    return rc;
}

static int usage(void)
{
    fputs("usage: evlib VM conv PA rx2rw|n2rwx [--timeout S]\n"
          "       evlib VM stress [--busy] [--track PA]... [--cycle PA]... [--cycle-every N]\n"
          "                       [--idle S] [--timeout S]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    bool conv_mode = !strcmp(argv[2], "conv");
    if (!conv_mode && strcmp(argv[2], "stress"))
        return usage();
    struct armvmi_events_options eo = {0};
    double idle = 0, timeout = 600;
    uint64_t conv_pa = 0;
    unsigned conv = 0;
    int i = 3;
    if (conv_mode) {
        if (argc < 5)
            return usage();
        conv_pa = strtoull(argv[3], NULL, 0);
        conv = !strcmp(argv[4], "rx2rw")   ? ARMVMI_MEM_RX2RW
               : !strcmp(argv[4], "n2rwx") ? ARMVMI_MEM_N2RWX
                                           : 0;
        if (!conv)
            return usage();
        i = 5;
    }
    for (; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--busy")) {
            eo.busy_poll = true;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--timeout"))
            timeout = atof(v);
        else if (!strcmp(a, "--idle"))
            idle = atof(v);
        else if (!strcmp(a, "--cycle-every"))
            M.cycle_every = strtoull(v, NULL, 0);
        else if ((!strcmp(a, "--track") || !strcmp(a, "--cycle")) && M.npages < MAX_PAGES)
            M.pages[M.npages++] =
                (struct page){.pa = strtoull(v, NULL, 0), .cycle = a[2] == 'c', .id = -1};
        else
            return usage();
    }
    armvmi_t *h;
    if (armvmi_open(&h, argv[1]))
        return fail("open");
    armvmi_events_t *ev;
    if (armvmi_events_attach(h, &eo, &ev)) {
        int rc = fail("attach");
        armvmi_close(h);
        return rc;
    }
    the_ev = ev;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = conv_mode ? run_conv(ev, conv_pa, conv, timeout) : run_stress(ev, idle, timeout);
    the_ev = NULL;
    int crc = armvmi_events_close(ev);
    if (crc && !rc)
        rc = fail("close");
    printf("EVLIB closed rc=%d\n", crc);
    armvmi_close(h);
    return rc;
}
