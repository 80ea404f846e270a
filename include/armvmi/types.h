/* SPDX-License-Identifier: MIT */
/* types.h — public API of kernel type information: sizes and member offsets by name. */
#ifndef ARMVMI_TYPES_H
#define ARMVMI_TYPES_H

/*
 * One query interface, several sources. Today the source is the kernel's own BTF (the .BTF
 * section between __start_BTF and __stop_BTF) found in guest memory or given as bytes; an
 * outside profile (System.map plus a Volatility 3 ISF JSON file) can later open the same
 * armvmi_types_t with its own constructor, and the walkers (tasks, modules, VMAs) need not
 * know which one they got. Conventions are armvmi.h's: int status (0 or a negative
 * ARMVMI_E*), armvmi_errmsg(). Include <armvmi/types.h> (it includes linux.h).
 */
#include <armvmi/linux.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct armvmi_types armvmi_types_t;

/** Largest BTF armvmi accepts (Debian's vmlinux BTF is about 5 MiB). */
#define ARMVMI_BTF_MAX_SIZE (64u << 20)
/** Longest C spelling of a type kept in struct armvmi_member.type. */
#define ARMVMI_TYPE_NAME_MAX 160
/** Deepest nesting of anonymous structs/unions and of typedef/modifier chains followed. */
#define ARMVMI_TYPES_MAX_DEPTH 32

/** What a type is once typedefs and const/volatile/restrict are looked through. */
enum armvmi_type_kind {
    ARMVMI_TYPE_VOID = 0,
    ARMVMI_TYPE_INT, /**< integers, bool, char; also float */
    ARMVMI_TYPE_PTR,
    ARMVMI_TYPE_ARRAY,
    ARMVMI_TYPE_STRUCT,
    ARMVMI_TYPE_UNION,
    ARMVMI_TYPE_ENUM,
    ARMVMI_TYPE_FUNC, /**< a function type (only behind a pointer in a member) */
    ARMVMI_TYPE_OTHER,
};

/** A member found by armvmi_types_member, or listed by armvmi_types_foreach_member. */
struct armvmi_member {
    const char *name;           /**< the member's own name ("" for an anonymous struct/union);
                                     valid while the handle is open */
    uint64_t offset;            /**< bytes from the start of the outermost type (for a bitfield:
                                     the byte holding its first bit) */
    uint64_t bit_offset;        /**< bits from the start of the outermost type */
    uint32_t bit_size;          /**< width of a bitfield, 0 if the member is not one */
    uint64_t size;              /**< bytes of the member's type (a bitfield: of its integer type) */
    enum armvmi_type_kind kind; /**< the member's type, typedefs and qualifiers looked through */
    uint64_t nelems;            /**< ARRAY: number of elements; else 0 */
    uint32_t type_id;           /**< the source's id of the member's type (for armvmi_types_*_id) */
    uint32_t target_id;         /**< PTR: the pointed-to type's id; ARRAY: the element type's id */
    unsigned depth;             /**< foreach only: 0 for a direct member, +1 per anonymous level */
    char type[ARMVMI_TYPE_NAME_MAX]; /**< C spelling: "pid_t", "struct list_head",
                                          "char[16]", "struct mm_struct *" */
};

/** Where a set of types came from. */
struct armvmi_types_info {
    const char *source; /**< static: "BTF in guest memory", "BTF bytes" */
    bool in_memory;     /**< found in guest memory: pa, va and the scan fields are valid */
    uint64_t pa;        /**< physical address of the BTF header (__start_BTF) */
    uint64_t va;        /**< its kernel-image VA (pa + kimage_voffset), 0 if unknown */
    uint64_t size;      /**< bytes of BTF (__stop_BTF - __start_BTF) */
    uint32_t ntypes;    /**< types, not counting void */
    uint32_t nnames;    /**< named types in the name index */
    uint32_t str_len;   /**< bytes of the string section */
    uint64_t scan_pa;   /**< physical range scanned for it */
    uint64_t scan_len;
    const char *scan_source; /**< static: why that range */
    unsigned candidates;     /**< BTF-looking headers seen in that range */
};

/**
 * Check whether buf (len bytes) starts with a plausible BTF header: magic 0xeB9F in little
 * endian, version 1, flags 0, hdr_len 24..256, type section 4-byte aligned and before the
 * string section, sections within len and within ARMVMI_BTF_MAX_SIZE, a non-empty string
 * section. On success *size is the BTF's total size (header plus sections) and 0 returned.
 * Errors: ARMVMI_EINVAL (NULL argument), ARMVMI_EFORMAT (not a BTF header or does not fit;
 * the message says which check failed).
 */
int armvmi_btf_check_header(const void *buf, size_t len, size_t *size);

/**
 * Parse len bytes of BTF (with libbpf; a copy is kept) and index its type names.
 * On success *out is a handle to release with armvmi_types_close().
 * Errors: ARMVMI_EINVAL, ARMVMI_EFORMAT (garbage or truncated BTF; the message says what),
 * ARMVMI_ENOMEM.
 */
int armvmi_types_from_btf(const void *data, size_t len, armvmi_types_t **out);

/**
 * Parse len bytes of split BTF (a module's: /sys/kernel/btf/<module>, type ids and string
 * offsets continuing those of base) on top of base, the vmlinux types (from
 * armvmi_types_from_btf or armvmi_linux_btf_find; not itself split). A copy of the bytes is
 * kept (armvmi_types_raw gives them back). Name lookups search the module's own types first,
 * then base's. base must stay open until *out is closed with armvmi_types_close().
 * Errors: ARMVMI_EINVAL, ARMVMI_EFORMAT (garbage, truncated, or BTF that does not fit base),
 * ARMVMI_ENOMEM.
 */
