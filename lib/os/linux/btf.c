/* SPDX-License-Identifier: MIT */
/* btf.c — the kernel's own BTF found in guest memory, parsed with libbpf, queried by name. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <armvmi/types.h>

#include "types_priv.h"

/* include/uapi/linux/btf.h: struct btf_header, all little-endian on arm64 */
#define BTF_MAGIC_LE "\x9f\xeb\x01\x00" /* magic 0xeB9F, version 1, flags 0 */
#define BTF_HDR_MIN 24u
#define BTF_HDR_MAX 256u

#define MAX_CANDIDATES 256        /* BTF-looking headers parsed before giving up */
#define MAX_VISITS (1u << 20)     /* member visits of one query (hostile BTF may nest) */
#define SCAN_LIMIT (256ull << 20) /* bytes of kernel image scanned after _stext */
#define SCAN_CHUNK (4ull << 20)
#define SCAN_OVERLAP BTF_HDR_MAX
#define PATH_COMPONENT_MAX 255
#define BTF_SRC_RODATA "the kernel image's read-only data (kallsyms_names to swapper_pg_dir)"

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

/* ---- libbpf's warnings become our error message instead of stderr noise ---- */

static __thread char bpf_msg[256];

static int bpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    /* keep the last message: libbpf gives the reason for bad BTF at the debug level */
    vsnprintf(bpf_msg, sizeof(bpf_msg), fmt, ap);
    size_t n = strlen(bpf_msg);
    while (n && (bpf_msg[n - 1] == '\n' || bpf_msg[n - 1] == '.'))
        bpf_msg[--n] = 0;
    return 0;
}

/* ---- header ---- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Check the header at p (at least BTF_HDR_MIN bytes readable) of BTF with avail bytes. */
static int hdr_check(const uint8_t *p, uint64_t avail, size_t *size, const char **why)
{
    if (avail < BTF_HDR_MIN) {
        *why = "shorter than a BTF header";
        return -1;
    }
    if (memcmp(p, BTF_MAGIC_LE, 4) != 0) {
        *why = "no BTF magic 0xeB9F, version 1, flags 0";
        return -1;
    }
    uint32_t hdr_len = le32(p + 4), type_off = le32(p + 8), type_len = le32(p + 12);
    uint32_t str_off = le32(p + 16), str_len = le32(p + 20);
    if (hdr_len < BTF_HDR_MIN || hdr_len > BTF_HDR_MAX) {
        *why = "header length is not 24..256";
        return -1;
    }
    if (type_off % 4 || (uint64_t)type_off + type_len > str_off) {
        *why = "type section misaligned or overlapping the strings";
        return -1;
    }
    if (str_len == 0) {
        *why = "empty string section";
        return -1;
    }
    uint64_t total = (uint64_t)hdr_len + str_off + str_len;
    if (total > ARMVMI_BTF_MAX_SIZE) {
        *why = "sections larger than 64 MiB";
        return -1;
    }
    if (total > avail) {
        *why = "sections run past the end of the memory";
        return -1;
    }
    *size = (size_t)total;
    return 0;
}

int armvmi_btf_check_header(const void *buf, size_t len, size_t *size)
{
    if (!buf || !size)
        return armvmi_set_error(ARMVMI_EINVAL, "BTF header check: NULL argument.");
    const char *why = "";
    if (hdr_check(buf, len, size, &why))
        return armvmi_set_error(ARMVMI_EFORMAT, "not a usable BTF header: %s.", why);
    return 0;
}

/* ---- the name index ---- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static const char *name_of(const struct btf *btf, const struct btf_type *t)
{
    const char *n = btf__name_by_offset(btf, t->name_off);
    return n ? n : "";
}

#define RANK_FUNC 6

/* Lookup preference of a kind for a bare name; -1: not indexed. */
static int kind_rank(const struct btf_type *t)
{
    switch (btf_kind(t)) {
    case BTF_KIND_STRUCT:
        return 0;
    case BTF_KIND_UNION:
        return 1;
    case BTF_KIND_TYPEDEF:
        return 2;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
        return 3;
    case BTF_KIND_INT:
    case BTF_KIND_FLOAT:
        return 4;
    case BTF_KIND_FWD:
        return 5;
    case BTF_KIND_FUNC: /* only asked for by "func NAME" */
        return RANK_FUNC;
    default:
        return -1;
    }
}

