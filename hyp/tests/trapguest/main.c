// SPDX-License-Identifier: MIT
// Bare-metal EL1 test guest: checks the architected results of HVC/SMC, PSCI, trapped and
// faulting accesses under the hypervisor, printing "TRAPTEST ok|not ok N - ..." on the PL011.
#include <armvmi/abi.h>

typedef unsigned long u64;
typedef unsigned int u32;

#define UART 0x09000000UL
#define CARVE 0x40000000UL
#define NOT_SUPPORTED ((u64)-1)

struct exc {
    u64 esr, far, elr, count;
};
volatile struct exc tg_exc;
static volatile u64 sec_ctx, sec_mpidr, sec_done;
static int n_test, n_fail;
extern char secondary_start[];

static void putc_(char c)
{
    while (*(volatile u32 *)(UART + 0x18) & (1u << 5))
        ;
    *(volatile u32 *)UART = (u32)c;
}

static void puts_(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            putc_('\r');
        putc_(*s);
    }
}

static void putx(u64 v)
{
    puts_("0x");
    for (int i = 60; i >= 0; i -= 4)
        putc_("0123456789abcdef"[(v >> i) & 0xf]);
}

static void putd(int v)
{
    char b[12];
    int i = 0;
    do
        b[i++] = (char)('0' + v % 10);
    while ((v /= 10) && i < 11);
    while (i)
        putc_(b[--i]);
}

static void t(int cond, const char *what, u64 got)
{
    n_test++;
    n_fail += !cond;
    puts_(cond ? "TRAPTEST ok " : "TRAPTEST not ok ");
    putd(n_test);
    puts_(" - ");
    puts_(what);
    puts_(" (got ");
    putx(got);
    puts_(")\n");
}

#define CALL(insn)                                                                                 \
    static u64 insn##_call(u64 a0, u64 a1, u64 a2, u64 a3)                                         \
    {                                                                                              \
        register u64 x0 __asm__("x0") = a0, x1 __asm__("x1") = a1;                                 \
        register u64 x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;                                 \
        __asm__ volatile(#insn " #0"                                                               \
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)                                  \
                         :                                                                         \
                         : "x4", "x5", "x6", "x7", "x9", "x10", "x11", "x12", "x13", "x14", "x15", \
                           "x16", "x17", "memory");                                                \
        return x0;                                                                                 \
    }
CALL(hvc)
CALL(smc)

static u64 exc_before;
static void exc_mark(void)
{
    exc_before = tg_exc.count;
}
static int exc_new(void)
{
    return tg_exc.count != exc_before;
}
static u64 ec(void)
{
    return tg_exc.esr >> 26;
}

void tg_secondary(u64 ctx)
{
    u64 mpidr;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    sec_mpidr = mpidr;
    sec_ctx = ctx;
    sec_done = 1;
    __asm__ volatile("dsb sy" ::: "memory");
    smc_call(0x84000002, 0, 0, 0); /* CPU_OFF: does not return */
    for (;;)
        ;
}

/* Virtual GIC seen from the guest: GICv3 CPU interface registers (ICV_* under IMO). */
#define GICR_SGI 0x080b0000UL /* CPU 0's SGI frame (redistributor + 64K) */
#define SYSREG_W(enc, v) __asm__ volatile("msr " enc ", %0\n isb" ::"r"((u64)(v)) : "memory")
static u64 iar1(void)
{
    u64 v;
    __asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(v)::"memory");
    return v & 0xffffff;
}
static void eoi1(u64 intid)
{
    SYSREG_W("S3_0_C12_C12_1", intid);
}

static u64 wait_iar(void)
{
    u64 id = 1023;
    for (u64 i = 0; i < 50000000 && (id = iar1()) == 1023; i++)
        ;
    return id;
}

#define GICD 0x08000000UL

/* The SPI of the hypervisor's doorbell (the launcher's virtio console on the highest virtio-mmio
 * transport, SPI 47): the hypervisor's own, invisible to the guest. */
#define DOORBELL_INTID 79

