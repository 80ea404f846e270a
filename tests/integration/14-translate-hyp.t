#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Translation of a guest under the armvmi hypervisor: the combined stage-1+2 regime agrees with
# QEMU's MMU, and stage 2 maps guest RAM one to one but not the hypervisor's carve-out.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
[ -r "${ARMVMI_BUILD:-build}/hyp/armvmi-hyp.elf" ] || skip_all "the hypervisor is not built (no aarch64 cross compiler)"
A=$ARMVMI
plan 9
vm=it-trh
vm_start $vm --hyp; ok $? "vm start --hyp"

el=; for i in $(seq 50); do
    $A vm pause $vm >/dev/null
    regs=$($A --vm $vm regs --json); el=$(echo "$regs" | jq -r .el)
    # idle in the kernel: at EL1 with SP_EL0 holding the current task (a kernel address);
    # on entry from EL0 it still holds the user stack for a few instructions
    # and the CPU itself there, not in the hypervisor (QEMU's gva2gpa uses the CPU's own EL)
    src=$(echo "$regs" | jq -r .source)
    case "$(echo "$regs" | jq -r .regs.SP_EL0)" in
    0xffff*) [ "$el" = 1 ] && [ "$src" != hyp-record ] && break ;;
    esac
    $A vm resume $vm >/dev/null; sleep 0.05
done
is "$el" 1 "paused with the guest kernel at EL1"
[ "$src" != hyp-record ]; ok $? "... with the CPU in the guest, not in the hypervisor"
hcr=$(echo "$regs" | jq -r .regs.HCR_EL2)
[ $(( hcr & 1 )) -eq 1 ]; ok $? "the hypervisor has stage 2 on (HCR_EL2.VM, $hcr)"

r=0
for reg in VBAR_EL1 PC SP SP_EL0; do
    va=$(echo "$regs" | jq -r ".regs.$reg")
    j=$($A --vm $vm translate "$va" --json)
    mine=$(echo "$j" | jq -r '.pa // "fault"'); [ "$mine" != fault ] && mine=$(printf '0x%x' "$mine")
    q=$(qmp $vm "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"gva2gpa $va\"}}" |
        sed -n 's/.*gpa: \(0x[0-9a-f]*\).*/\1/p')
    [ "$mine" = "$q" ] && [ "$(echo "$j" | jq -r .stage2)" = true ] || { r=1; diag "$reg $va: armvmi $mine, gva2gpa $q"; }
done
ok $r "VBAR_EL1, PC, SP and SP_EL0 translate through both stages as QEMU's MMU does"

# The guest's memory node (from the device tree the launcher made) starts after the carve-out.
dtb=$ARMVMI_RUNTIME_DIR/$vm/guest.dtb
read -r _ gbase _ _ <<< "$(fdtget -t x "$dtb" /memory@40000000 reg 2>/dev/null)"
gbase=$((0x${gbase:-0}))
[ "$gbase" -gt $((0x40000000)) ]; ok $? "the guest's RAM starts after a carve-out ($(printf '0x%x' $gbase))"
ipa=$(printf '0x%x' $((gbase + 0x123000)))
s2=$($A --vm $vm translate "$ipa" --regime stage2 --json)
is "$(jq -r .pa <<<"$s2")" "$((ipa))" "stage 2 maps guest RAM one to one ($ipa)"
# 4K pages, not blocks: with blocks QEMU turns each guest TLBI by address into a full flush.
is "$(jq -r '"\(.size) \(.level)"' <<<"$s2")" "4096 3" "stage 2 maps guest RAM with 4K pages (level 3)"
f=$($A --vm $vm translate 0x40001000 --regime stage2 --json | jq -r '.fault // "mapped"')
is "$f" translation "stage 2 does not map the carve-out (0x40001000: $f fault)"
$A vm resume $vm >/dev/null
exit 0
