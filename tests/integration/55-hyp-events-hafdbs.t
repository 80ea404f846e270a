#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hardware Access-flag/dirty updates (FEAT_HAFDBS: QEMU 7.2's -cpu max has it, and Debian's
# Linux 6.1 turns on TCR_EL1.HA and HD, checked here in the vCPU's TCR_EL1) of a write-protected
# stage-1 table page are handled inside the hypervisor, while the guest's own writes to that
# table still arrive as events. With 1 and 2 vCPUs, guest/evstress.c --dirty maps 16 pages of a
# shared tmpfs file alone in 2 MiB of VA; our walker, with the TTBR0 of a vCPU whose walk of
# that VA gives the physical page the program's own pagemap reports, finds their level-3 table.
# The test monitor write-protects that table page:
# - the program reads the 16 pages: the kernel writes their descriptors (writable-clean:
#   DBM=1, AP[2]=1, read back by our walker): events, stores of the kernel (EL1 PC), not S1PTW;
# - the program then writes the pages: the MMU sets them dirty (AP[2]=0) in the protected table
#   itself: no event at all, and yet every descriptor is dirty afterwards (our walker), which
#   nothing but the hardware update (done by the hypervisor on the walk's behalf) can have done
#   while any store of the guest to that page would have been an event.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/evmon.sh"
plan 22
T=$(mktemp -d /tmp/armvmi-55.XXXXXX)
MON=
trap '[ -n "$MON" ] && kill $MON 2>/dev/null; rm -rf "$T"; tap_cleanup' EXIT
K=16
VA=0x6000000000

# wait_prog REGEX SECONDS: the program's log line
wait_prog() {
    local i r
    for ((i = 0; i < $2; i++)); do
        r=$(sh_until "cat /tmp/d.log" CAT | grep -E "$1")
        [ -n "$r" ] && { echo "$r"; return 0; }
        sleep 1
    done
    return 1
}
mon_wait() { wait $MON; MON=; }
# the level-3 descriptors of the K pages, with the program's TTBR0 (one per line)
descs() {
    for ((i = 0; i < K; i++)); do
        "$ARMVMI" --vm $vm translate $(printf 0x%x $((VA + i * 4096))) --ttbr0 "$TTBR0" --vcpu "$CPU" --trace --json |
            jq -r '[.steps[] | select(.stage == 1 and .level == 3)][0].desc // "none"'
    done
}
# count of descriptors with AP[2] (bit 7) as $1 and DBM (bit 51) set
count_ap2() {
    local n=0 d
    while read -r d; do
        [ "$d" = none ] && continue
        [ $(((d >> 7) & 1)) = "$1" ] && [ $(((d >> 51) & 1)) = 1 ] && n=$((n + 1))
    done
    echo $n
}

