/* SPDX-License-Identifier: MIT */
/* armvmi.h — public API of libarmvmi: guest physical memory and vCPU state of ARM VMs. */
#ifndef ARMVMI_ARMVMI_H
#define ARMVMI_ARMVMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <armvmi/arch.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions
 * - Every function that can fail returns an int: 0 on success, a negative ARMVMI_E* code on
 *   failure. The failing call also records a one-sentence message, read with armvmi_errmsg().
 * - Handles are opaque. Everything armvmi_open() creates is freed by armvmi_close().
 * - Guest physical addresses are uint64_t; lengths are size_t.
 */

/** Error codes (negated when returned). */
enum armvmi_error {
    ARMVMI_OK = 0,
    ARMVMI_EINVAL = 1,  /**< bad argument */
    ARMVMI_ENOENT = 2,  /**< no such VM, file or register */
    ARMVMI_EIO = 3,     /**< I/O or protocol failure talking to the target */
    ARMVMI_EFAULT = 4,  /**< address not backed by guest RAM */
    ARMVMI_EFORMAT = 5, /**< corrupt, truncated or unsupported file */
    ARMVMI_ENOTSUP = 6, /**< the driver cannot do this */
    ARMVMI_ENOMEM = 7,  /**< out of memory */
    ARMVMI_ESTATE = 8,  /**< the target is in the wrong state (e.g. running, not paused) */
    ARMVMI_EINTR = 9,   /**< interrupted by the user */
};

/**
 * The message of the last failure in this thread (never NULL; "" if none). Valid until the
 * next armvmi call in the same thread.
 */
const char *armvmi_errmsg(void);

/**
 * Record message (printf-style) as this thread's last error, for layers and programs built
 * on this API (the Linux layer, the events layer) so that their failures read the same way.
 * Returns -code, so that `return armvmi_set_error(ARMVMI_EFORMAT, "...");` works.
 */
int armvmi_set_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** A short name for an error code ("no such VM, file or register", ...). */
const char *armvmi_strerror(int err);

typedef struct armvmi armvmi_t;

/**
 * Open a target.
 * spec is one of:
 *   - the name of a running VM started by `armvmi vm start` (driver "qemu");
 *   - "vm:NAME" or a VM runtime directory path (driver "qemu");
 *   - a path to an ELF core dump (driver "elf");
 *   - "raw:FILE" or "raw:FILE@BASE", a raw physical image starting at guest physical address
 *     BASE (default ARMVMI_VIRT_RAM_BASE) (driver "raw").
 * On success *out is a handle to release with armvmi_close().
 * Errors: ARMVMI_ENOENT (unknown VM or missing file), ARMVMI_EFORMAT (corrupt dump),
 * ARMVMI_EIO (cannot reach the VM), ARMVMI_ENOMEM.
 *
 * Files (dumps, images, a VM's RAM file) are mapped. So that another process truncating one
 * cannot kill the program with SIGBUS, opening one installs a SIGBUS handler (again, if the
 * program has replaced it since): a fault inside the library's mappings marks the target
 * broken (later reads and writes fail with ARMVMI_EIO, pointers from armvmi_map_pa read
 * zeros); any other SIGBUS goes to the handler the program had installed before, or gets the
 * default action.
 */
int armvmi_open(armvmi_t **out, const char *spec);

/** Release a handle and everything it owns. NULL is allowed. A paused VM stays paused. */
void armvmi_close(armvmi_t *h);

/** The virt board's RAM base, the default base of raw images. */
#define ARMVMI_VIRT_RAM_BASE 0x40000000ull

/** Driver capabilities (bits of armvmi_info.caps). */
enum armvmi_cap {
    ARMVMI_CAP_READ = 1u << 0,     /**< physical reads */
    ARMVMI_CAP_WRITE = 1u << 1,    /**< physical writes */
    ARMVMI_CAP_MAP = 1u << 2,      /**< zero-copy mapping of guest RAM (armvmi_map_pa) */
    ARMVMI_CAP_REGS = 1u << 3,     /**< vCPU registers can be read */
    ARMVMI_CAP_SYSREGS = 1u << 4,  /**< system registers can be read */
    ARMVMI_CAP_SET_REGS = 1u << 5, /**< general registers can be written */
    ARMVMI_CAP_PAUSE = 1u << 6,    /**< the target can be paused and resumed */
    ARMVMI_CAP_LIVE = 1u << 7,     /**< the target is a running VM (not a dump) */
};

