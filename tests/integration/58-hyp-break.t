#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Breakpoints (`armvmi trace break`: a BRK in a private copy of the frame, mapped execute-only at
# stage 2), 2 vCPUs, with guest/stepbrk.c:
# - a breakpoint on __arm64_sys_execve while `stepbrk execs N` forks and execs N children: one
#   hit per exec in the guest (the N children and the test's 5 commands), each at the symbol's
#   address (armvmi syms), hits numbered 1..N+5; every child exited 0;
# - meanwhile the guest's own reads of the function (through /proc/kcore) give the bytes it had
#   before the breakpoint, which are also what armvmi reads from guest RAM;
# - the guest's own debug facilities work as without us, with the breakpoint set (MDCR_EL2.TDE
#   on): ptrace's hardware breakpoint (DBGBVR/BCR, MDSCR_EL1.MDE) and single-step, P times in a
#   row (a flaky miss of the hardware breakpoint was seen once in 2 runs);
# - the guest's own BRKs still reach it: `brk #0` in a process gets SIGTRAP as without us, and a
#   kprobe (tracefs kprobe_events; arm64 kprobes are BRKs) on __arm64_sys_exit_group counts one
#   hit per exit (N + 3 between its two readings); the tracer reports them handed back;
# - a user-space breakpoint in a process (--pid) fires at the function's address, 3 times, and
#   the program's result is unchanged; when the process exits the trace ends by itself;
# - after clearing: the function's bytes unchanged, and a guest BRK is no longer trapped (the
#   hypervisor's count of handed-back debug exceptions does not move);
# - the guest's own uprobe (tracefs uprobe_events on user_target's file offset; an arm64 uprobe
#   is a BRK, then the kernel single-steps the instruction out of line): its hit count in
#   uprobe_profile grows by exactly the calls made, with our kernel breakpoint set, with our
#   user breakpoint on the very same instruction (3 hits for both, result unchanged), and after
#   everything is cleared; the same with the uprobe added after our breakpoint (the process then
#   runs the kernel's copy-on-write copy of the page: our breakpoint follows it), and the uprobe
#   alone once ours is cleared.
# N: ARMVMI_TEST_EXECS (default 100 for CI; 1000 by hand). P: ARMVMI_TEST_PTRACE (default 10).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/guestsh.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
B=${ARMVMI_BUILD:-build}
[ -r "$B/hyp/armvmi-hyp.elf" ] || skip_all "the hypervisor is not built (no aarch64 cross compiler)"
[ -r "$B/guest/stepbrk" ] || skip_all "the guest program $B/guest/stepbrk is not built"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
N=${ARMVMI_TEST_EXECS:-100}
P=${ARMVMI_TEST_PTRACE:-10}
FN=__arm64_sys_execve
plan 42
T=$(mktemp -d /tmp/armvmi-58.XXXXXX)
TR=

# trace_start VM ARGS...: armvmi trace break in the background, once its breakpoint is set.
trace_start() {
    local vm=$1 i
    shift
    : >"$T/out"
    : >"$T/err"
    "$A" --vm "$vm" trace break "$@" --json >"$T/out" 2>"$T/err" &
    TR=$!
    for ((i = 0; i < 300; i++)); do
        grep -q 'set; tracing' "$T/err" && return 0
        kill -0 $TR 2>/dev/null || break
        sleep 0.2
    done
    diag "$(cat "$T/err")"
    return 1
}
trace_stop() {
    local i
    kill -INT $TR 2>/dev/null
    for ((i = 0; i < 300; i++)); do
        kill -0 $TR 2>/dev/null || { wait $TR; return $?; }
        sleep 0.2
    done
    kill $TR; wait $TR; return 1
}
# the hypervisor's count of the guest's debug exceptions handed back (channel header, offset 96)
reinjected() { "$A" --vm "$vm" read --pa 0x40f10060 8 --raw | od -An -tu8 | tr -d ' '; }
# kcore VM: the guest's own view of the function's first 16 bytes
kcore() { console "$1" "stepbrk kcore $VA 16; printf 'K-%s\n' DONE" K-DONE 30 | tr -d '\r' | sed -n 's/^SB-KCORE //p'; }

