/* SPDX-License-Identifier: MIT */
/* discover_regs.c — find an arm64 kernel without VMCOREINFO: a vCPU's registers and the banner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_priv.h"

#define PSTATE_EL(p) (((p) >> 2) & 3)
#define HCR_E2H (1ull << 34)                  /* Arm ARM D19.2.48 */
#define TTBR_BADDR_MASK 0x0000fffffffffffeull /* ASID [63:48] and CnP [0] off */
#define TCR_T1SZ(t) (((t) >> 16) & 63)        /* Arm ARM D19.2.139 */
#define TCR_TG1(t) (((t) >> 30) & 3)
#define BANNER "Linux version "
#define BANNER_SPAN (64ull << 20) /* bytes of the image searched from the vectors on */
#define BANNER_CHUNK (1ull << 20)

/* The vCPU's kernel context: at EL1 (EL1&0) or at EL2 with VHE (EL2&0), never at EL0, where a
 * KPTI kernel's TTBR1 holds the trampoline tables and VBAR the trampoline vectors. */
static int kernel_vcpu(armvmi_t *h, const struct armvmi_info *in, struct armvmi_tt_config *ctx,
                       uint64_t *vbar, unsigned *which)
{
    for (unsigned v = 0; v < in->vcpus; v++) {
        struct armvmi_regs r;
        if (armvmi_get_regs(h, v, &r) || !armvmi_reg_valid(&r, ARMVMI_REG_PSTATE))
            continue;
        unsigned el = PSTATE_EL(r.regs[ARMVMI_REG_PSTATE]);
        bool vhe = el == 2 && armvmi_reg_valid(&r, ARMVMI_REG_HCR_EL2) &&
                   (r.regs[ARMVMI_REG_HCR_EL2] & HCR_E2H);
        if (el != 1 && !vhe)
            continue;
        enum armvmi_reg vb = vhe ? ARMVMI_REG_VBAR_EL2 : ARMVMI_REG_VBAR_EL1;
        if (!armvmi_reg_valid(&r, vb) || armvmi_vactx_from_vcpu(h, v, -1, ctx))
            continue;
        *vbar = r.regs[vb];
        *which = v;
        return 0;
    }
    return armvmi_set_error(ARMVMI_ENOENT,
                            "no VMCOREINFO in RAM, and no vCPU is in the kernel (at EL1, or at "
                            "EL2 with VHE) to read its registers: pause the VM again, or use a "
                            "kernel with crash-dump support (CONFIG_CRASH_CORE).");
}

struct linmap {
    uint64_t lo, hi; /* the linear map's half of the kernel VA space */
    uint64_t va, pa;
    bool found;
};

static int first_linear(void *arg, const struct armvmi_range *r)
{
    struct linmap *m = arg;
    if (r->va < m->lo || r->va > m->hi)
        return 0;
    m->va = r->va;
    m->pa = r->pa;
    m->found = true;
    return 1;
}

/* "Linux version X (...": the release X, printable, shorter than the uts field. */
static bool banner_release(const char *p, size_t avail, char *rel)
{
    size_t n = sizeof(BANNER) - 1, i = 0;
    if (avail < n + 2 || memcmp(p, BANNER, n) != 0)
        return false;
    for (p += n, avail -= n; i < avail && i < ARMVMI_LINUX_RELEASE_MAX - 1; i++) {
        if (p[i] == ' ')
            break;
        if (p[i] < 0x21 || p[i] > 0x7e)
            return false;
    }
    if (i == 0 || i >= avail || p[i] != ' ' || i >= ARMVMI_LINUX_RELEASE_MAX - 1)
        return false;
    memcpy(rel, p, i);
    rel[i] = 0;
    return true;
}

/* linux_banner lies in the image's read-only data, after the text (and the vectors); the log
 * buffer, which repeats it, lies further on in .bss. The first banner whose VA (PA +
 * kimage_voffset) maps back to it through the kernel's tables is the kernel's own. */
static int find_banner(armvmi_t *h, const struct armvmi_tt_config *ctx, uint64_t from, uint64_t kv,
                       struct armvmi_linux_kernel *k)
{
    char *buf = malloc(BANNER_CHUNK + 128);
    if (!buf)
        return armvmi_set_error(ARMVMI_ENOMEM, "kernel discovery: out of memory.");
    int rc = ARMVMI_ENOENT;
    for (uint64_t off = 0; off < BANNER_SPAN && rc == ARMVMI_ENOENT; off += BANNER_CHUNK) {
        uint64_t pa = from + off;
        size_t n = BANNER_CHUNK + 128;
        if (armvmi_read_pa(h, pa, buf, n)) {
            n = BANNER_CHUNK;
            if (armvmi_read_pa(h, pa, buf, n))
                break; /* the end of RAM */
        }
        for (char *p = buf; (p = memmem(p, n - (size_t)(p - buf), BANNER, sizeof(BANNER) - 1));
             p++) {
            if ((size_t)(p - buf) >= BANNER_CHUNK)
                break; /* the next chunk starts there */
            char rel[ARMVMI_LINUX_RELEASE_MAX];
            uint64_t at = pa + (uint64_t)(p - buf), back;
            if (!banner_release(p, n - (size_t)(p - buf), rel) ||
                armvmi_va_to_pa(h, ctx, at + kv, &back) || back != at)
                continue;
            memcpy(k->release, rel, sizeof(k->release));
            k->release_source = "linux_banner in the kernel image (no VMCOREINFO)";
            rc = 0;
            break;
        }
    }
    free(buf);
    if (rc == ARMVMI_ENOENT)
        return armvmi_set_error(ARMVMI_ENOENT,
                                "no VMCOREINFO in RAM, and no \"Linux version\" banner in the "
                                "%llu MiB of the kernel image after its vectors.",
                                (unsigned long long)(BANNER_SPAN >> 20));
    return rc;
}

