/* SPDX-License-Identifier: MIT */
/* elf.c — the "elf" driver: AArch64 ELF core dumps as QEMU's dump-guest-memory writes them. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "drivers/elfcore.h"

/* No real VM has more; a bound on what a hostile file can make us allocate. */
#define ELF_MAX_VCPUS 4096

struct elf_seg {
    uint64_t paddr;
    uint64_t offset;
    uint64_t filesz;
    uint64_t memsz;
    size_t index; /* program header number, for messages */
};

struct elf_priv {
    uint8_t *map;
    size_t size;
    unsigned nvcpus;
    struct armvmi_regs *regs; /* one per NT_PRSTATUS note, in file order */
    int guard;                /* lib/core/mapguard.c id of map */
};

struct elf_note_ref {
    const uint8_t *desc; /* inside libelf's note data, valid until elf_end() */
    uint32_t descsz;
};

/* State while reading: the file, libelf's view of it and what has been found so far. */
struct elf_reader {
    const char *path;
    uint8_t *map;
    size_t size;
    Elf *elf;
    struct armvmi_regs *regs;
    unsigned nvcpus, cap;
    bool have_sysregs;
    struct elf_note_ref *sysnotes; /* ARMVMI notes, applied once the vCPUs are known */
    unsigned nsysnotes, syscap;
    bool have_hyp; /* an NT_ARMVMI_HYP note was read: carve_* hold it */
    uint64_t carve_base, carve_size;
    struct elf_seg *segs;
    size_t nsegs;
};

static uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return le32toh(v);
}

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return le64toh(v);
}

static void elf_close(struct armvmi *h)
{
    struct elf_priv *p = h->priv;
    if (p) {
        if (p->map) {
            armvmi_mapguard_remove(p->guard);
            munmap(p->map, p->size);
        }
        free(p->regs);
        free(p);
    }
    h->priv = NULL;
    h->nregions = 0;
}

static int elf_get_regs(struct armvmi *h, unsigned vcpu, struct armvmi_regs *out)
{
    struct elf_priv *p = h->priv;
    if (vcpu >= p->nvcpus)
        return armvmi_fail(ARMVMI_EINVAL, "vCPU %u does not exist: %s has %u vCPU(s).", vcpu,
                           h->target, p->nvcpus);
    *out = p->regs[vcpu];
    return 0;
}

static int elf_is_paused(struct armvmi *h, bool *paused)
{
    *paused = true;
    return 0;
}

static const struct armvmi_driver_ops elf_ops = {
    .name = "elf",
    .get_regs = elf_get_regs,
    .is_paused = elf_is_paused,
    .close = elf_close,
};

static bool note_name_is(const uint8_t *name, uint32_t namesz, const char *want)
{
    size_t n = strlen(want);
    return namesz == n + 1 && memcmp(name, want, n) == 0 && name[n] == '\0';
}

static int add_prstatus(struct elf_reader *r, const uint8_t *desc, uint32_t descsz)
{
    if (descsz < ELFCORE_PRSTATUS_REG_END)
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s: NT_PRSTATUS note %u is %" PRIu32
                           " bytes, too short for AArch64 registers (%d needed); the dump is "
                           "corrupt or not from AArch64.",
                           r->path, r->nvcpus, descsz, ELFCORE_PRSTATUS_REG_END);
    if (r->nvcpus >= ELF_MAX_VCPUS)
        return armvmi_fail(ARMVMI_EFORMAT, "%s has more than %d NT_PRSTATUS notes: corrupt dump.",
                           r->path, ELF_MAX_VCPUS);
    if (r->nvcpus == r->cap) {
        unsigned ncap = r->cap ? r->cap * 2 : 4;
        struct armvmi_regs *n = realloc(r->regs, ncap * sizeof(*n));
        if (!n)
            return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
        r->regs = n;
        r->cap = ncap;
    }
    struct armvmi_regs *out = &r->regs[r->nvcpus++];
    memset(out, 0, sizeof(*out));
    /* pr_reg = x0..x30, sp, pc, pstate: the same order as ARMVMI_REG_X0..ARMVMI_REG_PSTATE */
    for (int i = 0; i < ELFCORE_PRSTATUS_NREGS; i++)
        armvmi_reg_set(out, (enum armvmi_reg)(ARMVMI_REG_X0 + i),
                       ld64(desc + ELFCORE_PRSTATUS_REG_OFF + 8 * i));
    return 0;
}

