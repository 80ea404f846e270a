#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Kernel discovery (`armvmi kernel`) on the default Debian guest, against the guest's own view
# at the same paused moment: uname -r, /proc/kallsyms, /proc/iomem and TTBR1_EL1 at EL1; live
# and from the VM's raw RAM file (no registers), whose kernel addresses then translate.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
S=$ARMVMI_SAN
hex() { printf '0x%x' "$1"; }

plan 23
vm=it-kern
vm_start $vm; ok $? "vm start"

cmd='echo "R=$(uname -r)"; grep -w _stext /proc/kallsyms | sed "s/^/K=/";'
cmd="$cmd"' grep "Kernel code" /proc/iomem | sed "s/^ */I=/"; printf "KERN-%s\n" END'
out=$(console $vm "$cmd" KERN-END 90 | tr -d '\r')
release=$(echo "$out" | sed -n 's/^R=\([0-9].*\)/\1/p')
stext=$(echo "$out" | sed -n 's/^K=\([0-9a-f]*\) [Tt] _stext$/0x\1/p')
code=$(echo "$out" | sed -n 's/^I=\([0-9a-f]*\)-[0-9a-f]* : Kernel code$/0x\1/p')
r=0; [ -n "$release" ] && [ -n "$stext" ] && [ -n "$code" ] || { r=1; diag "$out"; }
ok $r "the guest's uname -r ($release), _stext and Kernel code ($code)"

# pause with the vCPU in the kernel: with KPTI, TTBR1 at EL0 holds the trampoline tables
pause_in_kernel $vm
is "$el" 1 "paused with the vCPU at EL1 in the kernel"

j=$("$S" --vm $vm kernel --json); r=$?
ok $r "armvmi kernel --json on the paused VM"
is "$(echo "$j" | jq -r .release)" "$release" "release equals the guest's uname -r"

# _text = KIMAGE_VADDR + KASLR offset; on 6.1 KIMAGE_VADDR is MODULES_END (the note's own).
# /proc/kallsyms has no _text on Debian's kernel: _stext lies in the image's first 2 MiB.
kaslr=$(echo "$j" | jq -r .kaslr); mend=$(echo "$j" | jq -r .modules_end)
text=$(hex $((mend + kaslr)))
d=$((stext - text))
r=0; [ $d -gt 0 ] && [ $d -lt $((2 << 20)) ] && [ $((d & 0xfff)) -eq 0 ] || r=1
ok $r "_stext ($stext) is in the first 2 MiB after MODULES_END + kaslr ($text)"
is "$(hex "$(echo "$j" | jq -r .stext)")" "$(hex "$stext")" "_stext equals /proc/kallsyms"

ttbr1=$(hex $(($(echo "$regs" | jq -r .regs.TTBR1_EL1) & 0x0000fffffffffffe)))
swpa=$(echo "$j" | jq -r .swapper_pg_dir_pa)
is "$(hex "$swpa")" "$ttbr1" "swapper_pg_dir PA equals TTBR1_EL1's base ($ttbr1)"
is "$(echo "$j" | jq -r .ttbr1_check)" agrees "armvmi kernel reports that TTBR1_EL1 agrees"

# the same memory as a raw image: no registers, the same answers
raw="raw:$ARMVMI_RUNTIME_DIR/$vm/ram@0x40000000"
jr=$("$S" --vm "$raw" kernel --json)
is "$(echo "$jr" | jq -c '[.release, .kaslr, .swapper_pg_dir_pa, .ttbr1]')" \
    "$(echo "$j" | jq -c '[.release, .kaslr, .swapper_pg_dir_pa, null]')" \
    "the raw RAM file gives the same release, kaslr and swapper_pg_dir"

# the kernel context from discovery alone translates _stext to the start of "Kernel code"
tcr=$(echo "$jr" | jq -r .tcr)
pa=$("$A" --vm "$raw" translate "$stext" --ttbr1 "$swpa" --tcr "$tcr" --json | jq -r .pa)
is "$(hex "${pa:-0}")" "$(hex "$code")" "_stext translates on the raw image to Kernel code ($code)"
# the kernel is loaded 2 MiB aligned: so is _text's PA (VA - kimage_voffset). (The Image
# header itself is gone by now: the head before _stext is neither mapped nor kept.)
tpa=$(hex $((text - $(echo "$jr" | jq -r .kimage_voffset))))
is "$(hex $((tpa & 0x1fffff)))" 0x0 "_text = MODULES_END + kaslr has a 2 MiB aligned PA ($tpa)"
# an ELF dump of the same moment (with its system-register note)
dump=$ARMVMI_RUNTIME_DIR/kern.elf
$A --vm $vm dump -o "$dump" --quiet; ok $? "dump of the paused VM"
jd=$("$S" --vm "$dump" kernel --json)
is "$(echo "$jd" | jq -c '[.release, .kaslr, .swapper_pg_dir_pa, .ttbr1_check]')" \
    "$(echo "$j" | jq -c '[.release, .kaslr, .swapper_pg_dir_pa, .ttbr1_check]')" \
    "the ELF dump gives the same release, kaslr, swapper_pg_dir and TTBR1 agreement"
