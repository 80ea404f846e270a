#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# VMI events under stress, with 1 and 2 vCPUs: the guest program guest/evstress.c (one per vCPU,
# pinned) stores 1, 2, ..., N into the first word of its page A and of its page B, one plain STR
# each, and prints how many stores it made. The test monitor build/hyp/evmon write-protects both
# pages and answers every event; while the guest runs it changes the pages' access again and
# again (SET_ACCESS, without stopping to answer): A between r and rx (still write-protected),
# B between rwx (cleared) and rx (re-set). Checked: A has exactly one event per store (the
# guest's own count), values 1..N in order, none lost, none duplicated; B's values only go up
# (none duplicated) in at most one run per protected window; the sequence numbers of all events
# are 1..max with no gap and no duplicate; the program's own output is right.
# Run 1 is doorbell mode (the monitor sleeps on the doorbell socket: rings both ways counted),
# run 2 busy-poll mode with a smaller count.
# Run 3 is the same stream through the library: tests/evlib, a monitor built on the public
# events API alone (events.h), write-watches A and B; while the guest runs it re-registers A
# (a new watch, then the old one removed: A is never unprotected) and clears and re-sets B's
# watch (armvmi_mem_unwatch, armvmi_mem_watch_pa). Checked as above: A exactly one event per
# store, B's values only go up; the sequence numbers its callbacks saw are 1..max with none
# missing and none duplicated, one per tracked event; the library's own counters (gaps,
# duplicates, corrupt, unclaimed, dropped) are all 0. Same count as run 1.
# ARMVMI_EVSTRESS_LIB_ONLY=1 skips runs 1 and 2.
# Counts: ARMVMI_EVSTRESS_EVENTS is about how many events run 1 has in all (CI default 75000;
# each program makes 3/4 of its share in stores per page, B being protected a third to a half
# of the time). ARMVMI_EVSTRESS_EVENTS=1000000 is the issue's "1,000,000 events in a row": it takes
# 2-4 minutes per vCPU count under TCG on a 2-core machine, so it was run once by hand and
# recorded in BENCHMARKS.md, and CI runs the smaller count. ARMVMI_EVSTRESS_BUSY_N: stores per
# page in the busy-poll run (default 10000).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/evmon.sh"
EVLIB=$B/tests/evlib
[ -x "$EVLIB" ] || skip_all "the test monitor $EVLIB is not built"
EVENTS=${ARMVMI_EVSTRESS_EVENTS:-75000}
NB=${ARMVMI_EVSTRESS_BUSY_N:-10000}
LIB_ONLY=${ARMVMI_EVSTRESS_LIB_ONLY:-} # 1: only run 3 (the library), e.g. for the 1,000,000 by hand
plan 54
T=$(mktemp -d /tmp/armvmi-54.XXXXXX)
MON=
ML=
GOT=
cleanup_mon() { [ -n "$MON" ] && kill "$MON" 2>/dev/null; rm -rf "$T"; }
trap 'cleanup_mon; tap_cleanup' EXIT

