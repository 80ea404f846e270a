/* SPDX-License-Identifier: MIT */
/* abi.h — the one contract between the armvmi hypervisor (hyp/) and the library and tools. */
#ifndef ARMVMI_ABI_H
#define ARMVMI_ABI_H

/*
 * Both builds include this header: hyp/ (freestanding, cross-compiled) and lib/, tools/ (hosted).
 * It is deliberately not part of the armvmi.h umbrella: API users never need it. Everything
 * here is little-endian, fixed-width and position-independent (addresses are guest-physical,
 * never pointers). ARMVMI_ABI_VERSION changes whenever a layout or a meaning below changes;
 * each side checks it and refuses the other's when they differ.
 *
 * Carve-out layout (QEMU virt, RAM at 0x40000000); the guest never sees any of it (it is not
 * in the guest's device tree and not mapped at stage 2):
 *   0x40000000  QEMU's own DTB (ignored)
 *   0x40200000  the hypervisor ELF (text, data, stacks, page tables)
 *   0x40f00000  struct armvmi_abi_bootinfo, written by the host launcher
 *   0x40f01000  struct armvmi_abi_vcpu[ARMVMI_MAX_VCPUS], kept current by the hypervisor
 *   0x40f10000  the monitor channel (VMI events): header, per-vCPU slots, commands, async ring
 *   0x41000000  the stage-2 table pool (ARMVMI_S2_POOL_PAGES(RAM) pages, rounded up to 2 MiB)
 *   carve end   guest RAM starts here (0x41200000 for 512 MiB of RAM)
 * Guest RAM is mapped at stage 2 with 4K pages (see hyp/core/stage2.c for why), so the pool
 * grows with RAM: one level-3 table per 2 MiB, one level-2 table per 1 GiB, and a reserve for
 * the device mappings.
 */

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define ARMVMI_ABI_VERSION 7

#define ARMVMI_CARVE_BASE 0x40000000ULL
#define ARMVMI_CARVE_FIXED 0x01000000ULL
#define ARMVMI_S2_POOL_BASE (ARMVMI_CARVE_BASE + ARMVMI_CARVE_FIXED)
#define ARMVMI_S2_POOL_PAGES(ram) (((ram) >> 21) + ((ram) >> 30) + 64)
#define ARMVMI_CARVE_SIZE(ram)                                                                     \
    (ARMVMI_CARVE_FIXED + ((ARMVMI_S2_POOL_PAGES(ram) * 4096ULL + 0x1fffffULL) & ~0x1fffffULL))
#define ARMVMI_HYP_LOAD_ADDR 0x40200000ULL
#define ARMVMI_MAX_VCPUS 4

/* ---- Boot information: the host launcher writes it, the hypervisor checks it at boot. ---- */
#define ARMVMI_BOOTINFO_ADDR 0x40f00000ULL
#define ARMVMI_BOOTINFO_MAGIC 0x4f464e4950594841ULL /* "AHYPINFO" */
/* flags */
#define ARMVMI_BOOT_VGIC 0x1ULL /* emulate the distributor and the virtual CPU interface */
/* Hold vCPU 0 in the hypervisor before the guest kernel's first instruction until a monitor
 * releases it (ARMVMI_CMD_RELEASE, DETACH, or its session ends), or until no monitor has been
 * attached for hold_s seconds; the channel says ARMVMI_CHAN_F_HELD meanwhile. */
#define ARMVMI_BOOT_HOLD 0x2ULL
#define ARMVMI_BOOT_HOLD_MAX_S 86400u

#ifndef __ASSEMBLER__
struct armvmi_abi_bootinfo {
    uint64_t magic;                  /* ARMVMI_BOOTINFO_MAGIC */
    uint32_t version;                /* ARMVMI_ABI_VERSION */
    uint32_t ncpus;                  /* 1..ARMVMI_MAX_VCPUS */
    uint64_t ram_base, ram_size;     /* all of machine RAM */
    uint64_t carve_base, carve_size; /* never mapped at stage 2 */
    uint64_t kernel_entry;           /* guest Image load address */
    uint64_t dtb;                    /* guest DTB (x0 at entry) */
    uint64_t flags;                  /* ARMVMI_BOOT_* */
    uint64_t hold_s;                 /* ARMVMI_BOOT_HOLD: 1.._MAX_S s without a monitor */
};
#endif

