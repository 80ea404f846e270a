/* SPDX-License-Identifier: MIT */
/* stepbrk.c — guest test program for single-step and breakpoints (57-hyp-step.t, 58-hyp-break.t).
 */
/*
 * usage:
 *   stepbrk loop K     prints "SB pid=P work=0x..", then runs work() K times (a known loop of
 *                      branches, calls, loads and stores: a few million instructions at EL0
 *                      each, no system call in between) or until SIGUSR1, then prints
 *                      "SB-RESULT <value>" if every round gave the same value, else
 *                      "SB-RESULT differ <r1> <r2>", and "SB-ROUNDS <n>".
 *   stepbrk user DIR   prints "SB pid=P user=0x.." (the address of user_target), waits (up to
 *                      300 s) for the file DIR/go, calls user_target(7) three times and prints
 *                      "SB-USER <sum>" (= 3 * 22).
 *   stepbrk calls      prints "SB pid=P user=0x..", then calls user_target in a loop until
 *                      SIGUSR1 and prints "SB-CALLS <n>" (bench/brkstep.sh).
 *   stepbrk brk0       executes `brk #0` with a SIGTRAP handler that steps over it: prints
 *                      "SB-SIGTRAP si_code=<n> at-brk=1" as without a hypervisor.
 *   stepbrk kcore VA N reads N bytes at kernel virtual address VA through /proc/kcore and
 *                      prints them as hex ("SB-KCORE <hex>").
 *   stepbrk execs N    forks and execs itself ("stepbrk nop") N times, waiting for each:
 *                      prints "SB-EXECS <n done>".
 *   stepbrk ptrace     a child stopped under ptrace gets a hardware breakpoint (NT_ARM_HW_BREAK)
 *                      on user_target; it stops there (SIGTRAP, PC = user_target), is single-
 *                      stepped twice (PTRACE_SINGLESTEP) and continued: prints "SB-PTRACE hw=1
 *                      steps=+4,+8 exit=0" as without a hypervisor (the guest's own debug
 *                      registers, MDSCR_EL1 and debug exceptions at work).
 *   stepbrk uoff       prints "SB-UOFF <file> 0x<offset>": the executable's path and the file
 *                      offset of user_target (from /proc/self/maps), for a uprobe on it.
 *   stepbrk ucalls N   calls user_target N times (N <= 100000): prints "SB-UCALLS <n> <sum>".
 *   stepbrk ptsteps DIR N [MS]  a child stopped under ptrace (SIGSTOP, then work(): no system
 *                      call) is shown as "SB pid=<child>"; once DIR/go exists (and MS
 *                      milliseconds more, busy-waiting at EL0: no interrupt needed) it is
 *                      single-stepped N times (PTRACE_SINGLESTEP, N <= 100000), each PC
 *                      after a step written to DIR/pcs (0x%x a line), then continued: prints
 *                      "SB-PTSTEPS n=<steps> fnv=<hash of the PCs> first=<pc> last=<pc>
 *                      exit=<child's status>".
 *   stepbrk sysloop K  prints "SB pid=P", then until SIGUSR1: a loop of K rounds (1..10000) of
 *                      3 instructions counting in x20, then a system call (getppid, svc #0);
 *                      prints "SB-SYSLOOP <rounds> <system calls>" (rounds = K * calls).
 *   stepbrk mtexit DIR prints "SB pid=P", starts a thread that runs sysloop's loop (100 rounds)
 *                      until SIGUSR1; once DIR/go exists (up to 300 s) the main thread prints
 *                      "SB-MAIN-EXIT" and exits alone (the exit system call: the process lives on
 *                      in its other thread, with the same address space); the thread then prints
 *                      "SB-MTEXIT tid=<T> <rounds> <system calls>" and exits the process.
 *   stepbrk nop        exits 0.
 * stepbrk llsc  prints "SB pid=P", then until SIGUSR1 exclusive load/store loops (ldaxr/stlxr,
 * ldaxp/stlxp, a cmpxchg with a b.ne out), rounds counted in x20; prints "SB-LLSC rounds=R
 * ctr=R pair=R,2R cas_ok=<R - R/2> cas_fail=<R/2> good=1".
 * stepbrk ptraceall R  a child stopped under ptrace runs R rounds of a 17-instruction sled, with a
 * hardware breakpoint on each of its first instructions in every slot Linux offers (all
 * ID_AA64DFR0_EL1.BRPs + 1); each round it must stop at each in order: prints "SB-PTRACEALL
 * bps=<n> rounds=<R> stops=<n * R> wrong=<0> exit=0" as without a hypervisor.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <asm/ptrace.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile uint64_t sink[64];
static volatile sig_atomic_t stop;

static void on_usr1(int sig)
{
    (void)sig;
    stop = 1;
}

__attribute__((noinline)) static uint64_t mix(uint64_t a, uint64_t b)
{
    a ^= b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2);
    return a;
}

__attribute__((noinline)) uint64_t work(unsigned n)
{
    uint64_t acc = 1;
    for (unsigned i = 0; i < n; i++) {
        if (i & 1)
            acc = mix(acc, i);
        else if (i % 3 == 0)
            acc += sink[i & 63];
        else
            acc ^= acc >> 7;
        sink[(i * 7) & 63] = acc;
        if (!(acc & 0x100))
            acc = mix(acc, acc >> 3);
    }
    return acc;
}

__attribute__((noinline, noipa)) int user_target(int v)
{
    return v * 3 + 1;
}

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    (void)sig;
    char buf[96];
    uint32_t insn = *(uint32_t *)uc->uc_mcontext.pc;
    int n = snprintf(buf, sizeof(buf), "SB-SIGTRAP si_code=%d at-brk=%d\n", si->si_code,
                     insn == 0xd4200000u);
    write(1, buf, (size_t)n);
    uc->uc_mcontext.pc += 4;
}

static int kcore(uint64_t va, size_t n)
{
    int fd = open("/proc/kcore", O_RDONLY);
    Elf64_Ehdr eh;
    if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh)) {
        perror("/proc/kcore");
        return 1;
    }
    for (unsigned i = 0; i < eh.e_phnum && i < 4096; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
            break;
        if (ph.p_type != PT_LOAD || va < ph.p_vaddr || va - ph.p_vaddr >= ph.p_memsz)
            continue;
        unsigned char b[256];
        if (n > sizeof(b) ||
            pread(fd, b, n, (off_t)(ph.p_offset + (va - ph.p_vaddr))) != (ssize_t)n) {
            perror("pread /proc/kcore");
            return 1;
        }
        printf("SB-KCORE ");
        for (size_t k = 0; k < n; k++)
            printf("%02x", b[k]);
        printf("\n");
        return 0;
    }
    fprintf(stderr, "0x%" PRIx64 " is in no segment of /proc/kcore\n", va);
    return 1;
}

/* The child's PC (NT_PRSTATUS), or 0. */
static uint64_t child_pc(pid_t p)
{
    struct user_pt_regs r;
    struct iovec iov = {&r, sizeof(r)};
    return ptrace(PTRACE_GETREGSET, p, (void *)NT_PRSTATUS, &iov) ? 0 : r.pc;
}