/* Insert id under name into slots (mask + 1 of them, never full). */
static void index_put(uint32_t *slots, size_t mask, const char *name, uint32_t id)
{
    size_t i = fnv1a(name) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = id;
}

static size_t index_size(uint32_t n)
{
    size_t want = 16;
    while (want < (size_t)n * 2)
        want <<= 1;
    return want;
}

/* The index of every named kind but functions; functions are only counted (nnames holds
 * them: they are indexed on the first "func NAME" lookup, which a process listing never
 * makes). */
static int index_build(struct armvmi_types *T)
{
    uint32_t n = btf__type_cnt(T->btf);
    uint32_t first = T->base ? btf__type_cnt(T->base->btf) : 1;
    size_t want = index_size(n - first);
    T->slots = calloc(want, sizeof(*T->slots));
    if (!T->slots)
        return armvmi_set_error(ARMVMI_ENOMEM, "BTF name index: out of memory.");
    T->nslots = want;
    /* split BTF: only its own types; the base's are found through the base's index */
    for (uint32_t id = first; id < n; id++) {
        const struct btf_type *t = btf__type_by_id(T->btf, id);
        int r = t && t->name_off ? kind_rank(t) : -1;
        if (r < 0)
            continue;
        const char *nm = name_of(T->btf, t);
        if (!nm[0])
            continue;
        T->info.nnames++;
        if (r == RANK_FUNC)
            T->nfuncs++;
        else
            index_put(T->slots, want - 1, nm, id);
    }
    return 0;
}

/* The function index, built once (0, or -1 out of memory). */
static int index_funcs(struct armvmi_types *T)
{
    pthread_mutex_lock(&T->fslots_mu);
    if (!T->fslots) {
        uint32_t n = btf__type_cnt(T->btf);
        uint32_t first = T->base ? btf__type_cnt(T->base->btf) : 1;
        size_t want = index_size(T->nfuncs);
        uint32_t *fs = calloc(want, sizeof(*fs));
        for (uint32_t id = first; fs && id < n; id++) {
            const struct btf_type *t = btf__type_by_id(T->btf, id);
            if (!t || btf_kind(t) != BTF_KIND_FUNC || !t->name_off)
                continue;
            const char *nm = name_of(T->btf, t);
            if (nm[0])
                index_put(fs, want - 1, nm, id);
        }
        T->fslots = fs;
        T->nfslots = fs ? want : 0;
    }
    int rc = T->fslots ? 0 : -1;
    pthread_mutex_unlock(&T->fslots_mu);
    return rc;
}

/* The best type called name in slots (nslots of them) whose kind is in [lo, hi]; 0 if none. */
static uint32_t slots_find(const struct armvmi_types *T, const uint32_t *slots, size_t nslots,
                           const char *name, int lo, int hi, int *best_rank)
{
    uint32_t best = 0;
    size_t mask = nslots - 1;
    size_t i = fnv1a(name) & mask;
    for (size_t probes = 0; probes < nslots && slots[i]; probes++, i = (i + 1) & mask) {
        const struct btf_type *t = btf__type_by_id(T->btf, slots[i]);
        if (!t || strcmp(name_of(T->btf, t), name) != 0)
            continue;
        int r = kind_rank(t);
        if (r < lo || r > hi)
            continue;
        /* prefer the kind's rank, then a definition over an empty one, then the lowest id */
        if (r == 0 || r == 1)
            r = btf_vlen(t) ? r : r + 10;
        if (r < *best_rank || (r == *best_rank && slots[i] < best)) {
            best = slots[i];
            *best_rank = r;
        }
    }
    return best;
}

/* The best type called name whose kind is in the rank range [lo, hi]; 0 if none. */
static uint32_t index_find(const struct armvmi_types *T, const char *name, int lo, int hi)
{
    int best_rank = 99;
    uint32_t best = 0;
    if (lo < RANK_FUNC)
        best = slots_find(T, T->slots, T->nslots, name, lo, hi, &best_rank);
    /* the function index is built on demand: the lookup is const to callers only */
    if (!best && hi >= RANK_FUNC && T->nfuncs && index_funcs((struct armvmi_types *)T) == 0)
        best = slots_find(T, T->fslots, T->nfslots, name, lo, hi, &best_rank);
    if (!best && T->base)
        return index_find(T->base, name, lo, hi);
    return best;
}

