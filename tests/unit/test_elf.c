/* SPDX-License-Identifier: MIT */
/* test_elf.c — the elf driver and armvmi_dump: round trips, QEMU's layout, corrupt dumps. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <armvmi/armvmi.h>

#include "elfgen.h"

static char dir[256];

static void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static int setup(void **state)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/armvmi-test-elf-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name), unlink(p);
    if (d)
        closedir(d);
    rmdir(dir);
    return 0;
}

/* Names in the test directory that start with prefix. */
static int count_files(const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

static uint64_t rng_state = 0x853c49e6748fea9bull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Compare n random ranges of a and b inside [base, base+size). */
static void compare_random(armvmi_t *a, armvmi_t *b, uint64_t base, uint64_t size, int n)
{
    uint8_t x[256], y[256];
    for (int i = 0; i < n; i++) {
        size_t len = 1 + rnd() % sizeof(x);
        if (len > size)
            len = (size_t)size;
        uint64_t pa = base + rnd() % (size - len + 1);
        memset(x, 0x11, sizeof(x));
        memset(y, 0x22, sizeof(y));
        assert_int_equal(armvmi_read_pa(a, pa, x, len), 0);
        assert_int_equal(armvmi_read_pa(b, pa, y, len), 0);
        assert_memory_equal(x, y, len);
    }
}

struct progress_log {
    int calls;
    uint64_t last_done, total;
    int cancel_at; /* cancel on this call (1-based), 0 = never */
    bool monotonic;
};

static int progress_cb(void *arg, uint64_t done, uint64_t total)
{
    struct progress_log *l = arg;
    l->calls++;
    if (done < l->last_done || done > total)
        l->monotonic = false;
    l->last_done = done;
    l->total = total;
    return l->cancel_at && l->calls >= l->cancel_at;
}

/* A raw image, dumped and reopened with the elf driver, reads back the same bytes. */
static void test_roundtrip_raw(void **state)
{
    char img[300], spec[320], out[300];
    size_t size = (9u << 20) + 123; /* several 4 MiB chunks and a ragged end */
    uint8_t *data = malloc(size);
    assert_non_null(data);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)rnd();
    path_in(img, sizeof(img), "ram.img");
    path_in(out, sizeof(out), "ram.elf");
    eg_write(img, data, size);
    snprintf(spec, sizeof(spec), "raw:%s@0x40000000", img);

    armvmi_t *raw, *elf;
    assert_int_equal(armvmi_open(&raw, spec), 0);
    struct progress_log log = {.monotonic = true};
    assert_int_equal(armvmi_dump(raw, out, progress_cb, &log), 0);
    assert_true(log.monotonic);
    assert_true(log.calls >= 4);
    assert_int_equal(log.last_done, size);
    assert_int_equal(log.total, size);
    assert_int_equal(count_files("ram.elf.tmp-"), 0);

    assert_int_equal(armvmi_open(&elf, out), 0);
    struct armvmi_info info;
    assert_int_equal(armvmi_get_info(elf, &info), 0);
    assert_string_equal(info.driver, "elf");
    assert_int_equal(info.caps, ARMVMI_CAP_READ | ARMVMI_CAP_MAP);
    assert_int_equal(info.vcpus, 0);
    assert_int_equal(info.nranges, 1);
    assert_int_equal(info.ranges[0].base, 0x40000000);
    assert_int_equal(info.ranges[0].size, size);
    compare_random(raw, elf, 0x40000000, size, 1000);
    const void *m = armvmi_map_pa(elf, 0x40000000, size);
    assert_non_null(m);
    assert_memory_equal(m, data, size);

    struct armvmi_regs regs;
    assert_true(armvmi_get_regs(elf, 0, &regs) < 0);
    uint8_t byte;
    assert_int_equal(armvmi_read_pa(elf, 0x40000000 + size, &byte, 1), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_read_pa(elf, 0x3fffffff, &byte, 1), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_write_pa(elf, 0x40000000, &byte, 1), -ARMVMI_ENOTSUP);
    bool paused = false;
    assert_int_equal(armvmi_is_paused(elf, &paused), 0);
    assert_true(paused);
    armvmi_close(elf);
    armvmi_close(raw);
    unlink(out);
    unlink(img);
    free(data);
}

