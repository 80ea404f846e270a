/* SPDX-License-Identifier: MIT */
/* isf.c — Volatility 3 ISF JSON types, read into BTF (so every types query works) and written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <jansson.h>
#include <lzma.h>

#include <armvmi/profile.h>

#include "types_priv.h"

#ifndef ARMVMI_VERSION
#define ARMVMI_VERSION "unknown"
#endif

#define XZ_MAGIC                                                                                   \
    "\xfd"                                                                                         \
    "7zXZ"
#define ISF_NAME_MAX 512
#define ISF_MAX_FIELDS 65536 /* members of one struct */

/* A derived type created after the user types, at id first_pend + its index. */
struct pend {
    int kind; /* BTF_KIND_PTR, _ARRAY, _FUNC_PROTO, _FWD */
    uint32_t sub;
    uint32_t count;
    const char *name; /* FWD: borrowed from the JSON */
    int fwd_kind;
};

struct isfb {
    struct btf *btf;
    json_t *ids; /* "b:name", "e:name", "u:name", "p:<id>", "a:<id>:<n>", "f:name" -> id */
    struct pend *pend;
    size_t npend, cap;
    uint32_t first_pend;
    uint32_t func_id;
    uint32_t index_id; /* the int type arrays are indexed by */
};

static int isf_err(const char *fmt, const char *a)
{
    return armvmi_set_error(ARMVMI_EFORMAT, fmt, a);
}

static uint32_t id_get(struct isfb *b, const char *key)
{
    json_t *v = json_object_get(b->ids, key);
    return v ? (uint32_t)json_integer_value(v) : 0;
}

static int id_set(struct isfb *b, const char *key, uint32_t id)
{
    if (json_object_set_new(b->ids, key, json_integer(id)))
        return armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
    return 0;
}

/* Queue a derived type; *id receives its future id. */
static int pend_add(struct isfb *b, struct pend p, uint32_t *id)
{
    if (b->first_pend + b->npend >= ARMVMI_ISF_MAX_TYPES)
        return armvmi_set_error(ARMVMI_EFORMAT, "ISF: more than %u types.", ARMVMI_ISF_MAX_TYPES);
    if (b->npend == b->cap) {
        size_t c = b->cap ? 2 * b->cap : 1024;
        struct pend *n = realloc(b->pend, c * sizeof(*n));
        if (!n)
            return armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
        b->pend = n;
        b->cap = c;
    }
    b->pend[b->npend] = p;
    *id = b->first_pend + (uint32_t)b->npend++;
    return 0;
}

/* An integral number in [lo, hi] (the JSON is read with integers as reals: kernel addresses
 * in "symbols" do not fit jansson's signed 64-bit integers). */
static bool jint(json_t *v, double lo, double hi, long long *out)
{
    if (!json_is_number(v))
        return false;
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi) || d != (double)(long long)d)
        return false;
    *out = (long long)d;
    return true;
}

static const char *str_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool is_anon_type_name(const char *n)
{
    return strncmp(n, "unnamed_", 8) == 0;
}

/* The id of type descriptor d (void: 0). */
static int resolve(struct isfb *b, json_t *d, int depth, uint32_t *id)
{
    char key[ISF_NAME_MAX + 32];
    if (depth > ARMVMI_ISF_MAX_DEPTH)
        return armvmi_set_error(ARMVMI_EFORMAT, "ISF: a type descriptor nested deeper than %d.",
                                ARMVMI_ISF_MAX_DEPTH);
    const char *kind = json_is_object(d) ? str_of(d, "kind") : NULL;
    if (!kind)
        return armvmi_set_error(ARMVMI_EFORMAT, "ISF: a type descriptor without a \"kind\".");
    const char *name = str_of(d, "name");
    if (name && strlen(name) > ISF_NAME_MAX)
        return armvmi_set_error(ARMVMI_EFORMAT, "ISF: a type name longer than %d bytes.",
                                ISF_NAME_MAX);
    if (strcmp(kind, "base") == 0) {
        if (!name)
            return isf_err("ISF: a %s type descriptor without a name.", kind);
        if (strcmp(name, "void") == 0) {
            *id = 0;
            return 0;
        }
        snprintf(key, sizeof(key), "b:%s", name);
        if (!(*id = id_get(b, key)))
            return isf_err("ISF: unknown base type '%s'.", name);
        return 0;
    }
    if (!strcmp(kind, "struct") || !strcmp(kind, "union") || !strcmp(kind, "class") ||
        !strcmp(kind, "enum")) {
        if (!name)
            return isf_err("ISF: a %s type descriptor without a name.", kind);
        bool en = kind[0] == 'e';
        snprintf(key, sizeof(key), "%c:%s", en ? 'e' : 'u', name);
        if ((*id = id_get(b, key)))
            return 0;
        /* declared only: a forward declaration */
        snprintf(key, sizeof(key), "f:%s:%s", kind, name);
        if ((*id = id_get(b, key)))
            return 0;
        struct pend p = {BTF_KIND_FWD, 0, 0, name,
                         en                           ? BTF_FWD_ENUM
                         : strcmp(kind, "union") == 0 ? BTF_FWD_UNION
                                                      : BTF_FWD_STRUCT};
        int rc = pend_add(b, p, id);
        return rc ? rc : id_set(b, key, *id);
    }
    if (strcmp(kind, "function") == 0) {
        if (!b->func_id) {
            int rc = pend_add(b, (struct pend){BTF_KIND_FUNC_PROTO, 0, 0, NULL, 0}, &b->func_id);
            if (rc)
                return rc;
        }
        *id = b->func_id;
        return 0;
    }
    if (strcmp(kind, "pointer") == 0 || strcmp(kind, "array") == 0) {
        uint32_t sub;
        int rc = resolve(b, json_object_get(d, "subtype"), depth + 1, &sub);
        if (rc)
            return rc;
        bool arr = kind[0] == 'a';
        json_int_t count = 0;
        if (arr) {
            long long c;
            if (!jint(json_object_get(d, "count"), 0, 0x7fffffff, &c))
                return armvmi_set_error(ARMVMI_EFORMAT, "ISF: an array without a valid \"count\".");
            count = c;
            snprintf(key, sizeof(key), "a:%u:%lld", sub, (long long)count);
        } else {
            snprintf(key, sizeof(key), "p:%u", sub);
        }
        if ((*id = id_get(b, key)))
            return 0;
        struct pend p = {arr ? BTF_KIND_ARRAY : BTF_KIND_PTR, sub, (uint32_t)count, NULL, 0};
        rc = pend_add(b, p, id);
        return rc ? rc : id_set(b, key, *id);
    }
    return isf_err("ISF: unknown type kind '%s'.", kind);
}

static int add_base(struct isfb *b, const char *name, json_t *v)
{
    const char *kind = str_of(v, "kind");
    long long size;
    if (!kind || !jint(json_object_get(v, "size"), 0, 64, &size))
        return isf_err("ISF: base type '%s' without a kind or a size of 0..64.", name);
    if (strcmp(kind, "void") == 0)
        return 0;
    int rc;
    if (strcmp(kind, "float") == 0) {
        rc = btf__add_float(b->btf, name, (size_t)size);
    } else {
        int enc = json_is_true(json_object_get(v, "signed")) ? BTF_INT_SIGNED : 0;
        if (strcmp(kind, "bool") == 0)
            enc = BTF_INT_BOOL;
        else if (strcmp(kind, "char") == 0)
            enc |= BTF_INT_CHAR;
        rc = size == 1 || size == 2 || size == 4 || size == 8 || size == 16
                 ? btf__add_int(b->btf, name, (size_t)size, enc)
                 : -1;
    }
    if (rc < 0)
        return isf_err("ISF: base type '%s' has a size BTF cannot hold.", name);
    char key[ISF_NAME_MAX + 8];
    snprintf(key, sizeof(key), "b:%s", name);
    return id_set(b, key, (uint32_t)rc);
}

static int add_enum(struct isfb *b, const char *name, json_t *v)
{
    json_t *cs = json_object_get(v, "constants");
    long long size = -1;
    jint(json_object_get(v, "size"), 0, 8, &size);
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return isf_err("ISF: enum '%s' has no size of 1, 2, 4 or 8.", name);
    const char *base = str_of(v, "base");
    bool is_signed = base && strstr(base, "unsigned") == NULL && strcmp(base, "void") != 0;
    /* values beyond 32 bits need BTF's ENUM64 */
    bool wide = size == 8;
    const char *cn;
    json_t *cv;
    json_object_foreach(cs, cn, cv)
    {
        if (json_is_number(cv) &&
            (json_number_value(cv) < -2147483648.0 || json_number_value(cv) > 4294967295.0))
            wide = true;
    }
    const char *bn = is_anon_type_name(name) ? "" : name;
    int id = wide ? btf__add_enum64(b->btf, bn, (uint32_t)size, is_signed)
                  : btf__add_enum(b->btf, bn, (uint32_t)size);
    if (id < 0)
        return armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
    json_object_foreach(cs, cn, cv)
    {
        long long val;
        if (!jint(cv, -9.3e18, 9.3e18, &val) ||
            (wide ? btf__add_enum64_value(b->btf, cn, (uint64_t)val)
                  : btf__add_enum_value(b->btf, cn, val)))
            return isf_err("ISF: enum '%s' has a bad constant.", name);
    }
    char key[ISF_NAME_MAX + 8];
    snprintf(key, sizeof(key), "e:%s", name);
    return id_set(b, key, (uint32_t)id);
}

struct fld {
    const char *name;
    json_t *v;
    uint64_t bit;
};

static int fld_cmp(const void *a, const void *b)
{
    const struct fld *x = a, *y = b;
    return x->bit < y->bit ? -1 : x->bit > y->bit;
}

static int add_user(struct isfb *b, const char *name, json_t *v, uint32_t want)
{
    const char *kind = str_of(v, "kind");
    json_t *fields = json_object_get(v, "fields");
    long long size;
    if (!kind || !jint(json_object_get(v, "size"), 0, 0x7fffffff, &size) || !json_is_object(fields))
        return isf_err("ISF: user type '%s' without a kind, a size or fields.", name);
    bool uni = strcmp(kind, "union") == 0;
    if (!uni && strcmp(kind, "struct") && strcmp(kind, "class"))
        return isf_err("ISF: user type '%s' is neither a struct nor a union.", name);
    size_t n = json_object_size(fields);
    if (n > ISF_MAX_FIELDS)
        return isf_err("ISF: user type '%s' has too many fields.", name);
    struct fld *f = calloc(n ? n : 1, sizeof(*f));
    if (!f)
        return armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
    size_t k = 0;
    const char *fn;
    json_t *fv;
    int rc = 0;
    json_object_foreach(fields, fn, fv)
    {
        json_t *ty = json_object_get(fv, "type");
        long long off, bp;
        if (!jint(json_object_get(fv, "offset"), 0, 0xffffff, &off) || !json_is_object(ty)) {
            rc = isf_err("ISF: a field of '%s' without a valid offset and type.", name);
            break;
        }
        uint64_t bit = (uint64_t)off * 8;
        const char *tk = str_of(ty, "kind");
        if (tk && strcmp(tk, "bitfield") == 0) {
            if (!jint(json_object_get(ty, "bit_position"), 0, 4096, &bp)) {
                rc = isf_err("ISF: a bitfield of '%s' without a valid bit_position.", name);
                break;
            }
            bit += (uint64_t)bp;
        }
        f[k++] = (struct fld){fn, fv, bit};
    }
    if (!rc)
        qsort(f, k, sizeof(*f), fld_cmp);
    /* the field types first: resolving only queues derived types, it adds nothing to BTF */
    uint32_t *tids = calloc(k ? k : 1, sizeof(*tids));
    uint32_t *bsz = calloc(k ? k : 1, sizeof(*bsz));
    if (!rc && (!tids || !bsz))
        rc = armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
    for (size_t i = 0; i < k && !rc; i++) {
        json_t *ty = json_object_get(f[i].v, "type");
        const char *tk = str_of(ty, "kind");
        if (tk && strcmp(tk, "bitfield") == 0) {
            long long bl;
            if (!jint(json_object_get(ty, "bit_length"), 1, 255, &bl)) {
                rc = isf_err("ISF: a bitfield of '%s' without a bit_length of 1..255.", name);
                break;
            }
            bsz[i] = (uint32_t)bl;
            ty = json_object_get(ty, "type");
        }
        rc = resolve(b, ty, 0, &tids[i]);
    }
    if (!rc) {
        const char *bn = is_anon_type_name(name) ? "" : name;
        int id = uni ? btf__add_union(b->btf, bn, (uint32_t)size)
                     : btf__add_struct(b->btf, bn, (uint32_t)size);
        if (id < 0 || (uint32_t)id != want)
            rc = armvmi_set_error(ARMVMI_EFORMAT, "ISF: cannot add type '%s'.", name);
        for (size_t i = 0; i < k && !rc; i++) {
            bool anon = json_is_true(json_object_get(f[i].v, "anonymous")) ||
                        strncmp(f[i].name, "unnamed_field_", 14) == 0;
            if (btf__add_field(b->btf, anon ? "" : f[i].name, (int)tids[i], (uint32_t)f[i].bit,
                               bsz[i]) < 0)
                rc = armvmi_set_error(ARMVMI_EFORMAT,
                                      "ISF: field '%s' of '%s' does not fit its type (a union "
                                      "member not at offset 0, or a bad bitfield).",
                                      f[i].name, name);
        }
    }
    free(tids);
    free(bsz);
    free(f);
    return rc;
}

static int emit_pending(struct isfb *b)
{
    for (size_t i = 0; i < b->npend; i++) { /* the list does not grow here */
        struct pend *p = &b->pend[i];
        int id;
        switch (p->kind) {
        case BTF_KIND_PTR:
            id = btf__add_ptr(b->btf, (int)p->sub);
            break;
        case BTF_KIND_ARRAY:
            id = btf__add_array(b->btf, (int)b->index_id, (int)p->sub, p->count);
            break;
        case BTF_KIND_FUNC_PROTO:
            id = btf__add_func_proto(b->btf, 0);
            break;
        default:
            id = btf__add_fwd(b->btf, p->name, (enum btf_fwd_kind)p->fwd_kind);
            break;
        }
        if (id < 0 || (uint32_t)id != b->first_pend + i)
            return armvmi_set_error(ARMVMI_EFORMAT, "ISF: cannot add derived type %zu.", i);
    }
    return 0;
}

static int build(json_t *root, struct isfb *b)
{
    json_t *bases = json_object_get(root, "base_types");
    json_t *users = json_object_get(root, "user_types");
    json_t *enums = json_object_get(root, "enums");
    if (!json_is_object(bases) || !json_is_object(users))
        return armvmi_set_error(ARMVMI_EFORMAT, "not an ISF file: no \"base_types\" and "
                                                "\"user_types\" objects.");
    size_t nu = json_object_size(users);
    size_t total =
        json_object_size(bases) + nu + (json_is_object(enums) ? json_object_size(enums) : 0);
    if (total >= ARMVMI_ISF_MAX_TYPES)
        return armvmi_set_error(ARMVMI_EFORMAT, "ISF: more than %u types.", ARMVMI_ISF_MAX_TYPES);
    int id = btf__add_int(b->btf, "__ARRAY_SIZE_TYPE__", 4, 0);
    if (id < 0)
        return armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
    b->index_id = (uint32_t)id;
    const char *name;
    json_t *v;
    int rc = 0;
    json_object_foreach(bases, name, v)
    {
        if (strlen(name) > ISF_NAME_MAX || !json_is_object(v))
            return isf_err("ISF: base type '%.64s' is not an object with a short name.", name);
        if ((rc = add_base(b, name, v)))
            return rc;
    }
    json_object_foreach(enums, name, v)
    {
        if (strlen(name) > ISF_NAME_MAX || !json_is_object(v))
            return isf_err("ISF: enum '%.64s' is not an object with a short name.", name);
        if ((rc = add_enum(b, name, v)))
            return rc;
    }
    /* user types get consecutive ids in iteration order, then the derived types */
    uint32_t first_user = (uint32_t)btf__type_cnt(b->btf);
    uint32_t i = 0;
    char key[ISF_NAME_MAX + 8];
    json_object_foreach(users, name, v)
    {
        if (strlen(name) > ISF_NAME_MAX || !json_is_object(v))
            return isf_err("ISF: user type '%.64s' is not an object with a short name.", name);
        snprintf(key, sizeof(key), "u:%s", name);
        if ((rc = id_set(b, key, first_user + i++)))
            return rc;
    }
    b->first_pend = first_user + (uint32_t)nu;
    i = 0;
    json_object_foreach(users, name, v)
    {
        if ((rc = add_user(b, name, v, first_user + i++)))
            return rc;
    }
    return emit_pending(b);
}

/*
 * A copy of the JSON in which integers above INT64_MAX (kernel addresses in "symbols", which
 * dwarf2json writes unsigned) become the negative int64 of the same bits, padded with spaces,
 * so that jansson (signed 64-bit integers only) reads them exactly. Strings are left alone.
 */
static char *fold_u64(const char *in, size_t len)
{
    char *t = malloc(len ? len : 1);
    if (!t)
        return NULL;
    memcpy(t, in, len);
    bool str = false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = false;
            continue;
        }
        if (c == '"') {
            str = true;
            continue;
        }
        /* the rest of a number already seen (negative, real, or too long) is skipped */
        if (c < '0' || c > '9' || (i && strchr("-+.eE0123456789", t[i - 1])))
            continue;
        size_t j = i;
        unsigned __int128 v = 0;
        while (j < len && t[j] >= '0' && t[j] <= '9' && j - i < 21)
            v = v * 10 + (unsigned)(t[j++] - '0');
        bool more =
            j < len && (t[j] == '.' || t[j] == 'e' || t[j] == 'E' || (t[j] >= '0' && t[j] <= '9'));
        if (!more && v > (unsigned __int128)INT64_MAX && v <= (unsigned __int128)UINT64_MAX) {
            char b[24];
            int n = snprintf(b, sizeof(b), "%lld", (long long)(int64_t)(uint64_t)v);
            if (n > 0 && (size_t)n <= j - i) {
                memset(t + i, ' ', j - i);
                memcpy(t + i, b, (size_t)n);
            }
        }
        i = j - 1;
    }
    return t;
}

/* The ISF's "symbols" as a System.map (addresses 0 mean unknown in dwarf2json's output). */
static int isf_symbols(json_t *root, armvmi_sysmap_t **syms)
{
    *syms = NULL;
    json_t *o = json_object_get(root, "symbols");
    if (!json_is_object(o) || json_object_size(o) == 0)
        return 0;
    size_t cap = json_object_size(o) * 48 + 1, n = 0;
    if (cap > ARMVMI_PROFILE_MAX_SIZE)
        return armvmi_set_error(ARMVMI_EFORMAT, "ISF: too many symbols.");
    char *txt = malloc(cap);
    if (!txt)
        return armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
    const char *name;
    json_t *v;
    json_object_foreach(o, name, v)
    {
        json_t *a = json_object_get(v, "address");
        size_t nl = strlen(name);
        if (!json_is_integer(a) || json_integer_value(a) == 0 || nl == 0 || nl > 200 ||
            strpbrk(name, " \t\n\r"))
            continue;
        const char *k = str_of(json_object_get(v, "type"), "kind");
        while (n + nl + 24 > cap) {
            char *g = realloc(txt, cap * 2);
            if (!g) {
                free(txt);
                return armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
            }
            txt = g;
            cap *= 2;
        }
        n += (size_t)snprintf(txt + n, cap - n, "%016llx %c %s\n",
                              (unsigned long long)(uint64_t)json_integer_value(a),
                              k && strcmp(k, "function") == 0 ? 'T' : 'D', name);
    }
    /* an ISF whose symbols are unusable still gives its types */
    if (n && armvmi_sysmap_from_bytes(txt, n, syms))
        *syms = NULL;
    free(txt);
    return 0;
}

int armvmi_profile_from_isf_bytes(const void *data, size_t len, armvmi_types_t **out,
                                  armvmi_sysmap_t **syms)
{
    if (!data || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "ISF: NULL argument.");
    *out = NULL;
    if (syms)
        *syms = NULL;
    if (len > ARMVMI_PROFILE_MAX_SIZE)
        return armvmi_set_error(ARMVMI_EFORMAT, "ISF: larger than %u MiB.",
                                ARMVMI_PROFILE_MAX_SIZE >> 20);
    char *text = fold_u64(data, len);
    if (!text)
        return armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!root)
        return armvmi_set_error(ARMVMI_EFORMAT, "not an ISF file: JSON error at line %d: %s.",
                                jerr.line, jerr.text);
    struct isfb b = {.btf = btf__new_empty(), .ids = json_object()};
    int rc = 0;
    if (!b.btf || !b.ids)
        rc = armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
    if (!rc && !json_is_object(root))
        rc = armvmi_set_error(ARMVMI_EFORMAT, "not an ISF file: not a JSON object.");
    if (!rc)
        rc = build(root, &b);
    if (!rc && syms)
        rc = isf_symbols(root, syms);
    json_decref(root);
    json_decref(b.ids);
    free(b.pend);
    if (!rc) {
        uint32_t size = 0;
        const void *raw = btf__raw_data(b.btf, &size);
        if (!raw)
            rc = armvmi_set_error(ARMVMI_ENOMEM, "ISF: out of memory.");
        else
            rc = armvmi_types_from_btf(raw, size, out);
        if (rc == -ARMVMI_EFORMAT) {
            char m[256];
            snprintf(m, sizeof(m), "%s", armvmi_errmsg());
            rc = armvmi_set_error(ARMVMI_EFORMAT, "ISF: its types do not form valid BTF (%s)", m);
        }
    }
    btf__free(b.btf);
    if (!rc) {
        types_set_source(*out, "ISF file");
    } else if (syms) {
        armvmi_sysmap_free(*syms);
        *syms = NULL;
    }
    return rc;
}

int armvmi_types_from_isf_bytes(const void *data, size_t len, armvmi_types_t **out)
{
    return armvmi_profile_from_isf_bytes(data, len, out, NULL);
}

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

/* ---- writing ---- */

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t *id)
{
    for (int d = 0; d < ARMVMI_TYPES_MAX_DEPTH; d++) {
        const struct btf_type *t = btf__type_by_id(btf, *id);
        if (!t || (!btf_is_typedef(t) && !btf_is_mod(t) && !btf_is_type_tag(t)))
            return t;
        *id = t->type;
    }
    return NULL;
}

static void type_name(const struct btf *btf, uint32_t id, char *out, size_t len)
{
    const struct btf_type *t = btf__type_by_id(btf, id);
    const char *n = t ? btf__name_by_offset(btf, t->name_off) : NULL;
    if (n && n[0])
        snprintf(out, len, "%s", n);
    else
        snprintf(out, len, "unnamed_%x", id);
}

static json_t *desc(const struct btf *btf, uint32_t id, int depth)
{
    char nm[ISF_NAME_MAX];
    const struct btf_type *t = depth > ARMVMI_ISF_MAX_DEPTH ? NULL : skip_mods(btf, &id);
    if (!t || id == 0)
        return json_pack("{s:s,s:s}", "kind", "base", "name", "void");
    type_name(btf, id, nm, sizeof(nm));
    switch (btf_kind(t)) {
    case BTF_KIND_INT:
    case BTF_KIND_FLOAT:
        return json_pack("{s:s,s:s}", "kind", "base", "name", nm);
    case BTF_KIND_PTR:
        return json_pack("{s:s,s:o}", "kind", "pointer", "subtype", desc(btf, t->type, depth + 1));
    case BTF_KIND_ARRAY:
        return json_pack("{s:s,s:I,s:o}", "kind", "array", "count",
                         (json_int_t)btf_array(t)->nelems, "subtype",
                         desc(btf, btf_array(t)->type, depth + 1));
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
        return json_pack("{s:s,s:s}", "kind", btf_is_union(t) ? "union" : "struct", "name", nm);
    case BTF_KIND_FWD:
        return json_pack("{s:s,s:s}", "kind", btf_kflag(t) ? "union" : "struct", "name", nm);
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
        return json_pack("{s:s,s:s}", "kind", "enum", "name", nm);
    case BTF_KIND_FUNC_PROTO:
        return json_pack("{s:s}", "kind", "function");
    default:
        return json_pack("{s:s,s:s}", "kind", "base", "name", "void");
    }
}

static json_t *user_type(const struct btf *btf, const struct btf_type *t)
{
    json_t *fields = json_object();
    const struct btf_member *m = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); i++) {
        uint32_t bit = btf_member_bit_offset(t, i), bsz = btf_member_bitfield_size(t, i);
        const char *mn = btf__name_by_offset(btf, m[i].name_off);
        char nm[ISF_NAME_MAX];
        bool anon = !mn || !mn[0];
        if (anon) {
            snprintf(nm, sizeof(nm), "unnamed_field_%x", bit / 8);
            for (int k = 2; json_object_get(fields, nm) && k < 1000; k++)
                snprintf(nm, sizeof(nm), "unnamed_field_%x_%d", bit / 8, k);
        } else {
            snprintf(nm, sizeof(nm), "%s", mn);
        }
        json_t *ty = desc(btf, m[i].type, 0);
        if (bsz)
            ty = json_pack("{s:s,s:i,s:i,s:o}", "kind", "bitfield", "bit_position", bit % 8,
                           "bit_length", bsz, "type", ty);
        json_t *f = json_pack("{s:I,s:o}", "offset", (json_int_t)(bit / 8), "type", ty);
        if (f && anon)
            json_object_set_new(f, "anonymous", json_true());
        json_object_set_new(fields, nm, f);
    }
    return json_pack("{s:s,s:I,s:o}", "kind", btf_is_union(t) ? "union" : "struct", "size",
                     (json_int_t)t->size, "fields", fields);
}

static json_t *enum_type(const struct btf *btf, const struct btf_type *t)
{
    json_t *cs = json_object();
    bool neg = false;
    for (unsigned i = 0; i < btf_vlen(t); i++) {
        const char *n;
        long long v;
        if (btf_is_enum(t)) {
            n = btf__name_by_offset(btf, btf_enum(t)[i].name_off);
            v = btf_kflag(t) ? btf_enum(t)[i].val : (long long)(uint32_t)btf_enum(t)[i].val;
        } else {
            n = btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
            v = (long long)btf_enum64_value(btf_enum64(t) + i);
        }
        neg |= v < 0;
        if (n)
            json_object_set_new(cs, n, json_integer(v));
    }
    const char *base = t->size == 8   ? (neg ? "long int" : "long unsigned int")
                       : t->size == 2 ? (neg ? "short int" : "short unsigned int")
                       : t->size == 1 ? (neg ? "signed char" : "unsigned char")
                                      : (neg ? "int" : "unsigned int");
    return json_pack("{s:I,s:s,s:o}", "size", (json_int_t)t->size, "base", base, "constants", cs);
}

static json_t *base_type(const struct btf *btf, const struct btf_type *t)
{
    if (btf_is_float(t))
        return json_pack("{s:I,s:b,s:s,s:s}", "size", (json_int_t)t->size, "signed", 1, "kind",
                         "float", "endian", "little");
    uint8_t enc = btf_int_encoding(t);
    const char *kind = enc & BTF_INT_BOOL ? "bool" : enc & BTF_INT_CHAR ? "char" : "int";
    return json_pack("{s:I,s:b,s:s,s:s}", "size", (json_int_t)t->size, "signed",
                     (enc & BTF_INT_SIGNED) != 0, "kind", kind, "endian", "little");
}

#define ADDR_MARK "@armvmi-addr:" /* a symbol's address until the text is written */

/* Write the JSON text of root to path, each "@armvmi-addr:<16 hex>" string as the unsigned
 * decimal number it stands for (jansson has no unsigned 64-bit integers). */