/* ---- construction ---- */

/*
 * Debian 12's libbpf (1.1) does not export btf__new_split, but parses split BTF from a file:
 * the bytes go through a memfd, read back by libbpf as /proc/self/fd/N.
 */
static struct btf *parse_split(const void *data, size_t len, struct btf *base, char *why,
                               size_t whylen)
{
    int fd = memfd_create("armvmi-split-btf", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "memfd_create failed");
        return NULL;
    }
    const char *p = data;
    for (size_t done = 0; done < len;) {
        ssize_t w = write(fd, p + done, len - done);
        if (w <= 0) {
            close(fd);
            snprintf(why, whylen, "cannot write the BTF to a memfd");
            return NULL;
        }
        done += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    bpf_msg[0] = 0;
    libbpf_print_fn_t old = libbpf_set_print(bpf_print);
    struct btf *b = btf__parse_raw_split(path, base);
    libbpf_set_print(old);
    close(fd);
    if (!b || libbpf_get_error(b)) {
        snprintf(why, whylen, "%s", bpf_msg[0] ? bpf_msg : "libbpf rejected it");
        return NULL;
    }
    return b;
}

/* Parse size checked bytes as BTF (split on base when base is not NULL), index its names. */
static int types_parse(const void *data, size_t len, const struct armvmi_types *base,
                       armvmi_types_t **out)
{
    if (!data || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "BTF: NULL argument.");
    *out = NULL;
    size_t size;
    const char *why = "";
    if (hdr_check(data, len, &size, &why))
        return armvmi_set_error(ARMVMI_EFORMAT, "not usable BTF: %s.", why);
    struct armvmi_types *T = calloc(1, sizeof(*T));
    if (!T)
        return armvmi_set_error(ARMVMI_ENOMEM, "BTF: out of memory.");
    /* libbpf keeps its own copy of the bytes (armvmi_types_raw gives it back) */
    char msg[256] = "";
    if (base) {
        T->btf = parse_split(data, size, base->btf, msg, sizeof(msg));
    } else {
        bpf_msg[0] = 0;
        libbpf_print_fn_t old = libbpf_set_print(bpf_print);
        T->btf = btf__new(data, (uint32_t)size);
        libbpf_set_print(old);
        snprintf(msg, sizeof(msg), "%s", bpf_msg[0] ? bpf_msg : "libbpf rejected it");
    }
    if (!T->btf || libbpf_get_error(T->btf)) {
        free(T);
        return armvmi_set_error(ARMVMI_EFORMAT, "the %sBTF does not parse%s (%s).",
                                base ? "split " : "", base ? " on its base" : "", msg);
    }
    pthread_mutex_init(&T->fslots_mu, NULL);
    T->base = base;
    T->info.source = base ? "split BTF bytes" : "BTF bytes";
    T->info.size = size;
    T->info.ntypes = btf__type_cnt(T->btf) - (base ? btf__type_cnt(base->btf) : 1);
    T->info.str_len = le32((const uint8_t *)data + 20);
    int rc = index_build(T);
    if (rc) {
        armvmi_types_close(T);
        return rc;
    }
    *out = T;
    return 0;
}

int armvmi_types_from_btf(const void *data, size_t len, armvmi_types_t **out)
{
    return types_parse(data, len, NULL, out);
}

int armvmi_types_from_btf_split(const void *data, size_t len, const armvmi_types_t *base,
                                armvmi_types_t **out)
{
    if (!base)
        return armvmi_set_error(ARMVMI_EINVAL, "split BTF: NULL argument.");
    if (!base->btf || base->base)
        return armvmi_set_error(ARMVMI_ENOTSUP, "split BTF needs the kernel's own BTF types as "
                                                "its base.");
    return types_parse(data, len, base, out);
}

void armvmi_types_close(armvmi_types_t *t)
{
    if (!t)
        return;
    btf__free(t->btf);
    free(t->slots);
    free(t->fslots);
    pthread_mutex_destroy(&t->fslots_mu);
    free(t);
}

int armvmi_types_info(const armvmi_types_t *t, struct armvmi_types_info *info)
{
    if (!t || !info)
        return armvmi_set_error(ARMVMI_EINVAL, "types info: NULL argument.");
    *info = t->info;
    return 0;
}

void types_set_source(armvmi_types_t *t, const char *source)
{
    t->info.source = source;
}

