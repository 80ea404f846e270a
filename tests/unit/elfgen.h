/* SPDX-License-Identifier: MIT */
/* elfgen.h — test helper: build small synthetic AArch64 ELF core dumps in memory. */
#ifndef ARMVMI_TEST_ELFGEN_H
#define ARMVMI_TEST_ELFGEN_H

#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/elfcore.h"

#define EG_MAX_SEGS 8

struct eg_seg {
    uint64_t paddr, filesz, memsz;
};

struct eg_opts {
    unsigned nvcpus;
    bool sysregs; /* add an ARMVMI note per vCPU */
    unsigned nsegs;
    struct eg_seg segs[EG_MAX_SEGS];
    /* an ARMVMI hypervisor note (carve-out); hyp_size 0 means the full struct */
    bool hyp;
    uint32_t hyp_version, hyp_size;
    uint64_t carve_base, carve_size;
};

/* Where things are in a built image, so tests can corrupt them. */
struct eg_layout {
    size_t size;
    size_t notes_off, notes_len;
    size_t prstatus_off[16]; /* note header offsets of the first 16 NT_PRSTATUS notes */
    size_t armvmi_off[16];   /* and of the ARMVMI notes */
    size_t seg_off[EG_MAX_SEGS];
};

/* The byte a synthetic dump holds at guest physical address pa. */
static inline uint8_t eg_byte(uint64_t pa)
{
    uint64_t x = pa * 0x9E3779B97F4A7C15ull;
    return (uint8_t)(x >> 56);
}

static inline uint64_t eg_reg(unsigned vcpu, int reg)
{
    return 0xA5A5000000000000ull | ((uint64_t)vcpu << 32) | (uint64_t)(reg * 0x1111);
}

static inline size_t eg_note_size(size_t namesz, size_t descsz)
{
    return sizeof(Elf64_Nhdr) + ((namesz + 3) & ~3ul) + ((descsz + 3) & ~3ul);
}

static inline uint8_t *eg_note(uint8_t *p, const char *name, uint32_t type, const void *desc,
                               size_t descsz)
{
    Elf64_Nhdr nh = {(uint32_t)strlen(name) + 1, (uint32_t)descsz, type};
    memcpy(p, &nh, sizeof(nh));
    p += sizeof(nh);
    memcpy(p, name, nh.n_namesz);
    p += (nh.n_namesz + 3) & ~3u;
    memcpy(p, desc, descsz);
    return p + ((descsz + 3) & ~3ul);
}