static void check_eg_regs(armvmi_t *h, unsigned nvcpus, bool sysregs)
{
    for (unsigned v = 0; v < nvcpus; v++) {
        struct armvmi_regs r;
        assert_int_equal(armvmi_get_regs(h, v, &r), 0);
        for (int i = 0; i < ARMVMI_REG_COUNT; i++) {
            bool want = i <= ARMVMI_REG_PSTATE || (sysregs && elfcore_sysreg_id(i) != 0);
            assert_int_equal(armvmi_reg_valid(&r, i), want);
            if (want)
                assert_int_equal(r.regs[i], eg_reg(v, i));
        }
    }
    struct armvmi_regs r;
    assert_int_equal(armvmi_get_regs(h, nvcpus, &r), -ARMVMI_EINVAL);
}

static const struct eg_opts three_cpus = {
    .nvcpus = 3,
    .sysregs = true,
    .nsegs = 3,
    .segs = {{0x40000000, 0x3000, 0x3000},
             {0x80000000, 0x1000, 0x4000}, /* memsz > filesz: only 0x1000 readable */
             {0x10000, 0x801, 0x801}},
};

/* Registers survive open -> dump -> open; memory too; file holds QEMU's layout. */
static void test_roundtrip_regs(void **state)
{
    char in[300], out[300];
    struct eg_layout lay;
    uint8_t *b = eg_build(&three_cpus, &lay);
    path_in(in, sizeof(in), "cpus.elf");
    path_in(out, sizeof(out), "cpus2.elf");
    eg_write(in, b, lay.size);
    free(b);

    armvmi_t *h, *h2;
    assert_int_equal(armvmi_open(&h, in), 0);
    struct armvmi_info info;
    armvmi_get_info(h, &info);
    assert_int_equal(info.vcpus, 3);
    assert_int_equal(info.caps,
                     ARMVMI_CAP_READ | ARMVMI_CAP_MAP | ARMVMI_CAP_REGS | ARMVMI_CAP_SYSREGS);
    assert_int_equal(info.nranges, 3);
    assert_int_equal(info.ranges[0].base, 0x10000); /* sorted */
    assert_int_equal(info.ranges[2].base, 0x80000000);
    assert_int_equal(info.ranges[2].size, 0x1000);
    assert_int_equal(info.ram_bytes, 0x3000 + 0x1000 + 0x801);
    check_eg_regs(h, 3, true);
    uint8_t x[16];
    assert_int_equal(armvmi_read_pa(h, 0x80000ff8, x, 8), 0);
    assert_int_equal(x[7], eg_byte(0x80000fff));
    assert_int_equal(armvmi_read_pa(h, 0x80000ff8, x, 9), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_read_pa(h, 0x80002000, x, 1), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_read_pa(h, 0x10800, x, 1), 0);
    assert_int_equal(x[0], eg_byte(0x10800));

    assert_int_equal(armvmi_dump(h, out, NULL, NULL), 0);
    assert_int_equal(armvmi_open(&h2, out), 0);
    armvmi_get_info(h2, &info);
    assert_int_equal(info.vcpus, 3);
    assert_int_equal(info.nranges, 3);
    check_eg_regs(h2, 3, true);
    for (unsigned i = 0; i < info.nranges; i++)
        compare_random(h, h2, info.ranges[i].base, info.ranges[i].size, 300);

    /* QEMU's layout: PT_NOTE first, p_vaddr = p_paddr, pr_pid = vCPU + 1. */
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    Elf64_Ehdr eh;
    Elf64_Phdr ph[4];
    assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
    assert_int_equal(eh.e_type, ET_CORE);
    assert_int_equal(eh.e_machine, EM_AARCH64);
    assert_int_equal(eh.e_phnum, 4);
    assert_int_equal(fseek(f, (long)eh.e_phoff, SEEK_SET), 0);
    assert_int_equal(fread(ph, sizeof(ph[0]), 4, f), 4);
    assert_int_equal(ph[0].p_type, PT_NOTE);
    for (int i = 1; i < 4; i++) {
        assert_int_equal(ph[i].p_type, PT_LOAD);
        assert_int_equal(ph[i].p_vaddr, ph[i].p_paddr);
        assert_int_equal(ph[i].p_offset % 4096, 0);
    }
    uint8_t notes[4096];
    assert_true(ph[0].p_filesz <= sizeof(notes));
    assert_int_equal(fseek(f, (long)ph[0].p_offset, SEEK_SET), 0);
    assert_int_equal(fread(notes, 1, ph[0].p_filesz, f), ph[0].p_filesz);
    fclose(f);
    size_t off = 0;
    unsigned npr = 0, nav = 0;
    while (off < ph[0].p_filesz) {
        Elf64_Nhdr nh;
        memcpy(&nh, notes + off, sizeof(nh));
        const char *name = (const char *)notes + off + sizeof(nh);
        const uint8_t *desc = notes + off + sizeof(nh) + ((nh.n_namesz + 3) & ~3u);
        if (nh.n_type == NT_PRSTATUS) {
            assert_string_equal(name, "CORE");
            assert_int_equal(nh.n_descsz, ELFCORE_PRSTATUS_SIZE);
            uint32_t pid;
            memcpy(&pid, desc + ELFCORE_PRSTATUS_PID_OFF, 4);
            assert_int_equal(pid, npr + 1);
            npr++;
        } else {
            assert_int_equal(nh.n_type, NT_ARMVMI_SYSREGS);
            assert_string_equal(name, "ARMVMI");
            nav++;
        }
        off += eg_note_size(nh.n_namesz, nh.n_descsz);
    }
    assert_int_equal(npr, 3);
    assert_int_equal(nav, 3);
    armvmi_close(h2);
    armvmi_close(h);
    unlink(in);
    unlink(out);
}

