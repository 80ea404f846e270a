/* SPDX-License-Identifier: MIT */
/* Host-side glue for the hypervisor: guest DTB from QEMU's own, boot blobs, QEMU arguments. */
#include "hyp_host.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <armvmi/abi.h>

#include "drivers/qemu_rundir.h"

#define RAM_BASE 0x40000000ULL
#define SZ_2M 0x200000ULL
#define ALIGN2M(x) (((x) + SZ_2M - 1) & ~(SZ_2M - 1))

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void hyp_carveout(unsigned mem_mib, unsigned long long *base, unsigned long long *size)
{
    *base = ARMVMI_CARVE_BASE;
    *size = ARMVMI_CARVE_SIZE((unsigned long long)mem_mib << 20);
}

static int read_file(const char *path, void **buf, size_t *len, size_t extra)
{
    struct stat st;
    int fd = open(path, O_RDONLY);

    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *len = (size_t)st.st_size;
    *buf = calloc(1, *len + extra);
    if (!*buf || read(fd, *buf, *len) != (ssize_t)*len) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;

    if (f && fclose(f))
        ok = 0;
    return ok ? 0 : -1;
}

static int dump_qemu_dtb(const struct qemu_cmd *base, const char *out, char *err, size_t errlen)
{
    const char *qemu = base->v[0];
    struct qemu_cmd v = {0};
    int status, rc = -1;
    pid_t pid;

    qemu_cmd_init(&v, &(struct qemu_machine){.binary = qemu});
    for (size_t i = 1; i < base->n; i++) {
        const char *a = base->v[i], *next = base->v[i + 1];
        int has_arg = next && next[0] != '-';

        if (a[0] == '-' && qemu_cmd_shapes_machine(a) && has_arg) {
            qemu_cmd_add(&v, "%s", a);
            qemu_cmd_add(&v, "%s", next);
        }
        if (a[0] == '-' && has_arg)
            i++;
    }
    qemu_cmd_add(&v, "-machine");
    qemu_cmd_add(&v, "dumpdtb=%s", out);
    unlink(out);
    pid = fork();
    if (pid < 0) {
        rc = fail(err, errlen, "cannot fork to run %s: %s.", qemu, strerror(errno));
        goto out;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
        }
        alarm(30);
        execvp(v.v[0], v.v);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || access(out, R_OK))
        rc = fail(err, errlen,
                  "%s could not dump its device tree (-machine dumpdtb): check the QEMU options.",
                  qemu);
    else
        rc = 0;
out:
    qemu_cmd_free(&v);
    return rc;
}

static int node_by_compat(void *fdt, const char *compat)
{
    return fdt_node_offset_by_compatible(fdt, -1, compat);
}

/* The virtio-mmio transport the doorbell's console is plugged into: the one at the highest
 * address, which QEMU's virt board gives the first virtio-mmio device of the command line
 * (hw/arm/virt.c create_virtio_devices); hyp_qemu_args plugs the doorbell first. Returns its
 * node, or a negative libfdt error. */
static int doorbell_transport_node(const void *fdt)
{
    uint64_t best_addr = 0;
    int best = -FDT_ERR_NOTFOUND;

    for (int node = node_by_compat((void *)fdt, "virtio,mmio"); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
        int len;
        const fdt64_t *reg = fdt_getprop(fdt, node, "reg", &len);
        if (!reg || len < (int)sizeof(*reg))
            continue;
        if (best < 0 || fdt64_to_cpu(reg[0]) > best_addr) {
            best_addr = fdt64_to_cpu(reg[0]);
            best = node;
        }
    }
    return best;
}

/* Guest DTB: QEMU's own with the carve-out removed from /memory, the ITS (which the
 * hypervisor does not virtualize), fw_cfg (DMA) and the doorbell's virtio-mmio transport hidden,
 * /chosen and psci set for this boot. */
