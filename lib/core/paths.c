/* SPDX-License-Identifier: MIT */
/* paths.c — runtime and cache directory conventions shared by the library and the CLI. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/paths.h"
#include "drivers/driver.h"

static int fit(char *out, size_t len, int n)
{
    if (n < 0 || (size_t)n >= len)
        return armvmi_fail(ARMVMI_EINVAL, "path too long.");
    return 0;
}

int armvmi_runtime_root(char *out, size_t len)
{
    const char *e = getenv("ARMVMI_RUNTIME_DIR");
    if (e && *e)
        return fit(out, len, snprintf(out, len, "%s", e));
    e = getenv("XDG_RUNTIME_DIR");
    if (e && *e)
        return fit(out, len, snprintf(out, len, "%s/armvmi", e));
    return fit(out, len, snprintf(out, len, "/tmp/armvmi-%u", (unsigned)getuid()));
}

int armvmi_valid_vm_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 32 || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

int armvmi_vm_dir(const char *name, char *out, size_t len)
{
    char root[4096];
    int rc = armvmi_runtime_root(root, sizeof(root));
    if (rc)
        return rc;
    if (!armvmi_valid_vm_name(name))
        return armvmi_fail(ARMVMI_EINVAL,
                           "'%s' is not a valid VM name (1-32 of A-Z a-z 0-9 _ . -).",
                           name ? name : "");
    return fit(out, len, snprintf(out, len, "%s/%s", root, name));
}

int armvmi_cache_root(char *out, size_t len)
{
    const char *e = getenv("ARMVMI_CACHE_DIR");
    if (e && *e)
        return fit(out, len, snprintf(out, len, "%s", e));
    e = getenv("XDG_CACHE_HOME");
    if (e && *e)
        return fit(out, len, snprintf(out, len, "%s/armvmi", e));
    e = getenv("HOME");
    if (!e || !*e) {
        struct passwd *pw = getpwuid(getuid());
        e = pw ? pw->pw_dir : "/tmp";
    }
    return fit(out, len, snprintf(out, len, "%s/.cache/armvmi", e));
}

int armvmi_mkdirs(const char *path)
{
    char buf[4096];
    if (fit(buf, sizeof(buf), snprintf(buf, sizeof(buf), "%s", path)))
        return -ARMVMI_EINVAL;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0700) && errno != EEXIST)
            return armvmi_fail(ARMVMI_EIO, "cannot create %s: %s.", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0700) && errno != EEXIST)
        return armvmi_fail(ARMVMI_EIO, "cannot create %s: %s.", buf, strerror(errno));
    return 0;
}
