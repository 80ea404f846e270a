/* SPDX-License-Identifier: MIT */
/*
 * test_linux_btf.c — BTF built here with libbpf's writer, found in synthetic memory (a buffer,
 * a raw image) and queried: sizes, member paths through anonymous unions, bitfields, typedefs;
 * garbage, truncated and hostile BTF give clear errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include <armvmi/types.h>

#define RAM_BASE 0x40000000ull

/* A small "kernel" BTF (offsets in the comments):
 * struct task_struct {                     size 128
 *     int __state;                         0
 *     union {                              8
 *         struct list_head rcu_node;       8
 *         struct { pid_t pid; int tgid; }; 8, 12
 *     };
 *     unsigned int in_execve:1;            bit 192 (byte 24)
 *     unsigned int in_iowait:3;            bit 193
 *     char comm[16];                       32
 *     struct mm_struct *mm;                48
 *     struct list_head tasks;              56
 *     struct sig { int x; struct list_head pids; } sig;  72 (pids: 80)
 * };
 * typedef struct task_struct task_t; struct mm_struct { struct maple_tree mm_mt; pgd_t *pgd@56 }
 */
static void *make_btf(bool with_task, size_t *len)
{
    struct btf *b = btf__new_empty();
    assert_non_null(b);
    int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    int u32 = btf__add_int(b, "unsigned int", 4, 0);
    int ch = btf__add_int(b, "char", 1, BTF_INT_CHAR);
    int u64 = btf__add_int(b, "long unsigned int", 8, 0);
    int pid_t_ = btf__add_typedef(b, "pid_t", i32);
    int fwd = btf__add_fwd(b, "list_head", BTF_FWD_STRUCT);
    int lhp = btf__add_ptr(b, fwd);
    int lh = btf__add_struct(b, "list_head", 16);
    assert_int_equal(btf__add_field(b, "next", lhp, 0, 0), 0);
    assert_int_equal(btf__add_field(b, "prev", lhp, 64, 0), 0);
    int comm = btf__add_array(b, u32, ch, 16);
    int mt = btf__add_struct(b, "maple_tree", 16);
    assert_int_equal(btf__add_field(b, "ma_root", u64, 0, 0), 0);
    int pgd_t_ = btf__add_typedef(b, "pgd_t", u64);
    int pgdp = btf__add_ptr(b, pgd_t_);
    int mm = btf__add_struct(b, "mm_struct", 64);
    assert_int_equal(btf__add_field(b, "mm_mt", mt, 0, 0), 0);
    assert_int_equal(btf__add_field(b, "pgd", pgdp, 448, 0), 0);
    int mmp = btf__add_ptr(b, mm);
    int anon_s = btf__add_struct(b, NULL, 8);
    assert_int_equal(btf__add_field(b, "pid", pid_t_, 0, 0), 0);
    assert_int_equal(btf__add_field(b, "tgid", i32, 32, 0), 0);
    int anon_u = btf__add_union(b, NULL, 16);
    assert_int_equal(btf__add_field(b, "rcu_node", lh, 0, 0), 0);
    assert_int_equal(btf__add_field(b, NULL, anon_s, 0, 0), 0);
    int sig = btf__add_struct(b, "sig", 24);
    assert_int_equal(btf__add_field(b, "x", i32, 0, 0), 0);
    assert_int_equal(btf__add_field(b, "pids", lh, 64, 0), 0);
    int task = btf__add_struct(b, with_task ? "task_struct" : "module", 128);
    assert_int_equal(btf__add_field(b, "__state", i32, 0, 0), 0);
    assert_int_equal(btf__add_field(b, NULL, anon_u, 64, 0), 0);
    assert_int_equal(btf__add_field(b, "in_execve", u32, 192, 1), 0);
    assert_int_equal(btf__add_field(b, "in_iowait", u32, 193, 3), 0);
    assert_int_equal(btf__add_field(b, "comm", comm, 256, 0), 0);
    assert_int_equal(btf__add_field(b, "mm", mmp, 384, 0), 0);
    assert_int_equal(btf__add_field(b, "tasks", lh, 448, 0), 0);
    assert_int_equal(btf__add_field(b, "sig", sig, 576, 0), 0);
    assert_true(btf__add_typedef(b, "task_t", task) > 0);
    uint32_t n;
    const void *raw = btf__raw_data(b, &n);
    assert_non_null(raw);
    void *copy = malloc(n);
    memcpy(copy, raw, n);
    *len = n;
    btf__free(b);
    return copy;
}

