#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debian 13's arm64 kernels use 52-bit VAs with LPA2 (TCR_ELx.DS=1): 5 levels with 4K pages, 4
# with the arm64-16k flavour. Booted with the guest kit's initramfs (at EL1, at EL2 with VHE,
# and at EL1 under the armvmi hypervisor: an LPA2 stage 1 through its stage 2), their kernel
# and user addresses must translate with the vCPU's own registers as the guest itself sees
# them at the same paused moment (/proc/kallsyms, /proc/iomem, /proc/self/pagemap), from an ELF
# dump of that moment, and with the registers given by hand on the bare RAM file. QEMU 7.2's
# gva2gpa cannot translate LPA2, so it is no oracle here. A kernel that cannot be fetched skips
# its tests, saying why.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
command -v apt-get >/dev/null || skip_all "no apt-get on this machine: cannot fetch Debian kernels"
A=$ARMVMI
REL=${ARMVMI_LPA2_RELEASE:-trixie}
# flavour:EL the kernel runs at, or "hyp": at EL1 under our hypervisor
RUNS="arm64:1 arm64-16k:1 arm64:2 arm64:hyp"
PER=16
plan $((PER * 4))

hex() { printf '0x%x' "$1"; }
pa_of() { # pa_of VM VA [translate options]: armvmi's answer as 0x..., or "fault"
    local vm=$1 va=$2; shift 2
    "$A" --vm "$vm" translate "$va" --json "$@" |
        jq -r 'if .pa then (.pa | tostring) else "fault" end' |
        while read -r v; do [ "$v" = fault ] && echo fault || printf '0x%x\n' "$v"; done
}
# pause_at VM EL PATTERN: pause until the vCPU is at EL with SP_EL0 matching PATTERN; prints
# the registers as JSON (the VM stays paused)
pause_at() {
    local vm=$1 want=$2 pat=$3 regs el
    for _ in $(seq 100); do
        "$A" vm pause "$vm" >/dev/null
        regs=$("$A" --vm "$vm" regs --json); el=$(echo "$regs" | jq -r .el)
        # shellcheck disable=SC2254
        case "$(echo "$regs" | jq -r .regs.SP_EL0)" in $pat) [ "$el" = "$want" ] && break ;; esac
        "$A" vm resume "$vm" >/dev/null; sleep 0.05
    done
    echo "$regs"
}