/* Contiguous segments merge into one range; unknown register IDs and note versions are skipped. */
static void test_merge_and_future_notes(void **state)
{
    struct eg_opts o = {.nvcpus = 2,
                        .sysregs = true,
                        .nsegs = 2,
                        .segs = {{0x40000000, 0x1000, 0x1000}, {0x40001000, 0x2000, 0x2000}}};
    struct eg_layout lay;
    uint8_t *b = eg_build(&o, &lay);
    /* vCPU 0: first entry gets an ID nobody knows; vCPU 1: a future version of the note */
    uint8_t *d0 = b + lay.armvmi_off[0] + sizeof(Elf64_Nhdr) + 8;
    uint8_t *d1 = b + lay.armvmi_off[1] + sizeof(Elf64_Nhdr) + 8;
    uint32_t unknown = 0x7fff, v2 = 2;
    memcpy(d0 + sizeof(struct elfcore_armvmi_hdr), &unknown, 4);
    memcpy(d1, &v2, 4);
    char p[300];
    path_in(p, sizeof(p), "merge.elf");
    eg_write(p, b, lay.size);
    free(b);
    armvmi_t *h;
    assert_int_equal(armvmi_open(&h, p), 0);
    struct armvmi_info info;
    armvmi_get_info(h, &info);
    assert_int_equal(info.nranges, 1);
    assert_int_equal(info.ranges[0].size, 0x3000);
    uint8_t x[2];
    assert_int_equal(armvmi_read_pa(h, 0x40000fff, x, 2), 0);
    assert_int_equal(x[1], eg_byte(0x40001000));
    struct armvmi_regs r;
    assert_int_equal(armvmi_get_regs(h, 0, &r), 0);
    assert_false(armvmi_reg_valid(&r, ARMVMI_REG_SP_EL0)); /* the entry we overwrote */
    assert_true(armvmi_reg_valid(&r, ARMVMI_REG_TTBR1_EL1));
    assert_int_equal(r.regs[ARMVMI_REG_TTBR1_EL1], eg_reg(0, ARMVMI_REG_TTBR1_EL1));
    assert_int_equal(armvmi_get_regs(h, 1, &r), 0);
    assert_false(armvmi_reg_valid(&r, ARMVMI_REG_TTBR1_EL1));
    assert_int_equal(r.regs[ARMVMI_REG_PC], eg_reg(1, ARMVMI_REG_PC));
    armvmi_close(h);
    unlink(p);
}

