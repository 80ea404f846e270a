#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The hypervisor's doorbell (hyp/drivers/virtio_console.c): a virtio console on the highest
# virtio-mmio transport, owned by the hypervisor and hidden from the guest. With 1 and 2 vCPUs
# (plus a virtio-rng the guest may use on the neighbouring transport of the same 4K page): the
# guest boots; its /proc/device-tree and /proc/interrupts know nothing of our transport; pings
# through the doorbell socket come back many times in a row (round trip printed); the guest
# touching our transport sees an empty one (writes ignored: pings still work) and keeps running,
# while its accesses to the neighbour reach the real device; after a reboot it all works again.
# Then `armvmi vm start --hyp` and `armvmi vm ping`. Note: Debian's kernel has virtio-mmio as a
# module, which the default initramfs does not load, so the /proc/interrupts check would also
# pass without the hiding; /proc/device-tree is the check that counts.
source "$(dirname "$0")/../lib/hyp.sh"
hyp_require
command -v socat >/dev/null || { echo "1..0 # SKIP socat not installed"; exit 0; }
command -v fdtget >/dev/null || { echo "1..0 # SKIP fdtget (device-tree-compiler) not installed"; exit 0; }
echo "1..40"
hyp_guest_kit || { not_ok "guest kit"; exit 1; }

DB=0xa003e00   # ours: transport 31, the first plugged (SPI 47 = INTID 79)
NB=0xa003c00   # the guest's virtio-rng: transport 30, same 4K page
DB_INTID=79
VIRT_MAGIC=0x74726976
hex() { printf '0x%x' $(($1 + $2)); }

ping_json() { timeout 120 "$ARMVMI" vm ping "$1" --count "$2" --json 2>"$HYP_TMP/ping.err"; }

