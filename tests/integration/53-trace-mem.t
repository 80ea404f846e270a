#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `armvmi trace mem` (the library's events layer) against the armvmi hypervisor, 1 and 2 vCPUs,
# on the guest program guest/evtarget.c, which prints its pages' physical addresses from its own
# /proc/self/pagemap, its functions' addresses, and what it read back after each phase:
# - write-protect its data page, 8 stores: exactly 8 events, seq 1..8, each with the GPA and GVA
#   of its word, PC in do_writes, a disassembled store; the program's output unchanged;
# - read-protect (busy-poll mode): one event, size 8, GPA of word 16, PC = do_read, an ldr;
# - execute-protect its code page: exec events with PC = GVA in the frame, exec_target among
#   them, the function's result unchanged;
# - 4 32-bit stores traced until Ctrl-C (SIGINT): the first 4 events are them, with GPA, size 4
#   and the value written; SIGINT ends the session cleanly (exit 0, the channel detached, no
#   monitor left);
# - a --fail-closed tracer killed with SIGKILL in a stream of exec events: declared gone, its
#   vCPU still waiting; a new tracer gets that event first (inherited), then new ones numbered
#   on, and the program goes on unchanged.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
B=${ARMVMI_BUILD:-build}
[ -r "$B/hyp/armvmi-hyp.elf" ] || skip_all "the hypervisor is not built (no aarch64 cross compiler)"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
plan 60
T=$(mktemp -d /tmp/armvmi-53.XXXXXX)
TR=

# trace_start VM ARGS...: armvmi trace mem in the background, once it has set its traps.
trace_start() {
    local vm=$1 i
    shift
    "$A" --vm "$vm" trace mem "$@" --json >"$T/out" 2>"$T/err" &
    TR=$!
    for ((i = 0; i < 150; i++)); do
        grep -q 'tracing' "$T/err" && return 0
        kill -0 $TR 2>/dev/null || break
        sleep 0.2
    done
    diag "$(cat "$T/err")"
    return 1
}
# trace_wait: its exit status, 1 if it had to be killed after 60 s.
trace_wait() {
    local i
    for ((i = 0; i < 300; i++)); do
        kill -0 $TR 2>/dev/null || { wait $TR; return $?; }
        sleep 0.2
    done
    kill $TR; wait $TR; return 1
}
# go VM PHASE TAG: let the program run PHASE; print its log's line "TAG ..." (waiting up to 30 s).
go() {
    local i r
    console "$1" "touch /tmp/evt/evt-$2; printf 'G-%s\n' DONE" G-DONE >/dev/null
    for ((i = 0; i < 30; i++)); do
        r=$(console "$1" "grep '^$3 ' /tmp/evt/log; printf 'L-%s\n' DONE" L-DONE | tr -d '\r' | grep "^$3 ")
        [ -n "$r" ] && { echo "$r"; return 0; }
        sleep 1
    done
    return 1
}
hexsum() { printf '0x%x' $(($1 + $2)); }
PAT="1111111111111111 2222222222222222 3333333333333333 4444444444444444 5555555555555555 6666666666666666 7777777777777777 8888888888888888"

