/* SPDX-License-Identifier: MIT */
/* arch.h — pure ARM address-translation walkers (AArch64, AArch32, stage 2) over a read callback.
 */
#ifndef ARMVMI_ARCH_H
#define ARMVMI_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Error codes (ARMVMI_E*) are those of armvmi.h, which includes this header.
 *
 * The walkers are pure functions: they keep no state, do no I/O of their own and read
 * translation tables only through the caller's callback. Guest memory is treated as hostile:
 * every walk is bounded, and a descriptor pointing outside readable memory is a fault in the
 * result, never a crash.
 */

/**
 * Read len bytes of physical memory at pa into buf. Return 0 on success or a negative value
 * if any byte of the range cannot be read (the walker then reports ARMVMI_FAULT_EXTERNAL).
 */
typedef int (*armvmi_read_phys_fn)(void *ctx, uint64_t pa, void *buf, size_t len);

/** Translation regimes and formats. */
enum armvmi_regime {
    ARMVMI_REGIME_EL10 = 0,  /**< AArch64 EL1&0: TCR_EL1, TTBR0_EL1, TTBR1_EL1 */
    ARMVMI_REGIME_EL20,      /**< AArch64 EL2&0 (HCR_EL2.E2H=1): TCR_EL2 in the EL1 layout */
    ARMVMI_REGIME_EL2,       /**< AArch64 EL2 (E2H=0): TCR_EL2 EL2 layout, TTBR0_EL2 only */
    ARMVMI_REGIME_STAGE2,    /**< stage 2 only: VTCR_EL2, VTTBR_EL2; the input is an IPA */
    ARMVMI_REGIME_A32_SHORT, /**< AArch32 short-descriptor (TTBCR.EAE=0) PL1&0 */
    ARMVMI_REGIME_A32_LPAE,  /**< AArch32 long-descriptor (TTBCR.EAE=1) PL1&0 */
};

/** Optional architecture features of the CPU whose tables are walked (config.features). */
enum armvmi_feature {
    ARMVMI_FEAT_LPA = 1u << 0,   /**< 52-bit OA with the 64K granule (descriptor bits 15:12) */
    ARMVMI_FEAT_LVA = 1u << 1,   /**< 52-bit VA with the 64K granule (TnSZ down to 12) */
    ARMVMI_FEAT_LPA2 = 1u << 2,  /**< 52-bit VA and OA with 4K/16K when TCR.DS=1 */
    ARMVMI_FEAT_TTST = 1u << 3,  /**< small translation tables: TnSZ up to 48 (47 for 64K) */
    ARMVMI_FEAT_PXN32 = 1u << 4, /**< AArch32 short-descriptor PXN bits (any LPAE-capable CPU) */
};

/**
 * Register values that define a translation. Fields a regime does not use are ignored.
 * - AArch64: tcr = TCR_ELx, ttbr0/ttbr1 = TTBRn_ELx (ASID and CnP are masked off),
 *   mair = MAIR_ELx, sctlr = SCTLR_ELx (WXN is used).
 * - AArch32 short: tcr = TTBCR, ttbr0/ttbr1 (32-bit), dacr, sctlr (AFE, TRE, UWXN, WXN),
 *   prrr/nmrr (used only to report attributes when SCTLR.TRE=1).
 * - AArch32 LPAE: tcr = TTBCR, ttbr0/ttbr1 (64-bit), mair = MAIR1:MAIR0, sctlr.
 * - Stage 2 (REGIME_STAGE2, or any AArch64/AArch32 stage 1 with stage2=true): vtcr, vttbr,
 *   in the VTCR_EL2/VTTBR_EL2 format of an AArch64 EL2 (an AArch32 EL2's VTCR is not
 *   supported).
 * Where the architecture leaves a choice (CONSTRAINED UNPREDICTABLE), the walker takes the one
 * QEMU takes: out-of-range TnSZ is clamped; an IPA size above the PA size faults at level 0;
 * TTBR/VTTBR base bits below the table size are ignored. TCR.HA/HD are honoured as if the CPU
 * had FEAT_HAFDBS (AF=0 does not fault; DBM=1 makes a page writable).
 */
