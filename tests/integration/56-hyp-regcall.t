#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Register-write events (HCR_EL2.TVM) and SMC/HVC events under the armvmi hypervisor, 1 and 2
# vCPUs, over the raw ABI (build/hyp/evmon) and through `armvmi trace reg|smc|hvc`:
# - the bare-metal test guest (hyp/tests/trapguest, "armvmi.regcall") with its MMU on: a denied
#   SCTLR_EL1 write that clears M leaves M set and the guest goes on; a write outside the mask
#   takes effect with no event; an ANSWERed HVC returns the monitor's x0-x3 (checked by the guest);
#   PSCI_VERSION over SMC and HVC seen and still served; bad REG_TRAP/CALL_TRAP arguments
#   rejected (VBAR_EL1: ENOTSUP, no FEAT_FGT in QEMU 7.2); after DETACH SCTLR writes stop exiting
#   (EC 0x18 counts, read by the guest) and HVCs are not monitored;
# - the default Debian guest: TTBR0_EL1 events while processes switch, each new table base one of
#   a live process's mm->pgd (the Linux layer, `armvmi ps`) or the kernel's reserved_pg_dir
#   (/proc/kallsyms, translated by our walker), old values chaining; the PSCI CPU_OFF/CPU_ON of
#   CPU hotplug seen as SMC events with the right arguments, and the CPU back online.
# - single-step across an HVC (trapguest "armvmi.hvcstep", `trace step --vcpu 0`): the step after
#   each HVC is at the next instruction, its word the loop's next one; STEP_ON in the response to
#   an HVC event (CONTINUE and ANSWER): the step events start at the instruction after the HVC,
#   each HVC while stepping is first a step at it, and STEP_OFF in the Nth step's response ends
#   them while the HVC events go on.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/evmon.sh"
T=$(mktemp -d /tmp/armvmi-56.XXXXXX)
TG=$B/hyp/trapguest.img
[ -r "$TG" ] || skip_all "the trap test guest $TG is not built"
MON=
cleanup56() { [ -n "$MON" ] && kill "$MON" 2>/dev/null; rm -rf "$T"; tap_cleanup; }
trap cleanup56 EXIT
# wait_con PATTERN SECONDS: until the VM's console log has a line matching PATTERN
wait_con() {
    local i
    for ((i = 0; i < $2 * 4; i++)); do
        tr -d '\r' <"$ARMVMI_RUNTIME_DIR/$vm/console.log" 2>/dev/null | grep -qE -- "$1" && return 0
        sleep 0.25
    done
    return 1
}
mon_stop() { [ -n "$MON" ] && { kill -TERM "$MON" 2>/dev/null; wait "$MON"; MON=; }; }

