/* SPDX-License-Identifier: MIT */
/* test_gdbrsp.c — the gdbstub client against scripted, partly hostile, remote replies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "drivers/gdbrsp.h"
#include "fakesrv.h"

#define S(e, r)                                                                                    \
    {                                                                                              \
        e, r, 0                                                                                    \
    }

static void recv_decodes_escapes_and_runs(void **state)
{
    (void)state;
    /* "}]" is an escaped '}' (0x5d ^ 0x20); "a* " repeats 'a' 3 more times (' ' - 29) */
    char *pkt = rsp_packet("x}]ya* z");
    struct fake_step steps[] = {S("qTest", pkt)};
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 1);
    struct gdbrsp g;
    assert_int_equal(gdbrsp_connect(&g, srv.path), 0);
    char out[64];
    assert_int_equal(gdbrsp_cmd(&g, "qTest", out, sizeof(out)), 0);
    assert_string_equal(out, "x}yaaaaz");
    gdbrsp_close(&g);
    fakesrv_stop(&srv);
    assert_non_null(strstr(srv.seen, "$qTest#"));
    free(pkt);
}

static void bad_checksum_is_an_error(void **state)
{
    (void)state;
    struct fake_step steps[] = {S("qTest", "+$OK#00")};
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 1);
    struct gdbrsp g;
    assert_int_equal(gdbrsp_connect(&g, srv.path), 0);
    char out[64];
    assert_int_equal(gdbrsp_cmd(&g, "qTest", out, sizeof(out)), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "checksum"));
    gdbrsp_close(&g);
    fakesrv_stop(&srv);
}

static void closed_mid_packet_is_an_error(void **state)
{
    (void)state;
    struct fake_step steps[] = {S("qTest", "$OKOKOK"), {NULL, NULL, 0}};
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 2);
    struct gdbrsp g;
    assert_int_equal(gdbrsp_connect(&g, srv.path), 0);
    char out[64];
    assert_int_equal(gdbrsp_cmd(&g, "qTest", out, sizeof(out)), -ARMVMI_EIO);
    gdbrsp_close(&g);
    fakesrv_stop(&srv);
}

static void silence_times_out(void **state)
{
    (void)state;
    struct fake_step steps[] = {S("never sent", NULL)};
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 1);
    struct gdbrsp g;
    assert_int_equal(gdbrsp_connect(&g, srv.path), 0);
    g.timeout_ms = 200;
    char out[64];
    assert_int_equal(gdbrsp_cmd(&g, "qTest", out, sizeof(out)), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "no answer"));
    gdbrsp_close(&g); /* the server thread ends when the connection goes */
    fakesrv_stop(&srv);
}

static void oversized_packet_is_refused(void **state)
{
    (void)state;
    char big[300];
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    char *pkt = rsp_packet(big);
    struct fake_step steps[] = {S("qTest", pkt)};
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 1);
    struct gdbrsp g;
    assert_int_equal(gdbrsp_connect(&g, srv.path), 0);
    char out[64];
    assert_int_equal(gdbrsp_cmd(&g, "qTest", out, sizeof(out)), -ARMVMI_EIO);
    gdbrsp_close(&g);
    fakesrv_stop(&srv);
    free(pkt);
}

static void target_description_with_includes(void **state)
{
    (void)state;
    char *sup = rsp_packet("PacketSize=1000;qXfer:features:read+");
    char *top = rsp_packet("l<target><xi:include href=\"core.xml\"/>"
                           "<reg name=\"extra\" bitsize=\"64\"/></target>");
    char *core = rsp_packet("l<feature><reg name=\"x0\" bitsize=\"64\" regnum=\"0\"/>"
                            "<reg name=\"x1\" bitsize=\"64\"/>"
                            "<reg name=\"pc\" bitsize=\"64\" regnum=\"32\"/></feature>");
    char *val = rsp_packet("efbeadde00000000");
    char *err = rsp_packet("E14");
    char *bad = rsp_packet("zz");
    struct fake_step steps[] = {
        S("qSupported", sup), S("target.xml:0,", top), S("core.xml:0,", core),
        S("$p20#", val),      S("$P0=", err),          S("$p1#", bad),
    };
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 6);
    struct gdbrsp g;
    assert_int_equal(gdbrsp_connect(&g, srv.path), 0);
    assert_int_equal(gdbrsp_load_target(&g), 0);
    assert_int_equal(g.nregs, 4);
    const struct gdbrsp_reg *x1 = gdbrsp_find_reg(&g, "X1"), *pc = gdbrsp_find_reg(&g, "pc"),
                            *extra = gdbrsp_find_reg(&g, "extra");
    assert_non_null(x1);
    assert_non_null(pc);
    assert_non_null(extra);
    assert_int_equal(x1->regnum, 1);
    assert_int_equal(pc->regnum, 32);
    assert_int_equal(extra->regnum, 33); /* numbering continues after the include */
    uint64_t v = 0;
    assert_int_equal(gdbrsp_read_reg(&g, pc, &v), 0);
    assert_int_equal(v, 0xdeadbeefull);
    assert_int_equal(gdbrsp_write_reg(&g, gdbrsp_find_reg(&g, "x0"), 5), -ARMVMI_ENOTSUP);
    assert_int_equal(gdbrsp_read_reg(&g, x1, &v), -ARMVMI_EIO);
    gdbrsp_close(&g);
    fakesrv_stop(&srv);
    free(sup), free(top), free(core), free(val), free(err), free(bad);
}

static void self_including_description_is_bounded(void **state)
{
    (void)state;
    char *sup = rsp_packet("qXfer:features:read+");
    char *loop = rsp_packet("l<target><xi:include href=\"target.xml\"/></target>");
    struct fake_step steps[8] = {S("qSupported", sup)};
    for (int i = 1; i < 8; i++)
        steps[i] = (struct fake_step)S("target.xml:0,", loop);
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 8);
    struct gdbrsp g;
    assert_int_equal(gdbrsp_connect(&g, srv.path), 0);
    g.timeout_ms = 2000;
    assert_int_equal(gdbrsp_load_target(&g), -ARMVMI_EIO);
    gdbrsp_close(&g);
    fakesrv_stop(&srv);
    free(sup), free(loop);
}

static void malformed_description_is_refused(void **state)
{
    (void)state;
    char *sup = rsp_packet("qXfer:features:read+");
    char *bad = rsp_packet("l<target><reg name=\"x0\" bitsize=\"-3\"/></tar");
    struct fake_step steps[] = {S("qSupported", sup), S("target.xml:0,", bad)};
    struct fakesrv srv;
    fakesrv_start(&srv, steps, 2);
    struct gdbrsp g;
    assert_int_equal(gdbrsp_connect(&g, srv.path), 0);
    assert_int_equal(gdbrsp_load_target(&g), -ARMVMI_EIO);
    assert_non_null(strstr(armvmi_errmsg(), "target description"));
    gdbrsp_close(&g);
    fakesrv_stop(&srv);
    free(sup), free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recv_decodes_escapes_and_runs),
        cmocka_unit_test(bad_checksum_is_an_error),
        cmocka_unit_test(closed_mid_packet_is_an_error),
        cmocka_unit_test(silence_times_out),
        cmocka_unit_test(oversized_packet_is_refused),
        cmocka_unit_test(target_description_with_includes),
        cmocka_unit_test(self_including_description_is_bounded),
        cmocka_unit_test(malformed_description_is_refused),
    };
    return cmocka_run_group_tests_name("gdbrsp", tests, NULL, NULL);
}
