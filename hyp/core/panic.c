/* SPDX-License-Identifier: MIT */
/* hyp_panic: the hypervisor cannot go on; say why on the console and power the machine off. */
#include <hyp/console.h>
#include <hyp/entry.h>
#include <hyp/psci.h>
#include <hyp/sysreg.h>
#include <hyp/vcpu.h>

void hyp_panic(const char *fmt, ...)
{
    va_list ap;

    daif_mask_all();
    hyp_printf("PANIC on cpu%u: ", vcpu_current() ? vcpu_current()->id : 99);
    va_start(ap, fmt);
    hyp_vprintf(fmt, ap);
    va_end(ap);
    hyp_printf("\nsystem halted (powering off)\n");
    smc_call(PSCI_SYSTEM_OFF, 0, 0, 0); /* so the host sees the end */
    for (;;)
        wfi();
}
