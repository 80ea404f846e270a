/* SPDX-License-Identifier: MIT */
/* qemu.c — the "qemu" driver: a VM from `armvmi vm start` (shared RAM file, gdbstub, QMP). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "drivers/gdbrsp.h"
#include "drivers/hypvcpu.h"
#include "drivers/qemu_rundir.h"

struct qemu_priv {
    char dir[4096];
    char name[64];
    struct gdbrsp gdb;
    bool gdb_up;
    /* gdb register number for each armvmi register, -1 if the target has none */
    int map[ARMVMI_REG_COUNT];
    const struct gdbrsp_reg *gregs[ARMVMI_REG_COUNT];
};

static struct qemu_priv *P(struct armvmi *h)
{
    return h->priv;
}

/* One QMP command on a fresh connection: QEMU serves one QMP client at a time, so a handle
 * must not keep the monitor busy between operations (other tools need it too). */
static int qemu_qmp(struct armvmi *h, const char *cmd, json_t **ret)
{
    return rundir_qmp(P(h)->dir, cmd, ret, 5000);
}

static int qemu_is_paused(struct armvmi *h, bool *paused)
{
    json_t *ret = NULL;
    int rc = qemu_qmp(h, "query-status", &ret);
    if (rc)
        return rc;
    json_t *running = json_object_get(ret, "running");
    if (!json_is_boolean(running)) {
        json_decref(ret);
        return armvmi_fail(ARMVMI_EIO, "QMP query-status gave no 'running' field.");
    }
    *paused = !json_is_true(running);
    json_decref(ret);
    return 0;
}

static void gdb_down(struct qemu_priv *p)
{
    if (p->gdb_up)
        gdbrsp_close(&p->gdb);
    p->gdb_up = false;
}

static int qemu_pause(struct armvmi *h)
{
    return qemu_qmp(h, "stop", NULL);
}

static int qemu_resume(struct armvmi *h)
{
    /* QEMU's gdbstub pauses the VM when a debugger connects and sends asynchronous stop
     * replies while one is attached, so the connection lives only while the VM is paused. */
    gdb_down(P(h));
    return qemu_qmp(h, "cont", NULL);
}

/* gdb's names for the registers whose names differ from ours */
static const char *gdb_name(int r, char *buf, size_t len)
{
    if (r <= ARMVMI_REG_X30) {
        snprintf(buf, len, "x%d", r);
        return buf;
    }
    switch (r) {
    case ARMVMI_REG_SP:
        return "sp";
    case ARMVMI_REG_PC:
        return "pc";
    case ARMVMI_REG_PSTATE:
        return "cpsr";
    default:
        return armvmi_reg_name(r);
    }
}

static int gdb_up(struct armvmi *h)
{
    struct qemu_priv *p = P(h);
    if (p->gdb_up)
        return 0;
    char path[4200];
    int rc = rundir_path(p->dir, RUNDIR_GDB_SOCK, path, sizeof(path));
    if (!rc)
        rc = gdbrsp_connect(&p->gdb, path);
    if (!rc)
        rc = gdbrsp_load_target(&p->gdb);
    if (rc) {
        gdbrsp_close(&p->gdb);
        return rc;
    }
    for (int r = 0; r < ARMVMI_REG_COUNT; r++) {
        char buf[16];
        const char *name = gdb_name(r, buf, sizeof(buf));
        p->gregs[r] = gdbrsp_find_reg(&p->gdb, name);
        /* QEMU names some EL1 registers shared with AArch32 without the suffix ("SCTLR") */
        size_t n = strlen(name);
        if (!p->gregs[r] && n > 4 && strcmp(name + n - 4, "_EL1") == 0) {
            char shortname[48];
            snprintf(shortname, sizeof(shortname), "%.*s", (int)(n - 4), name);
            p->gregs[r] = gdbrsp_find_reg(&p->gdb, shortname);
        }
    }
    if (!p->gregs[ARMVMI_REG_PC]) {
        gdbrsp_close(&p->gdb);
        return armvmi_fail(ARMVMI_EIO, "the gdbstub's target description has no pc: not an "
                                       "AArch64 target?");
    }
    p->gdb_up = true;
    return 0;
}

static int require_paused(struct armvmi *h)
{
    if (h->pause_depth > 0)
        return 0; /* armvmi_pause() on this handle: stopped, no need to ask QEMU */
    bool paused;
    int rc = qemu_is_paused(h, &paused);
    if (rc)
        return rc;
    if (!paused)
        return armvmi_fail(ARMVMI_ESTATE,
                           "VM '%s' is running: pause it before reading or "
                           "writing registers.",
                           P(h)->name);
    return 0;
}

/* The physical CPU's registers, as the gdbstub has them. */
static int qemu_cpu_regs(struct armvmi *h, unsigned vcpu, struct armvmi_regs *out)
{
    struct qemu_priv *p = P(h);
    int rc = gdb_up(h);
    if (rc || (rc = gdbrsp_select_thread(&p->gdb, vcpu + 1)))
        return rc;
    for (int r = 0; r < ARMVMI_REG_COUNT; r++) {
        uint64_t v;
        if (!p->gregs[r])
            continue;
        if ((rc = gdbrsp_read_reg(&p->gdb, p->gregs[r], &v)))
            return rc;
        armvmi_reg_set(out, r, v);
    }
    return 0;
}

static int qemu_cpu_step(struct armvmi *h, unsigned vcpu)
{
    int rc = gdb_up(h);
    return rc ? rc : gdbrsp_step(&P(h)->gdb, vcpu + 1);
}

static const struct hypvcpu_cpu_ops qemu_cpu_ops = {.read = qemu_cpu_regs, .step = qemu_cpu_step};

