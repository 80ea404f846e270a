/* SPDX-License-Identifier: MIT */
/* sysmap.c — an outside System.map: link-time symbols, slid by the running kernel's KASLR offset.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/profile.h>

#include "types_priv.h"

#define LINE_MAX_LEN 1024
#define NAME_MAX_LEN 512

struct sm_sym {
    uint64_t addr; /* link-time */
    uint32_t name; /* offset in names */
    char type;
};

struct armvmi_sysmap {
    struct sm_sym *syms; /* address order */
    size_t n;
    char *names;
    uint32_t *by_name; /* indices into syms, name order */
    size_t skipped;
    uint64_t stext;
    int64_t slide;
    bool fitted;
};

static int addr_cmp(const void *a, const void *b)
{
    const struct sm_sym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->name < y->name ? -1 : x->name > y->name;
}

static int name_cmp(const void *a, const void *b, void *arg)
{
    const armvmi_sysmap_t *m = arg;
    const struct sm_sym *x = &m->syms[*(const uint32_t *)a];
    const struct sm_sym *y = &m->syms[*(const uint32_t *)b];
    int c = strcmp(m->names + x->name, m->names + y->name);
    if (c)
        return c;
    return x->addr < y->addr ? -1 : x->addr > y->addr; /* the lowest address first */
}

/* Parse one line "ADDR TYPE NAME": 1 kept, 0 skipped. */
static int parse_line(const char *l, size_t len, uint64_t *addr, char *type, const char **name,
                      size_t *nlen)
{
    size_t i = 0, hl = 0;
    uint64_t a = 0;
    for (; i < len && hl < 17; i++, hl++) {
        char c = l[i];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            break;
        a = a << 4 | (uint64_t)v;
    }
    if (hl == 0 || hl > 16 || i + 3 > len || l[i] != ' ')
        return 0;
    char t = l[i + 1];
    if (!((t >= 'a' && t <= 'z') || (t >= 'A' && t <= 'Z')) || l[i + 2] != ' ')
        return 0;
    const char *nm = l + i + 3;
    size_t rest = len - i - 3, k = 0;
    while (k < rest && nm[k] > ' ' && nm[k] < 0x7f)
        k++;
    if (k == 0 || k > NAME_MAX_LEN)
        return 0;
    /* anything after the name (e.g. "\t[module]") makes it a module symbol: skipped */
    for (size_t j = k; j < rest; j++)
        if (nm[j] != ' ' && nm[j] != '\t' && nm[j] != '\r')
            return 0;
    *addr = a;
    *type = t;
    *name = nm;
    *nlen = k;
    return 1;
}

int armvmi_sysmap_from_bytes(const void *data, size_t len, armvmi_sysmap_t **out)
{
    if (!data || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "System.map: NULL argument.");
    *out = NULL;
    const char *p = data, *end = p + len;
    size_t blank = 0;
    while (blank < len &&
           (p[blank] == ' ' || p[blank] == '\n' || p[blank] == '\t' || p[blank] == '\r'))
        blank++;
    if (blank == len)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the System.map is empty (Debian's /boot/System.map-* is an "
                                "empty stub): write one with `armvmi syms --system-map FILE`.");
    if (len > ARMVMI_PROFILE_MAX_SIZE)
        return armvmi_set_error(ARMVMI_EFORMAT, "the System.map is larger than %u MiB.",
                                ARMVMI_PROFILE_MAX_SIZE >> 20);
    armvmi_sysmap_t *m = calloc(1, sizeof(*m));
    size_t cap = 0, ncap = 0, nused = 0;
    int rc = m ? 0 : armvmi_set_error(ARMVMI_ENOMEM, "System.map: out of memory.");
    size_t lines = 0;
    while (!rc && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lines++;
        uint64_t a;
        char t;
        const char *nm;
        size_t nlen;
        if (l > LINE_MAX_LEN || !parse_line(p, l, &a, &t, &nm, &nlen)) {
            if (l)
                m->skipped++;
        } else if (m->n >= ARMVMI_SYSMAP_MAX_SYMS) {
            rc = armvmi_set_error(ARMVMI_EFORMAT, "the System.map has more than %u symbols.",
                                  ARMVMI_SYSMAP_MAX_SYMS);
        } else {
            if (m->n == cap) {
                cap = cap ? 2 * cap : 4096;
                struct sm_sym *s = realloc(m->syms, cap * sizeof(*s));
                if (!s) {
                    rc = armvmi_set_error(ARMVMI_ENOMEM, "System.map: out of memory.");
                    break;
                }
                m->syms = s;
            }
            while (nused + nlen + 1 > ncap) {
                ncap = ncap ? 2 * ncap : 65536;
                char *s = realloc(m->names, ncap);
                if (!s) {
                    rc = armvmi_set_error(ARMVMI_ENOMEM, "System.map: out of memory.");
                    break;
                }
                m->names = s;
            }
            if (rc)
                break;
            memcpy(m->names + nused, nm, nlen);
            m->names[nused + nlen] = 0;
            m->syms[m->n++] = (struct sm_sym){a, (uint32_t)nused, t};
            nused += nlen + 1;
        }
        p = nl ? nl + 1 : end;
    }
    if (!rc && m->n == 0)
        rc = armvmi_set_error(ARMVMI_EFORMAT,
                              "not a System.map: none of its %zu lines is \"ADDRESS TYPE NAME\".",
                              lines);
    if (!rc) {
        qsort(m->syms, m->n, sizeof(*m->syms), addr_cmp);
        m->by_name = malloc(m->n * sizeof(*m->by_name));
        if (!m->by_name)
            rc = armvmi_set_error(ARMVMI_ENOMEM, "System.map: out of memory.");
    }
    if (rc) {
        armvmi_sysmap_free(m);
        return rc;
    }
    for (size_t i = 0; i < m->n; i++)
        m->by_name[i] = (uint32_t)i;
    qsort_r(m->by_name, m->n, sizeof(*m->by_name), name_cmp, m);
    struct armvmi_linux_sym s;
    if (armvmi_sysmap_lookup(m, "_stext", &s) == 0 || armvmi_sysmap_lookup(m, "_text", &s) == 0)
        m->stext = s.addr;
    *out = m;
    return 0;
}

