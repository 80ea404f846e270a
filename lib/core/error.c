/* SPDX-License-Identifier: MIT */
/* error.c — the per-thread last error message behind armvmi_errmsg(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drivers/driver.h"

static _Thread_local char last_error[512];

const char *armvmi_errmsg(void)
{
    return last_error;
}

int armvmi_set_error(int code, const char *fmt, ...)
{
    /* formatted apart first: the arguments may include armvmi_errmsg() itself */
    char msg[sizeof(last_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof(last_error));
    return -code;
}

const char *armvmi_strerror(int err)
{
    static const char *const names[] = {
        [ARMVMI_OK] = "success",
        [ARMVMI_EINVAL] = "invalid argument",
        [ARMVMI_ENOENT] = "no such VM, file or register",
        [ARMVMI_EIO] = "I/O error talking to the target",
        [ARMVMI_EFAULT] = "address not in guest RAM",
        [ARMVMI_EFORMAT] = "corrupt or unsupported file",
        [ARMVMI_ENOTSUP] = "not supported by this target",
        [ARMVMI_ENOMEM] = "out of memory",
        [ARMVMI_ESTATE] = "target in the wrong state",
        [ARMVMI_EINTR] = "interrupted",
    };
    if (err < 0)
        err = -err;
    if ((size_t)err >= sizeof(names) / sizeof(names[0]) || !names[err])
        return "unknown error";
    return names[err];
}
