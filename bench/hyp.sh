#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: boot-to-init time and a guest CPU + system-call workload (guest/hyp-cpusys.c) under
# the hypervisor vs directly under QEMU (same kernel, initramfs, QEMU, vCPUs and RAM), in one run;
# prints ratios. Also the acceptance tests' mixed workload (guest/hyp-work.c: fork, page faults,
# timers, and a pipe token ring that context-switches thousands of times), which has no goal
# but shows the cost of context switches under two-stage translation in QEMU.
#
# The machines this runs on are shared virtual machines whose speed drifts by 10-30% within
# seconds. So the two sides are measured in adjacent pairs (which side goes first alternates),
# each pair gives a ratio, and the median of those ratios is the result. Two clocks: the CPU
# time QEMU's threads got from the host (/proc/PID/task/*/schedstat: what running the guest
# cost, leaving out time the host gave to other tenants), which the goals are judged on, and
# wall time (the guest's own `time`, or QEMU start to init marker for boots), printed beside it
# with the best-of-N ratio. For the workloads both guests stay up and take turns (the idle one
# sleeps in WFI).
#
# Then guest/hyp-ubench.c micro-benchmarks (context switch, page fault, system call, fork)
# in pairs too, as a diagnosis of where any difference comes from.
#
# Usage: bench/hyp.sh [SMP] [REPEATS]     (defaults: 1 vCPU, 5 pairs)
# HYP_BENCH_CPU=max,pauth-impdef=on (say) runs both sides with that -cpu instead of `max`.
# HYP_BENCH_BASE_ELF=FILE runs the reference side ("direct" in the output) under that hypervisor
# ELF instead of without a hypervisor: an A/B of two hypervisor builds (same boot information
# ABI), e.g. to measure what a change to the exit path costs.
source "$(dirname "$0")/../tests/lib/hyp.sh"
source "$(dirname "$0")/lib.sh"
SMP=${1:-1}
REP=${2:-5}
hyp_guest_kit || { echo "guest kit unavailable: run armvmi guest fetch" >&2; exit 1; }

declare -a PID CMDN MODE=("--no-hyp" "") ELF=("$HYP_ELF" "$HYP_ELF")
if [ -n "${HYP_BENCH_BASE_ELF:-}" ]; then
	[ -r "$HYP_BENCH_BASE_ELF" ] || { echo "hyp-bench: cannot read $HYP_BENCH_BASE_ELF" >&2; exit 1; }
	MODE[0]=""
	ELF[0]=$HYP_BENCH_BASE_ELF
	echo "reference side (\"direct\" below): the hypervisor $HYP_BENCH_BASE_ELF" >&2
fi
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
		--hyp "${ELF[$k]}" --smp "$SMP" --mem 512 ${MODE[$k]} ${HYP_BENCH_CPU:+-- -cpu "$HYP_BENCH_CPU"} \
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

