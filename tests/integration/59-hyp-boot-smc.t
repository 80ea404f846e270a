#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 59-hyp-boot-smc.t — a VM held at boot for a monitor (`vm start --hyp --hold`) and the SMC events
# of the guest's own boot-time PSCI calls:
# - the CLI refuses --hold without --hyp, --hold-timeout without --hold, and bad times;
# - smp=2, the default Debian guest: `vm start --hold` returns with vCPU 0 held before the
#   kernel's first instruction (console line, `vm list` state held, no guest output, `regs`
#   shows the entry state the hypervisor then prints); `armvmi trace smc` attached to it sees
#   the boot from its first SMC: PSCI_VERSION as seq 1, PSCI_FEATURES probes, and one CPU_ON
#   (0xc4000003) from vCPU 0 for MPIDR 1 with x2 = the PA of secondary_entry (the guest's
#   /proc/kallsyms translated by our walker; also where the hypervisor starts cpu1) and x3 = 0;
#   the guest then has CPUs 0-1 online;
# - `trace step --vcpu 0` on a held VM steps the kernel's first instructions (MMU off): the
#   first event is at the entry the hypervisor printed (stepping starts before the instruction
#   at the PC runs), and each word equals the Image file's at PC - load address;
# - the hold ends when the monitor ends: a raw-ABI monitor (build/hyp/evmon, which sends no
#   RELEASE) keeps the VM held past the hold time while attached; its DETACH releases it; a
#   monitor killed with SIGKILL is declared gone (2 s) and that releases it too;
# - with no monitor, the guest boots by itself after --hold-timeout, and the console says so.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/evmon.sh"
T=$(mktemp -d /tmp/armvmi-59.XXXXXX)
MON=
TR=
cleanup59() {
    [ -n "$MON" ] && kill -9 "$MON" 2>/dev/null
    [ -n "$TR" ] && kill -9 "$TR" 2>/dev/null
    rm -rf "$T"
    tap_cleanup
}
trap cleanup59 EXIT
con() { tr -d '\r' <"$ARMVMI_RUNTIME_DIR/$vm/console.log" 2>/dev/null; }
# wait_con PATTERN SECONDS: until the VM's console log has a line matching PATTERN
wait_con() {
    local i
    for ((i = 0; i < $2 * 4; i++)); do
        con | grep -qE -- "$1" && return 0
        sleep 0.25
    done
    return 1
}
# vm_state: "STATE HELD" of $vm as `vm list --json` shows it
vm_state() { "$ARMVMI" vm list --json | jq -r --arg n "$vm" '.[] | select(.name == $n) | "\(.state) \(.held)"'; }
HELD='held before the guest kernel, waiting for a monitor'

# ---- the options ----
"$ARMVMI" vm start --name bs-x --hold >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q -- '--hold needs --hyp' "$T/err"; ok $? "--hold without --hyp: refused ($(head -c 80 "$T/err"))"
"$ARMVMI" vm start --name bs-x --hyp --hold-timeout 5 >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q -- 'give --hold too' "$T/err"; ok $? "--hold-timeout without --hold: refused"
bad=
for v in 0 86401 5x -1; do
    "$ARMVMI" vm start --name bs-x --hyp --hold --hold-timeout "$v" >/dev/null 2>"$T/err"
    [ $? = 1 ] && grep -q -- '--hold-timeout takes seconds from 1 to 86400' "$T/err" || bad+=" $v"
done
is "$bad" "" "--hold-timeout 0, 86401, 5x, -1: each refused with the range"
[ ! -e "$ARMVMI_RUNTIME_DIR/bs-x" ]; ok $? "no VM directory left by the refused starts"

