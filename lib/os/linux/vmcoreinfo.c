/* SPDX-License-Identifier: MIT */
/* vmcoreinfo.c — a defensive parser for the kernel's VMCOREINFO text and its ELF note. */
#include <string.h>

#include <armvmi/linux.h>

/* Longest line accepted; the kernel's longest is well under 100 bytes. */
#define VMCI_LINE_MAX 256
/* The note header: namesz, descsz, type (Elf64_Nhdr), then the name padded to 4 bytes. */
#define VMCI_NHDR 12
#define VMCI_NOTE_NAME "VMCOREINFO"
#define VMCI_NOTE_NAMESZ 11
#define VMCI_NOTE_DESC (VMCI_NHDR + 12)

enum num_fmt { NUM_AUTO, NUM_HEX };

static const struct {
    const char *key;
    enum num_fmt fmt;
} keys[ARMVMI_VMCI_NKEYS] = {
    [ARMVMI_VMCI_OSRELEASE] = {"OSRELEASE", NUM_AUTO},
    [ARMVMI_VMCI_PAGESIZE] = {"PAGESIZE", NUM_AUTO},
    [ARMVMI_VMCI_KERNELOFFSET] = {"KERNELOFFSET", NUM_HEX},
    [ARMVMI_VMCI_KIMAGE_VOFFSET] = {"NUMBER(kimage_voffset)", NUM_AUTO},
    [ARMVMI_VMCI_PHYS_OFFSET] = {"NUMBER(PHYS_OFFSET)", NUM_AUTO},
    [ARMVMI_VMCI_VA_BITS] = {"NUMBER(VA_BITS)", NUM_AUTO},
    [ARMVMI_VMCI_TCR_EL1_T1SZ] = {"NUMBER(TCR_EL1_T1SZ)", NUM_AUTO},
    [ARMVMI_VMCI_MODULES_VADDR] = {"NUMBER(MODULES_VADDR)", NUM_AUTO},
    [ARMVMI_VMCI_MODULES_END] = {"NUMBER(MODULES_END)", NUM_AUTO},
    [ARMVMI_VMCI_VMALLOC_START] = {"NUMBER(VMALLOC_START)", NUM_AUTO},
    [ARMVMI_VMCI_VMALLOC_END] = {"NUMBER(VMALLOC_END)", NUM_AUTO},
    [ARMVMI_VMCI_VMEMMAP_START] = {"NUMBER(VMEMMAP_START)", NUM_AUTO},
    [ARMVMI_VMCI_VMEMMAP_END] = {"NUMBER(VMEMMAP_END)", NUM_AUTO},
    [ARMVMI_VMCI_KERNELPACMASK] = {"NUMBER(KERNELPACMASK)", NUM_AUTO},
    [ARMVMI_VMCI_SYM_SWAPPER_PG_DIR] = {"SYMBOL(swapper_pg_dir)", NUM_HEX},
    [ARMVMI_VMCI_SYM_STEXT] = {"SYMBOL(_stext)", NUM_HEX},
    [ARMVMI_VMCI_SYM_INIT_UTS_NS] = {"SYMBOL(init_uts_ns)", NUM_HEX},
    [ARMVMI_VMCI_SYM_KALLSYMS_NAMES] = {"SYMBOL(kallsyms_names)", NUM_HEX},
    [ARMVMI_VMCI_SYM_KALLSYMS_NUM_SYMS] = {"SYMBOL(kallsyms_num_syms)", NUM_HEX},
    [ARMVMI_VMCI_SYM_KALLSYMS_TOKEN_TABLE] = {"SYMBOL(kallsyms_token_table)", NUM_HEX},
    [ARMVMI_VMCI_SYM_KALLSYMS_TOKEN_INDEX] = {"SYMBOL(kallsyms_token_index)", NUM_HEX},
    [ARMVMI_VMCI_SYM_KALLSYMS_OFFSETS] = {"SYMBOL(kallsyms_offsets)", NUM_HEX},
    [ARMVMI_VMCI_SYM_KALLSYMS_RELATIVE_BASE] = {"SYMBOL(kallsyms_relative_base)", NUM_HEX},
};