/* Hostile pattern: every SPI enabled and set pending at once, far more than the list
 * registers; each must still arrive but the hypervisor's own, and the hypervisor must survive. */
static void gic_flood(void)
{
    u64 seen[4] = {0}, n = 0, id, en;

    for (u64 i = 1; i < 8; i++) {
        *(volatile u32 *)(GICD + 0x100 + 4 * i) = ~0u; /* GICD_ISENABLER */
        *(volatile u32 *)(GICD + 0x200 + 4 * i) = ~0u; /* GICD_ISPENDR */
    }
    for (int i = 0; i < 600; i++) {
        id = wait_iar();
        if (id >= 1020)
            break;
        if (id >= 32 && id < 256 && !(seen[id / 64] & (1UL << (id % 64)))) {
            seen[id / 64] |= 1UL << (id % 64);
            n++;
        }
        eoi1(id);
        if (n == 223)
            break;
    }
    en = *(volatile u32 *)(GICD + 0x100 + 4 * (DOORBELL_INTID / 32)); /* GICD_ISENABLER */
    for (u64 i = 1; i < 8; i++) {
        *(volatile u32 *)(GICD + 0x180 + 4 * i) = ~0u; /* GICD_ICENABLER */
        *(volatile u32 *)(GICD + 0x280 + 4 * i) = ~0u; /* GICD_ICPENDR */
    }
    while ((id = iar1()) < 1020)
        eoi1(id);
    t(n == 223 && !(seen[DOORBELL_INTID / 64] & (1UL << (DOORBELL_INTID % 64))),
      "all 224 SPIs but the doorbell's set pending at once: the 223 are delivered", n);
    t(!(en & (1u << (DOORBELL_INTID % 32))), "the doorbell's SPI stays hidden in GICD_ISENABLER",
      en);
    *(volatile u64 *)(GICD + 0x6000 + 8 * DOORBELL_INTID) = 1; /* GICD_IROUTER: to CPU 1 */
    en = *(volatile u64 *)(GICD + 0x6000 + 8 * DOORBELL_INTID);
    t(en == 0, "the doorbell's GICD_IROUTER: RAZ/WI", en);
}

/*
 * Hostile accesses to the emulated GIC: each must get the architected answer, and the
 * hypervisor must report what it cannot emulate and keep running.
 */
#define GICR0 0x080a0000UL /* CPU 0's redistributor; 128K per CPU */
static void gic_hostile(void)
{
    u64 addr = GICD + 0x4, a = 0, b = 0, p = GICD + 0x4;

    /* A load pair has no instruction syndrome (ESR_EL2.ISV = 0): not emulable, so a
     * synchronous external abort at EL1 with FAR at the address. */
    exc_mark();
    __asm__ volatile("ldp %w0, %w1, [%2]" : "=&r"(a), "=&r"(b) : "r"(addr) : "x9", "x10", "memory");
    t(exc_new() && ec() == 0x25 && (tg_exc.esr & 0x3f) == 0x10 && tg_exc.far == addr,
      "GICD load pair (ISV=0): external abort, FAR = address", tg_exc.esr);
    /* A post-indexed load has no syndrome either; the aborted instruction must not have
     * written back its base register. */
    exc_mark();
    __asm__ volatile("ldr %w0, [%1], #4" : "=&r"(a), "+r"(p) : : "x9", "x10", "memory");
    t(exc_new() && ec() == 0x25 && p == GICD + 0x4,
      "GICD post-indexed load (ISV=0): external abort, base register not written back", p);
    /* The redistributor of a CPU that does not exist: RAZ/WI, no exception. */
    exc_mark();
    a = *(volatile u64 *)(GICR0 + 7 * 0x20000 + 0x8);       /* GICR_TYPER of CPU 7 */
    *(volatile u32 *)(GICR0 + 7 * 0x20000 + 0x10100) = ~0u; /* its GICR_ISENABLER0 */
    t(!exc_new() && a == 0, "absent CPU's redistributor: reads as zero, writes ignored", a);
    /* The hypervisor's own PPIs and SGI 15 cannot be enabled or seen by the guest. */
    *(volatile u32 *)(GICR0 + 0x10100) = ~0u;
    a = *(volatile u32 *)(GICR0 + 0x10100);
    *(volatile u32 *)(GICR0 + 0x10180) = (u32)a & ~(0xffffu | 1u << 27); /* as it was */
    t((a & (1u << 15)) == 0 && (a & (1u << 25)) == 0 && (a & (1u << 26)) == 0,
      "the hypervisor's SGI 15 and PPIs 25/26 stay hidden in GICR_ISENABLER0", a);
    /* Routing of an SPI the GIC does not have (GICD_IROUTER of INTID 1019): RAZ/WI. */
    *(volatile u64 *)(GICD + 0x6000 + 8 * 1019) = 0x80000000ffUL;
    a = *(volatile u64 *)(GICD + 0x6000 + 8 * 1019);
    t(a == 0, "GICD_IROUTER of a nonexistent SPI: RAZ/WI", a);
    /* PSCI with hostile arguments. */
    a = smc_call(0xc4000003, 0xff, (u64)secondary_start, 0);
    t(a == (u64)-2, "CPU_ON of a nonexistent CPU: INVALID_PARAMETERS", a);
    a = smc_call(0xc4000003, 0, 0x00001000, 0); /* flash, not RAM */
    t(a == (u64)-9, "CPU_ON with an entry point outside RAM: INVALID_ADDRESS", a);
    a = smc_call(0xc4000003, 0, (u64)secondary_start + 2, 0);
    t(a == (u64)-9, "CPU_ON with a misaligned entry point: INVALID_ADDRESS", a);
}

