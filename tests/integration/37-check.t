#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Kernel integrity checks (`armvmi check syscalls|vectors`, lib/apps) on one plain QEMU VM with
# Debian 12's 6.1 kernel (no KALLSYMS_ALL: sys_call_table is found through do_el0_svc's code),
# against the guest's own /proc/kallsyms: every table entry is a system-call function at the
# address the guest gives that name, 63/64/172 are read/write/getpid, the native table has
# __NR_syscalls (451 on 6.1) entries and VBAR_EL1 is the guest's `vectors`. Then a rootkit is
# simulated on the paused VM (the guest never runs a hooked entry): entry 172 (getpid) is made
# __arm64_sys_getppid, then an unmapped module-space address; `check` must report exactly that
# entry (exit 1), and a module's address (nls_ascii of the kernel package, loaded with insmod
# first) as that module; once the saved bytes are back, be clean again with the guest working.
# QEMU's gdbstub cannot write VBAR_EL1, so only the clean vector base is checked live; a modified
# one is checked in an ELF dump of the VM whose vCPU 0 note has its VBAR_EL1 changed.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/push.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
S=$ARMVMI_SAN
VM=it-check

# like GOT PATTERN DESCRIPTION: GOT contains PATTERN
like() {
    case "$1" in *"$2"*) ok 0 "$3" ;; *) ok 1 "$3"; diag "got: $1" "expected to contain: $2" ;; esac
}
# an 8-byte little-endian hex string of a number
le64() { printf '%016x' $(($1)) | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}'; }
# the guest's kallsyms address of a name (from the lines saved in $K)
gaddr() { awk -v n="$1" '$3 == n { print "0x" $1; exit }' "$K"; }

plan 31

# --help and usage errors need no VM
out=$("$S" check --help); r=$?
like "$r $out" "0 usage: armvmi [--vm SPEC] check syscalls|vectors" "check --help: usage, exit 0"
out=$("$S" check syscalls --help); r=$?
like "$r $out" "0 usage: armvmi [--vm SPEC] check syscalls" "check syscalls --help: usage, exit 0"
like "$out" "distance from the table to the next kallsyms" "... and says how the entry count is derived"
out=$("$S" check vectors --help); r=$?
like "$r $out" "0 usage: armvmi [--vm SPEC] check vectors" "check vectors --help: usage, exit 0"
err=$("$S" check nothing 2>&1); r=$?
is "$r $err" "2 armvmi: unknown check 'nothing' (syscalls or vectors; see \`armvmi check --help\`)." \
    "an unknown check is exit 2 with a clear error"
# a raw image with no Linux in it
zero="$ARMVMI_RUNTIME_DIR/zero.img"
head -c 4194304 /dev/zero >"$zero"
err=$("$S" --vm "raw:$zero@0x40000000" check syscalls 2>&1); r=$?
like "$r $err" "2 armvmi: cannot read the Linux kernel of" "check on a raw image without Linux: exit 2"

vm_start "$VM" --smp 2; ok $? "vm start (2 vCPUs)"
for _ in 1 2 3; do console "$VM" 'echo R$((6*7))' R42 30 >/dev/null 2>&1 && break; done
# a module to point an entry into, and where the guest says it is
kernel=$("$A" -q guest fetch --json | jq -r .kernel)
modaddr=
if insmods "$VM" "$kernel" nls_ascii; then
    modaddr=$(console "$VM" 'grep nls_ascii /proc/modules; echo G$((6*7))-E' G42-E 60 |
        tr -d '\r' | awk '$1 == "nls_ascii" { print $6 }')
fi
# the guest's system-call functions and vectors, one short command at a time (a long line wraps)
K="$ARMVMI_RUNTIME_DIR/kallsyms"
for c in 'grep -E " (__arm64_(compat_)?sys_|sys_ni_syscall|vectors)" /proc/kallsyms >/tmp/s' \
    'grep -c "" /tmp/s; grep -w sys_call_table /proc/kallsyms' 'cat /tmp/s'; do
    console "$VM" "$c; echo G\$((6*7))-E" G42-E 120 | tr -d '\r' >>"$K"