static int qemu_get_regs(struct armvmi *h, unsigned vcpu, struct armvmi_regs *out)
{
    int rc = require_paused(h);
    if (rc || (rc = qemu_cpu_regs(h, vcpu, out)))
        return rc;
    /* Under the armvmi hypervisor "the vCPU" is the guest's, wherever the CPU was paused. */
    return h->carve_size ? hypvcpu_guest_regs(h, vcpu, &qemu_cpu_ops, out) : 0;
}

static int qemu_set_reg(struct armvmi *h, unsigned vcpu, enum armvmi_reg r, uint64_t value)
{
    struct qemu_priv *p = P(h);
    if (r > ARMVMI_REG_PSTATE)
        return armvmi_fail(ARMVMI_ENOTSUP,
                           "%s cannot be written: QEMU's gdbstub writes only general registers "
                           "(X0-X30, SP, PC, PSTATE).",
                           armvmi_reg_name(r));
    int rc = require_paused(h);
    if (rc || (rc = gdb_up(h)) || (rc = gdbrsp_select_thread(&p->gdb, vcpu + 1)))
        return rc;
    if (h->carve_size) {
        /* The physical registers are the guest's only while the CPU runs guest code. */
        struct armvmi_regs cur = {0};
        if ((rc = qemu_cpu_regs(h, vcpu, &cur)))
            return rc;
        if (hypvcpu_at_el2(&cur))
            return armvmi_fail(ARMVMI_ESTATE,
                               "vCPU %u is inside the armvmi hypervisor at this pause, which "
                               "holds the guest's registers: resume and pause again to write "
                               "%s.",
                               vcpu, armvmi_reg_name(r));
    }
    return gdbrsp_write_reg(&p->gdb, p->gregs[r], value);
}

static void qemu_close(struct armvmi *h)
{
    struct qemu_priv *p = P(h);
    for (unsigned i = 0; i < h->nregions; i++)
        if (h->regions[i].host) {
            armvmi_mapguard_remove(h->regions[i].guard);
            munmap(h->regions[i].host, h->regions[i].size);
        }
    h->nregions = 0;
    if (p) {
        gdb_down(p);
        free(p);
    }
    h->priv = NULL;
}

static int qemu_doorbell(struct armvmi *h, int *fd)
{
    if (!h->carve_size)
        return armvmi_fail(ARMVMI_ENOTSUP,
                           "VM '%s' does not run under the armvmi hypervisor: it "
                           "has no doorbell.",
                           P(h)->name);
    int s = rundir_doorbell_connect(P(h)->dir);
    if (s < 0)
        return s;
    int fl = fcntl(s, F_GETFL);
    if (fl < 0 || fcntl(s, F_SETFL, fl | O_NONBLOCK)) {
        close(s);
        return armvmi_fail(ARMVMI_EIO, "fcntl on the doorbell socket: %s.", strerror(errno));
    }
    *fd = s;
    return 0;
}

static const struct armvmi_driver_ops qemu_ops = {
    .name = "qemu",
    .get_regs = qemu_get_regs,
    .set_reg = qemu_set_reg,
    .pause = qemu_pause,
    .resume = qemu_resume,
    .is_paused = qemu_is_paused,
    .close = qemu_close,
    .doorbell = qemu_doorbell,
};

static int map_ram(struct armvmi *h, const char *path, uint64_t base, uint64_t size)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return armvmi_fail(ARMVMI_EIO, "cannot open guest RAM %s: %s.", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || (uint64_t)st.st_size < size) {
        close(fd);
        return armvmi_fail(ARMVMI_EIO, "guest RAM file %s is smaller than the VM's RAM.", path);
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return armvmi_fail(ARMVMI_EIO, "cannot map guest RAM %s: %s.", path, strerror(errno));
    h->regions[0] = (struct armvmi_region){.base = base,
                                           .size = size,
                                           .host = m,
                                           .writable = 1,
                                           .guard = armvmi_mapguard_add(m, size, true)};
    h->nregions = 1;
    return 0;
}

int armvmi_qemu_open(struct armvmi *h, const char *rundir)
{
    char path[4200];
    struct qemu_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return armvmi_fail(ARMVMI_ENOMEM, "out of memory.");
    h->ops = &qemu_ops;
    h->priv = p;
    snprintf(p->dir, sizeof(p->dir), "%s", rundir);
    const char *slash = strrchr(rundir, '/');
    snprintf(p->name, sizeof(p->name), "%s", slash ? slash + 1 : rundir);

    struct rundir_vm vm;
    int rc = rundir_read_vm(rundir, &vm);
    if (rc)
        return rc;
    h->carve_base = vm.carve_base;
    h->carve_size = vm.carve_size;
    if (kill(vm.pid, 0) && errno == ESRCH)
        return armvmi_fail(ARMVMI_ENOENT,
                           "VM '%s' is not running (its QEMU, pid %lld, is "
                           "gone); `armvmi vm stop %s` cleans it up.",
                           p->name, (long long)vm.pid, p->name);
    rc = rundir_path(rundir, RUNDIR_RAM, path, sizeof(path));
    if (!rc)
        rc = map_ram(h, path, vm.ram_base, vm.ram_size);
    if (rc)
        return rc;
    h->vcpus = vm.smp;
    h->caps = ARMVMI_CAP_READ | ARMVMI_CAP_WRITE | ARMVMI_CAP_MAP | ARMVMI_CAP_REGS |
              ARMVMI_CAP_SYSREGS | ARMVMI_CAP_SET_REGS | ARMVMI_CAP_PAUSE | ARMVMI_CAP_LIVE;
    return 0;
}