/*
 * ---- The per-vCPU record: the guest's vCPU while the physical CPU is in the hypervisor. ----
 *
 * vCPUs are pinned one to one to physical CPUs. When a physical CPU is paused inside the
 * hypervisor, its own registers are the hypervisor's; the guest's are in this record:
 * - on every exit from the guest, the hypervisor fills in the guest's state as it was at the
 *   exit (general registers, PC, PSTATE and the EL1 registers below) and then, last, sets
 *   state = ARMVMI_VCPU_IN_HYP;
 * - before it returns to the guest it sets state = ARMVMI_VCPU_IN_GUEST, first.
 * So a reader that finds IN_HYP reads a complete, consistent record. A reader that finds the
 * physical CPU at EL2 with any other state caught it in the few instructions of exception
 * entry or return (or a CPU the guest has not started, state OFF): it steps that CPU until
 * the record says IN_HYP or the CPU is back at EL1/EL0.
 * Registers not in the record (TPIDR_EL0, TPIDRRO_EL0, FP/SIMD) are not touched by the
 * hypervisor and are live in the physical CPU.
 */
#define ARMVMI_VCPU_REC_ADDR 0x40f01000ULL
#define ARMVMI_VCPU_REC_STRIDE 0x400ULL
#define ARMVMI_VCPU_REC(id) (ARMVMI_VCPU_REC_ADDR + (uint64_t)(id)*ARMVMI_VCPU_REC_STRIDE)
#define ARMVMI_VCPU_MAGIC 0x55504356u /* "VCPU" */

#define ARMVMI_VCPU_OFF 0      /* not started by the guest yet (or turned off by it) */
#define ARMVMI_VCPU_IN_GUEST 1 /* running the guest: its state is in the physical CPU */
#define ARMVMI_VCPU_IN_HYP 2   /* in the hypervisor: the guest's state is this record */

#ifndef __ASSEMBLER__
struct armvmi_abi_vcpu {
    uint32_t magic;   /* ARMVMI_VCPU_MAGIC once the hypervisor has set the record up */
    uint32_t version; /* ARMVMI_ABI_VERSION */
    uint32_t id;      /* vCPU index, = the record's index */
    uint32_t state;   /* ARMVMI_VCPU_*; written last on exit, first on entry */
    uint64_t exits;   /* exits from the guest so far */
    uint64_t x[31];
    uint64_t pc;     /* ELR_EL2 at the exit */
    uint64_t pstate; /* SPSR_EL2 at the exit */
    uint64_t sp_el0, sp_el1, elr_el1, spsr_el1;
    uint64_t sctlr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1, vbar_el1;
    uint64_t contextidr_el1, tpidr_el1, esr_el1, far_el1;
    uint64_t esr_el2, far_el2, hpfar_el2; /* the exit's syndrome */
};

#define ARMVMI_ABI_CHECK(cond) _Static_assert(cond, #cond)
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_bootinfo) == 80);
ARMVMI_ABI_CHECK(__builtin_offsetof(struct armvmi_abi_vcpu, x) == 24);
ARMVMI_ABI_CHECK(__builtin_offsetof(struct armvmi_abi_vcpu, pc) == 272);
ARMVMI_ABI_CHECK(__builtin_offsetof(struct armvmi_abi_vcpu, sp_el0) == 288);
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_vcpu) == 424);
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_vcpu) <= ARMVMI_VCPU_REC_STRIDE);
ARMVMI_ABI_CHECK(ARMVMI_VCPU_REC(ARMVMI_MAX_VCPUS) <= ARMVMI_CARVE_BASE + ARMVMI_CARVE_FIXED);
#endif

/* ---- Vendor hypercalls (SMCCC vendor-specific hypervisor service range, fast, 64-bit). ---- */
/* x1 = an ESR_EL2.EC: returns in x0 this vCPU's exits of that class so far. */
#define ARMVMI_HVC_EXITS 0xc6000001UL

/* Doorbell bytes (the run directory's doorbell.sock; see "Wake-ups" below). A byte carries no
 * data but these: the host's PING is answered with PONG by the hypervisor's driver itself
 * (liveness, round-trip time); every other byte from the host means "look at the channel". */
