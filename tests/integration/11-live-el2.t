#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --el2 (virtualization=on): Linux runs with VHE at EL2; its registers and memory are readable.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
plan 9
A=$ARMVMI
vm=it-el2
vm_start $vm --el2 --smp 2; ok $? "vm start --el2 --smp 2 boots the default guest"
is "$($A --vm $vm info --json | jq -r .vcpus)" 2 "info reports 2 vCPUs"
# Pause with both vCPUs in the kernel: right after boot the shell may still be at EL0.
els=; for i in $(seq 50); do
    $A vm pause $vm >/dev/null
    regs=$($A --vm $vm regs --vcpu all --json)
    els=$(echo "$regs" | jq -r '[.[].el] | map(tostring) | join(",")')
    [ "$els" = "2,2" ] && break
    $A vm resume $vm >/dev/null; sleep 0.05
done
is "$els" "2,2" "both vCPUs run the kernel at EL2 (VHE)"
pc=$(echo "$regs" | jq -r '.[0].regs.PC')
case "$pc" in 0xffff*) r=0 ;; *) r=1 ;; esac; ok $r "PC is a kernel address ($pc)"
ttbr1=$(echo "$regs" | jq -r '.[0].regs.TTBR1_EL2 // "missing"')
hcr=$(echo "$regs" | jq -r '.[0].regs.HCR_EL2 // "missing"')
[ "$ttbr1" != missing ] && [ "$ttbr1" != 0x0000000000000000 ]; ok $? "TTBR1_EL2 holds the kernel's tables ($ttbr1)"
# HCR_EL2.E2H is bit 34 (Arm ARM D13.2.46)
[ "$hcr" != missing ] && [ $(( (hcr >> 34) & 1 )) -eq 1 ]; ok $? "HCR_EL2.E2H is set ($hcr)"
gdbpc=$(timeout 60 gdb-multiarch -nx -batch -ex "set architecture aarch64" \
    -ex "target remote $ARMVMI_RUNTIME_DIR/$vm/gdb.sock" -ex 'p/x $pc' -ex 'p/x $TTBR1_EL2' 2>/dev/null |
    sed -n 's/^\$[0-9]* = //p' | tr '\n' ' ')
is "$gdbpc" "$(printf '0x%x 0x%x ' "$pc" "$ttbr1")" "PC and TTBR1_EL2 match GDB"
# Kernel addresses translate in the EL2&0 regime, as QEMU's MMU (gva2gpa on vCPU 0) says.
# GDB's detach resumed the VM: pause again with vCPU 0 in the kernel (gva2gpa applies the
# current EL's permissions, so from EL0 kernel pages look unmapped to it).
for i in $(seq 50); do
    $A vm pause $vm >/dev/null
    regs=$($A --vm $vm regs --vcpu all --json)
    [ "$(echo "$regs" | jq -r '.[0].el')" = 2 ] && break
    $A vm resume $vm >/dev/null; sleep 0.05
done
pc=$(echo "$regs" | jq -r '.[0].regs.PC')
is "$($A --vm $vm translate "$pc" --json | jq -r .regime)" "EL2&0" "translate picks the EL2&0 regime from PSTATE.EL and HCR_EL2.E2H"
r=0
for reg in PC SP VBAR_EL2 SP_EL0; do
    va=$(echo "$regs" | jq -r ".[0].regs.$reg")
    mine=$($A --vm $vm translate "$va" --json | jq -r '.pa // "fault"')
    [ "$mine" != fault ] && mine=$(printf '0x%x' "$mine")
    q=$(qmp $vm "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"gva2gpa $va\"}}" |
        sed -n 's/.*gpa: \(0x[0-9a-f]*\).*/\1/p')
    [ "$mine" = "$q" ] || { r=1; diag "$reg $va: armvmi $mine, gva2gpa $q"; }
done
ok $r "PC, SP, VBAR_EL2 and SP_EL0 translate as QEMU's MMU does"
exit 0
