#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark of the hypervisor's VMI memory events, in one run, against a null HVC handled
# entirely inside the hypervisor:
# - null HVCs per second: the bare-metal EL1 guest hyp/tests/trapguest times TG_BENCH_HVC calls
#   of ARMVMI_HVC_EXITS with CNTVCT ("TRAPBENCH hvc" line);
# - synchronous memory-event round trips per second, doorbell mode and busy-poll mode: the
#   Debian guest's guest/evstress.c stores into a write-protected page in a tight loop, the test
#   monitor build/hyp/evmon answers each event (STEP; the store has a syndrome, so the
#   hypervisor emulates it); the rate is the monitor's events over the time from its first to
#   its last event; the ratio "one round trip = N null HVCs" is HVC rate / event rate;
# - guest slowdown of the CPU + system-call workload (guest/hyp-cpusys.c, bench/hyp.sh's) with
#   all of the kernel's text write-protected (_stext.._etext: the physical start from
#   `armvmi kernel`, the length from the guest's /proc/kallsyms) by an attached monitor, against
#   no monitor: the guest's own `time -p`, in adjacent pairs (which side goes first alternates),
#   median of the pairs' ratios, as bench/hyp.sh does.
# Usage: bench/events.sh [REPEATS] [STORES]   (defaults: 3 repeats, 20000 stores per run)
source "$(dirname "$0")/../tests/lib/hyp.sh"
source "$(dirname "$0")/lib.sh"
exec 9>&2
kill_vm() { vm_kill; exec 2>&9; } # vm_kill leaves stderr on /dev/null
REP=${1:-3}
NST=${2:-20000}
EVMON=$HYP_BUILD/hyp/evmon
TG=$HYP_BUILD/hyp/trapguest.img
for f in "$EVMON" "$TG" "$HYP_ELF" "$HYP_BOOT"; do
	[ -r "$f" ] || { echo "events-bench: $f is not built: run make" >&2; exit 1; }
done
fail() {
	echo "events-bench: $1" >&2
	[ -r "$HYP_TMP/mon.log" ] && sed "s/^/#   monitor: /" "$HYP_TMP/mon.log" >&2
	vm_tail >&2
	exit 1
}

# 1. null HVCs per second (a fresh bare-metal guest per repeat)
declare -a HVC
null_hvc_runs "$REP" "$TG"

# 2. the Debian guest under the hypervisor
# (`armvmi vm start --hyp`: the monitor needs the shared RAM file, which armvmi-hyp-boot has not)
export ARMVMI_RUNTIME_DIR=$HYP_TMP/rt
mkdir -p "$ARMVMI_RUNTIME_DIR"
trap '"$ARMVMI" vm stop bev >/dev/null 2>&1; hyp_cleanup' EXIT
"$ARMVMI" -q vm start --name bev --hyp --smp 1 --timeout 300 >&2 || fail "the guest did not boot"
VM_DIR=$ARMVMI_RUNTIME_DIR/bev
VM_LOG=$VM_DIR/console.log
# vm_run CMD SECONDS: OUT = CMD's output in the guest shell
vm_run() {
	local o
	# the markers are printed by printf, so that the echo of the typed line never matches
	o=$("$ARMVMI" vm console bev --send "printf '%s@@\\n' @@BEGIN; $1; printf '%s@@\\n' @@END" --expect '@@END@@' \
		--timeout "$2" | tr -d '\r')
	grep -q '^@@END@@' <<<"$o" || return 1
	OUT=$(sed -n '/^@@BEGIN@@/,/^@@END@@/p' <<<"$o" | sed '1d;$d')
}
# vm_retry CMD SECONDS: vm_run an idempotent CMD up to 3 times (typed text can be lost)
vm_retry() {
	local k
	for ((k = 0; k < 3; k++)); do
		vm_run "$@" && return 0
		sleep 1
	done
	return 1
}
for ((k = 0; k < 10; k++)); do
	"$ARMVMI" vm console bev --send 'printf "SH-%s\n" READY' --expect SH-READY --timeout 10 >/dev/null 2>&1 && break
done