static int make_guest_dtb(const struct hyp_boot *b, const char *in, const char *out,
                          unsigned long long initrd_start, unsigned long long initrd_end, char *err,
                          size_t errlen)
{
    unsigned long long cb, cs, mem = (unsigned long long)b->mem_mib << 20;
    void *fdt = NULL;
    size_t len;
    int node, r = 0, rc = -1;
    char bootargs[4096];
    fdt64_t reg[2];

    hyp_carveout(b->mem_mib, &cb, &cs);
    if (read_file(in, &fdt, &len, 0x10000))
        return fail(err, errlen, "cannot read QEMU's device tree %s: %s.", in, strerror(errno));
    if (fdt_open_into(fdt, fdt, (int)len + 0x10000)) {
        rc = fail(err, errlen, "QEMU's device tree %s is not a valid DTB.", in);
        goto out;
    }
    node = fdt_path_offset(fdt, "/memory@40000000");
    if (node < 0) {
        rc = fail(err, errlen,
                  "QEMU's device tree has no /memory@40000000 node: is this the virt machine?");
        goto out;
    }
    reg[0] = cpu_to_fdt64(cb + cs);
    reg[1] = cpu_to_fdt64(RAM_BASE + mem - (cb + cs));
    r |= fdt_setprop(fdt, node, "reg", reg, sizeof(reg));
    node = fdt_path_offset(fdt, "/chosen");
    if (node < 0)
        node = fdt_add_subnode(fdt, 0, "chosen");
    snprintf(bootargs, sizeof(bootargs), "console=ttyAMA0 panic=-1%s%s", b->append ? " " : "",
             b->append ? b->append : "");
    r |= fdt_setprop_string(fdt, node, "bootargs", bootargs);
    r |= fdt_setprop_u64(fdt, node, "linux,initrd-start", initrd_start);
    r |= fdt_setprop_u64(fdt, node, "linux,initrd-end", initrd_end);
    /* PSCI conduit: SMC (trapped by HCR_EL2.TSC) unless ARMVMI_HYP_PSCI=hvc; both work. */
    node = fdt_path_offset(fdt, "/psci");
    if (node >= 0)
        r |= fdt_setprop_string(
            fdt, node, "method",
            getenv("ARMVMI_HYP_PSCI") && !strcmp(getenv("ARMVMI_HYP_PSCI"), "hvc") ? "hvc" : "smc");
    /* fw_cfg's DMA interface could write the carve-out: the hypervisor does not map it. */
    node = node_by_compat(fdt, "qemu,fw-cfg-mmio");
    if (node >= 0)
        r |= fdt_del_node(fdt, node);
    /* The doorbell's transport belongs to the hypervisor (hyp/drivers/virtio_console.c). */
    node = doorbell_transport_node(fdt);
    if (node >= 0)
        r |= fdt_del_node(fdt, node);
    node = node_by_compat(fdt, "arm,gic-v3-its");
    if (node >= 0)
        r |= fdt_del_node(fdt, node);
    for (node = node_by_compat(fdt, "pci-host-ecam-generic"); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, "pci-host-ecam-generic"))
        fdt_delprop(fdt, node, "msi-map");
    r |= fdt_pack(fdt);
    if (r) {
        rc = fail(err, errlen, "cannot edit the guest device tree (libfdt error).");
        goto out;
    }
    if (write_file(out, fdt, fdt_totalsize(fdt)))
        rc = fail(err, errlen, "cannot write %s: %s.", out, strerror(errno));
    else
        rc = 0;
out:
    free(fdt);
    return rc;
}

static long long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) ? -1 : (long long)st.st_size;
}

/* Linux arm64 Image header (Documentation/arm64/booting.rst): text_offset @8, image_size @16. */
static int image_layout(const char *kernel, unsigned long long *text_offset,
                        unsigned long long *image_size)
{
    unsigned char h[64];
    FILE *f = fopen(kernel, "rb");
    int ok = f && fread(h, 1, sizeof(h), f) == sizeof(h);

    if (f)
        fclose(f);
    if (!ok || memcmp(h + 56, "ARM\x64", 4))
        return -1;
    memcpy(text_offset, h + 8, 8);
    memcpy(image_size, h + 16, 8);
    return 0;
}

static void add_loader(struct qemu_cmd *cmd, const char *file, unsigned long long addr)
{
    qemu_cmd_add(cmd, "-device");
    qemu_cmd_add(cmd, "loader,file=%s,addr=0x%llx,force-raw=on", file, addr);
}

/* The doorbell: a virtio console on the run directory's doorbell socket, owned by the hypervisor
 * (legacy virtio-mmio, QEMU 7.2's default). It must be the first virtio-mmio device so that
 * make_guest_dtb hides the right transport. */
static int add_doorbell(const struct hyp_boot *b, struct qemu_cmd *cmd, char *err, size_t errlen)
{
    for (size_t i = 0; i + 1 < cmd->n; i++)
        if (!strcmp(cmd->v[i], "-device") && !strncmp(cmd->v[i + 1], "virtio-", 7))
            return fail(err, errlen,
                        "the hypervisor's doorbell must be the first virtio device: add '%s' "
                        "after the hypervisor's arguments.",
                        cmd->v[i + 1]);
    qemu_cmd_add(cmd, "-chardev");
    qemu_cmd_add(cmd, "socket,id=doorbell,path=%s/" RUNDIR_DOORBELL_SOCK ",server=on,wait=off",
                 b->rundir);
    qemu_cmd_add(cmd, "-device");
    qemu_cmd_add(cmd, "virtio-serial-device,max_ports=1");
    qemu_cmd_add(cmd, "-device");
    qemu_cmd_add(cmd, "virtconsole,chardev=doorbell");
    return 0;
}