static void gic_tests(void)
{
    u64 seen = 0, id, n = 0;

    SYSREG_W("S3_0_C4_C6_0", 0xff);                             /* ICC_PMR_EL1 */
    SYSREG_W("S3_0_C12_C12_7", 1);                              /* ICC_IGRPEN1_EL1 */
    *(volatile u32 *)(GICR_SGI + 0x100) = 0xffffu | (1u << 27); /* GICR_ISENABLER0 */

    /* SGIs 0-14 to self (15 is the hypervisor's), more than the 4 list registers: the rest
     * waits in the hypervisor and enters as list registers free up (underflow maintenance). */
    for (u64 sgi = 0; sgi < 16; sgi++)
        SYSREG_W("S3_0_C12_C11_5", (sgi << 24) | 1); /* ICC_SGI1R_EL1: Aff 0.0.0, target 0 */
    for (int i = 0; i < 32; i++) {
        id = wait_iar();
        if (id >= 1020)
            break;
        seen |= 1UL << id;
        n++;
        eoi1(id);
    }
    t(seen == 0x7fff && n == 15,
      "15 self-SGIs through 4 list registers all delivered once, SGI 15 withheld", seen);

    /* Virtual timer (PPI 27), hardware-linked: the guest's EOI deactivates the physical
     * interrupt, so a second expiry is delivered too. */
    for (int round = 0; round < 2; round++) {
        __asm__ volatile("msr cntv_tval_el0, %0\n msr cntv_ctl_el0, %1\n isb" ::"r"(10000UL),
                         "r"(1UL));
        id = wait_iar();
        __asm__ volatile("msr cntv_ctl_el0, %0\n isb" ::"r"(2UL)); /* mask: level drops */
        if (id < 1020)
            eoi1(id);
        t(id == 27,
          round ? "virtual timer fires again after the guest's EOI (hardware deactivation)"
                : "virtual timer interrupt injected as INTID 27",
          id);
    }
    gic_flood();
}

/* For bench/events.sh: the time of a null HVC handled entirely in the hypervisor (the vendor
 * call ARMVMI_HVC_EXITS), in CNTVCT ticks over TG_BENCH_HVC calls. */
#define TG_BENCH_HVC 20000
static void hvc_bench(void)
{
    u64 t0, t1, frq, r = 0;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t0)::"memory");
    for (int i = 0; i < TG_BENCH_HVC; i++)
        r += hvc_call(ARMVMI_HVC_EXITS, 0x16, 0, 0);
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t1)::"memory");
    puts_("TRAPBENCH hvc calls=");
    putd(TG_BENCH_HVC);
    puts_(" ticks=");
    putx(t1 - t0);
    puts_(" cntfrq=");
    putx(frq);
    puts_(" exits=");
    putx(r);
    puts_("\n");
}

