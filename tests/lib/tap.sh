# SPDX-License-Identifier: MIT
# tap.sh — TAP output and VM helpers for armvmi's integration tests (sourced by tests/*/*.t).
set -u
: "${ARMVMI:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bin/armvmi}"
: "${ARMVMI_SAN:=$ARMVMI}"
TAP_N=0
TAP_FAILED=0
# Each test file gets a private runtime directory so tests never touch the user's VMs.
export ARMVMI_RUNTIME_DIR
ARMVMI_RUNTIME_DIR=$(mktemp -d /tmp/armvmi-t.XXXXXX)
TAP_VMS=()

tap_cleanup() {
    local v
    for v in "${TAP_VMS[@]}"; do "$ARMVMI" vm stop "$v" >/dev/null 2>&1; done
    # anything still alive from this runtime dir (e.g. a launcher that was killed)
    for p in "$ARMVMI_RUNTIME_DIR"/*/qemu.pid; do
        [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
    done
    rm -rf "$ARMVMI_RUNTIME_DIR"
}
trap tap_cleanup EXIT

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $*"; }
diag() { printf '# %s\n' "$@" | head -n 40; }
ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then echo "ok $TAP_N - $2"; else echo "not ok $TAP_N - $2"; TAP_FAILED=$((TAP_FAILED + 1)); fi
}
is() { # is GOT EXPECTED DESCRIPTION
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got:      $1" "expected: $2"; fi
}
# vm_start NAME [vm start options...]: start and register for cleanup
vm_start() {
    local name=$1; shift
    TAP_VMS+=("$name")
    "$ARMVMI" -q vm start --name "$name" --timeout 240 "$@" >&2
}
# console NAME LINE EXPECT [TIMEOUT]: run LINE in the guest shell, print output until EXPECT
console() {
    "$ARMVMI" vm console "$1" --send "$2" --expect "$3" --timeout "${4:-60}"
}
# qmp NAME JSON-COMMAND: one QMP command, prints QEMU's answer
qmp() {
    printf '{"execute":"qmp_capabilities"}\n%s\n' "$2" |
        timeout 120 socat -t 110 - "UNIX-CONNECT:$ARMVMI_RUNTIME_DIR/$1/qmp.sock" | tail -n 1
}
# pause_in_kernel NAME [EL]: pause the VM with vCPU 0 idle in the kernel (at EL, default 1 (2
# for a VHE kernel), with SP_EL0
# holding the current task, a kernel address; on entry from EL0 it still holds the user stack
# for a few instructions). Sets $regs (armvmi regs --json) and $el; 50 tries.
pause_in_kernel() {
    local i
    el=
    for i in $(seq 50); do
        "$ARMVMI" vm pause "$1" >/dev/null
        regs=$("$ARMVMI" --vm "$1" regs --json); el=$(echo "$regs" | jq -r .el)
        case "$(echo "$regs" | jq -r .regs.SP_EL0)" in
        0xffff*) [ "$el" = "${2:-1}" ] && return 0 ;;
        esac
        "$ARMVMI" vm resume "$1" >/dev/null; sleep 0.05
    done
    return 1
}