/* QEMU 7.2's section headers are harmless; PN_XNUM moves the count to section 0. */
static void test_sections_and_xnum(void **state)
{
    for (int xnum = 0; xnum < 2; xnum++) {
        struct eg_layout lay;
        uint8_t *b = eg_build(&three_cpus, &lay);
        b = eg_add_sections(b, &lay, xnum);
        char p[300];
        path_in(p, sizeof(p), "sections.elf");
        eg_write(p, b, lay.size);
        armvmi_t *h;
        assert_int_equal(armvmi_open(&h, p), 0);
        struct armvmi_info info;
        armvmi_get_info(h, &info);
        assert_int_equal(info.nranges, 3);
        check_eg_regs(h, 3, true);
        armvmi_close(h);
        if (xnum) { /* and a count in sh_info that the file cannot hold */
            Elf64_Shdr *sh0 = (Elf64_Shdr *)(b + ((Elf64_Ehdr *)b)->e_shoff);
            sh0->sh_info = 0x7fffffff;
            eg_write(p, b, lay.size);
            assert_int_equal(armvmi_open(&h, p), -ARMVMI_EFORMAT);
            assert_non_null(strstr(armvmi_errmsg(), "2147483647 program headers"));
        }
        free(b);
        unlink(p);
    }
}

/* ---- corrupt dumps ---- */

typedef void (*corrupt_fn)(uint8_t *b, size_t *len, const struct eg_layout *lay);

static Elf64_Ehdr *ehdr(uint8_t *b)
{
    return (Elf64_Ehdr *)b;
}

static Elf64_Phdr *phdr(uint8_t *b, int i)
{
    return (Elf64_Phdr *)(b + sizeof(Elf64_Ehdr)) + i;
}

static Elf64_Nhdr *note_at(uint8_t *b, size_t off)
{
    return (Elf64_Nhdr *)(b + off);
}