#define ARMVMI_DOORBELL_PING 'P'
#define ARMVMI_DOORBELL_PONG 'p'
#define ARMVMI_DOORBELL_RING 'd' /* what the hypervisor sends to wake the monitor */

/*
 * ---- VMI events: the monitor channel. ----
 *
 * One monitor at a time (a host process that maps guest RAM, the carve-out included, through
 * the shared RAM file) talks to the hypervisor here. Every field has one writer: the header's
 * first half is the hypervisor's, its second half the monitor's; a slot's event is the
 * hypervisor's, its response the monitor's; a command entry's op/args are the monitor's, its
 * status/result the hypervisor's. The hypervisor copies whatever the monitor wrote once, then
 * checks the copy before using it (the monitor is not trusted); bad input is counted in
 * `errors`/`last_error` and reported on the console, never acted on.
 *
 * Parts (offsets from ARMVMI_CHAN_ADDR):
 *   0x00000  struct armvmi_abi_chan            header
 *   0x01000  struct armvmi_abi_slot[MAX_VCPUS] one synchronous event per vCPU, stride 0x800
 *   0x04000  struct armvmi_abi_cmd[CMD_RING]   commands, monitor -> hypervisor
 *   0x08000  struct armvmi_abi_event[ASYNC]    asynchronous events, stride 0x200
 *
 * Synchronous events: the vCPU fills its slot (event, then state POSTED, release) and waits in
 * the hypervisor (only that vCPU) until the monitor writes the response and then state
 * ANSWERED (release). The hypervisor applies the response and sets the slot FREE.
 * Asynchronous events (n2rwx) do not wait: entry (async_head % ASYNC) is written, then
 * async_head is incremented; the monitor consumes up to async_head and sets async_tail. A full
 * ring drops the event and counts it in async_dropped (the access itself was already allowed).
 * Sequence numbers: one counter per attach over both kinds, starting at 1, no gaps (an ATTACH
 * after a fail-closed monitor was declared gone goes on with its numbers: its events still wait).
 * Commands: the monitor fills entry (cmd_head % CMD_RING) with status PENDING, then increments
 * cmd_head; the hypervisor executes them in order, writes status (and result), then increments
 * cmd_done. Long commands (SET_ACCESS on a large range) run in chunks between guest
 * instructions, with result[0] showing progress; they never hold a vCPU for long.
 * Wake-ups: with ARMVMI_CHAN_F_DOORBELL the hypervisor has a doorbell device to the host (the
 * run directory's doorbell socket, a byte means "look at the channel"): it rings after posting
 * an event when the monitor has set ARMVMI_MON_F_SLEEPING, and the monitor sends a byte after
 * answering or posting a command. The bytes carry no data. With ARMVMI_MON_F_BUSY_POLL both
 * sides spin on the shared fields instead (lowest latency, a host CPU per waiting side).
 * Liveness: the monitor increments mon_heartbeat at least every mon_timeout_ms / 4. If it does
 * not change for mon_timeout_ms of the hypervisor's time, the monitor is gone: fail-open (the
 * default) removes every restriction, answers pending events with CONTINUE and detaches;
 * with ARMVMI_MON_F_FAIL_CLOSED the waiting vCPUs stay paused until a monitor attaches again
 * (a new ATTACH command; pending slots stay POSTED for it to answer).
 * Boot hold (bootinfo ARMVMI_BOOT_HOLD): the channel is set up before any guest instruction;
 * vCPU 0 waits before the kernel's first one (its record IN_HYP with that entry state,
 * hyp_flags ARMVMI_CHAN_F_HELD) and executes commands, so a monitor attaches and sets its traps
 * first, then sends RELEASE. The end of the session (DETACH, a monitor gone fail-open) releases
 * it too; a fail-closed monitor gone does not. With no monitor attached for hold_s seconds
 * the hypervisor releases it itself.
 */
