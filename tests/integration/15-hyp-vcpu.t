#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Under the armvmi hypervisor "the vCPU" is always the guest's: a --hyp VM paused at random
# moments, 200 times with 1 vCPU and 200 with 2, while the guest runs pipelines that exit to
# the hypervisor often (interrupts, IPIs). Each time every vCPU's PC is at EL0, or at EL1 inside
# the kernel's text as the guest's own /proc/kallsyms gives it, and translates with the guest's
# own tables (through stage 2) to guest RAM outside the carve-out. Some pauses must land inside
# the hypervisor (source "hyp-record"); the count is printed.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
[ -r "${ARMVMI_BUILD:-build}/hyp/armvmi-hyp.elf" ] || skip_all "the hypervisor is not built (no aarch64 cross compiler)"
A=$ARMVMI
PAUSES=${HYP_VCPU_PAUSES:-200}
plan 18

for smp in 1 2; do
    vm=it-hv$smp
    vm_start $vm --hyp --smp $smp; ok $? "smp=$smp: vm start --hyp"
    ks=$(console $vm 'grep -w -e _stext -e _etext /proc/kallsyms; printf "KS-%s\n" END' KS-END | tr -d '\r')
    stext=$(awk '$3 == "_stext" {print $1}' <<<"$ks")
    etext=$(awk '$3 == "_etext" {print $1}' <<<"$ks")
    [ -n "$stext" ] && [ -n "$etext" ] && [ "$stext" != 0000000000000000 ]
    ok $? "smp=$smp: the guest's /proc/kallsyms gives the kernel text: ${stext:-?}..${etext:-?}"
    console $vm 'yes | cat >/dev/null & yes | cat >/dev/null & printf "LOAD-%s\n" GO' LOAD-GO >/dev/null
    info=$($A --vm $vm info --json)
    read -r rbase rsize cbase csize < <(jq -r '"\(.ram[0].base) \(.ram[0].size) \(.hyp_carveout.base) \(.hyp_carveout.size)"' <<<"$info")
    bad=0 inhyp=0 stepped=0 el0=0 el1=0 seen=0
    for ((i = 0; i < PAUSES; i++)); do
        $A vm pause $vm >/dev/null || { bad=$((bad + 1)); diag "pause $i failed"; continue; }
        regs=$($A --vm $vm regs --vcpu all --json) || { bad=$((bad + 1)); diag "pause $i: regs failed"; $A vm resume $vm >/dev/null; continue; }
        for ((v = 0; v < smp; v++)); do
            read -r el pc src steps < <(jq -r ".[$v] | \"\(.el) \(.regs.PC) \(.source) \(.settle_steps)\"" <<<"$regs")
            seen=$((seen + 1))
            [ "$src" = hyp-record ] && inhyp=$((inhyp + 1))
            [ "$steps" != 0 ] && stepped=$((stepped + 1))
            why=
            case $el in
            0) el0=$((el0 + 1)); [ $((pc)) -ge 0 ] && [ $((pc >> 48)) -eq 0 ] || why="EL0 PC is not a user address" ;;
            1) el1=$((el1 + 1))
               # unsigned comparison of kernel addresses: compare as fixed-width hex strings
               pcx=$(printf '%016x' $((pc)))
               [[ ! "$pcx" < "$stext" && "$pcx" < "$etext" ]] || why="EL1 PC outside _stext.._etext" ;;
            *) why="EL$el is not the guest's" ;;
            esac
            if [ -z "$why" ]; then
                tr=$($A --vm $vm translate "$pc" --vcpu $v --json 2>&1)
                pa=$(jq -r '.pa // empty' <<<"$tr" 2>/dev/null)
                if [ -z "$pa" ]; then
                    why="PC does not translate: $tr"
                elif [ "$(jq -r .stage2 <<<"$tr")" != true ]; then
                    why="translation did not go through stage 2"
                elif [ $((pa)) -lt $((rbase)) ] || [ $((pa)) -ge $((rbase + rsize)) ]; then
                    why="PA $pa outside RAM"
                elif [ $((pa)) -ge $((cbase)) ] && [ $((pa)) -lt $((cbase + csize)) ]; then
                    why="PA $pa inside the hypervisor's carve-out"
                fi
            fi
            if [ -n "$why" ]; then
                bad=$((bad + 1))
                [ $bad -le 5 ] && diag "pause $i vCPU $v: EL$el PC $pc ($src, $steps steps): $why"
            fi
        done
        $A vm resume $vm >/dev/null
        sleep "0.0$((RANDOM % 10))"
    done
    diag "smp=$smp: $PAUSES pauses, $seen vCPU snapshots: $el1 at EL1, $el0 at EL0; $inhyp paused inside the hypervisor (guest state from its record), $stepped stepped out of its entry/exit path"
    is "$bad" 0 "smp=$smp: every guest PC over $PAUSES pauses is the guest's (EL0, or EL1 in kernel text) and translates to guest RAM outside the carve-out"
    [ $inhyp -gt 0 ]; ok $? "smp=$smp: some pauses landed inside the hypervisor ($inhyp of $seen)"
    # A register write while the CPU is inside the hypervisor would change the hypervisor's
    # registers, not the guest's: it is refused with a clear message, never done.
    refused=skip where= va_ok= npages= gpc= dpc=
    for ((i = 0; i < 200; i++)); do
        $A vm pause $vm >/dev/null
        src=$($A --vm $vm regs --json | jq -r .source)
        if [ "$src" = hyp-record ]; then
            where=$($A --vm $vm info --json | jq -r '.hyp_vcpus[0].where')
            # the commands that use "the vCPU" use the guest's at this pause too
            gpc=$($A --vm $vm regs --json | jq -r .regs.PC)
            $A --vm $vm read --va "$gpc" 4 >/dev/null && va_ok=yes || va_ok=no
            npages=$($A --vm $vm pages --kernel --json | jq 'if type == "array" then length else (.ranges | length) end')
            rm -f "$ARMVMI_RUNTIME_DIR/d.elf"
            $A --vm $vm dump -o "$ARMVMI_RUNTIME_DIR/d.elf" >/dev/null 2>&1
            dpc=$($A --vm "$ARMVMI_RUNTIME_DIR/d.elf" regs --json 2>/dev/null | jq -r .regs.PC)
            rm -f "$ARMVMI_RUNTIME_DIR/d.elf"
            out=$($A --vm $vm regs --set X9=0x1234 2>&1) && refused=no
            [ $refused = skip ] && { grep -q "inside the armvmi hypervisor" <<<"$out" && refused=yes || refused=no; }
            [ $refused = no ] && diag "$out"
            $A vm resume $vm >/dev/null
            break
        fi
        $A vm resume $vm >/dev/null
        sleep "0.0$((RANDOM % 10))"
    done
    [ "$refused" != no ]; ok $? "smp=$smp: writing a register while the CPU is in the hypervisor is refused clearly ($refused)"
    is "${where:-}" hypervisor "smp=$smp: info says so for that pause (vCPU 0 in the hypervisor)"
    is "${va_ok:-}" yes "smp=$smp: read --va of the guest PC at that pause"
    [ "${npages:-0}" -gt 0 ]; ok $? "smp=$smp: pages --kernel walks the guest's kernel tables at that pause (${npages:-0} ranges)"
    is "${dpc:-}" "${gpc:-x}" "smp=$smp: a dump taken at that pause holds the guest's PC"
    $A vm stop $vm >/dev/null
done
exit 0