/*
 * Register-write and call events (tests/integration/56-hyp-regcall.t), with "armvmi.regcall" on
 * the command line: the MMU on (identity map) so that SCTLR_EL1.M is set, then, once a monitor
 * answers the announcement HVC: a denied write that clears M, a write of a bit outside the
 * monitor's mask, SMC/HVC events, and everything cleared after the monitor's detach.
 */
#define RC_HELLO 0xc600ff10UL  /* unknown vendor call: NOT_SUPPORTED unless a monitor answers */
#define RC_ANSWER 0x600dcafeUL /* what the test monitor answers it with, in x0 */
#define SCTLR_M 0x1UL
#define SCTLR_C (1UL << 2)
#define SCTLR_I (1UL << 12)
#define SCTLR_UCI (1UL << 26)
static u64 rc_l1[512] __attribute__((aligned(4096)));

static u64 sctlr(void)
{
    u64 v;
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(v));
    return v;
}
static void sctlr_w(u64 v)
{
    __asm__ volatile("msr sctlr_el1, %0\n isb" ::"r"(v) : "memory");
}

/* Level-1 1 GiB blocks, 32-bit VA (TCR.T0SZ = 32, 4K granule): 0-1G device, 1G-4G normal. */
static void mmu_on(void)
{
    for (u64 i = 0; i < 4; i++)
        rc_l1[i] = (i << 30) | (1UL << 10) | (i ? (3UL << 8) | (1UL << 2) : 0) | 1;
    __asm__ volatile("dsb sy\n"
                     "msr mair_el1, %0\n msr tcr_el1, %1\n msr ttbr0_el1, %2\n isb\n"
                     "tlbi vmalle1\n dsb sy\n isb" ::"r"(0xff00UL),
                     "r"(32UL | (1UL << 8) | (1UL << 10) | (3UL << 12) | (1UL << 23) | (2UL << 32)),
                     "r"((u64)rc_l1)
                     : "memory");
    sctlr_w(sctlr() | SCTLR_M | SCTLR_C | SCTLR_I);
}

static void regcall_tests(void)
{
    u64 r = NOT_SUPPORTED, s0, s1, e0, e1, x[4];

    mmu_on();
    t(sctlr() & SCTLR_M, "MMU on with an identity map: SCTLR_EL1.M set", sctlr());
    /* `armvmi vm start` returns at Linux's "as init process": the same words, for it */
    puts_("TRAPTEST regcall waiting for the monitor, as init process\n");
    for (u64 i = 0; i < 400000 && r != RC_ANSWER; i++) {
        register u64 x0 __asm__("x0") = RC_HELLO, x1 __asm__("x1") = 0x11;
        register u64 x2 __asm__("x2") = 0x22, x3 __asm__("x3") = 0x33;
        __asm__ volatile("hvc #0"
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                         :
                         : "x4", "x5", "x6", "x7", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                           "x16", "x17", "memory");
        r = x0, x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
        for (int k = 0; k < 20000; k++)
            __asm__ volatile("" ::: "memory");
    }
    t(r == RC_ANSWER && x[1] == 0xa1 && x[2] == 0xa2 && x[3] == 0xa3,
      "HVC answered by the monitor: x0-x3 are its values", x[0] ^ x[1] ^ x[2] ^ x[3]);
    r = hvc_call(0x84000000, 0, 0, 0);
    t(r == 0x10001, "HVC PSCI_VERSION seen by the monitor (CONTINUE) still served: 1.1", r);
    r = smc_call(0x84000000, 0, 0, 0);
    t(r == 0x10001, "SMC PSCI_VERSION seen by the monitor (CONTINUE) still served: 1.1", r);
    s0 = sctlr();
    exc_mark();
    sctlr_w(s0 & ~SCTLR_M); /* denied by the monitor */
    s1 = sctlr();
    t((s1 & SCTLR_M) && s1 == s0 && !exc_new(), "SCTLR_EL1 write clearing M denied: M still set",
      s1);
    sctlr_w(s0 ^ SCTLR_UCI); /* outside the monitor's mask: no event, the write takes effect */
    s1 = sctlr();
    t(s1 == (s0 ^ SCTLR_UCI), "SCTLR_EL1 write of a bit outside the mask takes effect", s1);
    sctlr_w(s0);
    puts_("TRAPTEST regcall monitor may detach\n");
    /* After the monitor's DETACH, TVM is off: an SCTLR write no longer exits (EC 0x18). */
    for (u64 i = 0; i < 200000; i++) {
        e0 = hvc_call(ARMVMI_HVC_EXITS, 0x18, 0, 0);
        sctlr_w(s0);
        sctlr_w(s0);
        e1 = hvc_call(ARMVMI_HVC_EXITS, 0x18, 0, 0);
        if (e1 == e0)
            break;
        for (int k = 0; k < 20000; k++)
            __asm__ volatile("" ::: "memory");
    }
    t(e1 == e0, "after DETACH: SCTLR_EL1 writes no longer trap (EC 0x18 exits unchanged)", e1 - e0);
    r = hvc_call(RC_HELLO, 0, 0, 0);
    t(r == NOT_SUPPORTED, "after DETACH: HVC not monitored, the unknown call NOT_SUPPORTED", r);
    puts_("TRAPTEST done ");
    putd(n_test);
    puts_(n_fail ? " FAILED\n" : " passed\n");
    smc_call(0x84000008, 0, 0, 0); /* SYSTEM_OFF */
}

