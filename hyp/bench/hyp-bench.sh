#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: boot-to-init time and the guest workload (guest/hyp-work.c) under the hypervisor vs
# directly under QEMU (same kernel, initramfs, QEMU, vCPUs and RAM), in one run; prints ratios.
#
# The machines this runs on are shared and their speed drifts by 10-30% over seconds, so the
# two sides are measured in adjacent pairs and each pair gives a ratio; the median of those
# ratios is the result (the best-of-N ratio is printed too). Boots alternate direct/hypervisor;
# for the workload both guests stay up and take turns (the idle one sleeps in WFI).
#
# Then guest/hyp-ubench.c micro-benchmarks (context switch, page fault, system call, fork)
# in pairs too, as a diagnosis of where any difference comes from.
#
# Usage: hyp/bench/hyp-bench.sh [SMP] [REPEATS]     (defaults: 1 vCPU, 5 pairs)
# HYP_BENCH_CPU=max,pauth-impdef=on (say) runs both sides with that -cpu instead of `max`.
source "$(dirname "$0")/../tests/lib.sh"
SMP=${1:-1}
REP=${2:-5}
hyp_guest_kit || { echo "guest kit unavailable: run armvmi guest fetch" >&2; exit 1; }

declare -a PID CMDN MODE=("--no-hyp" "")
NAME=("direct" "hypervisor")
now() { date +%s.%N; }
log_of() { echo "$HYP_TMP/vm$1.log"; }

# start_slot K: guest K (0 direct, 1 hypervisor) reading commands from a FIFO on fd 3+K.
start_slot() {
	local k=$1
	rm -f "$HYP_TMP/in$k"
	mkfifo "$HYP_TMP/in$k"
	: >"$(log_of "$k")"
	mkdir -p "$HYP_TMP/run$k"
	# shellcheck disable=SC2086
	timeout -k 5 3600 "$HYP_BOOT" --kernel "$KERNEL" --initrd "$INITRD" --rundir "$HYP_TMP/run$k" \
		--hyp "$HYP_ELF" --smp "$SMP" --mem 512 ${MODE[$k]} ${HYP_BENCH_CPU:+-- -cpu "$HYP_BENCH_CPU"} \
		<"$HYP_TMP/in$k" >"$(log_of "$k")" 2>&1 &
	PID[$k]=$!
	CMDN[$k]=0
	eval "exec $((3 + k))>\"\$HYP_TMP/in$k\""
}

stop_slot() {
	local k=$1
	if [ -n "${PID[$k]}" ]; then
		kill "${PID[$k]}" 2>/dev/null
		wait "${PID[$k]}" 2>/dev/null
	fi
	PID[$k]=
	eval "exec $((3 + k))>&-"
}
trap 'stop_slot 0; stop_slot 1; hyp_cleanup' EXIT

# wait_line K REGEX SECONDS: follow the log (inotify, not polling) until a line matches.
wait_line() {
	grep -m1 -qE "$2" < <(timeout "$3" tail -n +1 -F --pid="${PID[$1]}" "$(log_of "$1")" 2>/dev/null)
}

fail() {
	echo "hyp-bench: $1" >&2
	tr -d '\r' <"$(log_of "$2")" | tail -n 20 | sed 's/^/#   /' >&2
	exit 1
}

# boot_once K: T = seconds from QEMU start to the init marker (no subshell: a failure must
# end the script, and its trap must stop the guests)
boot_once() {
	local t0 t1
	t0=$(now)
	start_slot "$1"
	wait_line "$1" '^ARMVMI-INIT-READY' 300 || fail "${NAME[$1]} boot failed" "$1"
	t1=$(now)
	stop_slot "$1"
	T=$(echo "$t1 - $t0" | bc)
}

# guest_run K CMD WHAT: run CMD in guest K; GOUT = its output (no subshell: CMDN counts).
guest_run() {
	local k=$1 n
	CMDN[$k]=$((CMDN[$k] + 1))
	n=${CMDN[$k]}
	printf '%s\n' "echo @@BEG""IN-$n@@; $2; echo @@EN""D-$n@@" >&$((3 + k))
	wait_line "$k" "^@@END-$n@@" 900 || fail "${NAME[$k]} $3 failed" "$k"
	GOUT=$(tr -d '\r' <"$(log_of "$k")" | sed -n "/^@@BEGIN-$n@@/,/^@@END-$n@@/p")
}