/* Build the dump; returns a malloc'd buffer. */
static inline uint8_t *eg_build(const struct eg_opts *o, struct eg_layout *lay)
{
    size_t nsys = 0;
    for (int r = 0; r < ARMVMI_REG_COUNT; r++)
        nsys += elfcore_sysreg_id((enum armvmi_reg)r) != 0;
    size_t syssz = sizeof(struct elfcore_armvmi_hdr) + nsys * sizeof(struct elfcore_armvmi_entry);
    size_t nph = 1 + o->nsegs;
    size_t notes_off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
    size_t hypsz = o->hyp_size ? o->hyp_size : sizeof(struct elfcore_hyp);
    size_t notes_len = o->nvcpus * (eg_note_size(5, ELFCORE_PRSTATUS_SIZE) +
                                    (o->sysregs ? eg_note_size(7, syssz) : 0)) +
                       (o->hyp ? eg_note_size(7, hypsz) : 0);
    size_t off = notes_off + notes_len;
    memset(lay, 0, sizeof(*lay));
    for (unsigned i = 0; i < o->nsegs; i++) {
        lay->seg_off[i] = off;
        off += o->segs[i].filesz;
    }
    uint8_t *b = calloc(1, off);
    if (!b)
        abort();
    lay->size = off;
    lay->notes_off = notes_off;
    lay->notes_len = notes_len;

    Elf64_Ehdr eh = {0};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_CORE;
    eh.e_machine = EM_AARCH64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = 8; /* as QEMU 7.2 */
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = (uint16_t)nph;
    memcpy(b, &eh, sizeof(eh));
    Elf64_Phdr ph = {
        .p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = notes_len, .p_memsz = notes_len};
    memcpy(b + sizeof(eh), &ph, sizeof(ph));
    for (unsigned i = 0; i < o->nsegs; i++) {
        ph = (Elf64_Phdr){.p_type = PT_LOAD,
                          .p_offset = lay->seg_off[i],
                          .p_vaddr = o->segs[i].paddr,
                          .p_paddr = o->segs[i].paddr,
                          .p_filesz = o->segs[i].filesz,
                          .p_memsz = o->segs[i].memsz};
        memcpy(b + sizeof(eh) + (1 + i) * sizeof(ph), &ph, sizeof(ph));
        for (uint64_t j = 0; j < o->segs[i].filesz; j++)
            b[lay->seg_off[i] + j] = eg_byte(o->segs[i].paddr + j);
    }
    uint8_t *p = b + notes_off;
    for (unsigned v = 0; v < o->nvcpus; v++) {
        uint8_t pr[ELFCORE_PRSTATUS_SIZE] = {0};
        uint32_t pid = v + 1;
        memcpy(pr + ELFCORE_PRSTATUS_PID_OFF, &pid, 4);
        for (int i = 0; i < ELFCORE_PRSTATUS_NREGS; i++) {
            uint64_t val = eg_reg(v, i);
            memcpy(pr + ELFCORE_PRSTATUS_REG_OFF + 8 * i, &val, 8);
        }
        if (v < 16)
            lay->prstatus_off[v] = (size_t)(p - b);
        p = eg_note(p, "CORE", NT_PRSTATUS, pr, sizeof(pr));
        if (!o->sysregs)
            continue;
        uint8_t *desc = calloc(1, syssz);
        struct elfcore_armvmi_hdr hdr = {ELFCORE_ARMVMI_VERSION, v, (uint32_t)nsys,
                                         sizeof(struct elfcore_armvmi_entry)};
        memcpy(desc, &hdr, sizeof(hdr));
        size_t k = 0;
        for (int r = 0; r < ARMVMI_REG_COUNT; r++) {
            uint32_t id = elfcore_sysreg_id((enum armvmi_reg)r);
            if (!id)
                continue;
            struct elfcore_armvmi_entry e = {id, 0, eg_reg(v, r)};
            memcpy(desc + sizeof(hdr) + k++ * sizeof(e), &e, sizeof(e));
        }
        if (v < 16)
            lay->armvmi_off[v] = (size_t)(p - b);
        p = eg_note(p, ELFCORE_ARMVMI_NAME, NT_ARMVMI_SYSREGS, desc, syssz);
        free(desc);
    }
    if (o->hyp) {
        struct elfcore_hyp h = {o->hyp_version, 0, o->carve_base, o->carve_size};
        uint8_t desc[64] = {0};
        memcpy(desc, &h, sizeof(h) < hypsz ? sizeof(h) : hypsz);
        p = eg_note(p, ELFCORE_ARMVMI_NAME, NT_ARMVMI_HYP, desc, hypsz);
    }
    return b;
}

/*
 * Append a section header table as QEMU 7.2 writes it (a null section and .shstrtab). With
 * xnum, e_phnum becomes PN_XNUM and the real count moves to section 0's sh_info.
 */
static inline uint8_t *eg_add_sections(uint8_t *b, struct eg_layout *lay, bool xnum)
{
    static const char strtab[] = "\0.shstrtab";
    size_t shoff = (lay->size + 7) & ~7ul, stroff = shoff + 2 * sizeof(Elf64_Shdr);
    size_t size = stroff + sizeof(strtab);
    b = realloc(b, size);
    if (!b)
        abort();
    memset(b + lay->size, 0, size - lay->size);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
    Elf64_Shdr sh[2] = {{0}};
    if (xnum) {
        sh[0].sh_info = eh->e_phnum;
        eh->e_phnum = PN_XNUM;
    }
    sh[1] = (Elf64_Shdr){
        .sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = stroff, .sh_size = sizeof(strtab)};
    memcpy(b + shoff, sh, sizeof(sh));
    memcpy(b + stroff, strtab, sizeof(strtab));
    eh->e_shoff = shoff;
    eh->e_shentsize = sizeof(Elf64_Shdr);
    eh->e_shnum = 2;
    eh->e_shstrndx = 1;
    lay->size = size;
    return b;
}

static inline void eg_write(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f) != 0)
        abort();
}

#endif