vm=it-br2
vm_start $vm --hyp --smp 2 && shell_ready $vm; ok $? "vm start --hyp --smp 2, its shell answers"
VA=$("$A" --vm $vm syms $FN --json | jq -r '.symbols[0].addr // .addr // empty' 2>/dev/null)
[ -n "$VA" ] || VA=$("$A" --vm $vm syms $FN | awk '{print "0x" $1; exit}')
[ -n "$VA" ] && [ "$VA" != 0x ]; ok $? "$FN is at $VA (armvmi syms)"
PT="SB-PTRACE hw=1 steps=+4,+8 exit=0"
pt() { console "$1" "stepbrk ptrace; printf 'T-%s\n' DONE" T-DONE 30 | tr -d '\r' | grep '^SB-PTRACE'; }
is "$(pt $vm)" "$PT" "ptrace without our breakpoint: a hardware breakpoint stops the child, 2 single steps"
before=$(kcore $vm)
host=$("$A" --vm $vm read --va "$VA" 16 --raw | od -An -tx1 -v | tr -d ' \n')
[ -n "$before" ] && [ "$before" = "$host" ]; ok $? "the guest's /proc/kcore and armvmi agree on its first bytes ($before)"
console $vm 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; echo "p:sbprobe __arm64_sys_exit_group" >/sys/kernel/tracing/kprobe_events && echo 1 >/sys/kernel/tracing/events/kprobes/sbprobe/enable && printf "P-%s\n" OK' P-OK 30 >/dev/null
ok $? "a kprobe on __arm64_sys_exit_group (tracefs)"
kp() { console $vm "cat /sys/kernel/tracing/kprobe_profile; printf 'Q-%s\n' DONE" Q-DONE 30 | tr -d '\r' | awk '$1 == "sbprobe" {print $2}'; }
k0=$(kp)

trace_start $vm $FN; ok $? "trace break $FN: breakpoint set"
got=$(console $vm "stepbrk execs $N; printf 'E-%s\n' DONE" E-DONE 900 | tr -d '\r' | grep '^SB-EXECS')
is "$got" "SB-EXECS $N" "the program's $N fork+exec all ran and exited 0"
during=$(kcore $vm)
is "$during" "$before" "with the breakpoint set, the guest reads the function's original bytes"
k1=$(kp)
b0=$(console $vm "stepbrk brk0; printf 'B-%s\n' DONE" B-DONE 30 | tr -d '\r' | grep '^SB-' | tr '\n' ' ')
is "$b0" "SB-SIGTRAP si_code=1 at-brk=1 SB-BRK0-DONE " "brk #0 in a process: SIGTRAP at the BRK, as without a hypervisor"
# P runs in one shell line: each line the same as without us
got=$(console $vm "for i in $(seq -s ' ' "$P"); do stepbrk ptrace; done; printf 'T-%s\n' DONE" T-DONE 300 | tr -d '\r' | grep '^SB-PTRACE')
good=$(grep -cxF "$PT" <<<"$got")
is "$good of $(grep -c . <<<"$got")" "$P of $P" \
    "ptrace $P times with our breakpoint set (MDCR_EL2.TDE on): the same (debug registers, MDSCR_EL1 and exceptions emulated)"
# diags LINES: one diag line each
diags() { while IFS= read -r l; do [ -n "$l" ] && diag "$l"; done <<<"$1"; }
if [ "$good" != "$P" ]; then
    diags "$(grep -vxF "$PT" <<<"$got" | sort | uniq -c)"
    diags "$(tr -d '\r' <"$ARMVMI_RUNTIME_DIR/$vm/console.log" | grep -aoE '\[hyp\] .*' | tail -n 8)"
fi
sleep 1
trace_stop; ok $? "SIGINT: the tracer clears the breakpoint and exits 0"
# the library follows a breakpoint's page by the guest-physical address (stage-1 output): the
# stage-2 walk of a breakpoint's frame leads to the hypervisor's private copy, not a new page
! grep -q 'last problem' "$T/err"; ok $? "the tracer had no problem (the breakpoint stayed where it was set) ($(grep 'last problem' "$T/err"))"
is "$(jq -r 'select(.pid == null) | .hit' "$T/out" | wc -l)" 0 \
    "every hit names its process, also a child forked just before (the task at SP_EL0 read by itself)"
# (the guest's log read once the execs are no longer counted)
[ "$good" = "$P" ] ||
    diags "$(console $vm "dmesg | grep -iE 'breakpoint|debug|slot' | tail -n 5; printf 'G-%s\n' DONE" G-DONE 30 | tr -d '\r' | grep '^\[ *[0-9]')"
# the guest's execs while the breakpoint was set: stepbrk execs, its N children, stepbrk kcore,
# the cat reading kprobe_profile, stepbrk brk0, P times stepbrk ptrace (the guest runs nothing else)
E=$((N + 4 + P))
is "$(jq -r .hit "$T/out" | awk '$1 == NR {k++} END {print k + 0, NR}')" "$E $E" \
    "one hit per exec: $E ($N children + $((4 + P)) commands), numbered 1..$E"
