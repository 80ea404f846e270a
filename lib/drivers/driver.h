/* SPDX-License-Identifier: MIT */
/* driver.h — the one interface between lib/core and the drivers that provide guest state. */
#ifndef ARMVMI_DRIVER_H
#define ARMVMI_DRIVER_H

#include <stdatomic.h>

#include <armvmi/armvmi.h>

/*
 * A driver fills the handle's region table with host mappings of guest RAM wherever it can
 * (raw and ELF files and QEMU's shared RAM file are all mmap'd), so physical reads, writes,
 * batches and zero-copy maps are done once, in lib/core, for every driver. A driver that
 * cannot map (e.g. a remote target) leaves host NULL and provides read_pa/write_pa instead.
 */
struct armvmi_region {
    uint64_t base;
    uint64_t size;
    uint8_t *host; /* mapping of [base, base+size), or NULL */
    bool writable; /* host mapping is shared and writable */
    int guard;     /* lib/core/mapguard.c slot of the file mapping under host, or 0 */
};

struct armvmi;

struct armvmi_driver_ops {
    const char *name;
    /* All optional: a NULL entry means ARMVMI_ENOTSUP. */
    int (*read_pa)(struct armvmi *h, uint64_t pa, void *buf, size_t len);
    int (*write_pa)(struct armvmi *h, uint64_t pa, const void *buf, size_t len);
    int (*get_regs)(struct armvmi *h, unsigned vcpu, struct armvmi_regs *out);
    int (*set_reg)(struct armvmi *h, unsigned vcpu, enum armvmi_reg r, uint64_t value);
    int (*pause)(struct armvmi *h); /* stop vCPUs; sets *was_running */
    int (*resume)(struct armvmi *h);
    int (*is_paused)(struct armvmi *h, bool *paused);
    void (*close)(struct armvmi *h);            /* release priv and unmap regions */
    int (*doorbell)(struct armvmi *h, int *fd); /* armvmi_hyp_doorbell */
};

struct armvmi {
    const struct armvmi_driver_ops *ops;
    void *priv;
    char *target;
    uint32_t caps;
    unsigned vcpus;
    unsigned nregions;
    struct armvmi_region regions[ARMVMI_MAX_RAM_RANGES];
    uint64_t carve_base, carve_size; /* the armvmi hypervisor's carve-out, if under it */
    /* pause nesting, managed by lib/core */
    unsigned pause_depth;
    bool resume_on_last;
    /* translation cache (lib/core/vmem.c), allocated on first use */
    struct armvmi_tlb *tlb;
};

/* lib/core/vmem.c: drop cached translations; free the cache */
void armvmi_tlb_flush(struct armvmi *h);
void armvmi_tlb_free(struct armvmi *h);

/* Driver constructors: fill h (ops, priv, caps, vcpus, regions) or fail with a message. */
int armvmi_qemu_open(struct armvmi *h, const char *rundir);
int armvmi_elf_open(struct armvmi *h, const char *path);
int armvmi_raw_open(struct armvmi *h, const char *path, uint64_t base);

/* lib/drivers/registry.c: open spec with the driver that recognises it (fills h). */
int armvmi_driver_open(struct armvmi *h, const char *spec);

/* Record a message for armvmi_errmsg() and return -code. printf-style. */
#define armvmi_fail armvmi_set_error /* the library's own short name for the public call */

/* Find the region holding [pa, pa+len) entirely, or NULL. */
/*
 * lib/core/mapguard.c: a SIGBUS from touching a mapped file that another process truncated
 * is caught for registered mappings. add: a guard id for regions[].guard (0 if the table is
 * full: unguarded; writable: the mapping's protection); remove: before munmap; broken: a fault
 * happened inside the mapping since it was added (the page now reads as zeros; report ARMVMI_EIO).
 */
int armvmi_mapguard_add(void *base, size_t len, bool writable);
void armvmi_mapguard_remove(int guard);
bool armvmi_mapguard_broken(int guard);
extern atomic_int armvmi_mapguard_faults; /* faults caught in any guarded mapping, ever */

/* Whether the region's file was truncated under it: one relaxed load while nothing was. */
static inline bool armvmi_region_gone(const struct armvmi_region *r)
{
    return atomic_load_explicit(&armvmi_mapguard_faults, memory_order_relaxed) && r->guard &&
           armvmi_mapguard_broken(r->guard);
}

const struct armvmi_region *armvmi_region_find(const struct armvmi *h, uint64_t pa, size_t len);

#endif
