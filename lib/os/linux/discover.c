/* SPDX-License-Identifier: MIT */
/* discover.c — find an arm64 Linux kernel from VMCOREINFO in guest RAM, with no profile. */
#include <stdlib.h>
#include <string.h>

#include "linux_priv.h"

#define SCAN_STEP 4096ull       /* every granule's pages are 4 KiB aligned */
#define SCAN_CHUNK (1ull << 20) /* bytes read at once when the target cannot map */
#define HIT_READ 16384ull       /* bytes of a hit parsed (VMCOREINFO_BYTES is one page) */
#define PAGE_MARK "OSRELEASE="

/* Arm ARM D19.2.139 (TCR_EL1) */
#define TCR_T1SZ_SHIFT 16
#define TCR_EPD0 (1ull << 7)
#define TCR_TG1_16K (1ull << 30)
#define TCR_TG1_4K (2ull << 30)
#define TCR_TG1_64K (3ull << 30)
#define TCR_IPS_SHIFT 32
#define TCR_IPS_48 5ull
#define TCR_IPS_52 6ull
#define TCR_DS (1ull << 59)
#define TTBR_BADDR_MASK 0x0000fffffffffffeull /* ASID [63:48] and CnP [0] off */
#define PSTATE_EL(p) (((p) >> 2) & 3)
#define HCR_E2H (1ull << 34) /* Arm ARM D19.2.48 */

/* struct new_utsname: six fields of __NEW_UTS_LEN + 1 bytes; release is the third. */
#define UTS_FIELD 65
#define UTS_RELEASE_OFF (2 * UTS_FIELD)

static int tt_from(uint64_t root_pa, unsigned t1sz, uint64_t page_size,
                   struct armvmi_tt_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    uint64_t tg1;
    switch (page_size) {
    case 4096:
        tg1 = TCR_TG1_4K;
        break;
    case 16384:
        tg1 = TCR_TG1_16K;
        break;
    case 65536:
        tg1 = TCR_TG1_64K;
        break;
    default:
        return -1;
    }
    if (t1sz < 12 || t1sz > 28)
        return -1;
    cfg->regime = ARMVMI_REGIME_EL10;
    uint64_t ips = TCR_IPS_48;
    cfg->pa_bits = 48;
    if (t1sz < 16) { /* 52-bit VAs: LPA2 (DS) with 4K/16K, FEAT_LVA with 64K */
        if (page_size == 65536) {
            cfg->features = ARMVMI_FEAT_LVA;
        } else {
            tg1 |= TCR_DS;
            ips = TCR_IPS_52;
            cfg->features = ARMVMI_FEAT_LPA2;
            cfg->pa_bits = 52;
        }
    }
    cfg->tcr = (uint64_t)t1sz << TCR_T1SZ_SHIFT | tg1 | TCR_EPD0 | ips << TCR_IPS_SHIFT;
    cfg->ttbr1 = root_pa;
    return 0;
}

static unsigned vmci_t1sz(const struct armvmi_linux_vmcoreinfo *v)
{
    if (v->present & (1u << ARMVMI_VMCI_TCR_EL1_T1SZ))
        return (unsigned)v->val[ARMVMI_VMCI_TCR_EL1_T1SZ];
    return 64u - (unsigned)v->val[ARMVMI_VMCI_VA_BITS];
}

static bool has(const struct armvmi_linux_vmcoreinfo *v, int key)
{
    return (v->present >> key) & 1u;
}

/* Does the copy v describe the memory of h? 1 if its own tables confirm it, else 0. */
static int validate(armvmi_t *h, const struct armvmi_linux_vmcoreinfo *v)
{
    uint64_t kv = v->val[ARMVMI_VMCI_KIMAGE_VOFFSET];
    uint64_t root = v->val[ARMVMI_VMCI_SYM_SWAPPER_PG_DIR] - kv;
    uint64_t probe;
    if (armvmi_read_pa(h, root, &probe, sizeof(probe)))
        return 0;
    struct armvmi_tt_config cfg;
    if (tt_from(root, vmci_t1sz(v), v->val[ARMVMI_VMCI_PAGESIZE], &cfg))
        return 0;
    if (has(v, ARMVMI_VMCI_SYM_INIT_UTS_NS)) {
        unsigned char uts[8 + 3 * UTS_FIELD];
        if (armvmi_read_va(h, &cfg, v->val[ARMVMI_VMCI_SYM_INIT_UTS_NS], uts, sizeof(uts)))
            return 0;
        /* the name is the first member since 5.11; a kref (4 bytes, padded) came before */
        for (size_t off = 0; off <= 8; off += 4) {
            if (memcmp(uts + off, "Linux", 6) != 0)
                continue;
            const char *rel = (const char *)uts + off + UTS_RELEASE_OFF;
            return strnlen(rel, UTS_FIELD) < UTS_FIELD && strcmp(rel, v->osrelease) == 0;
        }
        return 0;
    }
    if (has(v, ARMVMI_VMCI_SYM_STEXT)) {
        uint64_t pa;
        if (armvmi_va_to_pa(h, &cfg, v->val[ARMVMI_VMCI_SYM_STEXT], &pa))
            return 0;
        return pa == v->val[ARMVMI_VMCI_SYM_STEXT] - kv;
    }
    return 0;
}