is "$(jq -r '"\(.pc) \(.el)"' "$T/out" | sort -u)" "$VA 1" "every hit at $VA, at EL1"
# exits between the two readings: the cat of the first, stepbrk execs and its N children,
# stepbrk kcore
is "$((k1 - k0))" "$((N + 3))" "the guest's kprobe counted $((N + 3)) exits meanwhile (its BRKs handed back to it)"
grep -q 'handed back [1-9]' "$T/err"; ok $? "the tracer saw the guest's own debug exceptions handed back ($(tail -n 1 "$T/err"))"
is "$(kcore $vm)" "$before" "after clearing: the function's bytes are the original ones"
r0=$(reinjected)
console $vm "stepbrk brk0; printf 'C-%s\n' DONE" C-DONE 30 >/dev/null
console $vm "echo 0 >/sys/kernel/tracing/events/kprobes/sbprobe/enable; echo >/sys/kernel/tracing/kprobe_events; printf 'D-%s\n' DONE" D-DONE 30 >/dev/null
is "$(reinjected)" "$r0" "after clearing, the guest's BRKs are no longer trapped (handed-back count stays $r0)"

# a user-space breakpoint in one process
console $vm 'mkdir -p /tmp/ub; (stepbrk user /tmp/ub >/tmp/ub/log 2>&1 &); sleep 1; printf "U-%s\n" UP' U-UP >/dev/null
line=$(console $vm "cat /tmp/ub/log; printf 'L-%s\n' DONE" L-DONE 30 | tr -d '\r' | grep '^SB pid=')
pid=$(sed -n 's/^SB pid=\([0-9]*\).*/\1/p' <<<"$line")
UVA=$(sed -n 's/.* user=\(0x[0-9a-f]*\).*/\1/p' <<<"$line")
: >"$T/err3"
# --count 4: the program calls it 3 times and exits, which ends the trace
timeout 300 "$A" --vm $vm trace break "$UVA" --pid "$pid" --count 4 --json >"$T/out3" 2>"$T/err3" &
TR=$!
for ((i = 0; i < 300; i++)); do grep -q 'set; tracing' "$T/err3" && break; sleep 0.2; done
got=$(console $vm "touch /tmp/ub/go; sleep 1; cat /tmp/ub/log; printf 'V-%s\n' DONE" V-DONE 60 | tr -d '\r' | grep '^SB-USER')
wait $TR; rc=$?
[ $rc = 0 ] && grep -q "process $pid has exited" "$T/err3"
ok $? "user breakpoint: the process exited, the trace ends by itself, exit 0 ($rc)"
is "$(jq -r '"\(.pc) \(.el) \(.pid)"' "$T/out3" | tr '\n' ' ')" "$UVA 0 $pid $UVA 0 $pid $UVA 0 $pid " \
    "user breakpoint: 3 hits at user_target ($UVA), EL0, in process $pid"
is "$got" "SB-USER 66" "the program's result is unchanged"

# user_trace K: `stepbrk user /tmp/ubK` started (pid), our breakpoint on its user_target set
# (trace break --count 3, TR; output $T/out$((K + 2)), stderr $T/err$((K + 2)))
user_trace() {
    local k=$1 n=$(($1 + 2)) i
    console $vm "mkdir -p /tmp/ub$k; (stepbrk user /tmp/ub$k >/tmp/ub$k/log 2>&1 &); sleep 1; printf 'U-%s\n' UP" U-UP >/dev/null
    pid=$(console $vm "cat /tmp/ub$k/log; printf 'L-%s\n' DONE" L-DONE 30 | tr -d '\r' | sed -n 's/^SB pid=\([0-9]*\).*/\1/p')
    : >"$T/err$n"
    timeout 300 "$A" --vm $vm trace break "$UVA" --pid "$pid" --count 3 --json >"$T/out$n" 2>"$T/err$n" &
    TR=$!
    for ((i = 0; i < 300; i++)); do grep -q 'set; tracing' "$T/err$n" && break; sleep 0.2; done
}
# user_run K: /tmp/ubK's program let go (3 calls); got: its result, hits: the tracer's hits
user_run() {
    got=$(console $vm "touch /tmp/ub$1/go; sleep 1; cat /tmp/ub$1/log; printf 'V-%s\n' DONE" V-DONE 60 | tr -d '\r' | grep '^SB-USER')
    wait $TR
    hits=$(jq -r '"\(.pc) \(.el) \(.pid)"' "$T/out$(($1 + 2))" | tr '\n' ' ')
}
# the guest's own uprobe on user_target
read -r _ UF UO < <(console $vm "stepbrk uoff; printf 'O-%s\n' DONE" O-DONE 30 | tr -d '\r' | grep '^SB-UOFF')
console $vm "echo 'p:sbup $UF:$UO' >/sys/kernel/tracing/uprobe_events && echo 1 >/sys/kernel/tracing/events/uprobes/sbup/enable && printf 'P-%s\n' OK" P-OK 30 >/dev/null
ok $? "a uprobe on user_target ($UF:$UO) through tracefs"
up() { console $vm "cat /sys/kernel/tracing/uprobe_profile; printf 'Q-%s\n' DONE" Q-DONE 30 | tr -d '\r' | awk '$2 == "sbup" {print $3}'; }
uc() { console $vm "stepbrk ucalls $1; printf 'W-%s\n' DONE" W-DONE 60 | tr -d '\r' | grep '^SB-UCALLS'; }
u0=$(up)
trace_start $vm $FN; ok $? "trace break $FN again: breakpoint set"
is "$(uc 50)" "SB-UCALLS 50 3725" "50 calls under the uprobe, our breakpoint set: the program's result is unchanged"
u1=$(up)
is "$((u1 - u0))" 50 "the uprobe counted 50 hits (from $u0 to $u1)"
trace_stop; ok $? "SIGINT: the tracer clears the breakpoint and exits 0"
# ours and the uprobe on the same instruction of one process
user_trace 2
u2=$(up)
user_run 2
is "$hits" "$UVA 0 $pid $UVA 0 $pid $UVA 0 $pid " \
    "our user breakpoint on the uprobe's instruction: 3 hits at $UVA in process $pid"
