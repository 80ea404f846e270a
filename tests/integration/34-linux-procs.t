#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Processes, memory maps, command lines, open files and modules rebuilt from guest memory
# (armvmi ps, pstree, maps, cmdline, lsof, lsmod) against the guest's own view at the same
# paused moment: busybox's `ps -o pid,ppid,comm`, /proc/PID/maps, cmdline and fd/ of a
# long-running process, /proc/modules. Live, from an ELF dump and from the raw RAM file (no
# registers), with the kernel at EL1, at EL2 (VHE) and under the armvmi hypervisor, and on
# Debian 13's 6.12 kernels (LPA2; 4K and 16K pages) and Debian 11's 5.10. No offsets or symbol
# files are given: the kernel's VMCOREINFO, symbols and BTF are found in memory. `read --va
# --pid` reads the process's own memory: its first page is the start of /bin/busybox (od in the
# guest). Two small modules of the guest kit's kernel package (sent through the console,
# tests/lib/push.sh) are loaded with insmod. Last, the task list is made to loop in the guest's
# own memory: ps must end with a clear warning.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/push.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
A=$ARMVMI
S=$ARMVMI_SAN

# like GOT PATTERN DESCRIPTION: GOT contains PATTERN
like() {
    case "$1" in *"$2"*) ok 0 "$3" ;; *) ok 1 "$3"; diag "got: $1" "expected to contain: $2" ;; esac
}
# same GOT EXPECTED DESCRIPTION: like is, with a diff of long lists
same() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "$(diff <(echo "$2") <(echo "$1"))"; fi
}
# the guest's answers, as armvmi's are printed below
guest_ps() { awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && NF == 3 && $3 != "ps" {print $1, $2, $3}' "$1"; }
# (a kernel message on the console, "[   36.61] hrtimer: ...", is not the guest's answer)
guest_block() {
    sed -n "/^$2-BEGIN/,/^$2-END/p" "$1" | sed '1d;$d' | grep -v '^\[ *[0-9]*\.[0-9]*\] ' |
        sed 's/ *$//' | tr -s ' '
}
# busybox ps shows comm as /proc/PID/stat has it, cut to 15 bytes (its COMM_LEN)
armvmi_ps() { "$S" --vm "$1" ps --json | jq -r '.processes[] | "\(.pid) \(.ppid) \(.name[0:15])"'; }
armvmi_maps() { "$S" --vm "$1" maps "$2" | sed 's/ *$//' | tr -s ' '; }
# /proc/modules: name, size, address (as root the real one)
guest_mods() { guest_block "$1" MODS | awk '{print $1, $2, $6}'; }
armvmi_mods() { "$S" --vm "$1" lsmod --json | jq -r '.modules[] | "\(.name) \(.size) \(.base)"'; }
# the TIDs of process $2 (ps --threads) and its thread count (ps), as "TID... threads=N"
armvmi_tids() {
    local all
    all=$("$S" --vm "$1" ps --threads --json)
    echo "$(echo "$all" | jq -r ".processes[] | select(.pid == $2) | .tid" | sort -n |
        tr '\n' ' ')threads=$(echo "$all" | jq -r ".processes[] | select(.tid == $2) | .threads")"
}
guest_tids() {
    local g
    g=$(guest_block "$1" TASK | sort -n)
    echo "$(echo "$g" | tr '\n' ' ')threads=$(echo "$g" | wc -l)"
}
armvmi_lsof() { "$S" --vm "$1" lsof "$2" --json | jq -r '.files[] | "\(.fd) \(.path)"'; }
# pstree as "pid parent" pairs (0 for the roots), against ps's pid and ppid
armvmi_tree() {
    "$S" --vm "$1" pstree --json |
        jq -r 'def w(p): "\(.pid) \(p)", (.pid as $x | .children[] | w($x)); .tree[] | w(0)'
}
# /proc/PID/status' State letter, Uid and Gid (real, effective), /proc/PID/stat's starttime
# (field 22, clock ticks of USER_HZ = 100) of the processes the guest's ps listed
# (the console's shell, the parent of the guest's ps, may still be running when the VM is
# paused, most of all under the hypervisor: its state letter is not compared)
shell_of() { awk '$1 ~ /^[0-9]+$/ && NF == 3 && $3 == "ps" { print $2; exit }' "$1"; }
guest_stat() {
    guest_block "$1" STAT | awk -v want="$(guest_ps "$1" | awk '{print $1}' | tr '\n' ' ')" \
        -v sh="$(shell_of "$1")" 'BEGIN { split(want, w, " "); for (i in w) keep[w[i]] = 1 }
        NF == 7 && keep[$1] { if ($1 == sh) $2 = "-"; print }'
}
# ... and armvmi's: state, ids from real_cred, the start time on the boot-based clock
# (start_boottime, what stat prints; on Debian 13's kernel it is ahead of start_time) in
# USER_HZ ticks as the kernel converts it (nsec_to_clock_t: ns / (10^9 / USER_HZ), rounded down)
armvmi_stat() {
    local want
    want=$(guest_ps "$2" | awk '{print $1}' | tr '\n' ',' | sed 's/,$//')
    "$S" --vm "$1" ps --json | jq -r --argjson w "[$want]" --arg sh "$(shell_of "$2")" \
        '.processes[] | select(.pid as $p | $w | index($p)) | "\(.pid) \(if (.pid | tostring) == $sh
        then "-" else .state end) \(.uid) \(.euid) \(.gid) \(.egid) \(.start_boottime_ns / 10000000 | floor)"'
}
armvmi_cmdline() { "$S" --vm "$1" cmdline "$2" --json | jq -r '.argv[]'; }

