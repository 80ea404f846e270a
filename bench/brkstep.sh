#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark of breakpoints and single-step, in one run, against a null HVC handled entirely
# inside the hypervisor:
# - null HVCs per second: the bare-metal EL1 guest hyp/tests/trapguest times its calls of
#   ARMVMI_HVC_EXITS with CNTVCT ("TRAPBENCH hvc" line), as bench/events.sh does;
# - breakpoint round trips per second (trap, event, response, step over the original
#   instruction with the other vCPUs held, re-arm): the Debian guest's `stepbrk calls` calls a
#   function in a loop, build/bench/bench_brkstep has a breakpoint on it (that process only)
#   and answers each hit CONTINUE; doorbell and busy-poll mode;
# - single steps per second: the same process stepped at EL0 (bench_brkstep step).
# Rates are the monitor's events over the time from its first to its last event; "one round
# trip = N null HVCs" is HVC rate / event rate.
# Usage: bench/brkstep.sh [REPEATS] [EVENTS]   (defaults: 3 repeats, 5000 events per run)
source "$(dirname "$0")/../tests/lib/hyp.sh"
source "$(dirname "$0")/lib.sh"
exec 9>&2
kill_vm() { vm_kill; exec 2>&9; } # vm_kill leaves stderr on /dev/null
REP=${1:-3}
NEV=${2:-5000}
BB=$HYP_BUILD/bench/bench_brkstep
TG=$HYP_BUILD/hyp/trapguest.img
for f in "$BB" "$TG" "$HYP_ELF" "$HYP_BOOT"; do
	[ -r "$f" ] || { echo "brkstep-bench: $f is not built: run make" >&2; exit 1; }
done
fail() {
	echo "brkstep-bench: $1" >&2
	exit 1
}

# 1. null HVCs per second (a fresh bare-metal guest per repeat)
declare -a HVC
null_hvc_runs "$REP" "$TG"

# 2. the Debian guest under the hypervisor
export ARMVMI_RUNTIME_DIR=$HYP_TMP/rt
mkdir -p "$ARMVMI_RUNTIME_DIR"
trap '"$ARMVMI" vm stop bbs >/dev/null 2>&1; hyp_cleanup' EXIT
"$ARMVMI" -q vm start --name bbs --hyp --smp 1 --timeout 300 >&2 || fail "the guest did not boot"
VM_DIR=$ARMVMI_RUNTIME_DIR/bbs
# vm_run CMD SECONDS: OUT = CMD's output in the guest shell (markers printed by printf)
vm_run() {
	local o k
	for ((k = 0; k < 3; k++)); do
		o=$("$ARMVMI" vm console bbs --send "printf '%s@@\\n' @@BEGIN; $1; printf '%s@@\\n' @@END" --expect '@@END@@' \
			--timeout "$2" | tr -d '\r')
		grep -q '^@@END@@' <<<"$o" && { OUT=$(sed -n '/^@@BEGIN@@/,/^@@END@@/p' <<<"$o" | sed '1d;$d'); return 0; }
		sleep 1
	done
	return 1
}
vm_run "true" 60 || fail "the guest shell does not answer"
vm_run "(stepbrk calls >/tmp/c.log 2>&1 &); sleep 1; cat /tmp/c.log" 60 || fail "stepbrk calls did not start"
PID=$(sed -n 's/^SB pid=\([0-9]*\).*/\1/p' <<<"$OUT")
UVA=$(sed -n 's/.* user=\(0x[0-9a-f]*\).*/\1/p' <<<"$OUT")
[ -n "$PID" ] && [ -n "$UVA" ] || fail "no pid/address from stepbrk calls: $OUT"
declare -a BD BB_ SD SB
for ((i = 1; i <= REP; i++)); do
	for mode in "break" "break --busy" "step" "step --busy"; do
		r=$("$BB" "$VM_DIR" "$PID" "$UVA" "$NEV" $mode) || fail "bench_brkstep $mode: $r"
		R=$(field per_second <<<"$r")
		case "$mode" in
		"break") BD+=("$R") ;;
		"break --busy") BB_+=("$R") ;;
		"step") SD+=("$R") ;;
		*) SB+=("$R") ;;
		esac
	done
	echo "run $i/$REP: breakpoint doorbell ${BD[-1]}/s, busy-poll ${BB_[-1]}/s; single step doorbell ${SD[-1]}/s, busy-poll ${SB[-1]}/s" >&2
done
vm_run "kill -USR1 $PID; sleep 1; cat /tmp/c.log" 30
"$ARMVMI" vm stop bbs >/dev/null 2>&1

h=$(median "${HVC[@]}")
d=$(median "${BD[@]}")
b=$(median "${BB_[@]}")
sd=$(median "${SD[@]}")
s=$(median "${SB[@]}")
printf 'null HVC (in the hypervisor)     : %.0f calls/s (median of %d)\n' "$h" "$REP"
printf 'breakpoint round trip, doorbell  : %.0f /s, one hit = %.1f null HVCs\n' "$d" "$(echo "$h / $d" | bc -l)"
printf 'breakpoint round trip, busy-poll : %.0f /s, one hit = %.1f null HVCs (goal <= 5)\n' "$b" "$(echo "$h / $b" | bc -l)"
printf 'single step, doorbell            : %.0f /s, one step = %.1f null HVCs\n' "$sd" "$(echo "$h / $sd" | bc -l)"
printf 'single step, busy-poll           : %.0f /s, one step = %.1f null HVCs\n' "$s" "$(echo "$h / $s" | bc -l)"
