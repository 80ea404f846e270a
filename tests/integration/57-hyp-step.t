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
# - stepping is off afterwards: the guest runs on, no debug exception was handed back to it;
# - the guest's own single-step under ours: `stepbrk ptsteps` ptrace-single-steps a child
#   (PTRACE_SINGLESTEP: Linux sets MDSCR_EL1.SS and SPSR_EL1.SS) M times, recording each PC;
#   with `trace step --pid CHILD` on the very process the guest steps, the guest's PCs and
#   result are those of an unstepped run, each of its step exceptions was handed back to it,
#   our first event is the child's first instruction (where it resumes after its stop's svc:
#   stepping starts before it runs) and our next M events (EL0 only: the kernel between its
#   steps is not stepped) are exactly the guest's PCs, in order; the ones after them are the child's own instructions after
#   PTRACE_CONT (stepbrk's words), stepped on to its exit_group svc, every next PC reachable
#   from the previous instruction (stepcheck: no gap, and no second event at the guest's last
#   PC, whose instruction had not run when its step exception was handed back); when the child
#   exits our trace ends by itself (Linux frees its page-table root, which the next processes
#   may get: they are not stepped as the child);
# - a process that makes system calls (`stepbrk sysloop 100`: 100 rounds of a 3-instruction
#   loop counting in x20, then getppid): with --pid, stepping stops at the process's first
#   instruction in the kernel (the kernel is not stepped) and resumes at the instruction the
#   kernel returns to (the hypervisor's reserved hardware breakpoint at ELR_EL1, hyp/arch/rbp.c),
#   so the trace is strict across system calls too: stepcheck --svc-gap 20 counts the svcs and
#   every next step after one must be at svc + 4 with x20 unchanged (no user instruction
#   missed; no signal is delivered meanwhile); the program's count is right and the guest logs
#   no RCU stall.
# - smp=1: the guest's own hardware breakpoints in every slot while we step a process with
#   --pid: `stepbrk ptraceall R` ptrace-sets a breakpoint in each slot Linux offers (the one the
#   hypervisor reserves too) and must stop at each, in order, R rounds, as unstepped; the
#   hypervisor says on its console that it fell back (the guest enabled the reserved slot); the
#   stepped sysloop's trace stays reachable PC to PC and its count right (R:
#   ARMVMI_TEST_PTALL, default 10).
# - the guest's own ptrace single-step (3000 steps) while we step vCPU 0 whole (`trace step --vcpu
#   0`, kernel and user), both pinned to cpu0: the guest's PCs and result are unchanged, some of
#   its step exceptions came under ours and were handed back, our trace ends by itself, and
#   each of our steps from EL0 into the kernel is at the lower-EL synchronous vector (vectors +
#   0x400 from the guest's /proc/kallsyms: a handed-back step runs it like any exception);
# - exclusive load/store loops (`stepbrk llsc`: ldaxr/stlxr, ldxrb/stxrb, ldaxp/stlxp with a cbnz back,
#   a cmpxchg with a b.ne out): a stepped store-exclusive always fails (each step's exception
#   clears the exclusive monitor), so the hypervisor runs each sequence at once up to hardware
#   breakpoints at its exits (hyp/arch/exclseq.c): `trace step --pid` ends by itself with
#   --count, stepcheck accepts each step from a load-exclusive to the instruction after its
#   store-exclusive or the b.ne's target only with "excl": true (both exits seen), the rounds
#   (x20) advance while stepped, the program's counters are right, nothing is handed back to
#   the guest, no RCU stall; the same with `trace step --vcpu 0` (kernel and user) and the
#   program pinned to cpu0: the trace ends, its sequences are stepped over at EL0, its counters
#   are right; and at EL1: the bare-metal trap guest's LL/SC loops stepped whole (each "excl" step
#   from a load-exclusive, no step inside a sequence, both exits, the rounds advance)
#   (NL: ARMVMI_TEST_LLSC_STEPS, default 2000);
# - where stepping starts: the trap guest's vCPU paused in the hypervisor (build/hyp/evmon
#   --pause-step), STEP sent, resumed: the first step event is at the PC its record showed while
#   paused (the instruction there is reported before it runs, not skipped);
# N: ARMVMI_TEST_STEPS (default 2000 for CI; 10000 by hand); K2: ARMVMI_TEST_WHOLE_STEPS
# (default 200000: a few of the guest's ptrace steps, after the stepped timer interrupts the
# trace may begin with: tens of thousands of steps, see the LL/SC check).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/guestsh.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
B=${ARMVMI_BUILD:-build}
[ -r "$B/hyp/armvmi-hyp.elf" ] || skip_all "the hypervisor is not built (no aarch64 cross compiler)"
[ -x "$B/hyp/stepcheck" ] || skip_all "the trace checker $B/hyp/stepcheck is not built"
[ -r "$B/guest/stepbrk" ] || skip_all "the guest program $B/guest/stepbrk is not built"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v aarch64-linux-gnu-objdump >/dev/null || skip_all "aarch64-linux-gnu-objdump is not installed"
A=$ARMVMI
N=${ARMVMI_TEST_STEPS:-2000}
NL=${ARMVMI_TEST_LLSC_STEPS:-2000}
M2=3000
K2=${ARMVMI_TEST_WHOLE_STEPS:-200000}
plan 117
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

    # the guest's own ptrace single-step of a child, and ours of the same child
    M=300
    pt=$(console $vm "mkdir -p /tmp/pt0; touch /tmp/pt0/go; stepbrk ptsteps /tmp/pt0 $M; printf 'P-%s\n' DONE" P-DONE 120 | tr -d '\r' | grep '^SB-PTSTEPS')
    [[ "$pt" == "SB-PTSTEPS n=$M "*" exit=0" ]]; ok $? "smp=$smp: the guest ptrace-steps a child $M times, unstepped: $pt"
    console $vm "mkdir -p /tmp/pt1; (stepbrk ptsteps /tmp/pt1 $M >/tmp/pt1/log 2>&1 &); printf 'S-%s\n' UP" S-UP >/dev/null
    cpid=$(sb_line $vm /tmp/pt1/log '^SB pid=' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    [ -n "$cpid" ]; ok $? "smp=$smp: the child stopped under ptrace (pid $cpid)"
    : >"$T/err3"
    "$A" --vm $vm trace step --pid "$cpid" --json --regs >"$T/out3" 2>"$T/err3" &
    TR=$!
    for ((i = 0; i < 300; i++)); do grep -q 'tracing;' "$T/err3" && break; sleep 0.2; done
    grep -q 'tracing;' "$T/err3"; ok $? "smp=$smp: trace step --pid $cpid: stepping"
    console $vm "touch /tmp/pt1/go; printf 'G-%s\n' DONE" G-DONE >/dev/null
    got=$(sb_line $vm /tmp/pt1/log '^SB-PTSTEPS' 120)
    is "$got" "$pt" "smp=$smp: with ours on the same child, the guest's $M steps give the same PCs and result"
    # The child has exited (PTRACE_CONT, then _exit): Linux frees its page-table root, the table
    # base the hypervisor filters on, and the next processes (these execs) may get it: the trace
    # must end by itself, with no event of theirs (before, it stepped them as the child).
    console $vm "for i in 1 2 3 4 5 6 7 8; do /bin/busybox true; done; printf 'X-%s\n' DONE" X-DONE >/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 $TR 2>/dev/null || break; sleep 0.2; done
    kill -0 $TR 2>/dev/null && kill -INT $TR
    wait $TR; rc=$?
    [ $rc = 0 ] && grep -q "process $cpid has exited" "$T/err3"
    ok $? "smp=$smp: the child exited: the trace ends by itself, exit 0 ($rc; $(grep -c . "$T/err3") lines on stderr)"
    gpcs=$(console $vm "cat /tmp/pt1/pcs; printf 'C-%s\n' DONE" C-DONE 60 | tr -d '\r' | grep '^0x')
    is "$(wc -l <<<"$gpcs")" "$M" "smp=$smp: the guest recorded $M PCs"
    k=$(wc -l <"$T/out3")
    # stepping starts before the child's first instruction runs: our first event is the one it
    # resumes at, after its raise(SIGSTOP)'s svc (stepbrk's ELF: svc #0 just before it)
    p0=$(head -n 1 "$T/out3" | jq -r .pc)
    aarch64-linux-gnu-objdump -d --start-address=$((p0 - 4)) --stop-address=$((p0)) "$B/guest/stepbrk" |
        grep -qE '^ *[0-9a-f]+:[[:space:]]+d4000001[[:space:]]+svc'
    ok $? "smp=$smp: our first step event is the child's first instruction, after its stop's svc ($p0)"
    is "$(sed -n "2,$((M + 1))p" "$T/out3" | jq -r .pc | md5sum)" "$(md5sum <<<"$gpcs")" "smp=$smp: our next $M step events (of $k) are the guest's $M PCs, in order"
    # after PTRACE_CONT the child is stepped on from where the kernel returns to it (the
    # reserved breakpoint): its own instructions, stepbrk's words at their PCs
    chk=none
    [ "$k" -le $((M + 1)) ] || { chk=$(tail -n +$((M + 2)) "$T/out3" | "$B/hyp/stepcheck" "$B/guest/stepbrk" | tail -n 1)
        [[ "$chk" == *" words=$((k - M - 1)) word_mismatch=0 "* ]]; }; ok $? "smp=$smp: the $((k - M - 1)) events after them are the child's own instructions ($chk)"
    is "$(jq -r '"\(.word) \(.x[8])"' "$T/out3" | tail -n 1)" "0xd4000001 0x5e" \
        "smp=$smp: the child is stepped on to its exit: the last of $k events is its exit_group svc"
    chk=$("$B/hyp/stepcheck" --svc-gap 20 "$B/guest/stepbrk" <"$T/out3")
    ok $? "smp=$smp: every next PC of the child's $k steps is reachable from the previous instruction"
    diag "$chk"
    is "$(jq -r '"\(.el) \(.pid)"' "$T/out3" | sort -u)" "0 $cpid" "smp=$smp: every event at EL0 in the child"
    n=$(sed -n 's/.*handed back \([0-9]*\);.*/\1/p' "$T/err3")
    is "$n" "$M" "smp=$smp: each of the guest's $M step exceptions was handed back to it"

    # the guest's own ptrace single-step while we step vCPU 0 whole (kernel and user, no --pid),
    # both programs pinned there: a ptrace step is ~16,000 of ours, so K2 covers a few
    console $vm "mkdir -p /tmp/pt2 /tmp/pt3; touch /tmp/pt2/go /tmp/pt3/go; printf 'M-%s\n' DONE" M-DONE >/dev/null
    ref2=$(console $vm "taskset 1 stepbrk ptsteps /tmp/pt2 $M2; printf 'P-%s\n' DONE" P-DONE 300 | tr -d '\r' | grep '^SB-PTSTEPS')
    [[ "$ref2" == "SB-PTSTEPS n=$M2 "*" exit=0" ]]; ok $? "smp=$smp: on cpu0, the guest ptrace-steps a child $M2 times, unstepped: $ref2"
    vec=$(console $vm "grep ' vectors\$' /proc/kallsyms; printf 'V-%s\n' DONE" V-DONE 30 | tr -d '\r' | sed -n 's/^\([0-9a-f]\{16\}\) [tT] vectors$/\1/p')
    # it starts stepping 2 s after go (busy at EL0: our trace holds cpu0's interrupts), by which
    # time our trace has begun (after its fork and exec, which would use up our K2 steps)
    console $vm "(taskset 1 stepbrk ptsteps /tmp/pt3 $M2 2000 >/tmp/pt3/log 2>&1 &); printf 'S-%s\n' UP" S-UP >/dev/null
    sb_line $vm /tmp/pt3/log '^SB pid=' >/dev/null
    timeout 900 "$A" --vm $vm trace step --vcpu 0 --count "$K2" --json >"$T/out5" 2>"$T/err5"
    [ $? = 0 ] && [ "$(wc -l <"$T/out5")" = "$K2" ]; ok $? "smp=$smp: meanwhile trace step --vcpu 0 --count $K2 (kernel and user) ends by itself (exit 0)"
    got=$(sb_line $vm /tmp/pt3/log '^SB-PTSTEPS' 300)
    is "$got" "$ref2" "smp=$smp: with the whole vCPU stepped by us, the guest's $M2 steps give the same PCs and result"
    n=$(sed -n 's/.*handed back \([0-9]*\);.*/\1/p' "$T/err5")
    [ "${n:-0}" -ge 1 ]; ok $? "smp=$smp: $n of the guest's step exceptions came while we stepped, and were handed back (steps by EL: $(jq -r .el "$T/out5" | sort | uniq -c | tr -s ' \n' ' '))"
    # each entry from EL0 into the kernel is a synchronous exception (system call, fault, the
    # guest's own step: interrupts are held) and runs the lower-EL synchronous vector first
    want=$(printf '0x%x' $((0x${vec:-0} + 0x400)))
    read -r kv nv < <(jq -r '"\(.el) \(.pc)"' "$T/out5" | awk -v w="$want" 'BEGIN {p = -1} $1 == 1 && p == 0 {n++; if ($2 == w) k++} {p = $1} END {print k + 0, n + 0}')
    [ -n "$vec" ] && [ "$nv" -ge 1 ] && [ "$kv" = "$nv" ]
    ok $? "smp=$smp: each of our $nv steps from EL0 into the kernel is at the vector $want ($kv are)"

    # system calls: stepping parked in the kernel, re-armed back in the process
    console $vm "mkdir -p /tmp/sb; (stepbrk sysloop 100 >/tmp/sb/sys 2>&1 &); printf 'S-%s\n' UP" S-UP >/dev/null
    spid=$(sb_line $vm /tmp/sb/sys '^SB pid=' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    [ -n "$spid" ]; ok $? "smp=$smp: stepbrk sysloop runs (pid $spid)"
    timeout 600 "$A" --vm $vm trace step --pid "$spid" --count "$N" --json --regs >"$T/out4" 2>"$T/err4"
    ok $? "smp=$smp: trace step --pid $spid --count $N ends by itself (exit 0)"
    is "$(jq -r '"\(.el) \(.pid)"' "$T/out4" | sort -u)" "0 $spid" "smp=$smp: every step at EL0 in process $spid"
    chk=$("$B/hyp/stepcheck" --svc-gap 20 "$B/guest/stepbrk" <"$T/out4") && grep -q "steps=$N " <<<"$chk"
    ok $? "smp=$smp: every next PC is reachable from the previous instruction, but right after an svc"
    mapfile -t lines <<<"$chk"
    diag "${lines[@]}"
    gaps=$(sed -n 's/^SVCGAP gaps=\([0-9]*\).*/\1/p' <<<"$chk")
    [ "${gaps:-0}" -ge 2 ]; ok $? "smp=$smp: the trace went through $gaps system calls and on"
    sum=$(sed -n 's/.* x20_delta_sum=\([0-9]*\).*/\1/p' <<<"$chk")
    resumed=$(sed -n 's/.* resumed_next=\([0-9]*\).*/\1/p' <<<"$chk")
    diag "smp=$smp: user instructions missed after a system call: about 3 x $sum / $gaps = $((3 * ${sum:-0} / (${gaps:-0} > 0 ? gaps : 1))) on average"
    [ "${gaps:-0}" -ge 2 ] && [ "$resumed" = "$gaps" ] && [ "$sum" = 0 ]
    ok $? "smp=$smp: after each of the $gaps svcs the next step is svc + 4 ($resumed), no user instruction missed (x20 moved by ${sum:-?})"
    console $vm "kill -USR1 $spid; printf 'K-%s\n' DONE" K-DONE >/dev/null
    got=$(sb_line $vm /tmp/sb/sys '^SB-SYSLOOP' 60)
    [[ "$got" =~ ^SB-SYSLOOP\ ([0-9]+)\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" = $((BASH_REMATCH[2] * 100)) ]
    ok $? "smp=$smp: the program's count is right ($got)"
    is "$(console $vm "dmesg | grep -ci 'rcu.*stall'; printf 'R-%s\n' DONE" R-DONE 30 | tr -d '\r' | grep -x "[0-9][0-9]*")" 0 \
        "smp=$smp: no RCU stall in the guest's log"

    # exclusive load/store loops (LL/SC): a stepped store-exclusive always fails (each step's
    # exception entry and return clear the monitor), so the hypervisor runs each sequence at
    # once up to breakpoints at its exits (hyp/arch/exclseq.c) and reports one step ("excl")
    console $vm "(stepbrk llsc >/tmp/sb/llsc 2>&1 &); printf 'S-%s\n' UP" S-UP >/dev/null
    lpid=$(sb_line $vm /tmp/sb/llsc '^SB pid=' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    [ -n "$lpid" ]; ok $? "smp=$smp: stepbrk llsc runs (pid $lpid)"
    timeout 300 "$A" --vm $vm trace step --pid "$lpid" --count "$NL" --json --regs >"$T/out7" 2>"$T/err7"
    [ $? = 0 ] && [ "$(wc -l <"$T/out7")" = "$NL" ]
    ok $? "smp=$smp: trace step --pid $lpid --count $NL over LL/SC loops ends by itself ($(wc -l <"$T/out7") steps)"
    is "$(jq -r '"\(.el) \(.pid)"' "$T/out7" | sort -u)" "0 $lpid" "smp=$smp: every step at EL0 in process $lpid"
    chk=$("$B/hyp/stepcheck" "$B/guest/stepbrk" <"$T/out7")
    ok $? "smp=$smp: every next PC is reachable, a step over an exclusive sequence from its load-exclusive to an exit"
    diag "$chk"
    ex=$(sed -n 's/.* excl=\([0-9]*\).*/\1/p' <<<"$chk")
    # ldaxr, ldxrb, ldaxp and the cmpxchg per round: 4 sequences in ~31 steps; both exits of the
    # cmpxchg
    xr=$(jq -r 'select(.excl) | .insn' "$T/out7" | sort | uniq -c | tr -s ' \n' ' ')
    [ "${ex:-0}" -ge $((NL / 20)) ] && grep -q 'clrex' <<<"$xr" && grep -q 'cbnz' <<<"$xr"
    ok $? "smp=$smp: $ex steps over exclusive sequences, leaving by the store-exclusive's cbnz and by the cmpxchg's b.ne ($xr)"
    r0=$(jq -r '.x[20]' "$T/out7" | head -n 1); r1=$(jq -r '.x[20]' "$T/out7" | tail -n 1)
    [ -n "$r0" ] && [ $((r1 - r0)) -ge $((NL / 40)) ]
    ok $? "smp=$smp: the loops made progress while stepped: rounds (x20) $r0 -> $r1"
    console $vm "kill -USR1 $lpid; printf 'K-%s\n' DONE" K-DONE >/dev/null
    got=$(sb_line $vm /tmp/sb/llsc '^SB-LLSC' 60)
    [[ "$got" == *" good=1" ]]; ok $? "smp=$smp: the program's counters are right ($got)"
    grep -q "handed back 0;" "$T/err7"; ok $? "smp=$smp: no debug exception was handed back to the guest ($(tail -n 1 "$T/err7"))"
    is "$(console $vm "dmesg | grep -ci 'rcu.*stall'; printf 'R-%s\n' DONE" R-DONE 30 | tr -d '\r' | grep -x "[0-9][0-9]*")" 0 \
        "smp=$smp: no RCU stall in the guest's log after the LL/SC steps"
    # the same with the whole vCPU stepped (kernel and user, no --pid), the program pinned there
    console $vm "(taskset 1 stepbrk llsc >/tmp/sb/llsc2 2>&1 &); printf 'S-%s\n' UP" S-UP >/dev/null
    lpid=$(sb_line $vm /tmp/sb/llsc2 '^SB pid=' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    # the trace may begin in the kernel: a timer interrupt taken as it starts is handled stepped,
    # and with the guest's clock running on meanwhile (a step is ~0.2 ms) its handlers find more
    # expired timers, ticks and softirq work: 10000 steps were all in the kernel 4 runs of 12
    # with smp=1 (its first EL0 step came after 26000 once in 6 runs of 60000). Up to 3
    # traces, each must end by itself, until the program's sequences were seen.
    NV=$((30 * NL)); : >"$T/out8"; tries=0; rc8=0
    while [ $tries -lt 3 ]; do
        tries=$((tries + 1))
        timeout 300 "$A" --vm $vm trace step --vcpu 0 --count "$NV" --json >"$T/out8.$tries" 2>"$T/err8"
        [ $? = 0 ] && [ "$(wc -l <"$T/out8.$tries")" = "$NV" ] || rc8=1
        diag "smp=$smp: trace $tries of --vcpu 0: steps by EL: $(jq -r .el "$T/out8.$tries" | sort | uniq -c | tr -s ' \n' ' ')"
        cat "$T/out8.$tries" >>"$T/out8"
        [ "$(jq -r 'select(.excl) | .pid' "$T/out8" | grep -cx "$lpid")" -ge $((NL / 40)) ] && break
    done
    ok $rc8 "smp=$smp: trace step --vcpu 0 --count $NV with stepbrk llsc (pid $lpid) on cpu0 ends by itself ($tries trace(s))"
    ex=$(jq -r 'select(.excl) | "\(.el) \(.pid)"' "$T/out8" | sort | uniq -c | tr -s ' \n' ' ')
    n=$(jq -r 'select(.excl) | .pid' "$T/out8" | grep -cx "$lpid")
    [ "${n:-0}" -ge $((NL / 40)) ] && [ "$(jq -r 'select(.excl) | .el' "$T/out8" | sort -u)" = 0 ]
    ok $? "smp=$smp: its exclusive sequences were stepped over at EL0 ($ex; pid el: $(jq -r '"\(.pid) \(.el)"' "$T/out8" | sort | uniq -c | sort -rn | head -n 4 | tr -s ' \n' ' '))"
    console $vm "kill -USR1 $lpid; printf 'K-%s\n' DONE" K-DONE >/dev/null
    got=$(sb_line $vm /tmp/sb/llsc2 '^SB-LLSC' 60)
    [[ "$got" == *" good=1" ]]; ok $? "smp=$smp: its counters are right ($got)"

    [ "$smp" = 1 ] || continue
    # a process that makes no system call (stepbrk loop), stepped with --pid --irqs: its vCPU's
    # timer interrupts go on (taken at EL0, handled by the unstepped kernel, stepping resumed at
    # the interrupted instruction by the reserved breakpoint: no gap, no duplicate); without
    # --irqs they are held for the whole trace (a soft lockup in the guest's log after ~20 s).
    # Before ptraceall below: once the guest has taken the reserved breakpoint pair, a vCPU
    # resumes at its next exit instead (a gap).
    console $vm "(stepbrk loop 100000 >/tmp/sb/lk 2>&1 &); printf 'S-%s\n' UP" S-UP >/dev/null
    kpid=$(sb_line $vm /tmp/sb/lk '^SB pid=' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    ticks() { console $vm "grep arch_timer /proc/interrupts; printf 'I-%s\n' DONE" I-DONE | tr -d '\r' | awk '$1 ~ /^[0-9]+:$/ && /arch_timer/ {print $2}'; }
    k0=$(ticks)
    timeout 120 "$A" --vm $vm trace step --pid "$kpid" --duration 6 --irqs --json --regs >"$T/out10" 2>"$T/err10"
    rc=$?; k1=$(ticks)
    timeout 120 "$A" --vm $vm trace step --pid "$kpid" --duration 6 --json >"$T/out11" 2>"$T/err11"
    rc=$((rc | $?)); k2=$(ticks)
    f10=$(sed -n 's/.*filtered out by the hypervisor \([0-9]*\).*/\1/p' "$T/err10")
    f11=$(sed -n 's/.*filtered out by the hypervisor \([0-9]*\).*/\1/p' "$T/err11")
    diag "smp=$smp: 6 s of stepbrk loop stepped: the guest's cpu0 timer interrupts +$((k1 - k0)) (kernel entries $f10, $(wc -l <"$T/out10") steps), held +$((k2 - k1)) (kernel entries $f11, $(wc -l <"$T/out11") steps)"
    [ $rc = 0 ] && [ "${f10:-0}" -ge 100 ] && [ "${f11:-1}" -le 5 ] && [ $((k1 - k0)) -ge 300 ] && [ $((k1 - k0)) -gt $((2 * (k2 - k1))) ]
    ok $? "smp=$smp: --pid --irqs lets the vCPU's interrupts in at EL0 (the guest counted +$((k1 - k0)) timer interrupts), without --irqs they are held (+$((k2 - k1)))"
    chk=$("$B/hyp/stepcheck" "$B/guest/stepbrk" <"$T/out10")
    ok $? "smp=$smp: across those $f10 interrupts every next PC is reachable from the previous instruction ($(tail -n 1 <<<"$chk"))"
    console $vm "kill -USR1 $kpid; printf 'K-%s\n' DONE" K-DONE >/dev/null

    # the guest's breakpoints in every slot, the one we reserve too, while we step another process
    R=${ARMVMI_TEST_PTALL:-10}
    pa=$(console $vm "stepbrk ptraceall $R; printf 'A-%s\n' DONE" A-DONE 120 | tr -d '\r' | grep '^SB-PTRACEALL')
    [[ "$pa" =~ ^SB-PTRACEALL\ bps=([0-9]+)\ rounds=$R\ stops=([0-9]+)\ wrong=0\ exit=0$ ]] &&
        [ "${BASH_REMATCH[1]}" -ge 2 ] && [ "${BASH_REMATCH[2]}" = $((BASH_REMATCH[1] * R)) ]
    ok $? "smp=$smp: the guest's hardware breakpoints in all its slots, unstepped: $pa"
    console $vm "(stepbrk sysloop 100 >/tmp/sb/sys2 2>&1 &); printf 'S-%s\n' UP" S-UP >/dev/null
    spid=$(sb_line $vm /tmp/sb/sys2 '^SB pid=' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    : >"$T/err6"
    "$A" --vm $vm trace step --pid "$spid" --json >"$T/out6" 2>"$T/err6" &
    TR=$!
    for ((i = 0; i < 300; i++)); do grep -q 'tracing;' "$T/err6" && break; sleep 0.2; done
    grep -q 'tracing;' "$T/err6"; ok $? "smp=$smp: trace step --pid $spid (stepbrk sysloop): stepping"
    got=$(console $vm "stepbrk ptraceall $R; printf 'A-%s\n' DONE" A-DONE 600 | tr -d '\r' | grep '^SB-PTRACEALL')
    is "$got" "$pa" "smp=$smp: meanwhile, the guest's breakpoints in all slots behave the same"
    kill -INT $TR; wait $TR; ok $? "smp=$smp: SIGINT: the tracer stops stepping and exits 0 ($(wc -l <"$T/out6") steps)"
    grep -aq "debug: breakpoint [0-9]* is the guest's" "$ARMVMI_RUNTIME_DIR/$vm/console.log"
    ok $? "smp=$smp: the hypervisor gave the reserved slot back to the guest ($(grep -a "debug: breakpoint" "$ARMVMI_RUNTIME_DIR/$vm/console.log" | head -n 1 | tr -d '\r'))"
    chk=$("$B/hyp/stepcheck" --svc-gap 20 "$B/guest/stepbrk" <"$T/out6")
    ok $? "smp=$smp: the stepped process's trace: every next PC reachable ($(head -n 1 <<<"$chk"))"
    diag "$chk"
    console $vm "kill -USR1 $spid; printf 'K-%s\n' DONE" K-DONE >/dev/null
    got=$(sb_line $vm /tmp/sb/sys2 '^SB-SYSLOOP' 60)
    [[ "$got" =~ ^SB-SYSLOOP\ ([0-9]+)\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" = $((BASH_REMATCH[2] * 100)) ]
    ok $? "smp=$smp: its count is right ($got)"

    # a process whose main thread exits alone (the exit system call) while its other thread runs
    # on in the same address space: --pid follows the thread group, the trace goes on to its count
    NM=$((30 * N))
    console $vm "mkdir -p /tmp/sb/mt; rm -f /tmp/sb/mt/go; (stepbrk mtexit /tmp/sb/mt >/tmp/sb/mt/log 2>&1 &); printf 'S-%s\n' UP" S-UP >/dev/null
    mpid=$(sb_line $vm /tmp/sb/mt/log '^SB pid=' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    : >"$T/err9"
    timeout 600 "$A" --vm $vm trace step --pid "$mpid" --count "$NM" --json >"$T/out9" 2>"$T/err9" &
    TR=$!
    for ((i = 0; i < 300; i++)); do grep -q 'tracing;' "$T/err9" && break; sleep 0.2; done
    console $vm "touch /tmp/sb/mt/go; printf 'G-%s\n' DONE" G-DONE >/dev/null
    sb_line $vm /tmp/sb/mt/log '^SB-MAIN-EXIT' 60 >/dev/null
    ok $? "smp=$smp: stepbrk mtexit (pid $mpid): its main thread exited alone while traced"
    wait $TR
    rc=$?
    # at EL0 a step is named by its table (TTBR0): the group leader while it lives, then the
    # other thread (trace_proc.c)
    after=$(jq -r .tid "$T/out9" | awk -v m="$mpid" '$1 == m {n = 0; next} {n++} END {print n + 0}')
    [ $rc = 0 ] && [ "$(wc -l <"$T/out9")" = "$NM" ] && [ "$after" -ge 1000 ] && ! grep -q 'has exited' "$T/err9"
    ok $? "smp=$smp: the trace went on in the other thread to its count ($NM; $after steps after the main thread's last; $(grep -m 1 'armvmi: process' "$T/err9"))"
    console $vm "kill -USR1 $mpid; printf 'K-%s\n' DONE" K-DONE >/dev/null
    got=$(sb_line $vm /tmp/sb/mt/log '^SB-MTEXIT' 60)
    wt=$(sed -n 's/^SB-MTEXIT tid=\([0-9]*\).*/\1/p' <<<"$got")
    is "$(jq -r .tid "$T/out9" | sort -u | tr '\n' ' ')" "$(printf '%s\n' "$mpid" "$wt" | sort -u | tr '\n' ' ')" \
        "smp=$smp: the steps are the main thread's and the other thread's ($got)"
    [[ "$got" =~ ^SB-MTEXIT\ tid=[0-9]+\ ([0-9]+)\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" = $((BASH_REMATCH[2] * 100)) ]
    ok $? "smp=$smp: its count is right"
done

# Exclusive sequences at EL1 (the bare-metal trap guest, "armvmi.llscstep": an LL/SC increment
# and a cmpxchg with a b.ne out, for ever, rounds in x20), stepped whole with `--vcpu 0`: the
# hypervisor's breakpoints at the exits match at EL1 there.
TG=$B/hyp/trapguest.img
vm=it-stx
vm_start $vm --hyp --smp 1 --mem 256 --kernel "$TG" --initrd "$TG" --append armvmi.llscstep --timeout 60
ok $? "EL1: trap test guest up, in LL/SC loops"
timeout 120 "$A" --vm $vm trace step --vcpu 0 --count 300 --json --regs >"$T/tg.json" 2>"$T/tg.err"
ok $? "EL1: trace step --vcpu 0 --count 300 over LL/SC loops ends by itself"
# every "excl" step follows one at a load-exclusive; no step ever stops inside a sequence (at
# the stlxr or between) but the first (stepping starts where the vCPU was, before that
# instruction runs); both exits taken (the cbnz after the stlxr, the b.ne's clrex)
res=$(jq -r '"\(.el) \(.excl // false) \(.insn)"' "$T/tg.json" | awk '
    $1 != 1 {el++} NR > 1 && $3 ~ /^(stlxr|cmp|b\.ne)/ {inside++}
    $2 == "true" {n++; if (prev !~ /^ldaxr/) bad++; ex[$3] = 1}
    {prev = $3} END {printf "%d %d %d %d %d\n", n, bad, inside, el, ("cbnz" in ex) + ("clrex" in ex)}')
read -r n bad inside el exits <<<"$res"
[ "$n" -ge 15 ] && [ "$bad" = 0 ] && [ "$inside" = 0 ] && [ "$el" = 0 ] && [ "$exits" = 2 ]
ok $? "EL1: $n steps over exclusive sequences, each from a load-exclusive ($bad not), none inside one ($inside), all at EL1 ($el not), both exits ($exits)"
r0=$(jq -r '.x[20]' "$T/tg.json" | head -n 1); r1=$(jq -r '.x[20]' "$T/tg.json" | tail -n 1)
[ -n "$r0" ] && [ $((r1 - r0)) -ge 10 ]; ok $? "EL1: the loops made progress while stepped: rounds (x20) $r0 -> $r1"
# Where stepping starts (active-pending, hyp/arch/debug.c): the raw monitor pauses the vCPU in
# the hypervisor, reads its record's PC, sends STEP, resumes; the first step event must be at
# that PC (with SPSR.SS = 1 at the start, that instruction ran unreported: the first event was
# the next PC).
timeout 90 "$B/hyp/evmon" "$ARMVMI_RUNTIME_DIR/$vm" --doorbell --pause-ms 300 --pause-step 20 --count 20 \
    --timeout 60 >"$T/ps.log" 2>&1
ok $? "EL1: evmon --pause-step 20: STEP sent while paused, 20 step events"
pp=$(sed -n 's/^EVMON step-paused status=1 vcpu=0 state=2 pc=\(0x[0-9a-f]*\)$/\1/p' "$T/ps.log")
sp=$(grep -m1 ' type=step ' "$T/ps.log" | sed -n 's/.* pc=\(0x[0-9a-f]*\) count=1 el=1 .*/\1/p')
[ -n "$pp" ] && [ "$sp" = "$pp" ]
ok $? "EL1: the first step event (count 1) is at the PC the paused vCPU's record showed (${sp:-none} vs ${pp:-none})"
[ "$(grep -c ' type=step ' "$T/ps.log")" = 20 ] || diag "$(tail -n 25 "$T/ps.log")"
"$A" vm stop $vm >/dev/null 2>&1
rm -rf "$T"
exit $((TAP_FAILED > 0))
