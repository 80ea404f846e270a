#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `armvmi trace mem` (the library's events layer) against the armvmi hypervisor, 1 and 2 vCPUs,
# on the guest program guest/evtarget.c, which prints its pages' physical addresses from its own
# /proc/self/pagemap, its functions' addresses, and what it read back after each operation:
# - write-protect its data page, 8 stores: exactly 8 events, seq 1..8, each with the GPA and GVA
#   of its word, PC in do_writes, a disassembled store; the program's output unchanged;
# - read-protect (busy-poll mode): one event, size 8, GPA of word 16, PC = do_read, an ldr;
# - execute-protect its code page: the 3 instructions of exec_target, PC = GVA in the frame,
#   the function's result unchanged;
# - 4 32-bit stores traced until Ctrl-C (SIGINT): GPA, size 4 and the value written of each;
#   SIGINT ends the session cleanly (exit 0, the channel detached, no monitor left);
# - a --fail-closed tracer stopped (SIGSTOP) while the program stores, then killed: declared
#   gone, the vCPU still waiting; a new tracer gets that event first (inherited), then the
#   other 7, numbered on, and the program's output is unchanged;
# - --va of the data page with the program's TTBR0 (from its events): translated by armvmi's
#   walker to the frame its pagemap gives; 8 events again.
# - every event of the program names it: pid and comm as the guest's own pidof and
#   /proc/PID/comm give them, found from the event's TTBR0 through the Linux layer's task list;
#   --va --pid PID (its address space through its mm->pgd): 8 events again, the same frames;
#   --va of a page it has not mapped is refused with a message saying so;
# - conversions through the library's API (tests/evlib, a monitor on events.h alone): the data
#   page n2rwx gives exactly one asynchronous event, for the first store, and none for the other
#   7 nor a later load, and the hypervisor's store says rwx after; rx2rw gives no event for the
#   8 stores and the frame is rw after; the program's output is unchanged each time.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
B=${ARMVMI_BUILD:-build}
[ -r "$B/hyp/armvmi-hyp.elf" ] || skip_all "the hypervisor is not built (no aarch64 cross compiler)"
command -v jq >/dev/null || skip_all "jq is not installed"
EVLIB=$B/tests/evlib
[ -x "$EVLIB" ] || skip_all "the test monitor $EVLIB is not built"
A=$ARMVMI
plan 104
T=$(mktemp -d /tmp/armvmi-53.XXXXXX)
TR=
EL=
trap '[ -n "$EL" ] && kill $EL 2>/dev/null; [ -n "$TR" ] && kill $TR 2>/dev/null; tap_cleanup' EXIT