# qemu_cpu K: C = CPU seconds slot K's QEMU has run so far, all threads (schedstat: ns on a
# CPU). Time the host gives to other tenants is not in it, unlike wall time. No subshell: a
# failure must end the script.
qemu_cpu() {
	local q f a _ s=0
	q=$(pgrep -P "${PID[$1]}" | head -1) # timeout's child: armvmi-hyp-boot, which execs QEMU
	[ -n "$q" ] && [ "$(cat /proc/"$q"/comm 2>/dev/null)" = qemu-system-aar ] ||
		fail "no QEMU process under ${NAME[$1]}'s launcher" "$1"
	for f in /proc/"$q"/task/*/schedstat; do
		read -r a _ <"$f" 2>/dev/null && s=$((s + a))
	done
	C=$(echo "$s / 1000000000" | bc -l)
}

# boot_once K: T = QEMU's CPU seconds from its start to the init marker, TW = wall seconds (no
# subshell: a failure must end the script, and its trap must stop the guests)
boot_once() {
	local t0 t1
	t0=$(now)
	start_slot "$1"
	wait_line "$1" '^ARMVMI-INIT-READY' 300 || fail "${NAME[$1]} boot failed" "$1"
	t1=$(now)
	qemu_cpu "$1"
	T=$C
	stop_slot "$1"
	TW=$(echo "$t1 - $t0" | bc)
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

# timed_run K PROGRAM: T = QEMU's CPU seconds for one run of PROGRAM, TW = the guest's own
# "real" time for it, SUM = the checksum it printed
timed_run() {
	local c0
	qemu_cpu "$1"
	c0=$C
	guest_run "$1" "time -p $2 2>&1" "$2"
	qemu_cpu "$1"
	T=$(echo "$C - $c0" | bc -l)
	TW=$(awk '/^real/ {print $2}' <<<"$GOUT")
	SUM=$(grep -o 'checksum=[0-9a-f]*' <<<"$GOUT")
	[ -n "$TW" ] && [ -n "$SUM" ] || fail "no time or checksum from $2 (${NAME[$1]})" "$1"
}
cpusys_once() { timed_run "$1" hyp-cpusys; }
mixed_once() { timed_run "$1" hyp-work; }

# ubench_once K: UB = "switch NS fault NS syscall NS fork NS" from guest/hyp-ubench.c
ubench_once() {
	guest_run "$1" hyp-ubench micro-benchmarks
	UB=$(awk '/^UBENCH / {printf "%s %s ", $2, $4}' <<<"$GOUT")
	[ -n "$UB" ] || fail "no output from hyp-ubench (${NAME[$1]})" "$1"
}

min() { printf '%s\n' "$@" | sort -g | head -1; }
ratio() { echo "$1 / $2" | bc -l; }

# series KIND N FN: N adjacent pairs of FN 0 (direct) and FN 1 (hypervisor), which goes first
# alternating from pair to pair so that neither side always follows the other; each FN leaves
# CPU seconds in T, wall seconds in TW and maybe a checksum in SUM (both sides must agree).
# Leaves "N|median CPU ratio|median wall ratio|best direct|best hyp|best-of wall ratio" in
# RES[KIND].
declare -A RES
series() {
	local kind=$1 n=$2 fn=$3 i k
	local -a cr wr bd bh t tw sum
	for ((i = 1; i <= n; i++)); do
		for k in $(((i + 1) % 2)) $((i % 2)); do
			SUM=
			"$fn" "$k"
			t[k]=$T tw[k]=$TW sum[k]=$SUM
		done
		[ "${sum[0]}" = "${sum[1]}" ] || fail "$kind: checksums differ (direct ${sum[0]}, hypervisor ${sum[1]})" 1
		cr+=("$(ratio "${t[1]}" "${t[0]}")") wr+=("$(ratio "${tw[1]}" "${tw[0]}")")
		bd+=("${tw[0]}") bh+=("${tw[1]}")
		printf '%s pair %d/%d: QEMU CPU direct %.2f s, hypervisor %.2f s, ratio %.3f | wall %.2f s, %.2f s, ratio %.3f\n' \
			"$kind" "$i" "$n" "${t[0]}" "${t[1]}" "${cr[-1]}" "${tw[0]}" "${tw[1]}" "${wr[-1]}" >&2
	done
	RES[$kind]="$n|$(median "${cr[@]}")|$(median "${wr[@]}")|$(min "${bd[@]}")|$(min "${bh[@]}")|$(ratio "$(min "${bh[@]}")" "$(min "${bd[@]}")")"
}

series boot "$REP" boot_once

start_slot 0
start_slot 1
wait_line 0 '^ARMVMI-INIT-READY' 300 || fail "direct boot failed" 0
wait_line 1 '^ARMVMI-INIT-READY' 300 || fail "hypervisor boot failed" 1
sleep 1
cpusys_once 0 # warm both guests' page caches
cpusys_once 1
mixed_once 0
mixed_once 1
series workload "$((2 * REP))" cpusys_once
series mixed "$REP" mixed_once

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
# report KIND LABEL GOAL
report() {
	local n c w bd bh b
	IFS='|' read -r n c w bd bh b <<<"${RES[$1]}"
	printf '%-12s (%d pairs, %d vCPUs): median ratio %.3f of QEMU CPU time (%s), %.3f of wall time; best wall direct %.2f s, hypervisor %.2f s, best-of ratio %.3f\n' \
		"$2" "$n" "$SMP" "$c" "$3" "$w" "$bd" "$bh" "$b"
}
report boot boot-to-init "goal <= 1.10"
report workload workload "goal <= 1.05"
report mixed mixed "no goal"
for op in switch fault syscall fork; do
	# shellcheck disable=SC2086
	[ -n "${UR[$op]}" ] && printf 'micro %-8s (%d pairs): median ratio %.3f\n' "$op" "$REP" "$(median ${UR[$op]})"
done