/*
 * For bench/regevents.sh ("armvmi.regbench"): the null HVC, then, once a monitor has turned
 * HCR_EL2.TVM on (CONTEXTIDR_EL1 writes start exiting), TG_BENCH_REG writes of CONTEXTIDR_EL1
 * that each change it (an event each, if the monitor watches it) and as many that leave it
 * unchanged (filtered in the hypervisor), each timed with CNTVCT.
 */
#define TG_BENCH_REG 20000
static u64 ctxid_writes(u64 n, int change)
{
    u64 t0, t1;
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t0)::"memory");
    for (u64 i = 0; i < n; i++)
        __asm__ volatile("msr contextidr_el1, %0" ::"r"(change ? i & 0xffff : 7) : "memory");
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t1)::"memory");
    return t1 - t0;
}

static void reg_bench(void)
{
    u64 e0 = 0, e1 = 0, frq, tev, tfilt, t0, t1;

    hvc_bench();
    puts_("TRAPTEST regbench waiting for the monitor, as init process\n");
    for (u64 i = 0; i < 4000000 && e1 == e0; i++) {
        e0 = hvc_call(ARMVMI_HVC_EXITS, 0x18, 0, 0);
        __asm__ volatile("msr contextidr_el1, %0" ::"r"(7UL) : "memory");
        e1 = hvc_call(ARMVMI_HVC_EXITS, 0x18, 0, 0);
    }
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    tev = ctxid_writes(TG_BENCH_REG, 1);
    tfilt = ctxid_writes(TG_BENCH_REG, 0);
    /* the null HVC again, now with the monitor's session on (its periodic tick re-armed on
     * every return to the guest): the baseline of a filtered write */
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t0)::"memory");
    for (int i = 0; i < TG_BENCH_REG; i++)
        hvc_call(ARMVMI_HVC_EXITS, 0x16, 0, 0);
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t1)::"memory");
    puts_("TRAPBENCH reg writes=");
    putd(TG_BENCH_REG);
    puts_(" ticks=");
    putx(tev);
    puts_(" filtered_ticks=");
    putx(tfilt);
    puts_(" session_hvc_ticks=");
    putx(t1 - t0);
    puts_(" cntfrq=");
    putx(frq);
    puts_(" tvm=");
    putd(e1 != e0);
    puts_("\n");
    smc_call(0x84000008, 0, 0, 0); /* SYSTEM_OFF */
}

