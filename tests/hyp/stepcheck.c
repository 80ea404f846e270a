/* SPDX-License-Identifier: MIT */
/* stepcheck.c — checks a single-step trace (`armvmi trace step --json --regs`, one object per
 * line) of 57-hyp-step.t: every next PC must be one the previous instruction can reach. */
/*
 * usage: stepcheck [--svc-gap R] ELF < trace.json
 * Events are taken in seq order. For each step its instruction word (read by armvmi from guest
 * memory) is compared with the program's own ELF file at that address, then decoded here with
 * capstone, and the next step's PC must be: PC + 4 for an instruction that does not branch;
 * the target or PC + 4 for a conditional branch (b.cond, cbz, cbnz, tbz, tbnz); the target of
 * b/bl; the register's value (from the step's registers) for br/blr/ret. Prints
 * "STEPCHECK steps=N pairs=P bad=B words=W word_mismatch=M branches=T" and the first problems.
 * --svc-gap R: after an svc (and only there) the next PC may be any (stepping with the EL0
 * filter stops in the kernel and is re-armed at an exit back in the process): such gaps are
 * counted, with the change of register xR across each (a loop counter: the work missed), and
 * "SVCGAP gaps=G resumed_next=K xR_delta_max=D xR_delta_sum=S" is printed.
 * A load-exclusive (ldxr, ldaxr, ldxp, ldaxp, all sizes) may instead be followed by a step over
 * its whole exclusive sequence (the hypervisor runs it at once: abi.h ARMVMI_EVF_STEP_EXCL):
 * its words are read from the ELF file up to the store-exclusive (within 16), and the next PC
 * may then be the instruction after the store-exclusive or the target of a conditional branch
 * between them; such a step must carry "excl": true, and "excl" only on such a step. They are
 * counted as "excl=E" on the STEPCHECK line.
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct step {
    uint64_t seq, pc, word, x[31];
    int el;
    bool has_x, excl;
};

static uint64_t hexval(json_t *o, const char *k, bool *ok)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s) {
        *ok = false;
        return 0;
    }
    return strtoull(s, NULL, 0);
}

static int cmp_seq(const void *a, const void *b)
{
    const struct step *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool mnem_in(const char *m, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(m, *list))
            return true;
    return false;
}
static const char *const ldx[] = {"ldxr",   "ldaxr", "ldxrb", "ldaxrb", "ldxrh",
                                  "ldaxrh", "ldxp",  "ldaxp", NULL};
static const char *const stx[] = {"stxr",   "stlxr", "stxrb", "stlxrb", "stxrh",
                                  "stlxrh", "stxp",  "stlxp", NULL};
static bool cond_mnem(const char *m)
{
    return !strncmp(m, "b.", 2) || !strcmp(m, "cbz") || !strcmp(m, "cbnz") || !strcmp(m, "tbz") ||
           !strcmp(m, "tbnz");
}

static bool elf_word(uint64_t va, uint32_t *w);

/* The exits of the exclusive sequence from the load-exclusive at pc (words from the ELF file):
 * the instruction after its store-exclusive and the conditional branches' targets (up to 16). */
static size_t excl_exits(csh cs, uint64_t pc, uint64_t *ex, size_t max)
{
    size_t n = 0;
    for (unsigned i = 1; i < 16; i++) {
        uint64_t at = pc + 4ull * i;
        uint32_t w;
        uint8_t code[4];
        cs_insn *in;
        if (!elf_word(at, &w))
            return 0;
        memcpy(code, &w, 4);
        if (cs_disasm(cs, code, 4, at, 1, &in) != 1)
            return 0;
        bool st = mnem_in(in->mnemonic, stx), br = cond_mnem(in->mnemonic);
        if (br && n + 1 < max)
            for (int k = 0; k < in->detail->arm64.op_count; k++)
                if (in->detail->arm64.operands[k].type == ARM64_OP_IMM)
                    ex[n++] = (uint64_t)in->detail->arm64.operands[k].imm;
        cs_free(in, 1);
        if (st && n < max) {
            ex[n++] = at + 4;
            return n;
        }
    }
    return 0;
}

