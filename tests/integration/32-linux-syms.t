#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Kernel symbols (`armvmi syms`) decoded from guest memory, against the guest's own
# /proc/kallsyms (root sees real addresses; kernel-image symbols only, not [module] ones): the
# same (address, type, name) list, in the kernel's order and so as a set, through VMCOREINFO's
# kallsyms locations and by scanning the image; live (EL1, --el2, --hyp), from an ELF dump and
# from the bare RAM file. Debian 12's 6.1 kernel has no KALLSYMS_ALL: init_task comes from the
# exported-symbol table and must lie in /proc/iomem's "Kernel data" and hold the idle task's
# name. Debian 13's 6.12 kernels (4K and 16K pages, LPA2; the 6.4+ table order) as well, where
# /proc/kallsyms has init_task itself; they skip, saying why, when they cannot be fetched.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
S=$ARMVMI_SAN
REL=${ARMVMI_LPA2_RELEASE:-trixie}
hex() { printf '0x%x' "$1"; }

# The guest's own list: count and md5 of its "address type name" lines (busybox's cut is slow
# under emulation: whole lines, module ones dropped by grep), a few symbols, /proc/iomem. Short
# commands, one at a time: a long line wraps, and busybox's line editor then queries the cursor
# position, which can swallow typed input.
guest_syms() {
    local c
    for _ in 1 2 3; do console "$1" 'echo R$((6*7))' R42 30 >/dev/null 2>&1 && break; done
    for c in 'cat /proc/kallsyms >/tmp/a' 'grep -v "]\$" /tmp/a >/tmp/k' \
        'echo "N=$(wc -l </tmp/k)"' 'echo "M=$(md5sum </tmp/k)"' \
        'grep -wE "init_task|vfs_read" /tmp/k | sed "s/^/S=/"' \
        'grep -E "l (code|data)" /proc/iomem | sed "s/^ */I=/"'; do
        console "$1" "$c; echo G\$((6*7))-E" G42-E 120 | tr -d '\r'
    done
}
# values found anywhere in a line (a kernel message may share the console line)
gval() { echo "$g" | grep -o "$1=$2" | head -n 1 | cut -d= -f2; }
gsym() { echo "$g" | grep -o "S=[0-9a-f]\{16\} . $1\$" | head -n 1 | sed 's/^S=\([0-9a-f]*\).*/0x\1/'; }
# armvmi's kallsyms symbols (JSON) as the guest prints them: "md5 count"
ours() {
    local l
    l=$(jq -r '.symbols[] | select(.source == "kallsyms") | "\(.addr[2:]) \(.type) \(.name)"')
    echo "$(printf '%s\n' "$l" | md5sum | cut -d' ' -f1) $(printf '%s\n' "$l" | wc -l)"
}
want() { echo "$(gval M '[0-9a-f]\{32\}') $(gval N '[0-9]\{1,\}')"; }

plan 29

# ---- Debian 12's default 6.1 kernel at EL1 ----
vm=it-syms
vm_start $vm; ok $? "vm start"
g=$(guest_syms $vm)
n=$(gval N '[0-9]\{1,\}'); vfs=$(gsym vfs_read)
data=$(echo "$g" | sed -n 's/^I=\([0-9a-f]*\)-\([0-9a-f]*\) : Kernel data$/0x\1 0x\2/p')
r=0; [ "${n:-0}" -gt 10000 ] && [ -n "$vfs" ] && [ -n "$data" ] || { r=1; diag "$g"; }
ok $r "the guest lists $n kernel symbols in /proc/kallsyms (vfs_read $vfs; Kernel data $data)"
is "$(gsym init_task)" "" "6.1 has no KALLSYMS_ALL: init_task is not in /proc/kallsyms"

j=$("$S" --vm $vm syms --json); ok $? "armvmi syms --json on the live VM"
is "$(echo "$j" | ours)" "$(want)" \
    "live: the same $n (address, type, name) lines as /proc/kallsyms, in the same order"
is "$(echo "$j" | jq -r .kallsyms_at)" "VMCOREINFO SYMBOL(kallsyms_*)" \
    "6.1 has kallsyms in VMCOREINFO and armvmi uses it"
js=$("$A" --vm $vm syms --scan --json)
is "$(echo "$js" | ours) $(echo "$js" | jq -r .kallsyms_at)" "$(want) scan of the kernel image" \
    "--scan (no VMCOREINFO locations): the same list, found by scanning the image"

