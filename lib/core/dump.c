/* SPDX-License-Identifier: MIT */
/* dump.c — armvmi_dump(): write any target as an AArch64 ELF core in QEMU's dump layout. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkostemp */
#endif
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "drivers/elfcore.h"

#define DUMP_CHUNK (4u << 20) /* bytes of RAM per write and per progress call */
#define DUMP_ALIGN 4096u      /* RAM starts page-aligned in the file, so maps are aligned */

struct dump_buf {
    uint8_t *p;
    size_t len, cap;
};

static int buf_put(struct dump_buf *b, const void *data, size_t len)
{
    size_t pad = (4 - len % 4) % 4; /* ELF notes: name and desc are 4-byte aligned */
    if (b->cap - b->len < len + pad) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        while (ncap - b->len < len + pad)
            ncap *= 2;
        uint8_t *n = realloc(b->p, ncap);
        if (!n)
            return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
        b->p = n;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, len);
    memset(b->p + b->len + len, 0, pad);
    b->len += len + pad;
    return 0;
}

static int put_note(struct dump_buf *b, const char *name, uint32_t type, const void *desc,
                    size_t descsz)
{
    Elf64_Nhdr nh = {.n_namesz = htole32((uint32_t)strlen(name) + 1),
                     .n_descsz = htole32((uint32_t)descsz),
                     .n_type = htole32(type)};
    int rc = buf_put(b, &nh, sizeof(nh));
    if (!rc)
        rc = buf_put(b, name, strlen(name) + 1);
    if (!rc)
        rc = buf_put(b, desc, descsz);
    return rc;
}

static void st32(uint8_t *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, sizeof(v));
}

static void st64(uint8_t *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, sizeof(v));
}

/* NT_PRSTATUS ("CORE") and, when the snapshot has system registers, the ARMVMI note. */
static int put_vcpu_notes(struct dump_buf *b, unsigned vcpu, const struct armvmi_regs *regs)
{
    uint8_t pr[ELFCORE_PRSTATUS_SIZE] = {0};
    st32(pr + ELFCORE_PRSTATUS_PID_OFF, vcpu + 1); /* as QEMU: pr_pid = vCPU index + 1 */
    for (int i = 0; i < ELFCORE_PRSTATUS_NREGS; i++)
        st64(pr + ELFCORE_PRSTATUS_REG_OFF + 8 * i, regs->regs[ARMVMI_REG_X0 + i]);
    int rc = put_note(b, "CORE", NT_PRSTATUS, pr, sizeof(pr));
    if (rc)
        return rc;

    uint8_t desc[sizeof(struct elfcore_armvmi_hdr) +
                 ARMVMI_REG_COUNT * sizeof(struct elfcore_armvmi_entry)];
    uint8_t *e = desc + sizeof(struct elfcore_armvmi_hdr);
    uint32_t count = 0;
    for (int r = 0; r < ARMVMI_REG_COUNT; r++) {
        uint32_t id = elfcore_sysreg_id((enum armvmi_reg)r);
        if (!id || !armvmi_reg_valid(regs, (enum armvmi_reg)r))
            continue;
        st32(e, id);
        st32(e + 4, 0);
        st64(e + 8, regs->regs[r]);
        e += sizeof(struct elfcore_armvmi_entry);
        count++;
    }
    if (count == 0)
        return 0;
    st32(desc, ELFCORE_ARMVMI_VERSION);
    st32(desc + 4, vcpu);
    st32(desc + 8, count);
    st32(desc + 12, sizeof(struct elfcore_armvmi_entry));
    return put_note(b, ELFCORE_ARMVMI_NAME, NT_ARMVMI_SYSREGS, desc, (size_t)(e - desc));
}

static int write_all(int fd, const char *tmp, const void *data, size_t len, uint64_t off)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        /* The kernel could not read the source: a mapped file cut short under us (the copy in
         * the kernel gets EFAULT where a user-space read would get SIGBUS). */
        if (n < 0 && errno == EFAULT)
            return armvmi_fail(ARMVMI_EIO,
                               "the file behind the target was truncated while open: guest "
                               "memory could not be copied into %s, which was removed.",
                               tmp);
        if (n <= 0)
            return armvmi_fail(ARMVMI_EIO, "cannot write %s: %s.", tmp,
                               n < 0 ? strerror(errno) : "nothing written");
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

/* Everything before RAM: ELF header, program headers (PT_NOTE first), the notes. */
static int write_headers(armvmi_t *h, int fd, const char *tmp, const struct dump_buf *notes,
                         const uint64_t *ram_off)
{
    unsigned nph = 1 + h->nregions;
    size_t hlen = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
    uint8_t *hdr = calloc(1, hlen);
    if (!hdr)
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    Elf64_Ehdr eh = {0};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = htole16(ET_CORE);
    eh.e_machine = htole16(EM_AARCH64);
    eh.e_version = htole32(EV_CURRENT);
    eh.e_phoff = htole64(sizeof(Elf64_Ehdr));
    eh.e_ehsize = htole16(sizeof(Elf64_Ehdr));
    eh.e_phentsize = htole16(sizeof(Elf64_Phdr));
    eh.e_phnum = htole16((uint16_t)nph);
    eh.e_shentsize = htole16(sizeof(Elf64_Shdr));
    memcpy(hdr, &eh, sizeof(eh));

    Elf64_Phdr ph = {0};
    ph.p_type = htole32(PT_NOTE);
    ph.p_offset = htole64(hlen);
    ph.p_filesz = ph.p_memsz = htole64(notes->len);
    memcpy(hdr + sizeof(eh), &ph, sizeof(ph));
    for (unsigned i = 0; i < h->nregions; i++) {
        /* QEMU (paging=false) writes p_vaddr = p_paddr and leaves p_flags, p_align 0 */
        ph = (Elf64_Phdr){.p_type = htole32(PT_LOAD),
                          .p_offset = htole64(ram_off[i]),
                          .p_vaddr = htole64(h->regions[i].base),
                          .p_paddr = htole64(h->regions[i].base),
                          .p_filesz = htole64(h->regions[i].size),
                          .p_memsz = htole64(h->regions[i].size)};
        memcpy(hdr + sizeof(eh) + (1 + i) * sizeof(ph), &ph, sizeof(ph));
    }
    int rc = write_all(fd, tmp, hdr, hlen, 0);
    if (!rc && notes->len)
        rc = write_all(fd, tmp, notes->p, notes->len, hlen);
    free(hdr);
    return rc;
}