#define ARMVMI_CHAN_ADDR 0x40f10000ULL
#define ARMVMI_CHAN_SIZE 0x000f0000ULL
#define ARMVMI_CHAN_MAGIC 0x4e414843494d5641ULL /* "AVMICHAN" */
#define ARMVMI_MON_MAGIC 0x004e4f4d494d5641ULL  /* "AVMIMON" */
#define ARMVMI_CHAN_SLOTS_OFF 0x1000ULL
#define ARMVMI_CHAN_SLOT_STRIDE 0x800ULL
#define ARMVMI_CHAN_CMDS_OFF 0x4000ULL
#define ARMVMI_CHAN_CMD_RING 64
#define ARMVMI_CHAN_ASYNC_OFF 0x8000ULL
#define ARMVMI_CHAN_ASYNC_STRIDE 0x200ULL
#define ARMVMI_CHAN_ASYNC 256

/* hyp_flags */
#define ARMVMI_CHAN_F_DOORBELL 0x1u /* the doorbell device exists (else the monitor polls) */
/* vCPU 0 is held before the guest kernel (ARMVMI_BOOT_HOLD): cleared, for good, when it is
 * released; the only hyp_flags bit that changes after boot */
#define ARMVMI_CHAN_F_HELD 0x2u
/* mon_flags */
#define ARMVMI_MON_F_FAIL_CLOSED 0x1u /* monitor gone: keep waiting vCPUs paused */
#define ARMVMI_MON_F_BUSY_POLL 0x2u   /* both sides spin: no doorbells, no WFI */
#define ARMVMI_MON_F_SLEEPING 0x4u    /* the monitor blocks on the doorbell: ring it */

/* Access a guest frame allows (the permission store's values); anything else is invalid. */
#define ARMVMI_ACC_N 0x0u
#define ARMVMI_ACC_R 0x1u
#define ARMVMI_ACC_W 0x2u
#define ARMVMI_ACC_X 0x4u
#define ARMVMI_ACC_RWX 0x7u   /* unrestricted: the default */
#define ARMVMI_ACC_RX2RW 0x8u /* rx; a write makes it rw, with no event */
#define ARMVMI_ACC_N2RWX 0x9u /* none; the first access makes it rwx, with an async event */

/* event types */
#define ARMVMI_EV_MEM 1 /* a stage-2 permission fault the monitor asked for (gpa, gva, access) */
#define ARMVMI_EV_REG 2 /* a trapped write to an EL1 system register: u.reg (sync) */
/* SMC/HVC: regs.pc is the address of the call instruction itself (for both). */
#define ARMVMI_EV_SMC 3   /* an SMC from the guest (EL1): x0-x7 in regs, u.call (sync) */
#define ARMVMI_EV_HVC 4   /* an HVC from the guest (EL1): x0-x7 in regs, u.call (sync) */
#define ARMVMI_EV_STEP 5  /* a stepped vCPU is about to run the instruction at regs.pc: u.step */
#define ARMVMI_EV_BREAK 6 /* one of our breakpoints: gva = PC, gpa = its address, u.brk (sync) */

/* The system registers of ARMVMI_EV_REG and ARMVMI_CMD_REG_TRAP. Writes to the first six are
 * trapped by HCR_EL2.TVM (with the rest of its group, which the hypervisor performs silently);
 * VBAR_EL1 would need FEAT_FGT (HFGWTR_EL2), which the hypervisor does not use: REG_TRAP of it
 * with a nonzero mask answers ENOTSUP (QEMU 7.2 has no FEAT_FGT). While any register has a
 * nonzero mask, HCR_EL2.TVM is on on every vCPU and each trapped write of the group (SCTLR,
 * TTBR0/1, TCR, ESR, FAR, AFSR0/1, MAIR, AMAIR, CONTEXTIDR) is performed by the hypervisor; a write
 * that raises no event is counted in the channel's `filtered`. */
