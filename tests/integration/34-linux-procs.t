#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Processes, memory maps and command lines rebuilt from guest memory (armvmi ps, maps,
# cmdline) against the guest's own view at the same paused moment: busybox's
# `ps -o pid,ppid,comm`, /proc/PID/maps and /proc/PID/cmdline of a long-running process. Live,
# from an ELF dump and from the raw RAM file (no registers), with the kernel at EL1, at EL2
# (VHE) and under the armvmi hypervisor. No offsets or symbol files are given: the kernel's
# VMCOREINFO and BTF are found in memory. `read --va --pid` reads the process's own memory:
# its first page is the start of /bin/busybox (od in the guest).
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
S=$ARMVMI_SAN

# the guest's answers, as armvmi's are printed below
guest_ps() { awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && NF == 3 && $3 != "ps" {print $1, $2, $3}' "$1"; }
guest_block() { sed -n "/^$2-BEGIN/,/^$2-END/p" "$1" | sed '1d;$d' | sed 's/ *$//' | tr -s ' '; }
# busybox ps shows comm as /proc/PID/stat has it, cut to 15 bytes (its COMM_LEN)
armvmi_ps() { "$S" --vm "$1" ps --json | jq -r '.processes[] | "\(.pid) \(.ppid) \(.name[0:15])"'; }
armvmi_maps() { "$S" --vm "$1" maps "$2" | sed 's/ *$//' | tr -s ' '; }
armvmi_cmdline() { "$S" --vm "$1" cmdline "$2" --json | jq -r '.argv[]'; }

# check NAME [vm start options]: 1 + 1 + 3 * 4 + 1 + 1 = 16 tests
check() {
    local vm=$1 mode=$2; shift 2
    vm_start "$vm" "$@"; ok $? "$mode: vm start"
    local out="$ARMVMI_RUNTIME_DIR/$vm.guest" pid try g
    pid=$(console "$vm" 'busybox sleep 1000 & printf "SLEEP=%s SLEEP-%s\n" $! END' SLEEP-END 30 |
        tr -d '\r' | sed -n 's/^SLEEP=\([0-9][0-9]*\) SLEEP-END$/\1/p')
    # the pause cannot be atomic with the guest's ps: a worker may start or change its work
    # in between; ask again (at most 3 times) until the guest's view is the paused one
    for try in 1 2 3; do
        console "$vm" "ps -o pid,ppid,comm; echo MAPS-BEGIN; cat /proc/$pid/maps; echo MAPS-END; \
echo ARGS-BEGIN; tr '\\000' '\\n' < /proc/$pid/cmdline; echo ARGS-END; \
echo OD-BEGIN; od -An -tx1 -N32 /bin/busybox; echo OD-END; printf 'VIEW-%s\\n' END" \
            VIEW-END 60 | tr -d '\r' >"$out"
        "$A" vm pause "$vm" >/dev/null
        [ "$(armvmi_ps "$vm" | sort)" = "$(guest_ps "$out" | sort)" ] && break
        "$A" vm resume "$vm" >/dev/null
    done
    r=0; [ -n "$pid" ] && grep -q busybox "$out" || { r=1; diag "$(cat "$out")"; }
    ok $r "$mode: the guest printed ps, the maps and command line of its sleep ($pid) (try $try)"
    local dump="$ARMVMI_RUNTIME_DIR/$vm.elf"
    "$A" --vm "$vm" dump -o "$dump" --quiet
    local raw="raw:$ARMVMI_RUNTIME_DIR/$vm/ram@0x40000000" t
    for t in "$vm" "$dump" "$raw"; do
        local what=live
        [ "$t" = "$dump" ] && what="ELF dump"
        [ "$t" = "$raw" ] && what="raw RAM file"
        is "$(armvmi_ps "$t" | sort)" "$(guest_ps "$out" | sort)" \
            "$mode, $what: ps has the guest's pids, parents and names"
        is "$(armvmi_maps "$t" "$pid")" "$(guest_block "$out" MAPS)" \
            "$mode, $what: maps $pid equals /proc/$pid/maps"
        is "$(armvmi_cmdline "$t" "$pid")" "$(guest_block "$out" ARGS)" \
            "$mode, $what: cmdline $pid equals /proc/$pid/cmdline"
        # the first VMA maps /bin/busybox from offset 0
        local start
        start=$("$S" --vm "$t" maps "$pid" --json | jq -r '.maps[0].start')
        is "$("$S" --vm "$t" read --va "$start" 32 --pid "$pid" --json | jq -r .hex)" \
            "$(guest_block "$out" OD | tr -d ' \n')" \
            "$mode, $what: read --va $start --pid $pid gives the start of /bin/busybox"
    done
    [ -s "$dump" ]; ok $? "$mode: the dump was written"
    local err
    err=$("$S" --vm "$dump" translate 0x400000 --pid 2 2>&1)
    is "$err" "armvmi: pid 2 (kthreadd) is a kernel thread: it has no user address space." \
        "$mode: translate --pid of a kernel thread says it has no address space"
    rm -f "$dump"
    "$A" vm resume "$vm" >/dev/null
    "$A" vm stop "$vm" >/dev/null
}

plan 48
check it-procs EL1
check it-procs-el2 "EL2 (VHE)" --el2
check it-procs-hyp "under the hypervisor" --hyp
