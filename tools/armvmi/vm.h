/* SPDX-License-Identifier: MIT */
/* vm.h — pieces of `armvmi vm` shared between its files. */
#ifndef ARMVMI_VM_H
#define ARMVMI_VM_H

#include <stdarg.h>
#include <stddef.h>

#include "cli.h"

/* A growing NULL-terminated argv of malloc'd strings. */
struct argvec {
    char **v;
    size_t n, cap;
};
void argv_add(struct argvec *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_free(struct argvec *a);

/* Append the arguments that boot kernel/initrd under the armvmi hypervisor (vm_hyp.c).
 * base holds the machine-defining arguments chosen so far. Prints its own errors. */
int vm_hyp_boot_args(struct argvec *a, const struct argvec *base, const char *dir, unsigned smp,
                     unsigned mem_mib, const char *kernel, const char *initrd, const char *append);

/* "running", "paused", "stale" or "unknown", for the VM in runtime directory dir */
const char *vm_state(const char *dir);

/* `armvmi vm console` (console.c) */
int cmd_vm_console(struct cli *c, int argc, char **argv);

#endif
