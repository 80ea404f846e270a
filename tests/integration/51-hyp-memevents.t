#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# VMI memory events under the armvmi hypervisor, with 1 and 2 vCPUs, spoken over the raw ABI by
# the test monitor build/hyp/evmon against the guest program guest/evtarget.c, which prints its
# pages' physical addresses from its own /proc/self/pagemap and what it read back:
# write-protect -> exactly one event per store with the right GPA, GVA, PC, size and value and
# the program's output unchanged (single-step and in-hypervisor emulation); EMULATE of a read
# changes what the program sees; execute-protect -> exec events at the function's PCs; rx2rw and
# n2rwx; a hostile monitor is reported and the guest keeps running; a monitor killed with
# SIGKILL -> fail-open within its timeout.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/evmon.sh"
plan 108
T=$(mktemp -d /tmp/armvmi-51.XXXXXX)
MON=

# The guest's EVT-N line (the program's log), waiting up to $2 seconds.
result() {
    local i r
    for ((i = 0; i < $2 * 2; i++)); do
        r=$(console "$vm" "grep '^EVT-$1 ' /tmp/evt.log; printf 'R-%s\n' END" R-END 30 | tr -d '\r' | grep "^EVT-$1 ")
        [ -n "$r" ] && { echo "$r"; return 0; }
        sleep 0.5
    done
    return 1
}
mon_wait() {
    for ((i = 0; i < 300; i++)); do
        kill -0 $MON 2>/dev/null || { wait $MON; MON=; return 0; }
        sleep 0.2
    done
    kill $MON; wait $MON; MON=; return 1
}
# Trigger step $1 ($2) of the program; checked and resent: after a long hold of a vCPU the
# guest's console may drop typed characters.
go() {
    local k
    for ((k = 0; k < 3; k++)); do
        console "$vm" "echo $2 >/tmp/evt-t; mv /tmp/evt-t /tmp/evt-go-$1; printf 'GO-%s\n' DONE" GO-DONE >/dev/null
        console "$vm" "test -s /tmp/evt-go-$1 && printf 'GO-%s\n' THERE; printf 'GO-%s\n' CHECKED" GO-CHECKED | grep -q '^GO-THERE' && return 0
        sleep 1
    done
    return 1
}
hexsum() { printf '0x%x' $(($1 + $2)); }
PAT="1111111111111111 2222222222222222 3333333333333333 4444444444444444 5555555555555555 6666666666666666 7777777777777777 8888888888888888"