static int add_sysnote(struct elf_reader *r, const uint8_t *desc, uint32_t descsz)
{
    if (r->nsysnotes >= ELF_MAX_VCPUS)
        return armvmi_fail(ARMVMI_EFORMAT, "%s has more than %d ARMVMI notes: corrupt dump.",
                           r->path, ELF_MAX_VCPUS);
    if (r->nsysnotes == r->syscap) {
        unsigned ncap = r->syscap ? r->syscap * 2 : 4;
        struct elf_note_ref *n = realloc(r->sysnotes, ncap * sizeof(*n));
        if (!n)
            return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
        r->sysnotes = n;
        r->syscap = ncap;
    }
    r->sysnotes[r->nsysnotes++] = (struct elf_note_ref){.desc = desc, .descsz = descsz};
    return 0;
}

/* The "ARMVMI" hypervisor note: the carve-out of RAM (docs/dump-format.md). */
static int add_hypnote(struct elf_reader *r, const uint8_t *desc, uint32_t descsz)
{
    if (r->have_hyp)
        return armvmi_fail(ARMVMI_EFORMAT, "%s has two ARMVMI hypervisor notes: corrupt dump.",
                           r->path);
    if (descsz < sizeof(struct elfcore_hyp))
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s: the ARMVMI hypervisor note is %" PRIu32
                           " bytes, shorter than its %zu: corrupt dump.",
                           r->path, descsz, sizeof(struct elfcore_hyp));
    if (ld32(desc) != ELFCORE_HYP_VERSION)
        return 0; /* a later layout: skipped, as the format says */
    r->have_hyp = true;
    r->carve_base = ld64(desc + 8);
    r->carve_size = ld64(desc + 16);
    return 0;
}

/* The carve-out must lie inside one RAM range. */
static int check_carveout(struct elf_reader *r, struct armvmi *h)
{
    if (!r->have_hyp || r->carve_size == 0)
        return 0;
    if (r->carve_size > SIZE_MAX || !armvmi_region_find(h, r->carve_base, (size_t)r->carve_size))
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s: the hypervisor carve-out 0x%" PRIx64 "+0x%" PRIx64
                           " is not inside the dump's RAM: corrupt dump.",
                           r->path, r->carve_base, r->carve_size);
    h->carve_base = r->carve_base;
    h->carve_size = r->carve_size;
    return 0;
}

/* An "ARMVMI" note: system registers of one vCPU (docs/dump-format.md). */
static int apply_sysnote(struct elf_reader *r, const struct elf_note_ref *note, bool *seen,
                         bool *applied)
{
    const uint8_t *desc = note->desc;
    uint32_t descsz = note->descsz;
    if (descsz < sizeof(struct elfcore_armvmi_hdr))
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s: an ARMVMI note is %" PRIu32
                           " bytes, shorter than its header: corrupt dump.",
                           r->path, descsz);
    uint32_t version = ld32(desc), vcpu = ld32(desc + 4), count = ld32(desc + 8),
             esize = ld32(desc + 12);
    if (version != ELFCORE_ARMVMI_VERSION)
        return 0; /* a future layout: keep the general registers, skip what we cannot read */
    if (esize < sizeof(struct elfcore_armvmi_entry) ||
        count > (descsz - sizeof(struct elfcore_armvmi_hdr)) / esize)
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s: the ARMVMI note of vCPU %" PRIu32 " claims %" PRIu32
                           " entries of %" PRIu32 " bytes in %" PRIu32 " bytes: corrupt dump.",
                           r->path, vcpu, count, esize, descsz);
    if (vcpu >= r->nvcpus)
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s has an ARMVMI note for vCPU %" PRIu32
                           " but only %u NT_PRSTATUS notes: corrupt dump.",
                           r->path, vcpu, r->nvcpus);
    if (seen[vcpu])
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s has two ARMVMI notes for vCPU %" PRIu32 ": corrupt dump.", r->path,
                           vcpu);
    seen[vcpu] = true;
    const uint8_t *e = desc + sizeof(struct elfcore_armvmi_hdr);
    for (uint32_t i = 0; i < count; i++, e += esize) {
        uint32_t id = ld32(e);
        /* unknown IDs are registers added after this reader was written: skipped */
        for (int reg = ARMVMI_REG_PSTATE + 1; id && reg < ARMVMI_REG_COUNT; reg++)
            if (elfcore_sysreg_id((enum armvmi_reg)reg) == id)
                armvmi_reg_set(&r->regs[vcpu], (enum armvmi_reg)reg, ld64(e + 8));
    }
    *applied = true;
    return 0;
}