int armvmi_types_from_btf_split(const void *data, size_t len, const armvmi_types_t *base,
                                armvmi_types_t **out);

/**
 * Find the kernel's BTF in buf (len bytes of memory, e.g. a kernel image's read-only data):
 * the first offset at which armvmi_btf_check_header accepts a header, libbpf parses the BTF
 * and a struct task_struct exists (so a stray or module BTF is not taken). At most 256
 * candidates are parsed. *offset (if not NULL) receives the header's offset in buf.
 * Errors: ARMVMI_EINVAL, ARMVMI_ENOENT (no kernel BTF in buf; the message says how many
 * candidates were rejected and why the last one was), ARMVMI_ENOMEM.
 */
int armvmi_types_find_btf(const void *buf, size_t len, armvmi_types_t **out, size_t *offset);

/**
 * Find the running kernel's own BTF in the guest memory of h, with no symbols. A kernel's
 * image is physically contiguous and its .BTF lies in the read-only data, which arm64's
 * linker script ends with swapper_pg_dir: so [_stext, swapper_pg_dir) (physical addresses
 * from discovery) is scanned first, then on up to 256 MiB after _stext (info.scan_source
 * says which found it), all through armvmi_read_pa or zero-copy armvmi_map_pa and bounded
 * by the RAM range holding _stext. k is the result of armvmi_linux_discover (NULL: discovery
 * is run here). Without _stext, every RAM range is scanned. A live VM should be paused.
 * Errors: ARMVMI_ENOENT (no BTF: kernel without CONFIG_DEBUG_INFO_BTF, or not in this
 * target), ARMVMI_EINVAL, ARMVMI_ENOMEM, the errors of armvmi_linux_discover.
 */
int armvmi_linux_btf_find(armvmi_t *h, const struct armvmi_linux_kernel *k, armvmi_types_t **out);

/** Release a handle and everything it owns. NULL is allowed. */
void armvmi_types_close(armvmi_types_t *t);

/** Facts about t (where its types came from, how many). */
int armvmi_types_info(const armvmi_types_t *t, struct armvmi_types_info *info);

/**
 * The exact bytes the types were parsed from (the BTF as it is in guest memory), owned by t:
 * valid until armvmi_types_close(). Errors: ARMVMI_EINVAL, ARMVMI_ENOTSUP (a source without
 * raw bytes).
 */
int armvmi_types_raw(const armvmi_types_t *t, const void **data, size_t *len);

/**
 * Find a type by name through the name index (not a linear scan): "task_struct" (a struct,
 * else a union, else a typedef, enum or base type of that name), or with a keyword
 * "struct X", "union X", "enum X" for that kind only; "func X" finds a function (its
 * prototype is armvmi_types_name_of's spelling of the id). *id receives the type's id.
 * Errors: ARMVMI_EINVAL, ARMVMI_ENOENT ("no type named 'X' in the kernel's BTF").
 */
int armvmi_types_find(const armvmi_types_t *t, const char *name, uint32_t *id);

/**
 * Size in bytes of the type called name (armvmi_types_find's rules; typedefs resolved).
 * Errors: those of armvmi_types_find, ARMVMI_EFORMAT (a type without a size: void, a
 * function, a forward declaration, or broken BTF).
 */
int armvmi_types_size(const armvmi_types_t *t, const char *name, uint64_t *size);

/**
 * Resolve a dotted path "TYPE.member[.member...]", e.g. "task_struct.pid",
 * "mm_struct.mm_mt", "signal_struct.pids": the first component is a type name
 * (armvmi_types_find's rules); each next one a member of the struct or union reached so far,
 * looked for through anonymous structs and unions (as C does); typedefs and qualifiers are
 * looked through. Offsets add up from the first type. A path cannot go through a pointer
 * or an array (the memory is elsewhere): ask for the pointed-to type's member instead.
 * Errors: ARMVMI_EINVAL (NULL, empty or malformed path), ARMVMI_ENOENT (unknown type or
 * member; the message names it and the type searched), ARMVMI_EFORMAT (broken BTF).
 */
int armvmi_types_member(const armvmi_types_t *t, const char *path, struct armvmi_member *m);

/**
 * The byte offset of the member reached by path (armvmi_types_member's rules), for walkers
 * that need only that (look offsets up once, then read guest memory with them).
 * Errors: those of armvmi_types_member, ARMVMI_EINVAL (a bitfield: it has no byte offset).
 */
int armvmi_types_offset(const armvmi_types_t *t, const char *path, uint64_t *offset);

/** Called for each member; return non-zero to stop (that value is returned). */
typedef int (*armvmi_member_fn)(void *arg, const struct armvmi_member *m);

/**
 * Call fn for each member of the struct or union called name (or reached by a dotted path),
 * in order, descending into anonymous structs and unions (the anonymous member itself is
 * given first, with name "" and its depth; its members follow with depth + 1).
 * Errors: those of armvmi_types_member, ARMVMI_EINVAL (not a struct or union), or fn's value.
 */
int armvmi_types_foreach_member(const armvmi_types_t *t, const char *name, armvmi_member_fn fn,
                                void *arg);

/** The C spelling of type id ("struct task_struct", "unsigned int *", "char[16]"; of a
 *  function: its prototype, "int f(struct x *, unsigned int)") in out. */
int armvmi_types_name_of(const armvmi_types_t *t, uint32_t id, char *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif
