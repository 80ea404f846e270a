/* SPDX-License-Identifier: MIT */
/* isf.c — Volatility 3 ISF JSON types and symbols read into BTF (so every types query works);
 * profile_file.c reads the files, isf_write.c writes ISF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <jansson.h>

#include <armvmi/profile.h>

#include "types_priv.h"

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
