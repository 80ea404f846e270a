#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The default guest (Debian's kernel at EL1): memory access through a guest program's own view,
# registers against GDB, dumps (ours and QEMU's) against the paused live VM.
. "$(dirname "$0")/../lib/tap.sh"
command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed"
plan 21
A=$ARMVMI
vm=it-el1
work=$(mktemp -d /tmp/armvmi-t-work.XXXXXX)
trap 'tap_cleanup; rm -rf "$work"' EXIT

vm_start $vm; ok $? "vm start boots the default guest to its init"
is "$($A vm list --json | jq -r ".[] | select(.name==\"$vm\") | .state")" running "vm list shows it running"
info=$($A --vm $vm info --json)
is "$(echo "$info" | jq -r '.driver + " " + (.vcpus|tostring) + " " + (.ram[0].base|tostring)')" \
   "qemu 1 1073741824" "info: qemu driver, 1 vCPU, RAM at 0x40000000"

# A guest program fills a page with a random magic and reports its frame from /proc/self/pagemap.
out=$(console $vm "magic 120" "ARMVMI-MAGIC pa=" 60)
line=$(echo "$out" | tr -d '\r' | grep -o 'ARMVMI-MAGIC pa=0x[0-9a-f]* magic=[0-9a-f]*' | tail -n 1)
pa=$(echo "$line" | sed -n 's/.*pa=\(0x[0-9a-f]*\).*/\1/p')
magic=$(echo "$line" | sed -n 's/.*magic=\([0-9a-f]*\)/\1/p')
[ -n "$pa" ] && [ -n "$magic" ]; ok $? "guest program printed its page's physical address ($pa)"
# the page holds the 64-bit magic in the guest's byte order (little-endian)
le=$(echo "$magic" | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')
is "$($A --vm $vm read --pa "$pa" 16 --json | jq -r .hex)" "$le$le" "read --pa returns the guest's magic"
new=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
$A --vm $vm write --pa "$pa" "$new" >/dev/null; ok $? "write --pa succeeds"
newle=$(echo "$new" | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')
# The program polls every 50 ms and may print before a `console --expect` (which reads only what
# comes after it starts) would begin: wait in the console log itself.
seen=
for _ in $(seq 300); do
    seen=$(tr -d '\r' <"$ARMVMI_RUNTIME_DIR/$vm/console.log" | grep -o 'ARMVMI-MAGIC-SEEN [0-9a-f]*' | tail -n 1)
    [ -n "$seen" ] && break
    sleep 0.1
done
is "$seen" "ARMVMI-MAGIC-SEEN $newle" "the guest program sees the bytes armvmi wrote"
# Let the program exit and the shell settle: the register checks below pause an idle guest,
# which must then be in the kernel (pausing while the shell prints its prompt would catch EL0).
console $vm 'echo "@@IDLE""@@"' "@@IDLE@@" 30 >/dev/null
sleep 1

# Registers of the paused guest against GDB's own reading of the gdbstub.
$A vm pause $vm >/dev/null
regs=$($A --vm $vm regs --json)
pc=$(echo "$regs" | jq -r .regs.PC)
el=$(echo "$regs" | jq -r .el)
gdbout=$(timeout 60 gdb-multiarch -nx -batch -ex "set architecture aarch64" \
    -ex "target remote $ARMVMI_RUNTIME_DIR/$vm/gdb.sock" \
    -ex 'p/x $pc' -ex 'p/x $sp' -ex 'p/x $x0' -ex 'p/x $x19' -ex 'p/x $x30' -ex 'p/x $cpsr' \
    -ex 'p/x $TTBR1_EL1' -ex 'p/x $TCR_EL1' -ex 'p/x $VBAR' 2>/dev/null | sed -n 's/^\$[0-9]* = //p' | tr '\n' ' ')
mine=$(echo "$regs" | jq -r '[.regs.PC,.regs.SP,.regs.X0,.regs.X19,.regs.X30,.regs.PSTATE,.regs.TTBR1_EL1,.regs.TCR_EL1,.regs.VBAR_EL1] | .[]' |
    while read -r v; do printf '0x%x ' "$v"; done)
is "$mine" "$gdbout" "regs (PC SP X0 X19 X30 PSTATE TTBR1_EL1 TCR_EL1 VBAR_EL1) match GDB"
# gdb's detach resumes the VM: pause again for the dump comparison
$A vm pause $vm >/dev/null
is "$el" 1 "the kernel runs at EL1 in the default launch"
case "$pc" in 0xffff*) r=0 ;; *) r=1 ;; esac; ok $r "PC is a kernel address while the guest idles ($pc)"
x9=$(echo "$regs" | jq -r .regs.X9)
is "$($A --vm $vm regs --set x9=0x1122334455 --json | jq -r .regs.X9)" 0x0000001122334455 "regs --set writes a general register"
$A --vm $vm regs --set "x9=$x9" >/dev/null
$A --vm $vm regs --set ttbr0_el1=0 >/dev/null 2>"$work/err"; r=$?
[ $r -ne 0 ] && grep -q "cannot be written" "$work/err"; ok $? "writing a system register is refused with a clear reason"

