#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `armvmi btf`: the kernel's own BTF found in guest memory with no symbols. The bytes must be
# the guest's own /sys/kernel/btf/vmlinux (sha256 computed inside the guest by busybox), from a
# live VM, an ELF dump and the raw RAM file. Offsets are checked against the running kernel
# itself, not against libbpf: with task_struct.{tasks,pid,comm} armvmi's reads walk the task
# list from the current task (SP_EL0) and must find exactly the guest's `ps -o pid,comm`; with
# task_struct.mm and mm_struct.pgd, the page-table root of a process spinning at EL0 must be
# the CPU's own TTBR0_EL1. On the default Debian 6.1 guest, then on Debian 13's 6.12 kernel
# (52-bit LPA2, 4K and 16K pages); a kernel that cannot be fetched skips its tests, saying why.
# Module BTF: with two modules of the kernel's package loaded (insmod), `btf --module M --dump`
# must have the sha256 of the guest's /sys/kernel/btf/M (live, ELF dump, raw RAM file), and a
# function of the module resolves to its prototype in the kernel's source, with the types it
# takes from vmlinux's BTF (split BTF); the function is one of the module's in /proc/kallsyms.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/push.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v perl >/dev/null || skip_all "perl is not installed"
A=$ARMVMI
S=$ARMVMI_SAN
REL=${ARMVMI_LPA2_RELEASE:-trixie}
hex() { printf '0x%x' "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
RO="the kernel image's read-only data (kallsyms_names to swapper_pg_dir)"
plan 41

# guest_facts VM: sets $gsha, $gsize (of /sys/kernel/btf/vmlinux) and $gps ("pid comm" lines);
# on a loaded machine a freshly booted guest's shell can miss the first line: callers retry once
guest_facts() {
    local out
    out=$(console "$1" 'command -v sha256sum >/dev/null && echo HAVE=sha256sum;
        sha256sum /sys/kernel/btf/vmlinux | sed "s/^/SHA=/"; wc -c </sys/kernel/btf/vmlinux |
        sed "s/^/SIZE=/"; ps -o pid,comm | sed "1d;s/^ */PS=/"; echo "SELF=$$"; printf "G-%s\n" END' \
        G-END 90 | tr -d '\r')
    have=$(echo "$out" | sed -n 's/^HAVE=//p')
    gsha=$(echo "$out" | sed -n 's/^SHA=\([0-9a-f]\{64\}\) .*/\1/p')
    gsize=$(echo "$out" | sed -n 's/^SIZE=\([0-9]*\)$/\1/p')
    gps=$(echo "$out" | sed -n 's/^PS=//p' | grep -v -E ' (ps|sed)$' | sort -n)
    [ "$have" = sha256sum ] && [ -n "$gsha" ] && [ -n "$gsize" ] && [ -n "$gps" ] ||
        { diag "$out"; return 1; }
}

# mod_facts VM KERNEL: load the guest kit's two modules, set $msha ("name sha" lines of their
# /sys/kernel/btf files) and $mks (/proc/kallsyms' crc32_update line)
mod_facts() {
    local out
    insmods "$1" "$2" || return 1
    out=$(console "$1" 'for m in nls_ascii crc32_generic; do sha256sum /sys/kernel/btf/$m |
        sed "s/^/MS=/"; done; grep -w crc32_update /proc/kallsyms | sed "s/^/KS=/";
        printf "M-%s\n" END' M-END 60 | tr -d '\r')
    msha=$(echo "$out" | sed -n 's#^MS=\([0-9a-f]\{64\}\)  /sys/kernel/btf/\(.*\)$#\2 \1#p')
    mks=$(echo "$out" | sed -n 's/^KS=//p')
    [ "$(echo "$msha" | wc -l)" = 2 ] || { diag "$out"; return 1; }
}

# mod_shas VM-SPEC: "name sha" of `btf --module` for both modules, as $msha has them
mod_shas() {
    local m
    for m in nls_ascii crc32_generic; do
        echo "$m $("$S" --vm "$1" btf --module $m --dump - | sha256sum | cut -d' ' -f1)"
    done
}

# offsets VM-SPEC: sets $o_tasks $o_pid $o_comm $o_mm $o_pgd from `armvmi btf --offset`
offsets() {
    local j
    j=$("$S" --vm "$1" btf --json --offset task_struct.tasks --offset task_struct.pid \
        --offset task_struct.comm --offset task_struct.mm --offset mm_struct.pgd) || return 1
    read -r o_tasks o_pid o_comm o_mm o_pgd < <(echo "$j" | jq -r '.offsets |
        [."task_struct.tasks".offset, ."task_struct.pid".offset, ."task_struct.comm".offset,
         ."task_struct.mm".offset, ."mm_struct.pgd".offset] | map(tostring) | join(" ")')
    [ -n "$o_pgd" ] || { diag "$j"; return 1; }
    diag "offsets: tasks $o_tasks pid $o_pid comm $o_comm mm $o_mm; mm_struct.pgd $o_pgd"
}

# kctx RAW: the kernel context (--ttbr1/--tcr) from discovery on the raw RAM file
kctx() {
    local j
    j=$("$A" --vm "$1" kernel --json) || return 1
    ctx=(--ttbr1 "$(echo "$j" | jq -r .swapper_pg_dir_pa)" --tcr "$(echo "$j" | jq -r .tcr)")
}

# rd RAW VA LEN: hex bytes at a kernel VA of the paused RAM file
rd() { "$A" --vm "$1" read --va "$(hex "$2")" "$3" --json "${ctx[@]}" | jq -r .hex; }

# walk RAW TASK-VA: follow task_struct.tasks (at most 2000 steps) and print "pid va mm comm"
# for each task, using the BTF offsets only; fails if the list does not come back to the start
walk() {
    local raw=$1 start=$(($2)) cur=$(($2)) n lo hi h pid next mm comm
    lo=$o_tasks; hi=$o_tasks
    for o in $o_pid $o_comm $o_mm; do
        [ "$o" -lt $lo ] && lo=$o
        [ "$o" -gt $hi ] && hi=$o
    done
    for n in $(seq 2000); do
        h=$(rd "$raw" $((cur + lo)) $((hi - lo + 16))) || return 1
        [ -n "$h" ] || return 1
        read -r pid next mm comm < <(perl -e '($h, $p, $n, $m, $c) = @ARGV; $b = pack("H*", $h);
            printf "%d 0x%x 0x%x %s\n", unpack("l<", substr($b, $p, 4)),
                unpack("Q<", substr($b, $n, 8)), unpack("Q<", substr($b, $m, 8)),
                unpack("Z16", substr($b, $c, 16))' \
            "$h" $((o_pid - lo)) $((o_tasks - lo)) $((o_mm - lo)) $((o_comm - lo)))
        echo "$pid $(hex $cur) $mm $comm"
        cur=$((next - o_tasks))
        [ $cur -eq $start ] && return 0
    done
    return 1
}

# ps_check WALK: the walk's tasks (less pid 0, the idle task) equal the guest's ps; /proc shows
# a kworker's comm followed by its current workqueue ("kworker/0:0-events"), cut at 15 bytes
ps_check() {
    local got
    got=$(echo "$1" | awk -v ps="$gps" 'BEGIN {
            n = split(ps, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); c[f[1]] = f[2] } }
        $1 != 0 { p = c[$1]; k = $4
            if (index(k, "kworker/") == 1 && index(p, k) == 1 && substr(p, length(k) + 1, 1) ~ /[-+]/)
                k = p
            print $1, k }' | sort -n)
    [ "$got" = "$gps" ] || {
        [ -n "${2:-}" ] || diag "walk vs ps:" "$(diff <(echo "$got") <(echo "$gps") | head -20)"
        return 1
    }
}

# ps_retry VM RAW: the walk equals ps; kernel threads come and go between ps and the pause,
# so a mismatch is retried twice with a fresh ps and pause (leaves the VM paused, sets $w)
ps_retry() {
    local try out
    for try in 1 2 3; do
        if [ $try -gt 1 ]; then
            "$A" vm resume "$1" >/dev/null
            out=$(console "$1" 'ps -o pid,comm | sed "1d;s/^ */PS=/"; printf "P-%s\n" END' P-END 60 |
                tr -d '\r')
            gps=$(echo "$out" | sed -n 's/^PS=//p' | grep -v -E ' (ps|sed)$' | sort -n)
            pause_in_kernel "$1" || continue
            w=$(walk "$2" "$(echo "$regs" | jq -r .regs.SP_EL0)") || continue
        fi
        ps_check "$w" quiet && return 0
        diag "try $try: the walk and ps differ"
    done
    ps_check "$w"
}

# --- the default Debian guest (6.1) ---
vm=it-btf
vm_start $vm; ok $? "vm start"
guest_facts $vm || guest_facts $vm
ok $? "the guest has busybox sha256sum: /sys/kernel/btf/vmlinux is $gsize bytes"
kernel=$("$A" -q guest fetch --json | jq -r .kernel)
mod_facts $vm "$kernel"
ok $? "nls_ascii and crc32_generic loaded with insmod; the guest hashed /sys/kernel/btf/<module>"
pause_in_kernel $vm; ok $? "paused with the vCPU in the kernel"
cur=$(echo "$regs" | jq -r .regs.SP_EL0)

j=$("$S" --vm $vm btf --json); r=$?
is "$r $(echo "$j" | jq -r '"\(.btf.size) in \(.btf.scanned)"')" "0 $gsize in $RO" \
    "btf --json on the live VM: the guest's size, in the kernel's read-only data"
d=$ARMVMI_RUNTIME_DIR/btf
"$S" --vm $vm btf --dump $d.live
is "$(sha $d.live)" "$gsha" "btf --dump (live) has the sha256 of the guest's /sys/kernel/btf/vmlinux"
"$A" --vm $vm dump -o $d.elf --quiet
"$S" --vm $d.elf btf --dump $d.elfbtf
is "$(sha $d.elfbtf)" "$gsha" "btf --dump from an ELF dump: the same sha256"
base=$("$A" --vm $vm info --json | jq -r '.ram[0].base')
raw=raw:$ARMVMI_RUNTIME_DIR/$vm/ram@$(hex "$base")
"$S" --vm "$raw" btf --dump $d.raw
is "$(sha $d.raw)" "$gsha" "btf --dump from the raw RAM file (no registers): the same sha256"
same_shas() {
    if [ "$1" = "$msha" ]; then ok 0 "$2"; else ok 1 "$2"; diag "got: $1" "guest: $msha"; fi
}
same_shas "$(mod_shas $vm)" \
    "btf --module M --dump (live): the sha256 of the guest's /sys/kernel/btf/M, for both modules"
same_shas "$(mod_shas $d.elf)" "btf --module M --dump from the ELF dump: the same sha256s"
same_shas "$(mod_shas "$raw")" "btf --module M --dump from the raw RAM file: the same sha256s"
# the module's own FUNC record, its argument types from vmlinux's BTF
# (crypto/crc32_generic.c: static int crc32_update(struct shash_desc *desc, const u8 *data,
# unsigned int len))
p=$("$S" --vm "$raw" btf --module crc32_generic --func crc32_update --offset shash_desc.tfm \
    --json | jq -r '"\(.funcs.crc32_update.prototype) \(.offsets["shash_desc.tfm"].offset)"')
case "$mks" in *" crc32_update"*"[crc32_generic]"*) r=0 ;; *) r=1 ;; esac
is "$r $p" "0 int crc32_update(struct shash_desc *, const u8 *, unsigned int) 0" \
    "btf --module crc32_generic --func crc32_update: its source's prototype; shash_desc.tfm \
(vmlinux's) through the module's types; in /proc/kallsyms: $mks"
e=$("$S" --vm "$raw" btf --module nosuch 2>&1); r=$?
[ $r -eq 1 ] && echo "$e" | grep -q "no loaded module named 'nosuch'"
ok $? "btf --module of a module that is not loaded: a clear error: $e"
rm -f $d.elf $d.elfbtf $d.raw
# hostile memory: a copy of the RAM whose BTF is broken gives a clear error, not a crash
cp "$ARMVMI_RUNTIME_DIR/$vm/ram" $d.bad
foff=$(($(echo "$j" | jq -r .btf.pa) - base))
strs=$(perl -e 'open(F, "<", $ARGV[0]); binmode F; read(F, $h, 24);
    @f = unpack("V6", $h); print $f[1] + $f[4]' $d.live) # hdr_len + str_off
printf x | dd of=$d.bad bs=1 seek=$((foff + strs)) conv=notrunc status=none
e=$("$S" --vm "raw:$d.bad@$(hex "$base")" btf 2>&1); r=$?
[ $r -eq 1 ] && echo "$e" | grep -q "does not parse"
ok $? "a BTF whose string section is broken: a clear error: $e"
printf '\0\0\0\0' | dd of=$d.bad bs=1 seek=$foff conv=notrunc status=none
e=$("$S" --vm "raw:$d.bad@$(hex "$base")" btf 2>&1); r=$?
[ $r -eq 1 ] && echo "$e" | grep -q "CONFIG_DEBUG_INFO_BTF"
ok $? "no BTF header left: a clear error: $e"
rm -f $d.bad
is "$("$S" --vm "$raw" kernel --json | jq -r .btf.size)" "$gsize" \
    "armvmi kernel --json reports the BTF with the guest's size"

offsets "$raw"; ok $? "btf --offset gives task_struct.tasks/pid/comm/mm and mm_struct.pgd"
kctx "$raw"
w=$(walk "$raw" "$cur"); ok $? "task_struct.tasks leads from the current task back to it" ||
    diag "$(echo "$w" | tail -5)"
ps_retry $vm "$raw"; ok $? "task_struct.pid and .comm of every task equal the guest's ps -o pid,comm"
is "$(echo "$w" | awk '$1 == 0 { print $4 }')" "swapper/0" "pid 0 is swapper/0 (init_task)"
p1=$(echo "$w" | awk '$1 == 1 { print $2 }')
"$A" vm resume $vm >/dev/null

# a process spinning at EL0: its mm->pgd is the CPU's TTBR0_EL1
spin=$(console $vm 'while :; do :; done & printf "SPIN=%s\nS-%s\n" $! END' S-END 30 |
    tr -d '\r' | sed -n 's/^SPIN=\([0-9]*\)$/\1/p')
# five pauses at EL0: each TTBR0_EL1 must be the pgd of a task in the list, the spinner's at least
ttbr0s=
for _ in $(seq 5); do
    for _ in $(seq 100); do
        "$A" vm pause $vm >/dev/null
        regs=$("$A" --vm $vm regs --json)
        [ "$(echo "$regs" | jq -r .el)" = 0 ] && break
        "$A" vm resume $vm >/dev/null
        sleep 0.02
    done
    ttbr0s="$ttbr0s $(hex $(($(echo "$regs" | jq -r .regs.TTBR0_EL1) & 0x0000fffffffffffe)))"
    "$A" vm resume $vm >/dev/null
    sleep 0.1
done
"$A" vm pause $vm >/dev/null
w=$(walk "$raw" "$p1")
pgds=$(echo "$w" | awk '$3 != "0x0" { print $1, $3 }' | while read -r pid mm; do
    pgd=0x$(rd "$raw" $((mm + o_pgd)) 8 | perl -ne 'printf "%x", unpack("Q<", pack("H*", $_))')
    pa=$("$A" --vm "$raw" translate "$pgd" --json "${ctx[@]}" | jq -r .pa)
    echo "$pid $(hex "${pa:-0}")"
done)
spin_pgd=$(echo "$pgds" | awk -v p="$spin" '$1 == p { print $2 }')
r=0
for t in $ttbr0s; do echo "$pgds" | grep -q " $t\$" || r=1; done
case " $ttbr0s " in *" ${spin_pgd:-none} "*) ;; *) r=1 ;; esac
ok $r "mm_struct.pgd: TTBR0_EL1 at EL0 is always a task's pgd, the spinner's (pid ${spin:-?}) too" ||
    diag "TTBR0_EL1 at 5 pauses:$ttbr0s" "pid, PA of mm->pgd:" $pgds
"$A" vm resume $vm >/dev/null
console $vm "kill $spin; printf 'K-%s\n' END" K-END 30 >/dev/null

# the CLI's other faces
t=$("$A" --vm $vm btf --type task_struct | awk '$NF == "pid" { print $1 }')
is "$t" "$o_pid" "btf --type task_struct lists pid at the offset --offset gives"
e=$("$A" --vm $vm btf --offset task_struct.nosuch 2>&1); r=$?
[ $r -ne 0 ] && echo "$e" | grep -q "has no member 'nosuch'"
ok $? "an unknown member is a clear error: $e"
"$A" vm stop $vm >/dev/null

# --el2 (a VHE kernel at EL2) and --hyp (under the armvmi hypervisor): the same bytes, live
for mode in --el2 --hyp; do
    vm=it-btf${mode#-}
    vm_start $vm $mode; ok $? "vm start $mode"
    { guest_facts $vm || guest_facts $vm; } && "$S" --vm $vm btf --dump $d$mode &&
        [ "$(sha $d$mode)" = "$gsha" ]
    ok $? "$mode: btf --dump (live) has the sha256 of the guest's /sys/kernel/btf/vmlinux"
    "$A" vm stop $vm >/dev/null
done

# --- Debian 13's 6.12 kernels (52-bit VAs with LPA2; 4K and 16K pages) ---
for flavour in arm64 arm64-16k; do
    what="Debian $REL linux-image-$flavour"
    out=$("$A" -q guest fetch --kernel-release "$REL" --flavour $flavour --json \
        2>"$ARMVMI_RUNTIME_DIR/fetch.err")
    kernel=$(echo "$out" | jq -r '.kernel // empty' 2>/dev/null)
    if [ -z "$kernel" ]; then
        why=$(grep -v '^guest kit:' "$ARMVMI_RUNTIME_DIR/fetch.err" | tail -n 1)
        for _ in $(seq 7); do skip "$what cannot be fetched: ${why:-no reason given}"; done
        continue
    fi
    vm=it-btf-$flavour
    vm_start $vm --kernel "$kernel"; ok $? "$what: vm start"
    guest_facts $vm || guest_facts $vm; ok $? "$what: /sys/kernel/btf/vmlinux is $gsize bytes"
    mod_facts $vm "$kernel"; ok $? "$what: nls_ascii and crc32_generic loaded with insmod"
    pause_in_kernel $vm
    cur=$(echo "$regs" | jq -r .regs.SP_EL0)
    "$S" --vm $vm btf --dump $d.612
    src=$("$A" --vm $vm btf --json | jq -r .btf.scanned)
    is "$(sha $d.612) in $src" "$gsha in $RO" \
        "$what: btf --dump (live) has the sha256 of /sys/kernel/btf/vmlinux, from read-only data"
    base=$("$A" --vm $vm info --json | jq -r '.ram[0].base')
    raw=raw:$ARMVMI_RUNTIME_DIR/$vm/ram@$(hex "$base")
    offsets "$raw" && kctx "$raw" && w=$(walk "$raw" "$cur")
    ok $? "$what: task_struct.tasks leads from the current task back to it"
    ps_retry $vm "$raw"; ok $? "$what: pid and comm of every task equal the guest's ps -o pid,comm"
    same_shas "$(mod_shas $vm)" "$what: btf --module M: the sha256 of /sys/kernel/btf/M, both modules"
    "$A" vm stop $vm >/dev/null
done
