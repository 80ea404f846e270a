#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 01-qemu-cmdlines.t — every QEMU command line in the tree starts in one of the two helpers
# (tools/armvmi/qemu_cmd.c for C, tests/lib/qemu.sh for shell), so none can forget -nodefaults.
#
# Grep-based: in shell files (*.sh, *.t, *.mk, Makefile) a qemu-system-* word followed by an
# argument is an invocation; in C, a string literal that is exactly a qemu-system-* binary name
# (an argv[0]) or "-nodefaults" builds a command line by hand. Comments and docs do not count.
. "$(dirname "$0")/../lib/tap.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
plan 4

ALLOW="tools/armvmi/qemu_cmd.c tools/armvmi/qemu_cmd.h tests/lib/qemu.sh"
ALLOW="$ALLOW tests/integration/01-qemu-cmdlines.t"
SH_RE='qemu-system-[A-Za-z0-9_]+"?[[:space:]]+("|\$|-|\\$)'
C_RE='"(qemu-system-[A-Za-z0-9_]+|-nodefaults)"'

# qemu_cmdline_offenders DIR FILE...: prints FILE:LINE: TEXT for every hand-written invocation.
qemu_cmdline_offenders() {
    local dir=$1 f
    shift
    for f in "$@"; do
        case " $ALLOW " in *" $f "*) continue ;; esac
        case "$f" in
        *.sh | *.t | *.mk | Makefile | */Makefile)
            grep -nE "$SH_RE" "$dir/$f" | grep -vE '^[0-9]+:[[:space:]]*#' | sed "s|^|$f:|" ;;
        *.c | *.h)
            grep -nE "$C_RE" "$dir/$f" | sed "s|^|$f:|" ;;
        esac
    done
}

if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t files < <(git -C "$root" ls-files -co --exclude-standard)
else
    mapfile -t files < <(cd "$root" && find . -path ./build -prune -o -type f -print |
        sed 's|^\./||')
fi
for f in $ALLOW; do
    [ -e "$root/$f" ] || { diag "allow-listed helper $f is missing"; ALLOW_MISSING=1; }
done
ok "${ALLOW_MISSING:-0}" "the QEMU command-line helpers exist"

out=$(qemu_cmdline_offenders "$root" "${files[@]}")
ok "$([ -z "$out" ]; echo $?)" "no file invokes qemu-system-* except through the helpers"
if [ -n "$out" ]; then
    sed 's/^/# /' <<<"$out"
    diag "use qemu_cmd_init() (tools/armvmi/qemu_cmd.h) or qemu_cmd (tests/lib/qemu.sh)"
fi

# The checks themselves: planted offenders are found, mentions are not.
work=$(mktemp -d /tmp/armvmi-t-qcmd.XXXXXX)
trap 'tap_cleanup; rm -rf "$work"' EXIT
printf '%s\n' 'command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 is missing"' \
    '# qemu-system-aarch64 -M virt' 'timeout 9 qemu-system-aarch64 -M virt -kernel x \' >"$work/x.t"
printf '%s\n' 'const char *q = "qemu-system-arm";' 'puts("qemu-system-aarch64 failed to start");' >"$work/x.c"
is "$(qemu_cmdline_offenders "$work" x.t x.c | cut -d: -f1,2 | tr '\n' ' ')" "x.t:3 x.c:1 " \
    "the checks find a hand-written shell invocation and a C argv[0], and ignore mentions"
. "$root/tests/lib/qemu.sh"
qemu_cmd arm virt -m 64
is "${QEMU_CMD[*]}" "qemu-system-arm -nodefaults -display none -machine virt -m 64" \
    "the shell helper starts with the binary, -nodefaults and -display none"
exit 0