# Dumps: ours and QEMU's dump-guest-memory, against the paused live VM at 1,000 addresses.
$A --vm $vm -q dump -o "$work/ours.elf"; ok $? "armvmi dump writes an ELF core"
ans=$(qmp $vm "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"file:$work/qemu.elf\"}}")
echo "$ans" | grep -q '"return"'; ok $? "QMP dump-guest-memory writes a core"
is "$($A --vm "$work/qemu.elf" info --json | jq -r '.driver + " " + (.vcpus|tostring)')" "elf 1" "QEMU's dump opens with the elf driver"
base=$((0x40000000)); size=$((512 << 20))
bad=0
for i in $(seq 1000); do
    addr=$(( base + ( (RANDOM << 15 | RANDOM) % (size - 16) ) ))
    echo "$addr"
done > "$work/addrs"
for t in $vm "$work/ours.elf" "$work/qemu.elf"; do
    while read -r addr; do "$A" --vm "$t" read --pa "$addr" 16 --raw | od -An -tx1 | tr -d ' \n'; echo; done \
        < "$work/addrs" > "$work/$(basename "$t").bytes"
done
cmp -s "$work/$vm.bytes" "$work/ours.elf.bytes"; ok $? "our dump equals the live VM at 1,000 random addresses"
cmp -s "$work/$vm.bytes" "$work/qemu.elf.bytes"; ok $? "QEMU's dump equals the live VM at 1,000 random addresses"
# registers in our dump (NT_PRSTATUS and the ARMVMI system-register note) equal the paused VM's
live=$($A --vm $vm regs --json | jq -S .regs)
dumped=$($A --vm "$work/ours.elf" regs --json | jq -S .regs)
common=$(jq -n --argjson a "$live" --argjson b "$dumped" '[$a | keys[] | select($b[.] != null)] | length')
same=$(jq -n --argjson a "$live" --argjson b "$dumped" '[$a | to_entries[] | select($b[.key] != null and $b[.key] != .value)] | length')
[ "$common" -ge 40 ] && [ "$same" -eq 0 ]; ok $? "the dump's $common registers equal the live vCPU's"
$A vm resume $vm >/dev/null
# Ctrl-C during a dump leaves neither the file nor a temporary one
$A --vm $vm dump -o "$work/int.elf" 2>"$work/int.err" & dpid=$!
sleep 0.1; kill -INT $dpid; wait $dpid; r=$?
left=$(ls "$work" | grep -c '^int\.elf')
[ $r -ne 0 ] && [ "$left" -eq 0 ]; ok $? "an interrupted dump leaves no file behind (exit $r)"
is "$($A --vm $vm info --json | jq -r .paused)" false "the VM runs again after the interrupted dump"

$A vm stop $vm >/dev/null
pid_left=$(pgrep -f "$ARMVMI_RUNTIME_DIR/$vm/" | head -n 1)
[ -z "$pid_left" ] && [ ! -e "$ARMVMI_RUNTIME_DIR/$vm" ]; ok $? "vm stop leaves no QEMU and no runtime directory"
exit 0
