/* SPDX-License-Identifier: MIT */
/*
 * test_linux_profile.c — outside profiles: a hand-written Volatility 3 ISF (dwarf2json's
 * conventions: anonymous members "unnamed_field_<hex>", anonymous types "unnamed_<hash>",
 * bitfields, arrays, pointers, enums, a function pointer, a declared-only struct) queried
 * through the types API; an ISF written back and read again; System.map parsing, lookup,
 * the KASLR slide and the refusal of another kernel's map; garbage and truncated input.
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

#include <armvmi/profile.h>

/*
 * struct task_struct {                         size 96
 *     unsigned int __state;                    0
 *     union {                                  8   (unnamed_field_8, type unnamed_1a2b)
 *         struct list_head rcu_node;           8
 *         struct { int pid; int tgid; };       8, 12 (unnamed_field_0 of unnamed_beef)
 *     };
 *     unsigned int in_execve:1;                byte 24 bit 0
 *     unsigned int in_iowait:3;                byte 24 bit 1
 *     char comm[16];                           32
 *     struct mm_struct *mm;                    48
 *     struct list_head tasks;                  56
 *     enum pid_type ptype;                     72
 *     void (*fn)(void);                        80
 *     struct undefined *u;                     88
 * };
 */
static const char isf[] =
    "{\"metadata\": {\"format\": \"6.2.0\", \"producer\": {\"name\": \"hand\"}},"
    " \"base_types\": {"
    "  \"void\": {\"kind\": \"void\", \"size\": 0, \"signed\": false, \"endian\": \"little\"},"
    "  \"int\": {\"kind\": \"int\", \"size\": 4, \"signed\": true, \"endian\": \"little\"},"
    "  \"unsigned int\": {\"kind\": \"int\", \"size\": 4, \"signed\": false, \"endian\": "
    "\"little\"},"
    "  \"char\": {\"kind\": \"char\", \"size\": 1, \"signed\": true, \"endian\": \"little\"},"
    "  \"pointer\": {\"kind\": \"int\", \"size\": 8, \"signed\": false, \"endian\": \"little\"}},"
    " \"enums\": {\"pid_type\": {\"size\": 4, \"base\": \"unsigned int\", \"constants\": "
    "{\"PIDTYPE_PID\": 0, \"PIDTYPE_TGID\": 1}}},"
    " \"symbols\": {\"init_task\": {\"address\": 18446603336385596865, \"type\": {\"kind\": "
    "\"struct\", \"name\": \"task_struct\"}}, \"_stext\": {\"address\": 18446603336355479552,"
    " \"type\": {\"kind\": \"function\"}}, \"unknown\": {\"address\": 0},"
    " \"tricky\": {\"address\": 5, \"type\": {\"kind\": \"base\", \"name\": "
    "\"18446603336385596865\"}}},"
    " \"user_types\": {"
    "  \"list_head\": {\"kind\": \"struct\", \"size\": 16, \"fields\": {"
    "    \"next\": {\"offset\": 0, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": "
    "\"struct\", \"name\": \"list_head\"}}},"
    "    \"prev\": {\"offset\": 8, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": "
    "\"struct\", \"name\": \"list_head\"}}}}},"
    "  \"unnamed_beef\": {\"kind\": \"struct\", \"size\": 8, \"fields\": {"
    "    \"tgid\": {\"offset\": 4, \"type\": {\"kind\": \"base\", \"name\": \"int\"}},"
    "    \"pid\": {\"offset\": 0, \"type\": {\"kind\": \"base\", \"name\": \"int\"}}}},"
    "  \"unnamed_1a2b\": {\"kind\": \"union\", \"size\": 16, \"fields\": {"
    "    \"rcu_node\": {\"offset\": 0, \"type\": {\"kind\": \"struct\", \"name\": "
    "\"list_head\"}},"
    "    \"unnamed_field_0\": {\"offset\": 0, \"anonymous\": true, \"type\": {\"kind\": "
    "\"struct\", \"name\": \"unnamed_beef\"}}}},"
    "  \"mm_struct\": {\"kind\": \"struct\", \"size\": 64, \"fields\": {"
    "    \"pgd\": {\"offset\": 56, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": "
    "\"base\", \"name\": \"void\"}}}}},"
    "  \"task_struct\": {\"kind\": \"struct\", \"size\": 96, \"fields\": {"
    "    \"__state\": {\"offset\": 0, \"type\": {\"kind\": \"base\", \"name\": \"unsigned int\"}},"
    "    \"unnamed_field_8\": {\"offset\": 8, \"anonymous\": true, \"type\": {\"kind\": "
    "\"union\", \"name\": \"unnamed_1a2b\"}},"
    "    \"in_execve\": {\"offset\": 24, \"type\": {\"kind\": \"bitfield\", \"bit_position\": 0, "
    "\"bit_length\": 1, \"type\": {\"kind\": \"base\", \"name\": \"unsigned int\"}}},"
    "    \"in_iowait\": {\"offset\": 24, \"type\": {\"kind\": \"bitfield\", \"bit_position\": 1, "
    "\"bit_length\": 3, \"type\": {\"kind\": \"base\", \"name\": \"unsigned int\"}}},"
    "    \"comm\": {\"offset\": 32, \"type\": {\"kind\": \"array\", \"count\": 16, \"subtype\": "
    "{\"kind\": \"base\", \"name\": \"char\"}}},"
    "    \"mm\": {\"offset\": 48, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": "
    "\"struct\", \"name\": \"mm_struct\"}}},"
    "    \"tasks\": {\"offset\": 56, \"type\": {\"kind\": \"struct\", \"name\": \"list_head\"}},"
    "    \"ptype\": {\"offset\": 72, \"type\": {\"kind\": \"enum\", \"name\": \"pid_type\"}},"
    "    \"fn\": {\"offset\": 80, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": "
    "\"function\"}}},"
    "    \"u\": {\"offset\": 88, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": "
    "\"struct\", \"name\": \"undefined\"}}}}}}}";