static int write_ram(armvmi_t *h, int fd, const char *tmp, const uint64_t *ram_off, uint64_t total,
                     armvmi_progress_fn progress, void *arg)
{
    uint8_t *buf = NULL;
    uint64_t done = 0;
    int rc = 0;
    if (progress && progress(arg, 0, total))
        return armvmi_fail(ARMVMI_EINTR, "dump cancelled.");
    for (unsigned i = 0; i < h->nregions && !rc; i++) {
        const struct armvmi_region *r = &h->regions[i];
        for (uint64_t off = 0; off < r->size && !rc; off += DUMP_CHUNK) {
            size_t n = r->size - off < DUMP_CHUNK ? (size_t)(r->size - off) : DUMP_CHUNK;
            const void *src = r->host ? r->host + off : NULL;
            if (!src) {
                if (!buf && !(buf = malloc(DUMP_CHUNK))) {
                    rc = armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
                    break;
                }
                if ((rc = armvmi_read_pa(h, r->base + off, buf, n)))
                    break;
                src = buf;
            }
            if ((rc = write_all(fd, tmp, src, n, ram_off[i] + off)))
                break;
            if (armvmi_region_gone(r)) {
                rc = armvmi_fail(ARMVMI_EIO,
                                 "the file behind %s was truncated during the dump; the "
                                 "partial dump was not kept.",
                                 h->target);
                break;
            }
            done += n;
            if (progress && progress(arg, done, total))
                rc = armvmi_fail(ARMVMI_EINTR, "dump cancelled.");
        }
    }
    free(buf);
    return rc;
}

/* Make the rename durable: fsync the directory that holds path. */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(copy);
}

static int dump_paused(armvmi_t *h, const char *path, armvmi_progress_fn progress, void *arg)
{
    struct dump_buf notes = {0};
    struct armvmi_regs regs;
    int rc = 0;
    unsigned nvcpus = (h->caps & ARMVMI_CAP_REGS) && h->ops->get_regs ? h->vcpus : 0;
    for (unsigned v = 0; v < nvcpus && !rc; v++) {
        if (!(rc = armvmi_get_regs(h, v, &regs)))
            rc = put_vcpu_notes(&notes, v, &regs);
    }
    if (!rc && h->carve_size) {
        struct elfcore_hyp hyp = {htole32(ELFCORE_HYP_VERSION), 0, htole64(h->carve_base),
                                  htole64(h->carve_size)};
        rc = put_note(&notes, ELFCORE_ARMVMI_NAME, NT_ARMVMI_HYP, &hyp, sizeof(hyp));
    }
    uint64_t ram_off[ARMVMI_MAX_RAM_RANGES];
    uint64_t off = sizeof(Elf64_Ehdr) + (1 + h->nregions) * sizeof(Elf64_Phdr) + notes.len;
    uint64_t total = 0;
    for (unsigned i = 0; i < h->nregions; i++) {
        ram_off[i] = off = align_up(off, DUMP_ALIGN);
        off += h->regions[i].size;
        total += h->regions[i].size;
    }

    size_t tlen = strlen(path) + sizeof(".tmp-XXXXXX");
    char *tmp = malloc(tlen);
    int fd = -1;
    if (!tmp) {
        free(notes.p);
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    }
    snprintf(tmp, tlen, "%s.tmp-XXXXXX", path);
    if (!rc) {
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
            rc = armvmi_fail(errno == ENOENT ? ARMVMI_ENOENT : ARMVMI_EIO,
                             "cannot create a file next to %s: %s.", path, strerror(errno));
    }
    if (!rc)
        rc = write_headers(h, fd, tmp, &notes, ram_off);
    if (!rc)
        rc = write_ram(h, fd, tmp, ram_off, total, progress, arg);
    if (!rc && fsync(fd) != 0)
        rc = armvmi_fail(ARMVMI_EIO, "cannot write %s to disk: %s.", tmp, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = armvmi_fail(ARMVMI_EIO, "cannot write %s: %s.", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = armvmi_fail(ARMVMI_EIO, "cannot rename %s to %s: %s.", tmp, path, strerror(errno));
    if (rc && fd >= 0)
        unlink(tmp);
    if (!rc)
        sync_dir(path);
    free(tmp);
    free(notes.p);
    return rc;
}

int armvmi_dump(armvmi_t *h, const char *path, armvmi_progress_fn progress, void *arg)
{
    if (!h || !path || !*path)
        return armvmi_fail(ARMVMI_EINVAL, "armvmi_dump: no handle or no output path given.");
    if (!(h->caps & ARMVMI_CAP_READ))
        return armvmi_fail(ARMVMI_ENOTSUP, "%s cannot be read, so it cannot be dumped.", h->target);
    if (h->nregions == 0)
        return armvmi_fail(ARMVMI_EINVAL, "%s has no RAM ranges to dump.", h->target);
    int rc = armvmi_pause(h);
    if (rc)
        return rc;
    rc = dump_paused(h, path, progress, arg);
    int rrc = armvmi_resume(h);
    return rc ? rc : rrc;
}
