/* SPDX-License-Identifier: MIT */
/* evmon.c — a raw-ABI test monitor for the hypervisor's VMI events: maps a --hyp VM's RAM file
 * and speaks include/armvmi/abi.h directly (also the hostile-monitor tool of the tests). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <armvmi/abi.h>

static const char *usage_text =
    "usage: evmon RUNDIR [options]\n"
    "  --set PA[+LEN]=ACC   set access (n r w x rw rx wx rwx rx2rw n2rwx) on the frames\n"
    "  --action A           step (default), continue, skip, emulate:VALUE\n"
    "  --then-access ACC    respond with SET_ACCESS ACC as well\n"
    "  --count N            stop after N events (default 1000000)\n"
    "  --timeout S          stop after S seconds (default 60)\n"
    "  --fail-closed --busy --timeout-ms MS   ATTACH flags and liveness timeout\n"
    "  --idle S             stop S seconds after the last event (once there was one)\n"
    "  --get-at-end PA      print the access of PA's frame before detaching\n"
    "  --status             print the channel's state and the slots', without attaching\n"
    "  --pause-ms MS        PAUSE every vCPU for MS ms (records checked), then RESUME\n"
    "  --no-detach          end without DETACH (as if killed)\n"
    "  --hostile MODE       badseq|garbage|badaccess|badregs|emulate-nosyn: answer every event so\n"
    "  --bad-commands       post out-of-range, carve-out and unknown commands first\n"
    "Prints one line per event: EV seq= vcpu= gpa= gva= access= flags= size= reg= value= pc=\n";

static uint8_t *ram;
static size_t ram_len;
static volatile struct armvmi_abi_chan *chan;
static volatile sig_atomic_t stop;

static void *pa_ptr(uint64_t pa)
{
    if (pa < ARMVMI_CARVE_BASE || pa - ARMVMI_CARVE_BASE >= ram_len)
        return NULL;
    return ram + (pa - ARMVMI_CARVE_BASE);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void heartbeat(void)
{
    __atomic_add_fetch(&chan->mon_heartbeat, 1, __ATOMIC_RELEASE);
}

static int parse_acc(const char *s)
{
    static const char *const names[] = {"n",  "r",  "w",   "rw",    "x",
                                        "rx", "wx", "rwx", "rx2rw", "n2rwx"};
    for (int i = 0; i < 10; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

static const char *acc_name(uint32_t a)
{
    return a == ARMVMI_ACC_R ? "r" : a == ARMVMI_ACC_W ? "w" : a == ARMVMI_ACC_X ? "x" : "?";
}

static void print_event(const struct armvmi_abi_event *ev)
{
    printf("EV seq=%" PRIu64 " vcpu=%u type=%u gpa=0x%" PRIx64 " gva=0x%" PRIx64
           " access=%s flags=0x%x size=%u reg=%u value=0x%" PRIx64 " pc=0x%" PRIx64 " pageacc=%u\n",
           ev->seq, ev->vcpu, ev->type, ev->gpa, ev->gva, acc_name(ev->access), ev->flags, ev->size,
           ev->reg, ev->value, ev->regs.pc, ev->page_access);
    fflush(stdout);
}

static volatile struct armvmi_abi_slot *slot_at(unsigned v)
{
    return pa_ptr(ARMVMI_CHAN_ADDR + ARMVMI_CHAN_SLOTS_OFF + v * ARMVMI_CHAN_SLOT_STRIDE);
}

/* The vCPU records' states, "s0,s1,..." (ARMVMI_VCPU_*). */
static const char *vcpu_states(unsigned n)
{
    static char buf[64];
    size_t len = 0;
    buf[0] = 0;
    for (unsigned v = 0; v < n && v < ARMVMI_MAX_VCPUS; v++) {
        volatile struct armvmi_abi_vcpu *r = pa_ptr(ARMVMI_VCPU_REC(v));
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u", v ? "," : "", r->state);
    }
    return buf;
}