static armvmi_types_t *load(void)
{
    armvmi_types_t *t = NULL;
    int rc = armvmi_types_from_isf_bytes(isf, strlen(isf), &t);
    if (rc)
        fail_msg("%s", armvmi_errmsg());
    return t;
}

static void check_member(armvmi_types_t *t, const char *path, uint64_t off, uint64_t size,
                         const char *type)
{
    struct armvmi_member m;
    if (armvmi_types_member(t, path, &m))
        fail_msg("%s: %s", path, armvmi_errmsg());
    assert_int_equal(m.offset, off);
    assert_int_equal(m.size, size);
    assert_string_equal(m.type, type);
}

static void isf_queries(void **state)
{
    armvmi_types_t *t = load();
    struct armvmi_types_info info;
    assert_int_equal(armvmi_types_info(t, &info), 0);
    assert_string_equal(info.source, "ISF file");
    assert_false(info.in_memory);
    uint64_t s;
    assert_int_equal(armvmi_types_size(t, "task_struct", &s), 0);
    assert_int_equal(s, 96);
    assert_int_equal(armvmi_types_size(t, "struct mm_struct", &s), 0);
    assert_int_equal(s, 64);
    assert_int_equal(armvmi_types_size(t, "enum pid_type", &s), 0);
    assert_int_equal(s, 4);
    check_member(t, "task_struct.__state", 0, 4, "unsigned int");
    /* through the anonymous union and the anonymous struct inside it, as in C */
    check_member(t, "task_struct.pid", 8, 4, "int");
    check_member(t, "task_struct.tgid", 12, 4, "int");
    check_member(t, "task_struct.rcu_node.prev", 16, 8, "struct list_head *");
    check_member(t, "task_struct.comm", 32, 16, "char[16]");
    check_member(t, "task_struct.mm", 48, 8, "struct mm_struct *");
    check_member(t, "task_struct.tasks.next", 56, 8, "struct list_head *");
    check_member(t, "task_struct.ptype", 72, 4, "enum pid_type");
    check_member(t, "task_struct.fn", 80, 8, "void (*)()");
    check_member(t, "task_struct.u", 88, 8, "struct undefined *");
    check_member(t, "mm_struct.pgd", 56, 8, "void *");
    struct armvmi_member m;
    assert_int_equal(armvmi_types_member(t, "task_struct.in_iowait", &m), 0);
    assert_int_equal(m.bit_offset, 24 * 8 + 1);
    assert_int_equal(m.bit_size, 3);
    assert_int_equal(m.kind, ARMVMI_TYPE_INT);
    uint64_t off;
    assert_int_equal(armvmi_types_offset(t, "task_struct.in_execve", &off), -ARMVMI_EINVAL);
    /* the anonymous names are not members */
    assert_int_equal(armvmi_types_member(t, "task_struct.unnamed_field_8", &m), -ARMVMI_ENOENT);
    assert_int_equal(armvmi_types_member(t, "task_struct.nosuch", &m), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "nosuch"));
    assert_int_equal(armvmi_types_member(t, "nosuch.x", &m), -ARMVMI_ENOENT);
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
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s", m->name);
        s->depth[s->n++] = m->depth;
    }
    return 0;
}