#define ARMVMI_SYSREG_SCTLR_EL1 0
#define ARMVMI_SYSREG_TTBR0_EL1 1
#define ARMVMI_SYSREG_TTBR1_EL1 2
#define ARMVMI_SYSREG_TCR_EL1 3
#define ARMVMI_SYSREG_MAIR_EL1 4
#define ARMVMI_SYSREG_CONTEXTIDR_EL1 5
#define ARMVMI_SYSREG_VBAR_EL1 6
#define ARMVMI_SYSREG_COUNT 7
/* ARMVMI_CMD_REG_TRAP flags */
#define ARMVMI_REGT_ALL 0x1u /* every write, also one that leaves the masked bits unchanged */
/* ARMVMI_CMD_CALL_TRAP: which calls raise events */
#define ARMVMI_CALLT_SMC 0x1u
#define ARMVMI_CALLT_HVC 0x2u
/* ARMVMI_CMD_STEP flags */
#define ARMVMI_STEPF_IRQS 0x1u /* deliver virtual interrupts between steps (default: held) */
#define ARMVMI_STEPF_EL0                                                                           \
    0x2u /* events only at EL0; stepping parked from a kernel entry to an exit at EL0 */
/* A stage-1 table base as STEP and BREAK_SET take it: TTBR0_EL1 without ASID [63:48], CnP [0] */
#define ARMVMI_TTBR_BADDR 0x0000fffffffffffeULL
/* memory event flags */
#define ARMVMI_EVF_S1PTW 0x1u    /* the guest's own stage-1 table walk touched the frame */
#define ARMVMI_EVF_GVA 0x2u      /* gva is valid (FAR was valid) */
#define ARMVMI_EVF_SYNDROME 0x4u /* size, reg, sign_extend valid (data abort with ESR.ISV) */
#define ARMVMI_EVF_VALUE 0x8u    /* value is the value being written */
#define ARMVMI_EVF_ASYNC 0x10u   /* asynchronous: the vCPU did not wait (n2rwx) */
/* EV_STEP: the instructions from the previous step event's PC (a load-exclusive: LDXR, LDAXR,
 * LDXP, LDAXP, all sizes) to this PC ran at once, unstepped, as one step (count + 1): an
 * exclusive sequence, which stepping could never complete (each step's exception entry and
 * return clear the exclusive monitor, so its store-exclusive would always fail). This PC is
 * the instruction after the sequence's store-exclusive, or the target of a conditional branch
 * out of the sequence (e.g. cmpxchg's b.ne). A sequence is recognised when a store-exclusive
 * follows the load-exclusive within 16 instructions with no unconditional branch, exception,
 * system instruction (but barriers and hints), other load-exclusive, or a second way out
 * before it; it runs with virtual interrupts held (also with STEPF_IRQS), up to the hypervisor's
 * hardware breakpoints at its exits (when the guest uses those breakpoint slots itself, or any
 * other exit leaves the sequence, stepping goes on instruction by instruction). */
#define ARMVMI_EVF_STEP_EXCL 0x20u

#ifndef __ASSEMBLER__
/* The guest's vCPU at an event: the same registers as struct armvmi_abi_vcpu. */
struct armvmi_abi_regs {
    uint64_t x[31];
    uint64_t pc, pstate;
    uint64_t sp_el0, sp_el1, elr_el1, spsr_el1;
    uint64_t sctlr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1, vbar_el1;
    uint64_t contextidr_el1, tpidr_el1, esr_el1, far_el1;
    uint64_t esr_el2, far_el2, hpfar_el2;
};

struct armvmi_abi_event {
    uint64_t seq;  /* 1, 2, 3, ... per attach, sync and async together */
    uint64_t time; /* CNTVCT_EL0 when the event arose */
    uint32_t vcpu;
    uint32_t type;        /* ARMVMI_EV_* */
    uint64_t gpa;         /* the guest-physical address accessed */
    uint64_t gva;         /* the virtual address (ARMVMI_EVF_GVA) */
    uint32_t access;      /* ARMVMI_ACC_R, _W or _X: what the guest tried */
    uint32_t flags;       /* ARMVMI_EVF_* */
    uint32_t size;        /* access size in bytes (ARMVMI_EVF_SYNDROME) */
    uint32_t reg;         /* Xt (31: XZR) (ARMVMI_EVF_SYNDROME) */
    uint64_t value;       /* the value written (ARMVMI_EVF_VALUE) */
    uint32_t page_access; /* the frame's access in the store at the fault */
    uint32_t sign_extend; /* a load sign-extends (ESR.SSE), to 64 bits if sf else 32 */
    struct armvmi_abi_regs regs;
    union { /* by type */
        struct {
            uint32_t sysreg; /* ARMVMI_SYSREG_* */
            uint32_t rt;     /* the MSR's source register (31: XZR) */
            uint64_t old_value, new_value;
        } reg;
        struct {
            uint32_t imm; /* the instruction's 16-bit immediate */
            uint32_t pad;
        } call;
        struct {
            uint64_t count; /* instructions stepped on this vCPU since stepping was turned on */
        } step;
        struct {
            uint64_t id;   /* the breakpoint's id (ARMVMI_CMD_BREAK_SET's result) */
            uint64_t hits; /* its hits so far, this one included */
        } brk;
        uint64_t raw[3];
    } u;
};

