# SPDX-License-Identifier: MIT
# evmon.sh — helpers of the VMI-event tests (tests/integration/5[1-5]-hyp-*events*.t), sourced
# after tap.sh: the test monitor build/hyp/evmon against VM $vm, its log in $T/mon.log.

# What every event test needs, or it is skipped: QEMU, the hypervisor and the test monitor.
# Sets B (the build directory) and EVMON.
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
B=${ARMVMI_BUILD:-build}
[ -r "$B/hyp/armvmi-hyp.elf" ] || skip_all "the hypervisor is not built (no aarch64 cross compiler)"
EVMON=$B/hyp/evmon
[ -x "$EVMON" ] || skip_all "the test monitor $EVMON is not built"

# mon_start ARGS...: start the monitor; wait until it has set its restrictions (MON = its pid).
mon_start() {
    # emptied first: the background redirection may truncate it only after the first grep below
    # has seen the previous monitor's "EVMON ready"
    : >"$T/mon.log"
    "$EVMON" "$ARMVMI_RUNTIME_DIR/$vm" "$@" >"$T/mon.log" 2>&1 &
    MON=$!
    for ((i = 0; i < 100; i++)); do
        grep -q '^EVMON ready' "$T/mon.log" && return 0
        kill -0 $MON 2>/dev/null || break
        sleep 0.2
    done
    return 1
}
# sh_until LINE MARK: type LINE into the guest shell until MARK-OK comes back (typed text can
# be lost while a vCPU is held); prints the output.
sh_until() {
    local k out
    for ((k = 0; k < 5; k++)); do
        out=$(console "$vm" "$1; printf '%s-%s\n' $2 OK" "$2-OK" 60 2>/dev/null | tr -d '\r')
        grep -q "^$2-OK" <<<"$out" && { echo "$out"; return 0; }
        sleep 1
    done
    return 1
}
# field NAME: the value of " NAME=VALUE" in the line(s) on stdin
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
# the monitor's event lines
events() { grep '^EV ' "$T/mon.log"; }
