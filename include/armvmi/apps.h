/* SPDX-License-Identifier: MIT */
/* apps.h — public API of the security applications: kernel integrity checks of a Linux guest. */
#ifndef ARMVMI_APPS_H
#define ARMVMI_APPS_H

/*
 * The applications (lib/apps/) are built only on the public API of the layers below (armvmi.h,
 * linux.h, linuxos.h). Not part of the armvmi.h umbrella: include <armvmi/apps.h>.
 * Conventions are armvmi.h's: int status (0 or a negative ARMVMI_E*), armvmi_errmsg().
 * A live VM should be paused while a check context is opened and while checks run.
 */
#include <armvmi/linuxos.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most entries read from a system-call table. */
#define ARMVMI_CHECK_MAX_SYSCALLS 1024u
/** Longest symbol name kept in a report, with its NUL. */
#define ARMVMI_CHECK_SYM_MAX 128

/** Where a kernel function pointer points. */
enum armvmi_check_where {
    ARMVMI_WHERE_EXPECTED = 0, /**< what the kernel itself puts there (the check is clean) */
    ARMVMI_WHERE_KERNEL_TEXT,  /**< kernel text, but not what belongs there */
    ARMVMI_WHERE_MODULE,       /**< inside a loaded module's memory */
    ARMVMI_WHERE_UNKNOWN,      /**< none of the above: "unknown memory" */
};

/** What a pointer points at. */
struct armvmi_check_target {
    uint64_t value;
    enum armvmi_check_where where;
    char symbol[ARMVMI_CHECK_SYM_MAX]; /**< kernel text: the symbol at or before value ("" if
                                            none) */
    uint64_t offset;                   /**< value - the symbol's address */
    char module[56];                   /**< ARMVMI_WHERE_MODULE: the module's name */
    /** ARMVMI_WHERE_MODULE: "text" (mem[MOD_TEXT], 6.4+), "core" (core_layout: code and data,
     *  before 6.4) or "data" (6.4+: the module's other core memory); static. */
    const char *section;
    /** System-call entries: the index the kernel's syscall trace metadata recorded for this
     *  function at boot (-1: no record); an entry at another index is hooked. */
    int32_t boot_index;
};

/** "expected", "kernel text", "module" or "unknown memory". */
const char *armvmi_check_where_name(enum armvmi_check_where w);

/**
 * True if name is a system-call entry point of an arm64 kernel: a __arm64_sys_* or
 * __arm64_compat_sys_* wrapper (Linux 4.19+), or the ni_syscall stub (sys_ni_syscall or
 * __arm64_sys_ni_syscall). Pure: no guest access.
 */
bool armvmi_check_syscall_name(const char *name);

/**
 * The addresses that ADRP Xn / ADD Xn, Xn, #imm pairs form in n AArch64 instructions (code
 * read from guest memory, little-endian words already in host order) starting at VA pc: the
 * ADD may come later than its ADRP (each register remembers its last ADRP; any other write
 * to it is not tracked, so callers must validate what they get). Only addresses in [lo, hi)
 * are kept, at most max into out (in code order, duplicates removed). Pure. Returns how
 * many were stored.
 */
size_t armvmi_check_adrp_add(const uint32_t *insn, size_t n, uint64_t pc, uint64_t lo, uint64_t hi,
                             uint64_t *out, size_t max);

/**
 * Length of a table of kernel pointers without a symbol after it: the words before the first
 * one below min_va (a kernel table of function pointers is followed by other data: strings,
 * code, small numbers), at most n. Pure.
 */
size_t armvmi_check_ptr_run(const uint64_t *words, size_t n, uint64_t min_va);

typedef struct armvmi_check armvmi_check_t;

/**
 * Open a check context on h: discover the kernel (armvmi_linux_discover), decode its symbols
 * (armvmi_linux_syms_open) and, for naming modules, open the Linux layer and list the loaded
 * modules (armvmi_linux_open, armvmi_linux_modules); if that part fails the checks still run
 * and a pointer into a module is "unknown memory" (armvmi_check_modules_note says why).
 * h must be paused if live and must outlive *out; release with armvmi_check_close.
 * Errors: those of armvmi_linux_discover and armvmi_linux_syms_open, ARMVMI_ENOENT (no _etext
 * symbol: the kernel's text range is unknown), ARMVMI_ENOMEM.
 */
int armvmi_check_open(armvmi_t *h, armvmi_check_t **out);

/** Release a check context (NULL is fine). */
void armvmi_check_close(armvmi_check_t *c);

/** The kernel and symbols the context uses (owned by c). */
const struct armvmi_linux_kernel *armvmi_check_kernel(const armvmi_check_t *c);
const armvmi_linux_syms_t *armvmi_check_syms(const armvmi_check_t *c);

/** Why modules cannot be named ("" when they were listed), and how many were. */
const char *armvmi_check_modules_note(const armvmi_check_t *c, size_t *nmodules);

/**
 * Where va points: ARMVMI_WHERE_KERNEL_TEXT (with symbol+offset) inside [_stext, _etext),
 * ARMVMI_WHERE_MODULE inside a listed module, else ARMVMI_WHERE_UNKNOWN. Never
 * ARMVMI_WHERE_EXPECTED: what is expected is for the caller to say.
 */
void armvmi_check_where(const armvmi_check_t *c, uint64_t va, struct armvmi_check_target *out);

