/* SPDX-License-Identifier: MIT */
/* fuzz_btf.c — fuzz target: the BTF search, libbpf parsing and the type queries on hostile bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include <armvmi/types.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
    "task_struct.pid",
    "task_struct.comm",
    "task_struct.sig.pids.prev",
    "task_t.tgid",
    "task_struct.mm.pgd",
    "list_head.next",
    "task_struct",
    "pid_t",
    "nosuch.x",
};

static int count(void *arg, const struct armvmi_member *m)
{
    (*(unsigned *)arg)++;
    /* the promises of struct armvmi_member */
    if (m->offset != m->bit_offset / 8 || strlen(m->type) >= ARMVMI_TYPE_NAME_MAX)
        abort();
    return 0;
}

static void query(armvmi_types_t *t)
{
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct armvmi_member m;
        uint64_t s;
        unsigned n = 0;
        if (armvmi_types_member(t, paths[i], &m) == 0 && m.offset != m.bit_offset / 8)
            abort();
        armvmi_types_size(t, paths[i], &s);
        armvmi_types_foreach_member(t, paths[i], count, &n);
    }
}

/* A valid kernel-like BTF (task_struct with an anonymous union, bitfields, arrays) to mutate. */
static uint8_t *seed(uint32_t *len)
{
    static uint8_t *raw;
    static uint32_t n;
    if (raw) {
        *len = n;
        return raw;
    }
    struct btf *b = btf__new_empty();
    int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    int ch = btf__add_int(b, "char", 1, BTF_INT_CHAR);
    int pid = btf__add_typedef(b, "pid_t", i32);
    int fwd = btf__add_fwd(b, "list_head", BTF_FWD_STRUCT);
    int lhp = btf__add_ptr(b, fwd);
    int lh = btf__add_struct(b, "list_head", 16);
    btf__add_field(b, "next", lhp, 0, 0);
    btf__add_field(b, "prev", lhp, 64, 0);
    int comm = btf__add_array(b, i32, ch, 16);
    int anon = btf__add_struct(b, NULL, 8);
    btf__add_field(b, "pid", pid, 0, 0);
    btf__add_field(b, "tgid", i32, 32, 0);
    int u = btf__add_union(b, NULL, 16);
    btf__add_field(b, "rcu", lh, 0, 0);
    btf__add_field(b, NULL, anon, 0, 0);
    int sig = btf__add_struct(b, "sig", 24);
    btf__add_field(b, "pids", lh, 64, 0);
    int task = btf__add_struct(b, "task_struct", 96);
    btf__add_field(b, NULL, u, 0, 0);
    btf__add_field(b, "flag", i32, 128, 1);
    btf__add_field(b, "flag2", i32, 129, 5);
    btf__add_field(b, "comm", comm, 192, 0);
    btf__add_field(b, "mm", btf__add_ptr(b, i32), 320, 0);
    btf__add_field(b, "sig", sig, 384, 0);
    btf__add_typedef(b, "task_t", task);
    const void *r = btf__raw_data(b, &n);
    raw = malloc(n);
    memcpy(raw, r, n);
    btf__free(b);
    *len = n;
    return raw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    armvmi_types_t *t;
    size_t off, hs;
    /* the bytes as memory to search, and as BTF */
    armvmi_btf_check_header(data, size, &hs);
    if (armvmi_types_find_btf(data, size, &t, &off) == 0) {
        query(t);
        armvmi_types_close(t);
    }
    if (armvmi_types_from_btf(data, size, &t) == 0) {
        query(t);
        armvmi_types_close(t);
    }
    /* the bytes as edits (offset, value) of a valid BTF, so that libbpf accepts most of them */
    uint32_t n;
    const uint8_t *s = seed(&n);
    uint8_t *m = malloc(n);
    if (!m)
        return 0;
    memcpy(m, s, n);
    for (size_t i = 0; i + 3 <= size && i < 3 * 16; i += 3)
        m[(data[i] | (size_t)data[i + 1] << 8) % n] = data[i + 2];
    if (armvmi_types_from_btf(m, n, &t) == 0) {
        query(t);
        armvmi_types_close(t);
    }
    free(m);
    return 0;
}
