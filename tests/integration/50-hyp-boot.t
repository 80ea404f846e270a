#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian guest kernel boots to the busybox shell under the armvmi hypervisor with 1 and 2
# vCPUs; /proc/cpuinfo shows every vCPU; poweroff ends QEMU; reboot reboots.
source "$(dirname "$0")/../lib/hyp.sh"
hyp_require
echo "1..27"

check "hypervisor ELF and boot harness are built" test -r "$HYP_ELF" -a -x "$HYP_BOOT"
if ! hyp_guest_kit; then
	not_ok "guest kit: armvmi guest fetch gave kernel and initrd"; exit 1
fi

for smp in 1 2 4; do
	vm_start "smp$smp" --smp "$smp" --mem $((smp > 2 ? 1024 : 512))
	check "smp=$smp: hypervisor banner on the console" wait_log '^\[hyp\] armvmi hypervisor: EL2' 30
	check "smp=$smp: guest reaches init (ARMVMI-INIT-READY)" wait_log '^ARMVMI-INIT-READY' 240
	sleep 1
	if vm_run 'grep -c ^processor /proc/cpuinfo' 60 && [ "$OUT" = "$smp" ]; then
		ok "smp=$smp: /proc/cpuinfo shows $smp vCPU(s)"
	else
		not_ok "smp=$smp: /proc/cpuinfo shows $smp vCPU(s) (got '$OUT')"; vm_tail
	fi
	if [ "$smp" = 2 ]; then
		vm_run 'cat /sys/devices/system/cpu/online' 30
		check "smp=2: both vCPUs online ($OUT)" test "$OUT" = "0-1"
		printf 'reboot\n' >&3
		check "smp=2: reboot restarts the hypervisor" wait_log '^\[hyp\] armvmi hypervisor: EL2' 60 2
		check "smp=2: and the guest reaches init again" wait_log '^ARMVMI-INIT-READY' 240 2
		sleep 1
		vm_run 'grep -c ^processor /proc/cpuinfo' 60
		check "smp=2: after reboot /proc/cpuinfo shows 2 vCPUs" test "$OUT" = 2
	fi
	printf 'poweroff\n' >&3
	check "smp=$smp: poweroff reaches PSCI SYSTEM_OFF in the hypervisor" wait_log '^\[hyp\] cpu[0-9]: guest SYSTEM_OFF' 60
	if wait_exit 30; then ok "smp=$smp: QEMU exits after poweroff"; else not_ok "smp=$smp: QEMU exits after poweroff"; vm_tail; fi
	if tr -d '\r' <"$VM_LOG" | grep -qE 'PANIC|unhandled|exception taken at EL2'; then
		not_ok "smp=$smp: no hypervisor panic or unhandled trap"; tr -d '\r' <"$VM_LOG" | grep -E '^\[hyp\]' | head -20 | sed 's/^/#   /'
	else
		ok "smp=$smp: no hypervisor panic or unhandled trap"
	fi
	vm_kill
done

# The same kernel with the PSCI conduit set to HVC in its DTB: secondaries start over HVC.
ARMVMI_HYP_PSCI=hvc vm_start hvc --smp 2 --mem 512
check "psci=hvc: guest reaches init with 2 vCPUs" wait_log '^ARMVMI-INIT-READY' 240
sleep 1
vm_run 'grep -c ^processor /proc/cpuinfo' 60
check "psci=hvc: /proc/cpuinfo shows 2 vCPUs" test "$OUT" = 2
printf 'poweroff\n' >&3
check "psci=hvc: poweroff over HVC ends QEMU" wait_exit 60
check "psci=hvc: the guest's PSCI calls arrived as HVC exits (EC 0x16), not SMC" \
	bash -c "tr -d '\r' <'$VM_LOG' | grep -E '\[hyp\] cpu0: [0-9]+ exits: ' | grep -q 'ec16 ' && ! tr -d '\r' <'$VM_LOG' | grep -E '\[hyp\] cpu0: [0-9]+ exits: ' | grep -q 'ec17 '"
vm_kill
exit $T_FAIL
