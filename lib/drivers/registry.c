/* SPDX-License-Identifier: MIT */
/* registry.c — the table of drivers: which one opens a target spec, and how it is recognised. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/paths.h"
#include "drivers/driver.h"

static int parse_raw_spec(const char *s, char **path, uint64_t *base)
{
    const char *at = strrchr(s, '@');
    *base = ARMVMI_VIRT_RAM_BASE;
    if (at) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(at + 1, &end, 0);
        if (errno || end == at + 1 || *end)
            return armvmi_fail(ARMVMI_EINVAL,
                               "'%s': the base after '@' must be a number such as 0x40000000.", s);
        *base = v;
    }
    size_t n = at ? (size_t)(at - s) : strlen(s);
    if (n == 0)
        return armvmi_fail(ARMVMI_EINVAL, "raw: needs a file name, as in raw:FILE@BASE.");
    *path = strndup(s, n);
    return *path ? 0 : armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
}

/* raw:FILE[@BASE] */
static int open_raw_spec(struct armvmi *h, const char *arg)
{
    char *path;
    uint64_t base;
    int rc = parse_raw_spec(arg, &path, &base);
    if (rc)
        return rc;
    rc = armvmi_raw_open(h, path, base);
    free(path);
    return rc;
}

/* A VM name: the QEMU driver on its runtime directory. */
static int open_vm_name(struct armvmi *h, const char *name)
{
    char dir[4096];
    int rc = armvmi_vm_dir(name, dir, sizeof(dir));
    return rc ? rc : armvmi_qemu_open(h, dir);
}

static bool is_dir(const char *spec)
{
    struct stat st;
    return stat(spec, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *spec)
{
    struct stat st;
    return stat(spec, &st) == 0 && !S_ISDIR(st.st_mode);
}

static bool is_vm_name(const char *spec)
{
    char dir[4096];
    struct stat st;
    return armvmi_valid_vm_name(spec) && armvmi_vm_dir(spec, dir, sizeof(dir)) == 0 &&
           stat(dir, &st) == 0;
}

/*
 * One row per way of naming a target, tried in order: a row with a prefix takes every spec
 * that starts with it (and opens the rest); a row without one takes the specs its claims()
 * accepts (and opens the whole spec). A new driver is one more row.
 */
static const struct armvmi_driver_entry {
    const char *name;
    const char *prefix;
    bool (*claims)(const char *spec);
    int (*open)(struct armvmi *h, const char *arg);
} armvmi_drivers[] = {
    {"raw", "raw:", NULL, open_raw_spec},     /* raw:FILE@BASE */
    {"qemu", "vm:", NULL, open_vm_name},      /* vm:NAME */
    {"qemu", NULL, is_dir, armvmi_qemu_open}, /* a VM runtime directory */
    {"elf", NULL, is_file, armvmi_elf_open},  /* an ELF core dump */
    {"qemu", NULL, is_vm_name, open_vm_name}, /* NAME of a VM that has a runtime directory */
};

int armvmi_driver_open(struct armvmi *h, const char *spec)
{
    for (size_t i = 0; i < sizeof(armvmi_drivers) / sizeof(armvmi_drivers[0]); i++) {
        const struct armvmi_driver_entry *d = &armvmi_drivers[i];
        size_t n = d->prefix ? strlen(d->prefix) : 0;
        if (d->prefix && strncmp(spec, d->prefix, n) == 0)
            return d->open(h, spec + n);
        if (!d->prefix && d->claims(spec))
            return d->open(h, spec);
    }
    if (strchr(spec, '/') || strchr(spec, '.'))
        return armvmi_fail(ARMVMI_ENOENT, "%s: no such file.", spec);
    return armvmi_fail(ARMVMI_ENOENT,
                       "no running VM named '%s' (see `armvmi vm list`, or give a dump path or "
                       "raw:FILE@BASE).",
                       spec);
}
