/* SPDX-License-Identifier: MIT */
/* evmon.c — a raw-ABI test monitor for the hypervisor's VMI events: maps a --hyp VM's RAM file
 * and speaks include/armvmi/abi.h directly (also the hostile-monitor tool of the tests). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "evmon.h"

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
    "  --doorbell           sleep on RUNDIR/doorbell.sock (ARMVMI_MON_F_SLEEPING) and ring it\n"
    "                       after every answer and command, instead of polling\n"
    "  --quiet              no EV line per event (the summaries only)\n"
    "  --track PA           per-frame summary of the write events' values (repeatable)\n"
    "  --toggle PA=A1/A2    every --toggle-every N events, SET_ACCESS the frame to A1, then A2,\n"
    "  --toggle-every N     ... alternately, without stopping to answer events\n"
    "  --reg-trap REG=MASK[/all]  REG_TRAP (sctlr ttbr0 ttbr1 tcr mair contextidr vbar)\n"
    "  --call-trap smc|hvc|smc,hvc  CALL_TRAP: SMC/HVC events\n"
    "  --reg-action A       continue (default), deny, skip: the response to register events\n"
    "  --answer FID=A,B,C,D ANSWER calls with x0 = FID with x0-x3 = A-D (others: CONTINUE)\n"
    "  --quiet-after N      print only the first N events' EV lines\n"
    "  --bad-regcall        post bad REG_TRAP/CALL_TRAP commands first (statuses printed)\n"
    "  --step-on N          STEP_ON in the first register/call event's response, STEP_OFF in the\n"
    "                       Nth step event's\n"
    "  --pause-step N       with --pause-ms: STEP on vCPU 0 while paused (its record's PC "
    "printed),\n"
    "                       STEP_OFF in the Nth step event's response\n"
    "  --break-pending      at the first memory event, before answering it: SET_ACCESS its frame\n"
    "                       rwx, BREAK_SET on the frame, zero its first 64 bytes; at the end\n"
    "                       GET_ACCESS, its first word, BREAK_CLEAR\n"
    "Prints one line per event: EV seq= vcpu= gpa= gva= access= flags= size= reg= value= pc=\n";

static uint8_t *ram;
static size_t ram_len;
static volatile struct armvmi_abi_chan *chan;
static volatile sig_atomic_t stop;
static int bell = -1; /* the doorbell socket (--doorbell) */
static uint64_t bell_rx, bell_tx;

/* Sequence numbers seen, one byte each, to find gaps and duplicates (bounded). */
#define SEQ_MAX (64u << 20)
static uint8_t *seq_seen;
static uint64_t seq_cap, seq_max, seq_dup, seq_over;

/* --track: per-frame runs of consecutive written values */
static struct track {
    uint64_t frame, events, runs, first, last, backwards;
} tracks[8];
static int ntracks;

static void seq_note(uint64_t seq)
{
    if (seq == 0 || seq > SEQ_MAX) {
        seq_over++;
        return;
    }
    if (seq >= seq_cap) {
        uint64_t cap = seq_cap ? seq_cap : 1 << 16;
        while (cap <= seq)
            cap *= 2;
        uint8_t *n = realloc(seq_seen, cap);
        if (!n) {
            seq_over++;
            return;
        }
        memset(n + seq_cap, 0, cap - seq_cap);
        seq_seen = n, seq_cap = cap;
    }
    if (seq_seen[seq]++)
        seq_dup++;
    if (seq > seq_max)
        seq_max = seq;
}

static void track_note(const struct armvmi_abi_event *ev)
{
    for (int i = 0; i < ntracks; i++) {
        struct track *t = &tracks[i];
        if (ev->gpa >> 12 != t->frame || ev->access != ARMVMI_ACC_W ||
            !(ev->flags & ARMVMI_EVF_VALUE))
            continue;
        if (!t->events++)
            t->runs = 1, t->first = ev->value;
        else if (ev->value > t->last + 1)
            t->runs++;
        else if (ev->value != t->last + 1)
            t->backwards++;
        t->last = ev->value;
    }
}

static void bell_send(void)
{
    if (bell >= 0 && write(bell, "w", 1) == 1)
        bell_tx++;
}

/* Sleep on the doorbell for up to ms milliseconds; counts the hypervisor's rings. */
static void bell_wait(int ms)
{
    struct pollfd p = {.fd = bell, .events = POLLIN};
    char buf[256];
    if (poll(&p, 1, ms) > 0) {
        ssize_t n = read(bell, buf, sizeof(buf));
        for (ssize_t i = 0; i < n; i++)
            bell_rx += buf[i] == ARMVMI_DOORBELL_RING;
    }
}