done
awk 'NF == 3 && $1 ~ /^[0-9a-f]+$/ && $2 ~ /^[TtWw]$/' "$K" >"$K.s" && mv "$K.s" "$K"
n_guest=$(grep -c ' __arm64_sys_' "$K")
[ "$n_guest" -gt 300 ]; ok $? "the guest's /proc/kallsyms lists its system-call functions ($n_guest __arm64_sys_)"

J="$ARMVMI_RUNTIME_DIR/clean.json"
out=$("$S" --vm "$VM" check syscalls); r=$?
is "$r $(echo "$out" | head -n 1)" "0 sys_call_table: 451 entries, all in kernel text" \
    "check syscalls on the clean guest: exit 0, 451 entries (__NR_syscalls of 6.1)"
"$S" --vm "$VM" check syscalls --json >"$J"
is "$(jq -r '.tables.sys_call_table.found_by' "$J")" \
    "code of do_el0_svc (ADRP/ADD), no data symbol in kallsyms" \
    "the guest's kallsyms has no sys_call_table (no KALLSYMS_ALL): found through do_el0_svc"
# every entry names the function the guest's kallsyms has at that address
bad=$(jq -r '.tables[].entry[] | "\(.value) \(.symbol)"' "$J" | sed 's/^0x//' |
    awk 'NR == FNR { g[$1 " " $3] = 1; next } !(($1 " " $2) in g) { print; n++ } END { exit n > 0 }' \
        <(sed 's/^0*//' "$K") <(sed 's/^0*//'))
ok $? "all $(jq '[.tables[].entry[]] | length' "$J") entries of both tables are guest kallsyms functions at their addresses"
[ -z "$bad" ] || diag "not in the guest's kallsyms: $(echo "$bad" | head -n 5)"
is "$(jq -r '.tables.sys_call_table.entry | "\(.[63].symbol) \(.[64].symbol) \(.[172].symbol)"' "$J")" \
    "__arm64_sys_read __arm64_sys_write __arm64_sys_getpid" "entries 63, 64, 172: read, write, getpid"
is "$(jq -r '.tables.sys_call_table.entry[172].value' "$J")" "$(gaddr __arm64_sys_getpid)" \
    "entry 172 is the guest's __arm64_sys_getpid address"
distinct=$(jq -r '.tables.sys_call_table.entry[].symbol' "$J" | grep -v ni_syscall | sort -u | wc -l)
[ "$distinct" -gt 250 ] && [ "$distinct" -le "$n_guest" ]
ok $? "the native table's $distinct distinct functions are at most the guest's $n_guest __arm64_sys_"
is "$(jq -r '.tables.compat_sys_call_table.entries' "$J")" 451 "compat_sys_call_table: 451 entries"

# vectors: each vCPU's VBAR_EL1 is the guest's `vectors`
out=$("$S" --vm "$VM" check vectors --json); r=$?
is "$r $(echo "$out" | jq -r '[.vcpus[] | "\(.vcpu):\(.register):\(.value):\(.where)"] | join(" ")')" \
    "0 0:VBAR_EL1:$(gaddr vectors):expected 1:VBAR_EL1:$(gaddr vectors):expected" \
    "check vectors: exit 0, both vCPUs' VBAR_EL1 at the guest's vectors"

# the rootkit: entry 172 on the paused VM (kernel addresses through pid 1's context)
"$A" vm pause "$VM" >/dev/null
tab=$(jq -r '.tables.sys_call_table.address' "$J")
e172=$(printf '0x%x' $((tab + 172 * 8)))
saved=$("$A" --vm "$VM" read --va "$e172" 8 --pid 1 --json | jq -r .hex)
is "$saved" "$(le64 "$(gaddr __arm64_sys_getpid)")" "read --va of entry 172 gives getpid's address"
"$A" --vm "$VM" write --va "$e172" "$(le64 "$(gaddr __arm64_sys_getppid)")" --pid 1 >/dev/null
out=$("$S" --vm "$VM" check syscalls); r=$?
is "$r $(echo "$out" | head -n 1)" "1 sys_call_table: 451 entries, 1 hooked" \
    "entry 172 made __arm64_sys_getppid: exit 1, 1 hooked"
like "$out" "172  $(gaddr __arm64_sys_getppid)  __arm64_sys_getppid (kernel text" \
    "... it names entry 172 and its new target"
