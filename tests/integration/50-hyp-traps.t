#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A bare-metal EL1 test guest (hyp/tests/trapguest) under the hypervisor: unknown HVC/SMC give
# NOT_SUPPORTED, PSCI answers, trapped ID registers are emulated, a trapped register the
# hypervisor does not handle (LORID_EL1: FEAT_LOR hidden) is reported and UNDEFINED, carve-out accesses and
# undefined encodings raise the architected exception at EL1, and the hypervisor survives.
source "$(dirname "$0")/../lib/hyp.sh"
source "$(dirname "$0")/../lib/qemu.sh"
hyp_require
TG=$HYP_BUILD/hyp/trapguest.img
KERNEL=$TG
INITRD=$TG

check "trap test guest is built" test -r "$TG"
for smp in 1 2; do
	vm_start "traps$smp" --smp "$smp" --mem 256
	if wait_log '^TRAPTEST done' 60; then ok "smp=$smp: test guest ran to the end"; else not_ok "smp=$smp: test guest ran to the end"; vm_tail; fi
	while IFS= read -r line; do
		case "$line" in
		"TRAPTEST ok "*) ok "smp=$smp: guest: ${line#TRAPTEST ok [0-9]* - }" ;;
		"TRAPTEST not ok "*) not_ok "smp=$smp: guest: ${line#TRAPTEST not ok [0-9]* - }" ;;
		esac
	done < <(tr -d '\r' <"$VM_LOG" | grep -E '^TRAPTEST (ok|not ok) ')
	if [ "$smp" = 2 ]; then
		check "smp=2: secondary vCPU started and stopped through PSCI" \
			wait_log '\[hyp\] cpu1: guest CPU_OFF' 1
	fi
	check "smp=$smp: unknown SMCCC calls reported on the hypervisor console" \
		wait_log '^\[hyp\] cpu0: unknown SMCCC function 0xc300ff02 .*NOT_SUPPORTED' 1
	check "smp=$smp: the unhandled LORID_EL1 trap reported with ESR, ELR, FAR, HPFAR and the access decoded" \
		bash -c "tr -d '\r' <'$VM_LOG' | grep -A2 '^\[hyp\] cpu0: unhandled system register access, injecting UNDEFINED: ESR_EL2=0x[0-9a-f]* EC=0x18' | grep -q 'ELR_EL2=0x[0-9a-f]* .*FAR_EL2=.*HPFAR_EL2=' && tr -d '\r' <'$VM_LOG' | grep -q '^\[hyp\] cpu0:   mrs S3_0_C10_C4_7 with x9'"
	check "smp=$smp: carve-out faults reported with ESR/FAR/HPFAR/ELR decoded" \
		wait_log '^\[hyp\] cpu0:   ELR_EL2=0x[0-9a-f]+ .*FAR_EL2=0x40000100 HPFAR_EL2=0x400000' 1
	check "smp=$smp: the GIC accesses without syndrome (ISV=0) reported, not emulated" \
		wait_log '^\[hyp\] cpu0: GIC access without syndrome \(ISV=0\), cannot emulate: ESR_EL2=0x[0-9a-f]+ EC=0x24' 1 2
	check "smp=$smp: SYSTEM_OFF ends QEMU" wait_exit 30
	check "smp=$smp: no hypervisor panic" bash -c "! tr -d '\r' <'$VM_LOG' | grep -q PANIC"
	vm_kill
done
# Panic path: the hypervisor without its boot information must say so and power off.
LOG=$HYP_TMP/panic.log
qemu_cmd aarch64 virt,virtualization=on,gic-version=3 -cpu max -m 256 -serial stdio -kernel "$HYP_ELF"
timeout -k 5 30 "${QEMU_CMD[@]}" </dev/null >"$LOG" 2>&1
rc=$?
check "no boot information: the hypervisor panics with a clear message" \
	grep -q '^\[hyp\] PANIC on cpu0: no boot information at 0x40f00000' "$LOG"
check "and powers the machine off instead of hanging (QEMU exit $rc)" test "$rc" = 0
echo "1..$T_N"
exit $T_FAIL
