/* SPDX-License-Identifier: MIT */
/* The boot information the host leaves in the carve-out (include/armvmi/abi.h), checked by
 * core/main.c on the boot CPU before anything else reads it. */
#ifndef HYP_BOOT_H
#define HYP_BOOT_H

#include <armvmi/abi.h>

extern const struct armvmi_abi_bootinfo *bootinfo;

#endif
