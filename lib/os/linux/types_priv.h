/* SPDX-License-Identifier: MIT */
/* types_priv.h — what other sources of types (ISF) need from btf.c and share; not installed. */
#ifndef ARMVMI_TYPES_PRIV_H
#define ARMVMI_TYPES_PRIV_H

#include <armvmi/types.h>

#define ISF_NAME_MAX 512 /* a type name of an ISF file (isf.c, isf_write.c) */

/* Set info.source (a static string) of types built by armvmi_types_from_btf. */
void types_set_source(armvmi_types_t *t, const char *source);

/* Types parsed from bytes found in guest memory: set info.source, in_memory, pa and va. */
void types_set_where(armvmi_types_t *t, const char *source, uint64_t pa, uint64_t va);

/* Read the file at path (xz-decompressed if it is xz; at most ARMVMI_PROFILE_MAX_SIZE bytes)
 * and give its bytes to parse(data, len, out); errors are prefixed with the path (isf.c). */
int profile_load(const char *path, int (*parse)(const void *, size_t, void *), void *out);

#endif