/** A contiguous range of guest RAM. */
struct armvmi_ram_range {
    uint64_t base;
    uint64_t size;
};

#define ARMVMI_MAX_RAM_RANGES 64

/** What a handle is connected to. */
struct armvmi_info {
    const char *driver; /**< "qemu", "elf", "raw"; owned by the handle */
    const char *target; /**< VM name or file path; owned by the handle */
    uint32_t caps;      /**< ARMVMI_CAP_* bits */
    unsigned vcpus;     /**< number of vCPUs (0 if unknown, e.g. raw images) */
    unsigned nranges;   /**< RAM ranges in ranges[] */
    struct armvmi_ram_range ranges[ARMVMI_MAX_RAM_RANGES];
    uint64_t ram_bytes; /**< sum of the ranges */
    /**
     * RAM the armvmi hypervisor keeps for itself (its code, stage-2 tables and boot
     * information; never mapped for the guest, absent from the guest's device tree). It lies
     * inside ranges[], which are the machine's RAM. Size 0 when the target does not run under
     * the armvmi hypervisor (or the driver cannot tell, e.g. dumps).
     */
    uint64_t hyp_carve_base, hyp_carve_size;
};

/** Fill *info. Never fails on a valid handle. */
int armvmi_get_info(armvmi_t *h, struct armvmi_info *info);

/** A capability name ("read", "write", "map", ...) for one ARMVMI_CAP_* bit, or NULL. */
const char *armvmi_cap_name(uint32_t cap);

/**
 * Read len bytes of guest physical memory at pa into buf. The whole range must be RAM.
 * Errors: ARMVMI_EFAULT (part of the range is not RAM; nothing is guaranteed in buf),
 * ARMVMI_EIO (e.g. the target's file was truncated while open).
 */
int armvmi_read_pa(armvmi_t *h, uint64_t pa, void *buf, size_t len);

/**
 * Write len bytes from buf to guest physical memory at pa. The whole range must be RAM; it is
 * checked before anything is written.
 * Errors: ARMVMI_EFAULT, ARMVMI_ENOTSUP (read-only target such as a dump), ARMVMI_EIO.
 */
int armvmi_write_pa(armvmi_t *h, uint64_t pa, const void *buf, size_t len);

/** One element of a batched read. status is set to 0 or a negative ARMVMI_E* code. */
struct armvmi_iov {
    uint64_t pa;
    void *buf;
    size_t len;
    int status;
};

/**
 * Read many ranges in one call. Every element gets its own status; the call returns 0 if all
 * succeeded, otherwise the first failing element's error.
 */
int armvmi_read_pa_batch(armvmi_t *h, struct armvmi_iov *iov, size_t n);

/**
 * Zero-copy access: a pointer to len bytes of guest RAM at pa, valid until armvmi_close().
 * Writes through the pointer reach the guest only if the target is writable. Returns NULL
 * (with a message) if the driver cannot map or the range is not contiguous RAM.
 */
void *armvmi_map_pa(armvmi_t *h, uint64_t pa, size_t len);

/* ---- vCPU state ---- */