for smp in 1 2; do
    # ---- the bare-metal test guest ----
    vm=rc-tg$smp
    vm_start $vm --hyp --smp $smp --mem 256 --kernel "$TG" --initrd "$TG" --append armvmi.regcall --timeout 60
    ok $? "smp=$smp: trap test guest up with its MMU on, waiting for a monitor"
    # the CLI first: its announcement HVCs, continued (NOT_SUPPORTED: the guest keeps asking)
    js=$("$ARMVMI" --vm $vm trace hvc --count 3 --json 2>"$T/cli.err")
    is "$(jq -r '[.seq, .kind, .imm, .x[0], .x[1], .insn, (.pid // "none")] | @tsv' <<<"$js" | tr '\t\n' ' |')" \
        "1 hvc 0 0xc600ff10 0x11 hvc #0 none|2 hvc 0 0xc600ff10 0x11 hvc #0 none|3 hvc 0 0xc600ff10 0x11 hvc #0 none|" \
        "smp=$smp: armvmi trace hvc --count 3 --json: seq 1-3, the guest's x0/x1, 'hvc #0' disassembled, no Linux process"
    "$ARMVMI" --vm $vm trace reg vbar_el1 --count 1 >/dev/null 2>"$T/cli.err"
    [ $? = 1 ] && grep -q 'FEAT_FGT' "$T/cli.err"; ok $? "smp=$smp: armvmi trace reg VBAR_EL1: refused, FEAT_FGT named"
    mon_start --reg-trap sctlr=1 --call-trap smc,hvc --reg-action deny \
        --answer 0xc600ff10=0x600dcafe,0xa1,0xa2,0xa3 --bad-regcall --quiet-after 64 --timeout 120
    ok $? "smp=$smp: monitor attached: SCTLR_EL1 (mask M, deny), SMC and HVC events (answer 0xc600ff10)"
    is "$(sed -n 's/^EVMON bad \(.*\) status=\([0-9]*\)/\1=\2/p' "$T/mon.log" | tr '\n' ' ')" \
        "reg_trap unknown-register=2 reg_trap flags=2 reg_trap vbar=6 call_trap flags=2 " \
        "smp=$smp: unknown register, bad flags rejected (EINVAL); VBAR_EL1 without FEAT_FGT: ENOTSUP"
    wait_con '^TRAPTEST regcall monitor may detach' 60
    ok $? "smp=$smp: the guest got through its monitored part"
    mon_stop
    wait_con '^TRAPTEST done' 60
    ok $? "smp=$smp: the guest ran to its end after the monitor's detach"
    while IFS= read -r line; do
        case "$line" in
        "TRAPTEST ok "*) ok 0 "smp=$smp: guest: ${line#TRAPTEST ok [0-9]* - }" ;;
        "TRAPTEST not ok "*) ok 1 "smp=$smp: guest: ${line#TRAPTEST not ok [0-9]* - }" ;;
        esac
    done < <(tr -d '\r' <"$ARMVMI_RUNTIME_DIR/$vm/console.log" | grep -E '^TRAPTEST (ok|not ok) ')
    ev=$(grep '^EV ' "$T/mon.log")
    hello=$(grep -m1 ' type=hvc .* x0=0xc600ff10 ' <<<"$ev")
    is "$(field imm <<<"$hello") $(field x1 <<<"$hello") $(field x2 <<<"$hello") $(field x3 <<<"$hello")" \
        "0 0x11 0x22 0x33" "smp=$smp: HVC event: immediate 0, the guest's x1-x3"
    grep -q ' type=hvc .* x0=0x84000000 ' <<<"$ev" && grep -q ' type=smc .* x0=0x84000000 ' <<<"$ev"
    ok $? "smp=$smp: PSCI_VERSION seen as an HVC event and as an SMC event"
    sc=$(grep ' type=reg ' <<<"$ev")
    old=$(field old <<<"$sc")
    new=$(field new <<<"$sc")
    [ "$(wc -l <<<"$sc")" = 1 ] && [ $((old & 1)) = 1 ] && [ $((new)) = $((old & ~1)) ] &&
        [ "$(field sysreg <<<"$sc")" = sctlr ] && [ "$(field el <<<"$sc")" = 1 ]
    ok $? "smp=$smp: exactly one SCTLR_EL1 event (the write clearing M, old $old new $new); the UCI write filtered"
    f=$(sed -n 's/^EVMON filtered=//p' "$T/mon.log")
    [ "${f:-0}" -ge 1 ]; ok $? "smp=$smp: the channel counted the writes that raised no event (filtered=$f)"
    "$ARMVMI" vm stop $vm >/dev/null 2>&1
done