struct scan {
    armvmi_t *h;
    struct armvmi_linux_kernel *k;
    struct armvmi_linux_vmcoreinfo best;
    int best_score; /* -1 none, 0 parsed, 1 validated */
    bool first;     /* stop at the first validated copy */
    char *buf;
};

static void consider(struct scan *s, uint64_t pa, uint64_t avail)
{
    struct armvmi_linux_kernel *k = s->k;
    size_t n = avail < HIT_READ ? (size_t)avail : (size_t)HIT_READ;
    if (armvmi_read_pa(s->h, pa, s->buf, n)) { /* the next page may not be RAM: one page */
        n = avail < SCAN_STEP ? (size_t)avail : (size_t)SCAN_STEP;
        if (armvmi_read_pa(s->h, pa, s->buf, n))
            return;
    }
    const void *text = s->buf;
    size_t tlen = n;
    bool note = armvmi_linux_vmcoreinfo_note(s->buf, n, &text, &tlen) == 0;
    if (!note && (n < sizeof(PAGE_MARK) - 1 || memcmp(s->buf, PAGE_MARK, sizeof(PAGE_MARK) - 1)))
        return;
    unsigned idx = k->nhits++;
    struct armvmi_linux_vmcoreinfo v;
    bool parsed = armvmi_linux_vmcoreinfo_parse(text, tlen, &v) == 0;
    int score = parsed ? validate(s->h, &v) : -1;
    if (idx < ARMVMI_LINUX_MAX_HITS)
        k->hits[idx] = (struct armvmi_linux_hit){
            .pa = pa, .note = note, .parsed = parsed, .validated = score == 1};
    if (score > s->best_score) {
        s->best = v;
        s->best_score = score;
        k->chosen = idx < ARMVMI_LINUX_MAX_HITS ? (int)idx : -1;
    }
}

static bool maybe_hit(const unsigned char *p)
{
    /* the page form, or the note header: namesz 11, then "VMCOREINFO" at +12 */
    return memcmp(p, PAGE_MARK, sizeof(PAGE_MARK) - 1) == 0 ||
           (p[0] == 11 && p[1] == 0 && p[2] == 0 && p[3] == 0 &&
            memcmp(p + 12, "VMCOREINFO", 10) == 0);
}

/* The first validated copy is the one a full scan chooses (a later one never scores higher). */
static bool done(const struct scan *s)
{
    return s->first && s->best_score == 1;
}

static int scan_range(struct scan *s, uint64_t base, uint64_t size)
{
    uint64_t start = (base + SCAN_STEP - 1) & ~(SCAN_STEP - 1);
    if (start >= base + size)
        return 0;
    uint64_t len = (base + size - start) & ~(SCAN_STEP - 1);
    s->k->scanned += len;
    s->k->scanned_ranges++;
    const unsigned char *m = len <= SIZE_MAX ? armvmi_map_pa(s->h, start, (size_t)len) : NULL;
    if (m) {
        for (uint64_t off = 0; off < len && !done(s); off += SCAN_STEP)
            if (maybe_hit(m + off)) {
                consider(s, start + off, base + size - (start + off));
                if (done(s))
                    s->k->scanned -= len - off - SCAN_STEP;
            }
        return 0;
    }
    unsigned char *chunk = malloc(SCAN_CHUNK);
    if (!chunk)
        return armvmi_set_error(ARMVMI_ENOMEM, "kernel discovery: out of memory.");
    for (uint64_t c = 0; c < len && !done(s); c += SCAN_CHUNK) {
        size_t n = len - c < SCAN_CHUNK ? (size_t)(len - c) : (size_t)SCAN_CHUNK;
        if (armvmi_read_pa(s->h, start + c, chunk, n))
            continue; /* a hole or a failing page: scan the rest */
        for (size_t off = 0; off < n && !done(s); off += SCAN_STEP)
            if (maybe_hit(chunk + off)) {
                consider(s, start + c + off, base + size - (start + c + off));
                if (done(s))
                    s->k->scanned -= len - c - off - SCAN_STEP;
            }
    }
    free(chunk);
    return 0;
}