/** Register identifiers. Names (armvmi_reg_name) are the architectural ones. */
enum armvmi_reg {
    ARMVMI_REG_X0 = 0,
    /* X1..X30 follow X0 */
    ARMVMI_REG_X30 = 30,
    ARMVMI_REG_SP, /**< the SP of the current exception level (gdb's "sp") */
    ARMVMI_REG_PC,
    ARMVMI_REG_PSTATE, /**< CPSR/PSTATE as gdb reports it */
    ARMVMI_REG_SP_EL0,
    ARMVMI_REG_SP_EL1,
    ARMVMI_REG_ELR_EL1,
    ARMVMI_REG_SPSR_EL1,
    ARMVMI_REG_SCTLR_EL1,
    ARMVMI_REG_TCR_EL1,
    ARMVMI_REG_TTBR0_EL1,
    ARMVMI_REG_TTBR1_EL1,
    ARMVMI_REG_MAIR_EL1,
    ARMVMI_REG_VBAR_EL1,
    ARMVMI_REG_CONTEXTIDR_EL1,
    ARMVMI_REG_TPIDR_EL1,
    ARMVMI_REG_ESR_EL1,
    ARMVMI_REG_FAR_EL1,
    ARMVMI_REG_SP_EL2,
    ARMVMI_REG_ELR_EL2,
    ARMVMI_REG_SPSR_EL2,
    ARMVMI_REG_SCTLR_EL2,
    ARMVMI_REG_TCR_EL2,
    ARMVMI_REG_TTBR0_EL2,
    ARMVMI_REG_TTBR1_EL2,
    ARMVMI_REG_MAIR_EL2,
    ARMVMI_REG_VBAR_EL2,
    ARMVMI_REG_CONTEXTIDR_EL2,
    ARMVMI_REG_TPIDR_EL2,
    ARMVMI_REG_ESR_EL2,
    ARMVMI_REG_FAR_EL2,
    ARMVMI_REG_HPFAR_EL2,
    ARMVMI_REG_HCR_EL2,
    ARMVMI_REG_VTCR_EL2,
    ARMVMI_REG_VTTBR_EL2,
    ARMVMI_REG_TPIDR_EL0,
    ARMVMI_REG_TPIDRRO_EL0,
    /** ID registers (read-only): what the CPU implements; armvmi_vactx_from_vcpu() reads the
     *  translation features from them. Under the armvmi hypervisor, the physical CPU's. */
    ARMVMI_REG_ID_AA64MMFR0_EL1,
    ARMVMI_REG_ID_AA64MMFR2_EL1,
    ARMVMI_REG_COUNT
};

/** Where a snapshot's guest state came from (struct armvmi_regs.source). */
enum armvmi_regs_source {
    /** The vCPU itself: it was running guest code (or the target has only one view). */
    ARMVMI_REGS_LIVE = 0,
    /**
     * Under the armvmi hypervisor, the physical CPU was inside the hypervisor: X0-X30, SP, PC,
     * PSTATE and the EL1 registers are the guest's as the hypervisor saved them at the exit
     * (its per-vCPU record); the EL2 registers are the hypervisor's own.
     */
    ARMVMI_REGS_HYP_RECORD = 1,
};

/** A snapshot of one vCPU's registers. armvmi_reg_valid() tells which were read. */
struct armvmi_regs {
    uint64_t regs[ARMVMI_REG_COUNT];
    uint64_t valid[(ARMVMI_REG_COUNT + 63) / 64];
    uint32_t source; /**< enum armvmi_regs_source */
    /**
     * Instructions the CPU was single-stepped, inside the hypervisor's exception entry or
     * return, to reach a point where the guest's state is whole (0 almost always).
     */
    uint32_t settle_steps;
    uint64_t hyp_pc; /**< with ARMVMI_REGS_HYP_RECORD: the hypervisor's own PC at the pause */
};

/** True if register r is present in a snapshot. */
static inline bool armvmi_reg_valid(const struct armvmi_regs *r, enum armvmi_reg id)
{
    return (unsigned)id < ARMVMI_REG_COUNT && ((r->valid[id / 64] >> (id % 64)) & 1u);
}

/** Store value as register id of a snapshot and mark it valid. */
static inline void armvmi_reg_set(struct armvmi_regs *r, enum armvmi_reg id, uint64_t value)
{
    if ((unsigned)id < ARMVMI_REG_COUNT) {
        r->regs[id] = value;
        r->valid[id / 64] |= 1ull << (id % 64);
    }
}

