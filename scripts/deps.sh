#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh — install (as root, with apt) whatever armvmi needs to build, run and test; idempotent.
set -euo pipefail
PKGS=(
    make gcc libc6-dev pkg-config perl cpio gzip xz-utils socat jq procps bc
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
    qemu-system-arm gdb-multiarch
    libelf-dev libjansson-dev libexpat1-dev libbpf-dev libcmocka-dev libfdt-dev device-tree-compiler
    libcapstone-dev
    clang
)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_arm64=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1
if [ ${#missing[@]} -eq 0 ] && [ $need_arm64 -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "armvmi needs these Debian packages: ${missing[*]:-none}; arm64 in dpkg: $([ $need_arm64 -eq 0 ] && echo yes || echo no)" >&2
    echo "run this script as root to install them: $0" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# the guest kit downloads Debian's own arm64 kernel and busybox with apt
[ $need_arm64 -eq 1 ] && dpkg --add-architecture arm64
echo "installing: ${missing[*]}" >&2
apt-get update -q >/dev/null
[ ${#missing[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
