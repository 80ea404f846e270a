# SPDX-License-Identifier: MIT
# Shared helpers for the hypervisor integration tests (tests/integration/50-hyp-*.t): TAP, a
# guest on the serial console driven through a FIFO, bounded waits, cleanup of every QEMU.

HYP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HYP_BUILD=${ARMVMI_BUILD:-$HYP_ROOT/build}
HYP_ELF=$HYP_BUILD/hyp/armvmi-hyp.elf
HYP_BOOT=$HYP_BUILD/hyp/armvmi-hyp-boot
ARMVMI=${ARMVMI:-$HYP_BUILD/bin/armvmi}
T_N=0
T_FAIL=0
VM_PID=
HYP_TMP=$(mktemp -d /tmp/armvmi-hyp-test.XXXXXX)

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAIL=1; echo "not ok $T_N - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
diag() { sed 's/^/# /' <<<"$*"; }

hyp_cleanup() {
	vm_kill
	rm -rf "$HYP_TMP"
}
trap hyp_cleanup EXIT

# Skip (not fail) only when the toolchain to build the hypervisor is absent.
hyp_require() {
	if ! command -v "${CROSS64:-aarch64-linux-gnu-}gcc" >/dev/null; then
		echo "1..0 # SKIP aarch64 cross compiler not installed"
		exit 0
	fi
	if ! command -v qemu-system-aarch64 >/dev/null; then
		echo "1..0 # SKIP qemu-system-aarch64 not installed"
		exit 0
	fi
}

# Sets KERNEL and INITRD from the guest kit.
hyp_guest_kit() {
	local j
	j=$(timeout 600 "$ARMVMI" guest fetch --json 2>"$HYP_TMP/fetch.err") || true
	KERNEL=$(jq -r '.kernel // empty' <<<"$j" 2>/dev/null)
	INITRD=$(jq -r '.initrd // empty' <<<"$j" 2>/dev/null)
	[ -r "$KERNEL" ] && [ -r "$INITRD" ]
}

# vm_start NAME [armvmi-hyp-boot options...]: QEMU on a FIFO (stdin) and a log (stdout).
vm_start() {
	VM_NAME=$1
	shift
	VM_LOG=$HYP_TMP/$VM_NAME.log
	VM_DIR=$HYP_TMP/$VM_NAME
	mkdir -p "$VM_DIR"
	rm -f "$HYP_TMP/in"
	mkfifo "$HYP_TMP/in"
	: >"$VM_LOG"
	timeout -k 5 600 "$HYP_BOOT" --kernel "$KERNEL" --initrd "$INITRD" --rundir "$VM_DIR" \
		--hyp "$HYP_ELF" "$@" <"$HYP_TMP/in" >"$VM_LOG" 2>&1 &
	VM_PID=$!
	exec 3>"$HYP_TMP/in"
	VM_CMD=0
}

vm_kill() {
	if [ -n "$VM_PID" ]; then
		kill "$VM_PID" 2>/dev/null
		wait "$VM_PID" 2>/dev/null
		VM_PID=
	fi
	exec 3>&- 2>/dev/null
}

vm_alive() { [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; }

# wait_log REGEX SECONDS [COUNT]: until the log has COUNT (default 1) matching lines.
wait_log() {
	local re=$1 limit=$2 count=${3:-1} i
	for ((i = 0; i < limit * 4; i++)); do
		[ "$(tr -d '\r' <"$VM_LOG" | grep -cE -- "$re")" -ge "$count" ] && return 0
		[ -n "$VM_PID" ] && ! vm_alive && break
		sleep 0.25
	done
	[ "$(tr -d '\r' <"$VM_LOG" | grep -cE -- "$re")" -ge "$count" ]
}

# wait_exit SECONDS: QEMU ended by itself.
wait_exit() {
	local i
	for ((i = 0; i < $1 * 4; i++)); do
		vm_alive || { wait "$VM_PID" 2>/dev/null; VM_RC=$?; VM_PID=; return 0; }
		sleep 0.25
	done
	return 1
}

# vm_run CMD SECONDS: run a shell command in the guest; its output (lines between markers) is
# left in $OUT. The marker is split in the typed text so the echo of the command never matches.
vm_run() {
	local cmd=$1 limit=$2 n
	VM_CMD=$((VM_CMD + 1))
	n=$VM_CMD
	printf '%s\n' "echo @@BEG""IN-$n@@; $cmd; echo @@EN""D-$n@@" >&3
	if ! wait_log "^@@END-$n@@" "$limit"; then
		OUT=
		return 1
	fi
	OUT=$(tr -d '\r' <"$VM_LOG" | sed -n "/^@@BEGIN-$n@@/,/^@@END-$n@@/p" | sed '1d;$d')
	return 0
}

vm_tail() { tr -d '\r' <"$VM_LOG" | tail -n "${1:-25}" | sed 's/^/#   /'; }