void types_set_where(armvmi_types_t *t, const char *source, uint64_t pa, uint64_t va)
{
    t->info.source = source;
    t->info.in_memory = true;
    t->info.pa = pa;
    t->info.va = va;
}

int armvmi_types_raw(const armvmi_types_t *t, const void **data, size_t *len)
{
    if (!t || !data || !len)
        return armvmi_set_error(ARMVMI_EINVAL, "types raw: NULL argument.");
    uint32_t n = 0;
    const void *raw = t->btf ? btf__raw_data(t->btf, &n) : NULL;
    if (!raw)
        return armvmi_set_error(ARMVMI_ENOTSUP, "these types have no raw BTF bytes.");
    *data = raw;
    *len = n;
    return 0;
}

/* A parsed candidate is the kernel's BTF if it defines struct task_struct. */
static bool is_vmlinux(const struct armvmi_types *T)
{
    uint32_t id = index_find(T, "task_struct", 0, 0);
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
    if (hdr_check(p, avail, &size, &why))
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
        if (memcmp(q + 1, BTF_MAGIC_LE + 1, 3) == 0)
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
            if (n - off >= BTF_HDR_MIN && hdr_check(p, len - pos - off, &size, &why) == 0) {
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

/* ---- queries ---- */

/* Look through typedefs, qualifiers and type tags; *rid receives the id reached. */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *rid)
{
    for (int d = 0; d < ARMVMI_TYPES_MAX_DEPTH; d++) {
        const struct btf_type *t = btf__type_by_id(btf, id);
        if (!t)
            return NULL;
        if (!btf_is_typedef(t) && !btf_is_mod(t) && !btf_is_type_tag(t)) {
            if (rid)
                *rid = id;
            return t;
        }
        id = t->type;
    }
    return NULL;
}

static enum armvmi_type_kind kind_of(const struct btf_type *t)
{
    if (!t)
        return ARMVMI_TYPE_OTHER;
    switch (btf_kind(t)) {
    case BTF_KIND_UNKN:
        return ARMVMI_TYPE_VOID;
    case BTF_KIND_INT:
    case BTF_KIND_FLOAT:
        return ARMVMI_TYPE_INT;
    case BTF_KIND_PTR:
        return ARMVMI_TYPE_PTR;
    case BTF_KIND_ARRAY:
        return ARMVMI_TYPE_ARRAY;
    case BTF_KIND_STRUCT:
        return ARMVMI_TYPE_STRUCT;
    case BTF_KIND_UNION:
        return ARMVMI_TYPE_UNION;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
        return ARMVMI_TYPE_ENUM;
    case BTF_KIND_FUNC_PROTO:
        return ARMVMI_TYPE_FUNC;
    default:
        return ARMVMI_TYPE_OTHER;
    }
}

/* C spelling of id into out (len > 0), depth-bounded for hostile BTF. */
static void fmt_type(const struct btf *btf, uint32_t id, char *out, size_t len, int depth)
{
    if (depth > ARMVMI_TYPES_MAX_DEPTH) {
        snprintf(out, len, "?");
        return;
    }
    if (id == 0) {
        snprintf(out, len, "void");
        return;
    }
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!t) {
        snprintf(out, len, "<bad type %u>", id);
        return;
    }
    const char *nm = name_of(btf, t);
    char inner[ARMVMI_TYPE_NAME_MAX];
    switch (btf_kind(t)) {
    case BTF_KIND_INT:
    case BTF_KIND_FLOAT:
    case BTF_KIND_TYPEDEF:
        snprintf(out, len, "%s", nm);
        return;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FWD: {
        const char *kw = btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t)) ? "union"
                         : btf_is_any_enum(t)                               ? "enum"
                                                                            : "struct";
        snprintf(out, len, "%s %s", kw, nm[0] ? nm : "{...}");
        return;
    }
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
        fmt_type(btf, t->type, inner, sizeof(inner), depth + 1);
        snprintf(out, len, "%s %s",
                 btf_is_const(t)      ? "const"
                 : btf_is_volatile(t) ? "volatile"
                                      : "restrict",
                 inner);
        return;
    case BTF_KIND_TYPE_TAG:
        fmt_type(btf, t->type, out, len, depth + 1);
        return;
    case BTF_KIND_PTR: {
        const struct btf_type *p = btf__type_by_id(btf, t->type);
        if (p && btf_is_func_proto(p)) {
            fmt_type(btf, p->type, inner, sizeof(inner), depth + 1);
            snprintf(out, len, "%s (*)()", inner);
            return;
        }
        fmt_type(btf, t->type, inner, sizeof(inner), depth + 1);
        size_t l = strlen(inner);
        snprintf(out, len, "%s%s*", inner, l && inner[l - 1] == '*' ? "" : " ");
        return;
    }
    case BTF_KIND_ARRAY: {
        /* int a[2][3] is an array of 2 arrays of 3 ints: dims in order, base type first */
        char dims[64] = "";
        uint32_t e = id;
        const struct btf_type *a = t;
        for (int d = 0; a && btf_is_array(a) && d < 8; d++) {
            size_t dl = strlen(dims);
            snprintf(dims + dl, sizeof(dims) - dl, "[%u]", btf_array(a)->nelems);
            e = btf_array(a)->type;
            a = btf__type_by_id(btf, e);
        }
        fmt_type(btf, e, inner, sizeof(inner), depth + 1);
        snprintf(out, len, "%s%s", inner, dims);
        return;
    }
    case BTF_KIND_FUNC_PROTO:
        fmt_type(btf, t->type, inner, sizeof(inner), depth + 1);
        snprintf(out, len, "%s ()", inner);
        return;
    case BTF_KIND_FUNC: {
        /* a function's prototype: "int f(struct x *, unsigned int)" */
        const struct btf_type *p = btf__type_by_id(btf, t->type);
        if (!p || !btf_is_func_proto(p)) {
            snprintf(out, len, "%s", nm);
            return;
        }
        fmt_type(btf, p->type, inner, sizeof(inner), depth + 1);
        size_t o = (size_t)snprintf(out, len, "%s %s(", inner, nm);
        const struct btf_param *a = btf_params(p);
        unsigned n = btf_vlen(p);
        for (unsigned i = 0; i < n && o < len; i++) {
            if (a[i].type)
                fmt_type(btf, a[i].type, inner, sizeof(inner), depth + 1);
            else
                snprintf(inner, sizeof(inner), "..."); /* variadic */
            o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", inner);
        }
        if (o < len)
            snprintf(out + o, len - o, "%s)", n ? "" : "void");
        return;
    }
    default:
        snprintf(out, len, "%s", nm[0] ? nm : "?");
        return;
    }
}