static void c_empty(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    *len = 0;
}
static void c_trunc_hdr(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    *len = 40;
}
static void c_trunc_ident(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    *len = 10;
}
static void c_trunc_seg(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    *len = l->seg_off[0] + 100;
}
static void c_trunc_phdrs(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    *len = 100;
}
static void c_phnum_huge(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    ehdr(b)->e_phnum = 0xfff0;
}
static void c_phnum_zero(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    ehdr(b)->e_phnum = 0;
}
static void c_phoff_huge(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    ehdr(b)->e_phoff = ~0ull - 8;
}
static void c_phentsize(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    ehdr(b)->e_phentsize = 32;
}
static void c_offset_past_eof(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 1)->p_offset = l->size + 4096;
}
static void c_offset_wrap(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 1)->p_offset = ~0ull - 10;
}
static void c_filesz_past_eof(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 1)->p_filesz = phdr(b, 1)->p_memsz = 1ull << 40;
}
static void c_overlap(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 2)->p_paddr = 0x40002000; /* inside segment 1's 0x3000 bytes */
}
static void c_overlap_memsz(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 3)->p_paddr = 0x80003000; /* inside segment 2's memsz, past its filesz */
}
static void c_memsz_small(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 1)->p_memsz = 0x10;
}
static void c_paddr_wrap(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 1)->p_paddr = ~0ull - 0x100;
}
static void c_machine(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    ehdr(b)->e_machine = EM_X86_64;
}
static void c_type(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    ehdr(b)->e_type = ET_EXEC;
}
static void c_elf32(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    b[EI_CLASS] = ELFCLASS32;
}
static void c_bigendian(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    b[EI_DATA] = ELFDATA2MSB;
}
static void c_magic(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    memcpy(b, "hello world, not an ELF file at all", 35);
}
static void c_note_descsz(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    note_at(b, l->prstatus_off[1])->n_descsz = 0x7fffffff;
}
static void c_note_namesz(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    note_at(b, l->prstatus_off[0])->n_namesz = 0xfffffff0;
}
static void c_note_seg_past_eof(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 0)->p_filesz = l->size;
}
static void c_note_seg_cut(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    phdr(b, 0)->p_filesz = l->prstatus_off[0] - l->notes_off + 20; /* cuts note 0 */
}
static void c_prstatus_short(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    note_at(b, l->prstatus_off[0])->n_descsz = 200; /* following notes misparse too */
}
static void c_armvmi_count(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    uint32_t big = 0x10000000;
    memcpy(b + l->armvmi_off[0] + sizeof(Elf64_Nhdr) + 8 + 8, &big, 4);
}
static void c_armvmi_esize(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    uint32_t small = 4;
    memcpy(b + l->armvmi_off[0] + sizeof(Elf64_Nhdr) + 8 + 12, &small, 4);
}
static void c_armvmi_vcpu(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    uint32_t vcpu = 7;
    memcpy(b + l->armvmi_off[2] + sizeof(Elf64_Nhdr) + 8 + 4, &vcpu, 4);
}
static void c_armvmi_dup(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    uint32_t vcpu = 0;
    memcpy(b + l->armvmi_off[2] + sizeof(Elf64_Nhdr) + 8 + 4, &vcpu, 4);
}
static void c_no_memory(uint8_t *b, size_t *len, const struct eg_layout *l)
{
    for (int i = 1; i < 4; i++)
        phdr(b, i)->p_type = PT_NULL;
}

struct corrupt_case {
    const char *name;
    corrupt_fn fn;
    const char *expect; /* substring of the message */
};

static const struct corrupt_case cases[] = {
    {"empty file", c_empty, "empty"},
    {"truncated header", c_trunc_hdr, "truncated"},
    {"truncated ident", c_trunc_ident, "truncated"},
    {"truncated segment", c_trunc_seg, "past the end of the file"},
    {"truncated program headers", c_trunc_phdrs, "past the end of the file"},
    {"phnum huge", c_phnum_huge, "program headers"},
    {"phnum zero", c_phnum_zero, "no program headers"},
    {"phoff huge", c_phoff_huge, "program headers"},
    {"phentsize", c_phentsize, "program headers are 32 bytes"},
    {"p_offset past EOF", c_offset_past_eof, "past the end of the file"},
    {"p_offset wraps", c_offset_wrap, "past the end of the file"},
    {"p_filesz past EOF", c_filesz_past_eof, "past the end of the file"},
    {"overlapping segments", c_overlap, "overlap"},
    {"overlap in memsz", c_overlap_memsz, "overlap"},
    {"memsz < filesz", c_memsz_small, "more bytes in the file"},
    {"paddr wraps", c_paddr_wrap, "end of the physical address space"},
    {"wrong machine", c_machine, "not AArch64"},
    {"wrong type", c_type, "not a core dump"},
    {"ELF32", c_elf32, "32-bit"},
    {"big-endian", c_bigendian, "little-endian"},
    {"not ELF", c_magic, "not an ELF file"},
    {"note descsz huge", c_note_descsz, "bad size"},
    {"note namesz huge", c_note_namesz, "bad size"},
    {"note segment past EOF", c_note_seg_past_eof, "past the end of the file"},
    {"note segment cuts a note", c_note_seg_cut, "bad size"},
    {"prstatus too short", c_prstatus_short, "NT_PRSTATUS note 0 is 200 bytes"},
    {"ARMVMI count huge", c_armvmi_count, "claims"},
    {"ARMVMI entry size", c_armvmi_esize, "claims"},
    {"ARMVMI vCPU out of range", c_armvmi_vcpu, "for vCPU 7"},
    {"ARMVMI vCPU twice", c_armvmi_dup, "two ARMVMI notes"},
    {"no memory", c_no_memory, "no guest memory"},
};