# start $1 programs of $2 stores (program c on vCPU c, log /tmp/evs$c.log); sets PA_c, PB_c
start_programs() {
    local c out
    sh_until "rm -f /tmp/evs-go" RM >/dev/null || return 1
    for ((c = 0; c < $1; c++)); do
        sh_until "test -s /tmp/evs$c.log || (evstress $2 $c >/tmp/evs$c.log 2>&1 &)" ST$c >/dev/null || return 1
    done
    sleep 1
    for ((c = 0; c < $1; c++)); do
        out=$(sh_until "cat /tmp/evs$c.log" CAT$c) || return 1
        eval "PA_$c=$(awk '/^EVS a/ {sub("pa=", "", $4); print $4}' <<<"$out")"
        eval "PB_$c=$(awk '/^EVS b/ {sub("pa=", "", $4); print $4}' <<<"$out")"
        eval "[ -n \"\$PA_$c\" ] && [ \"\$PA_$c\" != 0x0 ] && [ -n \"\$PB_$c\" ]" || return 1
    done
}
# the programs' EVS-DONE lines, waiting up to $2 seconds for $1 of them; then their logs go
done_lines() {
    local i out
    for ((i = 0; i < $2; i += 5)); do
        out=$(console "$vm" "cat /tmp/evs*.log; printf 'D-%s\n' OK" D-OK 30 2>/dev/null | tr -d '\r' | grep '^EVS-DONE')
        [ "$(grep -c . <<<"$out")" = "$1" ] && break
        sleep 5
    done
    sh_until "rm -f /tmp/evs*.log /tmp/evs-go" RM >/dev/null
    echo "$out"
}
# monitor_stream NAME CMD...: start the monitor CMD, wait for its "NAME ready" line, let the
# programs go and wait for the monitor to end; sets $ML (its log) and $GOT (the programs')
monitor_stream() {
    local name=$1
    shift
    "$@" >"$T/mon.log" 2>&1 &
    MON=$!
    for ((k = 0; k < 100; k++)); do
        grep -q "^$name ready" "$T/mon.log" && break
        kill -0 $MON 2>/dev/null || break
        sleep 0.2
    done
    sh_until "touch /tmp/evs-go" GO >/dev/null
    wait $MON
    MON=
    ML=$(cat "$T/mon.log")
    GOT=$(done_lines "$smp" 120)
}
# run MODE STORES: one monitored stream; sets $ML (the monitor's log) and $GOT (the programs')
run_stream() {
    local mode=$1 n=$2 c args=() total every
    ML= GOT=
    start_programs "$smp" "$n" || { diag "smp=$smp $mode: the guest programs did not start"; return 1; }
    for ((c = 0; c < smp; c++)); do
        eval "a=\$PA_$c b=\$PB_$c"
        args+=(--set "$a=rx" --set "$b=rx" --track "$a" --track "$b" --toggle "$a=r/rx" --toggle "$b=rwx/rx")
    done
    total=$((n * smp * 3 / 2)) # A: n events; B: about half of its stores
    every=$((total / 12 > 0 ? total / 12 : 1))
    monitor_stream EVMON "$EVMON" "$ARMVMI_RUNTIME_DIR/$vm" --quiet "$mode" "${args[@]}" \
        --toggle-every "$every" --idle 5 --timeout 1800
}
# check_pages PREFIX CHANGES STORES: the monitor's "PREFIX track" lines of each program's pages:
# A exactly STORES events, values 1..STORES in one run; B's values only go up, in at most one run
# per protected window (CHANGES/2 + 1 of them) (2 tests, named LABEL: ...). Sets the caller's sum
# (events of all tracked pages). The programs' own EVS-DONE lines first (1 test).
check_pages() {
    local prefix=$1 changes=$2 n=$3 label=$4 c line bad=0 badb=0
    is "$(grep -c "^EVS-DONE writes_a=$n writes_b=$n last_a=$(printf 0x%x "$n") last_b=$(printf 0x%x "$n")$" <<<"$GOT")" "$smp" \
        "$label: each program made $n stores to each page and read the last value back"
    [ "$(grep -c '^EVS-DONE' <<<"$GOT")" = "$smp" ] || diag "$GOT"
    for ((c = 0; c < smp; c++)); do
        eval "a=\$PA_$c b=\$PB_$c"
        line=$(grep "^$prefix track $a " <<<"$ML")
        [ "$(field events <<<"$line") $(field runs <<<"$line") $(field first <<<"$line") $(field last <<<"$line") $(field backwards <<<"$line")" = "$n 1 1 $n 0" ] ||
            { bad=$((bad + 1)); diag "A: $line"; }
        sum=$((sum + $(field events <<<"$line")))
        line=$(grep "^$prefix track $b " <<<"$ML")
        [ "$(field backwards <<<"$line")" = 0 ] && [ "$(field events <<<"$line")" -gt 0 ] &&
            [ "$(field events <<<"$line")" -lt "$n" ] && [ "$(field runs <<<"$line")" -le $((changes / 2 + 1)) ] ||
            { badb=$((badb + 1)); diag "B: $line"; }
        sum=$((sum + $(field events <<<"$line")))
    done
    is "$bad" 0 "$label: page A: exactly one event per store ($n, the programs' own count), values 1..$n in order"
    is "$badb" 0 "$label: page B (cleared and re-set): values only go up, one run per protected window at most"
}
# check MODE STORES: the checks of one stream (9 tests)
check_stream() {
    local mode=$1 n=$2 sum=0 toggles line
    grep -q '^EVMON ready' <<<"$ML"
    ok $? "smp=$smp $mode: monitor attached, both pages of each program write-protected"
    toggles=$(sed -n 's/^EVMON toggles=\([0-9]*\) .*/\1/p' <<<"$ML")
    [ "${toggles:-0}" -ge 4 ] && grep -q '^EVMON toggles=.* failed=0$' <<<"$ML"
    ok $? "smp=$smp $mode: the protections were changed ${toggles:-0} times while the guest ran (SET_ACCESS, all accepted)"
    check_pages EVMON "$toggles" "$n" "smp=$smp $mode"
    line=$(grep '^EVMON seqcheck' <<<"$ML")
    is "$(field missing <<<"$line") $(field dup <<<"$line") $(field bad <<<"$line") $(field max <<<"$line")" "0 0 0 $sum" \
        "smp=$smp $mode: sequence numbers 1..$(field max <<<"$line"): none missing, none duplicated, one per tracked event"
    line=$(grep '^EVMON events=' <<<"$ML")
    is "$(field errors <<<"$line") $(field async_dropped <<<"$line")" "0 0" "smp=$smp $mode: no rejected input, no dropped event"
    line=$(grep '^EVMON rate' <<<"$ML")
    diag "smp=$smp $mode: $(field events <<<"$line") events in $(field seconds <<<"$line") s: $(field per_second <<<"$line") events/s"
    if [ "$mode" = --doorbell ]; then
        [ "$(field doorbell_rx <<<"$line")" -gt 0 ] && [ "$(field doorbell_tx <<<"$line")" -gt 0 ]
        ok $? "smp=$smp $mode: the doorbell rang both ways (hypervisor $(field doorbell_rx <<<"$line"), monitor $(field doorbell_tx <<<"$line"))"
    else
        is "$(field doorbell_rx <<<"$line") $(field doorbell_tx <<<"$line")" "0 0" "smp=$smp $mode: no doorbell used"
    fi
    grep -q '^EVMON detach status=1 attached=0' <<<"$ML"
    ok $? "smp=$smp $mode: the monitor detached cleanly"
}

