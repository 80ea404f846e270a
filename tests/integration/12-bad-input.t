#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bad input gets one clear sentence and exit status 1, never a crash (run under ASan/UBSan).
. "$(dirname "$0")/../lib/tap.sh"
A=$ARMVMI_SAN
work=$(mktemp -d /tmp/armvmi-t-work.XXXXXX)
trap 'tap_cleanup; rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:exitcode=98

# fails EXPECTED-TEXT DESCRIPTION -- COMMAND...: exit 1, one "armvmi: " line mentioning the text
fails() {
    local want=$1 desc=$2; shift 3
    "$@" >"$work/out" 2>"$work/err"; local rc=$?
    local lines; lines=$(wc -l < "$work/err")
    if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q "^armvmi: .*$want" "$work/err"; then
        ok 0 "$desc"
    else
        ok 1 "$desc"; diag "exit $rc" "$(head -c 2000 "$work/err")"
    fi
}

plan 39
head -c 1048576 /dev/urandom > "$work/ram.bin"
raw="raw:$work/ram.bin@0x40000000"
"$A" --vm "$raw" -q dump -o "$work/small.elf"; ok $? "a dump of a raw image is written"
is "$("$A" --vm "$work/small.elf" read --pa 0x40000100 16 --raw | od -An -tx1)" \
   "$(dd if="$work/ram.bin" bs=1 skip=256 count=16 2>/dev/null | od -An -tx1)" "the dump holds the image's bytes"

fails "no running VM named 'nosuch'" "unknown VM" -- "$A" --vm nosuch info
fails "no such file" "missing dump file" -- "$A" --vm "$work/none.elf" info
fails "not guest RAM" "read below RAM" -- "$A" --vm "$raw" read --pa 0x1000 16
fails "not guest RAM" "read past the end of RAM" -- "$A" --vm "$raw" read --pa 0x400ffff8 16
fails "not guest RAM" "write outside RAM" -- "$A" --vm "$raw" write --pa 0x50000000 00
fails "not guest RAM" "read outside a dump's RAM" -- "$A" --vm "$work/small.elf" read --pa 0x80000000 4
fails "read-only" "write to a dump" -- "$A" --vm "$work/small.elf" write --pa 0x40000000 00
fails "not an address" "a malformed address" -- "$A" --vm "$raw" read --pa 0xzz 16
fails "not a length" "a zero length" -- "$A" --vm "$raw" read --pa 0x40000000 0
fails "whole number of bytes" "odd hex digits" -- "$A" --vm "$raw" write --pa 0x40000000 abc
fails "not hex" "not hex" -- "$A" --vm "$raw" write --pa 0x40000000 xyz1
fails "no vCPU registers" "regs of a raw image" -- "$A" --vm "$raw" regs
fails "base after '@'" "a bad raw base" -- "$A" --vm "raw:$work/ram.bin@zz" info
fails "unknown command" "an unknown command" -- "$A" frobnicate
fails "no vCPU registers" "regs of a dump that has none" -- "$A" --vm "$work/small.elf" regs --vcpu 3

: > "$work/empty.elf"
fails "empty" "an empty dump" -- "$A" --vm "$work/empty.elf" info
for n in 10 63 100 300; do
    head -c $n "$work/small.elf" > "$work/trunc$n.elf"
    fails "" "a dump truncated to $n bytes" -- "$A" --vm "$work/trunc$n.elf" info
done
head -c $(( $(stat -c %s "$work/small.elf") / 2 )) "$work/small.elf" > "$work/half.elf"
fails "" "a dump cut in half" -- "$A" --vm "$work/half.elf" read --pa 0x40000000 16
cp "$work/small.elf" "$work/machine.elf"; printf '\x3e\x00' | dd of="$work/machine.elf" bs=1 seek=18 conv=notrunc 2>/dev/null
fails "" "a dump for another machine (x86-64)" -- "$A" --vm "$work/machine.elf" info
cp "$work/small.elf" "$work/phnum.elf"; printf '\xff\xff' | dd of="$work/phnum.elf" bs=1 seek=56 conv=notrunc 2>/dev/null
fails "" "a dump with an absurd program header count" -- "$A" --vm "$work/phnum.elf" info
head -c 4096 /dev/urandom > "$work/garbage.elf"
fails "" "random bytes as a dump" -- "$A" --vm "$work/garbage.elf" info