static void isf_members_in_order(void **state)
{
    armvmi_types_t *t = load();
    struct seen s = {0};
    assert_int_equal(armvmi_types_foreach_member(t, "task_struct", collect, &s), 0);
    /* offsets order (JSON order is not), anonymous members given as "" with their contents */
    static const char *const want[] = {"__state", "",          "rcu_node",  "",     "pid",
                                       "tgid",    "in_execve", "in_iowait", "comm", "mm",
                                       "tasks",   "ptype",     "fn",        "u"};
    static const unsigned depth[] = {0, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(s.n, 14);
    for (unsigned i = 0; i < s.n; i++) {
        assert_string_equal(s.names[i], want[i]);
        assert_int_equal(s.depth[i], depth[i]);
    }
    armvmi_types_close(t);
}

static void isf_write_read_back(void **state)
{
    armvmi_types_t *t = load();
    char path[] = "/tmp/armvmi-isf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(armvmi_types_write_isf(t, NULL, 0, path), 0);
    armvmi_types_t *u = NULL;
    if (armvmi_types_from_isf(path, &u))
        fail_msg("%s", armvmi_errmsg());
    unlink(path);
    static const char *const paths[] = {"task_struct.pid",   "task_struct.tgid",
                                        "task_struct.comm",  "task_struct.mm",
                                        "task_struct.tasks", "task_struct.rcu_node.next",
                                        "mm_struct.pgd",     "task_struct.in_iowait"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct armvmi_member a, b;
        assert_int_equal(armvmi_types_member(t, paths[i], &a), 0);
        if (armvmi_types_member(u, paths[i], &b))
            fail_msg("%s after the round trip: %s", paths[i], armvmi_errmsg());
        assert_int_equal(a.bit_offset, b.bit_offset);
        assert_int_equal(a.bit_size, b.bit_size);
        assert_int_equal(a.size, b.size);
        assert_string_equal(a.type, b.type);
    }
    armvmi_types_close(t);
    armvmi_types_close(u);
}

/* The ISF's symbols: unsigned 64-bit addresses read exactly (not through a double). */
static void isf_symbols(void **state)
{
    armvmi_types_t *t = NULL;
    armvmi_sysmap_t *m = NULL;
    if (armvmi_profile_from_isf_bytes(isf, strlen(isf), &t, &m))
        fail_msg("%s", armvmi_errmsg());
    assert_non_null(m);
    struct armvmi_linux_sym y;
    assert_int_equal(armvmi_sysmap_lookup(m, "init_task", &y), 0);
    assert_int_equal(y.addr, 0xffff800009cc8dc1ull);
    assert_int_equal(y.type, 'D');
    assert_int_equal(armvmi_sysmap_lookup(m, "_stext", &y), 0);
    assert_int_equal(y.type, 'T');
    assert_int_equal(armvmi_sysmap_lookup(m, "unknown", &y), -ARMVMI_ENOENT); /* address 0 */
    assert_int_equal(armvmi_sysmap_lookup(m, "tricky", &y), 0); /* a number in a string */
    assert_int_equal(y.addr, 5);
    struct armvmi_sysmap_info info;
    armvmi_sysmap_get_info(m, &info);
    assert_int_equal(info.stext, 0xffff800008010000ull);
    armvmi_sysmap_free(m);
    armvmi_types_close(t);
    /* an ISF without symbols gives types and no map */
    const char *bare = "{\"base_types\": {}, \"user_types\": {}}";
    assert_int_equal(armvmi_profile_from_isf_bytes(bare, strlen(bare), &t, &m), 0);
    assert_null(m);
    armvmi_types_close(t);
}

/* One-sentence errors, no crash, on garbage, truncated and hostile ISF. */
static void isf_bad_input(void **state)
{
    armvmi_types_t *t = NULL;
    assert_int_equal(armvmi_types_from_isf_bytes("", 0, &t), -ARMVMI_EFORMAT);
    assert_int_equal(armvmi_types_from_isf_bytes("[1,2]", 5, &t), -ARMVMI_EFORMAT);
    assert_int_equal(armvmi_types_from_isf_bytes("{}", 2, &t), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "not an ISF file"));
    /* every truncation of the valid file fails cleanly */
    size_t n = strlen(isf);
    for (size_t cut = 0; cut < n; cut += 7) {
        assert_int_equal(armvmi_types_from_isf_bytes(isf, cut, &t), -ARMVMI_EFORMAT);
        assert_null(t);
    }
    static const char *const bad[] = {
        /* unknown base type */
        "{\"base_types\": {}, \"user_types\": {\"a\": {\"kind\": \"struct\", \"size\": 4, "
        "\"fields\": {\"x\": {\"offset\": 0, \"type\": {\"kind\": \"base\", \"name\": "
        "\"nosuch\"}}}}}}",
        /* unknown kind */
        "{\"base_types\": {}, \"user_types\": {\"a\": {\"kind\": \"struct\", \"size\": 4, "
        "\"fields\": {\"x\": {\"offset\": 0, \"type\": {\"kind\": \"weird\"}}}}}}",
        /* negative offset, huge array count, bitfield too wide */
        "{\"base_types\": {}, \"user_types\": {\"a\": {\"kind\": \"struct\", \"size\": 4, "
        "\"fields\": {\"x\": {\"offset\": -1, \"type\": {\"kind\": \"function\"}}}}}}",
        "{\"base_types\": {}, \"user_types\": {\"a\": {\"kind\": \"struct\", \"size\": 4, "
        "\"fields\": {\"x\": {\"offset\": 0, \"type\": {\"kind\": \"array\", \"count\": "
        "99999999999, \"subtype\": {\"kind\": \"function\"}}}}}}}",
        "{\"base_types\": {\"int\": {\"kind\": \"int\", \"size\": 4}}, \"user_types\": {\"a\": "
        "{\"kind\": \"struct\", \"size\": 4, \"fields\": {\"x\": {\"offset\": 0, \"type\": "
        "{\"kind\": \"bitfield\", \"bit_position\": 0, \"bit_length\": 999, \"type\": {\"kind\": "
        "\"base\", \"name\": \"int\"}}}}}}}",
        /* a base type of a size BTF cannot hold; a user type that is not an object */
        "{\"base_types\": {\"odd\": {\"kind\": \"int\", \"size\": 3}}, \"user_types\": {}}",
        "{\"base_types\": {}, \"user_types\": {\"a\": 5}}",
        /* a union member not at offset 0 */
        "{\"base_types\": {\"int\": {\"kind\": \"int\", \"size\": 4}}, \"user_types\": {\"a\": "
        "{\"kind\": \"union\", \"size\": 8, \"fields\": {\"x\": {\"offset\": 4, \"type\": "
        "{\"kind\": \"base\", \"name\": \"int\"}}}}}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = armvmi_types_from_isf_bytes(bad[i], strlen(bad[i]), &t);
        if (rc != -ARMVMI_EFORMAT)
            fail_msg("bad ISF %zu: rc %d (%s)", i, rc, armvmi_errmsg());
        assert_null(t);
        assert_non_null(strstr(armvmi_errmsg(), "ISF"));
    }
    /* a pointer chain nested deeper than the bound */
    char deep[4096];
    size_t l = (size_t)snprintf(deep, sizeof(deep),
                                "{\"base_types\": {}, \"user_types\": {\"a\": {\"kind\": "
                                "\"struct\", \"size\": 8, \"fields\": {\"x\": {\"offset\": 0, "
                                "\"type\": ");
    for (int i = 0; i < 40; i++)
        l += (size_t)snprintf(deep + l, sizeof(deep) - l, "{\"kind\": \"pointer\", \"subtype\": ");
    l += (size_t)snprintf(deep + l, sizeof(deep) - l, "{\"kind\": \"function\"}");
    for (int i = 0; i < 40; i++)
        deep[l++] = '}';
    l += (size_t)snprintf(deep + l, sizeof(deep) - l, "}}}}}");
    assert_int_equal(armvmi_types_from_isf_bytes(deep, l, &t), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "deeper"));
    assert_int_equal(armvmi_types_from_isf("/nonexistent/x.json", &t), -ARMVMI_EIO);
}