int linux_discover_from_regs(armvmi_t *h, const struct armvmi_info *in,
                             struct armvmi_linux_kernel *k)
{
    if (!(in->caps & ARMVMI_CAP_SYSREGS) || in->vcpus == 0)
        return armvmi_set_error(ARMVMI_ENOENT,
                                "no VMCOREINFO in RAM and no vCPU registers in this target (a raw "
                                "image): nothing says where the kernel is. Use a dump with "
                                "registers, or a kernel with crash-dump support.");
    if (in->caps & ARMVMI_CAP_PAUSE) {
        bool paused = false;
        if (armvmi_is_paused(h, &paused) || !paused)
            return armvmi_set_error(ARMVMI_ENOENT,
                                    "no VMCOREINFO in RAM, and the VM runs: pause it so that "
                                    "the kernel can be found from a vCPU's registers.");
    }
    struct armvmi_tt_config ctx;
    uint64_t vbar = 0, vbar_pa;
    unsigned v = 0;
    int rc = kernel_vcpu(h, in, &ctx, &vbar, &v);
    if (rc)
        return rc;
    if (!(vbar >> 63) || armvmi_va_to_pa(h, &ctx, vbar, &vbar_pa))
        return armvmi_set_error(ARMVMI_ENOENT,
                                "no VMCOREINFO in RAM, and vCPU %u's vector base 0x%llx does not "
                                "map to RAM through its own tables: not a Linux kernel?",
                                v, (unsigned long long)vbar);
    uint64_t kv = vbar - vbar_pa;
    linux_fact(&k->kimage_voffset, kv, "derived: VBAR - PA(VBAR) (the vectors are in the image)");
    unsigned t1sz = (unsigned)TCR_T1SZ(ctx.tcr);
    static const uint64_t tg1_size[4] = {0, 16384, 4096, 65536};
    if (!tg1_size[TCR_TG1(ctx.tcr)] || t1sz < 12 || t1sz > 28)
        return armvmi_set_error(ARMVMI_EFORMAT, "vCPU %u's TCR 0x%llx is not a Linux kernel's.", v,
                                (unsigned long long)ctx.tcr);
    linux_fact(&k->page_size, tg1_size[TCR_TG1(ctx.tcr)], "vCPU registers: TCR TG1");
    linux_fact(&k->t1sz, t1sz, "vCPU registers: TCR T1SZ");
    linux_fact(&k->va_bits, 64 - t1sz, "derived: 64 - T1SZ (the VA size in use)");
    uint64_t root = ctx.ttbr1 & TTBR_BADDR_MASK;
    linux_fact(&k->swapper_pg_dir_pa, root, "vCPU registers: TTBR1 (in the kernel)");
    linux_fact(&k->swapper_pg_dir, root + kv, "derived: TTBR1 + kimage_voffset");
    linux_fact(&k->ttbr1, root, "TTBR1 of the vCPU in the kernel");
    k->ttbr1_check = "agrees";
    /* The linear map covers the lower half of the kernel VA space: VA = PA - PHYS_OFFSET +
     * PAGE_OFFSET for every page of it (arch/arm64/include/asm/memory.h __phys_to_virt). */
    uint64_t page_offset = (uint64_t)0 - (1ull << (64 - t1sz));
    struct linmap m = {.lo = page_offset, .hi = page_offset + (1ull << (63 - t1sz)) - 1};
    struct armvmi_tt_config kctx = ctx;
    kctx.tcr |= 1ull << 7; /* EPD0: the kernel's half only */
    armvmi_va_ranges(h, &kctx, 4096, first_linear, &m, NULL);
    linux_fact(&k->page_offset, page_offset, "derived: -(1 << VA bits in use)");
    if (m.found)
        linux_fact(&k->phys_offset, m.pa - (m.va - page_offset),
                   "derived: the linear map's first page (PA - (VA - PAGE_OFFSET))");
    return find_banner(h, &ctx, vbar_pa & ~0x1fffffull, kv, k);
}