for smp in 1 2; do
    vm=it-tr$smp
    vm_start $vm --hyp --smp $smp; ok $? "smp=$smp: vm start --hyp"
    out=$(console $vm 'mkdir -p /tmp/evt; (evtarget /tmp/evt >/tmp/evt/log 2>&1 &); sleep 1; cat /tmp/evt/log; printf "S-%s\n" UP' S-UP | tr -d '\r')
    DATA_VA=$(awk '/^EVT data/ {sub("va=", "", $3); print $3}' <<<"$out")
    DATA=$(awk '/^EVT data/ {sub("pa=", "", $4); print $4}' <<<"$out")
    CODE_VA=$(awk '/^EVT code/ {sub("va=", "", $3); print $3}' <<<"$out")
    CODE=$(awk '/^EVT code/ {sub("pa=", "", $4); print $4}' <<<"$out")
    WR=$(awk '/^EVT writer / {sub("va=", "", $3); print $3}' <<<"$out")
    WR32=$(awk '/^EVT writer32/ {sub("va=", "", $3); print $3}' <<<"$out")
    RD=$(awk '/^EVT reader/ {sub("va=", "", $3); print $3}' <<<"$out")
    [ -n "$DATA" ] && [ "$DATA" != 0x0 ] && [ -n "$CODE" ] && [ "$CODE" != 0x0 ] && [ -n "$RD" ] && [ -n "$WR32" ]
    ok $? "smp=$smp: the program's pages from its pagemap: data $DATA_VA -> $DATA, code $CODE_VA -> $CODE"

    # 1. write-protect: 8 post-indexed stores
    trace_start $vm --pa "$DATA+4096" --access w --count 8; ok $? "smp=$smp: trace attached, data page write-protected"
    got=$(go $vm w EVT-W)
    trace_wait; ok $? "smp=$smp: trace --count 8 ends by itself (exit 0)"
    is "$got" "EVT-W $PAT" "smp=$smp: stores traced: the program's output is unchanged"
    is "$(jq -r .seq "$T/out" | tr '\n' ' ')" "1 2 3 4 5 6 7 8 " "smp=$smp: exactly one event per store, seq 1..8"
    bad=0
    for ((k = 0; k < 8; k++)); do
        read -r gpa gva acc pc insn < <(jq -r "select(.seq == $((k + 1))) | \"\(.gpa) \(.gva) \(.access) \(.pc) \(.insn)\"" "$T/out")
        [ "$gpa" = "$(hexsum $DATA $((8 * k)))" ] && [ "$gva" = "$(hexsum $DATA_VA $((8 * k)))" ] &&
            [ "$acc" = w ] && [ $((pc)) -ge $((WR)) ] && [ $((pc)) -lt $((WR + 64)) ] &&
            [[ "$insn" == st* ]] || { bad=$((bad + 1)); diag "event $((k + 1)): $gpa $gva $acc $pc $insn"; }
    done
    is "$bad" 0 "smp=$smp: each event: GPA and GVA of its word, access w, PC in do_writes, a store"
    grep -q 'waiting on the doorbell' "$T/err"; ok $? "smp=$smp: the monitor slept on the doorbell"

    # 2. read-protect, busy-poll mode
    trace_start $vm --pa "$(hexsum $DATA 128)" --access r --count 1 --busy-poll; ok $? "smp=$smp: trace attached (busy-poll), data page read-protected"
    got=$(go $vm r EVT-R)
    trace_wait; ok $? "smp=$smp: trace ends after 1 event"
    is "$got" "EVT-R 0x5a5a5a5a5a5a5a5a" "smp=$smp: the load went on: the program read its own value"
    is "$(jq -r '"\(.seq) \(.access) \(.size) \(.gpa) \(.gva) \(.pc) \(.value)"' "$T/out")" \
        "1 r 8 $(hexsum $DATA 128) $(hexsum $DATA_VA 128) $RD null" "smp=$smp: one read event: size 8, word 16's GPA and GVA, PC = do_read"
    [[ "$(jq -r .insn "$T/out")" == ldr* ]]; ok $? "smp=$smp: the instruction at PC disassembles as a load ($(jq -r .insn "$T/out"))"

    # 3. execute-protect the code page
    trace_start $vm --pa "$CODE" --access x; ok $? "smp=$smp: trace attached, code page execute-protected"
    got=$(go $vm x EVT-X)
    kill -INT $TR 2>/dev/null
    trace_wait; ok $? "smp=$smp: trace stopped by SIGINT exits 0"
    is "$got" "EVT-X 16" "smp=$smp: the protected function still computes 5 * 3 + 1"
    badx=$(jq -r 'select(.access != "x" or .pc != .gva) | .seq' "$T/out" | wc -l)
    frames=$(jq -r .gpa "$T/out" | while read -r g; do printf '0x%x\n' $((g >> 12 << 12)); done | sort -u | tr '\n' ' ')
    is "$badx $frames" "0 $CODE " "smp=$smp: every exec event has PC = GVA, in the code frame"
    jq -r .pc "$T/out" | grep -qx "$CODE_VA"; ok $? "smp=$smp: exec_target ($CODE_VA) is among the $(wc -l <"$T/out") exec events"

    # 4. 32-bit stores with a syndrome, traced until Ctrl-C
    trace_start $vm --pa "$DATA" --access w; ok $? "smp=$smp: trace attached without --count"
    got=$(go $vm w2 EVT-W2)
    for ((i = 0; i < 50 && $(wc -l <"$T/out") < 4; i++)); do sleep 0.2; done
    kill -INT $TR
    trace_wait; ok $? "smp=$smp: SIGINT: trace exits 0"
    grep -q 'traps removed' "$T/err"; ok $? "smp=$smp: SIGINT: it says the traps are removed"
    is "$got" "EVT-W2 c0de0000 c0de0001 c0de0002 c0de0003" "smp=$smp: 32-bit stores traced: output unchanged"
    exp=""
    for ((k = 0; k < 4; k++)); do exp+="$((k + 1)) $(hexsum $DATA $((256 + 4 * k))) 4 0xc0de000$k 1;"; done
    # (the program then exits and the kernel zeroes and reuses the frame: more events, theirs)
    gotv=$(jq -r 'select(.seq <= 4) | "\(.seq) \(.gpa) \(.size) \(.value) \(.pc)"' "$T/out" | while read -r s g z v pc; do
        printf '%s %s %s %s %s;' "$s" "$g" "$z" "$v" "$([ $((pc)) -ge $((WR32)) ] && [ $((pc)) -lt $((WR32 + 64)) ] && echo 1 || echo 0)"
    done)
    is "$gotv" "$exp" "smp=$smp: 4 events: GPA, size 4, the value written, PC in do_writes32"
    # the channel header: attached (offset 20) is 0, mon_magic (offset 256) is 0
    hdr=$("$A" --vm $vm read --pa 0x40f10000 0x108 --raw | od -An -tx4 -v | tr -s ' \n' ' ')
    read -ra w <<<"$hdr"
    is "${w[5]} ${w[64]} ${w[65]}" "00000000 00000000 00000000" "smp=$smp: the session is detached and the monitor's magic cleared"

    # 5. --fail-closed tracer killed (SIGKILL) in a stream of exec events: the vCPU stays
    # paused, a new tracer takes its event over (marked inherited, numbered on), and the program
    # then goes on unchanged
    out=$(console $vm 'mkdir -p /tmp/evt2; (evtarget /tmp/evt2 >/tmp/evt2/log 2>&1 &); sleep 1; grep "^EVT code" /tmp/evt2/log; printf "S-%s\n" UP' S-UP | tr -d '\r')
    CODE2=$(awk '/^EVT code/ {sub("pa=", "", $4); print $4}' <<<"$out")
    trace_start $vm --pa "$CODE2" --access x --fail-closed --monitor-timeout 500; ok $? "smp=$smp: fail-closed trace attached to a second program's code page ($CODE2)"
    for ((i = 0; i < 300 && $(wc -l <"$T/out") < 20; i++)); do sleep 0.1; done
    kill -KILL $TR; wait $TR 2>/dev/null
    last=$(tail -n 1 "$T/out" | jq -r .seq)
    for ((i = 0; i < 100; i++)); do # the hypervisor declares it gone after 500 ms of its time
        hdr=$("$A" --vm $vm read --pa 0x40f10000 0x60 --raw | od -An -tx4 -v | tr -s ' \n' ' ')
        read -ra w <<<"$hdr"
        [ "${w[22]}" != 00000000 ] && break
        sleep 0.1
    done
    posted=0
    for ((v = 0; v < smp; v++)); do
        st=$("$A" --vm $vm read --pa $((0x40f11000 + v * 0x800)) 4 --raw | od -An -tu4 | tr -d ' ')
        [ "$st" = 1 ] && posted=$((posted + 1))
    done
    is "${w[5]} $((0x${w[22]})) $posted" "00000000 1 1" "smp=$smp: SIGKILL after $last events: declared gone (1 timeout), one vCPU still waits in its slot"
    "$A" --vm $vm trace mem --pa "$CODE2" --access x --count 3 --json >"$T/out2" 2>"$T/err2"
    ok $? "smp=$smp: a new trace attaches and takes over"
    # the waiting event is the last one printed (killed before it answered) or the next
    f=$(head -n 1 "$T/out2" | jq -r .seq)
    [ "$f" = "$last" ] || [ "$f" = "$((last + 1))" ]
    ok $? "smp=$smp: the first event taken over is seq $f (the killed trace printed up to $last)"
    is "$(jq -r '"\(.seq) \(.flags | join(","))"' "$T/out2" | tr '\n' ' ')" \
        "$f inherited $((f + 1))  $((f + 2))  " "smp=$smp: it is marked inherited, then new ones are numbered on"
    got=$(console $vm "touch /tmp/evt2/evt-w; sleep 1; grep '^EVT-W ' /tmp/evt2/log; printf 'G-%s\n' DONE" G-DONE | tr -d '\r' | grep '^EVT-W ')
    is "$got" "EVT-W $PAT" "smp=$smp: the program goes on, its output unchanged"
done
rm -rf "$T"
exit $((TAP_FAILED > 0))
