# SPDX-License-Identifier: MIT
# Shared by the benchmarks that run under the hypervisor (source after tests/lib/hyp.sh).
# median X...: the median of the numbers. field NAME: NAME's value in a "k=v k=v" line (stdin).
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

# null_hvc_runs REP TRAPGUEST: the reference, null HVCs per second handled inside the hypervisor,
# timed by the bare-metal trap guest ("TRAPBENCH hvc" line, ARMVMI_HVC_EXITS with CNTVCT), a fresh
# guest per run; appends each rate to the array HVC. Needs the caller's fail() and kill_vm().
null_hvc_runs() {
	local rep=$1 tg=$2 i line
	for ((i = 1; i <= rep; i++)); do
		KERNEL=$tg INITRD=$tg vm_start "hvc$i" --smp 1 --mem 256
		wait_log '^TRAPBENCH hvc ' 120 || fail "the trap test guest printed no TRAPBENCH line"
		line=$(tr -d '\r' <"$VM_LOG" | grep -m1 '^TRAPBENCH hvc ')
		kill_vm
		HVC+=("$(echo "$(field calls <<<"$line") * $(($(field cntfrq <<<"$line"))) / $(($(field ticks <<<"$line")))" | bc -l)")
		printf 'null HVC run %d/%d: %.0f calls/s\n' "$i" "$rep" "${HVC[-1]}" >&2
	done
}
