#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Outside profiles (--profile FILE): a Volatility 3 ISF JSON file of the kernel's types and a
# System.map. On the default Debian guest, paused: `ps --json`, `maps PID` and `lsmod --json`
# with the profiles equal the listings from the kernel's own BTF and symbols, live and from
# the raw RAM file. The ISF is exported from the kernel's BTF (`btf --isf`: the same facts
# through a different path: JSON, types rebuilt, typedefs gone). One System.map is built from
# the GUEST's own /proc/kallsyms (lines captured through the console, slid back to link-time
# addresses by the KASLR offset) and must give the guest's own addresses back; another is
# armvmi's `syms --system-map` (it has init_task, which 6.1's /proc/kallsyms lacks). A map of
# another kernel (its _stext moved), Debian's empty stub and a truncated ISF are refused with
# one clear line.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v perl >/dev/null || skip_all "perl is not installed"
A=$ARMVMI
S=$ARMVMI_SAN
d=$ARMVMI_RUNTIME_DIR
hex() { printf '0x%x' "$1"; }
plan 35

# push VM FILE DEST: copy a small host file into the guest through the console (base64 lines)
push() {
    local b64 i=0
    b64=$(gzip -9c "$2" | base64 -w0)
    console "$1" "rm -f $3.b64; printf 'R-%s\n' 0" R-0 10 >/dev/null || return 1
    for ((i = 0; i < ${#b64}; i += 800)); do
        console "$1" "echo ${b64:i:800} >> $3.b64; printf 'C-%s\n' $i" "C-$i" 20 >/dev/null ||
            return 1
    done
    console "$1" "base64 -d $3.b64 | gunzip > $3; printf 'P-%s\n' DONE" P-DONE 20 >/dev/null
}

kernel=$("$A" -q guest fetch --json | jq -r .kernel)
MODS=$(dirname "$kernel")/modules
vm=it-prof
vm_start $vm; ok $? "vm start"
for _ in 1 2 3; do console $vm 'echo R$((6*7))' R42 30 >/dev/null 2>&1 && break; done
sleeper=$(console $vm 'busybox sleep 1000 & printf "SLEEP=%s SLEEP-%s\n" $! END' SLEEP-END 30 |
    tr -d '\r' | sed -n 's/^SLEEP=\([0-9][0-9]*\) SLEEP-END$/\1/p')
# no module loaded yet: lsmod lists none (6.1 has no `modules` symbol, and an empty list has
# nothing to find it by: its head comes from the code of the functions that walk it)
n0=$(console $vm 'printf "NMOD=%s NMOD-%s\n" $(wc -l < /proc/modules) END' NMOD-END 30 |
    tr -d '\r' | sed -n 's/^NMOD=\([0-9]*\) NMOD-END$/\1/p')
"$A" vm pause $vm >/dev/null
j0=$("$S" --vm $vm lsmod --json)
is "$n0 $(echo "$j0" | jq -c '[.modules, .broken]')" "0 [[],0]" \
    "no module loaded: /proc/modules is empty, lsmod --json lists none ($(echo "$j0" | jq -r .list_source))"
t0=$("$S" --vm $vm lsmod 2>&1); r=$?
is "$r $(echo "$t0" | wc -l) $(echo "$t0" | awk '{print $1}')" "0 1 Module" "... and lsmod prints just its header"
"$A" vm resume $vm >/dev/null
if [ -f "$MODS/nls_ascii.ko" ]; then
    push $vm "$MODS/nls_ascii.ko" /tmp/nls_ascii.ko &&
        console $vm "insmod /tmp/nls_ascii.ko; printf 'I-%s\n' 1" I-1 20 >/dev/null
    ok $? "nls_ascii from the kernel package loaded with insmod (lsmod is not empty)"
    # the kernel linked the module into the list whose head lsmod found when it was empty
    "$A" vm pause $vm >/dev/null
    j1=$("$S" --vm $vm lsmod --json)
    loff=$("$A" --vm $vm btf --offset module.list --json | jq -r '.offsets[].offset')
    prev=$(printf '0x%x' $(($(echo "$j1" | jq -r '.modules[0].module') + loff + 8)))
    back=$("$A" --vm $vm read --va "$prev" 8 --pid 1 --json | jq -r .hex |
        sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')
    is "$(echo "$j1" | jq -r '.modules[].name') 0x$back" "nls_ascii $(echo "$j0" | jq -r .list_head)" \
        "nls_ascii's list.prev is the list head lsmod found while the list was empty"
    "$A" vm resume $vm >/dev/null
else
    skip "the guest kit has no modules ($MODS): run \`armvmi guest fetch --refresh\`"
    skip "no module"
fi
# the guest's own symbols: a few lines of /proc/kallsyms (the whole list takes minutes through
# the console under emulation)
g=$(console $vm 'grep -wE "_text|_stext|vfs_read|do_exit|schedule|init_task|modules" \
/proc/kallsyms | grep -v "]$" | sed "s/^/K=/"; echo K$((6*7))-E' K42-E 60 | tr -d '\r')
gk=$(echo "$g" | grep -o 'K=[0-9a-f]\{16\} [A-Za-z] [A-Za-z_]*$' | cut -c3- | sort -u)
gsym() { echo "$gk" | awk -v n="$1" '$3 == n { print "0x" $1; exit }'; }
[ -n "$(gsym _stext)" ] && [ -n "$(gsym vfs_read)" ] && [ -n "$sleeper" ]
ok $? "the guest's /proc/kallsyms has _stext $(gsym _stext) and vfs_read $(gsym vfs_read)" ||
    diag "$g"

"$A" vm pause $vm >/dev/null
kj=$("$A" --vm $vm kernel --json)
kaslr=$(echo "$kj" | jq -r .kaslr)
[ "$kaslr" != null ]; ok $? "the KASLR offset is known: $kaslr"
# the guest's lines slid back to link-time addresses: a System.map as the kernel build writes it
echo "$gk" | perl -ne 'BEGIN { $k = hex($ARGV[0]); shift } if (/^([0-9a-f]{16}) (\S) (\S+)$/) {
    printf "%016x %s %s\n", hex($1) - $k, $2, $3 }' "$kaslr" >$d/guest.map
"$S" --vm $vm btf --isf $d/k.isf.json; r=$?
isf_pid=$(jq -r '.user_types.task_struct.fields.pid.offset' $d/k.isf.json 2>/dev/null)
btf_pid=$("$S" --vm $vm btf --json --offset task_struct.pid | jq -r '.offsets[].offset')
is "$r $isf_pid" "0 $btf_pid" "btf --isf writes an ISF: its task_struct.pid offset is the BTF's"
anon=$(jq '[.user_types.task_struct.fields | to_entries[] | select(.value.anonymous)] | length' \
    $d/k.isf.json)
[ "$anon" -gt 0 ]; ok $? "task_struct's anonymous members are named unnamed_field_* ($anon)"
"$S" --vm $vm syms --system-map $d/armvmi.map; r=$?
is "$r $(grep -c ' init_task$' $d/armvmi.map)" "0 1" \
    "syms --system-map writes a System.map with init_task (from the exported-symbol table)"
is "$(awk '$3 == "_stext" { print $1 }' $d/armvmi.map)" \
    "$(awk '$3 == "_stext" { print $1 }' $d/guest.map)" \
    "... whose link-time _stext is the guest's /proc/kallsyms _stext minus the KASLR offset"

PA=(--profile $d/k.isf.json --profile $d/guest.map)
PB=(--profile $d/k.isf.json --profile $d/armvmi.map)
j=$("$S" --vm $vm "${PA[@]}" syms vfs_read --json)
is "$(echo "$j" | jq -r '.symbols[0] | "\(.addr) \(.source)"')" "$(gsym vfs_read) System.map" \
    "syms vfs_read with the guest's System.map: the guest's own address, slid back by KASLR"
is "$("$A" --vm $vm "${PA[@]}" kernel --json | jq -r '.profile | "\(.symbols.slide) \(.types.source)"')" \
    "$kaslr ISF file" "kernel --json says where types and symbols come from (slide = KASLR)"

# listings: in-memory BTF and symbols vs. profiles, at the same paused moment
# (the plain build: the sanitizer build runs the profile readers in the other checks)
listings() { # TARGET [profile options]: ps, maps of the sleeper and of init, lsmod
    local t=$1; shift
    "$A" --vm "$t" "$@" ps --json | jq -c .processes
    "$A" --vm "$t" "$@" maps "$sleeper"
    "$A" --vm "$t" "$@" maps 1
    "$A" --vm "$t" "$@" lsmod --json | jq -c .modules
}
base=$("$A" --vm $vm info --json | jq -r '.ram[0].base')
raw=raw:$d/$vm/ram@$(hex "$base")
for target in $vm "$raw"; do
    what=live
    [ "$target" = $vm ] || what="raw image"
    want=$(listings "$target")
    [ "$(echo "$want" | head -1 | jq length)" -gt 10 ]
    ok $? "$what: ps lists $(echo "$want" | head -1 | jq length) processes from the kernel's BTF"
    got=$(listings "$target" "${PA[@]}")
    is "$got" "$want" "$what: ps, maps $sleeper, maps 1, lsmod with the ISF + the guest's System.map"
    got=$(listings "$target" "${PB[@]}")
    is "$got" "$want" "$what: the same with the ISF + armvmi's System.map"
    k=$("$S" --vm "$target" "${PB[@]}" ps --json | jq -r '.kernel | "\(.init_task_source) \(.types_source)"')
    is "$k" "outside profile (System.map or ISF symbols) $d/k.isf.json" \
        "$what: init_task from the System.map, types from the ISF"
done
# the ISF alone: its own symbols (link-time, unsigned decimal as dwarf2json writes them)
is "$(grep -o '"_stext":{"address":[0-9]*' $d/k.isf.json | grep -o '[0-9]*$')" \
    "$(perl -e 'printf "%u", hex($ARGV[0])' "$(awk '$3 == "_stext" { print $1 }' $d/guest.map)")" \
    "the ISF's symbols: _stext is the guest's, minus the KASLR offset, in unsigned decimal"
is "$(listings $vm --profile $d/k.isf.json)" "$(listings $vm)" \
    "live: ps, maps, lsmod with the ISF alone (its types and its symbols)"
xz -T1 -k $d/k.isf.json
is "$("$S" --vm $vm --profile $d/k.isf.json.xz ps --json | jq -c .processes)" \
    "$(echo "$want" | head -1)" "an xz-compressed ISF (.json.xz) gives the same ps"
is "$("$S" --profile $d/k.isf.json btf --offset mm_struct.mm_mt --json | jq -r '.offsets[].offset')" \
    "$("$S" --vm $vm btf --offset mm_struct.mm_mt --json | jq -r '.offsets[].offset')" \
    "btf --offset with --profile ISF needs no VM: mm_struct.mm_mt as in the kernel's BTF"

# refusals: one clear line, exit 1
perl -ne 'if (/^([0-9a-f]{16}) (\S) (\S+)$/) { printf "%016x %s %s\n", hex($1) + 0x200000, $2, $3 }' \
    $d/guest.map >$d/other.map
e=$("$S" --vm $vm --profile $d/other.map ps 2>&1); r=$?
[ $r -eq 1 ] && [ "$(echo "$e" | wc -l)" -eq 1 ] && echo "$e" | grep -q "for another kernel"
ok $? "a System.map whose _stext does not fit is refused: $e"
e=$("$S" --vm $vm --profile $d/other.map kernel 2>&1 | grep 'profile symbols')
echo "$e" | grep -q refused; ok $? "kernel says so too: $e"
: >$d/System.map-stub
e=$("$S" --vm $vm --profile $d/System.map-stub ps 2>&1); r=$?
[ $r -eq 1 ] && echo "$e" | grep -q "empty stub"
ok $? "Debian's empty System.map stub: $e"
head -c 100000 $d/k.isf.json >$d/cut.json
e=$("$S" --vm $vm --profile $d/cut.json ps 2>&1); r=$?
[ $r -eq 1 ] && [ "$(echo "$e" | wc -l)" -eq 1 ] && echo "$e" | grep -q "not an ISF file"
ok $? "a truncated ISF: $e"
e=$("$S" --vm $vm --profile $d/nosuch.json ps 2>&1); r=$?
[ $r -eq 1 ] && echo "$e" | grep -q "cannot open"
ok $? "a missing profile file: $e"

# read and translate --pid take the profiles too: the same bytes and PA as with the kernel's
# own BTF; a map for another kernel is refused; an ISF whose task_struct.mm is 8 bytes early
# (pushable_dl_tasks: NULL) makes the process look like a kernel thread
va=$("$A" --vm $vm maps "$sleeper" --json | jq -r '.maps[0].start')
rd() { "$S" --vm $vm "$@" read --va "$va" 32 --pid "$sleeper" --json | jq -r .hex; }
tr_pa() { "$S" --vm $vm "$@" translate "$va" --pid "$sleeper" --json | jq -r .pa; }
want_hex=$(rd)
want_pa=$(tr_pa)
[ -n "$want_hex" ] && [ "$want_pa" != null ]; ok $? "read/translate --pid $sleeper $va: $want_pa"
is "$(rd "${PA[@]}") $(tr_pa "${PA[@]}")" "$want_hex $want_pa" \
    "read --va and translate --pid with the ISF + the guest's System.map: the same bytes and PA"
e=$("$S" --vm $vm --profile $d/other.map read --va "$va" 8 --pid "$sleeper" 2>&1); r=$?
[ $r -eq 1 ] && echo "$e" | grep -q "for another kernel"
ok $? "read --pid with a System.map of another kernel is refused: $e"
perl -pe 's/("task_struct":\{.*?"mm":\{"offset":)(\d+)/$1.($2-8)/e' $d/k.isf.json >$d/mm8.json
is "$(jq .user_types.task_struct.fields.mm.offset $d/mm8.json)" \
    "$(($(jq .user_types.task_struct.fields.mm.offset $d/k.isf.json) - 8))" "an ISF with task_struct.mm moved"
e=$("$S" --vm $vm --profile $d/mm8.json translate "$va" --pid "$sleeper" 2>&1); r=$?
[ $r -eq 1 ] && echo "$e" | grep -q "^armvmi: pid $sleeper (.*) is a kernel thread: it has no user"
ok $? "translate --pid follows that ISF's task_struct.mm: $e"
"$A" vm resume $vm >/dev/null
