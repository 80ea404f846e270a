#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest programs under the hypervisor: a multi-vCPU workload (fork, syscalls, timers, page
# faults, IPIs) gives the same checksum as without the hypervisor; the carve-out cannot be read
# through /dev/mem (the guest gets a fault, the hypervisor reports it and keeps running).
source "$(dirname "$0")/../lib/hyp.sh"
hyp_require
echo "1..18"

if ! hyp_guest_kit; then
	not_ok "guest kit: armvmi guest fetch gave kernel and initrd"; exit 1
fi
ok "guest kit available"

# Reference: the same kernel and workload directly under QEMU.
vm_start ref --smp 2 --mem 512 --no-hyp
wait_log '^ARMVMI-INIT-READY' 240 && sleep 1
vm_run 'hyp-work' 300
REF=$(grep -o 'checksum=[0-9a-f]*' <<<"$OUT")
check "reference run (no hypervisor) prints a checksum ($REF)" test -n "$REF"
vm_run 'hyp-cpusys 25' 120
REF_CS=$(grep -o 'checksum=[0-9a-f]*' <<<"$OUT")
vm_kill

vm_start hyp --smp 2 --mem 512
check "guest reaches init under the hypervisor with 2 vCPUs" wait_log '^ARMVMI-INIT-READY' 240
check "the hypervisor owns the GIC (virtual GIC mode)" wait_log '^\[hyp\] RAM .* 2 vCPUs, virtual GIC' 1
sleep 1
vm_run 'hyp-work' 300
GOT=$(grep -o 'checksum=[0-9a-f]*' <<<"$OUT")
check "workload across 2 vCPUs under the hypervisor: same checksum ($GOT = $REF)" test -n "$GOT" -a "$GOT" = "$REF"
check "workload saw both vCPUs" grep -q 'cpus=2' <<<"$OUT"
vm_run 'hyp-cpusys 25' 120
GOT=$(grep -o 'checksum=[0-9a-f]*' <<<"$OUT")
check "the benchmark's CPU + system-call workload: same checksum as without ($GOT = $REF_CS)" \
	test -n "$GOT" -a "$GOT" = "$REF_CS"
vm_run 'cat /proc/interrupts' 30
diag "$(grep -E 'arch_timer|Rescheduling|Function' <<<"$OUT")"
check "virtual timer interrupts reach both vCPUs" awk '/arch_timer/ { exit !($2 > 0 && $3 > 0) }' <<<"$OUT"
check "IPIs (SGIs) reach both vCPUs" awk '/Rescheduling/ { exit !($2 > 0 && $3 > 0) }' <<<"$OUT"

# CPU hotplug: PSCI CPU_OFF, then CPU_ON of the same vCPU again, twice.
C=/sys/devices/system/cpu
vm_run "echo 0 >$C/cpu1/online; cat $C/online; echo 1 >$C/cpu1/online; echo 0 >$C/cpu1/online; echo 1 >$C/cpu1/online; cat $C/online" 120
ONLINE=$(grep -xE '0|0-1' <<<"$OUT" | tr '\n' ' ')
check "CPU hotplug: vCPU 1 goes offline and back online twice (online: $ONLINE)" test "$ONLINE" = "0 0-1 "
check "CPU hotplug went through PSCI CPU_OFF in the hypervisor" wait_log '\[hyp\] cpu1: guest CPU_OFF' 5 2
vm_run 'hyp-work' 300
GOT=$(grep -o 'checksum=[0-9a-f]*' <<<"$OUT")
check "workload after hotplug: same checksum ($GOT)" test -n "$GOT" -a "$GOT" = "$REF"

read -r CB CS < <("$HYP_BOOT" --mem 512 --carveout)
LAST=$(printf '0x%x' $((CB + CS - 4)))
MID=$(printf '0x%x' $((CB + CS / 2)))
vm_run "hyp-carve $CB $MID $LAST 0x0a000000" 60
diag "$(tr '\n' ';' <<<"$OUT")"
check "control: /dev/mem reads a device page (virtio-mmio magic)" grep -q '^HYPCARVE 0xa000000 READ 0x74726976' <<<"$OUT"
n=$(grep -cE '^HYPCARVE 0x[0-9a-f]+ SIGBUS' <<<"$OUT")
check "reads of the carve-out ($CB+$CS: first, middle, last word) fault in the guest ($n/3)" test "$n" = 3
check "no carve-out byte reached the guest" test "$(grep -c '^HYPCARVE .* READ ' <<<"$OUT")" = 1
check "the hypervisor reported the carve-out accesses with ESR/FAR/HPFAR decoded" \
	wait_log '^\[hyp\] cpu[0-9]:   ELR_EL2=0x[0-9a-f]+ SPSR_EL2=.*HPFAR_EL2=' 5 3
vm_run 'echo still-alive' 30
check "guest and hypervisor keep running after the faults" test "$OUT" = still-alive
check "unknown SMCCC call from the guest kernel (TRNG probe) answered NOT_SUPPORTED" \
	wait_log '^\[hyp\] cpu0: unknown SMCCC function 0x84000050 .*NOT_SUPPORTED' 1
exit $T_FAIL
