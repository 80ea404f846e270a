#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The guest kit: Debian's arm64 kernel and busybox through apt, cached; a second fetch downloads
# nothing and does not ask apt again while apt's state is unchanged; an interrupted fetch leaves
# no half-written entry and the next one completes.
. "$(dirname "$0")/../lib/tap.sh"
command -v apt-get >/dev/null || skip_all "no apt-get on this machine"
[ "$(id -u)" -eq 0 ] || dpkg --print-foreign-architectures | grep -qx arm64 || skip_all "needs root or arm64 in dpkg"
A=$ARMVMI
export ARMVMI_CACHE_DIR
ARMVMI_CACHE_DIR=$(mktemp -d /tmp/armvmi-t-cache.XXXXXX)
trap 'tap_cleanup; rm -rf "$ARMVMI_CACHE_DIR"' EXIT
plan 14

# Interrupt the first fetch while it downloads: SIGKILL, so nothing of ours can tidy up.
"$A" guest fetch 2>"$ARMVMI_CACHE_DIR.err" >/dev/null & fpid=$!
for i in $(seq 300); do grep -q downloading "$ARMVMI_CACHE_DIR.err" 2>/dev/null && break; sleep 0.1; done
sleep 0.5; kill -9 $fpid 2>/dev/null; wait $fpid 2>/dev/null
# entries (not temporaries) present right after the kill; each must turn out to be complete
entries=$(find "$ARMVMI_CACHE_DIR" -mindepth 3 -maxdepth 3 -type f \( -name Image -o -name busybox -o -name '*.cpio.gz' \) |
    grep -v -e /tmp- -e '\.staging/' -e /stage-)
mkdir -p "$ARMVMI_CACHE_DIR.snap"
for e in $entries; do cp "$e" "$ARMVMI_CACHE_DIR.snap/$(basename "$e")"; done

out=$("$A" guest fetch --json 2>"$ARMVMI_CACHE_DIR.err"); ok $? "the next fetch completes"
kernel=$(echo "$out" | jq -r .kernel); initrd=$(echo "$out" | jq -r .initrd)
r=0
for e in $entries; do cmp -s "$e" "$ARMVMI_CACHE_DIR.snap/$(basename "$e")" || { r=1; diag "half-written: $e"; }; done
rm -rf "$ARMVMI_CACHE_DIR.snap"
ok $r "whatever the killed fetch left under a final name was complete (${entries:-nothing})"

echo "$out" | jq -r .kernel_package | grep -q '^linux-image-[0-9].*-arm64 '; ok $? "the kernel is the package linux-image-arm64:arm64 depends on ($(echo "$out" | jq -r .kernel_package))"
# Linux arm64 Image header: magic "ARM\x64" at offset 56 (Documentation/arm64/booting.rst)
is "$(dd if="$kernel" bs=1 skip=56 count=4 2>/dev/null | od -An -c | tr -d ' ')" 'ARMd' "the kernel is an uncompressed arm64 Image"
list=$(gzip -dc "$initrd" | cpio -t --quiet 2>/dev/null)
r=0
for f in init bin/busybox bin/magic etc/inittab; do
    echo "$list" | grep -qx "$f" || { diag "missing in initramfs: $f"; r=1; }
done
ok $r "the initramfs has busybox, init and our guest programs"
left=$(find "$ARMVMI_CACHE_DIR" \( -name 'tmp-*' -o -name '*.staging' -o -name 'stage-*' -o -name '*.tmp' \) | wc -l)
is "$left" 0 "no temporary files are left in the cache"

before=$(find "$ARMVMI_CACHE_DIR" -type f ! -name .lock -printf '%p %T@ %s\n' | sort)
out2=$("$A" guest fetch --json 2>"$ARMVMI_CACHE_DIR.err2"); ok $? "a second fetch succeeds"
is "$(echo "$out2" | jq -r .kernel)" "$kernel" "it gives the same kernel"
! grep -q downloading "$ARMVMI_CACHE_DIR.err2"; ok $? "it downloads nothing"
after=$(find "$ARMVMI_CACHE_DIR" -type f ! -name .lock -printf '%p %T@ %s\n' | sort)
is "$after" "$before" "and changes nothing in the cache"

# apt-cache takes seconds per call: while apt's lists, cache, architectures, sources and pins
# are unchanged, the package and version it named last time stand. A stand-in apt-cache that
# records its calls (and fails) shows whether it is asked.
fake=$ARMVMI_CACHE_DIR.bin
mkdir -p "$fake"
printf '#!/bin/sh\necho "$*" >>"%s/calls"\nexit 1\n' "$fake" >"$fake/apt-cache"
chmod +x "$fake/apt-cache"
out3=$(PATH="$fake:$PATH" "$A" guest fetch --json 2>/dev/null); ok $? "a third fetch succeeds"
is "$(echo "$out3" | jq -r .kernel_package)" "$(echo "$out" | jq -r .kernel_package)" "with the same kernel package"
[ ! -e "$fake/calls" ]; ok $? "without asking apt-cache ($(cat "$fake/calls" 2>/dev/null | tr '\n' ';'))"
if [ "$(id -u)" -eq 0 ] && [ -d /var/lib/apt/lists ]; then
    touch /var/lib/apt/lists # as apt-get update does
    PATH="$fake:$PATH" "$A" guest fetch --json >/dev/null 2>&1
    [ -s "$fake/calls" ]; ok $? "once apt's lists change, apt-cache is asked again"
else
    skip "changing apt's lists needs root"
fi
rm -rf "$fake" "$ARMVMI_CACHE_DIR.err" "$ARMVMI_CACHE_DIR.err2"
exit 0
