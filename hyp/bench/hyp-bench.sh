#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: boot-to-init time and the guest workload (guest/hyp-work.c) under the hypervisor
# vs directly under QEMU, same kernel/QEMU/vCPUs, in one run; prints the ratios.
# Usage: hyp/bench/hyp-bench.sh [SMP] [REPEATS]
source "$(dirname "$0")/../tests/lib.sh"
SMP=${1:-2}
REP=${2:-2}
hyp_guest_kit || { echo "guest kit unavailable: run armvmi guest fetch" >&2; exit 1; }

now() { date +%s.%N; }
run_one() { # mode -> "boot_s work_s"
	local t0 t1 w
	t0=$(now)
	vm_start "bench" --smp "$SMP" --mem 512 $1
	wait_log '^ARMVMI-INIT-READY' 300 || { echo "boot failed ($1)" >&2; vm_tail >&2; exit 1; }
	t1=$(now)
	sleep 1
	# The workload three times in the same boot; the best run counts.
	vm_run 'for i in 1 2 3; do time -p hyp-work; done 2>&1' 900 || { echo "workload failed ($1)" >&2; exit 1; }
	w=$(awk '/^real/ {print $2}' <<<"$OUT" | sort -g | head -1)
	vm_kill
	echo "$(echo "$t1 - $t0" | bc) $w"
}
declare -a B_REF B_HYP W_REF W_HYP
for ((i = 0; i < REP; i++)); do
	read -r b w < <(run_one --no-hyp); B_REF+=("$b"); W_REF+=("$w")
	read -r b w < <(run_one ""); B_HYP+=("$b"); W_HYP+=("$w")
	echo "run $i: boot ref ${B_REF[-1]} s hyp ${B_HYP[-1]} s; workload ref ${W_REF[-1]} s hyp ${W_HYP[-1]} s"
done
min() { printf '%s\n' "$@" | sort -g | head -1; }
br=$(min "${B_REF[@]}"); bh=$(min "${B_HYP[@]}"); wr=$(min "${W_REF[@]}"); wh=$(min "${W_HYP[@]}")
printf 'boot-to-init (best of %d, %d vCPUs): direct %.2f s, hypervisor %.2f s, ratio %.3f (goal <= 1.10)\n' \
	"$REP" "$SMP" "$br" "$bh" "$(echo "$bh / $br" | bc -l)"
printf 'workload     (best of %d, %d vCPUs): direct %.2f s, hypervisor %.2f s, ratio %.3f (goal <= 1.05)\n' \
	"$REP" "$SMP" "$wr" "$wh" "$(echo "$wh / $wr" | bc -l)"
