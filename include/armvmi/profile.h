/* SPDX-License-Identifier: MIT */
/* profile.h — public API of outside profiles: Volatility 3 ISF types and System.map symbols. */
#ifndef ARMVMI_PROFILE_H
#define ARMVMI_PROFILE_H

/*
 * For kernels without BTF (or to check it): types from a Volatility 3 Intermediate Symbol
 * Format file (the JSON dwarf2json writes) open the same armvmi_types_t as the kernel's own
 * BTF, and a System.map gives link-time symbol addresses that armvmi slides by the running
 * kernel's KASLR offset. Conventions are armvmi.h's: int status (0 or a negative ARMVMI_E*),
 * armvmi_errmsg(). Include <armvmi/profile.h> (it includes types.h and linuxos.h).
 */
#include <armvmi/linuxos.h>
#include <armvmi/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest ISF JSON or System.map file read. */
#define ARMVMI_PROFILE_MAX_SIZE (512u << 20)
/** Most types an ISF may define (user types + base types + enums + derived types). */
#define ARMVMI_ISF_MAX_TYPES (4u << 20)
/** Deepest nesting of an ISF type descriptor (pointer to array of pointers ...). */
#define ARMVMI_ISF_MAX_DEPTH 32
/** Most symbols of a System.map. */
#define ARMVMI_SYSMAP_MAX_SYMS (8u << 20)

/**
 * Read ISF JSON (Volatility 3's schema: base_types, user_types with fields {offset, type},
 * enums; type descriptors of kind base, pointer, array, struct, union, class, enum, bitfield,
 * function) of len bytes and turn it into types answering every armvmi_types_* query as BTF
 * would. dwarf2json's conventions are understood: anonymous members are named
 * "unnamed_field_<hex offset>" with "anonymous": true and anonymous types "unnamed_<hash>";
 * both become anonymous again (so "task_struct.pid" is found through them, as in C). A
 * bitfield's bit is offset * 8 + bit_position. Typedefs do not exist in ISF (dwarf2json
 * resolves them): armvmi_types_find("pid_t") fails on ISF types. The data is hostile input:
 * sizes, counts and nesting are bounded. info.source is "ISF file"; armvmi_types_raw gives
 * the BTF the ISF was converted to. Errors: ARMVMI_EINVAL, ARMVMI_EFORMAT (not JSON, not ISF,
 * a broken or unknown type reference: the message names it), ARMVMI_ENOMEM.
 */
int armvmi_types_from_isf_bytes(const void *data, size_t len, armvmi_types_t **out);

typedef struct armvmi_sysmap armvmi_sysmap_t;

/**
 * armvmi_types_from_isf_bytes, and the ISF's "symbols" (link-time addresses, unsigned 64-bit
 * read exactly; address 0 = unknown, skipped) as a System.map in *syms (NULL if the ISF has
 * no usable symbols; syms may be NULL). Free *syms with armvmi_sysmap_free.
 */
int armvmi_profile_from_isf_bytes(const void *data, size_t len, armvmi_types_t **types,
                                  armvmi_sysmap_t **syms);
/** The same on a file (.json or .json.xz). Errors: theirs, ARMVMI_EIO. */
int armvmi_profile_from_isf(const char *path, armvmi_types_t **types, armvmi_sysmap_t **syms);

/**
 * armvmi_types_from_isf_bytes on the file at path (.json, or .json.xz compressed with xz).
 * Errors: theirs, ARMVMI_EIO (cannot read the file).
 */
int armvmi_types_from_isf(const char *path, armvmi_types_t **out);

/**
 * Write t as an ISF JSON file at path (dwarf2json's conventions, format 6.2.0): every
 * struct, union, enum and base type; typedefs and qualifiers resolved; anonymous types
 * named "unnamed_<hex id>", anonymous members "unnamed_field_<hex offset>" with
 * "anonymous": true. syms (may be NULL) fills "symbols" with link-time addresses (runtime
 * minus kaslr; unsigned 64-bit decimal as dwarf2json writes them).
 * Errors: ARMVMI_EINVAL, ARMVMI_EIO, ARMVMI_ENOMEM.
 */
