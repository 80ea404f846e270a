#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `armvmi vm start --hyp` boots the default guest under the hypervisor: the guest DTB hides the
# carve-out, the guest's shell works over the console socket, the carve-out faults in the guest
# while the library still reads all of machine RAM, and `vm stop` ends it.
source "$(dirname "$0")/../lib/hyp.sh"
hyp_require
command -v socat >/dev/null || { echo "1..0 # SKIP socat not installed"; exit 0; }
echo "1..12"
NAME=hyp-t$$
stop_vm() { timeout 30 "$ARMVMI" vm stop "$NAME" >/dev/null 2>&1; hyp_cleanup; }
trap stop_vm EXIT

J=$(timeout 300 "$ARMVMI" vm start --hyp --smp 2 --name "$NAME" --json 2>"$HYP_TMP/start.err")
DIR=$(jq -r '.dir // empty' <<<"$J" 2>/dev/null)
if [ "$(jq -r '.hyp' <<<"$J" 2>/dev/null)" = true ] && [ -d "$DIR" ]; then
	ok "vm start --hyp reports a running VM under the hypervisor"
else
	not_ok "vm start --hyp reports a running VM under the hypervisor"; sed 's/^/#   /' "$HYP_TMP/start.err"; exit 1
fi
VM_LOG=$DIR/console.log
check "hypervisor banner with 2 vCPUs and the virtual GIC on the console" \
	wait_log '\[hyp\] RAM .* 2 vCPUs, virtual GIC' 5
check "guest reached init" wait_log '^ARMVMI-INIT-READY' 5

read -r CB CS < <("$HYP_BOOT" --mem 512 --carveout)
GUEST_MEM=$(printf '0x%x' $((CB + CS)))
check "guest DTB: /memory starts after the carve-out ($GUEST_MEM)" \
	bash -c "fdtget -t x '$DIR/guest.dtb' /memory@40000000 reg | grep -qi '^0 ${GUEST_MEM#0x} '"

INFO=$(timeout 30 "$ARMVMI" --vm "$NAME" info --json)
check "armvmi info reports the carve-out the hypervisor keeps ($(jq -c .hyp_carveout <<<"$INFO"))" \
	test "$(jq -r '"\(.hyp_carveout.base) \(.hyp_carveout.size)"' <<<"$INFO")" = "$((CB)) $((CS))"
check "guest DTB hides fw_cfg (DMA-capable) and the ITS" \
	bash -c "! fdtget '$DIR/guest.dtb' /fw-cfg@9020000 compatible 2>/dev/null && ! fdtget '$DIR/guest.dtb' /intc@8000000/its@8080000 compatible 2>/dev/null"

con() { printf '%s\n' "$1" | timeout 5 socat - "UNIX-CONNECT:$DIR/console.sock" >/dev/null 2>&1; }
con 'echo "@@CPU""S $(grep -c ^processor /proc/cpuinfo)"'
check "guest shell over the console socket sees 2 vCPUs" wait_log '^@@CPUS 2' 60
con "hyp-carve $CB $(printf '0x%x' $((CB + CS - 4)))"
check "guest read of the carve-out faults (SIGBUS) at both ends" wait_log '^HYPCARVE 0x[0-9a-f]+ SIGBUS' 60 2
check "hypervisor reported the access" wait_log 'guest touched the hypervisor carve-out' 5
check "library reads the hypervisor's boot information in the carve-out (machine view)" \
	bash -c "timeout 30 '$ARMVMI' --vm '$NAME' read --pa 0x40f00000 8 --raw | od -An -tx8 | grep -q 4f464e4950594841"
timeout 120 "$ARMVMI" --vm "$NAME" dump -o "$HYP_TMP/hyp.elf" >/dev/null 2>&1
check "a dump of the VM keeps the carve-out (info on the dump: $(timeout 30 "$ARMVMI" --vm "$HYP_TMP/hyp.elf" info --json 2>&1 | jq -c .hyp_carveout 2>&1))" \
	test "$(timeout 30 "$ARMVMI" --vm "$HYP_TMP/hyp.elf" info --json | jq -r '"\(.hyp_carveout.base) \(.hyp_carveout.size)"')" = "$((CB)) $((CS))"
rm -f "$HYP_TMP/hyp.elf"
check "vm stop ends the VM" bash -c "timeout 60 '$ARMVMI' vm stop '$NAME' >/dev/null"
exit $T_FAIL
