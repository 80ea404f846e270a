/* SPDX-License-Identifier: MIT */
/* isf_write.c — types (BTF) and symbols written as a Volatility 3 ISF JSON file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <jansson.h>

#include <armvmi/profile.h>

#include "types_priv.h"

#ifndef ARMVMI_VERSION
#define ARMVMI_VERSION "unknown"
#endif

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