# corrupt VM MODE PID (paused): make the task list loop (PID's tasks.next back to kthreadd's)
# through the guest's own memory, list, and put the link back: 3 tests
corrupt() {
    local vm=$1 mode=$2 pid=$3 j off a le orig t0 t1 n
    j=$("$S" --vm "$vm" ps --json)
    off=$("$A" --vm "$vm" btf --offset task_struct.tasks --json |
        jq -r '.offsets["task_struct.tasks"].offset')
    a=$(printf '0x%x' $(($(echo "$j" | jq -r ".processes[] | select(.pid == $pid) | .task") + off)))
    le=$(printf '%016x' $(($(echo "$j" | jq -r '.processes[] | select(.pid == 2) | .task') + off)) |
        sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')
    # kernel addresses through any process's context: TTBR1 is swapper_pg_dir
    orig=$("$A" --vm "$vm" read --va "$a" 8 --pid 1 --json | jq -r .hex)
    "$A" --vm "$vm" write --va "$a" "$le" --pid 1 >/dev/null
    t0=$(date +%s)
    j=$(timeout 120 "$S" --vm "$vm" ps --json 2>/dev/null)
    r=$?
    t1=$(date +%s)
    n=$(echo "$j" | jq '[.processes[].pid] | length == (unique | length)')
    is "$r $n" "0 true" "$mode: a looping task list: ps ends ($((t1 - t0)) s), each task once"
    like "$(echo "$j" | jq -r .warning)" "is cyclic" "$mode: ... and says the list is cyclic"
    "$A" --vm "$vm" write --va "$a" "$orig" --pid 1 >/dev/null
    is "$("$S" --vm "$vm" ps --json | jq -r '.broken')" 0 "$mode: the link put back, no warning"
}

# check NAME MODE KERNEL [vm start options]: 1 + 1 + 1 + 3 * 9 + 1 + 1 + 1 + 3 = 36 tests
N_CHECK=36
check() {
    local vm=$1 mode=$2 kernel=$3; shift 3
    local MODS
    MODS=$(dirname "$kernel")/modules # what the guest kit keeps of the kernel's package
    vm_start "$vm" --kernel "$kernel" "$@"; ok $? "$mode: vm start"
    local out="$ARMVMI_RUNTIME_DIR/$vm.guest" pid try d
    pid=$(console "$vm" 'busybox sleep 1000 & printf "SLEEP=%s SLEEP-%s\n" $! END' SLEEP-END 30 |
        tr -d '\r' | sed -n 's/^SLEEP=\([0-9][0-9]*\) SLEEP-END$/\1/p')
    # a process of 4 threads (guest/threads.c)
    local tpid
    tpid=$(console "$vm" 'threads 3 1000 & printf "THR=%s THR-%s\n" $! END' THR-END 30 |
        tr -d '\r' | sed -n 's/^THR=\([0-9][0-9]*\) THR-END$/\1/p')
    # a process of another user (busybox su: uid 1234, gid 2345), and a shell function that
    # prints "PID STATE UID EUID GID EGID STARTTIME" for every process in /proc
    local upid st
    upid=$(console "$vm" 'chmod 755 / /bin; echo lxu:x:1234:2345::/:/bin/sh >> /etc/passwd; '\
'su lxu -c "exec busybox sleep 1001" & printf "USR=%s USR-%s\n" $! END' USR-END 30 |
        tr -d '\r' | sed -n 's/^USR=\([0-9][0-9]*\) USR-END$/\1/p')
    st='st() { for d in /proc/[0-9]*; do s=$(sed "s/.*) //" $d/stat 2>/dev/null) && awk '
    st+='-v p=${d#/proc/} -v t="$(echo $s | cut -d" " -f20)" "/^State:/ { s = \$2 } '
    st+='/^Uid:/ { u = \$2 \" \" \$3 } /^Gid:/ { g = \$2 \" \" \$3 } END { print p, s, u, g, t }" '
    st+='$d/status 2>/dev/null; done; }; printf "ST-%s\n" DEF'
    console "$vm" "$st" ST-DEF 30 >/dev/null
    local m r=0 have_mods=0
    if [ -f "$MODS/nls_ascii.ko" ] && [ -f "$MODS/crc32_generic.ko" ]; then
        have_mods=1
        insmods "$vm" "$kernel" || r=1
        ok $r "$mode: nls_ascii and crc32_generic from the kernel package loaded with insmod"
    else
        skip "the guest kit has no modules ($MODS): run \`armvmi guest fetch --refresh\`"
    fi
    # the pause cannot be atomic with the guest's ps: a worker may start or change its work
    # in between (kworker/0:1-events becomes kworker/0:1-mm_percpu_wq when vmstat runs, every
    # second); ps comes last, and we ask again (at most 8 times) until the guest's view is the
    # paused one
    for try in 1 2 3 4 5 6 7 8; do
        console "$vm" "echo MAPS-BEGIN; cat /proc/$pid/maps; echo MAPS-END; \
echo ARGS-BEGIN; tr '\\000' '\\n' < /proc/$pid/cmdline; echo ARGS-END; \
echo OD-BEGIN; od -An -tx1 -N32 /bin/busybox; echo OD-END; \
echo MODS-BEGIN; cat /proc/modules; echo MODS-END; \
echo TASK-BEGIN; ls -1 /proc/$tpid/task; echo TASK-END; echo FD-BEGIN; \
for f in /proc/$pid/fd/*; do echo \${f##*/} \$(readlink \$f); done; echo FD-END; \
echo STAT-BEGIN; st; echo STAT-END; ps -o pid,ppid,comm; printf 'VIEW-%s\\n' END" \
            VIEW-END 60 | tr -d '\r' >"$out"
        "$A" vm pause "$vm" >/dev/null
        d=$(diff <(guest_ps "$out" | sort) <(armvmi_ps "$vm" | sort)) &&
            d=$(diff <(guest_stat "$out" | sort) <(armvmi_stat "$vm" "$out" | sort)) && break
        diag "try $try: the guest's ps (<) and the paused VM (>) differ:" "$d"
        [ $try = 8 ] || "$A" vm resume "$vm" >/dev/null # the last try stays paused
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
        same "$(armvmi_ps "$t" | sort)" "$(guest_ps "$out" | sort)" \
            "$mode, $what: ps has the guest's pids, parents and names"
        same "$(armvmi_maps "$t" "$pid")" "$(guest_block "$out" MAPS)" \
            "$mode, $what: maps $pid equals /proc/$pid/maps"
        is "$(armvmi_cmdline "$t" "$pid")" "$(guest_block "$out" ARGS)" \
            "$mode, $what: cmdline $pid equals /proc/$pid/cmdline"
        # the first VMA maps /bin/busybox from offset 0
        local start
        start=$("$S" --vm "$t" maps "$pid" --json | jq -r '.maps[0].start')
        is "$("$S" --vm "$t" read --va "$start" 32 --pid "$pid" --json | jq -r .hex)" \
            "$(guest_block "$out" OD | tr -d ' \n')" \
            "$mode, $what: read --va $start --pid $pid gives the start of /bin/busybox"
        same "$(armvmi_lsof "$t" "$pid" | sort -n)" "$(guest_block "$out" FD | sort -n)" \
            "$mode, $what: lsof $pid has the fds and paths of /proc/$pid/fd"
        same "$(armvmi_tree "$t" | sort)" "$(guest_ps "$out" | awk '{print $1, $2}' | sort)" \
            "$mode, $what: pstree links every process to the parent ps gives"
        is "$(armvmi_tids "$t" "$tpid")" "$(guest_tids "$out")" \
            "$mode, $what: ps --threads has the TIDs of /proc/$tpid/task, THR counts them"
        same "$(armvmi_stat "$t" "$out" | sort)" "$(guest_stat "$out" | sort)" \
            "$mode, $what: ps has /proc/PID/status' State, Uid, Gid and stat's starttime"
        if [ $have_mods = 1 ]; then
            same "$(armvmi_mods "$t")" "$(guest_mods "$out")" \
                "$mode, $what: lsmod has /proc/modules' names, sizes and addresses, in order"
        else
            skip "no modules to load"
        fi
    done
    is "$(guest_stat "$out" | awk -v p="$upid" '$1 == p { print $3, $4, $5, $6 }')" \
        "1234 1234 2345 2345" "$mode: the guest's status of su's sleep ($upid) has uid 1234, gid 2345"
    [ -s "$dump" ]; ok $? "$mode: the dump was written"
    local err
    err=$("$S" --vm "$dump" translate 0x400000 --pid 2 2>&1)
    is "$err" "armvmi: pid 2 (kthreadd) is a kernel thread: it has no user address space." \
        "$mode: translate --pid of a kernel thread says it has no address space"
    rm -f "$dump"
    corrupt "$vm" "$mode" "$pid"
    "$A" vm resume "$vm" >/dev/null
    "$A" vm stop "$vm" >/dev/null
}

# other Debian kernels, each if it can be fetched (a kernel that cannot skips its checks, saying
# why): Debian 13's 6.12 (52-bit VAs with LPA2, signal->thread_head, module mem[]) with 4K and
# 16K pages, and Debian 11's 5.10 (no maple tree: the VMA list; no kallsyms in VMCOREINFO; no
# module range in VMCOREINFO; task->state). ARMVMI_PROCS_ONLY="16k 5.10" runs only those named
# (default, el2, hyp, 6.12, 16k, 5.10).
KERNELS=("6.12|trixie|arm64|Debian 13 kernel" "16k|trixie|arm64-16k|Debian 13 16K kernel"
    "5.10|bullseye|arm64|Debian 11 kernel (5.10)")
ONLY=${ARMVMI_PROCS_ONLY:-default el2 hyp 6.12 16k 5.10}
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
n=0
for w in $ONLY; do n=$((n + 1)); done
plan $((n * N_CHECK))
kernel=$("$A" -q guest fetch --json | jq -r .kernel)
want default && check it-procs EL1 "$kernel"
want el2 && check it-procs-el2 "EL2 (VHE)" "$kernel" --el2
want hyp && check it-procs-hyp "under the hypervisor" "$kernel" --hyp
for k in "${KERNELS[@]}"; do
    IFS='|' read -r tag rel flavour what <<<"$k"
    want "$tag" || continue
    kk=$("$A" -q guest fetch --kernel-release "$rel" --flavour "$flavour" --json \
        2>"$ARMVMI_RUNTIME_DIR/fetch.err" | jq -r '.kernel // empty' 2>/dev/null)
    if [ -n "$kk" ]; then
        check "it-procs-${tag//./}" "$what" "$kk"
    else
        why=$(grep -v '^guest kit:' "$ARMVMI_RUNTIME_DIR/fetch.err" | tail -n 1)
        for _ in $(seq $N_CHECK); do skip "$what cannot be fetched: ${why:-no reason}"; done
    fi
done
