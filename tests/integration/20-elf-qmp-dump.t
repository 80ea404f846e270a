#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 20-elf-qmp-dump.t — a dump written by real QEMU (QMP dump-guest-memory) opens with the elf driver.
#
# A bare-metal virt guest is started paused (-S) with a random payload loaded into RAM and vCPU 0's
# PC set by QEMU's loader device; QMP writes the ELF dump and, for comparison, a raw pmemsave of the
# same RAM. The cmocka program test_elf_qmp (built by `make unit-tests`) then checks the dump.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/qemu.sh"
BUILD=${ARMVMI_BUILD:-$ROOT/build}
CHECK=$BUILD/tests/unit-san/test_elf_qmp
[ -x "$CHECK" ] || CHECK=$BUILD/tests/unit/test_elf_qmp
RAM_BASE=0x40000000
RAM_MIB=64
PAYLOAD_ADDR=0x40100000
PC0=0x40080000
VCPUS=2

for tool in qemu-system-aarch64 socat timeout; do
    if ! command -v "$tool" >/dev/null; then
        echo "1..0 # SKIP $tool is not installed"
        exit 0
    fi
done
if [ ! -x "$CHECK" ]; then
    echo "1..0 # SKIP $CHECK is not built (run make unit-tests)"
    exit 0
fi

echo "1..3"
T=$(mktemp -d "${TMPDIR:-/tmp}/armvmi-qmp-dump.XXXXXX")
QEMU_PID=
cleanup() {
    if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
        kill "$QEMU_PID" 2>/dev/null
        sleep 0.2
        kill -9 "$QEMU_PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT

head -c $((1 << 20)) /dev/urandom >"$T/payload.bin"
qemu_cmd aarch64 virt -cpu max -smp "$VCPUS" -m "$RAM_MIB" -S -monitor none -serial none
timeout 120 "${QEMU_CMD[@]}" \
    -qmp "unix:$T/qmp.sock,server=on,wait=off" \
    -device "loader,file=$T/payload.bin,addr=$PAYLOAD_ADDR,force-raw=on" \
    -device "loader,addr=$PC0,cpu-num=0" >"$T/qemu.log" 2>&1 &
QEMU_PID=$!

for _ in $(seq 100); do
    [ -S "$T/qmp.sock" ] && break
    sleep 0.1
done

# dump-guest-memory without "detach" returns when the file is complete; quit ends QEMU.
printf '%s\n' \
    '{"execute":"qmp_capabilities"}' \
    "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"file:$T/guest.elf\"}}" \
    "{\"execute\":\"pmemsave\",\"arguments\":{\"val\":$((RAM_BASE)),\"size\":$((RAM_MIB << 20)),\"filename\":\"$T/guest.raw\"}}" \
    '{"execute":"quit"}' |
    timeout 60 socat -t 30 - "UNIX-CONNECT:$T/qmp.sock" >"$T/qmp.log" 2>&1
timeout 10 tail --pid="$QEMU_PID" -f /dev/null 2>/dev/null

if [ -s "$T/guest.elf" ] && grep -q '"status": "completed"' "$T/qmp.log"; then
    echo "ok 1 - QEMU wrote an ELF dump with dump-guest-memory"
else
    echo "not ok 1 - QEMU wrote an ELF dump with dump-guest-memory"
    sed 's/^/# /' "$T/qmp.log" "$T/qemu.log"
fi
if [ -s "$T/guest.raw" ]; then
    echo "ok 2 - QEMU saved the same RAM with pmemsave"
else
    echo "not ok 2 - QEMU saved the same RAM with pmemsave"
fi

ARMVMI_QEMU_DUMP=$T/guest.elf ARMVMI_QEMU_RAW=$T/guest.raw \
    ARMVMI_QEMU_RAM="$RAM_BASE+$((RAM_MIB << 20))" ARMVMI_QEMU_VCPUS=$VCPUS \
    ARMVMI_QEMU_PC0=$PC0 ARMVMI_QEMU_PAYLOAD="$T/payload.bin@$PAYLOAD_ADDR" \
    CMOCKA_MESSAGE_OUTPUT=STDOUT timeout 120 "$CHECK" >"$T/check.log" 2>&1
rc=$?
sed 's/^/# /' "$T/check.log"
if [ $rc -eq 0 ] && ! grep -q SKIPPED "$T/check.log"; then
    echo "ok 3 - the elf driver reads QEMU's dump: layout, registers, bytes equal to pmemsave, re-dump"
else
    echo "not ok 3 - the elf driver reads QEMU's dump: layout, registers, bytes equal to pmemsave, re-dump"
fi