static armvmi_types_t *open_test(void)
{
    size_t len;
    void *raw = make_btf(true, &len);
    armvmi_types_t *t;
    assert_int_equal(armvmi_types_from_btf(raw, len, &t), 0);
    free(raw);
    return t;
}

static void sizes_and_names(void **state)
{
    armvmi_types_t *t = open_test();
    uint64_t s;
    assert_int_equal(armvmi_types_size(t, "task_struct", &s), 0);
    assert_int_equal(s, 128);
    assert_int_equal(armvmi_types_size(t, "struct task_struct", &s), 0);
    assert_int_equal(s, 128);
    assert_int_equal(armvmi_types_size(t, "task_t", &s), 0); /* a typedef, resolved */
    assert_int_equal(s, 128);
    assert_int_equal(armvmi_types_size(t, "pid_t", &s), 0);
    assert_int_equal(s, 4);
    assert_int_equal(armvmi_types_size(t, "list_head", &s), 0); /* the definition, not the fwd */
    assert_int_equal(s, 16);
    assert_int_equal(armvmi_types_size(t, "union task_struct", &s), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "union task_struct"));
    assert_int_equal(armvmi_types_size(t, "nosuch", &s), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "no type named 'nosuch'"));
    struct armvmi_types_info in;
    assert_int_equal(armvmi_types_info(t, &in), 0);
    assert_false(in.in_memory);
    assert_int_equal(in.ntypes, 19);
    uint32_t id;
    char name[64];
    assert_int_equal(armvmi_types_find(t, "mm_struct", &id), 0);
    assert_int_equal(armvmi_types_name_of(t, id, name, sizeof(name)), 0);
    assert_string_equal(name, "struct mm_struct");
    armvmi_types_close(t);
}

