/* SPDX-License-Identifier: MIT */
/* test_qmp.c — the QMP client against scripted, partly hostile, QEMU replies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "drivers/driver.h"
#include "drivers/qmp.h"
#include "fakesrv.h"

#define GREETING "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n"
#define CAPS_OK "{\"return\": {}}\r\n"

static void events_before_the_answer_are_skipped(void **state)
{
    (void)state;
    struct fake_step steps[] = {
        {NULL, GREETING, 0},
        {"qmp_capabilities", CAPS_OK, 0},
        {"query-status",
         "{\"event\": \"STOP\"}\r\n{\"event\": \"RESUME\"}\r\n"
         "{\"return\": {\"running\": true, \"status\": \"running\"}}\r\n",
         0},
    };
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 3);
    struct qmp q;
    assert_int_equal(qmp_connect(&q, srv.path), 0);
    json_t *ret = NULL;
    assert_int_equal(qmp_exec(&q, "query-status", NULL, &ret, 2000), 0);
    assert_true(json_is_true(json_object_get(ret, "running")));
    json_decref(ret);
    qmp_close(&q);
    fakesrv_stop(&srv);
    assert_non_null(strstr(srv.seen, "{\"execute\":\"query-status\"}\n"));
}

static void errors_carry_qemus_description(void **state)
{
    (void)state;
    struct fake_step steps[] = {
        {NULL, GREETING, 0},
        {"qmp_capabilities", CAPS_OK, 0},
        {"dump-guest-memory",
         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"disk on fire\"}}\r\n", 0},
    };
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 3);
    struct qmp q;
    assert_int_equal(qmp_connect(&q, srv.path), 0);
    assert_int_equal(qmp_exec(&q, "dump-guest-memory", json_pack("{s:b}", "paging", 0), NULL, 2000),
                     -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "disk on fire"));
    qmp_close(&q);
    fakesrv_stop(&srv);
    assert_non_null(strstr(srv.seen, "\"arguments\":{\"paging\":false}"));
}

static void not_qmp_is_refused(void **state)
{
    (void)state;
    struct fake_step steps[] = {{NULL, "{\"hello\": 1}\r\n", 0}};
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 1);
    struct qmp q;
    assert_int_equal(qmp_connect(&q, srv.path), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "does not speak QMP"));
    fakesrv_stop(&srv);
}

static void malformed_json_is_an_error(void **state)
{
    (void)state;
    struct fake_step steps[] = {
        {NULL, GREETING, 0},
        {"qmp_capabilities", CAPS_OK, 0},
        {"stop", "{\"return\": [1, 2,\r\n", 0},
    };
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 3);
    struct qmp q;
    assert_int_equal(qmp_connect(&q, srv.path), 0);
    assert_int_equal(qmp_exec(&q, "stop", NULL, NULL, 2000), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "malformed JSON"));
    qmp_close(&q);
    fakesrv_stop(&srv);
}

static void endless_line_is_bounded(void **state)
{
    (void)state;
    size_t n = (17u << 20);
    char *flood = malloc(n);
    memset(flood, ' ', n);
    struct fake_step steps[] = {
        {NULL, GREETING, 0},
        {"qmp_capabilities", CAPS_OK, 0},
        {"stop", flood, n},
    };
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 3);
    struct qmp q;
    assert_int_equal(qmp_connect(&q, srv.path), 0);
    assert_int_equal(qmp_exec(&q, "stop", NULL, NULL, 5000), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "oversized"));
    qmp_close(&q);
    fakesrv_stop(&srv);
    free(flood);
}

static void silence_times_out(void **state)
{
    (void)state;
    struct fake_step steps[] = {
        {NULL, GREETING, 0}, {"qmp_capabilities", CAPS_OK, 0}, {"never", NULL, 0}};
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 3);
    struct qmp q;
    assert_int_equal(qmp_connect(&q, srv.path), 0);
    assert_int_equal(qmp_exec(&q, "cont", NULL, NULL, 200), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "did not answer"));
    qmp_close(&q);
    fakesrv_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_before_the_answer_are_skipped),
        cmocka_unit_test(errors_carry_qemus_description),
        cmocka_unit_test(not_qmp_is_refused),
        cmocka_unit_test(malformed_json_is_an_error),
        cmocka_unit_test(endless_line_is_bounded),
        cmocka_unit_test(silence_times_out),
    };
    return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