/* The program's text: PT_LOAD segments of the ELF file. */
static unsigned char *elf;
static size_t elf_len;

static bool elf_word(uint64_t va, uint32_t *w)
{
    if (elf_len < sizeof(Elf64_Ehdr))
        return false;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
    for (unsigned i = 0; i < eh->e_phnum && i < 64; i++) {
        uint64_t off = eh->e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
        if (off + sizeof(Elf64_Phdr) > elf_len)
            return false;
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + off);
        if (ph->p_type != PT_LOAD || va < ph->p_vaddr || va + 4 > ph->p_vaddr + ph->p_filesz)
            continue;
        uint64_t fo = ph->p_offset + (va - ph->p_vaddr);
        if (fo + 4 > elf_len)
            return false;
        memcpy(w, elf + fo, 4);
        return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    int gap_reg = -1;
    if (argc == 4 && !strcmp(argv[1], "--svc-gap")) {
        gap_reg = atoi(argv[2]);
        if (gap_reg < 0 || gap_reg > 30)
            gap_reg = -1;
        argv += 2;
        argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: stepcheck [--svc-gap R] ELF < trace.json\n");
        return 2;
    }
    FILE *ef = fopen(argv[1], "rb");
    if (!ef || fseek(ef, 0, SEEK_END) || (elf_len = (size_t)ftell(ef)) == 0 ||
        fseek(ef, 0, SEEK_SET) || !(elf = malloc(elf_len)) ||
        fread(elf, 1, elf_len, ef) != elf_len) {
        fprintf(stderr, "stepcheck: cannot read %s\n", argv[1]);
        return 2;
    }
    fclose(ef);
    size_t n = 0, cap = 1024;
    struct step *s = malloc(cap * sizeof(*s));
    char *line = NULL;
    size_t ll = 0;
    while (s && getline(&line, &ll, stdin) > 0) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        if (!o)
            continue;
        bool ok = true;
        struct step st = {.seq = (uint64_t)json_integer_value(json_object_get(o, "seq")),
                          .el = (int)json_integer_value(json_object_get(o, "el"))};
        st.pc = hexval(o, "pc", &ok);
        st.word = hexval(o, "word", &ok);
        st.excl = json_is_true(json_object_get(o, "excl"));
        json_t *x = json_object_get(o, "x");
        if (json_array_size(x) == 31) {
            st.has_x = true;
            for (int i = 0; i < 31; i++)
                st.x[i] = strtoull(json_string_value(json_array_get(x, (size_t)i)) ?: "0", NULL, 0);
        }
        json_decref(o);
        if (!ok)
            continue;
        if (n == cap && !(s = realloc(s, (cap *= 2) * sizeof(*s))))
            break;
        s[n++] = st;
    }
    free(line);
    if (!s)
        return 2;
    qsort(s, n, sizeof(*s), cmp_seq);
    csh cs;
    if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &cs) != CS_ERR_OK)
        return 2;
    cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
    size_t bad = 0, words = 0, wbad = 0, branches = 0, pairs = 0, shown = 0, gaps = 0, resumed = 0;
    size_t excl = 0;
    uint64_t dmax = 0, dsum = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t w;
        if (elf_word(s[i].pc, &w)) {
            words++;
            if (w != (uint32_t)s[i].word && wbad++ < 5)
                printf("word at 0x%" PRIx64 ": trace 0x%08" PRIx64 ", ELF 0x%08x\n", s[i].pc,
                       s[i].word, w);
        }
        if (i + 1 == n)
            break;
        pairs++;
        uint8_t code[4];
        uint32_t iw = (uint32_t)s[i].word;
        memcpy(code, &iw, 4);
        cs_insn *in;
        uint64_t pc = s[i].pc, next = s[i + 1].pc, t[2] = {pc + 4, pc + 4};
        char what[32] = "?";
        if (cs_disasm(cs, code, 4, pc, 1, &in) == 1) {
            snprintf(what, sizeof(what), "%s", in->mnemonic); /* in is freed below */
            cs_arm64 *d = &in->detail->arm64;
            const char *m = in->mnemonic;
            bool cond = !strncmp(m, "b.", 2) || !strcmp(m, "cbz") || !strcmp(m, "cbnz") ||
                        !strcmp(m, "tbz") || !strcmp(m, "tbnz");
            bool uncond_imm = !strcmp(m, "b") || !strcmp(m, "bl");
            bool reg = !strcmp(m, "br") || !strcmp(m, "blr") || !strncmp(m, "ret", 3) ||
                       !strncmp(m, "bra", 3) || !strncmp(m, "blra", 4);
            if (cond || uncond_imm || reg)
                branches++;
            if (cond || uncond_imm) {
                uint64_t tgt = 0;
                for (int k = 0; k < d->op_count; k++)
                    if (d->operands[k].type == ARM64_OP_IMM)
                        tgt = (uint64_t)d->operands[k].imm;
                t[0] = tgt;
                t[1] = cond ? pc + 4 : tgt;
            } else if (reg) {
                int r = 30; /* ret */
                for (int k = 0; k < d->op_count; k++)
                    if (d->operands[k].type == ARM64_OP_REG) {
                        unsigned rr = d->operands[k].reg;
                        if (rr >= ARM64_REG_X0 && rr <= ARM64_REG_X28)
                            r = (int)(rr - ARM64_REG_X0);
                        else if (rr == ARM64_REG_X29)
                            r = 29;
                        else if (rr == ARM64_REG_X30)
                            r = 30;
                        break;
                    }
                uint64_t v = s[i].has_x ? s[i].x[r] & 0x0000ffffffffffffull : ~0ull;
                t[0] = t[1] = v;
            }
            cs_free(in, 1);
        }
        if (gap_reg >= 0 && !strcmp(what, "svc")) {
            uint64_t dx = s[i].has_x && s[i + 1].has_x ? s[i + 1].x[gap_reg] - s[i].x[gap_reg] : 0;
            if (next == pc + 4)
                resumed++;
            gaps++;
            dsum += dx;
            dmax = dx > dmax ? dx : dmax;
            continue;
        }
        if (!strcmp(what, "?") || !mnem_in(what, ldx) || next == t[0]) {
            if (s[i + 1].excl) {
                bad++;
                if (shown++ < 10)
                    printf("seq %" PRIu64 ": \"excl\" after pc 0x%" PRIx64 " (%s) -> 0x%" PRIx64
                           ": not a step over an exclusive sequence\n",
                           s[i + 1].seq, pc, what, next);
                continue;
            }
        } else {
            uint64_t ex[8];
            size_t ne = excl_exits(cs, pc, ex, 8);
            bool hit = false;
            for (size_t k = 0; k < ne; k++)
                hit |= next == ex[k];
            if (hit && s[i + 1].excl) {
                excl++;
                continue;
            }
        }
        if (next != t[0] && next != t[1]) {
            bad++;
            if (shown++ < 10)
                printf("seq %" PRIu64 ": pc 0x%" PRIx64 " (%s) -> 0x%" PRIx64
                       " (expected 0x%" PRIx64 " or 0x%" PRIx64 ")\n",
                       s[i].seq, pc, what, next, t[0], t[1]);
        }
    }
    printf("STEPCHECK steps=%zu pairs=%zu bad=%zu words=%zu word_mismatch=%zu branches=%zu "
           "excl=%zu\n",
           n, pairs, bad, words, wbad, branches, excl);
    if (gap_reg >= 0)
        printf("SVCGAP gaps=%zu resumed_next=%zu x%d_delta_max=%" PRIu64 " x%d_delta_sum=%" PRIu64
               "\n",
               gaps, resumed, gap_reg, dmax, gap_reg, dsum);
    cs_close(&cs);
    free(s);
    free(elf);
    return bad || wbad ? 1 : 0;
}