static void from_vmci(struct armvmi_linux_fact *f, const struct armvmi_linux_vmcoreinfo *v, int key,
                      const char *src)
{
    if (has(v, key))
        linux_fact(f, v->val[key], src);
}

/* Compare TTBR1_EL1 of vCPU 0 with the discovered root, when the target has registers. */
static void check_regs(armvmi_t *h, const struct armvmi_info *in, struct armvmi_linux_kernel *k)
{
    k->ttbr1_check = "";
    if (!(in->caps & ARMVMI_CAP_SYSREGS) || in->vcpus == 0)
        return;
    if (in->caps & ARMVMI_CAP_PAUSE) {
        bool paused = false;
        if (armvmi_is_paused(h, &paused) || !paused)
            return;
    }
    struct armvmi_regs r;
    if (armvmi_get_regs(h, 0, &r))
        return;
    /* a kernel with VHE runs at EL2 on the EL2&0 regime: its tables are in TTBR1_EL2 */
    bool vhe = armvmi_reg_valid(&r, ARMVMI_REG_PSTATE) &&
               PSTATE_EL(r.regs[ARMVMI_REG_PSTATE]) == 2 &&
               armvmi_reg_valid(&r, ARMVMI_REG_HCR_EL2) && (r.regs[ARMVMI_REG_HCR_EL2] & HCR_E2H);
    enum armvmi_reg reg = vhe ? ARMVMI_REG_TTBR1_EL2 : ARMVMI_REG_TTBR1_EL1;
    if (!armvmi_reg_valid(&r, reg))
        return;
    uint64_t ttbr1 = r.regs[reg] & TTBR_BADDR_MASK;
    linux_fact(&k->ttbr1, ttbr1, vhe ? "TTBR1_EL2 of vCPU 0 (VHE)" : "TTBR1_EL1 of vCPU 0");
    if (!k->swapper_pg_dir_pa.known)
        k->ttbr1_check = "not compared";
    else if (ttbr1 == k->swapper_pg_dir_pa.value)
        k->ttbr1_check = "agrees";
    else if (armvmi_reg_valid(&r, ARMVMI_REG_PSTATE) && PSTATE_EL(r.regs[ARMVMI_REG_PSTATE]) == 0)
        k->ttbr1_check = "trampoline (vCPU at EL0 with KPTI)";
    else
        k->ttbr1_check = "differs";
}

int armvmi_linux_discover(armvmi_t *h, struct armvmi_linux_kernel *k)
{
    return armvmi_linux_discover_flags(h, k, 0);
}