static void member_paths(void **state)
{
    armvmi_types_t *t = open_test();
    struct armvmi_member m;
    /* through an anonymous union and an anonymous struct inside it */
    assert_int_equal(armvmi_types_member(t, "task_struct.pid", &m), 0);
    assert_int_equal(m.offset, 8);
    assert_int_equal(m.size, 4);
    assert_string_equal(m.type, "pid_t");
    assert_int_equal(m.kind, ARMVMI_TYPE_INT);
    assert_int_equal(m.bit_size, 0);
    assert_int_equal(armvmi_types_member(t, "task_struct.tgid", &m), 0);
    assert_int_equal(m.offset, 12);
    assert_int_equal(armvmi_types_member(t, "task_struct.rcu_node", &m), 0);
    assert_int_equal(m.offset, 8);
    /* bitfields */
    assert_int_equal(armvmi_types_member(t, "task_struct.in_execve", &m), 0);
    assert_int_equal(m.bit_offset, 192);
    assert_int_equal(m.bit_size, 1);
    assert_int_equal(m.offset, 24);
    assert_int_equal(armvmi_types_member(t, "task_struct.in_iowait", &m), 0);
    assert_int_equal(m.bit_offset, 193);
    assert_int_equal(m.bit_size, 3);
    assert_int_equal(m.size, 4);
    /* arrays, pointers, nested structs, a typedef'd start */
    assert_int_equal(armvmi_types_member(t, "task_struct.comm", &m), 0);
    assert_int_equal(m.offset, 32);
    assert_int_equal(m.size, 16);
    assert_int_equal(m.kind, ARMVMI_TYPE_ARRAY);
    assert_int_equal(m.nelems, 16);
    assert_string_equal(m.type, "char[16]");
    assert_int_equal(armvmi_types_member(t, "task_struct.mm", &m), 0);
    assert_int_equal(m.offset, 48);
    assert_int_equal(m.kind, ARMVMI_TYPE_PTR);
    assert_string_equal(m.type, "struct mm_struct *");
    assert_int_equal(armvmi_types_member(t, "task_t.sig.pids", &m), 0);
    assert_int_equal(m.offset, 80);
    assert_string_equal(m.type, "struct list_head");
    assert_int_equal(armvmi_types_member(t, "task_struct.sig.pids.prev", &m), 0);
    assert_int_equal(m.offset, 88);
    assert_string_equal(m.type, "struct list_head *");
    assert_int_equal(armvmi_types_member(t, "mm_struct.pgd", &m), 0);
    assert_int_equal(m.offset, 56);
    assert_string_equal(m.type, "pgd_t *");
    assert_int_equal(armvmi_types_member(t, "mm_struct.mm_mt", &m), 0);
    assert_int_equal(m.offset, 0);
    assert_int_equal(m.size, 16);
    uint64_t off;
    assert_int_equal(armvmi_types_offset(t, "task_struct.tasks", &off), 0);
    assert_int_equal(off, 56);
    assert_int_equal(armvmi_types_offset(t, "task_struct.in_iowait", &off), -ARMVMI_EINVAL);
    assert_non_null(strstr(armvmi_errmsg(), "bitfield"));
    /* errors, each with a message that names the problem */
    assert_int_equal(armvmi_types_member(t, "task_struct.nosuch", &m), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "no member 'nosuch'"));
    assert_int_equal(armvmi_types_member(t, "task_struct.mm.pgd", &m), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "pointer"));
    assert_int_equal(armvmi_types_member(t, "task_struct.pid.x", &m), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "task_struct.pid is an integer"));
    assert_int_equal(armvmi_types_member(t, "task_struct..pid", &m), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_types_member(t, "task_struct.", &m), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_types_member(t, "", &m), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_types_member(t, ".pid", &m), -ARMVMI_EINVAL);
    assert_int_equal(armvmi_types_member(t, "nosuch.pid", &m), -ARMVMI_ENOENT);
    assert_int_equal(armvmi_types_member(NULL, "task_struct", &m), -ARMVMI_EINVAL);
    armvmi_types_close(t);
}

struct seen {
    char names[32][32];
    unsigned depth[32];
    unsigned n;
};

static int collect(void *arg, const struct armvmi_member *m)
{
    struct seen *s = arg;
    if (s->n < 32) {
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s@%llu", m->name[0] ? m->name : "-",
                 (unsigned long long)m->offset);
        s->depth[s->n] = m->depth;
    }
    s->n++;
    return 0;
}