for SMP in 1 2; do
	vm_start db$SMP --smp $SMP -- -device virtio-rng-device
	if wait_log '^ARMVMI-INIT-READY' 180; then
		ok "smp $SMP: guest boots to init with the doorbell device present"
	else
		not_ok "smp $SMP: guest boots to init with the doorbell device present"; vm_tail; exit 1
	fi
	check "smp $SMP: hypervisor took the console at $DB, INTID $DB_INTID" \
		wait_log "\[hyp\] doorbell: virtio console at $DB \(legacy virtio-mmio\), INTID $DB_INTID, hidden" 1
	check "smp $SMP: guest DTB has no node for our transport, QEMU's has" \
		bash -c "! fdtget '$VM_DIR/guest.dtb' /virtio_mmio@${DB#0x} compatible 2>/dev/null &&
			fdtget '$VM_DIR/qemu.dtb' /virtio_mmio@${DB#0x} compatible >/dev/null"

	vm_run 'ls /proc/device-tree | grep "^virtio_mmio@a003"; echo "@@IRQ""S $(grep -cE "GICv3 +'$DB_INTID' " /proc/interrupts) $(grep -c GICv3 /proc/interrupts)"; echo "@@CPU""S $(grep -c ^processor /proc/cpuinfo)"' 60
	dt=$(grep '^virtio_mmio@' <<<"$OUT" | tr '\n' ' ')
	check "smp $SMP: guest /proc/device-tree lists the neighbour but not ours ($dt)" \
		bash -c "grep -q 'virtio_mmio@${NB#0x} ' <<<'$dt ' && ! grep -q 'virtio_mmio@${DB#0x} ' <<<'$dt '"
	irqs=$(sed -n 's/^@@IRQS //p' <<<"$OUT")
	check "smp $SMP: guest /proc/interrupts has no INTID $DB_INTID (0 of its GICv3 lines: $irqs)" \
		bash -c "[[ '$irqs' =~ ^0\ [1-9] ]]"
	check "smp $SMP: guest sees $SMP vCPUs" test "$(sed -n 's/^@@CPUS //p' <<<"$OUT")" = "$SMP"

	J=$(ping_json "$VM_DIR" 1000)
	check "smp $SMP: 1000 pings in a row answered ($(jq -c '{min_us,median_us,max_us}' <<<"$J" 2>/dev/null)$(cat "$HYP_TMP/ping.err"))" \
		test "$(jq -r .count <<<"$J" 2>/dev/null)" = 1000
	diag "smp $SMP: doorbell round trip host->hypervisor->host: median $(jq -r .median_us <<<"$J") us, mean $(jq -r .mean_us <<<"$J") us"

	# Bytes other than the ping only wake the events code; the driver keeps answering pings.
	printf 'dddddddddddddddddddddddddddddddddddddddd' |
		timeout 5 socat -u - "UNIX-CONNECT:$VM_DIR/doorbell.sock" 2>/dev/null
	check "smp $SMP: after 40 other bytes, pings are still answered" \
		test "$(ping_json "$VM_DIR" 10 | jq -r .count 2>/dev/null)" = 10

	# Our transport: magic and version of an empty transport, DeviceID 0; writes (a reset of
	# its Status, a QueuePFN) ignored. The neighbour: DeviceID 4 (entropy), Status written and
	# read back, then reset.
	vm_run "hyp-carve $DB $(hex $DB 8) $(hex $DB 0x70)=0 $(hex $DB 0x40)=0 $(hex $DB 0x70) $(hex $NB 8) $(hex $NB 0x70)=1 $(hex $NB 0x70) $(hex $NB 0x70)=0; echo @@RC=\$?" 60
	r() { sed -n "s/^HYPCARVE $1 \(READ\|WROTE\) //p" <<<"$OUT" | sed -n "${2:-1}p"; }
	check "smp $SMP: guest reads our transport as empty: magic $(r $DB), DeviceID $(r $(hex $DB 8))" \
		test "$(r $DB) $(r $(hex $DB 8))" = "$VIRT_MAGIC 0x00000000"
	check "smp $SMP: guest's writes to our transport complete without a fault, Status reads 0" \
		test "$(r $(hex $DB 0x70)) $(r $(hex $DB 0x40)) $(r $(hex $DB 0x70) 2)" = "0x00000000 0x00000000 0x00000000"
	check "smp $SMP: guest reaches the neighbouring transport's device: DeviceID $(r $(hex $NB 8)), Status written and read back $(r $(hex $NB 0x70) 2)" \
		test "$(r $(hex $NB 8)) $(r $(hex $NB 0x70) 2) $(grep -c '^@@RC=0' <<<"$OUT")" = "0x00000004 0x00000001 1"
	check "smp $SMP: hypervisor reported the guest's reads and writes of our transport" \
		bash -c "tr -d '\r' <'$VM_LOG' | grep -q 'guest read the hypervisor.s doorbell transport at $DB' &&
			tr -d '\r' <'$VM_LOG' | grep -q 'guest wrote the hypervisor.s doorbell transport at $(hex $DB 0x70)'"
	check "smp $SMP: pings still answered after the guest's writes (200 in a row)" \
		test "$(ping_json "$VM_DIR" 200 | jq -r .count 2>/dev/null)" = 200
	check "smp $SMP: guest keeps running" vm_run 'echo alive' 30
	if [ "$SMP" = 2 ]; then
		printf 'reboot\n' >&3
		check "smp 2: after a guest reboot the hypervisor sets the doorbell up again" \
			wait_log '\[hyp\] doorbell: virtio console at .*hidden from the guest' 60 2
		check "smp 2: and the guest reaches init again" wait_log '^ARMVMI-INIT-READY' 240 2
		check "smp 2: pings answered after the reboot (100 in a row)" \
			test "$(ping_json "$VM_DIR" 100 | jq -r .count 2>/dev/null)" = 100
	fi
	check "smp $SMP: no hypervisor panic, unhandled trap, injected abort or kernel panic" \
		bash -c "! tr -d '\r' <'$VM_LOG' | grep -qE 'PANIC|unhandled|exception taken at EL2|external abort|Kernel panic|Oops'"
	vm_kill
done

# The launcher: `armvmi vm start --hyp` wires the doorbell socket and `armvmi vm ping NAME`.
NAME=db-t$$
stop_vm() { timeout 30 "$ARMVMI" vm stop "$NAME" >/dev/null 2>&1; hyp_cleanup; }
trap stop_vm EXIT
J=$(timeout 300 "$ARMVMI" vm start --hyp --smp 1 --name "$NAME" --json 2>"$HYP_TMP/start.err")
DIR=$(jq -r '.dir // empty' <<<"$J" 2>/dev/null)
check "vm start --hyp: the run directory has the doorbell socket" test -S "$DIR/doorbell.sock"
VM_LOG=$DIR/console.log
VM_PID=
check "vm start --hyp: the hypervisor found the doorbell" \
	wait_log "\[hyp\] doorbell: virtio console at $DB .*hidden from the guest" 5
check "vm start --hyp: guest DTB without our transport" \
	bash -c "! fdtget '$DIR/guest.dtb' /virtio_mmio@${DB#0x} compatible 2>/dev/null"
out=$(timeout 60 "$ARMVMI" vm ping "$NAME" --count 100 2>&1)
check "armvmi vm ping NAME --count 100 ($out)" grep -q "100 pings answered by the hypervisor" <<<"$out"
out=$(timeout 30 "$ARMVMI" vm ping "$NAME" --count 0 2>&1)
check "vm ping --count 0 is refused with one sentence ($out)" grep -q -- "--count takes" <<<"$out"
check "vm stop ends the VM" bash -c "timeout 60 '$ARMVMI' vm stop '$NAME' >/dev/null"
out=$(timeout 30 "$ARMVMI" vm ping "$NAME" 2>&1)
check "vm ping of a stopped VM says so ($out)" grep -q "no running VM named" <<<"$out"
exit $T_FAIL