int armvmi_types_write_isf(const armvmi_types_t *t, const armvmi_linux_syms_t *syms, uint64_t kaslr,
                           const char *path);

/**
 * Parse System.map text ("ADDR TYPE NAME" lines, as nm and /proc/kallsyms print them; lines
 * with a fourth "[module]" column and malformed lines are skipped and counted).
 * Errors: ARMVMI_EINVAL, ARMVMI_EFORMAT (empty — Debian ships an empty stub — or no valid
 * line: the message says which), ARMVMI_ENOMEM.
 */
int armvmi_sysmap_from_bytes(const void *data, size_t len, armvmi_sysmap_t **out);
/** armvmi_sysmap_from_bytes on a file. Errors: theirs, ARMVMI_EIO. */
int armvmi_sysmap_open(const char *path, armvmi_sysmap_t **out);
void armvmi_sysmap_free(armvmi_sysmap_t *m);

/** Facts about a System.map. */
struct armvmi_sysmap_info {
    size_t nsyms;   /**< symbols kept */
    size_t skipped; /**< lines skipped (malformed or module symbols) */
    uint64_t stext; /**< link-time _stext (or _text), 0 if absent */
    int64_t slide;  /**< added to every address (KASLR), set by armvmi_sysmap_fit */
    bool fitted;    /**< armvmi_sysmap_fit accepted a kernel */
};
void armvmi_sysmap_get_info(const armvmi_sysmap_t *m, struct armvmi_sysmap_info *info);

/**
 * Check that m belongs to kernel k and slide its addresses: the slide is k's _stext minus
 * the map's _stext (or _text); with a known KASLR offset it must equal it, else the map is
 * of another kernel (or another build) and is refused. Errors: ARMVMI_EINVAL (k without
 * _stext), ARMVMI_EFORMAT (no _stext/_text in the map; a slide that does not fit: the message
 * gives both addresses).
 */
int armvmi_sysmap_fit(armvmi_sysmap_t *m, const struct armvmi_linux_kernel *k);

/**
 * Look name up (slid address; source ARMVMI_SYM_SYSTEM_MAP; the lowest address if the map
 * has it more than once). Errors: ARMVMI_EINVAL, ARMVMI_ENOENT.
 */
int armvmi_sysmap_lookup(const armvmi_sysmap_t *m, const char *name, struct armvmi_linux_sym *out);
/** Number of symbols and the i-th in address order (slid). */
size_t armvmi_sysmap_count(const armvmi_sysmap_t *m);
int armvmi_sysmap_at(const armvmi_sysmap_t *m, size_t i, struct armvmi_linux_sym *out);

/**
 * Write the symbols of s as a System.map at path: "%016llx %c %s" lines in address order with
 * link-time addresses (runtime minus kaslr). Errors: ARMVMI_EINVAL, ARMVMI_EIO.
 */
int armvmi_linux_syms_write_sysmap(const armvmi_linux_syms_t *s, uint64_t kaslr, const char *path);

/** Outside profiles for armvmi_linux_open_profile; NULL members are not used. */
struct armvmi_linux_profile {
    armvmi_types_t *types;   /**< used instead of the kernel's BTF (borrowed: outlive lx) */
    const char *types_name;  /**< shown as the types' source (e.g. the file name) */
    armvmi_sysmap_t *sysmap; /**< fitted to the kernel and used before the in-memory symbols
                                  (borrowed) */
    const char *sysmap_name;
};

/**
 * armvmi_linux_open with outside profiles: p->types replace the BTF search; p->sysmap is
 * fitted (armvmi_sysmap_fit) and gives init_task and `modules` first, then the kernel's own
 * symbols, then the image scan. Errors: those of armvmi_linux_open and armvmi_sysmap_fit.
 */
int armvmi_linux_open_profile(armvmi_t *h, const struct armvmi_linux_profile *p,
                              armvmi_linux_t **out);

#ifdef __cplusplus
}
#endif

#endif