static int read_notes(struct elf_reader *r, const GElf_Phdr *ph, size_t index)
{
    if (ph->p_filesz == 0)
        return 0;
    Elf_Data *d = elf_getdata_rawchunk(r->elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
    if (!d)
        return armvmi_fail(ARMVMI_EFORMAT, "%s: cannot read the notes of program header %zu: %s.",
                           r->path, index, elf_errmsg(-1));
    size_t off = 0;
    unsigned n = 0;
    while (off < d->d_size) {
        GElf_Nhdr nh;
        size_t name_off, desc_off;
        size_t next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
        if (next == 0 || next <= off || desc_off > d->d_size || nh.n_descsz > d->d_size - desc_off)
            return armvmi_fail(ARMVMI_EFORMAT,
                               "%s: note %u of program header %zu has a bad size (it runs past its "
                               "segment): corrupt dump.",
                               r->path, n, index);
        const uint8_t *name = (const uint8_t *)d->d_buf + name_off;
        const uint8_t *desc = (const uint8_t *)d->d_buf + desc_off;
        int rc = 0;
        if (nh.n_type == NT_PRSTATUS && note_name_is(name, nh.n_namesz, "CORE"))
            rc = add_prstatus(r, desc, nh.n_descsz);
        else if (nh.n_type == NT_ARMVMI_SYSREGS &&
                 note_name_is(name, nh.n_namesz, ELFCORE_ARMVMI_NAME))
            rc = add_sysnote(r, desc, nh.n_descsz);
        else if (nh.n_type == NT_ARMVMI_HYP && note_name_is(name, nh.n_namesz, ELFCORE_ARMVMI_NAME))
            rc = add_hypnote(r, desc, nh.n_descsz);
        if (rc)
            return rc;
        off = next;
        n++;
    }
    return 0;
}

static int seg_cmp(const void *a, const void *b)
{
    const struct elf_seg *x = a, *y = b;
    return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Sort the memory segments, reject overlaps, merge neighbours, fill the region table. */
static int build_regions(struct elf_reader *r, struct armvmi *h)
{
    qsort(r->segs, r->nsegs, sizeof(*r->segs), seg_cmp);
    unsigned n = 0;
    for (size_t i = 0; i < r->nsegs; i++) {
        const struct elf_seg *s = &r->segs[i];
        if (i > 0) {
            const struct elf_seg *p = &r->segs[i - 1];
            if (s->paddr - p->paddr < p->memsz)
                return armvmi_fail(
                    ARMVMI_EFORMAT,
                    "%s: memory segments %zu and %zu overlap at guest physical address 0x%" PRIx64
                    ": corrupt dump.",
                    r->path, p->index, s->index, s->paddr);
        }
        if (s->filesz == 0)
            continue;
        struct armvmi_region *last = n ? &h->regions[n - 1] : NULL;
        if (last && last->base + last->size == s->paddr &&
            last->host + last->size == r->map + s->offset) {
            last->size += s->filesz; /* contiguous in memory and in the file */
            continue;
        }
        if (n == ARMVMI_MAX_RAM_RANGES)
            return armvmi_fail(ARMVMI_EFORMAT,
                               "%s has more than %d separate memory segments; armvmi cannot handle "
                               "that many RAM ranges.",
                               r->path, ARMVMI_MAX_RAM_RANGES);
        h->regions[n++] = (struct armvmi_region){
            .base = s->paddr, .size = s->filesz, .host = r->map + s->offset, .writable = false};
    }
    if (n == 0)
        return armvmi_fail(
            ARMVMI_EFORMAT,
            "%s contains no guest memory (no PT_LOAD segment with data in the file).", r->path);
    h->nregions = n;
    return 0;
}

static int check_ident(const char *path, const uint8_t *id, size_t size)
{
    if (size < SELFMAG || memcmp(id, ELFMAG, SELFMAG) != 0)
        return armvmi_fail(ARMVMI_EFORMAT, "%s is not an ELF file (no ELF magic): not a core dump.",
                           path);
    if (size < EI_NIDENT)
        return armvmi_fail(ARMVMI_EFORMAT, "%s is truncated inside its ELF header.", path);
    if (id[EI_CLASS] == ELFCLASS32)
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s is a 32-bit ELF file; armvmi reads only ELF64 AArch64 core dumps.",
                           path);
    if (id[EI_CLASS] != ELFCLASS64)
        return armvmi_fail(ARMVMI_EFORMAT, "%s has an invalid ELF class (%u): corrupt file.", path,
                           id[EI_CLASS]);
    if (id[EI_DATA] != ELFDATA2LSB)
        return armvmi_fail(
            ARMVMI_EFORMAT,
            "%s is not a little-endian ELF file; AArch64 core dumps are little-endian.", path);
    if (size < sizeof(Elf64_Ehdr))
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s is truncated inside its ELF header (%zu of %zu bytes).", path, size,
                           sizeof(Elf64_Ehdr));
    return 0;
}