static const char sysmap[] = "ffff800008000000 T _text\n"
                             "ffff800008010000 T _stext\n"
                             "ffff800008010100 t do_one\n"
                             "ffff800008010100 T do_one_alias\n"
                             "ffff800009cc8dc0 D init_task\n"
                             "ffff800009000000 d modules\n"
                             "ffff800008020000 t dup\n"
                             "ffff800008010200 t dup\n"
                             "garbage line\n"
                             "ffff80000a000000 t mod_fn\t[some_module]\n"
                             "\n";

static void sysmap_parse_fit(void **state)
{
    armvmi_sysmap_t *m = NULL;
    if (armvmi_sysmap_from_bytes(sysmap, strlen(sysmap), &m))
        fail_msg("%s", armvmi_errmsg());
    struct armvmi_sysmap_info info;
    armvmi_sysmap_get_info(m, &info);
    assert_int_equal(info.nsyms, 8);
    assert_int_equal(info.skipped, 2); /* the garbage line and the module symbol */
    assert_int_equal(info.stext, 0xffff800008010000ull);
    struct armvmi_linux_sym s;
    assert_int_equal(armvmi_sysmap_lookup(m, "init_task", &s), 0);
    assert_int_equal(s.addr, 0xffff800009cc8dc0ull);
    assert_int_equal(s.type, 'D');
    assert_int_equal(s.source, ARMVMI_SYM_SYSTEM_MAP);
    assert_int_equal(armvmi_sysmap_lookup(m, "dup", &s), 0);
    assert_int_equal(s.addr, 0xffff800008010200ull); /* the lowest of two */
    assert_int_equal(armvmi_sysmap_lookup(m, "mod_fn", &s), -ARMVMI_ENOENT);
    assert_int_equal(armvmi_sysmap_lookup(m, "nosuch", &s), -ARMVMI_ENOENT);
    /* address order */
    uint64_t prev = 0;
    for (size_t i = 0; i < armvmi_sysmap_count(m); i++) {
        assert_int_equal(armvmi_sysmap_at(m, i, &s), 0);
        assert_true(s.addr >= prev);
        prev = s.addr;
    }
    assert_int_equal(armvmi_sysmap_at(m, 8, &s), -ARMVMI_ENOENT);

    /* a kernel running with KASLR offset 0x5847a5e00000 */
    struct armvmi_linux_kernel k;
    memset(&k, 0, sizeof(k));
    assert_int_equal(armvmi_sysmap_fit(m, &k), -ARMVMI_EINVAL); /* no _stext known */
    k.stext = (struct armvmi_linux_fact){0xffffd847ade10000ull, true, "test"};
    k.kaslr_offset = (struct armvmi_linux_fact){0x5847a5e00000ull, true, "test"};
    assert_int_equal(armvmi_sysmap_fit(m, &k), 0);
    assert_int_equal(armvmi_sysmap_lookup(m, "init_task", &s), 0);
    assert_int_equal(s.addr, 0xffff800009cc8dc0ull + 0x5847a5e00000ull);
    /* another kernel: _stext does not fit the KASLR offset */
    k.stext.value += 0x200000;
    assert_int_equal(armvmi_sysmap_fit(m, &k), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "another kernel"));
    /* without a known KASLR offset the slide must at least be 64 KiB aligned */
    k.kaslr_offset.known = false;
    k.stext.value += 0x1234;
    assert_int_equal(armvmi_sysmap_fit(m, &k), -ARMVMI_EFORMAT);
    armvmi_sysmap_free(m);
}

