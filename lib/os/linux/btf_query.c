/* SPDX-License-Identifier: MIT */
/* btf_query.c — types, sizes and members (through anonymous ones) by name, from parsed BTF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_priv.h"

#define MAX_VISITS (1u << 20) /* member visits of one query (hostile BTF may nest) */
#define PATH_COMPONENT_MAX 255

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
    const char *nm = btf_type_name(btf, t);
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
    uint32_t r = n[0] ? btf_index_find(t, n, lo, hi) : 0;
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
        m->name = btf_type_name(t->btf, btf__type_by_id(t->btf, id));
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