int hyp_qemu_args(const struct hyp_boot *b, struct qemu_cmd *cmd, char *err, size_t errlen)
{
    unsigned long long cb, cs, mem = (unsigned long long)b->mem_mib << 20, toff, isz;
    unsigned long long kaddr, iaddr, iend, daddr;
    long long initrd_len, dtb_len;
    char qdtb[4096], gdtb[4096], binfo[4096];
    struct armvmi_abi_bootinfo bi;
    const char *gic = getenv("ARMVMI_HYP_GIC");

    if (b->hold_s > ARMVMI_BOOT_HOLD_MAX_S)
        return fail(err, errlen, "a boot hold lasts at most %u s, not %u.", ARMVMI_BOOT_HOLD_MAX_S,
                    b->hold_s);
    if (b->smp < 1 || b->smp > ARMVMI_MAX_VCPUS)
        return fail(err, errlen, "the hypervisor runs 1 to %d vCPUs, not %u.", ARMVMI_MAX_VCPUS,
                    b->smp);
    hyp_carveout(b->mem_mib, &cb, &cs);
    if (mem < cs + (128ULL << 20) || mem > (16ULL << 30))
        return fail(err, errlen,
                    "guest memory must be between %llu MiB and 16384 MiB under the hypervisor.",
                    (cs >> 20) + 128);
    if (access(b->hyp_elf, R_OK))
        return fail(err, errlen, "hypervisor ELF %s not found: run make.", b->hyp_elf);
    if (image_layout(b->kernel, &toff, &isz))
        return fail(err, errlen, "%s is not an uncompressed arm64 Linux Image.", b->kernel);
    if (!isz)
        isz = (unsigned long long)file_size(b->kernel) + (8ULL << 20);
    initrd_len = file_size(b->initrd);
    if (initrd_len < 0)
        return fail(err, errlen, "cannot read the initrd %s.", b->initrd);
    if (strchr(b->kernel, ',') || strchr(b->initrd, ',') || strchr(b->rundir, ','))
        return fail(err, errlen, "paths given to QEMU's loader must not contain commas.");
    kaddr = cb + cs + toff;
    iaddr = ALIGN2M(kaddr + isz) + SZ_2M;
    iend = iaddr + (unsigned long long)initrd_len;
    daddr = ALIGN2M(iend);
    if (daddr + SZ_2M > RAM_BASE + mem)
        return fail(err, errlen, "kernel and initrd do not fit in %u MiB of guest memory.",
                    b->mem_mib);

    snprintf(qdtb, sizeof(qdtb), "%s/" RUNDIR_QEMU_DTB, b->rundir);
    snprintf(gdtb, sizeof(gdtb), "%s/" RUNDIR_GUEST_DTB, b->rundir);
    snprintf(binfo, sizeof(binfo), "%s/" RUNDIR_HYP_BOOTINFO, b->rundir);
    if (dump_qemu_dtb(cmd, qdtb, err, errlen) ||
        make_guest_dtb(b, qdtb, gdtb, iaddr, iend, err, errlen))
        return -1;
    dtb_len = file_size(gdtb);
    if (dtb_len < 0 || dtb_len > (long long)SZ_2M)
        return fail(err, errlen, "the guest device tree is larger than 2 MiB.");

    memset(&bi, 0, sizeof(bi));
    bi.magic = ARMVMI_BOOTINFO_MAGIC;
    bi.version = ARMVMI_ABI_VERSION;
    bi.ncpus = b->smp;
    bi.ram_base = RAM_BASE;
    bi.ram_size = mem;
    bi.carve_base = cb;
    bi.carve_size = cs;
    bi.kernel_entry = kaddr;
    bi.dtb = daddr;
    bi.flags = (gic && !strcmp(gic, "passthrough")) ? 0 : ARMVMI_BOOT_VGIC;
    if (b->hold_s) {
        bi.flags |= ARMVMI_BOOT_HOLD;
        bi.hold_s = b->hold_s;
    }
    if (write_file(binfo, &bi, sizeof(bi)))
        return fail(err, errlen, "cannot write %s: %s.", binfo, strerror(errno));

    if (add_doorbell(b, cmd, err, errlen))
        return -1;
    qemu_cmd_add(cmd, "-kernel");
    qemu_cmd_add(cmd, "%s", b->hyp_elf);
    add_loader(cmd, b->kernel, kaddr);
    add_loader(cmd, b->initrd, iaddr);
    add_loader(cmd, gdtb, daddr);
    add_loader(cmd, binfo, ARMVMI_BOOTINFO_ADDR);
    return 0;
}
