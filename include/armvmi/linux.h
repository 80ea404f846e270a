/* SPDX-License-Identifier: MIT */
/* linux.h — public API of the Linux layer: an arm64 kernel found in guest memory, no profile. */
#ifndef ARMVMI_LINUX_H
#define ARMVMI_LINUX_H

/*
 * Not part of the armvmi.h umbrella: the OS layer sits above the core library and a program
 * that only reads memory does not need it. Include <armvmi/linux.h> (it includes armvmi.h).
 * Conventions are armvmi.h's: int status (0 or a negative ARMVMI_E*), armvmi_errmsg().
 */
#include <armvmi/armvmi.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest OSRELEASE kept (the kernel's __NEW_UTS_LEN is 64). */
#define ARMVMI_LINUX_RELEASE_MAX 65
/** VMCOREINFO text longer than this is not parsed (the kernel's is one page). */
#define ARMVMI_LINUX_VMCOREINFO_MAX 65536

/** Keys of a parsed VMCOREINFO (bits of armvmi_linux_vmcoreinfo.present). */
enum armvmi_linux_vmci_key {
    ARMVMI_VMCI_OSRELEASE = 0,
    ARMVMI_VMCI_PAGESIZE,
    ARMVMI_VMCI_KERNELOFFSET,
    ARMVMI_VMCI_KIMAGE_VOFFSET,
    ARMVMI_VMCI_PHYS_OFFSET,
    ARMVMI_VMCI_VA_BITS,
    ARMVMI_VMCI_TCR_EL1_T1SZ,
    ARMVMI_VMCI_MODULES_VADDR,
    ARMVMI_VMCI_MODULES_END,
    ARMVMI_VMCI_VMALLOC_START,
    ARMVMI_VMCI_VMALLOC_END,
    ARMVMI_VMCI_VMEMMAP_START,
    ARMVMI_VMCI_VMEMMAP_END,
    ARMVMI_VMCI_KERNELPACMASK,
    ARMVMI_VMCI_SYM_SWAPPER_PG_DIR,
    ARMVMI_VMCI_SYM_STEXT,
    ARMVMI_VMCI_SYM_INIT_UTS_NS,
    ARMVMI_VMCI_SYM_KALLSYMS_NAMES, /* the kallsyms tables: Linux 6.0+ */
    ARMVMI_VMCI_SYM_KALLSYMS_NUM_SYMS,
    ARMVMI_VMCI_SYM_KALLSYMS_TOKEN_TABLE,
    ARMVMI_VMCI_SYM_KALLSYMS_TOKEN_INDEX,
    ARMVMI_VMCI_SYM_KALLSYMS_OFFSETS,
    ARMVMI_VMCI_SYM_KALLSYMS_RELATIVE_BASE,
    ARMVMI_VMCI_NKEYS
};

/** The facts of one VMCOREINFO text that armvmi uses, as the text states them. */
struct armvmi_linux_vmcoreinfo {
    char osrelease[ARMVMI_LINUX_RELEASE_MAX]; /**< NUL-terminated, printable ASCII only */
    uint64_t val[ARMVMI_VMCI_NKEYS];          /**< value of each numeric key (index: key) */
    uint32_t present;                         /**< bit (1 << key) for each key found */
    unsigned lines;                           /**< complete KEY=VALUE lines seen */
    unsigned bad_lines; /**< lines ignored: no '=', too long, bad number, unprintable, cut */
};

/**
 * Parse VMCOREINFO text (KEY=VALUE lines; the text of the page or of the note's descriptor)
 * of at most len bytes; it ends at the first NUL or at len. Input is untrusted: a line longer
 * than 256 bytes, a number that does not fit 64 bits, a line cut by the end of the buffer or
 * an unprintable byte makes that line ignored (counted in bad_lines); a key that appears twice
 * with different values makes the whole text rejected.
 * Succeeds only if the text has OSRELEASE, a PAGESIZE of 4K/16K/64K, NUMBER(kimage_voffset),
 * NUMBER(VA_BITS) in 36..52 and SYMBOL(swapper_pg_dir) (the facts discovery needs).
 * Errors: ARMVMI_EINVAL (NULL argument), ARMVMI_EFORMAT (not usable VMCOREINFO; the message
 * says why). *out is filled as far as parsed even on failure.
 */
