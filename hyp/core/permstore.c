/* SPDX-License-Identifier: MIT */
/* The permission store: per guest frame the ARMVMI_ACC_* value the monitor asked for, in a
 * per-2MiB directory (a uniform value, or a leaf of 512 per-frame values), apart from the
 * stage-2 descriptors, whose few software bits cannot hold it. */
#include <armvmi/abi.h>
#include <hyp/boot.h>
#include <hyp/console.h>
#include <hyp/permstore.h>
#include <hyp/spinlock.h>
#include <hyp/stage2.h>
#include <hyp/sysreg.h>

#define FRAMES_PER_REGION 512
#define MAX_RAM (4UL << 30) /* the EL2 identity map covers the low 4 GiB */
#define MAX_REGIONS (MAX_RAM / SZ_2M)
#define MAX_LEAVES MAX_REGIONS
/* Directory entries: a value below DIR_LEAF is the uniform ARMVMI_ACC_* of the whole region;
 * DIR_LEAF + i points at leaf i. */
#define DIR_LEAF 0x10
/* Above this many changed frames a whole-VMID flush is cheaper than TLBI by IPA. */
#define TLBI_BY_IPA_MAX 64

static u16 dir[PERM_VIEWS][MAX_REGIONS];
static u8 leaves[MAX_LEAVES][FRAMES_PER_REGION];
static u16 leaf_free[MAX_LEAVES];
static unsigned leaf_nfree;
static u64 first_frame, nframes;
static spinlock_t store_lock;

void permstore_init(void)
{
    u64 ram = bootinfo->ram_size;

    if (ram > MAX_RAM || (bootinfo->ram_base & (SZ_2M - 1)))
        hyp_panic("permission store: RAM 0x%lx+0x%lx: at most 4 GiB, 2 MiB aligned",
                  (u64)bootinfo->ram_base, ram);
    first_frame = bootinfo->ram_base >> 12;
    nframes = ram >> 12;
    for (unsigned v = 0; v < PERM_VIEWS; v++)
        for (unsigned i = 0; i < MAX_REGIONS; i++)
            dir[v][i] = ARMVMI_ACC_RWX;
    leaf_nfree = MAX_LEAVES;
    for (unsigned i = 0; i < MAX_LEAVES; i++)
        leaf_free[i] = (u16)(MAX_LEAVES - 1 - i);
}

bool permstore_range_ok(u64 frame, u64 n)
{
    if (n == 0 || frame < first_frame || frame - first_frame >= nframes ||
        n > nframes - (frame - first_frame))
        return false;
    /* the carve-out: one range, checked by its ends */
    u64 cb = bootinfo->carve_base >> 12, ce = (bootinfo->carve_base + bootinfo->carve_size) >> 12;
    return frame + n <= cb || frame >= ce;
}

unsigned permstore_hw_rights(unsigned acc)
{
    if (acc == ARMVMI_ACC_RX2RW)
        return ARMVMI_ACC_R | ARMVMI_ACC_X;
    if (acc == ARMVMI_ACC_N2RWX)
        return ARMVMI_ACC_N;
    return acc & ARMVMI_ACC_RWX;
}

static unsigned get_locked(unsigned view, u64 frame)
{
    u64 rel = frame - first_frame;
    u16 d = dir[view][rel / FRAMES_PER_REGION];

    return d < DIR_LEAF ? d : leaves[d - DIR_LEAF][rel % FRAMES_PER_REGION];
}

unsigned permstore_get(unsigned view, u64 frame)
{
    unsigned acc;

    if (view >= PERM_VIEWS || !permstore_range_ok(frame, 1))
        return ARMVMI_ACC_RWX;
    spin_lock(&store_lock);
    acc = get_locked(view, frame);
    spin_unlock(&store_lock);
    return acc;
}

static bool apply(u64 frame, unsigned acc)
{
    unsigned hw = permstore_hw_rights(acc);

    return stage2_set_perm(frame << 12, hw & ARMVMI_ACC_R, hw & ARMVMI_ACC_W, hw & ARMVMI_ACC_X);
}

/* One frame to acc; returns whether stage 2 changed (a TLBI was issued). */
static bool set_one(u64 *changed, u64 frame, unsigned old, unsigned acc)
{
    if (permstore_hw_rights(old) == permstore_hw_rights(acc))
        return false;
    if (apply(frame, acc))
        (*changed)++;
    return true;
}