BADDR=0x0000fffffffff000 # TTBR BADDR of a 4K-aligned table: no ASID (63:48), no CnP (0)
for smp in 1 2; do
    # ---- the default Debian guest ----
    vm=rc-lx$smp
    vm_start $vm --hyp --smp $smp; ok $? "smp=$smp: Debian guest up under the hypervisor"
    for ((k = 0; k < 10; k++)); do
        console $vm 'printf "SH-%s\n" READY' SH-READY 10 >/dev/null 2>&1 && break
    done
    # three CPU-bound shells (no fork, no exit) and the console shell: the processes that run
    console $vm 'for i in 1 2 3; do (while :; do :; done) & done; printf "BG-%s\n" UP' BG-UP >/dev/null
    mon_start --reg-trap ttbr0=0x0000fffffffffffe --count 100 --timeout 90
    ok $? "smp=$smp: monitor attached: TTBR0_EL1 events on a change of the table base"
    for ((k = 0; k < 450 && ${MON:-0} > 0; k++)); do kill -0 $MON 2>/dev/null || break; sleep 0.2; done
    mon_stop
    "$ARMVMI" vm pause $vm >/dev/null
    ps=$("$ARMVMI" --vm $vm ps --json)
    ttbr1=$("$ARMVMI" --vm $vm regs --vcpu 0 --json | jq -r '.regs.TTBR1_EL1')
    # vmlinux.lds.S (6.1): reserved_pg_dir is the page just below swapper_pg_dir, which TTBR1_EL1
    # holds while the kernel runs; the reserved table is empty (all zero: nothing mapped)
    rsv=$(printf '0x%x' $(((ttbr1 & BADDR) - 4096)))
    zero=$("$ARMVMI" --vm $vm read --pa $rsv 4096 --raw | tr -d '\0' | wc -c)
    "$ARMVMI" vm resume $vm >/dev/null
    pgds=$(jq -r '.processes[] | select(.pgd_pa != null) | .pgd_pa' <<<"$ps" | sort -u)
    # the CLI's view of the same switches: each new table's process is the one ps shows with it
    js=$("$ARMVMI" --vm $vm trace reg TTBR0_EL1 --mask 0xfffffffff000 --count 20 --json 2>"$T/cli.err")
    badp=0
    while read -r o; do
        np=$(jq -r .new_pid <<<"$o")
        nw=$(printf '0x%x' $(($(jq -r .new <<<"$o") & BADDR)))
        if [ "$np" = null ]; then [ "$nw" = "$rsv" ] || badp=$((badp + 1))
        else [ "$(jq -r --argjson p "$np" '.processes[] | select(.pid == $p) | .pgd_pa' <<<"$ps")" = "$nw" ] || badp=$((badp + 1))
        fi
        jq -e '.insn == "msr ttbr0_el1, x0" and (.seq | type == "number")' <<<"$o" >/dev/null || badp=$((badp + 1))
    done <<<"$js"
    [ "$(grep -c . <<<"$js")" = 20 ] && [ $badp = 0 ]
    ok $? "smp=$smp: armvmi trace reg TTBR0_EL1 --json: 20 events, new_pid's pgd (ps) = the new table or none for reserved_pg_dir, 'msr ttbr0_el1, x0' ($badp bad)"
    is "$zero" 0 "smp=$smp: the reserved table (swapper_pg_dir $(printf '0x%x' $((ttbr1 & BADDR))) - 4K = $rsv) is empty"
    ev=$(events)
    n=$(wc -l <<<"$ev")
    bad=0 chain=0 seenp=
    declare -A last=()
    while read -r line; do
        c=$(field vcpu <<<"$line")
        nw=$(printf '0x%x' $(($(field new <<<"$line") & BADDR)))
        od=$(printf '0x%x' $(($(field old <<<"$line") & BADDR)))
        if [ "$nw" = "$rsv" ]; then :
        elif grep -qx "$nw" <<<"$pgds"; then seenp+="$nw "
        else bad=$((bad + 1)); [ $bad -le 3 ] && diag "not a process's pgd nor reserved_pg_dir: $line"
        fi
        [ -n "${last[$c]:-}" ] && [ "${last[$c]}" != "$od" ] && chain=$((chain + 1))
        last[$c]=$nw
    done <<<"$ev"
    unset last
    [ "$n" = 100 ] && [ "$bad" = 0 ]
    ok $? "smp=$smp: $n TTBR0_EL1 events, each new table base a live process's mm->pgd (armvmi ps) or reserved_pg_dir ($bad others)"
    np=$(tr ' ' '\n' <<<"$seenp" | sort -u | grep -c .)
    [ "$np" -ge 3 ]; ok $? "smp=$smp: the switches went to $np different processes' tables (the 3 busy shells at least)"
    is "$chain" 0 "smp=$smp: each event's old table base is the previous new one on its vCPU (only on change)"
    grep -q "^EV .* el=1 sysreg=ttbr0 " "$T/mon.log"; ok $? "smp=$smp: the writes come from EL1 (the kernel's context switch)"
    # a hostile monitor: every response garbage (seq right, action and flags 0xa5...): rejected,
    # each write performed as with CONTINUE, the guest unharmed
    mon_start --reg-trap ttbr0=0x0000fffffffffffe --hostile garbage --count 20 --timeout 60
    for ((k = 0; k < 300; k++)); do kill -0 $MON 2>/dev/null || break; sleep 0.2; done
    mon_stop
    read -r ne le < <(sed -n 's/^EVMON events=.* errors=\([0-9]*\) last_error=\([0-9]*\).*/\1 \2/p' "$T/mon.log")
    out=$(console $vm 'printf "ALIVE-%s\n" OK' ALIVE-OK | tr -d '\r' | grep -c '^ALIVE-OK')
    # (the monitor reads the counter right after its 20th answer: that one may not be counted yet)
    [ "${ne:-0}" -ge 19 ] && [ "$le" = 2 ] && [ "$out" = 1 ]
    ok $? "smp=$smp: garbage responses rejected (errors=$ne of 20, last_error=$le: action), the writes done, the shell alive"
    if [ $smp = 2 ]; then
        # PSCI through CPU hotplug: CPU_OFF from cpu1, CPU_ON of it from cpu0 (SMC conduit)
        se=$(console $vm "grep ' secondary_entry\$' /proc/kallsyms; printf 'K-%s\n' DONE" K-DONE | tr -d '\r' | awk '/ secondary_entry$/ {print $1}')
        sepa=$("$ARMVMI" --vm $vm translate "0x$se" --json | jq -r '.pa')
        mon_start --call-trap smc --timeout 120; ok $? "smp=2: monitor attached: SMC events"
        out=$(console $vm 'echo 0 >/sys/devices/system/cpu/cpu1/online; echo 1 >/sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online; printf "HP-%s\n" DONE' HP-DONE 90 | tr -d '\r')
        mon_stop
        grep -qx '0-1' <<<"$out"; ok $? "smp=2: cpu1 offline and online again: /sys/devices/system/cpu/online is 0-1"
        off=$(grep -m1 ' x0=0x84000002 ' "$T/mon.log")
        on=$(grep -m1 ' x0=0xc4000003 ' "$T/mon.log")
        is "$(field vcpu <<<"$off")" 1 "smp=2: SMC event CPU_OFF (0x84000002) from vCPU 1"
        is "$(field vcpu <<<"$on") $(field x1 <<<"$on") $(($(field x2 <<<"$on"))) $(field x3 <<<"$on")" \
            "0 0x1 $sepa 0x0" "smp=2: SMC event CPU_ON (0xc4000003) from vCPU 0: target MPIDR 1, entry = PA of secondary_entry ($(printf 0x%x "${sepa:-0}")), context 0"
        pc=$(field pc <<<"$on")
        [ $(((pc >> 48) & 0xffff)) = $((0xffff)) ]; ok $? "smp=2: the CPU_ON SMC's PC is in the kernel ($pc)"
    fi
    "$ARMVMI" vm stop $vm >/dev/null 2>&1