int armvmi_types_name_of(const armvmi_types_t *t, uint32_t id, char *out, size_t len)
{
    if (!t || !out || !len)
        return armvmi_set_error(ARMVMI_EINVAL, "type name: NULL argument.");
    if (id >= btf__type_cnt(t->btf))
        return armvmi_set_error(ARMVMI_ENOENT, "no type with id %u.", id);
    fmt_type(t->btf, id, out, len, 0);
    return 0;
}

int armvmi_types_find(const armvmi_types_t *t, const char *name, uint32_t *id)
{
    if (!t || !name || !id)
        return armvmi_set_error(ARMVMI_EINVAL, "type lookup: NULL argument.");
    int lo = 0, hi = 5;
    const char *n = name;
    if (strncmp(n, "struct ", 7) == 0) {
        n += 7;
        hi = 0;
    } else if (strncmp(n, "union ", 6) == 0) {
        n += 6;
        lo = hi = 1;
    } else if (strncmp(n, "enum ", 5) == 0) {
        n += 5;
        lo = hi = 3;
    } else if (strncmp(n, "func ", 5) == 0) {
        n += 5;
        lo = hi = RANK_FUNC;
    }
    uint32_t r = n[0] ? index_find(t, n, lo, hi) : 0;
    if (!r)
        return armvmi_set_error(ARMVMI_ENOENT, "no type named '%s' in the kernel's BTF.", name);
    *id = r;
    return 0;
}

int armvmi_types_size(const armvmi_types_t *t, const char *name, uint64_t *size)
{
    uint32_t id;
    int rc = armvmi_types_find(t, name, &id);
    if (rc)
        return rc;
    if (!size)
        return armvmi_set_error(ARMVMI_EINVAL, "type size: NULL argument.");
    const struct btf_type *bt = skip_mods(t->btf, id, NULL);
    long long s = btf__resolve_size(t->btf, id);
    if (!bt || btf_is_fwd(bt) || s < 0)
        return armvmi_set_error(ARMVMI_EFORMAT, "type '%s' has no size (%s).", name,
                                bt && btf_is_fwd(bt) ? "only declared" : "broken BTF");
    *size = (uint64_t)s;
    return 0;
}