u64 permstore_set(unsigned view, u64 frame, u64 n, unsigned acc, u64 max)
{
    u64 done = 0, changed = 0;

    if (view >= PERM_VIEWS || !permstore_range_ok(frame, n) || !permstore_acc_valid(acc))
        return 0;
    spin_lock(&store_lock);
    while (done < n && done < max) {
        u64 f = frame + done, rel = f - first_frame, r = rel / FRAMES_PER_REGION;
        u64 off = rel % FRAMES_PER_REGION, cnt = FRAMES_PER_REGION - off;
        u16 d = dir[view][r];

        if (cnt > n - done)
            cnt = n - done;
        if (off == 0 && cnt == FRAMES_PER_REGION) {
            /* the whole region: uniform */
            for (u64 i = 0; i < cnt; i++)
                set_one(&changed, f + i, d < DIR_LEAF ? d : leaves[d - DIR_LEAF][i], acc);
            if (d >= DIR_LEAF)
                leaf_free[leaf_nfree++] = (u16)(d - DIR_LEAF);
            dir[view][r] = (u16)acc;
        } else {
            u8 *leaf;
            bool uniform = true;

            if (d < DIR_LEAF) {
                if (d == acc) {
                    done += cnt;
                    continue;
                }
                if (!leaf_nfree)
                    hyp_panic("permission store: out of leaves"); /* one per region exists */
                leaf = leaves[leaf_free[--leaf_nfree]];
                memset(leaf, (int)d, FRAMES_PER_REGION);
                dir[view][r] = (u16)(DIR_LEAF + (leaf - leaves[0]) / FRAMES_PER_REGION);
            } else {
                leaf = leaves[d - DIR_LEAF];
            }
            for (u64 i = 0; i < cnt; i++) {
                set_one(&changed, f + i, leaf[off + i], acc);
                leaf[off + i] = (u8)acc;
            }
            for (unsigned i = 1; i < FRAMES_PER_REGION && uniform; i++)
                uniform = leaf[i] == leaf[0];
            if (uniform) {
                leaf_free[leaf_nfree++] = (u16)(dir[view][r] - DIR_LEAF);
                dir[view][r] = leaf[0];
            }
        }
        done += cnt;
    }
    if (changed > TLBI_BY_IPA_MAX)
        tlbi_vmalls12e1is();
    else if (changed)
        stage2_tlb_flush();
    spin_unlock(&store_lock);
    return done;
}

void permstore_reapply(unsigned view, u64 frame)
{
    if (view >= PERM_VIEWS || !permstore_range_ok(frame, 1))
        return;
    spin_lock(&store_lock);
    apply(frame, get_locked(view, frame));
    /* the descriptor may not have changed, but a stale TLB entry is why we are here */
    dsb_ishst();
    tlbi_ipas2e1is(frame << 12);
    stage2_tlb_flush();
    spin_unlock(&store_lock);
}

u64 permstore_reset(unsigned view)
{
    u64 had = 0, changed = 0;

    if (view >= PERM_VIEWS)
        return 0;
    spin_lock(&store_lock);
    for (u64 r = 0; r < (nframes + FRAMES_PER_REGION - 1) / FRAMES_PER_REGION; r++) {
        u16 d = dir[view][r];
        u64 f0 = first_frame + r * FRAMES_PER_REGION;

        if (d == ARMVMI_ACC_RWX)
            continue;
        for (u64 i = 0; i < FRAMES_PER_REGION && r * FRAMES_PER_REGION + i < nframes; i++) {
            unsigned old = d < DIR_LEAF ? d : leaves[d - DIR_LEAF][i];
            if (old != ARMVMI_ACC_RWX && permstore_range_ok(f0 + i, 1)) {
                had++;
                set_one(&changed, f0 + i, old, ARMVMI_ACC_RWX);
            }
        }
        if (d >= DIR_LEAF)
            leaf_free[leaf_nfree++] = (u16)(d - DIR_LEAF);
        dir[view][r] = ARMVMI_ACC_RWX;
    }
    tlbi_vmalls12e1is();
    spin_unlock(&store_lock);
    return had;
}