/* "armvmi.regcall" in the DTB (the launcher's /chosen/bootargs). */
static int dtb_has(const char *dtb, const char *word)
{
    u64 size;
    if (!dtb || *(const volatile u32 *)dtb != 0xedfe0dd0u) /* FDT magic, big-endian */
        return 0;
    size = __builtin_bswap32(((const u32 *)dtb)[1]);
    for (u64 i = 0; i < size && i < 0x100000; i++) {
        u64 k = 0;
        while (word[k] && dtb[i + k] == word[k])
            k++;
        if (!word[k])
            return 1;
    }
    return 0;
}

/* For 56's single-step across an HVC ("armvmi.hvcstep"): HVCs (PSCI_VERSION) in a loop for
 * ever, each followed by two known instructions. */
static void hvc_step_loop(void)
{
    mmu_on(); /* as in regcall: the tracer reads the PC's instruction through the tables */
    puts_("TRAPTEST hvcstep looping, as init process\n");
    for (;;) {
        register u64 x0 __asm__("x0") = 0x84000000;
        __asm__ volatile("hvc #0\n add x9, x9, #1\n add x10, x10, #2"
                         : "+r"(x0)
                         :
                         : "x1", "x2", "x3", "x9", "x10", "memory");
    }
}

/* For 57's single-step over exclusive sequences at EL1 ("armvmi.llscstep"): for ever, an LL/SC
 * increment (ldaxr/stlxr, cbnz back) and a cmpxchg (ldaxr, cmp, b.ne out, stlxr, cbnz back)
 * whose expected value is off by one on odd rounds; rounds counted in x20. */
static volatile u64 llsc_ctr, llsc_cas;

static void llsc_step_loop(void)
{
    mmu_on(); /* Normal memory for the exclusives; the tracer reads each PC's instruction */
    puts_("TRAPTEST llscstep looping, as init process\n");
    __asm__ volatile("   mov x20, #0\n"
                     "1: ldaxr x9, [%[ctr]]\n"
                     "   add x9, x9, #1\n"
                     "   stlxr w10, x9, [%[ctr]]\n"
                     "   cbnz w10, 1b\n"
                     "   ldr x12, [%[cas]]\n"
                     "   and x13, x20, #1\n"
                     "   add x12, x12, x13\n"
                     "   add x14, x12, #1\n"
                     "2: ldaxr x9, [%[cas]]\n"
                     "   cmp x9, x12\n"
                     "   b.ne 3f\n"
                     "   stlxr w10, x14, [%[cas]]\n"
                     "   cbnz w10, 2b\n"
                     "   b 4f\n"
                     "3: clrex\n"
                     "4: add x20, x20, #1\n"
                     "   b 1b\n"
                     :
                     : [ctr] "r"(&llsc_ctr), [cas] "r"(&llsc_cas)
                     : "x9", "x10", "x12", "x13", "x14", "x20", "memory", "cc");
}

