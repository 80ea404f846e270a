#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# walk.sh — start the default guest, run bench_walk against it, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/bin/armvmi build/bench/bench_walk
name=bench-$$
trap 'build/bin/armvmi vm stop $name >/dev/null 2>&1 || true' EXIT
build/bin/armvmi -q vm start --name "$name" >/dev/null
build/bench/bench_walk "$name" "${ROUNDS:-5}"