int armvmi_linux_vmcoreinfo_parse(const void *text, size_t len,
                                  struct armvmi_linux_vmcoreinfo *out);

/**
 * If buf (len bytes) starts with an ELF note named "VMCOREINFO" (namesz 11, type 0), set *desc
 * and *desc_len to its descriptor (inside buf, bounded by len) and return 0; else
 * ARMVMI_ENOENT.
 */
int armvmi_linux_vmcoreinfo_note(const void *buf, size_t len, const void **desc, size_t *desc_len);

/** One discovered fact and where it came from. */
struct armvmi_linux_fact {
    uint64_t value;
    bool known;
    const char *source; /**< static string, e.g. "VMCOREINFO NUMBER(kimage_voffset)"; "" if
                             not known */
};

/** Maximum VMCOREINFO copies recorded by a scan. */
#define ARMVMI_LINUX_MAX_HITS 16

/** One VMCOREINFO copy found in physical memory. */
struct armvmi_linux_hit {
    uint64_t pa;    /**< physical address of the page (or the note header) */
    bool note;      /**< the ELF note form (else the plain page) */
    bool parsed;    /**< armvmi_linux_vmcoreinfo_parse accepted it */
    bool validated; /**< its swapper_pg_dir walk confirmed its release or _stext */
};

/** What armvmi knows about the running kernel. */
struct armvmi_linux_kernel {
    char release[ARMVMI_LINUX_RELEASE_MAX];
    const char *release_source;
    struct armvmi_linux_fact kaslr_offset;   /**< KERNELOFFSET (0 with KASLR off) */
    struct armvmi_linux_fact kimage_voffset; /**< kernel-image VA - PA */
    struct armvmi_linux_fact phys_offset;    /**< PA of the start of the linear map */
    struct armvmi_linux_fact page_offset;    /**< VA of the start of the linear map */
    struct armvmi_linux_fact va_bits;
    struct armvmi_linux_fact page_size;
    struct armvmi_linux_fact t1sz;           /**< TCR_EL1.T1SZ the kernel uses */
    struct armvmi_linux_fact swapper_pg_dir; /**< VA */
    struct armvmi_linux_fact swapper_pg_dir_pa;
    struct armvmi_linux_fact stext; /**< VA of _stext */
    struct armvmi_linux_fact stext_pa;
    struct armvmi_linux_fact init_uts_ns; /**< VA */
    struct armvmi_linux_fact modules_start, modules_end;
    struct armvmi_linux_fact vmalloc_start, vmalloc_end;
    struct armvmi_linux_fact vmemmap_start, vmemmap_end;
    /**
     * Register evidence: TTBR1_EL1 of vCPU 0 (TTBR1_EL2 for a VHE kernel at EL2), ASID and CnP
     * masked, if the target has registers and is paused.
     */
    struct armvmi_linux_fact ttbr1;
    /** "agrees", "trampoline (vCPU at EL0 with KPTI)", "differs", or "" if not checked. */
    const char *ttbr1_check;
    struct armvmi_linux_vmcoreinfo vmcoreinfo; /**< the copy chosen */
    unsigned nhits;                            /**< copies found (at most MAX_HITS kept) */
    struct armvmi_linux_hit hits[ARMVMI_LINUX_MAX_HITS];
    int chosen;       /**< index in hits of the copy used */
    uint64_t scanned; /**< bytes of RAM scanned */
    unsigned scanned_ranges;
};

