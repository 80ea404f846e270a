/* SPDX-License-Identifier: MIT */
/* lxcode.c — addresses of kernel data that a few A64 instructions form (ADRP, ADD, LDR/STR). */
#include <stdbool.h>
#include <string.h>

#include "lxwalk.h"

/* Arm ARM C6.2: ADRP, ADD (immediate, 64-bit), LDR/STR (immediate, 64-bit), BL, BLR */
#define A64_ADRP_MASK 0x9f000000u
#define A64_ADRP 0x90000000u
#define A64_ADDX_IMM_MASK 0xff800000u
#define A64_ADDX_IMM 0x91000000u
#define A64_LDSTX_UOFF_MASK 0xffc00000u /* size 11, V 0, unsigned offset */
#define A64_LDRX_UOFF 0xf9400000u
#define A64_STRX_UOFF 0xf9000000u
#define A64_LDSTX_IDX_MASK 0xffe00400u /* pre- and post-index forms (bits 11:10 = x1) */
#define A64_LDRX_IDX 0xf8400400u
#define A64_STRX_IDX 0xf8000400u
#define A64_BL_MASK 0xfc000000u
#define A64_BL 0x94000000u
#define A64_BLR_MASK 0xfffffc1fu
#define A64_BLR 0xd63f0000u
#define A64_RET 0xd65f03c0u
#define A64_CALLER_SAVED 19 /* x0..x18 are not preserved across a call (AAPCS64) */

static int add_ref(uint64_t *out, size_t max, size_t n, uint64_t va)
{
    for (size_t i = 0; i < n; i++)
        if (out[i] == va)
            return (int)n;
    if (n < max)
        out[n++] = va;
    return (int)n;
}

/*
 * Follow registers loaded by ADRP through ADD and 64-bit loads and stores with an immediate
 * offset; every address so formed is a reference. An instruction not understood forgets the
 * register in its bits 4:0 (the destination of most A64 instructions); a call forgets the
 * caller-saved registers; after a RET nothing is known (what follows is reached by a branch).
 */
size_t lx_code_refs(const uint32_t *code, size_t n, uint64_t pc, uint64_t *out, size_t max)
{
    uint64_t val[32];
    uint32_t known = 0; /* bit r: val[r] holds an address */
    size_t nout = 0;
    for (size_t i = 0; i < n; i++, pc += 4) {
        uint32_t insn = code[i];
        unsigned rd = insn & 31, rn = (insn >> 5) & 31;
        if ((insn & A64_ADRP_MASK) == A64_ADRP) {
            uint64_t imm = ((uint64_t)((insn >> 5) & 0x7ffff) << 2) | ((insn >> 29) & 3);
            int64_t off = (int64_t)(imm << 43) >> 31; /* sign-extend 21 bits, times 4096 */
            val[rd] = (pc & ~0xfffull) + (uint64_t)off;
            known |= 1u << rd;
        } else if ((insn & A64_ADDX_IMM_MASK) == A64_ADDX_IMM) {
            uint64_t imm = (insn >> 10) & 0xfff;
            if (insn & (1u << 22))
                imm <<= 12;
            if (rn != 31 && (known & (1u << rn))) {
                val[rd] = val[rn] + imm;
                known |= 1u << rd;
                nout = (size_t)add_ref(out, max, nout, val[rd]);
            } else {
                known &= ~(1u << rd);
            }
        } else if ((insn & A64_LDSTX_UOFF_MASK) == A64_LDRX_UOFF ||
                   (insn & A64_LDSTX_UOFF_MASK) == A64_STRX_UOFF) {
            if (rn != 31 && (known & (1u << rn)))
                nout = (size_t)add_ref(out, max, nout, val[rn] + (((insn >> 10) & 0xfff) << 3));
            if ((insn & A64_LDSTX_UOFF_MASK) == A64_LDRX_UOFF)
                known &= ~(1u << rd);
        } else if ((insn & A64_LDSTX_IDX_MASK) == A64_LDRX_IDX ||
                   (insn & A64_LDSTX_IDX_MASK) == A64_STRX_IDX) {
            int64_t imm = (int64_t)((uint64_t)((insn >> 12) & 0x1ff) << 55) >> 55;
            bool pre = insn & (1u << 11);
            if (rn != 31 && (known & (1u << rn))) {
                uint64_t a = val[rn] + (uint64_t)imm;
                nout = (size_t)add_ref(out, max, nout, pre ? a : val[rn]);
                val[rn] = a; /* writeback */
            }
            if ((insn & A64_LDSTX_IDX_MASK) == A64_LDRX_IDX)
                known &= ~(1u << rd);
        } else if ((insn & A64_BL_MASK) == A64_BL || (insn & A64_BLR_MASK) == A64_BLR) {
            known &= ~((1u << A64_CALLER_SAVED) - 1) & ~(1u << 30);
        } else if (insn == A64_RET) {
            known = 0;
        } else {
            known &= ~(1u << rd);
        }
    }
    return nout;
}
