#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Virtual addresses on the real Debian guest, against two oracles at the same paused moment:
# the guest kernel's own /proc/self/pagemap and QEMU's MMU (QMP gva2gpa).
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
A=$ARMVMI

# gva2gpa VM VA: QEMU's translation with the current vCPU state, as 0x... or "unmapped"
gva2gpa() {
    qmp "$1" "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"gva2gpa $2\"}}" |
        sed -n 's/.*gpa: \(0x[0-9a-f]*\).*/\1/p; s/.*[Uu]nmapped.*/unmapped/p'
}
pa_of() { # pa_of VM VA [translate options]: armvmi's answer as 0x...
    local vm=$1 va=$2; shift 2
    "$A" --vm "$vm" translate "$va" --json "$@" | jq -r 'if .pa then "0x" + (.pa | tostring) else "fault" end' |
        while read -r v; do [ "$v" = fault ] && echo fault || printf '0x%x\n' "${v#0x}"; done
}

plan 14
vm=it-tr
vm_start $vm; ok $? "vm start"

# Kernel addresses while the idle guest is at EL1 (gva2gpa checks the current EL's
# permissions, so kernel pages look unmapped to it from EL0): vectors, code, stack, current.
el=; for i in $(seq 50); do
    $A vm pause $vm >/dev/null
    regs=$($A --vm $vm regs --json); el=$(echo "$regs" | jq -r .el)
    # idle in the kernel: at EL1 with SP_EL0 holding the current task (a kernel address);
    # on entry from EL0 it still holds the user stack for a few instructions
    case "$(echo "$regs" | jq -r .regs.SP_EL0)" in 0xffff*) [ "$el" = 1 ] && break ;; esac
    $A vm resume $vm >/dev/null; sleep 0.05
done
is "$el" 1 "paused with the idle vCPU at EL1"
r=0; list=""
for reg in VBAR_EL1 PC SP SP_EL0; do
    va=$(echo "$regs" | jq -r ".regs.$reg")
    mine=$(pa_of $vm "$va"); q=$(gva2gpa $vm "$va")
    [ "$mine" = "$q" ] && [ "$mine" != fault ] || { r=1; diag "$reg $va: armvmi $mine, gva2gpa $q"; }
    list="$list $reg"
done
ok $r "kernel addresses ($list ) translate as QEMU's MMU does"

# 200 kernel addresses around the vector table: faults and all, as QEMU sees them
vbar=$(echo "$regs" | jq -r .regs.VBAR_EL1)
r=0
for i in $(seq 0 199); do
    va=$(printf '0x%x' $(( vbar - 0x40000 + i * 0x1000 * 13 )))
    mine=$(pa_of $vm "$va"); q=$(gva2gpa $vm "$va")
    [ "$mine" = fault ] && mine=unmapped
    [ "$mine" = "$q" ] || { r=1; diag "$va: armvmi $mine, gva2gpa $q"; }
done
ok $r "200 kernel pages near the vectors agree with QEMU's MMU"

$A vm resume $vm >/dev/null


# the program runs in the background so the shell can show its VMAs (/proc/PID/maps)
out=$(console $vm 'pages 60 >/tmp/p.out & for i in $(seq 300); do grep -q SPIN /tmp/p.out && break; sleep 0.1; done; cat /tmp/p.out /proc/$!/maps; printf "MAPS-%s\n" END' "MAPS-END" 90 | tr -d '\r')
maps=$(echo "$out" | grep -E '^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] ')
pages=$(echo "$out" | grep -o 'ARMVMI-PAGE va=0x[0-9a-f]* pa=0x[0-9a-f]* what=[a-z]* word=[0-9a-f]*')
is "$(echo "$pages" | grep -c .)" 10 "the guest program reports 10 pages from pagemap" || diag "$out"

# Pause until the vCPU is in the spinning process at EL0, so TTBR0_EL1 is that process's.
el=; for i in $(seq 100); do
    $A vm pause $vm >/dev/null
    regs=$($A --vm $vm regs --json)
    el=$(echo "$regs" | jq -r .el)
    [ "$el" = 0 ] && break
    $A vm resume $vm >/dev/null; sleep 0.05
done
is "$el" 0 "paused with the vCPU at EL0 in the guest program"
ttbr0=$(echo "$regs" | jq -r .regs.TTBR0_EL1)

