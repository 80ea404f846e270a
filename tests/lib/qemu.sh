# SPDX-License-Identifier: MIT
# qemu.sh — the common start of every QEMU command line in the shell tests (sourced by *.t, bench).

# qemu_cmd ARCH MACHINE [OPTION...]: sets the array QEMU_CMD to qemu-system-ARCH -nodefaults
# -display none -machine MACHINE OPTION...; run it as "${QEMU_CMD[@]}" (e.g. under timeout).
# -nodefaults: a machine without QEMU's recommended packages has no option ROMs for the default
# devices (a default NIC fails with "failed to find romfile efi-virtio.rom").
qemu_cmd() {
    local arch=$1 machine=$2
    shift 2
    QEMU_CMD=("qemu-system-$arch" -nodefaults -display none -machine "$machine" "$@")
}
