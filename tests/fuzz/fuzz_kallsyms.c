/* SPDX-License-Identifier: MIT */
/* fuzz_kallsyms.c — fuzz target: the kallsyms and ksymtab decoder (whole table and a few names)
 * on mutated kernel images. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linux.h>

#include "../unit/kallsyms_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a successful decode promises: sorted, every listed name found by name and by address. */
static void check(armvmi_linux_syms_t *s, size_t len)
{
    size_t n = armvmi_linux_syms_count(s);
    if (n > len)
        abort();
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        struct armvmi_linux_sym y, z;
        uint64_t off;
        if (armvmi_linux_syms_at(s, i, &y) || y.addr < prev)
            abort();
        prev = y.addr;
        if (i > 64 && i % 97)
            continue;
        if (armvmi_linux_syms_lookup(s, y.name, &z) || strcmp(z.name, y.name) ||
            armvmi_linux_syms_addr(s, y.addr, &z, &off) || z.addr != y.addr || off)
            abort();
    }
}

static void run(const uint8_t *img, size_t len, uint64_t va,
                const struct armvmi_linux_kallsyms_loc *loc)
{
    armvmi_linux_syms_t *s = NULL;
    if (armvmi_linux_syms_from_image(img, len, va, loc, NULL, 0, &s) == 0) {
        check(s, len);
        armvmi_linux_syms_free(s);
    } else if (s || !armvmi_errmsg()[0]) {
        abort(); /* a failure leaves no table and says why */
    }
    /* a few names looked up without the table: what is found is the name asked for */
    static const char *const names[] = {"init_task", "modules", "sym_0007", "no_such_symbol"};
    struct armvmi_linux_sym out[4];
    int n = armvmi_linux_syms_find_in_image(img, len, va, loc, NULL, 0, names, 4, out);
    for (int i = 0; n >= 0 && i < 4; i++)
        n -= out[i].name != NULL && out[i].name == names[i];
    if (n > 0 || (n < 0 && !armvmi_errmsg()[0]))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct kgen g[4];
    static int built;
    if (!built) {
        for (int l = 0; l < 4; l++)
            kgen_build(&g[l], (enum kgen_layout)l, 300 + 50 * (unsigned)l, l == 0);
        built = 1;
    }
    /* the input itself as an image, scanned */
    run(data, size, KGEN_VA, NULL);
    if (size < 3)
        return 0;
    /* a synthetic image, cut and mutated by the input: (offset, offset, xor) triples */
    const struct kgen *k = &g[data[0] & 3];
    uint8_t *img = malloc(k->len);
    if (!img)
        return 0;
    memcpy(img, k->img, k->len);
    size_t len = k->len - (size_t)data[1] * (k->len - 4096) / 256 / (data[0] & 4 ? 1 : 64);
    for (size_t i = 2; i + 3 <= size; i += 3) {
        size_t off = 4096 + ((size_t)data[i] | (size_t)data[i + 1] << 8) * 7 % (k->len - 4096);
        img[off] ^= data[i + 2];
    }
    uint8_t *cut = malloc(len); /* exactly len bytes: overruns are caught */
    if (cut) {
        memcpy(cut, img, len);
        run(cut, len, k->va, data[0] & 8 ? NULL : &k->loc);
        free(cut);
    }
    free(img);
    return 0;
}
