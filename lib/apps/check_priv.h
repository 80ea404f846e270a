/* SPDX-License-Identifier: MIT */
/* check_priv.h — the check context shared by lib/apps' check files. */
#ifndef ARMVMI_APPS_CHECK_PRIV_H
#define ARMVMI_APPS_CHECK_PRIV_H

#include <stdio.h>

#include <armvmi/apps.h>

struct armvmi_check {
    armvmi_t *h;
    struct armvmi_linux_kernel k;
    struct armvmi_tt_config kctx; /* the kernel's address space (swapper_pg_dir) */
    armvmi_linux_syms_t *syms;
    uint64_t stext, etext; /* the kernel's text */
    struct armvmi_linux_module *mods;
    size_t nmods;
    bool module_mem; /* modules have mem[] regions (6.4+): text is its own region */
    char mods_note[256];
    struct meta *metas; /* sysmeta.c: the kernel's syscall trace metadata */
    size_t nmetas;
    bool metas_done;
};

/* Scan the image after _etext for the kernel's syscall metadata records (once). */
int check_sysmeta(armvmi_check_t *c);
/* The syscall number the kernel recorded at boot for function fn ("__arm64_sys_getpid"), or
 * -1 if it has no single record. */
int check_sysmeta_nr(const armvmi_check_t *c, const char *fn);

#endif