struct armvmi_tt_config {
    enum armvmi_regime regime;
    uint64_t tcr;
    uint64_t ttbr0;
    uint64_t ttbr1;
    uint64_t mair;
    uint64_t sctlr;
    uint32_t dacr;
    uint32_t prrr;
    uint32_t nmrr;
    uint64_t vtcr;
    uint64_t vttbr;
    bool stage2;       /**< combined regime: stage-1 table reads and output go through stage 2 */
    unsigned pa_bits;  /**< implemented PA size (ID_AA64MMFR0.PARange); 0 means 48 */
    uint32_t features; /**< ARMVMI_FEAT_* bits */
};

/** Kinds of fault. A fault is a result of the walk, not an error of the call. */
enum armvmi_fault {
    ARMVMI_FAULT_NONE = 0,
    ARMVMI_FAULT_TRANSLATION, /**< invalid descriptor, VA out of range, EPDn, bad config */
    ARMVMI_FAULT_ACCESS_FLAG, /**< AF=0 and no hardware update */
    ARMVMI_FAULT_PERMISSION,  /**< the requested access is not allowed */
    ARMVMI_FAULT_ADDR_SIZE,   /**< table or output address above the configured PA size */
    ARMVMI_FAULT_EXTERNAL,    /**< a table read failed (outside RAM): external abort on walk */
    ARMVMI_FAULT_DOMAIN,      /**< AArch32 short-descriptor: domain is No access */
};

/** Permission bits (perm_el0, perm_el1, s2_perm). */
#define ARMVMI_PERM_R 1u
#define ARMVMI_PERM_W 2u
#define ARMVMI_PERM_X 4u

/** Access kinds for the permission check of armvmi_translate(). */
#define ARMVMI_ACC_READ 1u  /**< check read permission */
#define ARMVMI_ACC_WRITE 2u /**< check write permission */
#define ARMVMI_ACC_EXEC 4u  /**< check execute permission */
#define ARMVMI_ACC_EL0 8u   /**< the access is unprivileged (EL0/PL0); else EL1/EL2/PL1 */

/**
 * VMSAv8-64 and AArch32 LPAE (long-descriptor) translation table descriptor bits (Arm ARM,
 * "VMSAv8-64 translation table format descriptors"), for decoding armvmi_walk_step.desc.
 * Stage 1 and stage 2 share the low bits; the stage-2 ones are named DESC_S2_*.
 */
#define ARMVMI_DESC_VALID (1ull << 0)
#define ARMVMI_DESC_TABLE (1ull << 1) /**< table at levels < 3, page at level 3; else block */
#define ARMVMI_DESC_ATTRINDX_SHIFT 2  /**< AttrIndx[2:0], an index into MAIR */
#define ARMVMI_DESC_NS (1ull << 5)
#define ARMVMI_DESC_AP_SHIFT 6         /**< AP[2:1] */
#define ARMVMI_DESC_AP_EL0 (1ull << 6) /**< AP[1]: EL0 access */
#define ARMVMI_DESC_AP_RO (1ull << 7)  /**< AP[2]: read-only */
#define ARMVMI_DESC_SH_SHIFT 8         /**< SH[1:0]: 0 non-shareable, 2 outer, 3 inner */
#define ARMVMI_DESC_AF (1ull << 10)
#define ARMVMI_DESC_NG (1ull << 11)
#define ARMVMI_DESC_OA_MASK 0x0000fffffffff000ull /**< OA[47:12] (4K granule, 48-bit OA) */
#define ARMVMI_DESC_DBM (1ull << 51)
#define ARMVMI_DESC_CONTIG (1ull << 52)
#define ARMVMI_DESC_PXN (1ull << 53)
#define ARMVMI_DESC_UXN (1ull << 54) /**< UXN (two-EL regimes) or XN; stage 2: XN */
#define ARMVMI_DESC_PXNTABLE (1ull << 59)
#define ARMVMI_DESC_XNTABLE (1ull << 60) /**< UXNTable (two-EL regimes) or XNTable */
#define ARMVMI_DESC_APTABLE_SHIFT 61     /**< APTable[1:0] */
#define ARMVMI_DESC_APTABLE_NOEL0 (1ull << 61)
#define ARMVMI_DESC_APTABLE_RO (1ull << 62)
#define ARMVMI_DESC_NSTABLE (1ull << 63)
#define ARMVMI_DESC_S2_MEMATTR_SHIFT 2 /**< stage 2: MemAttr[3:0] */
#define ARMVMI_DESC_S2AP_SHIFT 6       /**< stage 2: S2AP[1:0] */
#define ARMVMI_DESC_S2AP_R (1ull << 6)
#define ARMVMI_DESC_S2AP_W (1ull << 7)