static void fill(const struct btf *btf, uint32_t type_id, const char *name, uint64_t bit,
                 uint32_t bitsz, struct armvmi_member *m)
{
    memset(m, 0, sizeof(*m));
    m->name = name;
    m->type_id = type_id;
    m->bit_offset = bit;
    m->offset = bit / 8;
    m->bit_size = bitsz;
    uint32_t rid = 0;
    const struct btf_type *rt = skip_mods(btf, type_id, &rid);
    m->kind = kind_of(rt);
    long long s = btf__resolve_size(btf, type_id);
    m->size = s > 0 ? (uint64_t)s : 0;
    if (rt && btf_is_ptr(rt)) {
        m->target_id = rt->type;
    } else if (rt && btf_is_array(rt)) {
        m->nelems = btf_array(rt)->nelems;
        m->target_id = btf_array(rt)->type;
    }
    fmt_type(btf, type_id, m->type, sizeof(m->type), 0);
}

struct walk {
    const struct btf *btf;
    unsigned visits;
    /* find */
    const char *want;
    size_t want_len;
    /* foreach */
    armvmi_member_fn fn;
    void *arg;
};

/* Find member w->want in composite sid (through anonymous members): 0 found, 1 not, <0 err. */
static int find_in(struct walk *w, uint32_t sid, uint64_t base, int depth, struct armvmi_member *m)
{
    const struct btf_type *t = btf__type_by_id(w->btf, sid);
    if (!t || !btf_is_composite(t))
        return 1;
    const struct btf_member *mem = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); i++) {
        if (++w->visits > MAX_VISITS)
            return armvmi_set_error(ARMVMI_EFORMAT,
                                    "BTF member search gave up after %u members (nesting too "
                                    "deep: broken BTF).",
                                    MAX_VISITS);
        const char *mn = btf__name_by_offset(w->btf, mem[i].name_off);
        mn = mn ? mn : "";
        uint64_t bit = base + btf_member_bit_offset(t, i);
        if (mn[0]) {
            if (strlen(mn) == w->want_len && memcmp(mn, w->want, w->want_len) == 0) {
                fill(w->btf, mem[i].type, mn, bit, btf_member_bitfield_size(t, i), m);
                return 0;
            }
            continue;
        }
        uint32_t cid;
        const struct btf_type *c = skip_mods(w->btf, mem[i].type, &cid);
        if (c && btf_is_composite(c) && depth < ARMVMI_TYPES_MAX_DEPTH) {
            int r = find_in(w, cid, bit, depth + 1, m);
            if (r <= 0)
                return r;
        }
    }
    return 1;
}

static const char *kind_word(enum armvmi_type_kind k)
{
    static const char *const w[] = {"void",     "an integer", "a pointer",
                                    "an array", "a struct",   "a union",
                                    "an enum",  "a function", "not a struct"};
    return w[k <= ARMVMI_TYPE_OTHER ? k : ARMVMI_TYPE_OTHER];
}