ti=$("$A" --vm $vm syms init_task --json | jq -r '.symbols[0] | .addr + " " + .source')
kv=$("$A" --vm $vm kernel --json | jq -r .kimage_voffset)
tpa=$(hex $((${ti% *} - kv)))
r=0; [ "${ti#* }" = ksymtab ] && [ $((tpa)) -ge $((${data% *})) ] &&
    [ $((tpa)) -le $((${data#* })) ] || r=1
ok $r "init_task (${ti% *}, from ${ti#* }) has its PA $tpa in Kernel data ($data)"
pause_in_kernel $vm
"$A" --vm $vm read --va "${ti% *}" 8192 --raw | grep -aq 'swapper/0'
ok $? "init_task's memory holds the idle task's comm 'swapper/0'"
# ps takes init_task from the code of a function that walks the task list (no __ksymtab scan)
is "$("$S" --vm $vm ps --json | jq -r '.kernel | "\(.init_task) \(.init_task_source)"')" \
    "${ti% *} code reference (ADRP/ADD in a function that walks the task list)" \
    "ps: init_task from a code reference, at the exported symbol's address"
is "$("$A" --vm $vm syms --addr $(hex $((vfs + 4))))" \
    "$(hex $((vfs + 4))) vfs_read+0x4 (kallsyms, T at $(printf '0x%016x' $((vfs))))" \
    "syms --addr vfs_read+4 names vfs_read at the guest's address"
is "$("$A" --vm $vm syms --addr $(hex $((${ti% *} + 16))) --json | jq -r '"\(.name) \(.offset)"')" \
    "init_task 16" "syms --addr init_task+16 (an exported data symbol kallsyms lacks)"
kj=$("$A" --vm $vm kernel --json | jq -r '"\(.kallsyms.count) \(.kallsyms.found_by)"')
is "$kj" "$n VMCOREINFO SYMBOL(kallsyms_*)" "armvmi kernel --json reports kallsyms' count and source"

# the same paused moment from an ELF dump and from the bare RAM file (no registers)
dump=$ARMVMI_RUNTIME_DIR/syms.elf
$A --vm $vm dump -o "$dump" --quiet; ok $? "dump of the paused VM"
jd=$("$S" --vm "$dump" syms --json)
is "$(echo "$jd" | ours)" "$(want)" "ELF dump: the same list as /proc/kallsyms"
rm -f "$dump"
raw="raw:$ARMVMI_RUNTIME_DIR/$vm/ram@0x40000000"
jr=$("$S" --vm "$raw" syms --json)
is "$(echo "$jr" | ours)" "$(want)" "raw RAM file: the same list as /proc/kallsyms"
is "$("$A" --vm "$raw" syms init_task --json | jq -r '.symbols[0] | .addr + " " + .source')" \
    "$ti" "raw RAM file: init_task resolves the same, from the exported-symbol table"
$A vm resume $vm >/dev/null
$A vm stop $vm >/dev/null

# ---- the same kernel with VHE at EL2 and under the armvmi hypervisor ----
for mode in --el2 --hyp; do
    vm=it-syms${mode#-}
    vm_start $vm $mode; ok $? "vm start $mode"
    g=$(guest_syms $vm)
    j=$("$S" --vm $vm syms --json)
    is "$(echo "$j" | ours)" "$(want)" "$mode: the same $(want | cut -d' ' -f2) lines as its /proc/kallsyms"
    $A vm stop $vm >/dev/null
done

# ---- Debian 13's 6.12 kernels: KALLSYMS_ALL, the 6.4+ order, 52-bit VAs ----
for flavour in arm64 arm64-16k; do
    what="Debian $REL linux-image-$flavour"
    out=$("$A" -q guest fetch --kernel-release "$REL" --flavour "$flavour" --json \
        2>"$ARMVMI_RUNTIME_DIR/fetch.err")
    kernel=$(echo "$out" | jq -r '.kernel // empty' 2>/dev/null)
    if [ -z "$kernel" ]; then
        why=$(grep -v '^guest kit:' "$ARMVMI_RUNTIME_DIR/fetch.err" | tail -n 1)
        for _ in 1 2 3 4; do skip "$what cannot be fetched: ${why:-no reason given}"; done
        continue
    fi
    vm=it-syms-$flavour
    vm_start $vm --kernel "$kernel"; ok $? "$flavour: vm start boots $(echo "$out" | jq -r .kernel_package)"
    g=$(guest_syms $vm)
    j=$("$S" --vm $vm syms --json)
    is "$(echo "$j" | ours) $(echo "$j" | jq -r .layout)" "$(want) 6.4+ (num_syms first)" \
        "$flavour: the same $(want | cut -d' ' -f2) lines as /proc/kallsyms; the 6.4+ table order"
    js=$("$A" --vm $vm syms --scan --json)
    is "$(echo "$js" | ours)" "$(want)" "$flavour: --scan finds the same list"
    ti=$("$A" --vm $vm syms init_task --json | jq -r '.symbols[0] | .addr + " " + .source')
    is "$ti" "$(gsym init_task) kallsyms" "$flavour: init_task from kallsyms, at /proc/kallsyms' address"
    $A vm stop $vm >/dev/null
done
exit 0
