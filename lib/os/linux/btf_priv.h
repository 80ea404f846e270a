/* SPDX-License-Identifier: MIT */
/* btf_priv.h — what btf.c (header, name index, construction), btf_find.c (the search in guest
 * memory) and btf_query.c (types and members by name) share; not installed. */
#ifndef ARMVMI_BTF_PRIV_H
#define ARMVMI_BTF_PRIV_H

#include <pthread.h>
#include <stdint.h>

#include <bpf/btf.h>

#include <armvmi/types.h>

/* include/uapi/linux/btf.h: struct btf_header, all little-endian on arm64 */
#define BTF_MAGIC_LE "\x9f\xeb\x01\x00" /* magic 0xeB9F, version 1, flags 0 */
#define BTF_HDR_MIN 24u
#define BTF_HDR_MAX 256u

/* Name-lookup ranks (btf_index_find): 0 struct, 1 union, 2 typedef, 3 enum, 4 int/float,
 * 5 fwd; functions only by "func NAME". */
#define RANK_FUNC 6

struct armvmi_types {
    struct btf *btf;
    const struct armvmi_types *base; /* split BTF (a module's): the vmlinux types it extends */
    /* open-addressing name indexes (type ids, 0 = empty; sizes are powers of two): one for
     * the kinds found by a bare name, one for functions, built on the first "func NAME" */
    uint32_t *slots;
    size_t nslots;
    uint32_t *fslots;
    size_t nfslots;
    uint32_t nfuncs;           /* named functions: the size of the function index */
    pthread_mutex_t fslots_mu; /* the function index is built inside a const lookup */
    struct armvmi_types_info info;
};

/* Check the header at p (at least BTF_HDR_MIN bytes readable) of BTF with avail bytes: 0 and
 * *size the BTF's total size, or -1 and *why the reason. */
int btf_hdr_check(const uint8_t *p, uint64_t avail, size_t *size, const char **why);

/* The name of t ("" if none). */
const char *btf_type_name(const struct btf *btf, const struct btf_type *t);

/* The best type called name whose kind is in the rank range [lo, hi]; 0 if none. */
uint32_t btf_index_find(const struct armvmi_types *T, const char *name, int lo, int hi);

#endif