for smp in 1 2; do
    vm=it-ev$smp
    vm_start $vm --hyp --smp $smp; ok $? "smp=$smp: vm start --hyp"
    # the shell reads the console only once it has opened it: until then typed text is lost
    for ((k = 0; k < 10; k++)); do
        console $vm 'printf "SH-%s\n" READY' SH-READY 10 >/dev/null 2>&1 && break
    done
    out=$(console $vm 'evtarget /tmp >/tmp/evt.log 2>&1 & sleep 1; cat /tmp/evt.log; printf "S-%s\n" UP' S-UP | tr -d '\r')
    DATA_VA=$(awk '/^EVT data/ {sub("va=", "", $3); print $3}' <<<"$out")
    DATA=$(awk '/^EVT data/ {sub("pa=", "", $4); print $4}' <<<"$out")
    CODE_VA=$(awk '/^EVT code/ {sub("va=", "", $3); print $3}' <<<"$out")
    CODE=$(awk '/^EVT code/ {sub("pa=", "", $4); print $4}' <<<"$out")
    WR=$(awk '/^EVT writer / {sub("va=", "", $3); print $3}' <<<"$out")
    WR32=$(awk '/^EVT writer32/ {sub("va=", "", $3); print $3}' <<<"$out")
    RD=$(awk '/^EVT reader/ {sub("va=", "", $3); print $3}' <<<"$out")
    [ -n "$DATA" ] && [ "$DATA" != 0x0 ] && [ -n "$CODE" ] && [ "$CODE" != 0x0 ] && [ -n "$RD" ]
    ok $? "smp=$smp: guest program's pages from its pagemap: data $DATA_VA -> $DATA, code $CODE_VA -> $CODE"

    # 1. write-protect, 8 post-indexed 64-bit stores (no syndrome): single-step per event
    mon_start --set "$DATA=rx" --action step --idle 3 --timeout 120; ok $? "smp=$smp: monitor attached, data page write-protected"
    go 1 w
    got=$(result 1 60); mon_wait
    is "$got" "EVT-1 $PAT" "smp=$smp: stores stepped: the program's output is unchanged"
    is "$(events | wc -l)" 8 "smp=$smp: exactly one event per store (8)"
    is "$(events | field seq | tr '\n' ' ')" "1 2 3 4 5 6 7 8 " "smp=$smp: sequence numbers 1..8, no gaps"
    bad=0
    for ((k = 0; k < 8; k++)); do
        line=$(events | sed -n "$((k + 1))p")
        [ "$(field gpa <<<"$line")" = "$(hexsum $DATA $((8 * k)))" ] || bad=$((bad + 1))
        [ "$(field gva <<<"$line")" = "$(hexsum $DATA_VA $((8 * k)))" ] || bad=$((bad + 1))
        [ "$(field access <<<"$line")" = w ] || bad=$((bad + 1))
        pc=$(field pc <<<"$line")
        [ $((pc)) -ge $((WR)) ] && [ $((pc)) -lt $((WR + 64)) ] || bad=$((bad + 1))
    done
    is "$bad" 0 "smp=$smp: each event: GPA and GVA of its word, access w, PC in do_writes"
    [ "$bad" = 0 ] || diag "$(events)"

    # 2. the same with 32-bit stores that carry a syndrome: emulated in the hypervisor
    mon_start --set "$DATA=rx" --action step --idle 3 --timeout 120; ok $? "smp=$smp: monitor attached again"
    go 2 w32
    got=$(result 2 60); mon_wait
    is "$got" "EVT-2 c0de0000 c0de0001 c0de0002 c0de0003" "smp=$smp: 32-bit stores emulated: output unchanged"
    exp="" ; gotv=""
    for ((k = 0; k < 4; k++)); do
        exp+="$(hexsum $DATA $((256 + 4 * k))) 4 0xc0de000$k 0xe 1;"
    done
    while read -r line; do
        pc=$(field pc <<<"$line")
        inr=$([ $((pc)) -ge $((WR32)) ] && [ $((pc)) -lt $((WR32 + 64)) ] && echo 1 || echo 0)
        gotv+="$(field gpa <<<"$line") $(field size <<<"$line") $(field value <<<"$line") $(field flags <<<"$line") $inr;"
    done < <(events)
    is "$gotv" "$exp" "smp=$smp: 4 events with GPA, size 4, the value written, syndrome+value flags, PC in do_writes32"

    # 3. read-protect, EMULATE the load with a value of the monitor's
    mon_start --set "$DATA=wx" --action emulate:0x1122334455667788 --idle 3 --timeout 120; ok $? "smp=$smp: data page read-protected"
    go 3 r
    got=$(result 3 60); mon_wait
    is "$got" "EVT-3 0x1122334455667788" "smp=$smp: EMULATE of a read: the program sees the monitor's value"
    line=$(events | head -1)
    is "$(events | wc -l) $(field access <<<"$line") $(field size <<<"$line") $(field gpa <<<"$line") $(field pc <<<"$line")" \
        "1 r 8 $(hexsum $DATA 128) $RD" "smp=$smp: one read event: size 8, GPA of word 16, PC = do_read"

    # 4. execute-protect the code page: an event per instruction fetched there, stepped
    mon_start --set "$CODE=rw" --action step --idle 3 --timeout 120; ok $? "smp=$smp: code page execute-protected"
    go 4 x
    got=$(result 4 60); mon_wait
    is "$got" "EVT-4 16" "smp=$smp: the protected function ran correctly (5 * 3 + 1)"
    n=$(events | wc -l)
    first=$(events | head -1 | field pc)
    badx=0
    while read -r line; do
        [ "$(field access <<<"$line")" = x ] && [ "$(field pc <<<"$line")" = "$(field gva <<<"$line")" ] &&
            [ $(($(field gpa <<<"$line") >> 12)) = $((CODE >> 12)) ] || badx=$((badx + 1))
    done < <(events)
    [ "$n" = 3 ] && [ "$first" = "$CODE_VA" ] && [ "$badx" = 0 ]
    ok $? "smp=$smp: 3 exec events ($n), the first at exec_target ($first = $CODE_VA), each with PC = GVA in the code frame"

    # 5. rx2rw: writes go through without events and leave the frame rw
    mon_start --set "$DATA=rx2rw" --action step --timeout 8 --get-at-end "$DATA"; ok $? "smp=$smp: data page rx2rw"
    go 5 w
    got=$(result 5 60); mon_wait
    is "$got" "EVT-5 $PAT" "smp=$smp: rx2rw: the stores went through"
    is "$(events | wc -l) $(sed -n 's/^EVMON get-at-end .* acc=//p' "$T/mon.log")" "0 3" "smp=$smp: rx2rw: no event, the frame is rw after the write"

    # 6. n2rwx: the first access opens the frame and posts one asynchronous event
    mon_start --set "$DATA=n2rwx" --action step --timeout 8 --get-at-end "$DATA"; ok $? "smp=$smp: data page n2rwx"
    go 6 r
    got=$(result 6 60); mon_wait
    is "$got" "EVT-6 0x5a5a5a5a5a5a5a5a" "smp=$smp: n2rwx: the read returned the page's content"
    line=$(events | head -1)
    is "$(events | wc -l) $(field flags <<<"$line") $(sed -n 's/^EVMON .* async=\([0-9]*\) .*/\1/p' "$T/mon.log") $(sed -n 's/^EVMON get-at-end .* acc=//p' "$T/mon.log")" \
        "1 0x16 1 7" "smp=$smp: n2rwx: one asynchronous event (read with syndrome), frame rwx afterwards"

    # 7. a hostile monitor: bad commands, then responses with the wrong seq
    mon_start --set "$DATA=rx" --bad-commands --hostile badseq --count 5 --timeout 120; ok $? "smp=$smp: hostile monitor attached"
    is "$(sed -n 's/^EVMON bad \(.*\) status=\([0-9]*\)/\1=\2/p' "$T/mon.log" | tr '\n' ' ')" \
        "set_access carve-out=3 set_access beyond-ram=3 set_access wrap=3 set_access value=2 op=2 pause=2 attach-again=4 " \
        "smp=$smp: carve-out, out-of-RAM, wrapping and invalid commands rejected (ERANGE, EINVAL, ESTATE)"
    is "$(sed -n 's/^EVMON combo //p' "$T/mon.log")" \
        "set-rx2rw=1 break-on-restricted=7 set-rwx=1 break=1 set-rx2rw-on-break=7 set-rwx-on-break=1 clear=1 set-rx2rw-after=1 set-rwx-after=1" \
        "smp=$smp: a breakpoint and a restriction on one frame refused either way (EBUSY), each fine alone"
    go 7 w
    mon_wait
    got=$(result 7 60)
    is "$got" "EVT-7 $PAT" "smp=$smp: after 5 responses with a wrong seq and the monitor's detach, the program finished correctly"
    errs=$(sed -n 's/^EVMON events=.* errors=\([0-9]*\) last_error=\([0-9]*\).*/\1 \2/p' "$T/mon.log")
    read -r ne le <<<"$errs"
    [ "${ne:-0}" -ge 10 ] && [ "$le" = 1 ]
    ok $? "smp=$smp: the channel counted the rejections (errors=$ne, last_error=$le: bad seq)"
    grep -q 'rejected monitor input: response seq' "$ARMVMI_RUNTIME_DIR/$vm/console.log"
    ok $? "smp=$smp: the hypervisor reported the rejected responses on its console"

    # 8. the monitor killed with SIGKILL while an event waits: fail-open after its timeout
    mon_start --set "$DATA=rx" --action step --timeout-ms 1000 --timeout 120; ok $? "smp=$smp: monitor with a 1 s timeout"
    kill -STOP $MON
    go 8 w
    sleep 1
    kill -9 $MON; wait $MON 2>/dev/null; MON=
    got=$(result 8 30)
    is "$got" "EVT-8 $PAT" "smp=$smp: monitor killed: the guest carried on (fail-open), output unchanged"
    grep -aq 'events: monitor gone (no heartbeat): fail-open' "$ARMVMI_RUNTIME_DIR/$vm/console.log"
    rc=$?
    ok $rc "smp=$smp: the hypervisor declared the monitor gone (fail-open)"
    [ $rc = 0 ] || diag "$(grep -a 'events:' "$ARMVMI_RUNTIME_DIR/$vm/console.log" | tail -5)"

    # 9. the same write-protection in busy-poll mode (both sides spin)
    mon_start --set "$DATA=rx" --busy --action step --idle 3 --timeout 120; ok $? "smp=$smp: busy-poll monitor attached"
    go 9 w
    got=$(result 9 60); mon_wait
    is "$got" "EVT-9 $PAT" "smp=$smp: busy-poll: output unchanged"
    is "$(events | wc -l) $(events | field seq | tr '\n' ' ')" "8 1 2 3 4 5 6 7 8 " "smp=$smp: busy-poll: 8 events, seq 1..8"

    # 10. PAUSE every vCPU for 2 s: records IN_HYP, no guest entry meanwhile; RESUME
    all=$(seq -s, 1 $smp | sed 's/[0-9]\+/2/g')
    mon_start --pause-ms 2000 --timeout 0.1 >/dev/null; mon_wait
    p=$(sed -n 's/^EVMON pause status=\([0-9]*\) vcpus=\([0-9,]*\).*/\1 \2/p' "$T/mon.log")
    q=$(sed -n 's/^EVMON paused vcpus=\([0-9,]*\) exits-during-pause=\([0-9]*\)/\1 \2/p' "$T/mon.log")
    is "$p / $q / $(grep -c '^EVMON resume status=1' "$T/mon.log")" "1 $all / $all 0 / 1" \
        "smp=$smp: PAUSE: every vCPU record IN_HYP, no exit (no guest run) for 2 s, RESUME accepted"
    out=$(console $vm 'printf "ALIVE-%s\n" AFTER-PAUSE' ALIVE-AFTER-PAUSE | tr -d '\r' | grep -c '^ALIVE-AFTER-PAUSE')
    is "$out" 1 "smp=$smp: the guest runs again after RESUME"

    # 11. fail-closed: the monitor killed while an event waits; the vCPU stays paused until a
    # new monitor attaches and answers it
    mon_start --set "$DATA=rx" --fail-closed --action step --timeout-ms 1000 --timeout 120
    ok $? "smp=$smp: fail-closed monitor attached"
    kill -STOP $MON
    # triggered a second later, once the shell has answered: the stopped vCPU may hold up the
    # whole guest kernel (its IPIs), the shell included
    console "$vm" "(sleep 1; echo w >/tmp/evt-t; mv /tmp/evt-t /tmp/evt-go-10) & printf 'GO-%s\n' DONE" GO-DONE >/dev/null
    sleep 4
    kill -9 $MON; wait $MON 2>/dev/null; MON=
    st=$("$EVMON" "$ARMVMI_RUNTIME_DIR/$vm" --status)
    grep -q 'attached=0 .*slots=[0-9,]*1' <<<"$st" && ! grep -aq '^EVT-10 ' "$ARMVMI_RUNTIME_DIR/$vm/console.log"
    ok $? "smp=$smp: monitor gone, fail-closed: detached, the event still posted, the program stopped ($st)"
    mon_start --action step --idle 3 --timeout 120; ok $? "smp=$smp: a new monitor attached"
    got=$(result 10 60); mon_wait
    is "$got" "EVT-10 $PAT" "smp=$smp: the new monitor answered the pending event: output unchanged"
    is "$(events | wc -l)" 8 "smp=$smp: fail-closed: 8 events in all, none lost"
    # 12. S1PTW: the page holding the data page's last-level table (found by our walker with
    # the program's own TTBR0, caught at EL0 while it spins) is made inaccessible: the guest's
    # stage-1 walks touching it are reported as such
    go 11 spin
    TBL=
    for ((k = 0; k < 30; k++)); do
        [ -n "$TBL" ] && break
        "$ARMVMI" vm pause $vm >/dev/null || continue
        r=$("$ARMVMI" --vm $vm regs --vcpu all --json)
        for ((c = 0; c < smp; c++)); do
            [ "$(jq -r ".[$c].el" <<<"$r")" = 0 ] && [ $(($(jq -r ".[$c].regs.PC" <<<"$r"))) -lt $((0x1000000)) ] || continue
            TBL=$("$ARMVMI" --vm $vm translate "$DATA_VA" --vcpu $c --trace --json |
                jq -r '[.steps[] | select(.stage == 1 and .level == 3)][0].table // empty')
            [ -n "$TBL" ] && TBL=$(printf '0x%x' "$TBL") && break
        done
        "$ARMVMI" vm resume $vm >/dev/null
        sleep 0.3
    done
    [ -n "$TBL" ]; ok $? "smp=$smp: the data page's level-3 table from our walker with the program's TTBR0: ${TBL:-none}"
    result 11 60 >/dev/null
    mon_start --set "${TBL:-0}=n" --action step --idle 3 --timeout 60; ok $? "smp=$smp: table page made inaccessible"
    go 12 r
    mon_wait
    got=$(result 12 60)
    is "$got" "EVT-12 0x5a5a5a5a5a5a5a5a" "smp=$smp: the program read its data through the protected table"
    # the program's load of word 16 walks through the table: its descriptor is entry
    # VA[20:12] of the table; the VA is the load's (the kernel may walk the page too)
    DESC=$(hexsum $TBL $(((DATA_VA >> 12 & 511) * 8)))
    line=$(events | grep " gva=$(hexsum $DATA_VA 128) " | head -1)
    is "$(field flags <<<"$line") $(field access <<<"$line") $(field gpa <<<"$line") $(field pc <<<"$line")" \
        "0x3 r $DESC $RD" "smp=$smp: S1PTW event of the load: flags S1PTW+GVA, access r, GPA = its descriptor, PC = do_read"
    [ -n "$line" ] || diag "$(events | head -5)"

    # 12b. a breakpoint placed on the faulting frame while its event waits (the monitor made the
    # frame rwx first, then BREAK_SET, then zeroed the frame's first words behind the copy): a
    # response restricting the frame again is rejected (ARMVMI_ERR_RSP_BUSY) and a STEP is
    # retried through the breakpoint's views; either way the stores reach the original frame
    for name in rx step; do
        opt=() n=14 want="rejected=0"
        [ $name = rx ] && opt=(--then-access rx) n=13 want="rejected=1 last_error=12"
        mon_start --set "$DATA=rx" --break-pending "${opt[@]}" --action step --idle 3 --timeout 120
        ok $? "smp=$smp: pending event, then a breakpoint on its frame ($name)"
        go $n w
        got=$(result $n 60); mon_wait
        is "$got" "EVT-$n $PAT" "smp=$smp: breakpoint set while the event waited ($name): output unchanged"
        line=$(sed -n 's/^EVMON break-pending //p' "$T/mon.log")
        [ $name = step ] && line=${line% last_error=*}
        is "$line / $(events | wc -l)" "set-rwx=1 break=1 get=1 acc=7 word0=0x1111111111111111 clear=1 $want / 1" \
            "smp=$smp: ($name) the frame stays rwx, the store reached the original frame, one event"
    done

    # 13. a large SET_ACCESS (64 MiB, 16384 frames) runs in chunks; DETACH releases all of it
    mon_start --set "0x48000000+0x4000000=rx2rw" --timeout 0.5 --get-at-end 0x4a000000
    mon_wait
    is "$(sed -n 's/^EVMON set 0x48000000+0x4000000 acc=8 status=\([0-9]*\) frames=\([0-9]*\)/\1 \2/p' "$T/mon.log")" "1 16384" \
        "smp=$smp: SET_ACCESS of 16384 frames completed in chunks (result: frames done)"
    grep -aq 'events: DETACH: 16384 restricted frames released' "$ARMVMI_RUNTIME_DIR/$vm/console.log"
    ok $? "smp=$smp: DETACH released all 16384 frames (rx2rw, or rw once written)"

    out=$(console $vm 'echo 1 >/tmp/evt-go-15; printf "ALIVE-%s\n" OK' ALIVE-OK | tr -d '\r' | grep -c '^ALIVE-OK')
    is "$out" 1 "smp=$smp: guest shell still alive"
    "$ARMVMI" vm stop $vm >/dev/null 2>&1
done
rm -rf "$T"
exit $((TAP_FAILED > 0))