const char *armvmi_linux_vmci_key_name(int key)
{
    if (key < 0 || key >= ARMVMI_VMCI_NKEYS)
        return NULL;
    return keys[key].key;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse all of [s, s + n) as an unsigned number; -1 on anything else or overflow. */
static int parse_num(const char *s, size_t n, enum num_fmt fmt, uint64_t *out)
{
    unsigned base = 10;
    if (fmt == NUM_HEX) {
        base = 16;
    } else if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        n -= 2;
    }
    if (n == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hexval(s[i]);
        if (d < 0 || (unsigned)d >= base)
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -1;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

static int parse_line(const char *l, size_t n, struct armvmi_linux_vmcoreinfo *out)
{
    const char *eq = memchr(l, '=', n);
    if (!eq)
        return -1;
    size_t klen = (size_t)(eq - l);
    const char *v = eq + 1;
    size_t vlen = n - klen - 1;
    for (int k = 0; k < ARMVMI_VMCI_NKEYS; k++) {
        if (strlen(keys[k].key) != klen || memcmp(keys[k].key, l, klen) != 0)
            continue;
        uint32_t bit = 1u << k;
        if (k == ARMVMI_VMCI_OSRELEASE) {
            if (vlen == 0 || vlen >= sizeof(out->osrelease))
                return -1;
            if ((out->present & bit) &&
                (strlen(out->osrelease) != vlen || memcmp(out->osrelease, v, vlen) != 0))
                return -2;
            memcpy(out->osrelease, v, vlen);
            out->osrelease[vlen] = 0;
        } else {
            uint64_t x;
            if (parse_num(v, vlen, keys[k].fmt, &x))
                return -1;
            if ((out->present & bit) && out->val[k] != x)
                return -2;
            out->val[k] = x;
        }
        out->present |= bit;
        return 0;
    }
    return 0; /* a key armvmi does not use */
}

int armvmi_linux_vmcoreinfo_parse(const void *text, size_t len, struct armvmi_linux_vmcoreinfo *out)
{
    if (!out || (!text && len))
        return armvmi_set_error(ARMVMI_EINVAL, "VMCOREINFO parse: NULL argument.");
    memset(out, 0, sizeof(*out));
    const char *s = text;
    if (len > ARMVMI_LINUX_VMCOREINFO_MAX)
        len = ARMVMI_LINUX_VMCOREINFO_MAX;
    const char *nul = len ? memchr(s, 0, len) : NULL;
    if (nul)
        len = (size_t)(nul - s);
    size_t i = 0;
    while (i < len) {
        const char *l = s + i;
        const char *nl = memchr(l, '\n', len - i);
        if (!nl) { /* cut by the end of the buffer: the value may be cut too */
            out->bad_lines++;
            break;
        }
        size_t n = (size_t)(nl - l);
        i += n + 1;
        if (n == 0)
            continue;
        bool printable = n <= VMCI_LINE_MAX;
        for (size_t j = 0; printable && j < n; j++)
            printable = l[j] >= 0x20 && l[j] < 0x7f;
        if (!printable) {
            out->bad_lines++;
            continue;
        }
        int rc = parse_line(l, n, out);
        if (rc == -2) {
            int klen = (int)((const char *)memchr(l, '=', n) - l);
            return armvmi_set_error(ARMVMI_EFORMAT,
                                    "VMCOREINFO states %.*s twice with different values; it "
                                    "is not trusted.",
                                    klen, l);
        }
        if (rc)
            out->bad_lines++;
        else
            out->lines++;
    }
    static const int need[] = {ARMVMI_VMCI_OSRELEASE, ARMVMI_VMCI_PAGESIZE,
                               ARMVMI_VMCI_KIMAGE_VOFFSET, ARMVMI_VMCI_VA_BITS,
                               ARMVMI_VMCI_SYM_SWAPPER_PG_DIR};
    for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++)
        if (!(out->present & (1u << need[k])))
            return armvmi_set_error(ARMVMI_EFORMAT, "VMCOREINFO has no valid %s line.",
                                    keys[need[k]].key);
    uint64_t ps = out->val[ARMVMI_VMCI_PAGESIZE], vb = out->val[ARMVMI_VMCI_VA_BITS];
    if (ps != 4096 && ps != 16384 && ps != 65536)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "VMCOREINFO PAGESIZE=%llu is not 4096, 16384 or 65536.",
                                (unsigned long long)ps);
    if (vb < 36 || vb > 52)
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "VMCOREINFO NUMBER(VA_BITS)=%llu is outside 36..52.",
                                (unsigned long long)vb);
    if ((out->present & (1u << ARMVMI_VMCI_TCR_EL1_T1SZ)) &&
        (out->val[ARMVMI_VMCI_TCR_EL1_T1SZ] < 12 || out->val[ARMVMI_VMCI_TCR_EL1_T1SZ] > 28))
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "VMCOREINFO NUMBER(TCR_EL1_T1SZ)=%llu is outside 12..28.",
                                (unsigned long long)out->val[ARMVMI_VMCI_TCR_EL1_T1SZ]);
    return 0;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int armvmi_linux_vmcoreinfo_note(const void *buf, size_t len, const void **desc, size_t *desc_len)
{
    const unsigned char *p = buf;
    if (!buf || !desc || !desc_len || len < VMCI_NOTE_DESC)
        return -ARMVMI_ENOENT;
    if (le32(p) != VMCI_NOTE_NAMESZ || le32(p + 8) != 0 ||
        memcmp(p + VMCI_NHDR, VMCI_NOTE_NAME, VMCI_NOTE_NAMESZ) != 0)
        return -ARMVMI_ENOENT;
    size_t dsz = le32(p + 4);
    if (dsz > len - VMCI_NOTE_DESC)
        dsz = len - VMCI_NOTE_DESC;
    *desc = p + VMCI_NOTE_DESC;
    *desc_len = dsz;
    return 0;
}