for run in $RUNS; do
    flavour=${run%:*}; kel=${run#*:}
    what="Debian $REL linux-image-$flavour"
    out=$("$A" -q guest fetch --kernel-release "$REL" --flavour "$flavour" --json \
        2>"$ARMVMI_RUNTIME_DIR/fetch.err")
    kernel=$(echo "$out" | jq -r '.kernel // empty' 2>/dev/null)
    if [ -z "$kernel" ]; then
        why=$(grep -v '^guest kit:' "$ARMVMI_RUNTIME_DIR/fetch.err" | tail -n 1)
        for _ in $(seq $PER); do skip "$what cannot be fetched: ${why:-no reason given}"; done
        continue
    fi
    pkg=$(echo "$out" | jq -r .kernel_package)
    vm=it-lpa2-$flavour-el$kel
    opt=(); [ "$kel" = 2 ] && opt=(--el2)
    if [ "$kel" = hyp ]; then
        opt=(--hyp); kel=1; flavour="$flavour under the armvmi hypervisor"
    else
        flavour="$flavour at EL$kel" # the test names' prefix from here
    fi
    vm_start "$vm" --kernel "$kernel" "${opt[@]}"
    ok $? "$flavour: vm start boots $pkg with the guest kit's initramfs"

    # The guest's own view: symbols, where the kernel image and RAM are.
    g=$(console "$vm" 'echo "R=$(uname -r)"; grep -E " (_text|_stext|_etext)$" /proc/kallsyms;
        grep -E "Kernel code|System RAM" /proc/iomem; printf "G-%s\n" END' G-END 60 | tr -d '\r')
    sym() { echo "$g" | sed -n "s/^\([0-9a-f]\{16\}\) [TtDd] $1\$/0x\1/p" | head -n 1; }
    text=$(sym _text); stext=$(sym _stext); etext=$(sym _etext)
    release=$(echo "$g" | sed -n 's/^R=\([0-9].*\)/\1/p')
    code=$(echo "$g" | sed -n 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : Kernel code$/\1 \2/p' | head -n 1)
    ram=$(echo "$g" | sed -n 's/^\([0-9a-f]*\)-[0-9a-f]* : System RAM$/\1/p' | head -n 1)
    cstart=0x${code% *}; cend=0x${code#* }; ram=0x$ram
    [ -n "$release" ] && [ -n "$text" ] && [ -n "$stext" ] && [ -n "$etext" ] && [ -n "$code" ] && [ "$ram" != 0x ]
    msg="_text $text, _stext $stext, _etext $etext, Kernel code $cstart-$cend, RAM from $ram"
    ok $? "$flavour: the guest shows $msg" || diag "$g"

    # Idle in the kernel: at its EL with SP_EL0 holding the current task (a linear-map address).
    regs=$(pause_at "$vm" "$kel" '0xfff*')
    tcr=$(echo "$regs" | jq -r ".regs.TCR_EL$kel")
    ttbr1=$(echo "$regs" | jq -r ".regs.TTBR1_EL$kel")
    [ "$(echo "$regs" | jq -r .el)" = "$kel" ] && [ $(((tcr >> 59) & 1)) = 1 ] &&
        [ $(((tcr >> 16) & 63)) = 12 ]
    ok $? "$flavour: paused in the kernel; it runs with TCR_EL$kel.DS=1 and T1SZ=12 (TCR $tcr)"

    # Kernel discovery at the same moment: the kernel's own VMCOREINFO, found in RAM.
    kj=$("$A" --vm "$vm" kernel --json 2>&1)
    want_ps=4096; [ "${run%:*}" = arm64-16k ] && want_ps=16384
    is "$(echo "$kj" | jq -c '[.release, .va_bits, .page_size, .ttbr1_check]' 2>/dev/null)" \
        "$(jq -cn --arg r "$release" --argjson p $want_ps '[$r, 52, $p, "agrees"]')" \
        "$flavour: armvmi kernel finds release $release, 52-bit VAs, ${want_ps}-byte pages, TTBR1 agrees" ||
        diag "$kj"
    is "$(hex "$(echo "$kj" | jq -r '.stext // 0')")" "$(hex "$stext")" \
        "$flavour: armvmi kernel's _stext equals /proc/kallsyms ($stext)"

    p_text=$(pa_of "$vm" "$text"); p_stext=$(pa_of "$vm" "$stext")
    p_etext=$(pa_of "$vm" "$etext")
    is "$p_text" "$(hex "$cstart")" "$flavour: _text translates to the start of Kernel code"
    last=$(hex $((text + cend - cstart))); p_last=$(pa_of "$vm" "$last")
    [ "$p_stext" = "$(hex $((cstart + stext - text)))" ] &&
        [ "$p_etext" = "$(hex $((cstart + etext - text)))" ] && [ "$p_last" = "$(hex "$cend")" ]
    ok $? "$flavour: _stext, _etext and the last byte of Kernel code translate to their places" ||
        diag "_stext $stext -> $p_stext, _etext $etext -> $p_etext, $last -> $p_last"

    trace=$("$A" --vm "$vm" translate "$stext" --trace 2>&1)
    first=$(echo "$trace" | sed -n 's/^  s1 L\(-\{0,1\}[0-9]\) .*/\1/p' | head -n 1)
    nlev=$(echo "$trace" | grep -c '^  s1 L')
    if [ "${run%:*}" = arm64 ]; then want="-1 5"; else want="0 4"; fi
    is "$first $nlev" "$want" \
        "$flavour: the walk of _stext starts at level ${want% *} and reads ${want#* } levels" ||
        diag "$trace"

    va_hex=$("$A" --vm "$vm" read --va "$stext" 64 --json | jq -r .hex)
    pa_hex=$("$A" --vm "$vm" read --pa "$p_stext" 64 --json | jq -r .hex)
    [ -n "$va_hex" ] && [ "$va_hex" = "$pa_hex" ]
    ok $? "$flavour: read --va _stext gives the bytes of read --pa $p_stext"

    # The same registers given by hand on the bare RAM file (no vCPU, no ID registers): a TCR
    # with DS=1 means a CPU with LPA2.
    base=$("$A" --vm "$vm" info --json | jq -r '.ram[0].base')
    raw=raw:$ARMVMI_RUNTIME_DIR/$vm/ram@$(hex "$base") # all the machine's RAM (stage 2: identity)
    regime=el10; [ "$kel" = 2 ] && regime=el20
    is "$(pa_of "$raw" "$stext" --regime $regime --ttbr1 "$ttbr1" --tcr "$tcr")" "$p_stext" \
        "$flavour: --ttbr1/--tcr given on the raw RAM file translate _stext the same"
    # An ELF dump of this moment carries the vCPU's ID registers in its note.
    "$A" --vm "$vm" dump -o "$ARMVMI_RUNTIME_DIR/lpa2.elf" --quiet
    is "$(pa_of "$ARMVMI_RUNTIME_DIR/lpa2.elf" "$stext")" "$p_stext" \
        "$flavour: from an ELF dump of this moment, _stext translates the same"
    rm -f "$ARMVMI_RUNTIME_DIR/lpa2.elf"

    # The linear map: PAGE_OFFSET = -(1 << 52) is PHYS_OFFSET, the start of RAM rounded down to
    # 1 GiB (ARM64_MEMSTART_ALIGN; RAM starts above 0x40000000 under our hypervisor).
    pj=$("$A" --vm "$vm" pages --kernel --json)
    first=$(echo "$pj" | jq -r '.ranges[0] | .va + " " + (.pa | tostring)')
    phys=$((ram & ~0x3fffffff))
    is "$first" "$(hex $((0xfff0000000000000 + ram - phys))) $((ram))" \
        "$flavour: pages --kernel starts with RAM's linear map, at PAGE_OFFSET + RAM - PHYS_OFFSET"
    hit=$(echo "$pj" | jq -r '.ranges[] | .va + " " + .va_last + " " + (.pa | tostring)' |
        while read -r lo hi pa; do # bash compares upper-half VAs as negatives, in order
            [ $((lo)) -le $((stext)) ] && [ $((stext)) -le $((hi)) ] &&
                { hex $((pa + stext - lo)); break; }
        done)
    is "${hit:-none}" "$p_stext" "$flavour: pages --kernel lists the kernel image, _stext at its PA"
    lin=$(hex $((0xfff0000000000000 + cstart - phys)))
    is "$(pa_of "$vm" "$lin")" "$(hex "$cstart")" \
        "$flavour: the linear-map alias $lin of Kernel code translates to it"
    "$A" vm resume "$vm" >/dev/null

    # User addresses: a process's pages against its own /proc/self/pagemap.
    out=$(console "$vm" 'pages 60 >/tmp/p.out & for i in $(seq 300); do
        grep -q SPIN /tmp/p.out && break; sleep 0.1; done; cat /tmp/p.out; printf "P-%s\n" END' \
        P-END 90 | tr -d '\r')
    pages=$(echo "$out" |
        grep -o 'ARMVMI-PAGE va=0x[0-9a-f]* pa=0x[0-9a-f]* what=[a-z]* word=[0-9a-f]*')
    regs=$(pause_at "$vm" 0 '*')
    ttbr0=$(echo "$regs" | jq -r ".regs.TTBR0_EL$kel") # EL0 under VHE: the EL2&0 regime
    r=0; r2=0; n=0
    while read -r line; do
        [ -n "$line" ] || continue
        va=$(echo "$line" | sed 's/.*va=\(0x[0-9a-f]*\).*/\1/')
        pa=$(echo "$line" | sed 's/.*pa=\(0x[0-9a-f]*\).*/\1/')
        word=$(echo "$line" | sed 's/.*word=\([0-9a-f]*\).*/\1/')
        mine=$(pa_of "$vm" "$va" --ttbr0 "$ttbr0")
        [ "$mine" = "$(hex "$pa")" ] || { r=1; diag "$va: armvmi $mine, pagemap $pa"; }
        got=$("$A" --vm "$vm" read --va "$va" 8 --json --ttbr0 "$ttbr0" | jq -r .hex)
        le=$(echo "$word" | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')
        [ "$got" = "$le" ] || { r2=1; diag "$va: read --va $got, program saw $le"; }
        n=$((n + 1))
    done <<< "$pages"
    el=$(echo "$regs" | jq -r .el)
    if [ "$n" -lt 5 ] || [ "$el" != 0 ]; then r=1; diag "$n pages; paused at EL$el" "$out"; fi
    msg="its pages translate to the frames its pagemap reports ($n pages)"
    ok $r "$flavour: at EL0 in a guest program, $msg"
    ok $r2 "$flavour: read --va of those pages gives the bytes the program saw"
    "$A" vm stop "$vm" >/dev/null 2>&1
done
exit 0