/**
 * Register bits that choose the translation regime of a vCPU (armvmi_vactx_from_vcpu):
 * HCR_EL2 (Arm ARM D13.2.46) and SPSR/PSTATE.M[4] (C5.2.18).
 */
#define ARMVMI_HCR_VM (1ull << 0)     /**< stage 2 enabled */
#define ARMVMI_HCR_TGE (1ull << 27)   /**< with E2H: EL0 runs in the EL2&0 regime */
#define ARMVMI_HCR_E2H (1ull << 34)   /**< EL2 host (VHE): the EL2&0 regime */
#define ARMVMI_PSTATE_NRW (1ull << 4) /**< M[4]: the vCPU is in AArch32 */

/** What the descriptor of one walk step is, as the walker read it. */
enum armvmi_step_kind {
    ARMVMI_STEP_INVALID = 0, /**< invalid or reserved encoding: the walk faults here */
    ARMVMI_STEP_TABLE,       /**< points to the next level's table */
    ARMVMI_STEP_BLOCK,       /**< a leaf above the last level (AArch32: section) */
    ARMVMI_STEP_PAGE,        /**< a leaf at the last level */
};

/** One descriptor read during a walk, for tracing. */
struct armvmi_walk_step {
    uint64_t table; /**< base of the table (IPA for stage 1 under stage 2) */
    uint64_t addr;  /**< address of the descriptor, in the same space as table */
    uint64_t desc;  /**< the descriptor (zero-extended for 32-bit formats) */
    uint32_t index; /**< index into the table */
    int8_t level;   /**< lookup level (-1..3; 1..2 for the short-descriptor format) */
    uint8_t stage;  /**< 1 or 2 */
    uint8_t kind;   /**< enum armvmi_step_kind */
};

#define ARMVMI_WALK_MAX_STEPS 48

/** The result of a translation. */
struct armvmi_translation {
    uint64_t va;     /**< the input address */
    uint64_t ipa;    /**< stage-1 output (combined regime), else equal to pa */
    uint64_t pa;     /**< output address, including the offset in the page */
    uint64_t size;   /**< page or block size of the mapping (the smaller of both stages) */
    int8_t level;    /**< level of the leaf descriptor (stage 1; stage 2 for REGIME_STAGE2) */
    int8_t s2_level; /**< level of the stage-2 leaf of the output, or -2 if none */

    enum armvmi_fault fault;
    uint8_t fault_stage;      /**< 1 or 2 (0 if no fault) */
    int8_t fault_level;       /**< level at which the fault occurred */
    bool fault_s1ptw;         /**< a stage-2 fault on a stage-1 table read */
    int8_t fault_s1ptw_level; /**< with fault_s1ptw: the stage-1 level whose table read faulted */
    uint64_t fault_ipa;       /**< IPA of a stage-2 fault */

    /* Attributes of the stage-1 leaf (or stage-2 leaf for REGIME_STAGE2). */
    uint8_t perm_el0;  /**< effective EL0/PL0 permissions (ARMVMI_PERM_*) */
    uint8_t perm_el1;  /**< effective privileged (EL1, EL2 or PL1) permissions */
    uint8_t s2_perm;   /**< stage-2 permissions of the output (combined/stage 2) */
    uint8_t attrindx;  /**< AttrIndx (long) or TEX[0]:C:B (short) */
    uint8_t attr;      /**< memory attribute: MAIR byte, stage-2 MemAttr, or 0 */
    uint8_t sh;        /**< shareability SH[1:0] (short: S bit as 0b11 or 0) */
    uint8_t domain;    /**< AArch32 short-descriptor domain */
    bool ns;           /**< NS bit of the leaf or NSTable of any level above */
    bool ng;           /**< not global */
    bool af;           /**< access flag */
    bool dbm;          /**< dirty bit modifier */
    bool contiguous;   /**< contiguous hint */
    bool supersection; /**< AArch32 short-descriptor supersection */

    unsigned nsteps; /**< entries used in steps[] */
    struct armvmi_walk_step steps[ARMVMI_WALK_MAX_STEPS];
};

/**
 * Translate va in the regime of cfg, reading tables through read(ctx, ...).
 * access is 0 (translate only, report permissions) or ARMVMI_ACC_* bits: an access the
 * effective permissions do not allow gives ARMVMI_FAULT_PERMISSION.
 * Returns 0 with *out filled (out->fault tells whether the address is mapped), or
 * -ARMVMI_EINVAL if cfg, read or out is NULL or cfg->regime is unknown.
 */