/* response actions */
#define ARMVMI_RSP_CONTINUE 0 /* retry the access as the store now allows (it may fault again) */
#define ARMVMI_RSP_STEP 1     /* run exactly this instruction with the frame unrestricted */
#define ARMVMI_RSP_SKIP 2     /* do not run the instruction: PC += 4 */
#define ARMVMI_RSP_EMULATE 3  /* a read returns `value` in Xt; a write is suppressed; PC += 4 */
#define ARMVMI_RSP_DENY 4     /* EV_REG: the write is discarded (the register keeps its value) */
#define ARMVMI_RSP_ANSWER 5   /* EV_SMC/HVC: not handled by the hypervisor; x0-x3 = rsp x[0..3] */
/* What each event type accepts (anything else is rejected, ARMVMI_ERR_RSP_ACTION):
 *   MEM    CONTINUE, STEP, SKIP, EMULATE
 *   REG    CONTINUE (the write takes effect, PC += 4), DENY, SKIP (= DENY)
 *   SMC    CONTINUE (handled as without a monitor: PSCI, SMCCC...; PC advanced), ANSWER, SKIP
 *   HVC    as SMC
 *   STEP   CONTINUE (run the instruction; with stepping still on, the next one is an event)
 *   BREAK  CONTINUE (run the original instruction, then re-arm), SKIP (PC += 4, not run)
 * With SET_REGS and a new PC, CONTINUE and SKIP go on at that PC instead. A MEM event's STEP of a
 * frame that got a breakpoint while the event waited (the frame is unrestricted then) is done
 * as CONTINUE: the access is retried through the breakpoint's views. */
/* response flags */
#define ARMVMI_RSPF_SET_REGS 0x1u   /* apply the registers selected by reg_mask first */
#define ARMVMI_RSPF_SET_ACCESS 0x2u /* set the frame's access to new_access first (MEM only) */
#define ARMVMI_RSPF_STEP_ON 0x4u    /* single-step this vCPU from here on (events EV_STEP) */
#define ARMVMI_RSPF_STEP_OFF 0x8u   /* stop single-stepping this vCPU */
/* reg_mask bits: 0-30 x0-x30, then: */
#define ARMVMI_RSP_REG_PC 31
#define ARMVMI_RSP_REG_PSTATE 32
#define ARMVMI_RSP_REG_SP_EL0 33
#define ARMVMI_RSP_REG_SP_EL1 34

struct armvmi_abi_response {
    uint64_t seq; /* the event's seq; anything else is rejected */
    uint32_t action;
    uint32_t flags;
    uint64_t value; /* ARMVMI_RSP_EMULATE of a read */
    uint32_t new_access;
    uint32_t pad;
    uint64_t reg_mask;
    uint64_t x[31];
    uint64_t pc, pstate, sp_el0, sp_el1;
};

/* slot states */
#define ARMVMI_SLOT_FREE 0
#define ARMVMI_SLOT_POSTED 1   /* hypervisor: an event waits for its response */
#define ARMVMI_SLOT_ANSWERED 2 /* monitor: the response is complete */

struct armvmi_abi_slot {
    uint32_t state;
    uint32_t pad;
    struct armvmi_abi_event ev;
    struct armvmi_abi_response rsp;
};

