/* SPDX-License-Identifier: MIT */
/* fuzz_vmcoreinfo.c — fuzz target: the VMCOREINFO parser and note reader on hostile text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armvmi/linux.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Pieces of real VMCOREINFO, so that random bytes build near-valid text (a grammar). */
static const char *const tokens[] = {
    "OSRELEASE=",
    "PAGESIZE=",
    "KERNELOFFSET=",
    "NUMBER(kimage_voffset)=",
    "NUMBER(PHYS_OFFSET)=",
    "NUMBER(VA_BITS)=",
    "NUMBER(TCR_EL1_T1SZ)=",
    "NUMBER(MODULES_END)=",
    "SYMBOL(swapper_pg_dir)=",
    "SYMBOL(_stext)=",
    "SYMBOL(init_uts_ns)=",
    "OFFSET(page.flags)=",
    "4096",
    "48",
    "0x",
    "ffff800008000000",
    "18446744073709551615",
    "18446744073709551616",
    "-129",
    "6.1.0-57-arm64",
    "\n",
    "\n",
    "=",
    "",
};
#define NTOK (sizeof(tokens) / sizeof(tokens[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct armvmi_linux_vmcoreinfo v;
    armvmi_linux_vmcoreinfo_parse(data, size, &v);
    const void *d;
    size_t dl;
    if (armvmi_linux_vmcoreinfo_note(data, size, &d, &dl) == 0)
        armvmi_linux_vmcoreinfo_parse(d, dl, &v);
    /* the same bytes as a token sequence; a byte >= 0xf0 is itself (raw garbage) */
    char *t = malloc(size * 24 + 1);
    if (!t)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < size; i++) {
        if (data[i] >= 0xf0) {
            t[n++] = (char)(data[i] & 0x7f);
            continue;
        }
        const char *tok = tokens[data[i] % NTOK];
        size_t l = strlen(tok);
        memcpy(t + n, tok, l);
        n += l;
    }
    if (armvmi_linux_vmcoreinfo_parse(t, n, &v) == 0) {
        /* what it accepted is what the checks promise */
        if (v.val[ARMVMI_VMCI_VA_BITS] < 36 || v.val[ARMVMI_VMCI_VA_BITS] > 52 ||
            strlen(v.osrelease) >= sizeof(v.osrelease))
            abort();
    }
    free(t);
    return 0;
}
