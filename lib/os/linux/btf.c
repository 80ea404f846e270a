/* SPDX-License-Identifier: MIT */
/* btf.c — BTF bytes parsed with libbpf and indexed by name (the search in guest memory is in
 * btf_find.c, the queries in btf_query.c). */
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "btf_priv.h"
#include "types_priv.h"

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
int btf_hdr_check(const uint8_t *p, uint64_t avail, size_t *size, const char **why)
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
    if (btf_hdr_check(buf, len, size, &why))
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

const char *btf_type_name(const struct btf *btf, const struct btf_type *t)
{
    const char *n = btf__name_by_offset(btf, t->name_off);
    return n ? n : "";
}

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
        const char *nm = btf_type_name(T->btf, t);
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
            const char *nm = btf_type_name(T->btf, t);
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
        if (!t || strcmp(btf_type_name(T->btf, t), name) != 0)
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
uint32_t btf_index_find(const struct armvmi_types *T, const char *name, int lo, int hi)
{
    int best_rank = 99;
    uint32_t best = 0;
    if (lo < RANK_FUNC)
        best = slots_find(T, T->slots, T->nslots, name, lo, hi, &best_rank);
    /* the function index is built on demand: the lookup is const to callers only */
    if (!best && hi >= RANK_FUNC && T->nfuncs && index_funcs((struct armvmi_types *)T) == 0)
        best = slots_find(T, T->fslots, T->nfslots, name, lo, hi, &best_rank);
    if (!best && T->base)
        return btf_index_find(T->base, name, lo, hi);
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
    if (btf_hdr_check(data, len, &size, &why))
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