void tg_main(u64 dtb)
{
    u64 r, pc;

    puts_("TRAPTEST start\n");
    if (dtb_has((const char *)dtb, "armvmi.hvcstep"))
        hvc_step_loop();
    if (dtb_has((const char *)dtb, "armvmi.llscstep"))
        llsc_step_loop();
    if (dtb_has((const char *)dtb, "armvmi.regcall"))
        regcall_tests();
    if (dtb_has((const char *)dtb, "armvmi.regbench"))
        reg_bench();
    exc_mark();
    r = hvc_call(0x8600ff01, 0, 0, 0);
    t(r == NOT_SUPPORTED && !exc_new(), "unknown HVC (SMC64 fast call) returns NOT_SUPPORTED", r);
    r = smc_call(0xc300ff02, 0, 0, 0);
    t(r == NOT_SUPPORTED && !exc_new(), "unknown SMC returns NOT_SUPPORTED", r);
    r = smc_call(0x8200ff03, 0, 0, 0);
    t(r == NOT_SUPPORTED && !exc_new(), "unknown SMC32 returns NOT_SUPPORTED", r);
    {
        register u64 x0 __asm__("x0") = 0x84000000;
        __asm__ volatile("hvc #1" : "+r"(x0)::"x9", "x10", "memory");
        t(x0 == NOT_SUPPORTED && !exc_new(), "HVC with a nonzero immediate returns NOT_SUPPORTED",
          x0);
    }
    r = smc_call(0x80000000, 0, 0, 0);
    t(r == 0x10001, "SMCCC_VERSION is 1.1", r);
    r = hvc_call(0x84000000, 0, 0, 0);
    t(r == 0x10001, "PSCI_VERSION over HVC is 1.1", r);
    r = smc_call(0x8400000a, 0xc4000003, 0, 0);
    t(r == 0, "PSCI_FEATURES(CPU_ON) supported", r);
    r = smc_call(0x8400000a, 0x8400ffff, 0, 0);
    t(r == NOT_SUPPORTED, "PSCI_FEATURES(unknown) NOT_SUPPORTED", r);
    r = smc_call(0x84000006, 0, 0, 0);
    t(r == 2, "MIGRATE_INFO_TYPE: no migration needed (2)", r);
    r = smc_call(0xc4000004, 0, 0, 0);
    t(r == 0, "AFFINITY_INFO(self) ON", r);
    r = smc_call(0xc4000004, 0xff, 0, 0);
    t(r == (u64)-2, "AFFINITY_INFO(absent CPU) INVALID_PARAMETERS", r);
    r = smc_call(0xc4000003, 0, (u64)secondary_start, 0);
    t(r == (u64)-4, "CPU_ON(self) ALREADY_ON", r);
    r = smc_call(0xc4000003, 0, CARVE + 0x1000, 0);
    t(r == (u64)-9, "CPU_ON with an entry point in the carve-out: INVALID_ADDRESS", r);
    if (smc_call(0xc4000004, 1, 0, 0) == 1) {
        /* Results are printed once cpu1 is off, so its hypervisor messages do not
         * interleave with ours on the shared console. */
        u64 on = smc_call(0xc4000003, 1, (u64)secondary_start, 0x5ec0), off = 0;
        for (u64 i = 0; i < 200000000 && !sec_done; i++)
            __asm__ volatile("" ::: "memory");
        for (u64 i = 0; i < 200000000 && (off = smc_call(0xc4000004, 1, 0, 0)) != 1; i++)
            ;
        for (u64 i = 0; i < 20000000; i++) /* let cpu1's CPU_OFF message drain */
            __asm__ volatile("" ::: "memory");
        t(on == 0, "CPU_ON(cpu1) succeeds", on);
        t(sec_done && sec_ctx == 0x5ec0, "cpu1 runs at the entry point with x0 = context id",
          sec_ctx);
        t((sec_mpidr & 0xff) == 1, "cpu1 sees its own MPIDR", sec_mpidr);
        t(off == 1, "AFFINITY_INFO(cpu1) OFF after its CPU_OFF", off);
    }

    /* Trapped ID registers (HCR_EL2.TID3): each read exits to the hypervisor (EC 0x18) and
     * returns the hardware value; unallocated ID encodings read as zero. */
    {
        u64 before = hvc_call(ARMVMI_HVC_EXITS, 0x18, 0, 0), pfr0, mmfr0, rsv, after;
        __asm__ volatile("mrs %0, S3_0_C0_C4_0" : "=r"(pfr0));
        __asm__ volatile("mrs %0, S3_0_C0_C7_0" : "=r"(mmfr0));
        __asm__ volatile("mrs %0, S3_0_C0_C3_3" : "=r"(rsv));
        after = hvc_call(ARMVMI_HVC_EXITS, 0x18, 0, 0);
        t(after - before == 3, "ID register reads trap to the hypervisor (3 system register exits)",
          after - before);
        t(((pfr0 >> 4) & 0xf) >= 1 && (pfr0 & 0xf) >= 1,
          "ID_AA64PFR0_EL1 emulated: EL0/EL1 AArch64", pfr0);
        t((mmfr0 & 0xf) >= 2, "ID_AA64MMFR0_EL1 emulated: PARange of 40 bits or more", mmfr0);
        t(rsv == 0, "unallocated ID register encoding reads as zero", rsv);
    }

    /* IMPLEMENTATION DEFINED encodings (trapped with HCR_EL2.TIDCP where the CPU implements
     * it): UNDEFINED, ESR_EL1.EC = 0, ELR at the instruction. */
    exc_mark();
    __asm__ volatile("adr %0, 1f\n1: mrs x9, S3_0_C15_C0_0" : "=r"(pc)::"x9", "x10", "memory");
    t(exc_new() && ec() == 0 && tg_exc.elr == pc,
      "IMPLEMENTATION DEFINED register read is UNDEFINED", tg_exc.esr);

    /* A feature the hypervisor hides: ID_AA64MMFR1_EL1.LO reads 0 and the FEAT_LOR registers
     * trap (HCR_EL2.TLOR) to the hypervisor, which does not handle them, reports the trap and
     * injects UNDEFINED: EC = 0 at EL1, ELR at the instruction. */
    {
        u64 mmfr1, before = hvc_call(ARMVMI_HVC_EXITS, 0x18, 0, 0), after;
        __asm__ volatile("mrs %0, S3_0_C0_C7_1" : "=r"(mmfr1));
        t(((mmfr1 >> 16) & 0xf) == 0, "ID_AA64MMFR1_EL1.LO = 0: FEAT_LOR hidden", mmfr1);
        exc_mark();
        __asm__ volatile("adr %0, 1f\n1: mrs x9, S3_0_C10_C4_7" : "=r"(pc)::"x9", "x10", "memory");
        after = hvc_call(ARMVMI_HVC_EXITS, 0x18, 0, 0);
        t(exc_new() && ec() == 0 && tg_exc.elr == pc,
          "LORID_EL1 read (trapped, not handled) is UNDEFINED at EL1", tg_exc.esr);
        t(after - before == 2,
          "the LORID_EL1 read reached the hypervisor (2 system register exits)", after - before);
    }

    /* Emulated trapped register: ICC_SGI1R_EL1 write (SGI 0 to self) completes silently. */
    exc_mark();
    __asm__ volatile("msr S3_0_C12_C11_5, %0\n isb" ::"r"(1UL) : "memory");
    t(!exc_new(), "ICC_SGI1R_EL1 write is emulated", tg_exc.count);

    /* Carve-out: never mapped, so a synchronous external abort at EL1 (EC 0x25, DFSC 0x10). */
    exc_mark();
    r = *(volatile u32 *)(CARVE + 0x100);
    t(exc_new() && ec() == 0x25 && (tg_exc.esr & 0x3f) == 0x10 && tg_exc.far == CARVE + 0x100,
      "read of the carve-out: data abort, external, FAR = address", tg_exc.esr);
    exc_mark();
    r = *(volatile u32 *)(0x09020000UL + 0x8); /* fw_cfg: DMA-capable, never mapped */
    t(exc_new() && ec() == 0x25 && (tg_exc.esr & 0x3f) == 0x10,
      "fw_cfg (DMA-capable device) is not reachable: data abort", tg_exc.esr);
    exc_mark();
    *(volatile u32 *)(CARVE + 0xf00000) = 0xbad;
    t(exc_new() && ec() == 0x25 && (tg_exc.esr & (1u << 6)),
      "write to the carve-out: data abort with WnR", tg_exc.esr);
    exc_mark();
    __asm__ volatile("mov x9, %0\n blr x9" ::"r"(CARVE + 0x200000) : "x9", "x10", "x30", "memory");
    t(exc_new() && ec() == 0x21 && tg_exc.far == CARVE + 0x200000,
      "instruction fetch from the carve-out: instruction abort", tg_exc.esr);

    gic_tests();
    gic_hostile();

    hvc_bench();
    puts_("TRAPTEST done ");
    putd(n_test);
    puts_(n_fail ? " FAILED\n" : " passed\n");
    smc_call(0x84000008, 0, 0, 0); /* SYSTEM_OFF */
}
