/* SPDX-License-Identifier: MIT */
/* cli_profile.c — `--profile FILE`: outside types (ISF JSON) and symbols (System.map). */
#include <stdlib.h>
#include <string.h>

#include <armvmi/profile.h>

#include "cli.h"

/* An ISF is JSON (an object), possibly xz-compressed; anything else is taken as a System.map. */
static bool looks_isf(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    unsigned char b[64];
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    if (n >= 6 && memcmp(b,
                         "\xfd"
                         "7zXZ",
                         6) == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t')
            return b[i] == '{';
    return false;
}

int cli_profile_load(const struct cli *c, struct armvmi_linux_profile *p)
{
    memset(p, 0, sizeof(*p));
    armvmi_sysmap_t *isf_syms = NULL;
    for (int i = 0; i < c->nprofiles; i++) {
        const char *f = c->profiles[i];
        bool isf = looks_isf(f);
        const char *what = isf ? "ISF files" : "System.map files";
        int rc = isf ? (p->types ? 1 : armvmi_profile_from_isf(f, &p->types, &isf_syms))
                     : (p->sysmap ? 1 : armvmi_sysmap_open(f, &p->sysmap));
        if (rc) {
            armvmi_sysmap_free(isf_syms);
            cli_profile_free(p);
            return rc > 0 ? cli_err("--profile: two %s (%s); give one.", what, f)
                          : cli_err("--profile: %s", armvmi_errmsg());
        }
        if (isf)
            p->types_name = f;
        else
            p->sysmap_name = f;
    }
    /* the ISF's own symbols when no System.map is given */
    if (isf_syms && !p->sysmap) {
        p->sysmap = isf_syms;
        p->sysmap_name = p->types_name;
    } else {
        armvmi_sysmap_free(isf_syms);
    }
    return 0;
}

void cli_profile_free(struct armvmi_linux_profile *p)
{
    armvmi_types_close(p->types);
    armvmi_sysmap_free(p->sysmap);
    memset(p, 0, sizeof(*p));
}

void cli_profile_report(const struct cli *c, const struct armvmi_linux_kernel *k, json_t *j)
{
    if (!c->nprofiles)
        return;
    struct armvmi_linux_profile p;
    if (cli_profile_load(c, &p)) {
        if (j)
            json_object_set_new(j, "profile", json_pack("{s:s}", "error", armvmi_errmsg()));
        return;
    }
    json_t *jp = j ? json_object() : NULL;
    if (p.types) {
        struct armvmi_types_info ti;
        armvmi_types_info(p.types, &ti);
        if (jp)
            json_object_set_new(jp, "types",
                                json_pack("{s:s,s:s,s:I}", "source", ti.source, "file",
                                          p.types_name, "count", (json_int_t)ti.ntypes));
        else
            printf("%-18s %s %s (%u types): used instead of the kernel's BTF\n", "profile types",
                   ti.source, p.types_name, ti.ntypes);
    }
    if (p.sysmap) {
        struct armvmi_sysmap_info si;
        int rc = armvmi_sysmap_fit(p.sysmap, k);
        armvmi_sysmap_get_info(p.sysmap, &si);
        char slide[32];
        snprintf(slide, sizeof(slide), "0x%llx", (unsigned long long)si.slide);
        const char *src = p.sysmap_name == p.types_name ? "ISF symbols" : "System.map";
        if (jp)
            json_object_set_new(jp, "symbols",
                                rc ? json_pack("{s:s,s:s,s:s}", "source", src, "file",
                                               p.sysmap_name, "error", armvmi_errmsg())
                                   : json_pack("{s:s,s:s,s:I,s:s}", "source", src, "file",
                                               p.sysmap_name, "count", (json_int_t)si.nsyms,
                                               "slide", slide));
        else if (rc)
            printf("%-18s %s %s refused: %s\n", "profile symbols", src, p.sysmap_name,
                   armvmi_errmsg());
        else
            printf("%-18s %s %s (%zu symbols), slid by %s (the KASLR offset): used "
                   "before kallsyms\n",
                   "profile symbols", src, p.sysmap_name, si.nsyms, slide);
    }
    if (jp)
        json_object_set_new(j, "profile", jp);
    cli_profile_free(&p);
}
