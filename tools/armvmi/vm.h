/* SPDX-License-Identifier: MIT */
/* vm.h — pieces of `armvmi vm` shared between its files. */
#ifndef ARMVMI_VM_H
#define ARMVMI_VM_H

#include <stdarg.h>
#include <stddef.h>

#include "cli.h"
#include "qemu_cmd.h"

/* Append the arguments that boot kernel/initrd under the armvmi hypervisor (vm_hyp.c) to a,
 * the QEMU command line chosen so far; hold_s nonzero holds vCPU 0 before the kernel until a
 * monitor releases it (at most hold_s seconds without one). Prints its own errors. */
int vm_hyp_boot_args(struct qemu_cmd *a, const char *dir, unsigned smp, unsigned mem_mib,
                     const char *kernel, const char *initrd, const char *append, unsigned hold_s);

/* Whether the hypervisor of the VM in run directory dir holds vCPU 0 before the guest kernel
 * (its channel header's ARMVMI_CHAN_F_HELD, read from the RAM file): 1 held, 0 not, -1 unknown
 * (no RAM file, no channel yet, another ABI version). */
int vm_hyp_held(const char *dir);

/* `armvmi vm console` (console.c) */
int cmd_vm_console(struct cli *c, int argc, char **argv);

/* `armvmi vm ping` (vm_ping.c): round trips through the hypervisor's doorbell */
int cmd_vm_ping(struct cli *c, int argc, char **argv);

#endif