/* commands */
#define ARMVMI_CMD_ATTACH 1     /* arg0 mon_flags, arg1 timeout ms: start a session (seq from 1) */
#define ARMVMI_CMD_DETACH 2     /* remove every restriction, answer pending events, end it */
#define ARMVMI_CMD_SET_ACCESS 3 /* arg0 first frame (PA >> 12), arg1 frames, arg2 ARMVMI_ACC_* */
#define ARMVMI_CMD_PAUSE 4      /* arg0 vCPU mask: stop them in the hypervisor (records IN_HYP) */
#define ARMVMI_CMD_RESUME 5     /* arg0 vCPU mask */
#define ARMVMI_CMD_GET_ACCESS 6 /* arg0 frame: result[0] its ARMVMI_ACC_* */
/* arg0 ARMVMI_SYSREG_*, arg1 the bits that matter (0: no events), arg2 ARMVMI_REGT_*: a write is
 * an event when (old ^ new) & arg1 != 0, or always with ARMVMI_REGT_ALL (and arg1 != 0) */
#define ARMVMI_CMD_REG_TRAP 7
#define ARMVMI_CMD_CALL_TRAP 8 /* arg0 ARMVMI_CALLT_* (0: none): the calls that raise events */
/* arg0 vCPU mask, arg1 1 on / 0 off, arg2 ARMVMI_STEPF_*, arg3 a stage-1 table base (TTBR0,
 * ASID bits 0) whose steps raise events, 0 for any; steps filtered out count in `filtered`.
 * Stepping starts active-pending (also with RSPF_STEP_ON): the first EV_STEP is at the PC the
 * vCPU resumes at, before its instruction runs (STEP_ON with an EV_BREAK's CONTINUE: at the
 * instruction after the breakpoint's, which runs as the answer says). */
#define ARMVMI_CMD_STEP 9
/* arg0 the guest-physical address of an instruction (4-aligned, guest RAM), arg1 the stage-1
 * table base (TTBR, ASID bits ignored) whose hits count, 0 for any; result[0] the new id (>= 1) */
#define ARMVMI_CMD_BREAK_SET 10
#define ARMVMI_CMD_BREAK_CLEAR 11 /* arg0 id: the frame's original bytes are back on return */
/* Let a vCPU 0 held at boot (ARMVMI_CHAN_F_HELD) enter the guest kernel: sent once the
 * monitor's traps are set; result[0] 1 if it was held, 0 if not (not an error) */
#define ARMVMI_CMD_RELEASE 12
/* command status (written by the hypervisor) */
#define ARMVMI_CMDS_PENDING 0
#define ARMVMI_CMDS_OK 1
#define ARMVMI_CMDS_EINVAL 2  /* unknown op or bad arguments */
#define ARMVMI_CMDS_ERANGE 3  /* frames outside guest RAM (the carve-out included) */
#define ARMVMI_CMDS_ESTATE 4  /* not attached, or already attached */
#define ARMVMI_CMDS_ENOSPC 5  /* no room left (breakpoints) */
#define ARMVMI_CMDS_ENOTSUP 6 /* the CPU cannot do it (e.g. VBAR_EL1 write traps with no FGT) */
/* a breakpoint and a memory restriction cannot share a frame: BREAK_SET on a frame whose access
 * is not ARMVMI_ACC_RWX (or while a memory event's STEP runs on it), or SET_ACCESS (other than
 * RWX) on a range holding a breakpoint (a response's SET_ACCESS: ARMVMI_ERR_RSP_BUSY) */
#define ARMVMI_CMDS_EBUSY 7
#define ARMVMI_CMDS_ETIMEDOUT 8 /* BREAK_SET: a vCPU did not take MDCR_EL2.TDE within 1 s */

/* last_error codes: what the hypervisor rejected. A rejected response is not applied at all:
 * the vCPU goes on as with CONTINUE (the access faults again and raises a new event). */
#define ARMVMI_ERR_RSP_SEQ 1     /* response seq is not the event's */
#define ARMVMI_ERR_RSP_ACTION 2  /* unknown action or flags */
#define ARMVMI_ERR_RSP_ACCESS 3  /* new_access is not an ARMVMI_ACC_* value */
#define ARMVMI_ERR_RSP_REGS 4    /* reg_mask has unknown bits, or pstate is not EL0/EL1 AArch64 */
#define ARMVMI_ERR_RSP_EMULATE 5 /* EMULATE of an access without a valid syndrome */
#define ARMVMI_ERR_CMD_HEAD 6    /* cmd_head is more than CMD_RING ahead of cmd_done, or behind */
#define ARMVMI_ERR_CMD_OP 7      /* unknown command */
#define ARMVMI_ERR_CMD_ARGS 8    /* bad command arguments (flags, access value, vCPU mask) */
#define ARMVMI_ERR_CMD_RANGE 9   /* frames outside guest RAM or inside the carve-out */
#define ARMVMI_ERR_ASYNC_TAIL 10 /* async_tail is ahead of async_head */
#define ARMVMI_ERR_SLOT_STATE 11 /* a slot state the monitor may not write */
/* a memory event's response with SET_ACCESS (other than RWX) of a frame that holds a breakpoint
 * (placed while the event waited): rejected like any bad response (ARMVMI_CMDS_EBUSY's rule) */