static int write_json(json_t *root, const char *path)
{
    char *txt = json_dumps(root, JSON_COMPACT);
    if (!txt)
        return armvmi_set_error(ARMVMI_ENOMEM, "ISF export: out of memory.");
    FILE *f = fopen(path, "w");
    if (!f) {
        free(txt);
        return armvmi_set_error(ARMVMI_EIO, "cannot create %s: %m.", path);
    }
    const size_t ml = strlen(ADDR_MARK) + 1; /* with the opening quote */
    const char *p = txt, *q;
    while ((q = strstr(p, "\"" ADDR_MARK)) != NULL && strlen(q) >= ml + 17) {
        fwrite(p, 1, (size_t)(q - p), f);
        char hexs[17];
        memcpy(hexs, q + ml, 16);
        hexs[16] = 0;
        fprintf(f, "%llu", strtoull(hexs, NULL, 16));
        p = q + ml + 17; /* the 16 digits and the closing quote */
    }
    fputs(p, f);
    free(txt);
    if (fclose(f))
        return armvmi_set_error(ARMVMI_EIO, "cannot write %s.", path);
    return 0;
}

int armvmi_types_write_isf(const armvmi_types_t *types, const armvmi_linux_syms_t *syms,
                           uint64_t kaslr, const char *path)
{
    if (!types || !path)
        return armvmi_set_error(ARMVMI_EINVAL, "ISF export: NULL argument.");
    const void *raw;
    size_t rlen;
    int rc = armvmi_types_raw(types, &raw, &rlen);
    if (rc)
        return rc;
    struct btf *btf = btf__new(raw, (uint32_t)rlen);
    if (!btf)
        return armvmi_set_error(ARMVMI_EFORMAT, "ISF export: the BTF does not parse.");
    json_t *bases = json_object(), *users = json_object(), *enums = json_object();
    json_t *symbols = json_object();
    json_object_set_new(
        bases, "void",
        json_pack("{s:i,s:b,s:s,s:s}", "size", 0, "signed", 0, "kind", "void", "endian", "little"));
    json_object_set_new(
        bases, "pointer",
        json_pack("{s:i,s:b,s:s,s:s}", "size", 8, "signed", 0, "kind", "int", "endian", "little"));
    uint32_t n = btf__type_cnt(btf);
    char nm[ISF_NAME_MAX];
    for (uint32_t id = 1; id < n; id++) {
        const struct btf_type *t = btf__type_by_id(btf, id);
        type_name(btf, id, nm, sizeof(nm));
        if (btf_is_int(t) || btf_is_float(t)) {
            if (!json_object_get(bases, nm))
                json_object_set_new(bases, nm, base_type(btf, t));
        } else if (btf_is_composite(t)) {
            json_t *old = json_object_get(users, nm);
            /* a name defined twice: keep the definition with members */
            if (!old || (btf_vlen(t) && !json_object_size(json_object_get(old, "fields"))))
                json_object_set_new(users, nm, user_type(btf, t));
        } else if (btf_is_any_enum(t)) {
            if (!json_object_get(enums, nm))
                json_object_set_new(enums, nm, enum_type(btf, t));
        }
    }
    btf__free(btf);
    size_t ns = syms ? armvmi_linux_syms_count(syms) : 0;
    for (size_t i = 0; i < ns; i++) {
        struct armvmi_linux_sym y;
        char a[48];
        if (armvmi_linux_syms_at(syms, i, &y) || json_object_get(symbols, y.name))
            continue;
        snprintf(a, sizeof(a), ADDR_MARK "%016llx", (unsigned long long)(y.addr - kaslr));
        json_t *ty = y.type == 'T' || y.type == 't'
                         ? json_pack("{s:s}", "kind", "function")
                         : json_pack("{s:s,s:s}", "kind", "base", "name", "void");
        json_object_set_new(symbols, y.name, json_pack("{s:s,s:o}", "address", a, "type", ty));
    }
    json_t *root = json_pack("{s:{s:s,s:{s:s,s:s}},s:o,s:o,s:o,s:o}", "metadata", "format", "6.2.0",
                             "producer", "name", "armvmi", "version", ARMVMI_VERSION, "base_types",
                             bases, "user_types", users, "enums", enums, "symbols", symbols);
    if (!root)
        return armvmi_set_error(ARMVMI_ENOMEM, "ISF export: out of memory.");
    rc = write_json(root, path);
    json_decref(root);
    return rc;
}
