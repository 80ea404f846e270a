#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# phys.sh — start the default guest, run bench_phys against it, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/bin/armvmi build/bench/bench_phys
name=bench-$$
trap 'build/bin/armvmi vm stop $name >/dev/null 2>&1 || true' EXIT
build/bin/armvmi -q vm start --name "$name" --mem "${MEM:-1024}" >/dev/null
build/bench/bench_phys "$name" "${ROUNDS:-7}"
