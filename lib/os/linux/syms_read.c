/* SPDX-License-Identifier: MIT */
/* syms_read.c — read the kernel image from guest memory and decode its symbols (kallsyms.c). */
#include <stdlib.h>

#include <armvmi/linux.h>

#define IMG_MAX (128ull << 20) /* bytes of the kernel image read from _stext on */
#define READ_CHUNK (1ull << 20)

/* The kernel image from _stext (mapped, or copied into *buf to be freed) and VMCOREINFO's
 * kallsyms locations (*have: all of them known). */
static int image_get(armvmi_t *h, const struct armvmi_linux_kernel *k, const void **image,
                     uint64_t *image_len, uint8_t **bufp, struct armvmi_linux_kallsyms_loc *locp,
                     bool *have)
{
    *bufp = NULL;
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
    *have = (v->present & need) == need;
    *locp = loc;
    *image = img;
    *image_len = len;
    *bufp = buf;
    return 0;
}

/* The image and where its kallsyms tables are, as image_get finds them. */
struct image {
    const void *p;
    uint64_t len;
    uint8_t *buf; /* a copy to free, when the image could not be mapped */
    struct armvmi_linux_kallsyms_loc loc;
    bool have_loc;
};

static int image_open(armvmi_t *h, const struct armvmi_linux_kernel *k, struct image *im)
{
    if (!h || !k)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
    return image_get(h, k, &im->p, &im->len, &im->buf, &im->loc, &im->have_loc);
}

int armvmi_linux_syms_open(armvmi_t *h, const struct armvmi_linux_kernel *k, unsigned flags,
                           armvmi_linux_syms_t **out)
{
    struct image im;
    if (!out)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel symbols: NULL argument.");
    *out = NULL;
    int rc = image_open(h, k, &im);
    if (!rc) {
        rc = armvmi_linux_syms_from_image(im.p, (size_t)im.len, k->stext.value,
                                          im.have_loc ? &im.loc : NULL, k, flags, out);
        free(im.buf);
    }
    return rc;
}

int armvmi_linux_syms_find(armvmi_t *h, const struct armvmi_linux_kernel *k, unsigned flags,
                           const char *const *names, size_t n, struct armvmi_linux_sym *out)
{
    struct image im;
    int rc = image_open(h, k, &im);
    if (rc)
        return rc;
    rc = armvmi_linux_syms_find_in_image(im.p, (size_t)im.len, k->stext.value,
                                         im.have_loc ? &im.loc : NULL, k, flags, names, n, out);
    free(im.buf);
    return rc;
}