done

# Single-step across an HVC: the step after it is at the very next instruction (the HVC's own
# ELR_EL2 is already past it, and the hardware left SPSR.SS = 0: nothing runs unstepped).
vm=rc-hs1
vm_start $vm --hyp --smp 1 --mem 256 --kernel "$TG" --initrd "$TG" --append armvmi.hvcstep --timeout 60
ok $? "trap test guest up, making HVCs in a loop"
"$ARMVMI" --vm $vm trace step --vcpu 0 --count 40 --json >"$T/hs.json" 2>"$T/hs.err"
ok $? "trace step --vcpu 0 --count 40 exits 0"
jq -r '"\(.pc) \(.word) \(.insn)"' "$T/hs.json" >"$T/hs.txt"
nh=0 prev= bad= next=
while read -r pc word insn; do
    [ -n "$prev" ] && { [ $((pc)) = $((prev + 4)) ] || bad+=" $pc after the HVC at $(printf %#x $prev);"; next+="$word "; }
    if [ "$word" = 0xd4000002 ]; then prev=$((pc)) nh=$((nh + 1)); else prev=; fi # hvc #0
done <"$T/hs.txt"
[ "$nh" -ge 5 ] && [ -z "$bad" ]
ok $? "$nh HVCs stepped, each followed by a step at the next instruction${bad:+ (not so:$bad)}"
is "$(tr ' ' '\n' <<<"$next" | sort -u | tr -d '\n')" 0x91000529 \
    "the instruction stepped after each HVC is the loop's next one (add x9, x9, #1: 0x91000529)"