# run_lib STORES: run 3, through the library (tests/evlib); sets $ML and $GOT
run_lib() {
    local n=$1 c args=() total every
    ML= GOT=
    start_programs "$smp" "$n" || { diag "smp=$smp evlib: the guest programs did not start"; return 1; }
    for ((c = 0; c < smp; c++)); do
        eval "args+=(--track \$PA_$c --cycle \$PB_$c)"
    done
    total=$((n * smp * 3 / 2))
    every=$((total / 12 > 0 ? total / 12 : 1))
    monitor_stream EVLIB "$EVLIB" "$ARMVMI_RUNTIME_DIR/$vm" stress "${args[@]}" \
        --cycle-every "$every" --idle 5 --timeout 1800
}
# check_lib STORES: the checks of run 3 (8 tests)
check_lib() {
    local n=$1 sum=0 cycles line
    grep -q '^EVLIB ready' <<<"$ML"
    ok $? "smp=$smp evlib: attached through the library, both pages of each program write-watched"
    cycles=$(sed -n 's/^EVLIB cycles=\([0-9]*\) .*/\1/p' <<<"$ML")
    [ "${cycles:-0}" -ge 4 ] && grep -q '^EVLIB cycles=.* failed=0$' <<<"$ML"
    ok $? "smp=$smp evlib: the watches were re-registered (A) and cleared/re-set (B) ${cycles:-0} times while the guest ran"
    check_pages EVLIB "$cycles" "$n" "smp=$smp evlib"
    line=$(grep '^EVLIB seqcheck' <<<"$ML")
    is "$(field missing <<<"$line") $(field dup <<<"$line") $(field bad <<<"$line") $(field max <<<"$line") $(field events <<<"$line")" "0 0 0 $sum $sum" \
        "smp=$smp evlib: the callbacks saw sequence numbers 1..$(field max <<<"$line"): none missing, none duplicated, one per tracked event"
    line=$(grep '^EVLIB stats' <<<"$ML")
    is "$(field events <<<"$line") $(field gaps <<<"$line") $(field dups <<<"$line") $(field bad <<<"$line") $(field unclaimed <<<"$line") $(field dropped <<<"$line") $(field hyp_errors <<<"$line")" \
        "$sum 0 0 0 0 0 0" "smp=$smp evlib: the library's counters: $sum events, no gap, duplicate, corrupt, unclaimed or dropped event"
    grep '^EVLIB problem' <<<"$ML" | while read -r l; do diag "$l"; done
    line=$(grep '^EVLIB rate' <<<"$ML")
    diag "smp=$smp evlib: $(field events <<<"$line") events in $(field seconds <<<"$line") s: $(field per_second <<<"$line") events/s"
    grep -q '^EVLIB closed rc=0' <<<"$ML"
    ok $? "smp=$smp evlib: the session closed cleanly"
}

for smp in 1 2; do
    vm=it-evs$smp
    vm_start $vm --hyp --smp $smp; ok $? "smp=$smp: vm start --hyp"
    for ((k = 0; k < 10; k++)); do
        console $vm 'printf "SH-%s\n" READY' SH-READY 10 >/dev/null 2>&1 && break
    done
    N=$((EVENTS * 3 / 4 / smp + 1))
    if [ -z "$LIB_ONLY" ]; then
        run_stream --doorbell "$N"
        check_stream --doorbell "$N"
        run_stream --busy "$NB"
        check_stream --busy "$NB"
    else
        for ((k = 0; k < 18; k++)); do skip "ARMVMI_EVSTRESS_LIB_ONLY: runs 1 and 2 (the raw monitor)"; done
    fi
    run_lib "$N"
    check_lib "$N"
    "$ARMVMI" vm stop $vm >/dev/null 2>&1
done
exit $((TAP_FAILED > 0))