for smp in 1 2; do
    vm=it-hafd$smp
    vm_start $vm --hyp --smp $smp; ok $? "smp=$smp: vm start --hyp"
    for ((k = 0; k < 10; k++)); do
        console $vm 'printf "SH-%s\n" READY' SH-READY 10 >/dev/null 2>&1 && break
    done
    sh_until "rm -f /tmp/evs-go1 /tmp/evs-go2 /tmp/evs-go3 /tmp/d.log; (evstress --dirty $K >/tmp/d.log 2>&1 &)" ST >/dev/null
    PA0=$(wait_prog '^EVS shm' 30 | field pa0)
    # a vCPU whose TTBR0 is the program's: its walk of VA gives the program's own page
    TBL= TTBR0= CPU= TCR=
    for ((k = 0; k < 40; k++)); do
        "$ARMVMI" vm pause $vm >/dev/null || continue
        r=$("$ARMVMI" --vm $vm regs --vcpu all --json)
        for ((c = 0; c < smp; c++)); do
            j=$("$ARMVMI" --vm $vm translate $VA --vcpu $c --trace --json 2>/dev/null)
            [ -n "$j" ] && [ "$(printf 0x%x "$(jq -r '.pa // 0' <<<"$j")")" = "$PA0" ] || continue
            TBL=$(printf 0x%x "$(jq -r '[.steps[] | select(.stage == 1 and .level == 3)][0].table' <<<"$j")")
            TTBR0=$(jq -r ".[$c].regs.TTBR0_EL1" <<<"$r")
            TCR=$(jq -r ".[$c].regs.TCR_EL1" <<<"$r")
            CPU=$c
            break
        done
        "$ARMVMI" vm resume $vm >/dev/null
        [ -n "$TBL" ] && break
        sleep 0.2
    done
    [ -n "$TBL" ] && [ -n "$PA0" ]
    ok $? "smp=$smp: the pages' level-3 table from our walker with the program's TTBR0 ($TTBR0 on vCPU $CPU): ${TBL:-none}"
    is "$(((TCR >> 39) & 1)) $(((TCR >> 40) & 1))" "1 1" "smp=$smp: the guest kernel turned on TCR_EL1.HA and HD ($TCR)"

    # 1. the program reads its pages: the kernel maps them, writing the protected table
    mon_start --set "$TBL=rx" --action step --idle 4 --timeout 120; ok $? "smp=$smp: table page write-protected"
    sh_until "touch /tmp/evs-go1" GO1 >/dev/null
    r=$(wait_prog '^EVS-READ' 60)
    mon_wait
    ok $([ -n "$r" ]; echo $?) "smp=$smp: the program read its $K pages ($r)"
    n=0 bad=0
    for ((i = 1; i < K; i++)); do
        events | grep -q " gpa=$(printf 0x%x $((TBL + 8 * i))) .* access=w flags=0x[0-9a-f]*[02468ace] " && n=$((n + 1))
    done
    while read -r line; do
        [ "$(field access <<<"$line")" = w ] && [ $(($(field flags <<<"$line") & 1)) = 0 ] &&
            [[ "$(field pc <<<"$line")" == 0xffff* ]] || bad=$((bad + 1))
    done < <(events)
    is "$n $bad" "$((K - 1)) 0" "smp=$smp: the kernel's stores of descriptors 1..$((K - 1)) arrived as events ($(events | wc -l) in all): writes, not S1PTW, kernel PCs"
    [ "$bad" = 0 ] || diag "$(events | head -5)"
    before=$(descs)
    is "$(count_ap2 1 <<<"$before")" $K "smp=$smp: all $K descriptors writable-clean (DBM=1, AP[2]=1) after the reads"

    # 2. the program writes its pages: hardware dirty-state updates of the protected table
    mon_start --set "$TBL=rx" --action step --idle 6 --timeout 120; ok $? "smp=$smp: table page write-protected again"
    sh_until "touch /tmp/evs-go2" GO2 >/dev/null
    r=$(wait_prog '^EVS-WRITE' 60)
    sleep 2 # the program waits for evs-go3 before it exits (unmapping: the kernel writes the table)
    kill -TERM $MON 2>/dev/null
    mon_wait
    sum=0
    for ((i = 0; i < K; i++)); do sum=$((sum + 0x1000 + i)); done
    is "$r" "EVS-WRITE pages=$K sum=$(printf 0x%x $sum)" "smp=$smp: the program wrote its $K pages and read them back"
    is "$(events | wc -l)" 0 "smp=$smp: no event for the MMU's dirty-state updates of the protected table"
    [ "$(events | wc -l)" = 0 ] || diag "$(events | head -5)"
    after=$(descs)
    is "$(count_ap2 0 <<<"$after")" $K "smp=$smp: and all $K descriptors are dirty (AP[2]=0, DBM=1) afterwards"
    sh_until "touch /tmp/evs-go3" GO3 >/dev/null
    "$ARMVMI" vm stop $vm >/dev/null 2>&1
done
exit $((TAP_FAILED > 0))