/** The architectural name of a register ("X0", "TTBR1_EL1", ...), or NULL if out of range. */
const char *armvmi_reg_name(enum armvmi_reg r);

/** The register called name (case-insensitive; "x5", "pc", "ttbr0_el1"), or -ARMVMI_ENOENT. */
int armvmi_reg_from_name(const char *name);

/**
 * Read the registers of vCPU vcpu (0-based) into *out. A live VM must be paused (see
 * armvmi_pause); registers the target does not expose are left invalid. Under the armvmi
 * hypervisor these are always the guest's vCPU, wherever the physical CPU was paused (see
 * out->source).
 * Errors: ARMVMI_EINVAL (no such vCPU), ARMVMI_ENOTSUP, ARMVMI_ESTATE (VM running, or a vCPU
 * the guest has not started or has turned off), ARMVMI_EIO.
 */
int armvmi_get_regs(armvmi_t *h, unsigned vcpu, struct armvmi_regs *out);

/**
 * Write one register of a paused vCPU. General registers (X0-X30, SP, PC, PSTATE) only on
 * QEMU: its gdbstub cannot write system registers, which gives ARMVMI_ENOTSUP.
 */
int armvmi_set_reg(armvmi_t *h, unsigned vcpu, enum armvmi_reg r, uint64_t value);

/**
 * Pause all vCPUs of a live VM. Nests: the VM runs again only when every armvmi_pause() has
 * been matched by armvmi_resume() (and only if it was running before the first pause).
 * Errors: ARMVMI_ENOTSUP (dumps), ARMVMI_EIO.
 */
int armvmi_pause(armvmi_t *h);

/** Undo one armvmi_pause(). */
int armvmi_resume(armvmi_t *h);

/** *paused is true if the VM's vCPUs are stopped (always true for dumps). */
int armvmi_is_paused(armvmi_t *h, bool *paused);

struct armvmi_abi_regs; /* <armvmi/abi.h> */

/**
 * Fill r with the guest registers the armvmi hypervisor saved (abi.h's struct armvmi_abi_regs:
 * in an event, or the tail of a per-vCPU record): X0-X30, SP (from PSTATE), PC, PSTATE,
 * SP_EL0/1, the EL1 registers and ESR/FAR/HPFAR_EL2; source = ARMVMI_REGS_HYP_RECORD. Other
 * registers of r are left as they are.
 */
void armvmi_regs_from_hyp(struct armvmi_regs *r, const struct armvmi_abi_regs *a);

/* ---- virtual addresses ---- */

/*
 * An access context is a struct armvmi_tt_config (see arch.h): the registers that define one
 * address space. armvmi_vactx_from_vcpu() makes the one a vCPU is using; a context for another
 * TTBR (another process) is the same struct with ttbr0 changed.
 */

/**
 * Fill *ctx with the translation regime vCPU vcpu is in, from its registers: PSTATE.EL and
 * HCR_EL2.E2H choose EL1&0 (TCR/TTBR0/TTBR1/MAIR/SCTLR_EL1), EL2&0 (VHE: the _EL2 registers
 * in the EL1 layout) or EL2 (E2H=0). For a vCPU at EL0/EL1 under a hypervisor that has
 * stage 2 on (HCR_EL2.VM), the context is the combined regime (VTCR_EL2, VTTBR_EL2).
 * regime_override, if not negative, picks the regime instead of PSTATE.EL (e.g. the guest's
 * EL1&0 tables while the vCPU is paused in the hypervisor).
 * ctx->features and ctx->pa_bits describe the vCPU's CPU: from ID_AA64MMFR0/2_EL1 where the
 * target gives them (armvmi_features_from_id), else from the TCR/VTCR in use
 * (armvmi_features_from_tcr: DS=1 means FEAT_LPA2), so that a kernel using 52-bit VAs with
 * LPA2 is walked as its CPU walks it.
 * A live VM must be paused. Errors: those of armvmi_get_regs, ARMVMI_ENOTSUP (registers needed
 * for the regime are not available, e.g. a dump without system registers).
 */
