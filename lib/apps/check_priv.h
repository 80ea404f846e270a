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
};

#endif