int armvmi_types_member(const armvmi_types_t *t, const char *path, struct armvmi_member *m)
{
    if (!t || !path || !m)
        return armvmi_set_error(ARMVMI_EINVAL, "member lookup: NULL argument.");
    const char *dot = strchr(path, '.');
    size_t tl = dot ? (size_t)(dot - path) : strlen(path);
    if (tl == 0 || tl > PATH_COMPONENT_MAX)
        return armvmi_set_error(
            ARMVMI_EINVAL, "'%s' is not TYPE.member[.member...] (empty or long type name).", path);
    char tname[PATH_COMPONENT_MAX + 1];
    memcpy(tname, path, tl);
    tname[tl] = 0;
    uint32_t id;
    int rc = armvmi_types_find(t, tname, &id);
    if (rc)
        return rc;
    fill(t->btf, id, "", 0, 0, m);
    struct walk w = {.btf = t->btf};
    const char *p = dot;
    char sofar[512];
    snprintf(sofar, sizeof(sofar), "%s", tname);
    while (p) {
        const char *comp = p + 1;
        const char *next = strchr(comp, '.');
        size_t cl = next ? (size_t)(next - comp) : strlen(comp);
        if (cl == 0 || cl > PATH_COMPONENT_MAX)
            return armvmi_set_error(
                ARMVMI_EINVAL, "'%s' is not TYPE.member[.member...] (an empty member name).", path);
        uint32_t sid;
        const struct btf_type *st = skip_mods(t->btf, m->type_id, &sid);
        if (!st || !btf_is_composite(st))
            return armvmi_set_error(
                ARMVMI_ENOENT, "%s is %s (%s), not a struct or union: it has no member '%.*s'%s.",
                sofar, kind_word(kind_of(st)), m->type, (int)cl, comp,
                st && btf_is_ptr(st) ? " (a path does not follow pointers: start from the "
                                       "pointed-to type)"
                                     : "");
        uint64_t base = m->bit_offset;
        char outer[ARMVMI_TYPE_NAME_MAX];
        snprintf(outer, sizeof(outer), "%s", m->type);
        w.want = comp;
        w.want_len = cl;
        w.visits = 0;
        int r = find_in(&w, sid, base, 0, m);
        if (r < 0)
            return r;
        if (r > 0)
            return armvmi_set_error(ARMVMI_ENOENT, "%s (%s) has no member '%.*s'.", sofar, outer,
                                    (int)cl, comp);
        size_t sl = strlen(sofar);
        snprintf(sofar + sl, sizeof(sofar) - sl, ".%.*s", (int)cl, comp);
        p = next;
    }
    if (!dot)
        m->name = name_of(t->btf, btf__type_by_id(t->btf, id));
    return 0;
}

int armvmi_types_offset(const armvmi_types_t *t, const char *path, uint64_t *offset)
{
    struct armvmi_member m;
    int rc = armvmi_types_member(t, path, &m);
    if (rc)
        return rc;
    if (!offset)
        return armvmi_set_error(ARMVMI_EINVAL, "member offset: NULL argument.");
    if (m.bit_size)
        return armvmi_set_error(ARMVMI_EINVAL,
                                "%s is a bitfield (bit %llu, %u bits): it has no byte offset.",
                                path, (unsigned long long)m.bit_offset, m.bit_size);
    *offset = m.offset;
    return 0;
}

static int walk_members(struct walk *w, uint32_t sid, uint64_t base, unsigned depth)
{
    const struct btf_type *t = btf__type_by_id(w->btf, sid);
    if (!t || !btf_is_composite(t))
        return 0;
    const struct btf_member *mem = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); i++) {
        if (++w->visits > MAX_VISITS)
            return armvmi_set_error(ARMVMI_EFORMAT,
                                    "BTF member listing gave up after %u members (nesting too "
                                    "deep: broken BTF).",
                                    MAX_VISITS);
        const char *mn = btf__name_by_offset(w->btf, mem[i].name_off);
        mn = mn ? mn : "";
        uint64_t bit = base + btf_member_bit_offset(t, i);
        struct armvmi_member m;
        fill(w->btf, mem[i].type, mn, bit, btf_member_bitfield_size(t, i), &m);
        m.depth = depth;
        int r = w->fn(w->arg, &m);
        if (r)
            return r;
        uint32_t cid;
        const struct btf_type *c = skip_mods(w->btf, mem[i].type, &cid);
        if (!mn[0] && c && btf_is_composite(c) && depth < ARMVMI_TYPES_MAX_DEPTH) {
            r = walk_members(w, cid, bit, depth + 1);
            if (r)
                return r;
        }
    }
    return 0;
}

int armvmi_types_foreach_member(const armvmi_types_t *t, const char *name, armvmi_member_fn fn,
                                void *arg)
{
    if (!fn)
        return armvmi_set_error(ARMVMI_EINVAL, "member listing: NULL callback.");
    struct armvmi_member m;
    int rc = armvmi_types_member(t, name, &m);
    if (rc)
        return rc;
    uint32_t sid;
    const struct btf_type *st = skip_mods(t->btf, m.type_id, &sid);
    if (!st || !btf_is_composite(st))
        return armvmi_set_error(ARMVMI_EINVAL, "%s is %s (%s), not a struct or union.", name,
                                kind_word(kind_of(st)), m.type);
    struct walk w = {.btf = t->btf, .fn = fn, .arg = arg};
    return walk_members(&w, sid, m.bit_offset, 0);
}
