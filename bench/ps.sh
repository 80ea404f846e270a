#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ps.sh — `armvmi ps` on a guest running >= 500 processes, live and from an ELF dump, cold and
# warm (bench_ps), beside the guest's own busybox ps timed inside the guest, in the same run.
# Environment: NPROC (sleeping processes started, default 520), ROUNDS (cold runs, default 7),
# GUEST_RUNS (guest ps runs timed, default 5), MEM (guest MiB, default 1024); BEFORE: another
# bench_ps binary (built from an older library) run on the same targets, for before/after.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/bin/armvmi build/bench/bench_ps
A=build/bin/armvmi
NPROC=${NPROC:-520} ROUNDS=${ROUNDS:-7} GUEST_RUNS=${GUEST_RUNS:-5} MEM=${MEM:-1024}
name=bench-ps-$$
dump=$(mktemp -d)/$name.elf
trap '$A vm stop $name >/dev/null 2>&1 || true; rm -rf "$(dirname "$dump")"' EXIT
console() { $A vm console $name --send "$1" --expect "$2" --timeout "${3:-120}"; }

$A -q vm start --name $name --mem "$MEM" >/dev/null
# the typed line holds $((...)), the answer its value: --expect matches only the answer
console "i=0; while [ \$i -lt $NPROC ]; do sleep 1000000 & i=\$((i+1)); done; echo STARTED-\$((40+2))" \
    STARTED-42 300 >/dev/null
# the guest's own ps, GUEST_RUNS times, timed with the guest's clock (/proc/uptime, 10 ms)
out=$(console "read a b < /proc/uptime; i=0; while [ \$i -lt $GUEST_RUNS ]; do ps >/dev/null; \
i=\$((i+1)); done; read c d < /proc/uptime; echo GPS \$a \$c \$(ps | wc -l) END-\$((6*7))" END-42 900)
read -r t0 t1 lines < <(echo "$out" | tr -d '\r' | awk '$1 == "GPS" && $2 ~ /^[0-9.]+$/ {print $2, $3, $4}')
guest_ms=$(awk -v a="$t0" -v b="$t1" -v n="$GUEST_RUNS" 'BEGIN {printf "%.1f", (b - a) * 1000 / n}')
echo "guest: $NPROC sleeping processes started; busybox ps lists $((lines - 1)) lines; one ps" \
    "takes $guest_ms ms of guest time (mean of $GUEST_RUNS runs timed together)"

$A vm pause $name >/dev/null
$A --vm $name dump -o "$dump" --quiet
for target in $name "$dump"; do
    echo
    build/bench/bench_ps "$target" "$ROUNDS" "$guest_ms"
    if [ -n "${BEFORE:-}" ]; then
        echo "before ($BEFORE):"
        "$BEFORE" "$target" "$ROUNDS" "$guest_ms" | grep -E '^  (cold|warm)'
    fi
done
