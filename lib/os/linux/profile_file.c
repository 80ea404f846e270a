/* SPDX-License-Identifier: MIT */
/* profile_file.c — outside profiles read from files (xz-decompressed when they are xz), and the
 * ISF file entry points. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>

#include <armvmi/profile.h>

#include "types_priv.h"

#define XZ_MAGIC                                                                                   \
    "\xfd"                                                                                         \
    "7zXZ"

/* Double *buf (cap bytes) up to ARMVMI_PROFILE_MAX_SIZE; on failure *buf is freed. */
static int grow_buf(uint8_t **buf, size_t *cap, const char *what)
{
    uint8_t *nb = *cap < ARMVMI_PROFILE_MAX_SIZE ? realloc(*buf, *cap * 2) : NULL;
    if (!nb) {
        free(*buf);
        *buf = NULL;
        return *cap < ARMVMI_PROFILE_MAX_SIZE
                   ? armvmi_set_error(ARMVMI_ENOMEM, "%s: out of memory.", what)
                   : armvmi_set_error(ARMVMI_EFORMAT, "%s: larger than %u MiB.", what,
                                      ARMVMI_PROFILE_MAX_SIZE >> 20);
    }
    *buf = nb;
    *cap *= 2;
    return 0;
}

static int xz_decode(const uint8_t *in, size_t inlen, uint8_t **data, size_t *len)
{
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
        return armvmi_set_error(ARMVMI_ENOMEM, "xz: out of memory.");
    size_t cap = 1u << 20, n = 0;
    uint8_t *buf = malloc(cap);
    s.next_in = in;
    s.avail_in = inlen;
    lzma_ret r = LZMA_OK;
    int rc = buf ? 0 : armvmi_set_error(ARMVMI_ENOMEM, "xz: out of memory.");
    while (!rc && r == LZMA_OK) {
        if (n == cap && (rc = grow_buf(&buf, &cap, "the xz-decompressed profile")))
            break;
        s.next_out = buf + n;
        s.avail_out = cap - n;
        r = lzma_code(&s, LZMA_FINISH);
        n = cap - s.avail_out;
    }
    lzma_end(&s);
    if (!rc && r != LZMA_STREAM_END)
        rc = armvmi_set_error(ARMVMI_EFORMAT, "xz: corrupt or truncated data (lzma error %d).",
                              (int)r);
    if (rc) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return 0;
}

static int profile_read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return armvmi_set_error(ARMVMI_EIO, "cannot open %s: %m.", path);
    size_t cap = 1u << 16, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? 0 : armvmi_set_error(ARMVMI_ENOMEM, "out of memory reading %s.", path);
    while (!rc) {
        if (n == cap && (rc = grow_buf(&buf, &cap, path)))
            break;
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (!rc && ferror(f))
        rc = armvmi_set_error(ARMVMI_EIO, "cannot read %s.", path);
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    if (n >= 6 && memcmp(buf, XZ_MAGIC, 6) == 0) {
        uint8_t *d = NULL;
        size_t dl = 0;
        rc = xz_decode(buf, n, &d, &dl);
        free(buf);
        if (rc)
            return rc;
        buf = d;
        n = dl;
    }
    *data = buf;
    *len = n;
    return 0;
}

int profile_load(const char *path, int (*parse)(const void *, size_t, void *), void *out)
{
    if (!path || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "profile: NULL argument.");
    uint8_t *d = NULL;
    size_t n = 0;
    int rc = profile_read_file(path, &d, &n);
    if (rc)
        return rc;
    rc = parse(d, n, out);
    free(d);
    if (rc) {
        char m[512];
        snprintf(m, sizeof(m), "%s", armvmi_errmsg());
        armvmi_set_error(-rc, "%s: %s", path, m);
    }
    return rc;
}

struct isf_out {
    armvmi_types_t **types;
    armvmi_sysmap_t **syms;
};

static int isf_parse(const void *d, size_t n, void *out)
{
    struct isf_out *o = out;
    return armvmi_profile_from_isf_bytes(d, n, o->types, o->syms);
}

int armvmi_profile_from_isf(const char *path, armvmi_types_t **types, armvmi_sysmap_t **syms)
{
    struct isf_out o = {types, syms};
    return profile_load(path, isf_parse, &o);
}

int armvmi_types_from_isf(const char *path, armvmi_types_t **out)
{
    return armvmi_profile_from_isf(path, out, NULL);
}
