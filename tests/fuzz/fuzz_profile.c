/* SPDX-License-Identifier: MIT */
/* fuzz_profile.c — fuzz target: the ISF (JSON) and System.map readers and queries on hostile bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/profile.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small valid ISF to mutate, so that most inputs get past the JSON parser. */
static const char seed[] =
    "{\"base_types\": {\"int\": {\"kind\": \"int\", \"size\": 4, \"signed\": true},"
    " \"char\": {\"kind\": \"char\", \"size\": 1}},"
    " \"symbols\": {\"init_task\": {\"address\": 18446603336385596865}, \"_stext\": "
    "{\"address\": 18446603336355479552, \"type\": {\"kind\": \"function\"}}},"
    " \"enums\": {\"e\": {\"size\": 4, \"base\": \"int\", \"constants\": {\"A\": 1}}},"
    " \"user_types\": {\"list_head\": {\"kind\": \"struct\", \"size\": 16, \"fields\": {"
    "\"next\": {\"offset\": 0, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": "
    "\"struct\", \"name\": \"list_head\"}}}}},"
    " \"unnamed_1\": {\"kind\": \"union\", \"size\": 8, \"fields\": {\"pid\": {\"offset\": 0,"
    " \"type\": {\"kind\": \"base\", \"name\": \"int\"}}}},"
    " \"task_struct\": {\"kind\": \"struct\", \"size\": 64, \"fields\": {"
    "\"unnamed_field_0\": {\"offset\": 0, \"anonymous\": true, \"type\": {\"kind\": \"union\","
    " \"name\": \"unnamed_1\"}},"
    "\"f\": {\"offset\": 8, \"type\": {\"kind\": \"bitfield\", \"bit_position\": 2, "
    "\"bit_length\": 3, \"type\": {\"kind\": \"base\", \"name\": \"int\"}}},"
    "\"comm\": {\"offset\": 16, \"type\": {\"kind\": \"array\", \"count\": 16, \"subtype\": "
    "{\"kind\": \"base\", \"name\": \"char\"}}},"
    "\"e\": {\"offset\": 32, \"type\": {\"kind\": \"enum\", \"name\": \"e\"}},"
    "\"tasks\": {\"offset\": 40, \"type\": {\"kind\": \"struct\", \"name\": \"list_head\"}}}}}}";

static int count(void *arg, const struct armvmi_member *m)
{
    (*(unsigned *)arg)++;
    if (m->offset != m->bit_offset / 8 || strlen(m->type) >= ARMVMI_TYPE_NAME_MAX)
        abort();
    return 0;
}

static void query(armvmi_types_t *t)
{
    static const char *const paths[] = {
        "task_struct.pid", "task_struct.comm", "task_struct.tasks.next",
        "task_struct.f",   "task_struct",      "list_head",
        "nosuch.x"};
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

static void sysmap(const uint8_t *data, size_t size)
{
    armvmi_sysmap_t *m;
    if (armvmi_sysmap_from_bytes(data, size, &m))
        return;
    struct armvmi_linux_sym s;
    uint64_t prev = 0;
    for (size_t i = 0; i < armvmi_sysmap_count(m); i++) { /* address order, before any slide */
        if (armvmi_sysmap_at(m, i, &s) || (i && s.addr < prev))
            abort();
        prev = s.addr;
    }
    struct armvmi_linux_kernel k;
    memset(&k, 0, sizeof(k));
    k.stext = (struct armvmi_linux_fact){0xffffd847ade10000ull, true, "fuzz"};
    armvmi_sysmap_fit(m, &k);
    for (size_t i = 0; i < armvmi_sysmap_count(m); i++)
        if (armvmi_sysmap_at(m, i, &s) || armvmi_sysmap_lookup(m, s.name, &s))
            abort(); /* every listed name can be looked up */
    armvmi_sysmap_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    armvmi_types_t *t;
    armvmi_sysmap_t *syms;
    /* the bytes as an ISF (types and symbols) and as a System.map */
    if (armvmi_profile_from_isf_bytes(data, size, &t, &syms) == 0) {
        query(t);
        armvmi_types_close(t);
        armvmi_sysmap_free(syms);
    }
    sysmap(data, size);
    /* the bytes as edits (offset, value) of a valid ISF */
    size_t n = sizeof(seed) - 1;
    char *m = malloc(n);
    if (!m)
        return 0;
    memcpy(m, seed, n);
    for (size_t i = 0; i + 3 <= size && i < 3 * 8; i += 3)
        m[(data[i] | (size_t)data[i + 1] << 8) % n] = (char)data[i + 2];
    if (armvmi_profile_from_isf_bytes(m, n, &t, &syms) == 0) {
        query(t);
        armvmi_types_close(t);
        armvmi_sysmap_free(syms);
    }
    free(m);
    return 0;
}