#define ARMVMI_ERR_RSP_BUSY 12

struct armvmi_abi_cmd {
    uint64_t id; /* the monitor's, echoed in nothing: for its own bookkeeping */
    uint32_t op;
    uint32_t status;
    uint64_t arg[4];
    uint64_t result[2];
};

struct armvmi_abi_chan {
    /* written by the hypervisor */
    uint64_t magic;   /* ARMVMI_CHAN_MAGIC once the channel is set up */
    uint32_t version; /* ARMVMI_ABI_VERSION */
    uint32_t ncpus;
    uint32_t hyp_flags; /* ARMVMI_CHAN_F_* */
    uint32_t attached;  /* 1 while a monitor session is on */
    uint64_t cntfrq;
    uint64_t session;       /* incremented on every ATTACH */
    uint64_t seq;           /* last sequence number given out */
    uint64_t async_head;    /* asynchronous events written (monotonic) */
    uint64_t async_dropped; /* asynchronous events lost to a full ring */
    uint64_t cmd_done;      /* commands executed (monotonic) */
    uint64_t errors;        /* rejected monitor input */
    uint64_t last_error;    /* what the last rejection was (a short code, see the docs) */
    uint64_t mon_timeouts;  /* monitors declared gone */
    uint64_t reinjected;    /* the guest's own debug exceptions (BRK, steps...) handed back to it */
    uint64_t filtered;      /* trapped register writes and calls that raised no event (filters) */
    uint8_t hyp_pad[256 - 112];
    /* written by the monitor */
    uint64_t mon_magic;      /* ARMVMI_MON_MAGIC while it is there */
    uint64_t mon_heartbeat;  /* incremented at least every mon_timeout_ms / 4 */
    uint32_t mon_timeout_ms; /* 0: 2000 */
    uint32_t mon_flags;      /* ARMVMI_MON_F_* */
    uint64_t async_tail;     /* asynchronous events consumed (monotonic) */
    uint64_t cmd_head;       /* commands posted (monotonic) */
};

ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_regs) == 50 * 8);
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_regs) ==
                 sizeof(struct armvmi_abi_vcpu) - __builtin_offsetof(struct armvmi_abi_vcpu, x));
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_event) == 496);
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_event) <= ARMVMI_CHAN_ASYNC_STRIDE);
ARMVMI_ABI_CHECK(sizeof(struct armvmi_abi_slot) <= ARMVMI_CHAN_SLOT_STRIDE);
ARMVMI_ABI_CHECK(__builtin_offsetof(struct armvmi_abi_chan, mon_magic) == 256);
ARMVMI_ABI_CHECK(ARMVMI_CHAN_SLOTS_OFF + ARMVMI_MAX_VCPUS * ARMVMI_CHAN_SLOT_STRIDE <=
                 ARMVMI_CHAN_CMDS_OFF);
ARMVMI_ABI_CHECK(ARMVMI_CHAN_CMDS_OFF + ARMVMI_CHAN_CMD_RING * sizeof(struct armvmi_abi_cmd) <=
                 ARMVMI_CHAN_ASYNC_OFF);
ARMVMI_ABI_CHECK(ARMVMI_CHAN_ASYNC_OFF + ARMVMI_CHAN_ASYNC * ARMVMI_CHAN_ASYNC_STRIDE <=
                 ARMVMI_CHAN_SIZE);
ARMVMI_ABI_CHECK(ARMVMI_CHAN_ADDR + ARMVMI_CHAN_SIZE <= ARMVMI_CARVE_BASE + ARMVMI_CARVE_FIXED);
#endif

#endif