# work_once K: T = the guest's own "real" time for one hyp-work run
work_once() {
	guest_run "$1" 'time -p hyp-work 2>&1' workload
	T=$(awk '/^real/ {print $2}' <<<"$GOUT")
	[ -n "$T" ] || fail "no time from the ${NAME[$1]} workload" "$1"
}

# ubench_once K: UB = "switch NS fault NS syscall NS fork NS" from guest/hyp-ubench.c
ubench_once() {
	guest_run "$1" hyp-ubench micro-benchmarks
	UB=$(awk '/^UBENCH / {printf "%s %s ", $2, $4}' <<<"$GOUT")
	[ -n "$UB" ] || fail "no output from hyp-ubench (${NAME[$1]})" "$1"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
min() { printf '%s\n' "$@" | sort -g | head -1; }
ratio() { echo "$1 / $2" | bc -l; }
# pair FN: FN 0 (direct) then FN 1 (hypervisor), each leaving its time in T; sets D, H, R.
pair() {
	"$1" 0
	D=$T
	"$1" 1
	H=$T
	R=$(ratio "$H" "$D")
}

declare -a BD BH BR WD WH WR
for ((i = 1; i <= REP; i++)); do
	pair boot_once
	BD+=("$D") BH+=("$H") BR+=("$R")
	printf 'boot pair %d/%d: direct %.2f s, hypervisor %.2f s, ratio %.3f\n' "$i" "$REP" "$D" "$H" "$R" >&2
done

start_slot 0
start_slot 1
wait_line 0 '^ARMVMI-INIT-READY' 300 || fail "direct boot failed" 0
wait_line 1 '^ARMVMI-INIT-READY' 300 || fail "hypervisor boot failed" 1
sleep 1
work_once 0 # warm both guests' page caches
work_once 1
for ((i = 1; i <= 2 * REP; i++)); do
	pair work_once
	WD+=("$D") WH+=("$H") WR+=("$R")
	printf 'workload pair %d/%d: direct %.2f s, hypervisor %.2f s, ratio %.3f\n' "$i" "$((2 * REP))" "$D" "$H" "$R" >&2
done

# Micro-benchmarks (diagnostic, no goal): per-operation ratios, median over the pairs.
declare -A UR
for ((i = 1; i <= REP; i++)); do
	ubench_once 0
	read -r -a ud <<<"$UB"
	ubench_once 1
	read -r -a uh <<<"$UB"
	for ((j = 0; j < ${#ud[@]}; j += 2)); do
		UR[${ud[j]}]+="$(ratio "${uh[j + 1]}" "${ud[j + 1]}") "
	done
	echo "micro pair $i/$REP: direct ${ud[*]} | hypervisor ${uh[*]} (ns per operation)" >&2
done

[ -n "$HYP_BENCH_CPU" ] && echo "QEMU -cpu $HYP_BENCH_CPU on both sides"
printf 'boot-to-init (%d pairs, %d vCPUs): median ratio %.3f (goal <= 1.10); best direct %.2f s, best hypervisor %.2f s, best-of ratio %.3f\n' \
	"$REP" "$SMP" "$(median "${BR[@]}")" "$(min "${BD[@]}")" "$(min "${BH[@]}")" "$(ratio "$(min "${BH[@]}")" "$(min "${BD[@]}")")"
printf 'workload     (%d pairs, %d vCPUs): median ratio %.3f (goal <= 1.05); best direct %.2f s, best hypervisor %.2f s, best-of ratio %.3f\n' \
	"$((2 * REP))" "$SMP" "$(median "${WR[@]}")" "$(min "${WD[@]}")" "$(min "${WH[@]}")" "$(ratio "$(min "${WH[@]}")" "$(min "${WD[@]}")")"
for op in switch fault syscall fork; do
	# shellcheck disable=SC2086
	[ -n "${UR[$op]}" ] && printf 'micro %-8s (%d pairs): median ratio %.3f\n' "$op" "$REP" "$(median ${UR[$op]})"
done