int armvmi_linux_discover_flags(armvmi_t *h, struct armvmi_linux_kernel *k, unsigned flags)
{
    if (!h || !k)
        return armvmi_set_error(ARMVMI_EINVAL, "kernel discovery: NULL argument.");
    memset(k, 0, sizeof(*k));
    k->chosen = -1;
    struct armvmi_info in;
    int rc = armvmi_get_info(h, &in);
    if (rc)
        return rc;
    struct scan s = {.h = h,
                     .k = k,
                     .best_score = -1,
                     .first = flags & ARMVMI_LINUX_DISCOVER_FIRST,
                     .buf = malloc(HIT_READ)};
    if (!s.buf)
        return armvmi_set_error(ARMVMI_ENOMEM, "kernel discovery: out of memory.");
    for (unsigned i = 0; i < in.nranges && i < ARMVMI_MAX_RAM_RANGES && !done(&s); i++) {
        rc = scan_range(&s, in.ranges[i].base, in.ranges[i].size);
        if (rc)
            break;
    }
    free(s.buf);
    if (rc)
        return rc;
    if (s.best_score < 0) {
        /* No VMCOREINFO: a vCPU in the kernel and the kernel's banner, if the target has
         * registers; the message says what was missing. */
        unsigned nhits = k->nhits;
        uint64_t scanned = k->scanned;
        rc = linux_discover_from_regs(h, &in, k);
        if (rc)
            return armvmi_set_error(-rc,
                                    "%s (no usable VMCOREINFO in %llu MiB of RAM: %u candidate "
                                    "page(s) at 4 KiB steps)",
                                    armvmi_errmsg(), (unsigned long long)(scanned >> 20), nhits);
        return rc;
    }
    const struct armvmi_linux_vmcoreinfo *v = &s.best;
    k->vmcoreinfo = *v;
    memcpy(k->release, v->osrelease, sizeof(k->release));
    k->release_source = s.best_score == 1
                            ? "VMCOREINFO OSRELEASE, equal to init_uts_ns through swapper_pg_dir"
                            : "VMCOREINFO OSRELEASE (unvalidated: no copy's tables confirmed it)";
    if (s.best_score == 1 && !has(v, ARMVMI_VMCI_SYM_INIT_UTS_NS))
        k->release_source = "VMCOREINFO OSRELEASE (its tables map _stext as it states)";
    if (has(v, ARMVMI_VMCI_KERNELOFFSET))
        linux_fact(&k->kaslr_offset, v->val[ARMVMI_VMCI_KERNELOFFSET], "VMCOREINFO KERNELOFFSET");
    else
        linux_fact(&k->kaslr_offset, 0,
                   "no KERNELOFFSET in VMCOREINFO (KASLR off or not reported)");
    uint64_t kv = v->val[ARMVMI_VMCI_KIMAGE_VOFFSET];
    linux_fact(&k->kimage_voffset, kv, "VMCOREINFO NUMBER(kimage_voffset)");
    from_vmci(&k->phys_offset, v, ARMVMI_VMCI_PHYS_OFFSET, "VMCOREINFO NUMBER(PHYS_OFFSET)");
    unsigned vb = (unsigned)v->val[ARMVMI_VMCI_VA_BITS];
    linux_fact(&k->va_bits, vb, "VMCOREINFO NUMBER(VA_BITS)");
    linux_fact(&k->page_offset, (uint64_t)0 - (1ull << vb),
               "derived: -(1 << VA_BITS) (Linux 5.10+)");
    linux_fact(&k->page_size, v->val[ARMVMI_VMCI_PAGESIZE], "VMCOREINFO PAGESIZE");
    linux_fact(&k->t1sz, vmci_t1sz(v),
               has(v, ARMVMI_VMCI_TCR_EL1_T1SZ) ? "VMCOREINFO NUMBER(TCR_EL1_T1SZ)"
                                                : "derived: 64 - VA_BITS");
    from_vmci(&k->swapper_pg_dir, v, ARMVMI_VMCI_SYM_SWAPPER_PG_DIR,
              "VMCOREINFO SYMBOL(swapper_pg_dir)");
    linux_fact(&k->swapper_pg_dir_pa, k->swapper_pg_dir.value - kv,
               "derived: SYMBOL(swapper_pg_dir) - kimage_voffset");
    from_vmci(&k->stext, v, ARMVMI_VMCI_SYM_STEXT, "VMCOREINFO SYMBOL(_stext)");
    if (k->stext.known)
        linux_fact(&k->stext_pa, k->stext.value - kv, "derived: SYMBOL(_stext) - kimage_voffset");
    from_vmci(&k->init_uts_ns, v, ARMVMI_VMCI_SYM_INIT_UTS_NS, "VMCOREINFO SYMBOL(init_uts_ns)");
    from_vmci(&k->modules_start, v, ARMVMI_VMCI_MODULES_VADDR, "VMCOREINFO NUMBER(MODULES_VADDR)");
    from_vmci(&k->modules_end, v, ARMVMI_VMCI_MODULES_END, "VMCOREINFO NUMBER(MODULES_END)");
    from_vmci(&k->vmalloc_start, v, ARMVMI_VMCI_VMALLOC_START, "VMCOREINFO NUMBER(VMALLOC_START)");
    from_vmci(&k->vmalloc_end, v, ARMVMI_VMCI_VMALLOC_END, "VMCOREINFO NUMBER(VMALLOC_END)");
    from_vmci(&k->vmemmap_start, v, ARMVMI_VMCI_VMEMMAP_START, "VMCOREINFO NUMBER(VMEMMAP_START)");
    from_vmci(&k->vmemmap_end, v, ARMVMI_VMCI_VMEMMAP_END, "VMCOREINFO NUMBER(VMEMMAP_END)");
    check_regs(h, &in, k);
    return 0;
}

int armvmi_linux_kernel_ttconfig(const struct armvmi_linux_kernel *k, struct armvmi_tt_config *cfg)
{
    if (!k || !cfg || !k->swapper_pg_dir_pa.known || !k->page_size.known || !k->t1sz.known)
        return armvmi_set_error(ARMVMI_EINVAL,
                                "no kernel translation configuration: discovery found no "
                                "swapper_pg_dir, page size or VA size.");
    if (tt_from(k->swapper_pg_dir_pa.value, (unsigned)k->t1sz.value, k->page_size.value, cfg))
        return armvmi_set_error(
            ARMVMI_EINVAL, "the discovered page size %llu or T1SZ %llu is not supported.",
            (unsigned long long)k->page_size.value, (unsigned long long)k->t1sz.value);
    return 0;
}