r=0; r2=0; r3=0; n=0
while read -r line; do
    va=$(echo "$line" | sed 's/.*va=\(0x[0-9a-f]*\).*/\1/')
    pa=$(echo "$line" | sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/')
    word=$(echo "$line" | sed 's/.*word=\([0-9a-f]*\).*/\1/')
    mine=$(pa_of $vm "$va" --ttbr0 "$ttbr0")
    [ "$mine" = "$(printf '0x%x' "$pa")" ] || { r=1; diag "$va: armvmi $mine, pagemap $pa"; }
    q=$(gva2gpa $vm "$va")
    [ "$mine" = "$q" ] || { r2=1; diag "$va: armvmi $mine, QEMU gva2gpa $q"; }
    # the first 8 bytes the program printed, read back through the VA (little-endian)
    got=$($A --vm $vm read --va "$va" 8 --json --ttbr0 "$ttbr0" | jq -r .hex)
    le=$(echo "$word" | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')
    [ "$got" = "$le" ] || { r3=1; diag "$va: read --va $got, program saw $le"; }
    n=$((n + 1))
done <<< "$pages"
ok $r "translate with the process's TTBR0 gives the frames /proc/self/pagemap reports ($n pages)"
ok $r2 "and the frames QEMU's MMU gives (gva2gpa)"
ok $r3 "read --va returns the bytes the program saw"

# pages: the process's whole lower half, against its VMAs and its pagemap
pj=$($A --vm $vm pages --user --ttbr0 "$ttbr0" --json)
nr=$(echo "$pj" | jq '.ranges | length')
[ "$nr" -gt 5 ] && [ "$(echo "$maps" | wc -l)" -gt 3 ]; ok $? "pages lists the process's mapped ranges ($nr) and the guest lists its VMAs"
r=0
while read -r lo hi; do
    inside=0
    while read -r vlo vhi; do
        [ $((lo)) -ge $((0x$vlo)) ] && [ $((hi)) -lt $((0x$vhi)) ] && { inside=1; break; }
    done < <(echo "$maps" | sed 's/^\([0-9a-f]*\)-\([0-9a-f]*\) .*/\1 \2/')
    [ $inside -eq 1 ] || { r=1; diag "mapped range $lo-$hi is in no VMA of /proc/PID/maps"; }
done < <(echo "$pj" | jq -r '.ranges[] | .va + " " + .va_last')
ok $r "every mapped user range lies inside one of the process's VMAs"
r=0
while read -r line; do
    va=$(echo "$line" | sed 's/.*va=\(0x[0-9a-f]*\).*/\1/')
    pa=$(echo "$line" | sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/')
    hit=$(echo "$pj" | jq -r --arg va "$(printf '%d' "$va")" '.ranges[] | select((.va | ltrimstr("0x") | explode | map(if . >= 97 then . - 87 else . - 48 end) | reduce .[] as $d (0; . * 16 + $d)) as $lo
        | ($va | tonumber) >= $lo and ($va | tonumber) < $lo + .size) | .pa + (($va | tonumber) - (.va | ltrimstr("0x") | explode | map(if . >= 97 then . - 87 else . - 48 end) | reduce .[] as $d (0; . * 16 + $d)))' | head -n 1)
    [ -n "$hit" ] && [ "$hit" -eq $((pa)) ] || { r=1; diag "$va: pages gives ${hit:-nothing}, pagemap $pa"; }
done <<< "$pages"
ok $r "the program's pages are in those ranges with the frames pagemap reports"

$A --vm $vm translate "$(echo "$pages" | head -n 1 | sed 's/.*va=\(0x[0-9a-f]*\).*/\1/')" --ttbr0 "$ttbr0" --trace > "$ARMVMI_RUNTIME_DIR/trace" 2>&1 ||
    true
grep -c '^  s1 L' "$ARMVMI_RUNTIME_DIR/trace" | grep -qx 4; ok $? "--trace shows the four levels of the user page's walk"
fault=$($A --vm $vm translate 0x10 --json --ttbr0 "$ttbr0" | jq -r '.fault + " " + (.fault_level|tostring)')
case "$fault" in "translation "*) r=0 ;; *) r=1; diag "got: $fault" ;; esac
ok $r "an unmapped address is a translation fault with its level"
$A vm resume $vm >/dev/null
exit 0
