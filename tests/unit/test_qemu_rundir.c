/* SPDX-License-Identifier: MIT */
/* test_qemu_rundir.c — VM runtime directories: paths, QEMU's pid, state over QMP, the list. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <armvmi/abi.h>

#include "drivers/driver.h"
#include "drivers/qemu_rundir.h"
#include "fakesrv.h"

static char root[64];

static void make_vm(const char *name, pid_t pid)
{
    char dir[128], path[160];
    snprintf(dir, sizeof(dir), "%s/%s", root, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    if (pid) {
        assert_int_equal(rundir_path(dir, RUNDIR_QEMU_PID, path, sizeof(path)), 0);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "%d\n", (int)pid);
        fclose(f);
    }
}

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

static void paths(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(rundir_path("/d", RUNDIR_QMP_SOCK, out, sizeof(out)), 0);
    assert_string_equal(out, "/d/qmp.sock");
    assert_int_equal(rundir_path("/a/long/dir", RUNDIR_CONSOLE_SOCK, out, sizeof(out)),
                     -ARMVMI_EINVAL);
    assert_non_null(strstr(armvmi_errmsg(), "path too long"));
}

static void vm_json(void **state)
{
    (void)state;
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/armvmi-rundir-json-%d", (int)getpid());
    assert_int_equal(mkdir(dir, 0700), 0);
    struct rundir_vm vm = {.pid = 42,
                           .ram_base = 0x40000000,
                           .ram_size = 512 << 20,
                           .smp = 2,
                           .carve_base = 0x40000000,
                           .carve_size = 32 << 20},
                     got;
    assert_int_equal(rundir_write_vm(dir, &vm, json_pack("{s:s}", "name", "x")), 0);
    assert_int_equal(rundir_read_vm(dir, &got), 0);
    assert_true(got.pid == vm.pid && got.ram_base == vm.ram_base && got.ram_size == vm.ram_size &&
                got.smp == vm.smp && got.carve_base == vm.carve_base &&
                got.carve_size == vm.carve_size);
    vm.carve_base = 0x1000; /* outside RAM */
    assert_int_equal(rundir_write_vm(dir, &vm, NULL), 0);
    assert_int_equal(rundir_read_vm(dir, &got), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "carve-out is not inside RAM"));
    vm.smp = 0;
    assert_int_equal(rundir_write_vm(dir, &vm, NULL), 0);
    assert_int_equal(rundir_read_vm(dir, &got), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "incomplete or corrupt"));
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(rundir_read_vm(dir, &got), -ARMVMI_ENOENT);
}

static void state_and_list(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/armvmi-rundir-%d", (int)getpid());
    assert_int_equal(mkdir(root, 0700), 0);
    setenv("ARMVMI_RUNTIME_DIR", root, 1);
    make_vm("alive", getpid());
    make_vm("dead", dead_pid());
    make_vm("nopid", 0);

    char dir[128], sock[160];
    snprintf(dir, sizeof(dir), "%s/alive", root);
    struct fake_step steps[] = {
        {NULL, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n", 0},
        {"qmp_capabilities", "{\"return\": {}}\r\n", 0},
        {"query-status", "{\"return\": {\"running\": false, \"status\": \"paused\"}}\r\n", 0},
    };
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 3);
    assert_int_equal(rundir_path(dir, RUNDIR_QMP_SOCK, sock, sizeof(sock)), 0);
    assert_int_equal(symlink(srv.path, sock), 0);
    assert_int_equal(rundir_state(dir), RUNDIR_PAUSED);
    fakesrv_stop(&srv);
    /* alive but no one answers on QMP */
    unlink(sock);
    assert_int_equal(rundir_state(dir), RUNDIR_UNKNOWN);
    assert_true(rundir_qmp(dir, "stop", NULL, 1000) < 0);
    assert_non_null(strstr(armvmi_errmsg(), "VM 'alive' does not answer on QMP"));
    snprintf(dir, sizeof(dir), "%s/dead", root);
    assert_int_equal(rundir_state(dir), RUNDIR_STALE);
    assert_string_equal(rundir_state_name(RUNDIR_STALE), "stale");

    char names[2][64];
    assert_int_equal(rundir_list_running(names, 2), 1);
    assert_string_equal(names[0], "alive");

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

/* A stand-in for the hypervisor's doorbell: answers the first ping after two wake-up bytes,
 * ignores the second, then hangs up. */
static void fake_doorbell(int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    char c;
    if (fd < 0 || read(fd, &c, 1) != 1 || c != ARMVMI_DOORBELL_PING)
        _exit(1);
    if (write(fd, "dd", 2) != 2 || usleep(20000) || write(fd, "p", 1) != 1)
        _exit(1);
    if (read(fd, &c, 1) != 1)
        _exit(1);
    usleep(300000);
    _exit(0);
}

static void doorbell(void **state)
{
    (void)state;
    char dir[64], path[128];
    snprintf(dir, sizeof(dir), "/tmp/armvmi-rundir-db-%d", (int)getpid());
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(rundir_doorbell_connect(dir), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "has no doorbell socket"));

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_int_equal(rundir_path(dir, RUNDIR_DOORBELL_SOCK, path, sizeof(path)), 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    pid_t pid = fork();
    if (pid == 0)
        fake_doorbell(lfd);
    close(lfd);

    int fd = rundir_doorbell_connect(dir);
    assert_true(fd >= 0);
    uint64_t rtt = 0;
    assert_int_equal(rundir_doorbell_ping(fd, 2000, &rtt), 0);
    assert_true(rtt >= 19000000 && rtt < 2000000000ull); /* the "dd" did not end the wait */
    assert_int_equal(rundir_doorbell_ping(fd, 100, NULL), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "did not answer the doorbell ping within 100 ms"));
    assert_int_equal(rundir_doorbell_ping(fd, 2000, NULL), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "doorbell closed"));
    close(fd);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    unlink(path); /* a socket nobody listens on */
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(lfd);
    assert_int_equal(rundir_doorbell_connect(dir), -ARMVMI_ENOENT);
    assert_non_null(strstr(armvmi_errmsg(), "cannot connect to the hypervisor's doorbell"));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths),
        cmocka_unit_test(vm_json),
        cmocka_unit_test(state_and_list),
        cmocka_unit_test(doorbell),
    };
    return cmocka_run_group_tests_name("qemu_rundir", tests, NULL, NULL);
}
