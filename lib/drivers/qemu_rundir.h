/* SPDX-License-Identifier: MIT */
/* qemu_rundir.h — a VM's runtime directory: its files, its QEMU's pid and state, one QMP command.
 */
#ifndef ARMVMI_QEMU_RUNDIR_H
#define ARMVMI_QEMU_RUNDIR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The files of a VM runtime directory (<runtime root>/<name>, see core/paths.h), written by
 * `armvmi vm start` and its QEMU, read by the qemu driver and the `armvmi vm` commands.
 */
#define RUNDIR_RAM "ram"                       /* guest RAM, memory-backend-file share=on */
#define RUNDIR_VM_JSON "vm.json"               /* the VM's facts (pid, RAM, vCPUs, carve-out) */
#define RUNDIR_QMP_SOCK "qmp.sock"             /* QMP, one client at a time */
#define RUNDIR_GDB_SOCK "gdb.sock"             /* QEMU's gdbstub */
#define RUNDIR_CONSOLE_SOCK "console.sock"     /* the serial console */
#define RUNDIR_CONSOLE_LOG "console.log"       /* everything the console printed */
#define RUNDIR_QEMU_LOG "qemu.log"             /* QEMU's own stdout and stderr */
#define RUNDIR_QEMU_PID "qemu.pid"             /* QEMU's -pidfile */
#define RUNDIR_QEMU_DTB "qemu.dtb"             /* --hyp: QEMU's device tree (dumpdtb) */
#define RUNDIR_GUEST_DTB "guest.dtb"           /* --hyp: the device tree the guest sees */
#define RUNDIR_HYP_BOOTINFO "hyp-bootinfo.bin" /* --hyp: the hypervisor's boot information */
#define RUNDIR_DOORBELL_SOCK "doorbell.sock"   /* --hyp: the hypervisor's doorbell (abi.h) */

/* out = "dir/file"; 0, or -ARMVMI_EINVAL (with a message) if it does not fit in len. */
int rundir_path(const char *dir, const char *file, char *out, size_t len);

/*
 * Connect to dir's doorbell socket (--hyp VMs): the hypervisor's wake-ups arrive as bytes on the
 * returned descriptor (blocking, close-on-exec; poll() it), and a byte written to it wakes the
 * hypervisor (include/armvmi/abi.h, ARMVMI_DOORBELL_*). QEMU serves one client at a time: a
 * second one waits until the first closes. Returns the descriptor, or ARMVMI_ENOENT (no doorbell:
 * not a VM under the hypervisor, or QEMU gone) / ARMVMI_EIO with a message.
 */
int rundir_doorbell_connect(const char *dir);

/*
 * Liveness: send ARMVMI_DOORBELL_PING on fd and wait up to timeout_ms for the hypervisor's
 * ARMVMI_DOORBELL_PONG; other bytes read meanwhile (wake-ups) are discarded. *rtt_ns (if not
 * NULL) receives the round trip. Returns 0, ARMVMI_ETIMEDOUT or ARMVMI_EIO with a message.
 */
int rundir_doorbell_ping(int fd, int timeout_ms, uint64_t *rtt_ns);

/* The facts vm.json holds for the library (the launcher adds more members for people). */
struct rundir_vm {
    pid_t pid;                       /* QEMU's */
    uint64_t ram_base, ram_size;     /* guest RAM, backed by the file "ram" */
    unsigned smp;                    /* vCPUs */
    uint64_t carve_base, carve_size; /* the hypervisor's carve-out inside RAM; size 0: none */
};

/*
 * Read and check dir's vm.json. Errors: ARMVMI_ENOENT (no readable vm.json: not a runtime
 * directory), ARMVMI_EFORMAT (incomplete or corrupt, or the carve-out is not inside RAM).
 */
int rundir_read_vm(const char *dir, struct rundir_vm *vm);

/* Write dir's vm.json (atomically, by rename): the facts of vm, then the members of extra
 * (may be NULL; the reference is stolen). Returns 0 or -1. */
int rundir_write_vm(const char *dir, const struct rundir_vm *vm, json_t *extra);

/* The pid in dir's qemu.pid, or 0 if there is none. */
pid_t rundir_qemu_pid(const char *dir);

/* Whether process pid exists (pid > 0). */
bool rundir_pid_alive(pid_t pid);

/*
 * Run one QMP command on a fresh connection to dir's QEMU and close it: QEMU serves one QMP
 * client at a time, so no one keeps the monitor busy. *ret (if not NULL) receives the
 * "return" member (new reference). Errors: ARMVMI_E* (negative) with a message that names
 * the VM when it does not answer.
 */
int rundir_qmp(const char *dir, const char *cmd, json_t **ret, int timeout_ms);

enum rundir_state {
    RUNDIR_RUNNING, /* QEMU alive, vCPUs running */
    RUNDIR_PAUSED,  /* QEMU alive, vCPUs stopped */
    RUNDIR_STALE,   /* QEMU gone; the directory is left over */
    RUNDIR_UNKNOWN, /* QEMU alive but QMP busy or not answering */
};

/* The state of the VM in dir (asks QMP when QEMU is alive). */
enum rundir_state rundir_state(const char *dir);

/* "running", "paused", "stale" or "unknown". */
const char *rundir_state_name(enum rundir_state s);

/* Names of the VMs in the runtime root whose QEMU is alive: the first max into names,
 * returns how many there are. */
int rundir_list_running(char names[][64], int max);

#endif