static void test_corrupt(void **state)
{
    char p[300];
    path_in(p, sizeof(p), "bad.elf");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct eg_layout lay;
        uint8_t *b = eg_build(&three_cpus, &lay);
        size_t len = lay.size;
        cases[i].fn(b, &len, &lay);
        eg_write(p, b, len);
        free(b);
        armvmi_t *h = (armvmi_t *)0x1;
        int rc = armvmi_open(&h, p);
        const char *msg = armvmi_errmsg();
        print_message("# %-28s -> %s\n", cases[i].name, msg);
        if (rc != -ARMVMI_EFORMAT || !strstr(msg, cases[i].expect) || !strstr(msg, p))
            fail_msg("%s: rc %d, message \"%s\" (wanted \"%s\")", cases[i].name, rc, msg,
                     cases[i].expect);
        assert_null(h);
    }
    unlink(p);
}

static void test_open_missing(void **state)
{
    char p[300];
    armvmi_t *h;
    path_in(p, sizeof(p), "missing.elf");
    assert_int_equal(armvmi_open(&h, p), -ARMVMI_ENOENT);
}

/* ---- armvmi_dump failure paths ---- */

static armvmi_t *open_small_raw(const char *name, size_t size)
{
    char img[300], spec[320];
    path_in(img, sizeof(img), name);
    uint8_t *d = calloc(1, size);
    eg_write(img, d, size);
    free(d);
    snprintf(spec, sizeof(spec), "raw:%s@0x40000000", img);
    armvmi_t *h;
    assert_int_equal(armvmi_open(&h, spec), 0);
    return h;
}

static void test_cancel(void **state)
{
    armvmi_t *h = open_small_raw("cancel.img", 10u << 20);
    char out[300];
    path_in(out, sizeof(out), "cancel.elf");
    for (int at = 1; at <= 3; at++) {
        struct progress_log log = {.cancel_at = at, .monotonic = true};
        assert_int_equal(armvmi_dump(h, out, progress_cb, &log), -ARMVMI_EINTR);
        assert_int_equal(log.calls, at);
        assert_int_equal(count_files("cancel.elf"), 0); /* neither final nor temporary */
    }
    /* the pause taken by the dump was released */
    assert_int_equal(armvmi_resume(h), -ARMVMI_ESTATE);
    armvmi_close(h);
    path_in(out, sizeof(out), "cancel.img");
    unlink(out);
}

/* The ARMVMI hypervisor note: the carve-out is reported, survives a dump of the dump, and a
 * note that is short or puts the carve-out outside RAM makes the dump invalid; a later
 * version is skipped. */