/** One system-call table. */
struct armvmi_syscall_table {
    const char *name;                  /**< static: "sys_call_table" or "compat_sys_call_table" */
    uint64_t va;                       /**< its address */
    const char *va_source;             /**< static: how it was found */
    unsigned entries;                  /**< entries read (<= ARMVMI_CHECK_MAX_SYSCALLS) */
    const char *count_source;          /**< static: how the count was derived */
    struct armvmi_check_target *entry; /**< entries items (malloc'd; report_free frees) */
    unsigned nhooked;                  /**< entries whose where is not EXPECTED */
    /** Entries whose function has a boot-time index in the kernel's syscall trace metadata
     *  (CONFIG_FTRACE_SYSCALLS; native table only), checked against it. */
    unsigned boot_indexed;
};

/** Result of armvmi_check_syscalls. */
struct armvmi_syscall_report {
    unsigned ntables;
    struct armvmi_syscall_table table[2]; /**< native first, then compat if the kernel has it */
    unsigned nhooked;                     /**< over all tables */
};

/**
 * Check the system-call tables: each entry must be the start of a kernel-text function that
 * armvmi_check_syscall_name accepts (ARMVMI_WHERE_EXPECTED); any other entry is hooked and
 * armvmi_check_where says where it points. In the native table, a system-call function must
 * also sit at the index the kernel itself recorded for it at boot, where it has a record: the
 * struct syscall_metadata of CONFIG_FTRACE_SYSCALLS (name "sys_X", syscall_nr), found by a
 * scan of the image after _etext; a function moved to another slot (e.g. getpid's entry made
 * __arm64_sys_getppid) is hooked, ARMVMI_WHERE_KERNEL_TEXT with its boot_index.
 * A table is found by its kallsyms name (kernels with KALLSYMS_ALL); without data symbols
 * (Debian 12's 6.1), from the code that uses it: the ADRP/ADD addresses formed in the first
 * 64 instructions of do_el0_svc (do_el0_svc_compat for the compat table) that lie in the
 * kernel image after _etext, choosing the one whose first 16 words hold the most system-call
 * entry points (at least 8). The entry count is the distance to the next kallsyms symbol / 8
 * when the table has a symbol, else the run of kernel pointers from its start
 * (armvmi_check_ptr_run); at most ARMVMI_CHECK_MAX_SYSCALLS. No compat table is not an error.
 * Free *out with armvmi_syscall_report_free.
 * Errors: ARMVMI_ENOENT (no sys_call_table: neither the symbol nor do_el0_svc's code gives
 * it), ARMVMI_EFAULT (the table is not readable), ARMVMI_ENOMEM.
 */
int armvmi_check_syscalls(armvmi_check_t *c, struct armvmi_syscall_report *out);

/** Free what a report holds (not the report itself). */
void armvmi_syscall_report_free(struct armvmi_syscall_report *r);

/** One vCPU's exception vector base. */
struct armvmi_vectors_vcpu {
    unsigned vcpu;
    int status;             /**< 0, or the error reading its registers (then nothing else is set) */
    char error[160];        /**< that error's message */
    unsigned el;            /**< PSTATE.EL at the pause */
    enum armvmi_reg reg;    /**< ARMVMI_REG_VBAR_EL1, or _EL2 for a VHE kernel (HCR_EL2 E2H+TGE) */
    const char *mitigation; /**< static: non-NULL when the base is the kernel's Spectre-BHB
                                 vectors (__bp_harden_el1_vectors slot), accepted as expected */
    struct armvmi_check_target vbar; /**< where EXPECTED: the kernel's own vectors */
};

/** Result of armvmi_check_vectors. */
struct armvmi_vectors_report {
    uint64_t vectors; /**< the kernel's `vectors` symbol */
    unsigned nvcpus;
    struct armvmi_vectors_vcpu *vcpu; /**< nvcpus items (malloc'd; free() it) */
    unsigned nhooked;                 /**< vCPUs whose base is not the kernel's */
    unsigned nerrors;                 /**< vCPUs whose registers could not be read */
};

/**
 * Check every vCPU's exception vector base (the target needs system registers and must be
 * paused): VBAR_EL1, or VBAR_EL2 for a kernel running at EL2 with VHE (HCR_EL2.E2H and TGE
 * set); under a hypervisor that keeps E2H clear (armvmi's own) the guest's VBAR_EL1. It must
 * be the kernel's `vectors` symbol (or a slot of __bp_harden_el1_vectors, the kernel's own
 * Spectre-BHB vectors); anything else is reported with armvmi_check_where.
 * Not handled: a KPTI kernel (CONFIG_UNMAP_KERNEL_AT_EL0 on a CPU that needs it) points VBAR_EL1
 * at its trampoline vectors' fixmap alias while a vCPU runs at EL0; that is reported as unknown
 * memory (QEMU's -cpu max needs no KPTI).
 * Errors: ARMVMI_ENOTSUP (no system registers, e.g. a raw image), ARMVMI_ENOENT (no `vectors`
 * symbol), ARMVMI_ENOMEM. A vCPU that cannot be read is reported in its entry, not an error.
 */
int armvmi_check_vectors(armvmi_check_t *c, struct armvmi_vectors_report *out);

#ifdef __cplusplus
}
#endif

#endif