/**
 * Find the kernel of target h: scan guest RAM (every RAM range of armvmi_get_info, at 4 KiB
 * steps) for VMCOREINFO copies (a page starting "OSRELEASE=" or the ELF note "VMCOREINFO"),
 * parse each, and prefer a copy whose facts validate: SYMBOL(swapper_pg_dir) - kimage_voffset
 * is RAM, and a walk of those tables maps SYMBOL(init_uts_ns) to a string equal to OSRELEASE
 * (or, without init_uts_ns, maps SYMBOL(_stext) to _stext - kimage_voffset). With no
 * validating copy, the first parsed one is used and release_source says "unvalidated".
 * When the target has system registers (a live VM must then be paused, or it is skipped),
 * TTBR1_EL1 of vCPU 0 (TTBR1_EL2 for a VHE kernel at EL2) is compared with the swapper_pg_dir
 * PA (extra evidence only).
 * Works on any target with physical reads, including raw images without registers.
 * Without a usable VMCOREINFO (a kernel without crash-dump support), a paused vCPU in the
 * kernel (EL1, or EL2 with VHE) is used instead: kimage_voffset = VBAR - PA(VBAR), the tables
 * from TTBR1, page size and VA bits from TCR, PHYS_OFFSET from the linear map's first page, and
 * the release from the kernel's "Linux version" banner found in the image after its vectors;
 * each fact's source says so. KASLR offset, _stext and the module/vmalloc ranges stay unknown.
 * Errors: ARMVMI_ENOENT (no usable VMCOREINFO and no vCPU in the kernel: the message says
 * which evidence was missing),
 * ARMVMI_EINVAL, ARMVMI_ENOMEM, the read errors of armvmi_read_pa.
 */
int armvmi_linux_discover(armvmi_t *h, struct armvmi_linux_kernel *out);

/** armvmi_linux_discover_flags: stop the scan at the first validated copy. */
#define ARMVMI_LINUX_DISCOVER_FIRST 1u

/**
 * armvmi_linux_discover with flags. ARMVMI_LINUX_DISCOVER_FIRST stops the RAM scan at the
 * first copy that validates: the same copy and facts as the full scan (which keeps the first
 * validated copy), but hits lists only the copies before it and scanned counts the bytes up to
 * it (a Linux handle needs no more; `armvmi kernel` lists every copy).
 */
int armvmi_linux_discover_flags(armvmi_t *h, struct armvmi_linux_kernel *out, unsigned flags);

/**
 * Fill *cfg with the EL1&0 translation configuration of the kernel's address space from k
 * alone (no registers needed): TTBR1 = swapper_pg_dir PA, TCR_EL1 with T1SZ, TG1 from the
 * page size, DS (and ARMVMI_FEAT_LPA2) for 52-bit VAs with 4K/16K pages, EPD0 set.
 * Errors: ARMVMI_EINVAL (k lacks swapper_pg_dir PA, page size or VA bits).
 */
int armvmi_linux_kernel_ttconfig(const struct armvmi_linux_kernel *k, struct armvmi_tt_config *cfg);

/** The key's name as it appears in VMCOREINFO ("NUMBER(VA_BITS)", ...), or NULL. */
const char *armvmi_linux_vmci_key_name(int key);

/* ---- Kernel symbols: kallsyms and the exported-symbol table, decoded from guest memory ---- */

/** Where a symbol's address came from. */
enum armvmi_linux_sym_source {
    ARMVMI_SYM_VMCOREINFO = 0, /**< a SYMBOL(name) line of VMCOREINFO */
    ARMVMI_SYM_KALLSYMS,       /**< the kernel's kallsyms table */
    ARMVMI_SYM_KSYMTAB,        /**< the exported-symbol table (__ksymtab, __ksymtab_gpl) */
    ARMVMI_SYM_SYSTEM_MAP,     /**< an outside System.map (profile.h), slid by KASLR */
};