int armvmi_translate(const struct armvmi_tt_config *cfg, armvmi_read_phys_fn read, void *ctx,
                     uint64_t va, unsigned access, struct armvmi_translation *out);

/** One mapped range of an address space: [va, va + size) maps linearly to [pa, pa + size). */
struct armvmi_range {
    uint64_t va;        /**< first input address (canonical: upper-range VAs sign-extended) */
    uint64_t ipa;       /**< stage-1 output of va (combined regime), else equal to pa */
    uint64_t pa;        /**< output address of va */
    uint64_t size;      /**< bytes in the range (leaves coalesced) */
    uint64_t page_size; /**< size of the leaves (the smaller of both stages) */
    int8_t level;       /**< level of the leaves */
    uint8_t perm_el0;   /**< ARMVMI_PERM_* as in struct armvmi_translation */
    uint8_t perm_el1;
    uint8_t s2_perm;
    uint8_t attrindx;
    uint8_t attr;
    uint8_t sh;
    uint8_t domain;
    bool ns;
    bool ng;
};

/** Counters of an enumeration. */
struct armvmi_enum_stats {
    uint64_t tables; /**< translation tables read */
    uint64_t leaves; /**< valid leaf descriptors found */
    uint64_t ranges; /**< ranges reported (after coalescing) */
    uint64_t bad;    /**< tables that could not be read or were out of range */
    bool truncated;  /**< stopped at max_tables (or 64 * max_tables stage-2 lookups) */
};

/** Called for each range, in ascending input-address order; return non-zero to stop. */
typedef int (*armvmi_range_fn)(void *arg, const struct armvmi_range *r);

/**
 * Enumerate every mapped range of the address space of cfg (TTBR0 and TTBR1 regions, or the
 * IPA space for REGIME_STAGE2; through stage 2 when cfg->stage2). Leaves are reported only if
 * armvmi_translate() with access 0 would succeed for them (valid, AF set or hardware-managed,
 * within the PA size). Adjacent leaves with contiguous output and identical attributes are
 * coalesced. Guest tables are hostile: at most max_tables tables are read (0 means 1<<20), so
 * loops and tables shared many times cannot make the walk unbounded; unreadable tables are
 * counted in stats->bad and skipped.
 * Returns 0 when done (stats->truncated tells whether max_tables cut it short), -ARMVMI_EINTR
 * if cb stopped it, -ARMVMI_EINVAL for bad arguments, -ARMVMI_ENOMEM. stats may be NULL.
 */
int armvmi_enum_ranges(const struct armvmi_tt_config *cfg, armvmi_read_phys_fn read, void *ctx,
                       uint64_t max_tables, armvmi_range_fn cb, void *arg,
                       struct armvmi_enum_stats *stats);

/**
 * The ARMVMI_FEAT_* bits that ID_AA64MMFR0_EL1 (mmfr0) and ID_AA64MMFR2_EL1 (mmfr2, or 0 if
 * unknown) of a CPU declare (Arm ARM D19.2.64, D19.2.66): FEAT_LPA2 from TGran4 = 0b0001 or
 * TGran16 = 0b0010 (or their stage-2 fields = 0b0011), FEAT_LPA from PARange = 52 bits with
 * the 64K granule, FEAT_LVA from VARange, FEAT_TTST from ST. If pa_bits is not NULL it gets
 * the implemented PA size (PARange), for armvmi_tt_config.pa_bits.
 */
uint32_t armvmi_features_from_id(uint64_t mmfr0, uint64_t mmfr2, unsigned *pa_bits);

/**
 * The ARMVMI_FEAT_* bits that the translation control registers of cfg prove the CPU to have,
 * for register values read from a CPU (or given by someone describing one) whose ID registers
 * are not known: TCR_ELx.DS (bit 59; bit 32 in TCR_EL2's EL2 layout) and VTCR_EL2.DS (with a
 * stage-2 walk) are RES0 on a CPU without FEAT_LPA2, so DS=1 means ARMVMI_FEAT_LPA2. Only the
 * registers cfg's regime uses are looked at; AArch32 regimes give 0.
 */
uint32_t armvmi_features_from_tcr(const struct armvmi_tt_config *cfg);

/** A short name of a fault kind ("translation", "access flag", ...). Never NULL. */
const char *armvmi_fault_name(enum armvmi_fault f);

#ifdef __cplusplus
}
#endif
#endif