static int hw_break(pid_t p, uint64_t addr, uint32_t ctrl)
{
    struct user_hwdebug_state st;
    memset(&st, 0, sizeof(st));
    st.dbg_regs[0].addr = addr;
    st.dbg_regs[0].ctrl = ctrl;
    struct iovec iov = {&st,
                        offsetof(struct user_hwdebug_state, dbg_regs) + sizeof(st.dbg_regs[0])};
    return (int)ptrace(PTRACE_SETREGSET, p, (void *)NT_ARM_HW_BREAK, &iov);
}

static int ptrace_test(void)
{
    pid_t p = fork();
    if (p == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        _exit(user_target(7) == 22 ? 0 : 1);
    }
    int st, hw = 0;
    char steps[64] = "";
    uint64_t t = (uint64_t)user_target;
    waitpid(p, &st, 0);
    /* Linux's arm64 breakpoint control: length 4 (0xf << 5), execute, EL0 (2 << 1), enabled */
    if (hw_break(p, t, (0xfu << 5) | (2u << 1) | 1u) == 0 &&
        ptrace(PTRACE_CONT, p, NULL, NULL) == 0 && waitpid(p, &st, 0) == p && WIFSTOPPED(st) &&
        WSTOPSIG(st) == SIGTRAP)
        hw = child_pc(p) == t;
    hw_break(p, 0, 0);
    for (int i = 0; i < 2; i++) {
        if (ptrace(PTRACE_SINGLESTEP, p, NULL, NULL) || waitpid(p, &st, 0) != p || !WIFSTOPPED(st))
            break;
        size_t l = strlen(steps);
        snprintf(steps + l, sizeof(steps) - l, "%s+%lld", i ? "," : "",
                 (long long)(child_pc(p) - t));
    }
    ptrace(PTRACE_CONT, p, NULL, NULL);
    waitpid(p, &st, 0);
    printf("SB-PTRACE hw=%d steps=%s exit=%d\n", hw, steps, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

/* 16 breakpoints at most (Arm ARM: BRPs is 4 bits), one more instruction, then ret. */
__asm__(".text\n.balign 4\n.globl sb_sled\n.type sb_sled, %function\nsb_sled:\n"
        ".rept 17\nnop\n.endr\nret\n.size sb_sled, .-sb_sled\n");
extern void sb_sled(void);

/* Breakpoints 0..n-1 on the sled's instructions 0..n-1, those from `from` on enabled. */
static int hw_sled(pid_t p, unsigned n, unsigned from)
{
    struct user_hwdebug_state st;
    memset(&st, 0, sizeof(st));
    for (unsigned i = 0; i < n && i < 16; i++) {
        st.dbg_regs[i].addr = (uint64_t)sb_sled + 4 * i;
        st.dbg_regs[i].ctrl = i >= from ? (0xfu << 5) | (2u << 1) | 1u : 0;
    }
    struct iovec iov = {&st,
                        offsetof(struct user_hwdebug_state, dbg_regs) + n * sizeof(st.dbg_regs[0])};
    return (int)ptrace(PTRACE_SETREGSET, p, (void *)NT_ARM_HW_BREAK, &iov);
}

static int ptrace_all(unsigned long rounds)
{
    pid_t p = fork();
    if (p == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        for (unsigned long r = 0; r < rounds; r++) {
            raise(SIGSTOP);
            sb_sled();
        }
        _exit(0);
    }
    struct user_hwdebug_state st;
    struct iovec iov = {&st, sizeof(st)};
    unsigned n = 0, stops = 0, wrong = 0;
    unsigned long r;
    int ws;
    if (rounds > 10000)
        rounds = 10000;
    if (p > 0 && waitpid(p, &ws, 0) == p &&
        !ptrace(PTRACE_GETREGSET, p, (void *)NT_ARM_HW_BREAK, &iov))
        n = st.dbg_info & 0xff;
    for (r = 0; n && n <= 16 && r < rounds; r++) {
        /* the round's SIGSTOP, then each breakpoint in turn (the one hit disabled to go on) */
        if (ptrace(PTRACE_CONT, p, NULL, NULL) || waitpid(p, &ws, 0) != p || !WIFSTOPPED(ws) ||
            WSTOPSIG(ws) != SIGSTOP || hw_sled(p, n, 0))
            break;
        for (unsigned k = 0; k < n; k++) {
            if (ptrace(PTRACE_CONT, p, NULL, NULL) || waitpid(p, &ws, 0) != p || !WIFSTOPPED(ws))
                goto out;
            stops++;
            if (WSTOPSIG(ws) != SIGTRAP || child_pc(p) != (uint64_t)sb_sled + 4 * k)
                wrong++;
            if (hw_sled(p, n, k + 1))
                goto out;
        }
    }
out:
    ptrace(PTRACE_CONT, p, NULL, NULL);
    waitpid(p, &ws, 0);
    printf("SB-PTRACEALL bps=%u rounds=%lu stops=%u wrong=%u exit=%d\n", n, r, stops, wrong,
           WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
    return 0;
}

/* "SB-UOFF <file> 0x<offset>": where user_target is in this program's file. */
static int uoff(void)
{
    uint64_t a = (uint64_t)user_target;
    char exe[256], line[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    FILE *f = fopen("/proc/self/maps", "r");
    if (n <= 0 || !f) {
        perror("/proc/self");
        return 1;
    }
    exe[n] = 0;
    for (int i = 0; i < 4096 && fgets(line, sizeof(line), f); i++) {
        unsigned long long lo, hi, off;
        if (sscanf(line, "%llx-%llx %*s %llx", &lo, &hi, &off) == 3 && a >= lo && a < hi) {
            printf("SB-UOFF %s 0x%llx\n", exe, (unsigned long long)(a - lo + off));
            fclose(f);
            return 0;
        }
    }
    fclose(f);
    fprintf(stderr, "user_target (%p) is in no mapping of /proc/self/maps\n", (void *)user_target);
    return 1;
}

static volatile uint64_t stop64;

static void on_usr1_64(int sig)
{
    (void)sig;
    stop64 = 1;
}

/* Until SIGUSR1: rounds of k 3-instruction steps counting in x20, each round then a system call
 * (getppid); returns the steps counted, *ncalls the system calls. */
static uint64_t sys_rounds(uint64_t k, uint64_t *ncalls)
{
    register uint64_t cnt __asm__("x20") = 0;
    uint64_t calls = 0;
    __asm__ volatile("1: mov x9, %[k]\n"
                     "2: add x20, x20, #1\n"
                     "   subs x9, x9, #1\n"
                     "   b.ne 2b\n"
                     "   mov x8, #173\n" /* __NR_getppid */
                     "   svc #0\n"
                     "   add %[calls], %[calls], #1\n"
                     "   ldr x11, [%[stop]]\n"
                     "   cbz x11, 1b\n"
                     : "+r"(cnt), [calls] "+r"(calls)
                     : [stop] "r"(&stop64), [k] "r"(k)
                     : "x0", "x8", "x9", "x11", "memory", "cc");
    *ncalls = calls;
    return cnt;
}

static int sysloop(uint64_t k)
{
    uint64_t calls, cnt;
    signal(SIGUSR1, on_usr1_64);
    printf("SB pid=%d\n", getpid());
    if (k < 1 || k > 10000)
        k = 1000;
    cnt = sys_rounds(k, &calls);
    printf("SB-SYSLOOP %" PRIu64 " %" PRIu64 "\n", cnt, calls);
    return cnt == calls * k ? 0 : 1;
}

/* mtexit: sysloop's loop in a second thread, while the main thread waits for DIR/go and exits
 * alone. */
static void *mt_worker(void *arg)
{
    uint64_t calls, k = 100, cnt = sys_rounds(k, &calls);
    (void)arg;
    printf("SB-MTEXIT tid=%d %" PRIu64 " %" PRIu64 "\n", gettid(), cnt, calls);
    fflush(stdout);
    exit(cnt == calls * k ? 0 : 1);
}

static int mtexit(const char *dir)
{
    char go[512];
    pthread_t th;
    signal(SIGUSR1, on_usr1_64);
    printf("SB pid=%d\n", getpid());
    fflush(stdout);
    if (pthread_create(&th, NULL, mt_worker, NULL)) {
        printf("SB-MTEXIT no thread\n");
        return 1;
    }
    snprintf(go, sizeof(go), "%s/go", dir);
    for (int i = 0; i < 3000 && access(go, F_OK); i++)
        usleep(100000);
    printf("SB-MAIN-EXIT\n");
    fflush(stdout);
    /* the thread alone, at once (pthread_exit unwinds: about a million instructions, minutes
     * when stepped) */
    syscall(SYS_exit, 0);
    return 1;
}

/* Exclusive load/store loops (LL/SC), no system call: each round increments a 32-bit counter
 * (ldaxr w/stlxr, cbnz back), a byte (ldxrb/stxrb), a pair (ldaxp/stlxp: +1, +2), and tries a
 * cmpxchg-style compare-and-swap (ldaxr x, cmp, b.ne out, stlxr, cbnz back) that succeeds on even
 * rounds and leaves by the b.ne on odd ones (its expected value off by one). Rounds are counted in
 * x20. */
static volatile uint32_t llsc_ctr;
static volatile uint64_t llsc_pair[2] __attribute__((aligned(16)));
static volatile uint64_t llsc_cas;
static volatile uint8_t llsc_byte;

static int llsc(void)
{
    register uint64_t rounds __asm__("x20") = 0;
    uint64_t ok = 0, fail = 0;
    signal(SIGUSR1, on_usr1_64);
    printf("SB pid=%d\n", getpid());
    __asm__ volatile("1: ldaxr w9, [%[ctr]]\n"
                     "   add w9, w9, #1\n"
                     "   stlxr w10, w9, [%[ctr]]\n"
                     "   cbnz w10, 1b\n"
                     "6: ldxrb w9, [%[byte]]\n"
                     "   add w9, w9, #1\n"
                     "   stxrb w10, w9, [%[byte]]\n"
                     "   cbnz w10, 6b\n"
                     "2: ldaxp x9, x15, [%[pair]]\n"
                     "   add x9, x9, #1\n"
                     "   add x15, x15, #2\n"
                     "   stlxp w10, x9, x15, [%[pair]]\n"
                     "   cbnz w10, 2b\n"
                     "   ldr x12, [%[cas]]\n"
                     "   and x13, %[rounds], #1\n"
                     "   add x12, x12, x13\n"
                     "   add x14, x12, #1\n"
                     "3: ldaxr x9, [%[cas]]\n"
                     "   cmp x9, x12\n"
                     "   b.ne 4f\n"
                     "   stlxr w10, x14, [%[cas]]\n"
                     "   cbnz w10, 3b\n"
                     "   add %[ok], %[ok], #1\n"
                     "   b 5f\n"
                     "4: clrex\n"
                     "   add %[fail], %[fail], #1\n"
                     "5: add %[rounds], %[rounds], #1\n"
                     "   ldr x11, [%[stop]]\n"
                     "   cbz x11, 1b\n"
                     : [rounds] "+r"(rounds), [ok] "+r"(ok), [fail] "+r"(fail)
                     : [ctr] "r"(&llsc_ctr), [pair] "r"(llsc_pair), [cas] "r"(&llsc_cas),
                       [byte] "r"(&llsc_byte), [stop] "r"(&stop64)
                     : "x9", "x10", "x11", "x12", "x13", "x14", "x15", "memory", "cc");
    int good = llsc_ctr == (uint32_t)rounds && llsc_byte == (uint8_t)rounds &&
               llsc_pair[0] == rounds && llsc_pair[1] == 2 * rounds && llsc_cas == ok &&
               fail == rounds / 2 && ok + fail == rounds;
    printf("SB-LLSC rounds=%" PRIu64 " ctr=%" PRIu32 " pair=%" PRIu64 ",%" PRIu64 " cas_ok=%" PRIu64
           " cas_fail=%" PRIu64 " good=%d\n",
           rounds, llsc_ctr, llsc_pair[0], llsc_pair[1], ok, fail, good);
    return good ? 0 : 1;
}

/* Busy-wait ms milliseconds of wall-clock time at EL0 (the vDSO's clock: no system call, no
 * interrupt needed). */
static void spin_ms(unsigned long ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < (long)ms);
}

static int ptsteps(const char *dir, unsigned long n, unsigned long spin)
{
    pid_t p = fork();
    if (p == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        _exit(work(200) ? 0 : 1);
    }
    int st;
    char go[512];
    uint64_t h = 0xcbf29ce484222325ull, first = 0, last = 0;
    unsigned long i;
    if (p < 0 || waitpid(p, &st, 0) != p || !WIFSTOPPED(st)) {
        perror("stepbrk ptsteps: fork");
        return 1;
    }
    printf("SB pid=%d\n", p);
    snprintf(go, sizeof(go), "%s/go", dir);
    for (int k = 0; k < 30000 && access(go, F_OK); k++)
        usleep(10000);
    spin_ms(spin < 60000 ? spin : 60000);
    snprintf(go, sizeof(go), "%s/pcs", dir);
    FILE *pcs = fopen(go, "w");
    if (!pcs) {
        perror(go);
        kill(p, SIGKILL);
        return 1;
    }
    for (i = 0; i < n && i < 100000; i++) {
        if (ptrace(PTRACE_SINGLESTEP, p, NULL, NULL) || waitpid(p, &st, 0) != p ||
            !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
            break;
        last = child_pc(p);
        if (!i)
            first = last;
        fprintf(pcs, "0x%" PRIx64 "\n", last);
        for (int b = 0; b < 8; b++)
            h = (h ^ ((last >> (8 * b)) & 0xff)) * 0x100000001b3ull;
    }
    fclose(pcs);
    ptrace(PTRACE_CONT, p, NULL, NULL);
    waitpid(p, &st, 0);
    printf("SB-PTSTEPS n=%lu fnv=%016" PRIx64 " first=0x%" PRIx64 " last=0x%" PRIx64 " exit=%d\n",
           i, h, first, last, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && !strcmp(argv[1], "loop")) {
        static uint64_t res[100000];
        unsigned k = (unsigned)strtoul(argv[2], NULL, 0);
        if (k < 1 || k > 100000)
            k = 1;
        memset((void *)sink, 0, sizeof(sink));
        memset(res, 0, sizeof(res)); /* every page touched now: no fault in the loop */
        signal(SIGUSR1, on_usr1);
        printf("SB pid=%d work=%p\n", getpid(), (void *)work);
        unsigned i;
        for (i = 0; i < k && !stop; i++) {
            memset((void *)sink, 0, sizeof(sink));
            res[i] = work(200000);
        }
        printf("SB-ROUNDS %u\n", i);
        k = i;
        for (unsigned i = 1; i < k; i++)
            if (res[i] != res[0]) {
                printf("SB-RESULT differ %" PRIu64 " %" PRIu64 "\n", res[0], res[i]);
                return 1;
            }
        printf("SB-RESULT %" PRIu64 "\n", res[0]);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "user")) {
        char go[512];
        snprintf(go, sizeof(go), "%s/go", argv[2]);
        printf("SB pid=%d user=%p\n", getpid(), (void *)user_target);
        for (int i = 0; i < 30000 && access(go, F_OK); i++)
            usleep(10000);
        int s = 0;
        for (int i = 0; i < 3; i++)
            s += user_target(7);
        printf("SB-USER %d\n", s);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "calls")) {
        signal(SIGUSR1, on_usr1);
        printf("SB pid=%d user=%p\n", getpid(), (void *)user_target);
        unsigned long n = 0;
        for (; !stop; n++)
            user_target((int)n);
        printf("SB-CALLS %lu\n", n);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "brk0")) {
        struct sigaction sa = {.sa_sigaction = on_trap, .sa_flags = SA_SIGINFO};
        sigaction(SIGTRAP, &sa, NULL);
        __asm__ volatile("brk #0");
        printf("SB-BRK0-DONE\n");
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "kcore"))
        return kcore(strtoull(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
    if (argc >= 3 && !strcmp(argv[1], "execs")) {
        unsigned n = (unsigned)strtoul(argv[2], NULL, 0), done = 0;
        for (unsigned i = 0; i < n; i++) {
            pid_t p = fork();
            if (p == 0) {
                execl("/proc/self/exe", "stepbrk", "nop", (char *)NULL);
                _exit(127);
            }
            int stt;
            if (p > 0 && waitpid(p, &stt, 0) == p && WIFEXITED(stt) && WEXITSTATUS(stt) == 0)
                done++;
        }
        printf("SB-EXECS %u\n", done);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "nop"))
        return 0;
    if (argc >= 4 && !strcmp(argv[1], "ptsteps"))
        return ptsteps(argv[2], strtoul(argv[3], NULL, 0),
                       argc >= 5 ? strtoul(argv[4], NULL, 0) : 0);
    if (argc >= 2 && !strcmp(argv[1], "llsc"))
        return llsc();
    if (argc >= 3 && !strcmp(argv[1], "sysloop"))
        return sysloop(strtoull(argv[2], NULL, 0));
    if (argc >= 3 && !strcmp(argv[1], "mtexit"))
        return mtexit(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "uoff"))
        return uoff();
    if (argc >= 3 && !strcmp(argv[1], "ucalls")) {
        unsigned long n = strtoul(argv[2], NULL, 0), i;
        long sum = 0;
        for (i = 0; i < n && i < 100000; i++)
            sum += user_target((int)i);
        printf("SB-UCALLS %lu %ld\n", i, sum);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "ptrace"))
        return ptrace_test();
    if (argc >= 3 && !strcmp(argv[1], "ptraceall"))
        return ptrace_all(strtoul(argv[2], NULL, 0));
    fprintf(
        stderr,
        "usage: stepbrk loop K | user DIR | calls | brk0 | kcore VA N | execs N | ptrace | uoff | "
        "ucalls N | ptsteps DIR N | sysloop K | mtexit DIR | ptraceall R | nop\n");
    return 2;
}