/* The program header count, with the PN_XNUM escape to section 0's sh_info. */
static int phdr_count(struct elf_reader *r, const GElf_Ehdr *eh, size_t *out)
{
    size_t n = eh->e_phnum;
    if (n == PN_XNUM) {
        GElf_Shdr sh;
        Elf_Scn *scn = elf_getscn(r->elf, 0);
        if (!scn || !gelf_getshdr(scn, &sh))
            return armvmi_fail(ARMVMI_EFORMAT,
                               "%s: e_phnum is PN_XNUM but section 0 cannot be read: corrupt dump.",
                               r->path);
        n = sh.sh_info;
    }
    if (n == 0)
        return armvmi_fail(ARMVMI_EFORMAT, "%s has no program headers: not a core dump.", r->path);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s: program headers are %u bytes, not %zu: corrupt dump.", r->path,
                           eh->e_phentsize, sizeof(Elf64_Phdr));
    if (eh->e_phoff > r->size || n > (r->size - eh->e_phoff) / sizeof(Elf64_Phdr))
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s: %zu program headers at offset %" PRIu64
                           " run past the end of the file (%zu bytes): truncated or corrupt dump.",
                           r->path, n, (uint64_t)eh->e_phoff, r->size);
    size_t lib_n;
    if (elf_getphdrnum(r->elf, &lib_n) != 0 || lib_n != n)
        return armvmi_fail(ARMVMI_EFORMAT, "%s: cannot read the program header table: %s.", r->path,
                           elf_errmsg(-1));
    *out = n;
    return 0;
}

