#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark of register-write events (HCR_EL2.TVM), in one run, against a null HVC handled
# entirely inside the hypervisor:
# - the bare-metal guest hyp/tests/trapguest ("armvmi.regbench") times TG_BENCH_HVC null HVCs
#   (ARMVMI_HVC_EXITS), then, once the test monitor build/hyp/evmon watches CONTEXTIDR_EL1
#   (every bit), 20000 writes that each change it (one event and one monitor round trip each)
#   and 20000 that leave it unchanged (trapped, filtered in the hypervisor: no event), all with
#   the guest's CNTVCT; doorbell mode and busy-poll mode, a fresh guest each;
# - guest slowdown of the CPU + system-call workload (guest/hyp-cpusys.c) on the Debian guest
#   with TTBR0_EL1 events on (table base changes, every context switch) answered by evmon,
#   against no monitor: the guest's own `time -p`, adjacent pairs alternating which goes first,
#   median of the pairs' ratios (as bench/hyp.sh and bench/events.sh do).
# Usage: bench/regevents.sh [REPEATS]   (default 3)
source "$(dirname "$0")/../tests/lib/hyp.sh"
source "$(dirname "$0")/lib.sh"
REP=${1:-3}
EVMON=$HYP_BUILD/hyp/evmon
TG=$HYP_BUILD/hyp/trapguest.img
for f in "$EVMON" "$TG" "$HYP_ELF" "$ARMVMI"; do
	[ -r "$f" ] || { echo "regevents-bench: $f is not built: run make" >&2; exit 1; }
done
export ARMVMI_RUNTIME_DIR=$HYP_TMP/rt
mkdir -p "$ARMVMI_RUNTIME_DIR"
trap 'for v in "$ARMVMI_RUNTIME_DIR"/*/; do "$ARMVMI" vm stop "$(basename "$v")" >/dev/null 2>&1; done; hyp_cleanup' EXIT
fail() {
	echo "regevents-bench: $1" >&2
	[ -r "$HYP_TMP/mon.log" ] && sed "s/^/#   monitor: /" "$HYP_TMP/mon.log" >&2
	exit 1
}
rate() { echo "$1 * $(($2)) / $(($3))" | bc -l; } # rate N CNTFRQ TICKS: per second