int armvmi_vactx_from_vcpu(armvmi_t *h, unsigned vcpu, int regime_override,
                           struct armvmi_tt_config *ctx);

/**
 * Translate va in ctx over the target's physical memory. access is 0 or ARMVMI_ACC_* bits
 * (see arch.h). Successful translations are cached per handle (keyed by regime, TCR, the TTBR
 * in use, VTTBR and the 4 KiB page); a cached answer has nsteps = 0 (no walk trace). Use
 * armvmi_translate_uncached() for a trace.
 * Returns 0 with *out filled; a fault is out->fault, not an error.
 */
int armvmi_va_translate(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va,
                        unsigned access, struct armvmi_translation *out);

/**
 * The physical address of va in ctx, from the cache when it can: the fast path for code that
 * only needs addresses. Errors: ARMVMI_EFAULT (not mapped; the message names the fault and its
 * level), and those of armvmi_va_translate.
 */
int armvmi_va_to_pa(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va, uint64_t *pa);

/** The same, always walking the tables and recording every step in out->steps. */
int armvmi_translate_uncached(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va,
                              unsigned access, struct armvmi_translation *out);

/**
 * Forget every cached translation. The cache is also flushed by armvmi_write_pa and
 * armvmi_write_va (which may change tables), and when a paused VM resumes; while a live VM
 * runs, translations are not cached.
 */
void armvmi_tlb_flush(armvmi_t *h);

/**
 * Read len bytes at virtual address va of ctx, page by page (a range may cross pages mapped
 * anywhere). Errors: ARMVMI_EFAULT (a page is not mapped: the message names the address, the
 * fault and its level), and those of armvmi_read_pa.
 */
int armvmi_read_va(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va, void *buf,
                   size_t len);

/** Write len bytes at va of ctx, checking every page is mapped before writing any. */
int armvmi_write_va(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t va, const void *buf,
                    size_t len);

/**
 * Enumerate the mapped ranges of ctx over the target's memory: armvmi_enum_ranges() (arch.h)
 * with the handle's physical memory. max_tables bounds the tables read (0: 1<<20).
 */
int armvmi_va_ranges(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t max_tables,
                     armvmi_range_fn cb, void *arg, struct armvmi_enum_stats *stats);

/** A name for a regime ("EL1&0", "EL2&0", "EL2", "stage 2", "AArch32 short", "AArch32 LPAE"). */
const char *armvmi_regime_name(enum armvmi_regime r);

/* ---- the armvmi hypervisor ---- */

/**
 * Connect to the doorbell of a VM under the armvmi hypervisor (the run directory's doorbell
 * socket): one byte either way means "look at the monitor channel" (see abi.h). On success *fd
 * is a connected, non-blocking, close-on-exec socket that the caller closes.
 * QEMU serves one client at a time: while another holds the socket, bytes wait for it.
 * Errors: ARMVMI_ENOTSUP (not a VM under the armvmi hypervisor, or a dump), ARMVMI_ENOENT (no
 * doorbell socket, or QEMU gone), ARMVMI_EIO.
 */
int armvmi_hyp_doorbell(armvmi_t *h, int *fd);

/* ---- dumps ---- */

/**
 * Progress callback for long operations: done and total in bytes. Return non-zero to cancel
 * (the operation then fails with ARMVMI_EINTR and leaves nothing behind).
 */
typedef int (*armvmi_progress_fn)(void *arg, uint64_t done, uint64_t total);

/**
 * Write an ELF core dump of the target to path, in the layout QEMU's dump-guest-memory uses
 * (ET_CORE, EM_AARCH64, one PT_LOAD per RAM range with p_paddr = guest physical address, one
 * NT_PRSTATUS per vCPU), plus an "ARMVMI" note per vCPU holding system registers. A live VM is
 * paused while it is written. The file appears under path only when complete (written to a
 * temporary name and renamed).
 */
int armvmi_dump(armvmi_t *h, const char *path, armvmi_progress_fn progress, void *arg);

#ifdef __cplusplus
}
#endif
#endif