/* Post one command and wait for it; returns its status (or -1 on timeout). */
static int command(uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *result)
{
    uint64_t head = chan->cmd_head;
    volatile struct armvmi_abi_cmd *c =
        (volatile struct armvmi_abi_cmd *)((uint8_t *)chan + ARMVMI_CHAN_CMDS_OFF) +
        (head % ARMVMI_CHAN_CMD_RING);
    double t0 = now_s();

    c->id = head;
    c->op = op;
    c->arg[0] = a0;
    c->arg[1] = a1;
    c->arg[2] = a2;
    c->arg[3] = 0;
    c->result[0] = c->result[1] = 0;
    __atomic_store_n(&c->status, ARMVMI_CMDS_PENDING, __ATOMIC_RELEASE);
    __atomic_store_n(&chan->cmd_head, head + 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&chan->cmd_done, __ATOMIC_ACQUIRE) <= head) {
        if (now_s() - t0 > 10)
            return -1;
        heartbeat();
        usleep(200);
    }
    if (result)
        *result = c->result[0];
    return (int)c->status;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    const char *rundir = NULL, *action = "step", *hostile = NULL;
    struct {
        uint64_t pa, len;
        int acc;
    } sets[16];
    int nsets = 0, then_acc = -1;
    uint64_t count = 1000000, timeout_ms = 0, emu_value = 0, flags = 0, seen = 0, async_seen = 0;
    double timeout = 60, idle = 0, last_ev = 0;
    uint64_t get_at_end = 0;
    bool detach = true, bad_commands = false, status_only = false;
    uint64_t pause_ms = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--set") && v) {
            char spec[128], *eq, *plus;
            snprintf(spec, sizeof(spec), "%s", v);
            if (!(eq = strchr(spec, '=')) || nsets == 16)
                goto usage;
            *eq = 0;
            plus = strchr(spec, '+');
            if (plus)
                *plus = 0;
            sets[nsets].pa = strtoull(spec, NULL, 0);
            sets[nsets].len = plus ? strtoull(plus + 1, NULL, 0) : 4096;
            sets[nsets].acc = parse_acc(eq + 1);
            if (sets[nsets].acc < 0)
                goto usage;
            nsets++;
            i++;
        } else if (!strcmp(a, "--action") && v) {
            action = v;
            if (!strncmp(v, "emulate:", 8))
                emu_value = strtoull(v + 8, NULL, 0);
            i++;
        } else if (!strcmp(a, "--then-access") && v) {
            if ((then_acc = parse_acc(v)) < 0)
                goto usage;
            i++;
        } else if (!strcmp(a, "--count") && v) {
            count = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--timeout") && v) {
            timeout = atof(v);
            i++;
        } else if (!strcmp(a, "--idle") && v) {
            idle = atof(v);
            i++;
        } else if (!strcmp(a, "--get-at-end") && v) {
            get_at_end = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--timeout-ms") && v) {
            timeout_ms = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--hostile") && v) {
            hostile = v;
            i++;
        } else if (!strcmp(a, "--fail-closed")) {
            flags |= ARMVMI_MON_F_FAIL_CLOSED;
        } else if (!strcmp(a, "--busy")) {
            flags |= ARMVMI_MON_F_BUSY_POLL;
        } else if (!strcmp(a, "--no-detach")) {
            detach = false;
        } else if (!strcmp(a, "--status")) {
            status_only = true;
        } else if (!strcmp(a, "--pause-ms") && v) {
            pause_ms = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--bad-commands")) {
            bad_commands = true;
        } else if (a[0] != '-' && !rundir) {
            rundir = a;
        } else {
            goto usage;
        }
    }
    if (!rundir)
        goto usage;

    char path[4096];
    snprintf(path, sizeof(path), "%s/ram", rundir);
    int fd = open(path, O_RDWR);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        fprintf(stderr, "evmon: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    ram_len = (size_t)st.st_size;
    ram = mmap(NULL, ram_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ram == MAP_FAILED || ram_len < ARMVMI_CHAN_ADDR + ARMVMI_CHAN_SIZE - ARMVMI_CARVE_BASE) {
        fprintf(stderr, "evmon: cannot map %s\n", path);
        return 1;
    }
    chan = pa_ptr(ARMVMI_CHAN_ADDR);
    if (chan->magic != ARMVMI_CHAN_MAGIC || chan->version != ARMVMI_ABI_VERSION) {
        fprintf(stderr, "evmon: no monitor channel (magic 0x%" PRIx64 ", version %u)\n",
                (uint64_t)chan->magic, chan->version);
        return 1;
    }
    if (status_only) {
        printf("EVMON status attached=%u session=%" PRIu64 " seq=%" PRIu64 " mon_timeouts=%" PRIu64
               " errors=%" PRIu64 " slots=",
               chan->attached, (uint64_t)chan->session, (uint64_t)chan->seq,
               (uint64_t)chan->mon_timeouts, (uint64_t)chan->errors);
        for (unsigned v = 0; v < chan->ncpus && v < ARMVMI_MAX_VCPUS; v++)
            printf("%s%u", v ? "," : "", slot_at(v)->state);
        printf(" vcpus=%s\n", vcpu_states(chan->ncpus));
        return 0;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    chan->mon_magic = ARMVMI_MON_MAGIC;
    chan->mon_flags = (uint32_t)flags;
    chan->async_tail = chan->async_head;
    uint64_t cmd_done = chan->cmd_done;
    chan->cmd_head = cmd_done; /* a previous monitor's unfinished commands are abandoned */
    int s = command(ARMVMI_CMD_ATTACH, flags, timeout_ms, 0, NULL);
    printf("EVMON attach status=%d session=%" PRIu64 " ncpus=%u\n", s, (uint64_t)chan->session,
           chan->ncpus);
    if (s != ARMVMI_CMDS_OK)
        return 1;
    if (bad_commands) {
        uint64_t carve_frame = ARMVMI_CHAN_ADDR >> 12,
                 ram_end = (ARMVMI_CARVE_BASE + ram_len) >> 12;
        printf("EVMON bad set_access carve-out status=%d\n",
               command(ARMVMI_CMD_SET_ACCESS, carve_frame, 1, ARMVMI_ACC_N, NULL));
        printf("EVMON bad set_access beyond-ram status=%d\n",
               command(ARMVMI_CMD_SET_ACCESS, ram_end - 1, 2, ARMVMI_ACC_N, NULL));
        printf("EVMON bad set_access wrap status=%d\n",
               command(ARMVMI_CMD_SET_ACCESS, ram_end - 1, UINT64_MAX, ARMVMI_ACC_N, NULL));
        printf("EVMON bad set_access value status=%d\n",
               command(ARMVMI_CMD_SET_ACCESS, ram_end - 1, 1, 77, NULL));
        printf("EVMON bad op status=%d\n", command(999, 0, 0, 0, NULL));
        printf("EVMON bad pause status=%d\n", command(ARMVMI_CMD_PAUSE, 1ULL << 40, 0, 0, NULL));
        printf("EVMON bad attach-again status=%d\n", command(ARMVMI_CMD_ATTACH, 0, 0, 0, NULL));
    }
    if (pause_ms) {
        uint64_t all = (1ULL << chan->ncpus) - 1;
        double tp = now_s();
        s = command(ARMVMI_CMD_PAUSE, all, 0, 0, NULL);
        /* every record IN_HYP (the vCPUs stopped), and they stay so */
        while (strspn(vcpu_states(chan->ncpus), "2,") != strlen(vcpu_states(chan->ncpus)) &&
               now_s() - tp < 5)
            heartbeat();
        printf("EVMON pause status=%d vcpus=%s after=%.0fms\n", s, vcpu_states(chan->ncpus),
               (now_s() - tp) * 1000);
        uint64_t exits0 = 0, exits1 = 0;
        for (unsigned v = 0; v < chan->ncpus; v++)
            exits0 += ((struct armvmi_abi_vcpu *)pa_ptr(ARMVMI_VCPU_REC(v)))->exits;
        while (now_s() - tp < pause_ms / 1000.0) {
            heartbeat();
            usleep(1000);
        }
        for (unsigned v = 0; v < chan->ncpus; v++)
            exits1 += ((struct armvmi_abi_vcpu *)pa_ptr(ARMVMI_VCPU_REC(v)))->exits;
        printf("EVMON paused vcpus=%s exits-during-pause=%" PRIu64 "\n", vcpu_states(chan->ncpus),
               exits1 - exits0);
        s = command(ARMVMI_CMD_RESUME, all, 0, 0, NULL);
        printf("EVMON resume status=%d\n", s);
    }
    for (int i = 0; i < nsets; i++) {
        uint64_t res = 0;
        s = command(ARMVMI_CMD_SET_ACCESS, sets[i].pa >> 12, (sets[i].len + 4095) >> 12,
                    (uint64_t)sets[i].acc, &res);
        printf("EVMON set 0x%" PRIx64 "+0x%" PRIx64 " acc=%d status=%d frames=%" PRIu64 "\n",
               sets[i].pa, sets[i].len, sets[i].acc, s, res);
        command(ARMVMI_CMD_GET_ACCESS, sets[i].pa >> 12, 0, 0, &res);
        printf("EVMON get 0x%" PRIx64 " acc=%" PRIu64 "\n", sets[i].pa, res);
    }
    printf("EVMON ready\n");
    fflush(stdout);

    double t0 = now_s();
    uint64_t last_hb = 0;
    while (!stop && seen + async_seen < count && now_s() - t0 < timeout) {
        bool any = false;
        if ((uint64_t)(now_s() * 1000) != last_hb) {
            last_hb = (uint64_t)(now_s() * 1000);
            heartbeat();
        }
        for (unsigned v = 0; v < chan->ncpus && v < ARMVMI_MAX_VCPUS; v++) {
            volatile struct armvmi_abi_slot *sl = slot_at(v);
            if (__atomic_load_n(&sl->state, __ATOMIC_ACQUIRE) != ARMVMI_SLOT_POSTED)
                continue;
            struct armvmi_abi_event ev;
            memcpy(&ev, (const void *)&sl->ev, sizeof(ev));
            print_event(&ev);
            struct armvmi_abi_response r;
            memset(&r, 0, sizeof(r));
            r.seq = ev.seq;
            if (!strcmp(action, "continue"))
                r.action = ARMVMI_RSP_CONTINUE;
            else if (!strcmp(action, "skip"))
                r.action = ARMVMI_RSP_SKIP;
            else if (!strncmp(action, "emulate", 7))
                r.action = ARMVMI_RSP_EMULATE, r.value = emu_value;
            else
                r.action = ARMVMI_RSP_STEP;
            if (then_acc >= 0)
                r.flags |= ARMVMI_RSPF_SET_ACCESS, r.new_access = (uint32_t)then_acc;
            if (hostile) {
                if (!strcmp(hostile, "badseq"))
                    r.seq = ev.seq + 1000;
                else if (!strcmp(hostile, "garbage"))
                    memset((uint8_t *)&r + 8, 0xa5, sizeof(r) - 8);
                else if (!strcmp(hostile, "badaccess"))
                    r.flags |= ARMVMI_RSPF_SET_ACCESS, r.new_access = 0x1234;
                else if (!strcmp(hostile, "badregs"))
                    r.flags |= ARMVMI_RSPF_SET_REGS, r.reg_mask = 1ULL << ARMVMI_RSP_REG_PSTATE,
                                                     r.pstate = 0x9; /* EL2h */
                else if (!strcmp(hostile, "emulate-nosyn"))
                    r.action = ARMVMI_RSP_EMULATE;
            }
            memcpy((void *)&sl->rsp, &r, sizeof(r));
            __atomic_store_n(&sl->state, ARMVMI_SLOT_ANSWERED, __ATOMIC_RELEASE);
            seen++;
            any = true;
        }
        uint64_t head = __atomic_load_n(&chan->async_head, __ATOMIC_ACQUIRE);
        while (chan->async_tail < head) {
            struct armvmi_abi_event ev;
            memcpy(&ev,
                   pa_ptr(ARMVMI_CHAN_ADDR + ARMVMI_CHAN_ASYNC_OFF +
                          (chan->async_tail % ARMVMI_CHAN_ASYNC) * ARMVMI_CHAN_ASYNC_STRIDE),
                   sizeof(ev));
            print_event(&ev);
            __atomic_store_n(&chan->async_tail, chan->async_tail + 1, __ATOMIC_RELEASE);
            async_seen++;
            any = true;
        }
        if (any)
            last_ev = now_s();
        else if (idle > 0 && last_ev > 0 && now_s() - last_ev > idle)
            break;
        if (!any && !(flags & ARMVMI_MON_F_BUSY_POLL))
            usleep(100);
    }
    printf("EVMON events=%" PRIu64 " async=%" PRIu64 " errors=%" PRIu64 " last_error=%" PRIu64
           " async_dropped=%" PRIu64 " seq=%" PRIu64 "\n",
           seen, async_seen, (uint64_t)chan->errors, (uint64_t)chan->last_error,
           (uint64_t)chan->async_dropped, (uint64_t)chan->seq);
    if (get_at_end) {
        uint64_t res = 0;
        int gs = command(ARMVMI_CMD_GET_ACCESS, get_at_end >> 12, 0, 0, &res);
        printf("EVMON get-at-end 0x%" PRIx64 " status=%d acc=%" PRIu64 "\n", get_at_end, gs, res);
    }
    if (detach) {
        s = command(ARMVMI_CMD_DETACH, 0, 0, 0, NULL);
        printf("EVMON detach status=%d attached=%u\n", s, chan->attached);
    }
    fflush(stdout);
    return 0;
usage:
    fputs(usage_text, stderr);
    return 2;
}
