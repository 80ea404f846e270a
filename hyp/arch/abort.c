/* SPDX-License-Identifier: MIT */
/* Stage-2 aborts from the guest: MMIO emulation (GIC, doorbell page), faults outside guest memory.
 */
#include <hyp/abort.h>
#include <hyp/arch.h>
#include <hyp/brkevent.h>
#include <hyp/events.h>
#include <hyp/doorbell.h>
#include <hyp/inject.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>
#include <hyp/trap.h>
#include <hyp/vgic.h>

/* Stage-2 data abort: an MMIO access to the emulated GIC or to the virtio-mmio page shared with
 * the doorbell, else an access outside guest memory
 * (the carve-out included), answered with a synchronous external abort. */
void abort_dabt(struct trap_frame *f, u64 esr)
{
    u64 ipa = ((read_hpfar_el2() >> 4) << 12) | (read_far_el2() & 0xfff);

    if (brk_abort(f, esr, false) || events_mem_abort(f, esr, false))
        return;
    if (vgic_mmio(f, ipa, esr) || doorbell_mmio(f, ipa, esr)) {
        inject_skip_insn(f, esr);
        return;
    }
    trap_report(stage2_ipa_is_carveout(ipa)
                    ? "guest touched the hypervisor carve-out, injecting external abort"
                    : "data abort outside guest memory, injecting external abort",
                f, esr);
    inject_dabt(f, read_far_el2());
}

/* Stage-2 instruction abort: a fetch outside guest memory. */
void abort_iabt(struct trap_frame *f, u64 esr)
{
    if (brk_abort(f, esr, true) || events_mem_abort(f, esr, true))
        return;
    trap_report("instruction fetch outside guest memory, injecting external abort", f, esr);
    inject_iabt(f, read_far_el2());
}