/** One kernel symbol. name points into the symbol table and lives as long as it. */
struct armvmi_linux_sym {
    const char *name;
    uint64_t addr;
    char type; /**< kallsyms' type letter ('T', 't', 'D', ...); '?' for other sources */
    enum armvmi_linux_sym_source source;
};

/** Where the kallsyms tables are (kernel VAs); 0 = not known. */
struct armvmi_linux_kallsyms_loc {
    uint64_t names, num_syms, token_table, token_index, offsets, relative_base;
};

/** What a symbol table holds and where it was found. */
struct armvmi_linux_syms_info {
    size_t kallsyms;         /**< symbols decoded from kallsyms */
    const char *kallsyms_at; /**< static: "VMCOREINFO SYMBOL(kallsyms_*)" or "scan of the
                                  kernel image" */
    const char *layout;      /**< static: "6.4+ (num_syms first)" or "before 6.4 (offsets
                                  first)" */
    bool seqs_of_names;      /**< a valid kallsyms_seqs_of_names table (6.2+) was found */
    bool abs_percpu;         /**< offsets use the absolute-per-CPU encoding */
    bool big_names;          /**< some name length needs the two-byte form (6.1+) */
    struct armvmi_linux_kallsyms_loc loc; /**< the tables used */
    uint64_t markers, seqs;               /**< VAs of kallsyms_markers and _seqs_of_names (0
                                               if none) */
    size_t ksymtab;                       /**< exported symbols found (0 if the scan found none) */
    uint64_t ksymtab_va;                  /**< VA of the first run of __ksymtab entries */
    size_t total; /**< symbols listed: kallsyms + exported ones not in kallsyms */
};

typedef struct armvmi_linux_syms armvmi_linux_syms_t;

/** Flags of armvmi_linux_syms_open / _from_image. */
#define ARMVMI_LINUX_SYMS_SCAN 1u /**< ignore VMCOREINFO's kallsyms locations: scan the image */
/** armvmi_linux_syms_find only: VMCOREINFO and kallsyms, not the exported-symbol scan. */
#define ARMVMI_LINUX_SYMS_NO_KSYMTAB 2u

/**
 * Decode the kernel's symbols from the memory of h, with k from armvmi_linux_discover (a live
 * VM should be paused). Up to 128 MiB of physical memory from _stext on (within its RAM range)
 * is read as the kernel image, then given to armvmi_linux_syms_from_image with the kallsyms
 * locations of VMCOREINFO (6.0+) unless flags has ARMVMI_LINUX_SYMS_SCAN. k is copied: it need
 * not outlive *out. Free *out with armvmi_linux_syms_free.
 * Errors: ARMVMI_EINVAL (NULL argument, k without _stext), ARMVMI_EFORMAT (no kallsyms, or a
 * truncated or inconsistent table: the message says which check failed), ARMVMI_ENOMEM, the
 * read errors of armvmi_read_pa.
 */
int armvmi_linux_syms_open(armvmi_t *h, const struct armvmi_linux_kernel *k, unsigned flags,
                           armvmi_linux_syms_t **out);

/**
 * Decode the symbols of a kernel image held in img (len bytes; img[0] is at kernel VA img_va).
 * kallsyms: at loc's VAs when loc gives names, num_syms, token_table, token_index and offsets
 * (relative_base too), else found by a checked scan (a token table of 256 NUL-terminated
 * tokens whose token_index agrees, kallsyms_markers agreeing with the decoded names, sorted
 * offsets near a kernel-address relative_base). Handles Linux 5.4..6.12: base-relative offsets
 * (negative offsets as absolute per-CPU values), the 6.1 two-byte name length, the 6.2
 * kallsyms_seqs_of_names table and the 6.4 order. The exported-symbol table (PREL32 entries
 * {value, name, namespace}) is found by a scan: runs of at least 16 entries whose name and
 * namespace offsets land on strings. img is hostile input and is not kept.
 * k, if not NULL, adds VMCOREINFO's SYMBOL() lines to name lookups.
 * Errors: ARMVMI_EINVAL, ARMVMI_EFORMAT (no kallsyms, truncated or garbage tables; one
 * sentence saying which check failed), ARMVMI_ENOMEM.
 */