is "$("$S" --vm "$VM" check syscalls --json | jq -c '[.tables[].hooked[] | [.index, .symbol]]')" \
    '[[172,"__arm64_sys_getppid"]]' "... exactly that entry, in --json too"
mod=$("$A" --vm "$VM" kernel --json | jq -r .modules_start)
far=$(printf '0x%x' $((mod + 0x123450)))
"$A" --vm "$VM" write --va "$e172" "$(le64 "$far")" --pid 1 >/dev/null
out=$("$S" --vm "$VM" check syscalls); r=$?
like "$r $out" "172  $far  unknown memory" "entry 172 made an unmapped module-space address: unknown memory"
is "$r" 1 "... exit 1"
if [ -n "$modaddr" ]; then
    inmod=$(printf '0x%x' $((modaddr + 0x10)))
    "$A" --vm "$VM" write --va "$e172" "$(le64 "$inmod")" --pid 1 >/dev/null
    out=$("$S" --vm "$VM" check syscalls); r=$?
    like "$r $out" "172  $inmod  module nls_ascii (core+0x10)" \
        "entry 172 made an address in nls_ascii (at $modaddr in /proc/modules): that module"
    is "$("$S" --vm "$VM" check syscalls --json | jq -c '[.tables[].hooked[] | [.index, .where, .module]]')" \
        '[[172,"module","nls_ascii"]]' "... exactly that entry, in --json too"
else
    skip "no nls_ascii.ko to load: run \`armvmi guest fetch --refresh\`"
    skip "no nls_ascii.ko to load"
fi
"$A" --vm "$VM" write --va "$e172" "$saved" --pid 1 >/dev/null
out=$("$S" --vm "$VM" check syscalls); r=$?
is "$r $(echo "$out" | head -n 1)" "0 sys_call_table: 451 entries, all in kernel text" \
    "the saved bytes put back: clean again"
"$A" vm resume "$VM" >/dev/null
out=$(console "$VM" 'echo P$((40+2))-E' P42-E 60 | tr -d '\r'); r=$?
ok $r "the guest still runs commands after the check"

# an ELF dump of the VM: clean, then vCPU 0's VBAR_EL1 changed in its register note
dump="$ARMVMI_RUNTIME_DIR/$VM.elf"
"$A" --vm "$VM" dump -o "$dump" --quiet
out=$("$S" --vm "$dump" check syscalls); r=$?
is "$r $(echo "$out" | head -n 1)" "0 sys_call_table: 451 entries, all in kernel text" \
    "check syscalls on an ELF dump of the VM: clean"
vec=$(gaddr vectors)
# the first copy of VBAR's value in the notes (PT_NOTE, the first program header): vCPU 0's
perl -e 'open(F, "+<", $ARGV[0]) or exit 2; binmode F; read F, $h, 64;
    seek F, unpack("Q<", substr($h, 32, 8)), 0; read F, $p, 56; exit 3 if unpack("L<", $p) != 4;
    ($o, $n) = (unpack("Q<", substr($p, 8, 8)), unpack("Q<", substr($p, 32, 8)));
    seek F, $o, 0; read F, $t, $n; $i = index($t, pack("Q<", hex($ARGV[1])));
    exit 4 if $i < 0; seek F, $o + $i, 0; print F pack("Q<", hex($ARGV[1]) + 0x18);' "$dump" "$vec"
ok $? "vCPU 0's VBAR_EL1 in the dump's register note made vectors+0x18"
out=$("$S" --vm "$dump" check vectors --json); r=$?
is "$r $(echo "$out" | jq -r '[.vcpus[] | "\(.vcpu):\(.register):\(.where):\(.symbol)+\(.offset)"] | join(" ")')" \
    "1 0:VBAR_EL1:kernel text:vectors+24 1:VBAR_EL1:expected:vectors+0" \
    "check vectors on the dump: exit 1, vCPU 0 reported at vectors+0x18, vCPU 1 clean"
rm -f "$dump"

# vCPU registers: a raw image of the VM's RAM has Linux but no registers
err=$("$S" --vm "raw:$ARMVMI_RUNTIME_DIR/$VM/ram@0x40000000" check vectors 2>&1); r=$?
like "$r $err" "2 armvmi: check vectors:" "check vectors on a raw RAM file (no registers): exit 2"
like "$err" "no vCPU system registers" "... saying it has no registers"
