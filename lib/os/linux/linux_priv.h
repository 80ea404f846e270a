/* SPDX-License-Identifier: MIT */
/* linux_priv.h — shared between the Linux layer's discovery files; not installed. */
#ifndef ARMVMI_LINUX_PRIV_H
#define ARMVMI_LINUX_PRIV_H

#include <armvmi/linux.h>

static inline void linux_fact(struct armvmi_linux_fact *f, uint64_t v, const char *src)
{
    f->value = v;
    f->known = true;
    f->source = src;
}

/*
 * Kernel discovery without VMCOREINFO, from a paused vCPU that is in the kernel (discover_regs.c):
 * fills release, kimage_voffset, swapper_pg_dir, page size, VA bits, PHYS_OFFSET/PAGE_OFFSET.
 * Returns 0, or an ARMVMI_E* error whose message says what evidence was missing.
 */
int linux_discover_from_regs(armvmi_t *h, const struct armvmi_info *in,
                             struct armvmi_linux_kernel *k);

#endif