# trace_start VM ARGS...: armvmi trace mem in the background, once it has set its traps.
trace_start() {
    local vm=$1 i
    shift
    : >"$T/out"
    : >"$T/err" # before the start: the background job's own truncation may come after our grep
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
# go VM N OP: have the program do OP as its operation N (OP "-": already asked for); print its
# line "EVT-N ..." (waiting up to 30 s).
go() {
    local i r
    [ "$3" = - ] ||
        console "$1" "echo $3 >/tmp/evt/t; mv /tmp/evt/t /tmp/evt/evt-go-$2; printf 'G-%s\n' DONE" G-DONE >/dev/null
    for ((i = 0; i < 30; i++)); do
        r=$(console "$1" "grep '^EVT-$2 ' /tmp/evt/log; printf 'L-%s\n' DONE" L-DONE 15 | tr -d '\r' | grep "^EVT-$2 ")
        [ -n "$r" ] && { echo "$r"; return 0; }
        sleep 1
    done
    return 1
}
hexsum() { printf '0x%x' $(($1 + $2)); }
# evlib_start VM ARGS...: the library test monitor in the background (EL = its pid), once it
# has set its watch; its first line ("EVLIB ready ...") is in $T/evlib.
evlib_start() {
    local vm=$1 i
    shift
    : >"$T/evlib"
    "$EVLIB" "$ARMVMI_RUNTIME_DIR/$vm" "$@" >"$T/evlib" 2>&1 &
    EL=$!
    for ((i = 0; i < 100; i++)); do
        grep -q '^EVLIB ready' "$T/evlib" && break
        kill -0 $EL 2>/dev/null || break
        sleep 0.2
    done
}
# shell_ready VM: the guest's shell answers (a line typed before it starts can be cut; this one
# has no quotes to leave open).
shell_ready() {
    local i
    for ((i = 0; i < 6; i++)); do
        console "$1" 'expr 40 + 2' 42 10 >/dev/null 2>&1 && return 0
    done
    return 1
}
PAT="1111111111111111 2222222222222222 3333333333333333 4444444444444444 5555555555555555 6666666666666666 7777777777777777 8888888888888888"

for smp in 1 2; do
    vm=it-tr$smp
    vm_start $vm --hyp --smp $smp && shell_ready $vm; ok $? "smp=$smp: vm start --hyp, its shell answers"
    out=$(console $vm 'mkdir -p /tmp/evt; (evtarget /tmp/evt >/tmp/evt/log 2>&1 &); sleep 1; cat /tmp/evt/log; p=$(pidof evtarget); echo "EVTPID $p $(cat /proc/$p/comm)"; printf "S-%s\n" UP' S-UP | tr -d '\r')
    DATA_VA=$(awk '/^EVT data/ {sub("va=", "", $3); print $3}' <<<"$out")
    DATA=$(awk '/^EVT data/ {sub("pa=", "", $4); print $4}' <<<"$out")
    CODE_VA=$(awk '/^EVT code/ {sub("va=", "", $3); print $3}' <<<"$out")
    CODE=$(awk '/^EVT code/ {sub("pa=", "", $4); print $4}' <<<"$out")
    WR=$(awk '/^EVT writer / {sub("va=", "", $3); print $3}' <<<"$out")
    WR32=$(awk '/^EVT writer32/ {sub("va=", "", $3); print $3}' <<<"$out")
    RD=$(awk '/^EVT reader/ {sub("va=", "", $3); print $3}' <<<"$out")
    read -r PID COMM < <(awk '/^EVTPID [0-9]+ / {print $2, $3}' <<<"$out")
    [ -n "$DATA" ] && [ "$DATA" != 0x0 ] && [ -n "$CODE" ] && [ "$CODE" != 0x0 ] && [ -n "$RD" ] && [ -n "$WR32" ]
    ok $? "smp=$smp: the program's pages from its pagemap: data $DATA_VA -> $DATA, code $CODE_VA -> $CODE"
    [ -n "$PID" ] && [ "$COMM" = evtarget ] || diag "no pid/comm from the guest: $out"

    # 1. write-protect: 8 post-indexed stores
    trace_start $vm --pa "$DATA+4096" --access w --count 8; ok $? "smp=$smp: trace attached, data page write-protected"
    got=$(go $vm 1 w)
    trace_wait; ok $? "smp=$smp: trace --count 8 ends by itself (exit 0)"
    is "$got" "EVT-1 $PAT" "smp=$smp: stores traced: the program's output is unchanged"
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
    is "$(jq -r '"\(.pid) \(.comm) \(.proc)"' "$T/out" | sort | uniq -c | tr -s ' ')" " 8 $PID $COMM ttbr0" \
        "smp=$smp: each event names the program (pid and comm as the guest's pidof and /proc/$PID/comm), found by its TTBR0"
    TTBR0=$(jq -r .ttbr0 "$T/out" | sort -u)

    # 2. read-protect, busy-poll mode
    trace_start $vm --pa "$(hexsum $DATA 128)" --access r --count 1 --busy-poll; ok $? "smp=$smp: trace attached (busy-poll), data page read-protected"
    got=$(go $vm 2 r)
    trace_wait; ok $? "smp=$smp: trace ends after 1 event"
    is "$got" "EVT-2 0x5a5a5a5a5a5a5a5a" "smp=$smp: the load went on: the program read its own value"
    is "$(jq -r '"\(.seq) \(.access) \(.size) \(.gpa) \(.gva) \(.pc) \(.value)"' "$T/out")" \
        "1 r 8 $(hexsum $DATA 128) $(hexsum $DATA_VA 128) $RD null" "smp=$smp: one read event: size 8, word 16's GPA and GVA, PC = do_read"
    [[ "$(jq -r .insn "$T/out")" == ldr* ]]; ok $? "smp=$smp: the instruction at PC disassembles as a load ($(jq -r .insn "$T/out"))"

    # 3. execute-protect the code page: exec_target is alone on it
    trace_start $vm --pa "$CODE" --access x --count 3; ok $? "smp=$smp: trace attached, code page execute-protected"
    got=$(go $vm 3 x)
    trace_wait; ok $? "smp=$smp: trace ends after 3 events"
    is "$got" "EVT-3 16" "smp=$smp: the protected function still computes 5 * 3 + 1"
    is "$(jq -r '"\(.access) \(.pc == .gva) \(.gpa)"' "$T/out" | tr '\n' ' ')" \
        "x true $CODE x true $(hexsum $CODE 4) x true $(hexsum $CODE 8) " "smp=$smp: 3 exec events, PC = GVA, the function's 3 instructions in its frame"
    is "$(jq -r .pc "$T/out" | head -n 1)" "$CODE_VA" "smp=$smp: the first at exec_target"

    # 4. 32-bit stores with a syndrome, traced until Ctrl-C
    trace_start $vm --pa "$DATA" --access w; ok $? "smp=$smp: trace attached without --count"
    got=$(go $vm 4 w32)
    for ((i = 0; i < 50 && $(wc -l <"$T/out") < 4; i++)); do sleep 0.2; done
    kill -INT $TR
    trace_wait; ok $? "smp=$smp: SIGINT: trace exits 0"
    grep -q 'traps removed' "$T/err"; ok $? "smp=$smp: SIGINT: it says the traps are removed"
    is "$got" "EVT-4 c0de0000 c0de0001 c0de0002 c0de0003" "smp=$smp: 32-bit stores traced: output unchanged"
    exp=""
    for ((k = 0; k < 4; k++)); do exp+="$((k + 1)) $(hexsum $DATA $((256 + 4 * k))) 4 0xc0de000$k 1;"; done
    gotv=$(jq -r '"\(.seq) \(.gpa) \(.size) \(.value) \(.pc)"' "$T/out" | while read -r s g z v pc; do
        printf '%s %s %s %s %s;' "$s" "$g" "$z" "$v" "$([ $((pc)) -ge $((WR32)) ] && [ $((pc)) -lt $((WR32 + 64)) ] && echo 1 || echo 0)"
    done)
    is "$gotv" "$exp" "smp=$smp: 4 events: GPA, size 4, the value written, PC in do_writes32"
    # the channel header: attached (offset 20) is 0, mon_magic (offset 256) is 0
    hdr=$("$A" --vm $vm read --pa 0x40f10000 0x108 --raw | od -An -tx4 -v | tr -s ' \n' ' ')
    read -ra w <<<"$hdr"
    is "${w[5]} ${w[64]} ${w[65]}" "00000000 00000000 00000000" "smp=$smp: the session is detached and the monitor's magic cleared"

    # 5. a --fail-closed tracer stopped while the program stores, then killed: the vCPU waits
    # for a new tracer, which gets that event (inherited) and the rest
    trace_start $vm --pa "$DATA" --access w --fail-closed --monitor-timeout 500; ok $? "smp=$smp: fail-closed trace attached"
    kill -STOP $TR
    # triggered a second later, once the shell has answered: the waiting vCPU may hold up the
    # whole guest kernel (its IPIs), the shell included
    console $vm "(sleep 1; echo w >/tmp/evt/t; mv /tmp/evt/t /tmp/evt/evt-go-5) & printf 'G-%s\n' DONE" G-DONE >/dev/null
    posted=0
    for ((i = 0; i < 100; i++)); do
        sleep 0.2
        hdr=$("$A" --vm $vm read --pa 0x40f10000 0x60 --raw | od -An -tx4 -v | tr -s ' \n' ' ')
        read -ra w <<<"$hdr"
        posted=0
        for ((v = 0; v < smp; v++)); do
            st=$("$A" --vm $vm read --pa $((0x40f11000 + v * 0x800)) 4 --raw | od -An -tu4 | tr -d ' ')
            [ "$st" = 1 ] && posted=$((posted + 1))
        done
        [ "${w[22]}" != 00000000 ] && [ $posted = 1 ] && break
    done
    kill -KILL $TR; wait $TR 2>/dev/null
    is "${w[5]} $((0x${w[22]})) $posted $(wc -l <"$T/out")" "00000000 1 1 0" "smp=$smp: the stopped tracer is declared gone (1 timeout); one vCPU waits in its slot"
    "$A" --vm $vm trace mem --pa "$DATA" --access w --count 8 --duration 60 --json >"$T/out2" 2>"$T/err2"
    ok $? "smp=$smp: a new trace attaches and takes over"
    is "$(jq -r '"\(.seq) \(.flags | join(","))"' "$T/out2" | tr '\n' ' ')" \
        "1 inherited 2  3  4  5  6  7  8  " "smp=$smp: the waiting event first (inherited), then the other 7, numbered on"
    is "$(jq -r .gpa "$T/out2" | tr '\n' ' ')" "$(for ((k = 0; k < 8; k++)); do printf '%s ' "$(hexsum $DATA $((8 * k)))"; done)" \
        "smp=$smp: none lost: the 8 words' GPAs in order"
    got=$(go $vm 5 -)
    is "$got" "EVT-5 $PAT" "smp=$smp: the program's output is unchanged"

    # 6. a virtual range: the program's data page by its VA in its own address space (the
    # TTBR0 its events carried), translated by armvmi's walker: the frames its pagemap gives;
    # 7. the same with --pid: its address space through the Linux layer (mm->pgd), as
    # `read --pid`; the events name it
    for how in "--ttbr0 $TTBR0" "--pid $PID"; do
        op=$([ "${how%% *}" = --pid ] && echo 7 || echo 6)
        trace_start $vm --va "$DATA_VA+4096" $how --access w --count 8; ok $? "smp=$smp: trace --va $DATA_VA $how attached"
        got=$(go $vm $op w)
        trace_wait; ok $? "smp=$smp: trace --va $how ends after 8 events"
        is "$(jq -r '"\(.gpa) \(.gva)"' "$T/out" | tr '\n' ' ')" \
            "$(for ((k = 0; k < 8; k++)); do printf '%s %s ' "$(hexsum $DATA $((8 * k)))" "$(hexsum $DATA_VA $((8 * k)))"; done)" \
            "smp=$smp: --va $how: the 8 stores' GPAs (the program's pagemap) and GVAs"
        is "$(jq -r '"\(.pid) \(.tid) \(.comm)"' "$T/out" | sort -u)" "$PID $PID $COMM" "smp=$smp: --va $how: every event names process $PID ($COMM)"
        is "$got" "EVT-$op $PAT" "smp=$smp: --va $how: the program's output is unchanged"
    done

    # a page the program has not mapped (its data page is alone in its 2 MiB): refused, saying so
    "$A" --vm $vm trace mem --va "$(hexsum $DATA_VA 4096)" --pid "$PID" --access w --count 1 >"$T/out" 2>"$T/err"
    rc=$?
    [ $rc != 0 ] && grep -q "$(hexsum $DATA_VA 4096) is not mapped" "$T/err" && grep -q "nothing was watched" "$T/err"
    ok $? "smp=$smp: --va of a page not mapped: refused (exit $rc): $(tr '\n' ' ' <"$T/err" | head -c 300)"

    # 8. n2rwx through the library: one asynchronous event (the first store), then none
    evlib_start $vm conv "$DATA" n2rwx --timeout 300
    is "$(head -n 1 "$T/evlib")" "EVLIB ready access=n2rwx" "smp=$smp: evlib: the data page is n2rwx (the hypervisor's store says so)"
    got=$(go $vm 8 w)
    got2=$(go $vm 9 r)
    kill -INT $EL
    wait $EL; ok $? "smp=$smp: evlib n2rwx: SIGINT: exit 0"; EL=
    is "$got $got2" "EVT-8 $PAT EVT-9 0x5a5a5a5a5a5a5a5a" "smp=$smp: n2rwx: the program's stores and load went on unchanged"
    is "$(grep '^EV ' "$T/evlib")" "EV seq=1 access=w async=1 gpa=$DATA value=-" \
        "smp=$smp: n2rwx: exactly one event, asynchronous, for the first store (word 0)"
    is "$(grep '^EVLIB end' "$T/evlib")" "EVLIB end access=rwx events=1 async=1 unclaimed=0 gaps=0 dups=0 bad=0" \
        "smp=$smp: n2rwx: the frame is rwx after it; the library counted 1 async event, no gap"
    grep -q '^EVLIB closed rc=0' "$T/evlib"; ok $? "smp=$smp: n2rwx: the watch removed, the session closed"

    # 9. rx2rw through the library: a write makes the frame rw, with no event
    evlib_start $vm conv "$DATA" rx2rw --timeout 300
    is "$(head -n 1 "$T/evlib")" "EVLIB ready access=rx2rw" "smp=$smp: evlib: the data page is rx2rw"
    got=$(go $vm 10 w)
    kill -INT $EL
    wait $EL; ok $? "smp=$smp: evlib rx2rw: SIGINT: exit 0"; EL=
    is "$got" "EVT-10 $PAT" "smp=$smp: rx2rw: the program's stores went on unchanged"
    is "$(grep -c '^EV ' "$T/evlib") $(grep '^EVLIB end' "$T/evlib")" \
        "0 EVLIB end access=rw events=0 async=0 unclaimed=0 gaps=0 dups=0 bad=0" \
        "smp=$smp: rx2rw: no event, and the frame is rw after the stores"
done
rm -rf "$T"
exit $((TAP_FAILED > 0))
