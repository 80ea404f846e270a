/* SPDX-License-Identifier: MIT */
/* syms_read.c — read the kernel image from guest memory and decode its symbols (kallsyms.c). */
#include <stdlib.h>

#include <armvmi/linux.h>

#define IMG_MAX (128ull << 20) /* bytes of the kernel image read from _stext on */
#define READ_CHUNK (1ull << 20)

int armvmi_linux_syms_open(armvmi_t *h, const struct armvmi_linux_kernel *k, unsigned flags,
                           armvmi_linux_syms_t **out)
{
    if (!h || !k || !out)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
    *out = NULL;
    if (!k->stext.known || !k->stext_pa.known)
        return armvmi_set_error(ARMVMI_EINVAL,
                                "kernel symbols: discovery found no _stext to read the kernel "
                                "image from.");
    struct armvmi_info in;
    int rc = armvmi_get_info(h, &in);
    if (rc)
        return rc;
    uint64_t pa = k->stext_pa.value, len = 0;
    for (unsigned i = 0; i < in.nranges && i < ARMVMI_MAX_RAM_RANGES; i++)
        if (pa >= in.ranges[i].base && pa - in.ranges[i].base < in.ranges[i].size)
            len = in.ranges[i].base + in.ranges[i].size - pa;
    if (!len)
        return armvmi_set_error(ARMVMI_EFAULT,
                                "kernel symbols: _stext's physical address 0x%llx is not RAM.",
                                (unsigned long long)pa);
    if (len > IMG_MAX)
        len = IMG_MAX;
    const void *img = armvmi_map_pa(h, pa, (size_t)len);
    uint8_t *buf = NULL;
    if (!img) {
        buf = malloc((size_t)len);
        if (!buf)
            return armvmi_set_error(ARMVMI_ENOMEM, "kernel symbols: out of memory.");
        uint64_t got = 0;
        for (; got < len; got += READ_CHUNK) {
            size_t n = len - got < READ_CHUNK ? (size_t)(len - got) : (size_t)READ_CHUNK;
            if (armvmi_read_pa(h, pa + got, buf + got, n))
                break; /* the image ends before an unreadable chunk */
        }
        if (!got) {
            free(buf);
            return armvmi_set_error(ARMVMI_EFAULT,
                                    "kernel symbols: cannot read the kernel image at 0x%llx.",
                                    (unsigned long long)pa);
        }
        len = got < len ? got : len;
        img = buf;
    }
    const struct armvmi_linux_vmcoreinfo *v = &k->vmcoreinfo;
    struct armvmi_linux_kallsyms_loc loc = {
        .names = v->val[ARMVMI_VMCI_SYM_KALLSYMS_NAMES],
        .num_syms = v->val[ARMVMI_VMCI_SYM_KALLSYMS_NUM_SYMS],
        .token_table = v->val[ARMVMI_VMCI_SYM_KALLSYMS_TOKEN_TABLE],
        .token_index = v->val[ARMVMI_VMCI_SYM_KALLSYMS_TOKEN_INDEX],
        .offsets = v->val[ARMVMI_VMCI_SYM_KALLSYMS_OFFSETS],
        .relative_base = v->val[ARMVMI_VMCI_SYM_KALLSYMS_RELATIVE_BASE],
    };
    uint32_t need = 0;
    for (int key = ARMVMI_VMCI_SYM_KALLSYMS_NAMES; key <= ARMVMI_VMCI_SYM_KALLSYMS_RELATIVE_BASE;
         key++)
        need |= 1u << key;
    bool have = (v->present & need) == need;
    rc = armvmi_linux_syms_from_image(img, (size_t)len, k->stext.value, have ? &loc : NULL, k,
                                      flags, out);
    free(buf);
    return rc;
}