static void foreach_members(void **state)
{
    armvmi_types_t *t = open_test();
    struct seen s = {0};
    assert_int_equal(armvmi_types_foreach_member(t, "task_struct", collect, &s), 0);
    static const char *const want[] = {"__state@0", "-@8",     "rcu_node@8",   "-@8",
                                       "pid@8",     "tgid@12", "in_execve@24", "in_iowait@24",
                                       "comm@32",   "mm@48",   "tasks@56",     "sig@72"};
    static const unsigned wdepth[] = {0, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0};
    assert_int_equal(s.n, 12);
    for (unsigned i = 0; i < 12; i++) {
        assert_string_equal(s.names[i], want[i]);
        assert_int_equal(s.depth[i], wdepth[i]);
    }
    /* a member path of struct type lists that struct, offsets from the outermost type */
    memset(&s, 0, sizeof(s));
    assert_int_equal(armvmi_types_foreach_member(t, "task_struct.sig", collect, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[1], "pids@80");
    assert_int_equal(armvmi_types_foreach_member(t, "pid_t", collect, &s), -ARMVMI_EINVAL);
    assert_non_null(strstr(armvmi_errmsg(), "not a struct or union"));
    armvmi_types_close(t);
}

static void put(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* Memory: noise, a fake magic, a BTF without task_struct, then the kernel's BTF at off. */
static uint8_t *make_memory(size_t size, size_t off, size_t *btf_len)
{
    uint8_t *m = malloc(size);
    assert_non_null(m);
    uint64_t x = 0x1234567;
    for (size_t i = 0; i < size; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        m[i] = (uint8_t)(x >> 56);
    }
    memcpy(m + 100, "\x9f\xeb\x01\x00", 4); /* a magic with a garbage header */
    size_t dl;
    void *decoy = make_btf(false, &dl);
    memcpy(m + 4096, decoy, dl);
    free(decoy);
    void *real = make_btf(true, btf_len);
    memcpy(m + off, real, *btf_len);
    free(real);
    return m;
}

static void find_in_buffer(void **state)
{
    size_t len, off;
    uint8_t *m = make_memory(1 << 20, 300003, &len);
    armvmi_types_t *t;
    assert_int_equal(armvmi_types_find_btf(m, 1 << 20, &t, &off), 0);
    assert_int_equal(off, 300003);
    struct armvmi_types_info in;
    armvmi_types_info(t, &in);
    assert_int_equal(in.size, len);
    assert_true(in.candidates >= 2); /* the decoy was parsed and rejected */
    const void *raw;
    size_t rl;
    assert_int_equal(armvmi_types_raw(t, &raw, &rl), 0);
    assert_int_equal(rl, len);
    assert_memory_equal(raw, m + off, len);
    armvmi_types_close(t);
    /* cut before its end: not found, with a reason */
    assert_int_equal(armvmi_types_find_btf(m, 300003 + len - 1, &t, &off), -ARMVMI_ENOENT);
    assert_null(t);
    assert_non_null(strstr(armvmi_errmsg(), "no kernel BTF"));
    assert_non_null(strstr(armvmi_errmsg(), "without struct task_struct"));
    free(m);
}

static char *write_image(const uint8_t *m, size_t size)
{
    static char path[] = "/tmp/armvmi-btf-test.XXXXXX";
    strcpy(path, "/tmp/armvmi-btf-test.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, m, size), (ssize_t)size);
    close(fd);
    return path;
}

static void find_in_raw_image(void **state)
{
    /* _stext at +64 KiB; the BTF straddles the scanner's 4 MiB chunk boundary */
    const size_t size = 8 << 20, stext = 0x10000, off = stext + (4 << 20) - 10;
    size_t len;
    uint8_t *m = make_memory(size, off, &len);
    char *path = write_image(m, size);
    char spec[128];
    snprintf(spec, sizeof(spec), "raw:%s@0x%llx", path, RAM_BASE);
    armvmi_t *h;
    assert_int_equal(armvmi_open(&h, spec), 0);
    struct armvmi_linux_kernel k;
    memset(&k, 0, sizeof(k));
    k.stext_pa = (struct armvmi_linux_fact){RAM_BASE + stext, true, "test"};
    k.kimage_voffset = (struct armvmi_linux_fact){0xffff7fffc0000000ull, true, "test"};
    armvmi_types_t *t;
    assert_int_equal(armvmi_linux_btf_find(h, &k, &t), 0);
    struct armvmi_types_info in;
    armvmi_types_info(t, &in);
    assert_true(in.in_memory);
    assert_int_equal(in.pa, RAM_BASE + off);
    assert_int_equal(in.va, RAM_BASE + off + 0xffff7fffc0000000ull);
    assert_int_equal(in.scan_pa, RAM_BASE + stext);
    struct armvmi_member mem;
    assert_int_equal(armvmi_types_member(t, "task_struct.tasks", &mem), 0);
    assert_int_equal(mem.offset, 56);
    armvmi_types_close(t);
    /* swapper_pg_dir follows the read-only data: the scan ends there first */
    k.swapper_pg_dir_pa = (struct armvmi_linux_fact){RAM_BASE + off + (1 << 20), true, "test"};
    assert_int_equal(armvmi_linux_btf_find(h, &k, &t), 0);
    armvmi_types_info(t, &in);
    assert_int_equal(in.pa, RAM_BASE + off);
    assert_int_equal(in.scan_len, off + (1 << 20) - stext);
    assert_non_null(strstr(in.scan_source, "_stext to swapper_pg_dir"));
    armvmi_types_close(t);
    /* VMCOREINFO's kallsyms_names (in .rodata, before .BTF): the scan starts there */
    k.vmcoreinfo.present |= 1u << ARMVMI_VMCI_SYM_KALLSYMS_NAMES;
    k.vmcoreinfo.val[ARMVMI_VMCI_SYM_KALLSYMS_NAMES] =
        RAM_BASE + off - 4096 + k.kimage_voffset.value;
    assert_int_equal(armvmi_linux_btf_find(h, &k, &t), 0);
    armvmi_types_info(t, &in);
    assert_int_equal(in.pa, RAM_BASE + off);
    assert_int_equal(in.scan_pa, RAM_BASE + off - 4096);
    assert_int_equal(in.scan_len, (1 << 20) + 4096);
    assert_non_null(strstr(in.scan_source, "kallsyms_names to swapper_pg_dir"));
    armvmi_types_close(t);
    /* a kallsyms_names after the BTF: the text before it is scanned next, from _stext */
    k.vmcoreinfo.val[ARMVMI_VMCI_SYM_KALLSYMS_NAMES] += 8192;
    assert_int_equal(armvmi_linux_btf_find(h, &k, &t), 0);
    armvmi_types_info(t, &in);
    assert_int_equal(in.pa, RAM_BASE + off);
    assert_int_equal(in.scan_pa, RAM_BASE + stext);
    assert_non_null(strstr(in.scan_source, "_stext to swapper_pg_dir"));
    armvmi_types_close(t);
    k.vmcoreinfo.present = 0;
    /* a BTF beyond it is still found, and says where */
    k.swapper_pg_dir_pa.value = RAM_BASE + stext + 4096;
    assert_int_equal(armvmi_linux_btf_find(h, &k, &t), 0);
    armvmi_types_info(t, &in);
    assert_int_equal(in.pa, RAM_BASE + off);
    assert_non_null(strstr(in.scan_source, "not in its read-only data"));
    armvmi_types_close(t);
    k.swapper_pg_dir_pa.known = false;
    /* without _stext: all RAM */
    k.stext_pa.known = false;
    assert_int_equal(armvmi_linux_btf_find(h, &k, &t), 0);
    armvmi_types_info(t, &in);
    assert_int_equal(in.pa, RAM_BASE + off);
    assert_non_null(strstr(in.scan_source, "all guest RAM"));
    armvmi_types_close(t);
    armvmi_close(h);
    /* the BTF destroyed: a clear error */
    memset(m + off, 0, 4);
    unlink(path);
    path = write_image(m, size);
    snprintf(spec, sizeof(spec), "raw:%s@0x%llx", path, RAM_BASE);
    assert_int_equal(armvmi_open(&h, spec), 0);
    k.stext_pa.known = true;
    assert_int_equal(armvmi_linux_btf_find(h, &k, &t), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "CONFIG_DEBUG_INFO_BTF"));
    armvmi_close(h);
    unlink(path);
    free(m);
}

static void bad_headers(void **state)
{
    size_t len, sz;
    uint8_t *b = make_btf(true, &len);
    assert_int_equal(armvmi_btf_check_header(b, len, &sz), 0);
    assert_int_equal(sz, len);
    uint8_t *c = malloc(len);
    struct {
        size_t at;
        uint32_t v;
        const char *why;
    } cases[] = {
        {0, 0x0001eb9f ^ 1, "magic"},    {4, 1000, "header length"}, {8, 2, "misaligned"},
        {12, 0x7fffffff, "overlapping"}, {20, 0, "empty string"},    {20, 0x10000000, "64 MiB"},
        {20, (uint32_t)len, "run past"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(c, b, len);
        put(c + cases[i].at, cases[i].v);
        assert_int_equal(armvmi_btf_check_header(c, len, &sz), -ARMVMI_EFORMAT);
        assert_non_null(strstr(armvmi_errmsg(), cases[i].why));
        armvmi_types_t *t;
        assert_int_equal(armvmi_types_from_btf(c, len, &t), -ARMVMI_EFORMAT);
    }
    /* every truncation fails cleanly */
    for (size_t n = 0; n < len; n++) {
        armvmi_types_t *t = (armvmi_types_t *)1;
        assert_int_equal(armvmi_types_from_btf(b, n, &t), -ARMVMI_EFORMAT);
        assert_null(t);
    }
    /* a string section that does not start with NUL: libbpf's reason reaches the message */
    memcpy(c, b, len);
    uint32_t hdr_len, str_off;
    memcpy(&hdr_len, c + 4, 4);
    memcpy(&str_off, c + 16, 4);
    c[hdr_len + str_off] = 'x';
    armvmi_types_t *t;
    assert_int_equal(armvmi_types_from_btf(c, len, &t), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "does not parse (libbpf"));
    free(c);
    free(b);
}

/* Random corruption of the type section: parse or fail, and queries never crash. */
static void corrupted_types(void **state)
{
    size_t len;
    uint8_t *b = make_btf(true, &len);
    uint8_t *c = malloc(len);
    uint32_t hdr_len;
    memcpy(&hdr_len, b + 4, 4);
    uint64_t x = 42;
    for (int round = 0; round < 3000; round++) {
        memcpy(c, b, len);
        for (int k = 0; k < 1 + round % 8; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = hdr_len + (size_t)((x >> 20) % (len - hdr_len));
            c[at] = (uint8_t)(x >> 56);
        }
        armvmi_types_t *t;
        if (armvmi_types_from_btf(c, len, &t))
            continue;
        struct armvmi_member m;
        uint64_t s;
        struct seen sn = {0};
        armvmi_types_member(t, "task_struct.pid", &m);
        armvmi_types_member(t, "task_struct.sig.pids.prev", &m);
        armvmi_types_size(t, "task_t", &s);
        armvmi_types_foreach_member(t, "task_struct", collect, &sn);
        armvmi_types_close(t);
    }
    free(c);
    free(b);
}

/* A struct whose anonymous members are itself, four times: exponential nesting, bounded. */
static void hostile_nesting(void **state)
{
    struct btf *b = btf__new_empty();
    int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    int loop = btf__add_struct(b, "loop", 16);
    for (int k = 0; k < 4; k++)
        assert_int_equal(btf__add_field(b, NULL, loop, 0, 0), 0);
    assert_int_equal(btf__add_field(b, "x", i32, 0, 0), 0);
    uint32_t n;
    const void *raw = btf__raw_data(b, &n);
    armvmi_types_t *t;
    assert_int_equal(armvmi_types_from_btf(raw, n, &t), 0);
    btf__free(b);
    struct armvmi_member m;
    assert_int_equal(armvmi_types_member(t, "loop.nosuch", &m), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "gave up"));
    struct seen s = {0};
    assert_int_equal(armvmi_types_foreach_member(t, "loop", collect, &s), -ARMVMI_EFORMAT);
    armvmi_types_close(t);
}

/* A module's split BTF on the base of make_btf: its own struct and function, base types
 * through it, lookups falling through to the base, hostile bytes refused. */
static void split_btf(void **state)
{
    size_t blen;
    void *braw = make_btf(true, &blen);
    armvmi_types_t *base;
    assert_int_equal(armvmi_types_from_btf(braw, blen, &base), 0);
    struct btf *bb = btf__new(braw, (uint32_t)blen);
    assert_non_null(bb);
    struct btf *b = btf__new_empty_split(bb);
    int task = btf__find_by_name_kind(bb, "task_struct", BTF_KIND_STRUCT);
    int pid_t_ = btf__find_by_name_kind(bb, "pid_t", BTF_KIND_TYPEDEF);
    int mm = btf__find_by_name_kind(bb, "mm_struct", BTF_KIND_STRUCT);
    int i32 = btf__find_by_name_kind(bb, "int", BTF_KIND_INT);
    assert_true(task > 0 && pid_t_ > 0 && mm > 0 && i32 > 0);
    int tp = btf__add_ptr(b, task);
    int ms = btf__add_struct(b, "modstate", 16);
    assert_int_equal(btf__add_field(b, "owner", tp, 0, 0), 0);
    assert_int_equal(btf__add_field(b, "pid", pid_t_, 64, 0), 0);
    int mmp = btf__add_ptr(b, mm);
    int proto = btf__add_func_proto(b, i32);
    assert_int_equal(btf__add_func_param(b, "mm", mmp), 0);
    assert_true(btf__add_func(b, "mod_fn", BTF_FUNC_STATIC, proto) > 0);
    assert_true(ms > 0);
    uint32_t n;
    const uint8_t *raw = btf__raw_data(b, &n);
    assert_non_null(raw);

    armvmi_types_t *t;
    assert_int_equal(armvmi_types_from_btf_split(raw, n, base, &t), 0);
    struct armvmi_types_info in;
    armvmi_types_info(t, &in);
    assert_int_equal(in.ntypes, 5); /* ptr, struct, ptr, proto, func: none of the base's */
    assert_int_equal(in.nnames, 2); /* modstate, mod_fn */
    struct armvmi_member m;
    assert_int_equal(armvmi_types_member(t, "modstate.pid", &m), 0);
    assert_int_equal(m.offset, 8);
    assert_string_equal(m.type, "pid_t");
    assert_int_equal(armvmi_types_member(t, "modstate.owner", &m), 0);
    assert_string_equal(m.type, "struct task_struct *");
    uint64_t sz;
    assert_int_equal(armvmi_types_size(t, "task_struct", &sz), 0); /* the base's, through t */
    assert_int_equal(sz, 128);
    uint32_t id;
    char proto_s[128];
    assert_int_equal(armvmi_types_find(t, "func mod_fn", &id), 0);
    assert_int_equal(armvmi_types_name_of(t, id, proto_s, sizeof(proto_s)), 0);
    assert_string_equal(proto_s, "int mod_fn(struct mm_struct *)");
    assert_int_equal(armvmi_types_find(t, "mod_fn", &id), -ARMVMI_ENOENT); /* only as func */
    const void *back;
    size_t blen2;
    assert_int_equal(armvmi_types_raw(t, &back, &blen2), 0);
    assert_int_equal(blen2, n);
    assert_memory_equal(back, raw, n);
    /* split BTF is not a base */
    armvmi_types_t *t2;
    assert_int_equal(armvmi_types_from_btf_split(raw, n, t, &t2), -ARMVMI_ENOTSUP);
    armvmi_types_close(t);

    /* hostile bytes: an unknown kind, a truncated string section, no header */
    uint8_t *bad = malloc(n);
    memcpy(bad, raw, n);
    uint32_t hl, toff;
    memcpy(&hl, bad + 4, 4);
    memcpy(&toff, bad + 8, 4);
    put(bad + hl + toff + 4, 0x1fu << 24); /* the first type's info: kind 31 */
    assert_int_equal(armvmi_types_from_btf_split(bad, n, base, &t), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "split BTF does not parse"));
    assert_int_equal(armvmi_types_from_btf_split(raw, n - 4, base, &t), -ARMVMI_EFORMAT);
    memset(bad, 0, 24);
    assert_int_equal(armvmi_types_from_btf_split(bad, n, base, &t), -ARMVMI_EFORMAT);
    free(bad);
    btf__free(b);
    btf__free(bb);
    armvmi_types_close(base);
    free(braw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_and_names),   cmocka_unit_test(member_paths),
        cmocka_unit_test(foreach_members),   cmocka_unit_test(find_in_buffer),
        cmocka_unit_test(find_in_raw_image), cmocka_unit_test(bad_headers),
        cmocka_unit_test(corrupted_types),   cmocka_unit_test(hostile_nesting),
        cmocka_unit_test(split_btf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