# The launcher: a kernel that does not boot fails with the reason, and leaves nothing behind
if command -v qemu-system-aarch64 >/dev/null; then
    "$A" vm start --name badk --kernel /etc/hostname --initrd /etc/hostname --timeout 8 >"$work/out" 2>"$work/err"; r=$?
    [ $r -eq 1 ] && grep -q "did not reach its init within 8 s" "$work/err" && grep -q "printed nothing" "$work/err"
    ok $? "vm start with a kernel that does not boot fails after --timeout and says why"
    [ ! -e "$ARMVMI_RUNTIME_DIR/badk" ] && ! pgrep -f "$ARMVMI_RUNTIME_DIR/badk" >/dev/null
    ok $? "and leaves no QEMU and no runtime directory"
else
    ok 0 "# SKIP no qemu-system-aarch64"; ok 0 "# SKIP no qemu-system-aarch64"
fi
fails "cannot read kernel /nonexistent" "vm start with a missing kernel" -- "$A" vm start --name badk2 --kernel /nonexistent

# Random bytes as page tables: enumeration and walks end, bounded, under ASan
tcr=$(( 16 | (16 << 16) | (5 << 32) ))   # 4K granules, 48-bit VA both halves, 48-bit PA
"$A" --vm "$raw" pages --ttbr0 0x40000000 --ttbr1 0x40080000 --tcr $tcr --json >"$work/out" 2>"$work/err"
r=$?; [ $r -eq 0 ] && jq -e '.stats.tables >= 1' "$work/out" >/dev/null
ok $? "pages over random tables finishes ($(jq -c '.stats | {tables, leaves, bad_tables}' "$work/out" 2>/dev/null))"
"$A" --vm "$raw" pages --ttbr0 0x40000000 --tcr $tcr --max-tables 3 --json >"$work/out" 2>"$work/err"
jq -e '.stats.truncated == true and .stats.tables <= 3' "$work/out" >/dev/null && grep -q "incomplete" "$work/err"
ok $? "--max-tables bounds the tables read and says the list is incomplete"
r=0
for va in 0x0 0x1234567000 0xffff800008000000 0xffffffffffffffff 0x0001000000000000; do
    "$A" --vm "$raw" translate $va --ttbr0 0x40000000 --ttbr1 0x40080000 --tcr $tcr --trace >/dev/null 2>"$work/err" ||
        { r=1; diag "translate $va: $(cat "$work/err")"; }
done
ok $r "translate --trace over random tables answers (a fault or an address) for any VA"
fails "has no system registers" "translate on a raw image without registers" -- "$A" --vm "$raw" translate 0x1000

# A VM runtime directory whose vm.json is corrupt, or puts the hypervisor carve-out outside RAM.
mkdir -p "$work/vmdir"
printf '{"pid": %d, "ram_base": 1073741824, "ram_size": 1048576, "smp": 1, "hyp": true, "hyp_carveout": {"base": 4096, "size": 4096}}\n' $$ >"$work/vmdir/vm.json"
fails "carve-out is not inside RAM" "vm.json with the carve-out outside RAM" -- "$A" --vm "$work/vmdir" info
printf '{"pid": %d, "ram_base": 1073741824}\n' $$ >"$work/vmdir/vm.json"
fails "incomplete or corrupt" "vm.json without RAM size" -- "$A" --vm "$work/vmdir" info

fails "no usable VMCOREINFO" "syms on memory with no kernel" -- "$A" --vm "$raw" syms
fails "address" "syms --addr with a bad address" -- "$A" --vm "$raw" syms --addr zz

# --help works for every command and prints its usage
r=0
for c in info regs read write dump translate pages kernel syms "vm start" "vm list" "vm stop" "vm console" "vm pause" "guest"; do
    # shellcheck disable=SC2086
    "$A" $c --help 2>&1 | grep -q "usage: armvmi" || { r=1; diag "no usage for: $c"; }
done
ok $r "every command has --help"
"$A" --help | grep -q "usage: armvmi"; ok $? "armvmi --help"
exit 0