static void sysmap_bad_input(void **state)
{
    armvmi_sysmap_t *m = NULL;
    /* Debian's stub */
    assert_int_equal(armvmi_sysmap_from_bytes("", 0, &m), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "empty"));
    assert_int_equal(armvmi_sysmap_from_bytes(" \n\n", 3, &m), -ARMVMI_EFORMAT);
    static const char *const bad[] = {
        "hello world\n",
        "ffff800008000000 T\n",              /* no name */
        "1ffff800008000000 T _stext\n",      /* 17 hex digits */
        "ffff800008000000 TT _stext\n",      /* not one letter */
        "ffff80000800000g T _stext\n",       /* not hex */
        "{\"base_types\": {}}\n",            /* an ISF given as a System.map */
        "ffff800008000000 T _stext extra\n", /* a fourth column */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(armvmi_sysmap_from_bytes(bad[i], strlen(bad[i]), &m), -ARMVMI_EFORMAT);
        assert_null(m);
        assert_non_null(strstr(armvmi_errmsg(), "System.map"));
    }
    /* every truncation either parses what is whole or fails cleanly */
    size_t n = strlen(sysmap);
    for (size_t cut = 1; cut < n; cut++) {
        int rc = armvmi_sysmap_from_bytes(sysmap, cut, &m);
        assert_true(rc == 0 || rc == -ARMVMI_EFORMAT);
        armvmi_sysmap_free(m);
        m = NULL;
    }
    /* a map without _stext/_text cannot be fitted */
    assert_int_equal(armvmi_sysmap_from_bytes("ffff800008000000 T foo\n", 23, &m), 0);
    struct armvmi_linux_kernel k;
    memset(&k, 0, sizeof(k));
    k.stext = (struct armvmi_linux_fact){0xffff800008010000ull, true, "test"};
    assert_int_equal(armvmi_sysmap_fit(m, &k), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "_stext"));
    armvmi_sysmap_free(m);
    assert_int_equal(armvmi_sysmap_open("/nonexistent/System.map", &m), -ARMVMI_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isf_queries),         cmocka_unit_test(isf_members_in_order),
        cmocka_unit_test(isf_write_read_back), cmocka_unit_test(isf_bad_input),
        cmocka_unit_test(isf_symbols),         cmocka_unit_test(sysmap_parse_fit),
        cmocka_unit_test(sysmap_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
