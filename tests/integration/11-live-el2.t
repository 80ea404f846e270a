#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --el2 (virtualization=on): Linux runs with VHE at EL2; its registers and memory are readable.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
plan 7
A=$ARMVMI
vm=it-el2
vm_start $vm --el2 --smp 2; ok $? "vm start --el2 --smp 2 boots the default guest"
is "$($A --vm $vm info --json | jq -r .vcpus)" 2 "info reports 2 vCPUs"
$A vm pause $vm >/dev/null
regs=$($A --vm $vm regs --vcpu all --json)
is "$(echo "$regs" | jq -r '[.[].el] | map(tostring) | join(",")')" "2,2" "both vCPUs run the kernel at EL2 (VHE)"
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
exit 0
