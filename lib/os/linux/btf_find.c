/* SPDX-License-Identifier: MIT */
/* btf_find.c — the kernel's own BTF found in guest memory (or in a buffer) by its header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linux.h>

#include "btf_priv.h"

#define MAX_CANDIDATES 256        /* BTF-looking headers parsed before giving up */
#define SCAN_LIMIT (256ull << 20) /* bytes of kernel image scanned after _stext */
#define SCAN_CHUNK (4ull << 20)
#define SCAN_OVERLAP BTF_HDR_MAX
#define BTF_SRC_RODATA "the kernel image's read-only data (kallsyms_names to swapper_pg_dir)"

/* A parsed candidate is the kernel's BTF if it defines struct task_struct. */
static bool is_vmlinux(const struct armvmi_types *T)
{
    uint32_t id = btf_index_find(T, "task_struct", 0, 0);
    const struct btf_type *t = id ? btf__type_by_id(T->btf, id) : NULL;
    return t && btf_vlen(t) > 0;
}

struct cand {
    unsigned seen, parsed;
    char last[200];
};

/* Try the candidate header at p (avail bytes from it): 1 taken, 0 not, <0 fatal. */
static int try_candidate(struct cand *c, const uint8_t *p, uint64_t avail, armvmi_types_t **out)
{
    size_t size;
    const char *why;
    if (btf_hdr_check(p, avail, &size, &why))
        return 0;
    c->seen++;
    if (c->parsed >= MAX_CANDIDATES)
        return 0;
    c->parsed++;
    int rc = armvmi_types_from_btf(p, size, out);
    if (rc == -ARMVMI_ENOMEM)
        return rc;
    if (rc) {
        snprintf(c->last, sizeof(c->last), "%s", armvmi_errmsg());
        size_t n = strlen(c->last);
        if (n && c->last[n - 1] == '.') /* it ends our sentence */
            c->last[n - 1] = 0;
        return 0;
    }
    if (is_vmlinux(*out))
        return 1;
    snprintf(c->last, sizeof(c->last), "a BTF of %u types without struct task_struct",
             (*out)->info.ntypes);
    armvmi_types_close(*out);
    *out = NULL;
    return 0;
}

/* The first BTF magic in [p, p + n), or NULL: memchr for its first byte (vectorised, faster
 * than memmem's general search over a kernel image), then the other three. */
static const uint8_t *find_magic(const uint8_t *p, size_t n)
{
    for (const uint8_t *e = p + n; n >= 4;) {
        const uint8_t *q = memchr(p, BTF_MAGIC_LE[0], n - 3);
        if (!q)
            return NULL;
        if (memcmp(q + 1, &BTF_MAGIC_LE[1], 3) == 0)
            return q;
        p = q + 1;
        n = (size_t)(e - p);
    }
    return NULL;
}

int armvmi_types_find_btf(const void *buf, size_t len, armvmi_types_t **out, size_t *offset)
{
    if (!buf || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "BTF search: NULL argument.");
    *out = NULL;
    struct cand c = {0};
    const uint8_t *b = buf;
    for (size_t off = 0; off + 4 <= len;) {
        const uint8_t *p = find_magic(b + off, len - off);
        if (!p)
            break;
        off = (size_t)(p - b);
        int r = try_candidate(&c, p, len - off, out);
        if (r < 0)
            return r;
        if (r == 1) {
            if (offset)
                *offset = off;
            (*out)->info.candidates = c.seen;
            return 0;
        }
        off++;
    }
    return armvmi_set_error(ARMVMI_ENOENT,
                            "no kernel BTF in %zu bytes: %u BTF-looking header(s)%s%s.", len,
                            c.seen, c.last[0] ? ", the last one: " : "", c.last);
}

/* Scan [start, start + len) of h's physical memory; 1 found, 0 not, <0 fatal error. */
static int scan_phys(armvmi_t *h, uint64_t start, uint64_t len, struct cand *c,
                     armvmi_types_t **out, uint64_t *found_pa)
{
    uint8_t *chunk = malloc(SCAN_CHUNK);
    if (!chunk)
        return armvmi_set_error(ARMVMI_ENOMEM, "BTF search: out of memory.");
    int r = 0;
    for (uint64_t pos = 0; pos < len && r == 0; pos += SCAN_CHUNK - SCAN_OVERLAP) {
        size_t n = len - pos < SCAN_CHUNK ? (size_t)(len - pos) : (size_t)SCAN_CHUNK;
        /* zero-copy where the target maps its RAM, else a copy */
        const uint8_t *m = armvmi_map_pa(h, start + pos, n);
        if (!m) {
            if (armvmi_read_pa(h, start + pos, chunk, n))
                continue; /* a hole: the rest may still be RAM */
            m = chunk;
        }
        bool last = pos + n >= len;
        size_t lim = last ? n : n - SCAN_OVERLAP; /* hits past lim are seen by the next chunk */
        for (size_t off = 0; off < lim && r == 0;) {
            const uint8_t *p = find_magic(m + off, n - off);
            if (!p || (size_t)(p - m) >= lim)
                break;
            off = (size_t)(p - m);
            size_t size;
            const char *why;
            /* the header is in the chunk (off < lim leaves SCAN_OVERLAP bytes); the body may
             * not be: read it whole */
            if (n - off >= BTF_HDR_MIN && btf_hdr_check(p, len - pos - off, &size, &why) == 0) {
                /* zero-copy where the target maps it (armvmi_types_from_btf copies it) */
                const uint8_t *body = armvmi_map_pa(h, start + pos + off, size);
                uint8_t *copy = NULL;
                if (!body) {
                    if (!(copy = malloc(size))) {
                        r = armvmi_set_error(ARMVMI_ENOMEM, "BTF search: out of memory.");
                        break;
                    }
                    body = armvmi_read_pa(h, start + pos + off, copy, size) == 0 ? copy : NULL;
                }
                if (body) {
                    r = try_candidate(c, body, size, out);
                    if (r == 1)
                        *found_pa = start + pos + off;
                }
                free(copy);
            }
            off++;
        }
    }
    free(chunk);
    return r;
}

