#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A kernel before 6.1: Debian 11's 5.10 (`guest fetch --kernel-release bullseye`), whose
# VMCOREINFO has neither kallsyms locations (6.0+) nor a module range, whose kallsyms has no
# sequence table, whose VMAs are a list (mm->mmap, vm_next; no maple tree) and which keeps no
# module BTF (5.11+). Against the guest's own view, with no profile: `armvmi kernel` gives
# uname -r; `syms` the (address, type, name) lines of /proc/kallsyms, found by scanning the
# image; `btf --dump` the sha256 of /sys/kernel/btf/vmlinux; `btf --module` says the kernel has
# no module BTF. (ps, maps, cmdline, lsof and lsmod on 5.10: 34-linux-procs.t.) Last, the VMA
# list of a process is made to loop in the guest's own memory: maps must end with a clear
# warning and list each VMA once. Skips, saying why, when the kernel cannot be fetched.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
S=$ARMVMI_SAN
REL=${ARMVMI_OLD_RELEASE:-bullseye}
kernel=$("$A" -q guest fetch --kernel-release "$REL" --json 2>"$ARMVMI_RUNTIME_DIR/fetch.err" |
    jq -r '.kernel // empty' 2>/dev/null)
[ -n "$kernel" ] || skip_all "Debian $REL's kernel cannot be fetched: $(grep -v '^guest kit:' \
    "$ARMVMI_RUNTIME_DIR/fetch.err" | tail -n 1)"
plan 9

vm=it-old
vm_start $vm --kernel "$kernel"; ok $? "vm start: Debian $REL's kernel"
# the guest's facts, one short command at a time (a long line wraps and busybox's line editor
# may then swallow input); module symbols ("... [mod]") are not the kernel image's
g=
for c in 'echo "U=$(uname -r)"' 'grep -v "]\$" /proc/kallsyms >/tmp/k' \
    'echo "N=$(wc -l </tmp/k)"' 'echo "M=$(md5sum </tmp/k)"' \
    'sha256sum /sys/kernel/btf/vmlinux | sed "s/^/B=/"' \
    'busybox sleep 1000 & echo "P=$!"'; do
    g="$g
$(console $vm "$c; echo G\$((6*7))-E" G42-E 120 | tr -d '\r')"
done
gv() { echo "$g" | grep -o "^$1=[^ ]*" | head -n 1 | cut -d= -f2; }
rel=$(gv U); n=$(gv N); pid=$(gv P)
r=0; [ -n "$rel" ] && [ "${n:-0}" -gt 10000 ] && [ -n "$(gv B)" ] && [ -n "$pid" ] || {
    r=1
    diag "$g"
}
ok $r "the guest: release $rel, $n kernel symbols, /sys/kernel/btf/vmlinux hashed, sleep $pid"
"$A" vm pause $vm >/dev/null

k=$("$S" --vm $vm kernel --json)
is "$(echo "$k" | jq -r '"\(.release) \(.kallsyms.found_by)"')" "$rel scan of the kernel image" \
    "kernel: the guest's uname -r; kallsyms found by scanning the image (no VMCOREINFO fields)"
l=$("$S" --vm $vm syms --json |
    jq -r '.symbols[] | select(.source == "kallsyms") | "\(.addr[2:]) \(.type) \(.name)"')
is "$(printf '%s\n' "$l" | md5sum | cut -d' ' -f1) $(printf '%s\n' "$l" | wc -l)" "$(gv M) $n" \
    "syms: the same $n (address, type, name) lines as /proc/kallsyms, in the same order"
is "$("$S" --vm $vm btf --dump - | sha256sum | cut -d' ' -f1)" "$(gv B)" \
    "btf --dump: the sha256 of the guest's /sys/kernel/btf/vmlinux"
e=$("$S" --vm $vm btf --module nls_ascii 2>&1); r=$?
[ $r -eq 1 ] && echo "$e" | grep -q "keeps no module BTF"
ok $? "btf --module: a clear error: $e"

# the VMA list made to loop: the last VMA's vm_next back to the first
j=$("$S" --vm $vm maps "$pid" --json)
nv=$(echo "$j" | jq '.maps | length')
off=$("$A" --vm $vm btf --offset vm_area_struct.vm_next --json |
    jq -r '.offsets["vm_area_struct.vm_next"].offset')
last=$(printf '0x%x' $(($(echo "$j" | jq -r '.maps[-1].vma') + off)))
le=$(printf '%016x' $(($(echo "$j" | jq -r '.maps[0].vma'))) | sed 's/../& /g' |
    awk '{for (i = NF; i > 0; i--) printf "%s", $i}')
orig=$("$A" --vm $vm read --va "$last" 8 --pid "$pid" --json | jq -r .hex)
is "$orig" "0000000000000000" "the last of the $nv VMAs of $pid ends the list (vm_next NULL)"
"$A" --vm $vm write --va "$last" "$le" --pid "$pid" >/dev/null
t0=$(date +%s)
jl=$(timeout 60 "$S" --vm $vm maps "$pid" --json 2>/dev/null)
r=$?
t1=$(date +%s)
is "$r $(echo "$jl" | jq '.maps | length') $(echo "$jl" | jq -r .warning | grep -c 'a cycle')" \
    "0 $nv 1" "a looping VMA list: maps ends ($((t1 - t0)) s), each VMA once, warns of a cycle"
"$A" --vm $vm write --va "$last" "$orig" --pid "$pid" >/dev/null
is "$("$S" --vm $vm maps "$pid" --json | jq -r '"\(.maps | length) \(.broken)"')" "$nv 0" \
    "the link put back: the same $nv VMAs, no warning"
"$A" vm stop $vm >/dev/null
