#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# AArch32 EL0 under the hypervisor: interrupts and traps taken to EL2 from AArch32 state (the
# "lower EL, AArch32" vectors) are handled, and a 32-bit program gives the same result as
# without the hypervisor.
source "$(dirname "$0")/../lib/hyp.sh"
hyp_require
CC32=${CROSS32:-arm-linux-gnueabihf-}gcc
command -v "$CC32" >/dev/null || { echo "1..0 # SKIP $CC32 not installed"; exit 0; }
command -v cpio >/dev/null || { echo "1..0 # SKIP cpio not installed"; exit 0; }
echo "1..6"
if ! hyp_guest_kit; then
	not_ok "guest kit: armvmi guest fetch gave kernel and initrd"; exit 1
fi
# The kit's initramfs plus a static AArch32 program.
R=$HYP_TMP/root
mkdir -p "$R" && (cd "$R" && zcat "$INITRD" | cpio -id --quiet) &&
	"$CC32" -static -O2 -o "$R/bin/a32work" "$HYP_ROOT/hyp/tests/a32work.c" &&
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip >"$HYP_TMP/initrd-a32.gz")
check "initramfs with an AArch32 program built" test -s "$HYP_TMP/initrd-a32.gz"
INITRD=$HYP_TMP/initrd-a32.gz

vm_start ref --smp 2 --no-hyp
wait_log '^ARMVMI-INIT-READY' 240 && sleep 1
vm_run 'a32work' 300
REF=$(grep -o 'sum=[0-9]*' <<<"$OUT")
check "reference run without the hypervisor ($REF)" test -n "$REF"
vm_kill

vm_start hyp --smp 2
wait_log '^ARMVMI-INIT-READY' 240 && sleep 1
vm_run 'a32work & a32work; wait' 300
n=$(grep -c "^A32WORK $REF\$" <<<"$OUT")
check "two AArch32 processes under the hypervisor give the same result ($n/2)" test "$n" = 2
vm_run 'echo alive' 30
check "guest still responsive" test "$OUT" = alive
printf 'poweroff\n' >&3
check "poweroff ends QEMU" wait_exit 60
check "no hypervisor panic" bash -c "! tr -d '\r' <'$VM_LOG' | grep -q PANIC"
exit $T_FAIL