# 1. null HVC and register-event round trips (doorbell, busy-poll), filtered writes
declare -a HVC SH DB BP FI
for ((i = 1; i <= REP; i++)); do
	for mode in --doorbell --busy; do
		vm=rb$i${mode#--}
		"$ARMVMI" -q vm start --name $vm --hyp --smp 1 --mem 256 --kernel "$TG" --initrd "$TG" \
			--append armvmi.regbench --timeout 60 >&2 || fail "the trap test guest did not start"
		"$EVMON" "$ARMVMI_RUNTIME_DIR/$vm" --quiet $mode --reg-trap contextidr=0xffffffffffffffff \
			--idle 2 --timeout 300 >"$HYP_TMP/mon.log" 2>&1 || fail "evmon failed"
		log=$ARMVMI_RUNTIME_DIR/$vm/console.log
		for ((k = 0; k < 120; k++)); do grep -aq '^TRAPBENCH reg ' "$log" && break; sleep 0.5; done
		hl=$(tr -d '\r' <"$log" | grep -am1 '^TRAPBENCH hvc ')
		rl=$(tr -d '\r' <"$log" | grep -am1 '^TRAPBENCH reg ')
		"$ARMVMI" vm stop $vm >/dev/null 2>&1
		[ -n "$hl" ] && [ "$(field tvm <<<"$rl")" = 1 ] || fail "no TRAPBENCH lines (or TVM never on): '$rl'"
		n=$(field writes <<<"$rl")
		ev=$(grep '^EVMON rate' "$HYP_TMP/mon.log" | field events)
		[ "$ev" -ge "$n" ] || fail "$mode: $ev events for $n changing writes"
		HVC+=("$(rate "$(field calls <<<"$hl")" "$(field cntfrq <<<"$hl")" "$(field ticks <<<"$hl")")")
		r=$(rate "$n" "$(field cntfrq <<<"$rl")" "$(field ticks <<<"$rl")")
		FI+=("$(rate "$n" "$(field cntfrq <<<"$rl")" "$(field filtered_ticks <<<"$rl")")")
		SH+=("$(rate "$n" "$(field cntfrq <<<"$rl")" "$(field session_hvc_ticks <<<"$rl")")")
		if [ $mode = --busy ]; then BP+=("$r"); else DB+=("$r"); fi
		printf 'run %d/%d %s: null HVC %.0f/s (%.0f/s in the session), register event %.0f/s, filtered write %.0f/s\n' \
			"$i" "$REP" "${mode#--}" "${HVC[-1]}" "${SH[-1]}" "$r" "${FI[-1]}" >&2
	done
done

# 2. CPU + system calls with TTBR0_EL1 events on
"$ARMVMI" -q vm start --name rbl --hyp --smp 1 --timeout 300 >&2 || fail "the Debian guest did not boot"
VM_DIR=$ARMVMI_RUNTIME_DIR/rbl
for ((k = 0; k < 10; k++)); do
	"$ARMVMI" vm console rbl --send 'printf "SH-%s\n" READY' --expect SH-READY --timeout 10 >/dev/null 2>&1 && break
done
# guest_time: W = the guest's real seconds for one hyp-cpusys run
guest_time() {
	local o k
	for ((k = 0; k < 3; k++)); do
		o=$("$ARMVMI" vm console rbl --send "time -p hyp-cpusys 2>&1; printf '%s@@\\n' @@END" \
			--expect '@@END@@' --timeout 600 | tr -d '\r')
		W=$(awk '/^real/ {print $2}' <<<"$o")
		[ -n "$W" ] && return 0
	done
	fail "hyp-cpusys did not finish"
}
guest_time # warm up
declare -a WR
TEV=0
for ((i = 1; i <= 2 * REP; i++)); do
	declare -a w=()
	for p in $((i % 2)) $(((i + 1) % 2)); do
		mon=
		if [ "$p" = 1 ]; then
			"$EVMON" "$VM_DIR" --quiet --doorbell --reg-trap ttbr0=0x0000fffffffffffe --timeout 900 >"$HYP_TMP/tmon.log" 2>&1 &
			mon=$!
			for ((k = 0; k < 100; k++)); do grep -q '^EVMON ready' "$HYP_TMP/tmon.log" && break; sleep 0.1; done
		fi
		guest_time
		w[p]=$W
		if [ -n "$mon" ]; then
			kill -TERM "$mon"
			wait "$mon"
			TEV=$((TEV + $(grep '^EVMON rate' "$HYP_TMP/tmon.log" | field events)))
		fi
	done
	WR+=("$(echo "${w[1]} / ${w[0]}" | bc -l)")
	printf 'cpusys pair %d/%d: none %.2f s, TTBR0_EL1 events %.2f s, ratio %.3f\n' "$i" "$((2 * REP))" "${w[0]}" "${w[1]}" "${WR[-1]}" >&2
done
"$ARMVMI" vm stop rbl >/dev/null 2>&1

h=$(median "${HVC[@]}")
d=$(median "${DB[@]}")
b=$(median "${BP[@]}")
f=$(median "${FI[@]}")
s=$(median "${SH[@]}")
printf 'null HVC (in the hypervisor)        : %.0f calls/s (median of %d)\n' "$h" "${#HVC[@]}"
printf 'register-write event, doorbell      : %.0f /s, one round trip = %.1f null HVCs\n' "$d" "$(echo "$h / $d" | bc -l)"
printf 'register-write event, busy-poll     : %.0f /s, one round trip = %.1f null HVCs\n' "$b" "$(echo "$h / $b" | bc -l)"
printf 'null HVC with a monitor attached    : %.0f calls/s (the periodic tick on)\n' "$s"
printf 'trapped write filtered (no event)   : %.0f /s, = %.1f null HVCs, %.1f in-session null HVCs\n' "$f" "$(echo "$h / $f" | bc -l)" "$(echo "$s / $f" | bc -l)"
printf 'cpusys, TTBR0_EL1 events on         : median ratio %.3f of guest wall time (%d pairs, goal <= 1.10); %d events meanwhile\n' \
	"$(median "${WR[@]}")" "$((2 * REP))" "$TEV"
