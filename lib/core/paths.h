/* SPDX-License-Identifier: MIT */
/* paths.h — where VMs keep their runtime files and where the guest kit is cached. */
#ifndef ARMVMI_PATHS_H
#define ARMVMI_PATHS_H

#include <stddef.h>

/*
 * Runtime root: $ARMVMI_RUNTIME_DIR, else $XDG_RUNTIME_DIR/armvmi, else /tmp/armvmi-UID.
 * Each VM has a directory <root>/<name>; its files are named in drivers/qemu_rundir.h.
 */
int armvmi_runtime_root(char *out, size_t len);
int armvmi_vm_dir(const char *name, char *out, size_t len);

/* Cache root: $ARMVMI_CACHE_DIR, else $XDG_CACHE_HOME/armvmi, else ~/.cache/armvmi. */
int armvmi_cache_root(char *out, size_t len);

/* A VM name is 1-32 characters of [A-Za-z0-9_.-], not starting with '.'. */
int armvmi_valid_vm_name(const char *name);

/* mkdir -p with mode 0700 for new directories. */
int armvmi_mkdirs(const char *path);

#endif
