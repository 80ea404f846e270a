#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Single-step (`armvmi trace step`, the hypervisor's MDCR_EL2.TDE + software step) of a test
# process, 1 and 2 vCPUs. guest/stepbrk.c `loop K` runs a known loop (calls, conditional
# branches, loads, stores; no system call) K times, each round giving the same value:
# - `trace step --pid P --count N --json --regs` while it loops: exactly N events, seq 1..N,
#   all at EL0 in process P (the Linux layer's pid and comm of the TTBR0, proc = ttbr0);
# - tests/hyp/stepcheck: each step's instruction word (read by armvmi from guest memory) is the
#   program's own ELF file's at that PC, and each next PC is one the instruction can reach
#   (decoded with capstone: PC + 4, the branch target, b.cond/cbz/tbz either, br/blr/ret the
#   register's value from the step's registers);
# - the program's result is unchanged (every round equal, and equal to an unstepped run's);
# - --vcpu 0 without --pid: a count of kernel and user steps ends by itself;
# - stepping is off afterwards: the guest runs on, no debug exception was handed back to it.
# N: ARMVMI_TEST_STEPS (default 2000 for CI; 10000 by hand).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/guestsh.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
B=${ARMVMI_BUILD:-build}
[ -r "$B/hyp/armvmi-hyp.elf" ] || skip_all "the hypervisor is not built (no aarch64 cross compiler)"
[ -x "$B/hyp/stepcheck" ] || skip_all "the trace checker $B/hyp/stepcheck is not built"
[ -r "$B/guest/stepbrk" ] || skip_all "the guest program $B/guest/stepbrk is not built"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
N=${ARMVMI_TEST_STEPS:-2000}
plan 22
T=$(mktemp -d /tmp/armvmi-57.XXXXXX)

# sb_line VM FILE PATTERN [TRIES]: the line of the guest's FILE matching PATTERN (1 s apart)
sb_line() {
    local i r
    for ((i = 0; i < ${4:-60}; i++)); do
        r=$(console "$1" "grep '$3' $2; printf 'L-%s\n' DONE" L-DONE 15 2>/dev/null | tr -d '\r' | grep "$3")
        [ -n "$r" ] && { echo "$r"; return 0; }
        sleep 1
    done
    return 1
}

for smp in 1 2; do
    vm=it-st$smp
    vm_start $vm --hyp --smp $smp && shell_ready $vm; ok $? "smp=$smp: vm start --hyp, its shell answers"
    ref=$(console $vm 'stepbrk loop 1; printf "R-%s\n" DONE' R-DONE 60 | tr -d '\r' | sed -n 's/^SB-RESULT //p')
    [ -n "$ref" ]; ok $? "smp=$smp: the program's result, unstepped: $ref"

    # until SIGUSR1 (at most 100000 rounds of ~10 ms): the trace attaches while it loops
    console $vm 'mkdir -p /tmp/sb; (stepbrk loop 100000 >/tmp/sb/log 2>&1 &); printf "S-%s\n" UP' S-UP >/dev/null
    pid=$(sb_line $vm /tmp/sb/log '^SB pid=' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    [ -n "$pid" ]; ok $? "smp=$smp: the program runs (pid $pid)"
    timeout 600 "$A" --vm $vm trace step --pid "$pid" --count "$N" --json --regs >"$T/out" 2>"$T/err"
    ok $? "smp=$smp: trace step --pid $pid --count $N ends by itself (exit 0)"
    is "$(jq -r .seq "$T/out" | awk -v n="$N" '$1 == NR {k++} END {print k + 0, NR}')" "$N $N" \
        "smp=$smp: $N events, seq 1..$N"
    is "$(jq -r '"\(.el) \(.pid) \(.comm) \(.proc)"' "$T/out" | sort -u)" "0 $pid stepbrk ttbr0" \
        "smp=$smp: every step at EL0 in process $pid (stepbrk), named by its TTBR0 (trace_proc)"
    chk=$("$B/hyp/stepcheck" "$B/guest/stepbrk" <"$T/out")
    ok $? "smp=$smp: every next PC is reachable from the previous instruction"
    diag "$chk"
    last=$(tail -n 1 <<<"$chk")
    words=$(sed -n 's/.* words=\([0-9]*\).*/\1/p' <<<"$last")
    br=$(sed -n 's/.* branches=\([0-9]*\).*/\1/p' <<<"$last")
    [ "$words" = "$N" ] && [ "${br:-0}" -gt $((N / 20)) ]
    ok $? "smp=$smp: all $N instruction words match the ELF file; $br branches taken or not among them"
    console $vm "kill -USR1 $pid; printf 'K-%s\n' DONE" K-DONE >/dev/null
    got=$(sb_line $vm /tmp/sb/log '^SB-RESULT' 60)
    is "$got" "SB-RESULT $ref" "smp=$smp: the program's result is unchanged (every round equal to the unstepped run)"
    grep -q "handed back 0;" "$T/err"; ok $? "smp=$smp: no debug exception was handed back to the guest ($(tail -n 1 "$T/err"))"

    # the kernel too: vCPU 0, whatever runs
    timeout 300 "$A" --vm $vm trace step --vcpu 0 --count 200 --json >"$T/out2" 2>"$T/err2"
    [ $? = 0 ] && [ "$(wc -l <"$T/out2")" = 200 ]; ok $? "smp=$smp: trace step --vcpu 0 --count 200: 200 steps ($(jq -r .el "$T/out2" | sort | uniq -c | tr -s ' \n' ' '))"
done
rm -rf "$T"
exit $((TAP_FAILED > 0))