static int bell_connect(const char *rundir)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 ||
        (size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/doorbell.sock", rundir) >=
            sizeof(a.sun_path) ||
        connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        fprintf(stderr, "evmon: cannot connect to %s/doorbell.sock: %s\n", rundir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

void *evmon_pa(uint64_t pa)
{
    if (pa < ARMVMI_CARVE_BASE || pa - ARMVMI_CARVE_BASE >= ram_len)
        return NULL;
    return ram + (pa - ARMVMI_CARVE_BASE);
}

double evmon_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

volatile struct armvmi_abi_chan *evmon_chan(void)
{
    return chan;
}

void evmon_heartbeat(void)
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

/* ---- register-write and call events (ARMVMI_EV_REG/SMC/HVC) ---- */
static const char *const sysreg_names[ARMVMI_SYSREG_COUNT] = {"sctlr", "ttbr0",      "ttbr1", "tcr",
                                                              "mair",  "contextidr", "vbar"};
static const char *reg_action = "continue";
static uint64_t answer_fid = UINT64_MAX, answer_x[4];

static int parse_sysreg(const char *s)
{
    for (int i = 0; i < ARMVMI_SYSREG_COUNT; i++)
        if (!strcmp(s, sysreg_names[i]))
            return i;
    return -1;
}

static void print_regcall(const struct armvmi_abi_event *ev)
{
    if (ev->type == ARMVMI_EV_REG)
        printf("EV seq=%" PRIu64 " vcpu=%u type=reg pc=0x%" PRIx64 " el=%" PRIu64
               " sysreg=%s rt=%u old=0x%" PRIx64 " new=0x%" PRIx64 "\n",
               ev->seq, ev->vcpu, ev->regs.pc, ev->regs.pstate >> 2 & 3,
               ev->u.reg.sysreg < ARMVMI_SYSREG_COUNT ? sysreg_names[ev->u.reg.sysreg] : "?",
               ev->u.reg.rt, ev->u.reg.old_value, ev->u.reg.new_value);
    else
        printf("EV seq=%" PRIu64 " vcpu=%u type=%s pc=0x%" PRIx64 " imm=%u x0=0x%" PRIx64
               " x1=0x%" PRIx64 " x2=0x%" PRIx64 " x3=0x%" PRIx64 "\n",
               ev->seq, ev->vcpu, ev->type == ARMVMI_EV_SMC ? "smc" : "hvc", ev->regs.pc,
               ev->u.call.imm, ev->regs.x[0], ev->regs.x[1], ev->regs.x[2], ev->regs.x[3]);
    fflush(stdout);
}

static void respond_regcall(const struct armvmi_abi_event *ev, struct armvmi_abi_response *r)
{
    if (ev->type == ARMVMI_EV_REG) {
        r->action = !strcmp(reg_action, "deny")   ? ARMVMI_RSP_DENY
                    : !strcmp(reg_action, "skip") ? ARMVMI_RSP_SKIP
                                                  : ARMVMI_RSP_CONTINUE;
    } else if (ev->regs.x[0] == answer_fid) {
        r->action = ARMVMI_RSP_ANSWER;
        memcpy(r->x, answer_x, sizeof(answer_x));
    } else {
        r->action = ARMVMI_RSP_CONTINUE;
    }
}

static void print_event(const struct armvmi_abi_event *ev)
{
    if (ev->type == ARMVMI_EV_STEP) {
        evstep_print(ev, (ev->regs.pc & 3) ? NULL : evmon_pa(ev->regs.pc)); /* identity-mapped */
        return;
    }
    if (ev->type != ARMVMI_EV_MEM) {
        print_regcall(ev);
        return;
    }
    printf("EV seq=%" PRIu64 " vcpu=%u type=%u gpa=0x%" PRIx64 " gva=0x%" PRIx64
           " access=%s flags=0x%x size=%u reg=%u value=0x%" PRIx64 " pc=0x%" PRIx64 " pageacc=%u\n",
           ev->seq, ev->vcpu, ev->type, ev->gpa, ev->gva, acc_name(ev->access), ev->flags, ev->size,
           ev->reg, ev->value, ev->regs.pc, ev->page_access);
    fflush(stdout);
}

static volatile struct armvmi_abi_slot *slot_at(unsigned v)
{
    return evmon_pa(ARMVMI_CHAN_ADDR + ARMVMI_CHAN_SLOTS_OFF + v * ARMVMI_CHAN_SLOT_STRIDE);
}

/* The vCPU records' states, "s0,s1,..." (ARMVMI_VCPU_*). */
const char *evmon_vcpu_states(unsigned n)
{
    static char buf[64];
    size_t len = 0;
    buf[0] = 0;
    for (unsigned v = 0; v < n && v < ARMVMI_MAX_VCPUS; v++) {
        volatile struct armvmi_abi_vcpu *r = evmon_pa(ARMVMI_VCPU_REC(v));
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u", v ? "," : "", r->state);
    }
    return buf;
}

static volatile struct armvmi_abi_cmd *cmd_at(uint64_t i)
{
    return (volatile struct armvmi_abi_cmd *)((uint8_t *)chan + ARMVMI_CHAN_CMDS_OFF) +
           (i % ARMVMI_CHAN_CMD_RING);
}

/* Post one command without waiting; returns its index (done once cmd_done > index). */
static uint64_t command_post(uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t head = chan->cmd_head;
    volatile struct armvmi_abi_cmd *c = cmd_at(head);

    c->id = head;
    c->op = op;
    c->arg[0] = a0;
    c->arg[1] = a1;
    c->arg[2] = a2;
    c->arg[3] = 0;
    c->result[0] = c->result[1] = 0;
    __atomic_store_n(&c->status, ARMVMI_CMDS_PENDING, __ATOMIC_RELEASE);
    __atomic_store_n(&chan->cmd_head, head + 1, __ATOMIC_RELEASE);
    bell_send();
    return head;
}

/* Post one command and wait for it; returns its status (or -1 on timeout). */
int evmon_command(uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *result)
{
    double t0 = evmon_now();
    uint64_t head = command_post(op, a0, a1, a2);
    volatile struct armvmi_abi_cmd *c = cmd_at(head);

    while (__atomic_load_n(&chan->cmd_done, __ATOMIC_ACQUIRE) <= head) {
        if (evmon_now() - t0 > 10)
            return -1;
        evmon_heartbeat();
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
    bool detach = true, bad_commands = false, status_only = false, quiet = false, use_bell = false;
    struct {
        uint64_t frame;
        int acc[2];
    } toggles[8];
    int ntoggles = 0;
    uint64_t toggle_every = 0, toggles_done = 0, toggle_head = 0, toggle_bad = 0;
    bool toggle_out = false;
    uint64_t pause_ms = 0;
    struct {
        int reg;
        uint64_t mask, flags;
    } regt[ARMVMI_SYSREG_COUNT];
    int nregt = 0;
    uint64_t callt = 0;
    bool bad_regcall = false;
    uint64_t quiet_after = UINT64_MAX;
    bool break_pending = false;

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
        } else if (!strcmp(a, "--doorbell")) {
            use_bell = true;
        } else if (!strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "--track") && v && ntracks < 8) {
            tracks[ntracks++].frame = strtoull(v, NULL, 0) >> 12;
            i++;
        } else if (!strcmp(a, "--toggle") && v && ntoggles < 8) {
            char spec[128], *eq, *sl;
            snprintf(spec, sizeof(spec), "%s", v);
            if (!(eq = strchr(spec, '=')) || !(sl = strchr(eq, '/')))
                goto usage;
            *eq = *sl = 0;
            toggles[ntoggles].frame = strtoull(spec, NULL, 0) >> 12;
            toggles[ntoggles].acc[0] = parse_acc(eq + 1);
            toggles[ntoggles].acc[1] = parse_acc(sl + 1);
            if (toggles[ntoggles].acc[0] < 0 || toggles[ntoggles].acc[1] < 0)
                goto usage;
            ntoggles++;
            i++;
        } else if (!strcmp(a, "--toggle-every") && v) {
            toggle_every = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--reg-trap") && v && nregt < ARMVMI_SYSREG_COUNT) {
            char spec[128], *eq, *sl;
            snprintf(spec, sizeof(spec), "%s", v);
            if (!(eq = strchr(spec, '=')))
                goto usage;
            *eq = 0;
            sl = strchr(eq + 1, '/');
            regt[nregt].reg = parse_sysreg(spec);
            regt[nregt].mask = strtoull(eq + 1, NULL, 0);
            regt[nregt].flags = sl && !strcmp(sl, "/all") ? ARMVMI_REGT_ALL : 0;
            if (regt[nregt].reg < 0)
                goto usage;
            nregt++;
            i++;
        } else if (!strcmp(a, "--call-trap") && v) {
            callt = (strstr(v, "smc") ? ARMVMI_CALLT_SMC : 0) |
                    (strstr(v, "hvc") ? ARMVMI_CALLT_HVC : 0);
            i++;
        } else if (!strcmp(a, "--reg-action") && v) {
            reg_action = v;
            i++;
        } else if (!strcmp(a, "--answer") && v) {
            char *e;
            answer_fid = strtoull(v, &e, 0);
            for (int k = 0; k < 4 && *e; k++)
                answer_x[k] = strtoull(e + 1, &e, 0);
            i++;
        } else if (!strcmp(a, "--quiet-after") && v) {
            quiet_after = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--bad-regcall")) {
            bad_regcall = true;
        } else if (!strcmp(a, "--step-on") && v) {
            evstep_n = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--pause-step") && v) {
            evstep_n = strtoull(v, NULL, 0);
            evstep_paused = true;
            i++;
        } else if (!strcmp(a, "--break-pending")) {
            break_pending = true;
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
    chan = evmon_pa(ARMVMI_CHAN_ADDR);
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
        printf(" vcpus=%s\n", evmon_vcpu_states(chan->ncpus));
        return 0;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (use_bell) {
        if (!(chan->hyp_flags & ARMVMI_CHAN_F_DOORBELL)) {
            fprintf(stderr,
                    "evmon: the hypervisor has no doorbell device: run without --doorbell\n");
            return 1;
        }
        if ((bell = bell_connect(rundir)) < 0)
            return 1;
        flags |= ARMVMI_MON_F_SLEEPING;
    }
    chan->mon_magic = ARMVMI_MON_MAGIC;
    chan->mon_flags = (uint32_t)flags;
    chan->async_tail = chan->async_head;
    uint64_t cmd_done = chan->cmd_done;
    chan->cmd_head = cmd_done; /* a previous monitor's unfinished commands are abandoned */
    int s = evmon_command(ARMVMI_CMD_ATTACH, flags, timeout_ms, 0, NULL);
    printf("EVMON attach status=%d session=%" PRIu64 " ncpus=%u\n", s, (uint64_t)chan->session,
           chan->ncpus);
    if (s != ARMVMI_CMDS_OK)
        return 1;
    if (bad_commands)
        evcmd_bad((ARMVMI_CARVE_BASE + ram_len) >> 12);
    if (pause_ms)
        evcmd_pause(pause_ms);
    for (int i = 0; i < nsets; i++) {
        uint64_t res = 0;
        s = evmon_command(ARMVMI_CMD_SET_ACCESS, sets[i].pa >> 12, (sets[i].len + 4095) >> 12,
                          (uint64_t)sets[i].acc, &res);
        printf("EVMON set 0x%" PRIx64 "+0x%" PRIx64 " acc=%d status=%d frames=%" PRIu64 "\n",
               sets[i].pa, sets[i].len, sets[i].acc, s, res);
        evmon_command(ARMVMI_CMD_GET_ACCESS, sets[i].pa >> 12, 0, 0, &res);
        printf("EVMON get 0x%" PRIx64 " acc=%" PRIu64 "\n", sets[i].pa, res);
    }
    if (bad_regcall)
        evcmd_bad_regcall();
    for (int k = 0; k < nregt; k++)
        printf("EVMON reg_trap %s mask=0x%" PRIx64 " flags=%" PRIu64 " status=%d\n",
               sysreg_names[regt[k].reg], regt[k].mask, regt[k].flags,
               evmon_command(ARMVMI_CMD_REG_TRAP, (uint64_t)regt[k].reg, regt[k].mask,
                             regt[k].flags, NULL));
    if (callt)
        printf("EVMON call_trap 0x%" PRIx64 " status=%d\n", callt,
               evmon_command(ARMVMI_CMD_CALL_TRAP, callt, 0, 0, NULL));
    printf("EVMON ready\n");
    fflush(stdout);

    double t0 = evmon_now(), first_ev = 0;
    uint64_t last_hb = 0;
    while (!stop && seen + async_seen < count && evmon_now() - t0 < timeout) {
        bool any = false;
        if ((uint64_t)(evmon_now() * 1000) != last_hb) {
            last_hb = (uint64_t)(evmon_now() * 1000);
            evmon_heartbeat();
        }
        for (unsigned v = 0; v < chan->ncpus && v < ARMVMI_MAX_VCPUS; v++) {
            volatile struct armvmi_abi_slot *sl = slot_at(v);
            if (__atomic_load_n(&sl->state, __ATOMIC_ACQUIRE) != ARMVMI_SLOT_POSTED)
                continue;
            struct armvmi_abi_event ev;
            memcpy(&ev, (const void *)&sl->ev, sizeof(ev));
            if (!quiet && seen < quiet_after)
                print_event(&ev);
            seq_note(ev.seq);
            track_note(&ev);
            if (break_pending)
                evcmd_break_event(&ev);
            struct armvmi_abi_response r;
            memset(&r, 0, sizeof(r));
            r.seq = ev.seq;
            if (ev.type != ARMVMI_EV_MEM) {
                respond_regcall(&ev, &r);
                evstep_respond(&ev, &r);
            } else if (!strcmp(action, "continue"))
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
                   evmon_pa(ARMVMI_CHAN_ADDR + ARMVMI_CHAN_ASYNC_OFF +
                            (chan->async_tail % ARMVMI_CHAN_ASYNC) * ARMVMI_CHAN_ASYNC_STRIDE),
                   sizeof(ev));
            if (!quiet)
                print_event(&ev);
            seq_note(ev.seq);
            __atomic_store_n(&chan->async_tail, chan->async_tail + 1, __ATOMIC_RELEASE);
            async_seen++;
            any = true;
        }
        if (any) {
            last_ev = evmon_now();
            if (first_ev == 0)
                first_ev = last_ev;
            bell_send();
        } else if (idle > 0 && last_ev > 0 && evmon_now() - last_ev > idle)
            break;
        /* --toggle: the next SET_ACCESS round once the previous one is done, never waiting */
        if (toggle_out && __atomic_load_n(&chan->cmd_done, __ATOMIC_ACQUIRE) >=
                              toggle_head + (uint64_t)ntoggles) {
            for (int k = 0; k < ntoggles; k++)
                toggle_bad += cmd_at(toggle_head + (uint64_t)k)->status != ARMVMI_CMDS_OK;
            toggle_out = false;
            toggles_done++;
        }
        if (ntoggles && toggle_every && !toggle_out && seen / toggle_every > toggles_done) {
            for (int k = 0; k < ntoggles; k++) {
                uint64_t h = command_post(ARMVMI_CMD_SET_ACCESS, toggles[k].frame, 1,
                                          (uint64_t)toggles[k].acc[toggles_done & 1]);
                if (!k)
                    toggle_head = h;
            }
            toggle_out = true;
        }
        if (!any && bell >= 0)
            bell_wait(5);
        else if (!any && !(flags & ARMVMI_MON_F_BUSY_POLL))
            usleep(100);
    }
    double span = last_ev - first_ev;
    uint64_t missing = 0;
    for (uint64_t q = 1; q <= seq_max && q < seq_cap; q++)
        missing += !seq_seen[q];
    printf("EVMON seqcheck max=%" PRIu64 " missing=%" PRIu64 " dup=%" PRIu64 " bad=%" PRIu64 "\n",
           seq_max, missing, seq_dup, seq_over);
    for (int k = 0; k < ntracks; k++)
        printf("EVMON track 0x%" PRIx64 " events=%" PRIu64 " runs=%" PRIu64 " first=%" PRIu64
               " last=%" PRIu64 " backwards=%" PRIu64 "\n",
               tracks[k].frame << 12, tracks[k].events, tracks[k].runs, tracks[k].first,
               tracks[k].last, tracks[k].backwards);
    if (ntoggles)
        printf("EVMON toggles=%" PRIu64 " failed=%" PRIu64 "\n", toggles_done, toggle_bad);
    printf("EVMON rate events=%" PRIu64 " seconds=%.3f per_second=%.0f doorbell_rx=%" PRIu64
           " doorbell_tx=%" PRIu64 "\n",
           seen + async_seen, span, span > 0 ? (seen + async_seen) / span : 0.0, bell_rx, bell_tx);
    printf("EVMON filtered=%" PRIu64 "\n", (uint64_t)chan->filtered);
    printf("EVMON events=%" PRIu64 " async=%" PRIu64 " errors=%" PRIu64 " last_error=%" PRIu64
           " async_dropped=%" PRIu64 " seq=%" PRIu64 "\n",
           seen, async_seen, (uint64_t)chan->errors, (uint64_t)chan->last_error,
           (uint64_t)chan->async_dropped, (uint64_t)chan->seq);
    if (get_at_end) {
        uint64_t res = 0;
        int gs = evmon_command(ARMVMI_CMD_GET_ACCESS, get_at_end >> 12, 0, 0, &res);
        printf("EVMON get-at-end 0x%" PRIx64 " status=%d acc=%" PRIu64 "\n", get_at_end, gs, res);
    }
    if (break_pending)
        evcmd_break_end();
    if (detach) {
        s = evmon_command(ARMVMI_CMD_DETACH, 0, 0, 0, NULL);
        printf("EVMON detach status=%d attached=%u\n", s, chan->attached);
    }
    fflush(stdout);
    return 0;
usage:
    fputs(usage_text, stderr);
    return 2;
}