# ---- smp=2: trace smc attached to a held VM sees the boot's PSCI calls ----
vm=bs-a
t0=$(date +%s)
vm_start $vm --hyp --smp 2 --hold --hold-timeout 120
rc=$?
ok $rc "vm start --hyp --smp 2 --hold: returns ($(($(date +%s) - t0)) s) with the VM held"
con | grep -q "$HELD"; ok $? "the console says vCPU 0 is held, waiting for a monitor"
is "$(vm_state)" "held true" "vm list --json: state held, held true"
"$ARMVMI" vm list | grep -qE "^$vm +held "; ok $? "vm list: STATE column says held"
regs=$("$ARMVMI" --vm $vm regs --vcpu 0 --json 2>"$T/err")
rpc=$(jq -r '.regs.PC' <<<"$regs")
rx0=$(jq -r '.regs.X0' <<<"$regs")
sleep 2
con | grep -qE 'cpu0: entering guest|Booting Linux'
[ $? = 1 ]; ok $? "2 s later vCPU 0 has not entered the guest (no 'entering guest', no Linux banner)"
"$ARMVMI" --vm $vm trace smc --count 1000 --json >"$T/smc.json" 2>"$T/smc.err" &
TR=$!
wait_con 'ARMVMI-INIT-READY' 240
ok $? "with the tracer attached the guest boots to its init"
kill -INT $TR
wait $TR
rc=$?
TR=
ok $rc "trace smc exits 0 on SIGINT (removing its traps)"
grep -q 'held before its kernel (vm start --hold): released now' "$T/smc.err"
ok $? "trace smc says it released the held VM"
# the hypervisor's own order of things, and the state regs showed while held
ord=$(con | grep -nE 'events: monitor attached|vCPU 0 released \(RELEASE from the monitor\)|cpu0: entering guest' | cut -d: -f1 | tr '\n' ' ')
ln=($ord)
[ ${#ln[@]} = 3 ] && [ "${ln[0]}" -lt "${ln[1]}" ] && [ "${ln[1]}" -lt "${ln[2]}" ]
ok $? "console order: monitor attached, vCPU 0 released by the monitor's RELEASE, cpu0 enters the guest (lines $ord)"
entry=$(con | sed -n 's/.*cpu0: entering guest at \(0x[0-9a-f]*\) (x0=\(0x[0-9a-f]*\)).*/\1 \2/p' | head -1)
is "$(printf '0x%x 0x%x' "$rpc" "$rx0")" "$entry" \
    "armvmi regs on the held VM: PC and X0 = the kernel entry and DTB the hypervisor then entered with"
is "$(jq -r .source <<<"$regs")" hyp-record "regs on the held VM came from the hypervisor's vCPU record"
jq -r '"\(.seq) \(.vcpu) \(.x[0]) \(.x[1]) \(.x[2]) \(.x[3]) \(.pc) \(.fn)"' "$T/smc.json" >"$T/smc.txt"
n=$(grep -c . "$T/smc.txt")
diag "$n SMC events during the boot (seq vcpu x0-x3 pc fn); the first 12:"
while read -r l; do diag "  $l"; done < <(head -12 "$T/smc.txt")
# two vCPUs' events taken at nearly the same time may arrive out of seq order (events.h)
is "$(awk '{print $1}' "$T/smc.txt" | sort -n | tr '\n' ' ')" "$(seq -s ' ' 1 "$n") " "seq 1..$n, no gap, no duplicate"
bad=$(awk '{ if (($2 in last) && $1 <= last[$2]) print; last[$2] = $1 }' "$T/smc.txt")
is "$bad" "" "each vCPU's events arrive in seq order"
is "$(head -1 "$T/smc.txt" | awk '{print $2, $3, $8}')" "0 0x84000000 PSCI_VERSION" \
    "the boot's first SMC is seen: seq 1 is PSCI_VERSION (0x84000000) from vCPU 0"
nf=$(awk '$3 == "0x8400000a"' "$T/smc.txt" | wc -l)
[ "$nf" -ge 1 ]; ok $? "PSCI_FEATURES (0x8400000a) probes seen ($nf)"
nk=$(awk '$7 !~ /^0xffff/' "$T/smc.txt" | wc -l)
is "$nk" 0 "every SMC's PC is a kernel address"
on=$(awk '$3 == "0xc4000003"' "$T/smc.txt")
is "$(grep -c . <<<"$on")" 1 "exactly one CPU_ON (0xc4000003)"
# the guest's own view: secondary_entry's VA (its /proc/kallsyms), made a PA by our walker
se=$(console $vm "grep ' secondary_entry\$' /proc/kallsyms; cat /sys/devices/system/cpu/online; printf 'K-%s\n' DONE" K-DONE | tr -d '\r')
sva=$(awk '/ secondary_entry$/ {print $1}' <<<"$se")
sepa=$("$ARMVMI" --vm $vm translate "0x$sva" --json | jq -r '.pa')
is "$(awk '{print $2, $4, $6}' <<<"$on") $(($(awk '{print $5}' <<<"$on")))" "0 0x1 0x0 $((sepa))" \
    "CPU_ON from vCPU 0: x1 = MPIDR 1, x3 = 0, x2 = the PA of secondary_entry (0x$sva -> $(printf 0x%x $((sepa))))"
c1=$(con | sed -n 's/.*cpu1: entering guest at \(0x[0-9a-f]*\).*/\1/p' | head -1)
is "$c1" "$(awk '{print $5}' <<<"$on")" "the hypervisor started cpu1 at CPU_ON's x2"
grep -qx '0-1' <<<"$se"; ok $? "the guest has CPUs 0-1 online (/sys/devices/system/cpu/online)"
n1=$(awk '$2 == 1' "$T/smc.txt" | wc -l)
[ "$n1" -ge 1 ]; ok $? "SMCs from vCPU 1 too once it came up ($n1)"
is "$(vm_state)" "running false" "vm list after the release: running, not held"
"$ARMVMI" vm stop $vm >/dev/null 2>&1

# ---- trace step on a held VM: the kernel's first instructions, MMU off ----
vm=bs-e
vm_start $vm --hyp --hold --hold-timeout 60
"$ARMVMI" --vm $vm trace step --vcpu 0 --count 5 --json >"$T/step.json" 2>"$T/step.err"
ok $? "held VM: trace step --vcpu 0 --count 5 exits 0"
wait_con 'cpu0: entering guest' 10
kaddr=$(con | sed -n 's/.*cpu0: entering guest at \(0x[0-9a-f]*\).*/\1/p' | head -1)
img=$(jq -r .kernel "$ARMVMI_RUNTIME_DIR/$vm/vm.json")
bad= n=0
while read -r pc word el; do
    n=$((n + 1))
    off=$((pc - kaddr))
    fw=0x$(od -An -tx4 -j "$off" -N4 "$img" 2>/dev/null | tr -d ' ')
    [ "$el" = 1 ] && [ "$off" -ge 0 ] && [ $((fw)) = $((word)) ] || bad+=" $pc:$word/$fw"
done < <(jq -r '"\(.pc) \(.word) \(.el)"' "$T/step.json")
[ "$n" = 5 ] && [ -z "$bad" ]
ok $? "5 steps at EL1 from the kernel's entry ($kaddr), MMU off: each word = the Image file's at PC - entry${bad:+ (not so:$bad)}"
first=$(jq -r .pc "$T/step.json" | head -1)
is "$((first))" "$((kaddr))" "the first step event is the kernel's entry itself ($first): stepping starts active-pending (SPSR.SS = 0), before its first instruction runs"
"$ARMVMI" vm stop $vm >/dev/null 2>&1

# ---- a monitor that never sends RELEASE: held while attached; its end releases the VM ----
vm=bs-b
vm_start $vm --hyp --hold --hold-timeout 3
ok $? "smp=1: held VM with a hold time of 3 s"
mon_start --timeout 60
ok $? "a raw-ABI monitor (evmon: no RELEASE) attached"
sleep 5
is "$(vm_state)" "held true" "5 s later, past the hold time: still held while the monitor is attached"
mon_stop() { [ -n "$MON" ] && { kill -"$1" "$MON" 2>/dev/null; wait "$MON" 2>/dev/null; MON=; }; }
mon_stop TERM
wait_con 'vCPU 0 released \(DETACH\)' 10 && wait_con 'cpu0: entering guest' 10
ok $? "the monitor's DETACH releases vCPU 0 into the guest"
is "$(vm_state)" "running false" "vm list: running, not held"
"$ARMVMI" vm stop $vm >/dev/null 2>&1

vm=bs-c
vm_start $vm --hyp --hold --hold-timeout 60
mon_start --timeout 60
ok $? "a second held VM, a monitor attached"
mon_stop KILL
wait_con 'vCPU 0 released \(monitor gone' 15 && wait_con 'cpu0: entering guest' 10
ok $? "monitor killed (SIGKILL, no DETACH): declared gone, vCPU 0 released into the guest"
"$ARMVMI" vm stop $vm >/dev/null 2>&1

# ---- no monitor at all: the hold time runs out and the guest boots by itself ----
vm=bs-d
vm_start $vm --hyp --hold --hold-timeout 3
is "$(vm_state)" "held true" "held VM, no monitor, hold time 3 s"
wait_con 'events: no monitor attached for 3 s' 15 && wait_con 'vCPU 0 released \(the hold time is over\)' 2
ok $? "the console says the hold time ran out with no monitor"
wait_con 'Booting Linux' 30
ok $? "the guest kernel boots by itself"
is "$(vm_state)" "running false" "vm list: running, not held"
"$ARMVMI" vm stop $vm >/dev/null 2>&1

rm -rf "$T"
echo "1..$TAP_N"
exit $((TAP_FAILED > 0))