static void test_hyp_note(void **state)
{
    (void)state;
    char in[300], out[300];
    struct eg_opts o = {.nvcpus = 1,
                        .nsegs = 1,
                        .segs = {{0x40000000, 0x40000, 0x40000}},
                        .hyp = true,
                        .hyp_version = ELFCORE_HYP_VERSION,
                        .carve_base = 0x40000000,
                        .carve_size = 0x12000};
    struct eg_layout lay;
    uint8_t *b = eg_build(&o, &lay);
    path_in(in, sizeof(in), "hyp.elf");
    path_in(out, sizeof(out), "hyp2.elf");
    eg_write(in, b, lay.size);
    free(b);
    armvmi_t *h, *h2;
    struct armvmi_info info;
    assert_int_equal(armvmi_open(&h, in), 0);
    armvmi_get_info(h, &info);
    assert_int_equal(info.hyp_carve_base, 0x40000000);
    assert_int_equal(info.hyp_carve_size, 0x12000);
    assert_int_equal(armvmi_dump(h, out, NULL, NULL), 0);
    armvmi_close(h);
    assert_int_equal(armvmi_open(&h2, out), 0);
    armvmi_get_info(h2, &info);
    assert_int_equal(info.hyp_carve_base, 0x40000000);
    assert_int_equal(info.hyp_carve_size, 0x12000);
    armvmi_close(h2);

    static const struct {
        uint32_t version, size;
        uint64_t base, len;
        const char *expect; /* NULL: opens, with no carve-out */
    } cases[] = {
        {ELFCORE_HYP_VERSION, 16, 0x40000000, 0x1000, "shorter than its"},
        {ELFCORE_HYP_VERSION, 0, 0x3ffff000, 0x2000, "not inside the dump's RAM"},
        {ELFCORE_HYP_VERSION, 0, 0x40030000, 0x20000, "not inside the dump's RAM"},
        {ELFCORE_HYP_VERSION, 0, 0xffffffffffff0000ull, 0x20000, "not inside the dump's RAM"},
        {2, 0, 0x10, 0x10, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        o.hyp_version = cases[i].version;
        o.hyp_size = cases[i].size;
        o.carve_base = cases[i].base;
        o.carve_size = cases[i].len;
        b = eg_build(&o, &lay);
        eg_write(in, b, lay.size);
        free(b);
        int rc = armvmi_open(&h, in);
        if (!cases[i].expect) {
            assert_int_equal(rc, 0);
            armvmi_get_info(h, &info);
            assert_int_equal(info.hyp_carve_size, 0);
            armvmi_close(h);
            continue;
        }
        if (rc != -ARMVMI_EFORMAT || !strstr(armvmi_errmsg(), cases[i].expect))
            fail_msg("case %zu: rc %d, message: %s", i, rc, armvmi_errmsg());
    }
}

static void test_dump_errors(void **state)
{
    armvmi_t *h = open_small_raw("err.img", 8192);
    char out[300];
    path_in(out, sizeof(out), "no-such-dir/x.elf");
    assert_int_equal(armvmi_dump(h, out, NULL, NULL), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "no-such-dir"));
    path_in(out, sizeof(out), "adir");
    assert_int_equal(mkdir(out, 0700), 0);
    assert_int_equal(armvmi_dump(h, out, NULL, NULL), -ARMVMI_EIO); /* rename onto a dir */
    assert_int_equal(count_files("adir.tmp-"), 0);
    rmdir(out);
    assert_int_equal(armvmi_dump(h, "", NULL, NULL), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_dump(NULL, "x", NULL, NULL), -ARMVMI_EINVAL);
    /* an existing file is replaced whole */
    path_in(out, sizeof(out), "replace.elf");
    eg_write(out, "old", 3);
    assert_int_equal(armvmi_dump(h, out, NULL, NULL), 0);
    armvmi_t *e;
    assert_int_equal(armvmi_open(&e, out), 0);
    /* a dump may be rewritten onto its own path: the open mapping keeps the old file alive */
    assert_int_equal(armvmi_dump(e, out, NULL, NULL), 0);
    uint8_t x[8192];
    assert_int_equal(armvmi_read_pa(e, 0x40000000, x, sizeof(x)), 0);
    armvmi_close(e);
    assert_int_equal(armvmi_open(&e, out), 0);
    assert_int_equal(armvmi_read_pa(e, 0x40000000, x, sizeof(x)), 0);
    armvmi_close(e);
    unlink(out);
    armvmi_close(h);
    path_in(out, sizeof(out), "err.img");
    unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_raw),
        cmocka_unit_test(test_roundtrip_regs),
        cmocka_unit_test(test_merge_and_future_notes),
        cmocka_unit_test(test_sections_and_xnum),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_open_missing),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_dump_errors),
        cmocka_unit_test(test_hyp_note),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