# stream MODE: one run of NST stores into a write-protected page; R = round trips per second
stream() {
	local pa
	vm_run "rm -f /tmp/evs-go /tmp/e.log; (evstress $NST 0 >/tmp/e.log 2>&1 &); sleep 1; cat /tmp/e.log" 60 ||
		fail "evstress did not start"
	pa=$(awk '/^EVS a/ {sub("pa=", "", $4); print $4}' <<<"$OUT")
	[ -n "$pa" ] && [ "$pa" != 0x0 ] || fail "no page address from evstress"
	"$EVMON" "$VM_DIR" --quiet "$1" --set "$pa=rx" --track "$pa" --idle 3 --timeout 600 >"$HYP_TMP/mon.log" 2>&1 &
	local mon=$!
	for ((k = 0; k < 100; k++)); do
		grep -q '^EVMON ready' "$HYP_TMP/mon.log" && break
		sleep 0.1
	done
	vm_retry "touch /tmp/evs-go" 30 || { kill $mon; fail "$1: could not start the stores"; }
	wait $mon
	vm_retry "for k in \$(seq 600); do grep -q EVS-DONE /tmp/e.log && break; sleep 0.5; done; cat /tmp/e.log" 400
	grep -q "^EVMON track $pa events=$NST runs=1 " "$HYP_TMP/mon.log" ||
		fail "$1: not one event per store: $(grep '^EVMON track' "$HYP_TMP/mon.log")"
	R=$(grep '^EVMON rate' "$HYP_TMP/mon.log" | field per_second)
}
declare -a DB BP
for ((i = 1; i <= REP; i++)); do
	stream --doorbell
	DB+=("$R")
	stream --busy
	BP+=("$R")
	echo "round trips run $i/$REP: doorbell ${DB[-1]}/s, busy-poll ${BP[-1]}/s" >&2
done

# 3. CPU + system calls with the kernel's text write-protected
STEXT_PA=$("$ARMVMI" --vm "$VM_DIR" kernel --json | jq -r '.stext_pa // empty')
vm_retry "grep -wE '_stext|_etext' /proc/kallsyms" 30
S=$(awk '$3 == "_stext" {print "0x" $1}' <<<"$OUT")
E=$(awk '$3 == "_etext" {print "0x" $1}' <<<"$OUT")
[ -n "$STEXT_PA" ] && [ -n "$S" ] && [ -n "$E" ] || fail "no kernel text range (stext_pa '$STEXT_PA', kallsyms '$S'..'$E')"
TLEN=$(printf '0x%x' $(((E - S + 4095) & ~4095)))
echo "kernel text: PA $STEXT_PA + $TLEN ($(((TLEN) >> 12)) frames)" >&2
vm_retry "hyp-cpusys >/dev/null" 300 # warm up
# cpusys_once PROTECT: W = the guest's real seconds for one hyp-cpusys run
cpusys_once() {
	local mon=
	if [ "$1" = 1 ]; then
		"$EVMON" "$VM_DIR" --quiet --doorbell --set "$STEXT_PA+$TLEN=rx" --timeout 900 >"$HYP_TMP/tmon.log" 2>&1 &
		mon=$!
		for ((k = 0; k < 300; k++)); do
			grep -q '^EVMON ready' "$HYP_TMP/tmon.log" && break
			sleep 0.1
		done
		grep -q "^EVMON set .* status=1 frames=$(((TLEN) >> 12))" "$HYP_TMP/tmon.log" || fail "kernel text not protected"
	fi
	vm_retry "time -p hyp-cpusys 2>&1" 600 || fail "hyp-cpusys did not finish"
	W=$(awk '/^real/ {print $2}' <<<"$OUT")
	if [ -n "$mon" ]; then
		kill -TERM "$mon"
		wait "$mon"
		TEV=$((TEV + $(grep '^EVMON rate' "$HYP_TMP/tmon.log" | field events)))
	fi
}
declare -a WR
TEV=0
for ((i = 1; i <= 2 * REP; i++)); do
	declare -a w=()
	for p in $((i % 2)) $(((i + 1) % 2)); do
		cpusys_once "$p"
		w[p]=$W
	done
	WR+=("$(echo "${w[1]} / ${w[0]}" | bc -l)")
	printf 'cpusys pair %d/%d: none %.2f s, kernel text write-protected %.2f s, ratio %.3f\n' "$i" "$((2 * REP))" "${w[0]}" "${w[1]}" "${WR[-1]}" >&2
done
"$ARMVMI" vm stop bev >/dev/null 2>&1

h=$(median "${HVC[@]}")
d=$(median "${DB[@]}")
b=$(median "${BP[@]}")
printf 'null HVC (in the hypervisor)       : %.0f calls/s (median of %d)\n' "$h" "$REP"
printf 'memory-event round trip, doorbell  : %.0f /s, one round trip = %.1f null HVCs\n' "$d" "$(echo "$h / $d" | bc -l)"
printf 'memory-event round trip, busy-poll : %.0f /s, one round trip = %.1f null HVCs (goal <= 3)\n' "$b" "$(echo "$h / $b" | bc -l)"
printf 'cpusys, kernel text write-protected: median ratio %.3f of guest wall time (%d pairs, goal <= 1.05); %d events meanwhile\n' \
	"$(median "${WR[@]}")" "$((2 * REP))" "$TEV"