static int read_dump(struct elf_reader *r, struct armvmi *h)
{
    int rc = check_ident(r->path, r->map, r->size);
    if (rc)
        return rc;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return armvmi_fail(ARMVMI_EIO, "libelf is too old for this program.");
    r->elf = elf_memory((char *)r->map, r->size);
    if (!r->elf || elf_kind(r->elf) != ELF_K_ELF)
        return armvmi_fail(ARMVMI_EFORMAT, "%s: not a readable ELF file: %s.", r->path,
                           elf_errmsg(-1));
    GElf_Ehdr eh;
    if (!gelf_getehdr(r->elf, &eh))
        return armvmi_fail(ARMVMI_EFORMAT, "%s: cannot read the ELF header: %s.", r->path,
                           elf_errmsg(-1));
    if (eh.e_type != ET_CORE)
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s is an ELF file of type %u, not a core dump (ET_CORE).", r->path,
                           eh.e_type);
    if (eh.e_machine != EM_AARCH64)
        return armvmi_fail(ARMVMI_EFORMAT,
                           "%s is a core dump for ELF machine %u, not AArch64 (%d).", r->path,
                           eh.e_machine, EM_AARCH64);
    /* e_ehsize is not checked: QEMU 7.2 writes 8 there. */
    size_t phnum = 0;
    if ((rc = phdr_count(r, &eh, &phnum)))
        return rc;

    r->segs = calloc(phnum, sizeof(*r->segs));
    if (!r->segs)
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    for (size_t i = 0; i < phnum && !rc; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(r->elf, (int)i, &ph)) {
            rc = armvmi_fail(ARMVMI_EFORMAT, "%s: cannot read program header %zu: %s.", r->path, i,
                             elf_errmsg(-1));
            break;
        }
        if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
            continue;
        if (ph.p_offset > r->size || ph.p_filesz > r->size - ph.p_offset) {
            rc = armvmi_fail(ARMVMI_EFORMAT,
                             "%s: segment %zu (offset %" PRIu64 ", %" PRIu64
                             " bytes) runs past the end of the file (%zu bytes): truncated dump.",
                             r->path, i, (uint64_t)ph.p_offset, (uint64_t)ph.p_filesz, r->size);
            break;
        }
        if (ph.p_type == PT_NOTE) {
            rc = read_notes(r, &ph, i);
            continue;
        }
        if (ph.p_memsz < ph.p_filesz)
            rc = armvmi_fail(ARMVMI_EFORMAT,
                             "%s: memory segment %zu has more bytes in the file (%" PRIu64
                             ") than in memory (%" PRIu64 "): corrupt dump.",
                             r->path, i, (uint64_t)ph.p_filesz, (uint64_t)ph.p_memsz);
        else if (ph.p_memsz && ph.p_paddr > UINT64_MAX - (ph.p_memsz - 1))
            rc = armvmi_fail(ARMVMI_EFORMAT,
                             "%s: memory segment %zu at 0x%" PRIx64
                             " passes the end of the physical address space: corrupt dump.",
                             r->path, i, (uint64_t)ph.p_paddr);
        else if (ph.p_memsz)
            r->segs[r->nsegs++] = (struct elf_seg){.paddr = ph.p_paddr,
                                                   .offset = ph.p_offset,
                                                   .filesz = ph.p_filesz,
                                                   .memsz = ph.p_memsz,
                                                   .index = i};
    }
    if (!rc)
        rc = build_regions(r, h);
    if (!rc)
        rc = check_carveout(r, h);
    if (rc || r->nsysnotes == 0)
        return rc;
    bool *seen = calloc(r->nvcpus ? r->nvcpus : 1, sizeof(*seen));
    if (!seen)
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    for (unsigned i = 0; i < r->nsysnotes && !rc; i++)
        rc = apply_sysnote(r, &r->sysnotes[i], seen, &r->have_sysregs);
    free(seen);
    return rc;
}

int armvmi_elf_open(struct armvmi *h, const char *path)
{
    struct stat st;
    struct elf_reader r = {.path = path};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return armvmi_fail(errno == ENOENT ? ARMVMI_ENOENT : ARMVMI_EIO, "cannot open %s: %s.",
                           path, strerror(errno));
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return armvmi_fail(ARMVMI_EFORMAT, "%s is not a regular file, so not a dump.", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return armvmi_fail(ARMVMI_EFORMAT, "%s is empty, not an ELF core dump.", path);
    }
    r.size = (size_t)st.st_size;
    void *m = mmap(NULL, r.size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return armvmi_fail(ARMVMI_EIO, "cannot map %s: %s.", path, strerror(errno));
    r.map = m;
    int guard = armvmi_mapguard_add(m, r.size, false);

    int rc = read_dump(&r, h);
    if (!rc && armvmi_mapguard_broken(guard))
        rc = armvmi_fail(ARMVMI_EIO, "%s was truncated while it was being opened.", path);
    if (r.elf)
        elf_end(r.elf);
    free(r.segs);
    free(r.sysnotes);
    struct elf_priv *p = rc ? NULL : calloc(1, sizeof(*p));
    if (!rc && !p)
        rc = armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    if (rc) {
        h->nregions = 0;
        armvmi_mapguard_remove(guard);
        munmap(r.map, r.size);
        free(r.regs);
        return rc;
    }
    *p = (struct elf_priv){.map = r.map, .size = r.size, .nvcpus = r.nvcpus, .regs = r.regs};
    p->guard = guard;
    for (unsigned i = 0; i < h->nregions; i++)
        h->regions[i].guard = p->guard;
    h->ops = &elf_ops;
    h->priv = p;
    h->vcpus = r.nvcpus;
    h->caps = ARMVMI_CAP_READ | ARMVMI_CAP_MAP;
    if (r.nvcpus)
        h->caps |= ARMVMI_CAP_REGS | (r.have_sysregs ? ARMVMI_CAP_SYSREGS : 0);
    return 0;
}
