# SPDX-License-Identifier: MIT
# push.sh — copy a host file into a guest through its console (sourced by *.t after tap.sh).

# push VM FILE GUESTPATH: copy a file into the guest through its console (gzip, base64; busybox's
# line editor takes at most 1024 bytes a line)
push() {
    local b64 i=0
    b64=$(gzip -9c "$2" | base64 -w0)
    console "$1" "rm -f $3.b64; printf 'R-%s\n' 0" R-0 10 >/dev/null || return 1
    while [ $i -lt ${#b64} ]; do
        console "$1" "echo ${b64:i:800} >> $3.b64; printf 'C-%s\n' $i" "C-$i" 20 >/dev/null ||
            return 1
        i=$((i + 800))
    done
    console "$1" "base64 -d $3.b64 | gunzip > $3 && rm $3.b64; printf 'P-%s\n' DONE" P-DONE 20 \
        >/dev/null
}

# insmods VM KERNEL [MODULE...]: push the guest kit's modules of KERNEL (default: nls_ascii and
# crc32_generic) and insmod them; fails (1) when the kit has none (run `armvmi guest fetch
# --refresh`) or one cannot be loaded
insmods() {
    local vm=$1 mods m
    mods=$(dirname "$2")/modules
    shift 2
    [ $# -gt 0 ] || set -- nls_ascii crc32_generic
    for m in "$@"; do
        [ -f "$mods/$m.ko" ] || return 1
        push "$vm" "$mods/$m.ko" "/tmp/$m.ko" &&
            console "$vm" "insmod /tmp/$m.ko; printf 'I-%s\\n' $m" "I-$m" 20 >/dev/null || return 1
    done
}