static int sysmap_parse(const void *d, size_t n, void *out)
{
    return armvmi_sysmap_from_bytes(d, n, out);
}

int armvmi_sysmap_open(const char *path, armvmi_sysmap_t **out)
{
    return profile_load(path, sysmap_parse, out);
}

void armvmi_sysmap_free(armvmi_sysmap_t *m)
{
    if (!m)
        return;
    free(m->syms);
    free(m->names);
    free(m->by_name);
    free(m);
}

void armvmi_sysmap_get_info(const armvmi_sysmap_t *m, struct armvmi_sysmap_info *info)
{
    memset(info, 0, sizeof(*info));
    if (!m)
        return;
    info->nsyms = m->n;
    info->skipped = m->skipped;
    info->stext = m->stext;
    info->slide = m->slide;
    info->fitted = m->fitted;
}

int armvmi_sysmap_fit(armvmi_sysmap_t *m, const struct armvmi_linux_kernel *k)
{
    if (!m || !k)
        return armvmi_set_error(ARMVMI_EINVAL, "System.map fit: NULL argument.");
    if (!k->stext.known)
        return armvmi_set_error(ARMVMI_EINVAL, "cannot check the System.map: the running "
                                               "kernel's _stext is not known.");
    if (!m->stext)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the System.map has no _stext or _text: it cannot be matched "
                                "to the running kernel.");
    uint64_t slide = k->stext.value - m->stext;
    if (k->kaslr_offset.known && slide != k->kaslr_offset.value)
        return armvmi_set_error(
            ARMVMI_EFORMAT,
            "the System.map is for another kernel: its _stext 0x%llx plus the KASLR offset "
            "0x%llx is 0x%llx, but the running kernel's _stext is 0x%llx.",
            (unsigned long long)m->stext, (unsigned long long)k->kaslr_offset.value,
            (unsigned long long)(m->stext + k->kaslr_offset.value),
            (unsigned long long)k->stext.value);
    if (!k->kaslr_offset.known && (slide & 0xffff))
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the System.map is for another kernel: its _stext 0x%llx is not "
                                "a 64 KiB multiple away from the running kernel's 0x%llx.",
                                (unsigned long long)m->stext, (unsigned long long)k->stext.value);
    m->slide = (int64_t)slide;
    m->fitted = true;
    return 0;
}

static void to_sym(const armvmi_sysmap_t *m, const struct sm_sym *s, struct armvmi_linux_sym *out)
{
    out->name = m->names + s->name;
    out->addr = s->addr + (uint64_t)m->slide;
    out->type = s->type;
    out->source = ARMVMI_SYM_SYSTEM_MAP;
}

int armvmi_sysmap_lookup(const armvmi_sysmap_t *m, const char *name, struct armvmi_linux_sym *out)
{
    if (!m || !name || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "System.map lookup: NULL argument.");
    size_t lo = 0, hi = m->n;
    while (lo < hi) { /* the first entry not below name */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->names + m->syms[m->by_name[mid]].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == m->n || strcmp(m->names + m->syms[m->by_name[lo]].name, name) != 0)
        return armvmi_set_error(ARMVMI_ENOENT, "no symbol '%s' in the System.map.", name);
    to_sym(m, &m->syms[m->by_name[lo]], out);
    return 0;
}

size_t armvmi_sysmap_count(const armvmi_sysmap_t *m)
{
    return m ? m->n : 0;
}

int armvmi_sysmap_at(const armvmi_sysmap_t *m, size_t i, struct armvmi_linux_sym *out)
{
    if (!m || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "System.map: NULL argument.");
    if (i >= m->n)
        return armvmi_set_error(ARMVMI_ENOENT, "no System.map symbol %zu.", i);
    to_sym(m, &m->syms[i], out);
    return 0;
}

int armvmi_linux_syms_write_sysmap(const armvmi_linux_syms_t *s, uint64_t kaslr, const char *path)
{
    if (!s || !path)
        return armvmi_set_error(ARMVMI_EINVAL, "System.map export: NULL argument.");
    FILE *f = fopen(path, "w");
    if (!f)
        return armvmi_set_error(ARMVMI_EIO, "cannot create %s: %m.", path);
    size_t n = armvmi_linux_syms_count(s);
    for (size_t i = 0; i < n; i++) {
        struct armvmi_linux_sym y;
        if (armvmi_linux_syms_at(s, i, &y) == 0)
            fprintf(f, "%016llx %c %s\n", (unsigned long long)(y.addr - kaslr),
                    y.type == '?' ? 'D' : y.type, y.name);
    }
    if (fclose(f))
        return armvmi_set_error(ARMVMI_EIO, "cannot write %s.", path);
    return 0;
}
