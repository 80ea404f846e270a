#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# armvmi psxview, the hidden-process detector, against the guest's own view (one plain VM).
# Clean guest: the PID namespace's processes equal the guest's own /proc numeric entries (listed
# by the guest shell's glob, no process of its own) at the same paused moment, and the task
# list's; exit 0. DKOM: a `sleep 1000` is unlinked from the task list by host writes (the
# kernel's own list_del: prev->next = next, next->prev = prev, offset from the BTF): `armvmi ps`
# no longer lists it, psxview exits 1 and names exactly that pid as missing from the task list
# but in the IDR; resumed, the guest's own /proc still has it. The two links put back, psxview
# is clean and the guest's `kill` of the sleep works. Also: a busy process is seen on the
# runqueue, --help, --json, and the error on a raw image without Linux.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/guestsh.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
S=$ARMVMI_SAN
VM=it-psxview
plan 24

same() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "$(diff <(echo "$2") <(echo "$1"))"; fi
}
# the guest's answer between two markers (a kernel message on the console is not the answer)
block() { sed -n "/^$2-BEGIN/,/^$2-END/p" "$1" | sed '1d;$d' | grep -v '^\[ *[0-9]*\.[0-9]*\] '; }
# le64 VALUE: 8 bytes little endian, as `armvmi write` takes them
le64() { printf '%016x' "$1" | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}'; }
# rd64 VA: 8 bytes of kernel memory as a number (kernel VAs through any process's context)
rd64() {
    local hex
    hex=$("$A" --vm $VM read --va "$(printf '0x%x' "$1")" 8 --pid 1 --json | jq -r .hex)
    # (bash's arithmetic wraps: a kernel VA is a negative number, printf %x gives it back)
    echo $((0x$(echo "$hex" | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')))
}
wr64() { "$A" --vm $VM write --va "$(printf '0x%x' "$1")" "$(le64 "$2")" --pid 1 >/dev/null; }
# the guest's numeric /proc entries, by the shell's own glob (no ls process of its own)
GLOB='echo PROC-BEGIN; for d in /proc/[0-9]*; do echo ${d#/proc/}; done; echo PROC-END; printf "G-%s\n" END'

vm_start $VM --smp 2
ok $? "vm start (2 vCPUs)"
shell_ready $VM
out=$ARMVMI_RUNTIME_DIR/$VM.guest

# the guest lists /proc, then the VM is paused; a kernel worker may start in between: again,
# at most 5 times, until the two views agree
for try in 1 2 3 4 5; do
    console $VM "$GLOB" G-END 30 | tr -d '\r' >"$out"
    "$A" vm pause $VM >/dev/null
    j=$("$S" --vm $VM psxview --json --all)
    rc=$?
    guest=$(block "$out" PROC | sort -n)
    idr=$(echo "$j" | jq -r '.processes[] | select(.seen.pid_ns) | .pid' | sort -n)
    [ "$guest" = "$idr" ] && break
    diag "try $try: the guest's /proc (<) and the IDR (>) differ: $(diff <(echo "$guest") <(echo "$idr"))"
    "$A" vm resume $VM >/dev/null
done
is "$rc" 0 "clean guest: psxview exits 0"
r=0; [ "$(echo "$guest" | wc -l)" -gt 10 ] || r=1
ok $r "the guest listed its /proc ($(echo "$guest" | wc -l) processes, try $try)"
same "$idr" "$guest" "the PID namespace's processes are the guest's /proc entries"
same "$(echo "$j" | jq -r '.processes[] | select(.seen.tasks and .pid != 0) | .pid' | sort -n)" \
    "$guest" "... and the task list's (pid 0 aside)"
is "$(echo "$j" | jq -c '[.views[] | .available and .broken == 0] | all')" true \
    "every view was read with no broken entry"
case "$(echo "$j" | jq -r .views.runqueue.source)" in *", 2 of 2 CPUs") r=0 ;; *) r=1 ;; esac
ok $r "both CPUs' runqueues found and checked (rq->cpu)"
[ $r = 0 ] || diag "$(echo "$j" | jq -c .views.runqueue)"
is "$("$S" --vm $VM psxview)" "$(echo "$j" | jq -r .total) processes, seen by every view that should see them." \
    "psxview without --all prints one summary line"
"$A" vm resume $VM >/dev/null

# a busy process is on the (only) CPU's runqueue most of the time
bpid=$(console $VM 'busybox sh -c "while :; do :; done" & printf "B=%s B-%s\n" $! END' B-END 30 |
    tr -d '\r' | sed -n 's/^B=\([0-9][0-9]*\) B-END$/\1/p')
seen=
for try in 1 2 3 4 5 6; do
    seen=$("$S" --vm $VM psxview --all --json | jq -r ".processes[] | select(.pid == $bpid) | .seen.runqueue")
    [ "$seen" = true ] && break
done
is "$seen" true "a busy loop ($bpid) is seen on the runqueue (try $try)"
console $VM "kill $bpid; printf 'K-%s\n' END" K-END 30 >/dev/null

# DKOM: unlink a sleep's task_struct from the task list
spid=$(console $VM 'sleep 1000 & printf "S=%s S-%s\n" $! END' S-END 30 |
    tr -d '\r' | sed -n 's/^S=\([0-9][0-9]*\) S-END$/\1/p')
"$A" vm pause $VM >/dev/null
off=$("$A" --vm $VM btf --offset task_struct.tasks --json | jq -r '.offsets["task_struct.tasks"].offset')
task=$("$A" --vm $VM ps --json | jq -r ".processes[] | select(.pid == $spid) | .task")
node=$((task + off))
next=$(rd64 $node)
prev=$(rd64 $((node + 8)))
wr64 $((next + 8)) $prev
wr64 $prev $next
is "$("$S" --vm $VM ps --json | jq "[.processes[] | select(.pid == $spid)] | length")" 0 \
    "unlinked: ps no longer lists the sleep ($spid)"
j=$("$S" --vm $VM psxview --json)
rc=$?
is "$rc" 1 "unlinked: psxview exits 1"
is "$(echo "$j" | jq -c '.hidden')" "[$spid]" "... and names exactly the sleep as hidden"
is "$(echo "$j" | jq -c '[.processes[] | {pid, missing, pid_ns: .seen.pid_ns}]')" \
    "[{\"pid\":$spid,\"missing\":[\"tasks\"],\"pid_ns\":true}]" \
    "... missing from the task list only, in the IDR"
# the same from the raw RAM file: no registers, the kernel and its symbols from memory alone
is "$("$S" --vm "raw:$ARMVMI_RUNTIME_DIR/$VM/ram@0x40000000" psxview --json | jq -c .hidden)" \
    "[$spid]" "... and so does the raw RAM file of the paused VM"
txt=$("$S" --vm $VM psxview)
case "$txt" in *" $spid "*"hidden"*"1 hidden process"*) r=0 ;; *) r=1 ;; esac
ok $r "the text output marks it hidden"
[ $r = 0 ] || diag "$txt"
"$A" vm resume $VM >/dev/null
console $VM "$GLOB" G-END 30 | tr -d '\r' >"$out"
is "$(block "$out" PROC | grep -cx "$spid")" 1 "resumed: the guest's own /proc still has $spid"