int armvmi_linux_syms_from_image(const void *img, size_t len, uint64_t img_va,
                                 const struct armvmi_linux_kallsyms_loc *loc,
                                 const struct armvmi_linux_kernel *k, unsigned flags,
                                 armvmi_linux_syms_t **out);

/** Most names armvmi_linux_syms_find looks up in one call. */
#define ARMVMI_LINUX_SYMS_FIND_MAX 8

/**
 * Look up a few names (at most ARMVMI_LINUX_SYMS_FIND_MAX) without building the symbol table,
 * in the order armvmi_linux_syms_lookup uses: VMCOREINFO's SYMBOL() lines, kallsyms (the first
 * entry of that name in the table's order; names are compared as they expand, most after one
 * token), then the exported-symbol table (the scan stops once every name is found; flags
 * ARMVMI_LINUX_SYMS_NO_KSYMTAB leaves it out: names that only it has are not found). Reads the
 * image as armvmi_linux_syms_open does. out[i] is names[i]'s symbol (out[i].name == names[i]),
 * or all zero (name NULL) if it was not found. Returns how many were found (>= 0), or the
 * errors of armvmi_linux_syms_open (ARMVMI_EFORMAT: no kallsyms, truncated tables) and
 * ARMVMI_EINVAL (NULL argument, too many names).
 */
int armvmi_linux_syms_find(armvmi_t *h, const struct armvmi_linux_kernel *k, unsigned flags,
                           const char *const *names, size_t n, struct armvmi_linux_sym *out);

/** armvmi_linux_syms_find over a kernel image in memory (as armvmi_linux_syms_from_image). */
int armvmi_linux_syms_find_in_image(const void *img, size_t len, uint64_t img_va,
                                    const struct armvmi_linux_kallsyms_loc *loc,
                                    const struct armvmi_linux_kernel *k, unsigned flags,
                                    const char *const *names, size_t n,
                                    struct armvmi_linux_sym *out);

/** Free a symbol table (NULL is fine); every name it gave out becomes invalid. */
void armvmi_linux_syms_free(armvmi_linux_syms_t *s);

/** Fill *info. */
void armvmi_linux_syms_get_info(const armvmi_linux_syms_t *s, struct armvmi_linux_syms_info *info);

/** Number of symbols listed: kallsyms, then exported symbols kallsyms does not have. */
size_t armvmi_linux_syms_count(const armvmi_linux_syms_t *s);

/** The i-th symbol in address order (ties in table order). Errors: ARMVMI_ENOENT (i too big). */
int armvmi_linux_syms_at(const armvmi_linux_syms_t *s, size_t i, struct armvmi_linux_sym *out);

/**
 * Resolve name through VMCOREINFO's SYMBOL() lines, then kallsyms, then the exported-symbol
 * table (a hash index, not a scan); out->source says which answered. A name kallsyms has
 * more than once (static functions) gives the lowest address.
 * Errors: ARMVMI_EINVAL, ARMVMI_ENOENT (the message names the sources tried).
 */
int armvmi_linux_syms_lookup(const armvmi_linux_syms_t *s, const char *name,
                             struct armvmi_linux_sym *out);

/**
 * The symbol at or before va (the last one in address order with addr <= va) and *offset =
 * va - addr. Errors: ARMVMI_ENOENT (va below the first symbol or above the last one).
 */
int armvmi_linux_syms_addr(const armvmi_linux_syms_t *s, uint64_t va, struct armvmi_linux_sym *out,
                           uint64_t *offset);

/** "VMCOREINFO", "kallsyms", "ksymtab" or "System.map". */
const char *armvmi_linux_sym_source_name(enum armvmi_linux_sym_source src);

#ifdef __cplusplus
}
#endif

#endif
