# SPDX-License-Identifier: MIT
# guestsh.sh — the guest shell helpers of 57-hyp-step.t and 58-hyp-break.t, sourced after tap.sh.

# shell_ready VM: the guest's shell answers (a line typed before it starts can be cut; this one
# has no quotes to leave open).
shell_ready() {
    local i
    for ((i = 0; i < 6; i++)); do
        console "$1" 'expr 40 + 2' 42 10 >/dev/null 2>&1 && return 0
    done
    return 1
}