is "$got" "SB-USER 66" "with both: the program's result is unchanged"
u3=$(up)
is "$((u3 - u2))" 3 "with both: the uprobe counted the 3 calls too"
is "$(uc 50)" "SB-UCALLS 50 3725" "after clearing: 50 calls under the uprobe, the result unchanged"
u4=$(up)
is "$((u4 - u3))" 50 "after clearing: the uprobe counted 50 hits"
console $vm "echo 0 >/sys/kernel/tracing/events/uprobes/sbup/enable; echo >/sys/kernel/tracing/uprobe_events; printf 'D-%s\n' DONE" D-DONE 30 >/dev/null
# the other order: our user breakpoint first, then the guest's uprobe on the same instruction
# (the kernel gives the process a copy-on-write copy of the page, with its BRK in it)
user_trace 3
console $vm "echo 'p:sbup $UF:$UO' >/sys/kernel/tracing/uprobe_events && echo 1 >/sys/kernel/tracing/events/uprobes/sbup/enable && printf 'P-%s\n' OK" P-OK 30 >/dev/null
ok $? "our user breakpoint set, then the guest's uprobe on the same instruction ($UF:$UO)"
sleep 1
u5=$(up)
user_run 3
is "$hits" "$UVA 0 $pid $UVA 0 $pid $UVA 0 $pid " \
    "uprobe added after ours: our breakpoint still fires, 3 hits at $UVA in process $pid"
[ -s "$T/out5" ] || diag "$(cat "$T/err5")"
is "$got" "SB-USER 66" "uprobe added after ours: the program's result is unchanged"
u6=$(up)
is "$((u6 - u5))" 3 "uprobe added after ours: the uprobe counted the 3 calls"
is "$(uc 50)" "SB-UCALLS 50 3725" "ours cleared, the uprobe left: 50 calls, the result unchanged"
is "$(($(up) - u6))" 50 "ours cleared: the uprobe counted 50 hits"
console $vm "echo 0 >/sys/kernel/tracing/events/uprobes/sbup/enable; echo >/sys/kernel/tracing/uprobe_events; printf 'D-%s\n' DONE" D-DONE 30 >/dev/null
# CPU hotplug with the breakpoint set: cpu1's PSCI CPU_OFF, then CPU_ON; the CPU back traps
# our BRK at once (MDCR_EL2.TDE applied before its first instruction), it never reaches the guest
trace_start $vm $FN; ok $? "trace break $FN for CPU hotplug: breakpoint set"
hp=$(console $vm 'echo 0 >/sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online; echo 1 >/sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online; printf "H-%s\n" DONE' H-DONE 60 | tr -d '\r' | grep -E '^[0-9]' | tr '\n' ' ')
is "$hp" "0 0-1 " "cpu1 offline, then online again, with the breakpoint set (/sys/devices/system/cpu/online)"
got=$(console $vm "for c in 2 1 2 1; do taskset \$c stepbrk execs 10 2>/dev/null || stepbrk execs 10; done; printf 'E-%s\n' DONE" E-DONE 600 | tr -d '\r' | grep -c '^SB-EXECS 10')
sleep 1
trace_stop
is "$got $(jq -r .vcpu "$T/out" | sort -u | tr '\n' ' ')" "4 0 1 " "after the hotplug: 4x10 fork+exec ran, the breakpoint hit on vCPU 0 and vCPU 1"
is "$(console $vm "dmesg | grep -c 'Unexpected kernel BRK'; printf 'G-%s\n' DONE" G-DONE 30 | tr -d '\r' | grep -E '^[0-9]+$')" 0 \
    "the guest's kernel log has no 'Unexpected kernel BRK' (our BRK never reached it)"
rm -rf "$T"
exit $((TAP_FAILED > 0))