# The same dump with every VMCOREINFO copy erased (as on a kernel without crash-dump support):
# the vCPU's registers and the kernel's banner still find it.
nov=$ARMVMI_RUNTIME_DIR/kern-novmci.elf
cp "$dump" "$nov"
grep -obUaE 'OSRELEASE=|VMCOREINFO' "$nov" | cut -d: -f1 | while read -r off; do
    printf 'XXXXXXXXXX' | dd of="$nov" bs=1 seek="$off" conv=notrunc status=none
done
left=$(grep -cUaE 'OSRELEASE=|VMCOREINFO' "$nov")
jn=$("$S" --vm "$nov" kernel --json 2>&1)
keys='[.release, .kimage_voffset, .swapper_pg_dir_pa, .phys_offset, .page_offset, .va_bits,
    .page_size]'
is "$left $(echo "$jn" | jq -c "$keys" 2>/dev/null)" "0 $(echo "$j" | jq -c "$keys")" \
    "VMCOREINFO erased from the dump: the same release, kimage_voffset, tables, linear map" ||
    diag "$jn"
src=$(echo "$jn" | jq -r .release_source)
case "$src" in *banner*) r=0 ;; *) r=1 ;; esac
ok $r "... the release read from the kernel's banner ($src)"
rm -f "$dump" "$nov"
truncate -s 64M "$ARMVMI_RUNTIME_DIR/empty.raw"
out=$(timeout 60 "$S" --vm "raw:$ARMVMI_RUNTIME_DIR/empty.raw@0x40000000" kernel 2>&1)
r=$?
[ $r -ne 0 ] && [ $r -ne 124 ] && echo "$out" | grep -q "no VMCOREINFO.*no vCPU registers"
ok $? "a raw image with no kernel in it: a clear error ($out)"
rm -f "$ARMVMI_RUNTIME_DIR/empty.raw"
$A vm resume $vm >/dev/null
$A vm stop $vm >/dev/null

# --el2: the kernel runs with VHE at EL2, its tables in TTBR1_EL2
vm=it-kern-el2
vm_start $vm --el2; ok $? "vm start --el2"
pause_in_kernel $vm 2
is "$el" 2 "paused with the VHE kernel at EL2"
j=$("$S" --vm $vm kernel --json)
is "$(echo "$j" | jq -r .release)" "$release" "--el2: the same release"
ttbr1=$(hex $(($(echo "$regs" | jq -r .regs.TTBR1_EL2) & 0x0000fffffffffffe)))
got=$(echo "$j" | jq -r '[.ttbr1_check, .sources.ttbr1] | join(", ")')
is "$got, $(hex "$(echo "$j" | jq -r .swapper_pg_dir_pa)")" \
    "agrees, TTBR1_EL2 of vCPU 0 (VHE), $ttbr1" "--el2: swapper_pg_dir PA equals TTBR1_EL2's base"
$A vm resume $vm >/dev/null
$A vm stop $vm >/dev/null

# --hyp: under the armvmi hypervisor (its carve-out is RAM too), the guest's TTBR1_EL1
vm=it-kern-hyp
vm_start $vm --hyp; ok $? "vm start --hyp"
pause_in_kernel $vm
j=$("$S" --vm $vm kernel --json)
ttbr1=$(hex $(($(echo "$regs" | jq -r .regs.TTBR1_EL1) & 0x0000fffffffffffe)))
got=$(echo "$j" | jq -r '[.release, .ttbr1_check] | join(", ")')
is "$got, $(hex "$(echo "$j" | jq -r .swapper_pg_dir_pa)")" "$release, agrees, $ttbr1" \
    "--hyp: the same release; swapper_pg_dir PA equals TTBR1_EL1's base"
$A vm resume $vm >/dev/null