# put the links back (the neighbours must still point at each other)
"$A" vm pause $VM >/dev/null
r=0; [ "$(rd64 $prev)" = $next ] && [ "$(rd64 $((next + 8)))" = $prev ] || r=1
ok $r "the unlinked task's neighbours are still linked to each other"
wr64 $prev $node
wr64 $((next + 8)) $node
"$A" vm resume $VM >/dev/null
"$S" --vm $VM psxview >/dev/null
is $? 0 "relinked: psxview is clean again"

# hostile memory (paused, put back before the guest runs): the sleep's sibling link made a
# loop in its parent's children list; its struct pid's task link made garbage
"$A" vm pause $VM >/dev/null
sib=$((task + $("$A" --vm $VM btf --offset task_struct.sibling --json |
    jq -r '.offsets["task_struct.sibling"].offset')))
orig=$(rd64 $sib)
wr64 $sib $sib
j=$(timeout 120 "$S" --vm $VM psxview --json)
rc=$?
msg=$(echo "$j" | jq -r '.views.children.message')
case "$rc $msg" in "0 children list of task 0x"*" is cyclic (task $(printf '0x%x' $task) comes back): cut.") r=0 ;; *) r=1 ;; esac
ok $r "a loop in a children list: psxview ends (exit 0: nothing hidden) and says it is cyclic"
[ $r = 0 ] || diag "exit $rc: $msg"
wr64 $sib $orig
tp=$(rd64 $((task + $("$A" --vm $VM btf --offset task_struct.thread_pid --json |
    jq -r '.offsets["task_struct.thread_pid"].offset'))))
first=$((tp + $("$A" --vm $VM btf --offset pid.tasks --json | jq -r '.offsets["pid.tasks"].offset')))
orig=$(rd64 $first)
wr64 $first 0x4141414141414140
j=$(timeout 120 "$S" --vm $VM psxview --json)
rc=$?
is "$rc $(echo "$j" | jq -c '[.processes[] | {pid, missing}]') $(echo "$j" | jq -r .views.pid_ns.broken)" \
    "0 [{\"pid\":$spid,\"missing\":[\"pid_ns\"]}] 1" \
    "a garbage task link in the sleep's struct pid: one broken entry, the sleep not in the IDR view"
wr64 $first $orig
is "$("$S" --vm $VM psxview)" "$(echo "$j" | jq -r .total) processes, seen by every view that should see them." \
    "both put back: clean"
"$A" vm resume $VM >/dev/null
res=$(console $VM "kill $spid; wait $spid; echo KILL=\$?; printf 'K-%s\n' END" K-END 30 | tr -d '\r')
case "$res" in *KILL=143*) r=0 ;; *) r=1 ;; esac
ok $r "the guest's kill of $spid works (wait says SIGTERM)"
[ $r = 0 ] || diag "$res"

"$A" vm stop $VM >/dev/null

# --help, and a raw image without Linux
h=$("$A" psxview --help)
case "$h" in "usage: armvmi [--vm SPEC] psxview"*Exit\ status*) r=0 ;; *) r=1 ;; esac
ok $r "--help prints the usage and the exit status"
img=$ARMVMI_RUNTIME_DIR/psx-zero.img
dd if=/dev/zero of="$img" bs=1M count=16 status=none
err=$("$S" --vm "raw:$img" psxview 2>&1)
rc=$?
case "$rc $err" in "1 armvmi: cannot read the Linux kernel: no VMCOREINFO"*) r=0 ;; *) r=1 ;; esac
ok $r "a raw image without Linux: exit 1 and a clear error"
[ $r = 0 ] || diag "$rc $err"
rm -f "$img"