int armvmi_linux_btf_find(armvmi_t *h, const struct armvmi_linux_kernel *k, armvmi_types_t **out)
{
    if (!h || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "BTF search: NULL argument.");
    *out = NULL;
    struct armvmi_linux_kernel *own = NULL;
    if (!k) {
        own = malloc(sizeof(*own));
        if (!own)
            return armvmi_set_error(ARMVMI_ENOMEM, "BTF search: out of memory.");
        int rc = armvmi_linux_discover(h, own);
        if (rc) {
            free(own);
            return rc;
        }
        k = own;
    }
    struct armvmi_info in;
    int rc = armvmi_get_info(h, &in);
    struct cand c = {0};
    uint64_t pa = 0, scan_pa = 0, scan_len = 0;
    const char *src = "";
    int r = 0;
    if (!rc && k->stext_pa.known) {
        /* the kernel image: from _stext on, within the RAM range holding it */
        uint64_t s = k->stext_pa.value;
        for (unsigned i = 0; i < in.nranges && i < ARMVMI_MAX_RAM_RANGES; i++) {
            uint64_t b = in.ranges[i].base, e = b + in.ranges[i].size;
            if (s < b || s >= e)
                continue;
            scan_pa = s;
            scan_len = e - s < SCAN_LIMIT ? e - s : SCAN_LIMIT;
            /* arm64's vmlinux.lds.S puts swapper_pg_dir right after the read-only data: look
             * there first, so that a copy of the BTF in ordinary memory is not taken for it */
            uint64_t sw = k->swapper_pg_dir_pa.known ? k->swapper_pg_dir_pa.value : 0;
            uint64_t first = sw > s && sw - s < scan_len ? sw - s : scan_len;
            /* .rodata (where VMCOREINFO's kallsyms_names is, 6.0+) comes after the text and
             * before .BTF (include/asm-generic/vmlinux.lds.h, RO_DATA): from there first */
            uint64_t ro = k->kimage_voffset.known &&
                                  (k->vmcoreinfo.present >> ARMVMI_VMCI_SYM_KALLSYMS_NAMES & 1u)
                              ? k->vmcoreinfo.val[ARMVMI_VMCI_SYM_KALLSYMS_NAMES] -
                                    k->kimage_voffset.value - s
                              : 0;
            if (ro > 0 && ro < first) {
                src = BTF_SRC_RODATA;
                scan_pa = s + ro;
                r = scan_phys(h, s + ro, first - ro, &c, out, &pa);
                if (r == 0)
                    scan_pa = s;
            }
            if (r == 0) {
                src = "the kernel image's text and read-only data (_stext to swapper_pg_dir)";
                r = scan_phys(h, s, ro > 0 && ro < first ? ro : first, &c, out, &pa);
            }
            if (r == 0 && first < scan_len) {
                src = "the kernel image and the RAM after it (_stext + 256 MiB): not in its "
                      "read-only data";
                r = scan_phys(h, s + first, scan_len - first, &c, out, &pa);
            } else {
                scan_len = first - (scan_pa - s);
            }
            break;
        }
    }
    if (!rc && r == 0 && scan_len == 0) {
        /* no _stext in RAM: every RAM range */
        src = "all guest RAM (no _stext known)";
        for (unsigned i = 0; i < in.nranges && i < ARMVMI_MAX_RAM_RANGES && r == 0; i++) {
            if (!scan_len)
                scan_pa = in.ranges[i].base;
            scan_len += in.ranges[i].size;
            r = scan_phys(h, in.ranges[i].base, in.ranges[i].size, &c, out, &pa);
        }
    }
    uint64_t kv = k->kimage_voffset.known ? k->kimage_voffset.value : 0;
    bool kv_known = k->kimage_voffset.known, k_stext = k->stext_pa.known;
    free(own);
    if (rc)
        return rc;
    if (r < 0)
        return r;
    if (r == 0)
        return armvmi_set_error(
            ARMVMI_ENOENT,
            "no kernel BTF in %llu MiB of %s from PA 0x%llx: %u BTF-looking header(s)%s%s; "
            "the kernel may be built without CONFIG_DEBUG_INFO_BTF.",
            (unsigned long long)(scan_len >> 20), k_stext ? "the kernel image and RAM" : "RAM",
            (unsigned long long)scan_pa, c.seen, c.last[0] ? ", the last one: " : "", c.last);
    struct armvmi_types_info *I = &(*out)->info;
    I->source = "BTF in guest memory";
    I->in_memory = true;
    I->pa = pa;
    I->va = kv_known ? pa + kv : 0;
    I->scan_pa = scan_pa;
    I->scan_len = scan_len;
    I->scan_source = src;
    I->candidates = c.seen;
    return 0;
}
