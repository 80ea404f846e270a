#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make install PREFIX=...` gives a library a program can build against with pkg-config.
. "$(dirname "$0")/../lib/tap.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/armvmi-t-work.XXXXXX)
trap 'tap_cleanup; rm -rf "$work"' EXIT
plan 7
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$root" install PREFIX="$work/prefix" >"$work/log" 2>&1
ok $? "make install PREFIX=... succeeds"
r=0
for f in bin/armvmi lib/libarmvmi.a lib/libarmvmi.so include/armvmi/armvmi.h lib/pkgconfig/armvmi.pc; do
    [ -e "$work/prefix/$f" ] || { r=1; diag "missing: $f"; }
done
ok $r "it installs the command, both libraries, the headers and armvmi.pc"
needed=$(readelf -d "$work/prefix/lib/libarmvmi.so" 2>&1 | grep NEEDED)
[ -n "$needed" ] && ! grep -q libfdt <<<"$needed"
r=$?
ok $r "readelf: libarmvmi.so does not link libfdt (only the armvmi command uses it)"
[ $r -eq 0 ] || diag "$needed"
export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig
is "$(pkg-config --modversion armvmi)" "$("$work/prefix/bin/armvmi" --version | awk '{print $2}')" "pkg-config knows the installed version"
# shellcheck disable=SC2046
cc -o "$work/read_pa" "$root/examples/read_pa.c" $(pkg-config --cflags --libs armvmi) 2>"$work/log"
ok $? "examples/read_pa.c builds against the installed library"
head -c 8192 /dev/urandom > "$work/img"
is "$(LD_LIBRARY_PATH=$work/prefix/lib "$work/read_pa" "raw:$work/img@0x1000" 0x1010)" \
   "$(dd if="$work/img" bs=1 skip=16 count=16 2>/dev/null | od -An -tx1 | sed 's/^ //')" \
   "and reads a raw image through the shared library"
# shellcheck disable=SC2046
cc -o "$work/read_pa_static" "$root/examples/read_pa.c" $(pkg-config --static --cflags --libs armvmi) \
    -Wl,-Bstatic -larmvmi -Wl,-Bdynamic $(pkg-config --libs libelf jansson expat) 2>"$work/log"
ok $? "and links statically too"
exit 0