# STEP_ON in the response to an HVC event (raw ABI, build/hyp/evmon --step-on 12): the loop is
# movz x0 / hvc #0 / add x9 / add x10 / b, identity-mapped (evmon reads each step's word).
for act in continue answer; do
    opt=()
    [ $act = answer ] && opt=(--answer 0x84000000=0x10001,0,0,0)
    mon_start --call-trap hvc --step-on 12 --count 40 --timeout 60 "${opt[@]}"
    ok $? "($act) monitor attached, HVC events on"
    for ((k = 0; k < 150; k++)); do kill -0 $MON 2>/dev/null || break; sleep 0.2; done
    mon_stop
    events | sed 's/ x[0-9]=[^ ]*//g' >"$T/so.txt"
    first=$(head -1 "$T/so.txt")
    st=$(grep -n 'type=step' "$T/so.txt" | head -1)
    hpc=$(field pc <<<"$first")
    is "$(field type <<<"$first") / $(field pc <<<"$st") $(field count <<<"$st") $(field word <<<"$st") / ${st%%:*}" \
        "hvc / $(printf %#x $((hpc + 4))) 1 0x91000529 / 2" \
        "($act) the first step event follows the STEP_ON HVC event, at the instruction after the HVC (add x9, x9, #1)"
    # while stepping: each HVC event is preceded by a step at it, each followed by a step after it
    bad= prev= prevpc=
    while read -r line; do
        t=$(field type <<<"$line") pc=$(field pc <<<"$line")
        [ $t = hvc ] && [ -n "$prev" ] && [ "$prev:$prevpc" != "step:$pc" ] && bad+=" hvc at $pc after $prev at $prevpc;"
        [ $t = step ] && [ "$prev" = hvc ] && [ $((pc)) != $((prevpc + 4)) ] && bad+=" step at $pc after the hvc at $prevpc;"
        prev=$t prevpc=$pc
    done < <(sed -n "1,/ count=12 /p" "$T/so.txt")
    is "${bad:-none}" none "($act) while stepping, every HVC is a step event at it, then one at the next instruction"
    after=$(sed -n "/ count=12 /,\$p" "$T/so.txt" | tail -n +2)
    is "$(grep -c 'type=step' "$T/so.txt") $(grep -c 'type=hvc' <<<"$after") $(grep -c 'type=step' <<<"$after")" \
        "12 $((40 - $(grep -n ' count=12 ' "$T/so.txt" | cut -d: -f1))) 0" \
        "($act) STEP_OFF in the 12th step's response: no step event after it, the HVC events go on"
done
"$ARMVMI" vm stop $vm >/dev/null 2>&1
rm -rf "$T"
echo "1..$TAP_N"
exit $((TAP_FAILED > 0))
