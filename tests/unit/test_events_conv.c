/* SPDX-License-Identifier: MIT */
/* test_events_conv.c — asynchronous memory events: the ring of n2rwx frames and conversion watches,
 * against fakehyp.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <armvmi/abi.h>
#include <armvmi/events.h>

#include "fakehyp.h"

/* ---- tests ---- */

/* n2rwx frames: the async ring delivers each first access once, and the tail follows. */
static void async_ring(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    static struct seen s;
    seen_init(&s, ARMVMI_MEM_STEP);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 64 * 4096,
                                         ARMVMI_MEM_R | ARMVMI_MEM_W | ARMVMI_MEM_X, record, &s,
                                         NULL),
                     0);
    pthread_mutex_lock(&F.lock); /* the monitor made them n2rwx (not in this API yet) */
    memset(&F.store[(PAGE_A - RAM_BASE) >> 12], ARMVMI_ACC_N2RWX, 64);
    pthread_mutex_unlock(&F.lock);
    for (unsigned i = 0; i < 64; i++) {
        add_access(1, PAGE_A + 4096 * i, ARMVMI_ACC_R, 8, 0);
        add_access(1, PAGE_A + 4096 * i, ARMVMI_ACC_W, 8, 0); /* rwx by then: silent */
    }
    listen_until_done(ev);
    unsigned before = s.n;
    assert_int_equal(armvmi_events_listen(ev, 50), (int)(64 - before));
    assert_int_equal(s.n, 64);
    for (unsigned i = 0; i < 64; i++) {
        assert_true(s.e[i].flags & ARMVMI_MEMF_ASYNC);
        assert_int_equal(s.e[i].gpa, PAGE_A + 4096 * i);
        assert_int_equal(s.e[i].seq, i + 1);
    }
    assert_int_equal(LD(&F.chan->async_tail), 64);
    assert_int_equal(F.nlog, 0); /* no responses to async events */
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.async_events, 64);
    assert_int_equal(st.seq_gaps, 0);
    finish(ev, h);
}

/* Conversion watches: n2rwx gives one asynchronous event per frame (any access), then none,
 * and leaves the frame rwx; rx2rw gives none and a write leaves the frame rw. Responses to async
 * events are not sent; conversions share no frames; unwatch and watch again re-arm. */
static void conversion_watches(void **state)
{
    fake_setup(false, true);
    armvmi_t *h;
    armvmi_events_t *ev = attach(&h, NULL);
    static struct seen s, s2;
    seen_init(&s, ARMVMI_MEM_SKIP); /* must be ignored: the vCPU did not wait */
    seen_init(&s2, ARMVMI_MEM_SKIP);
    const uint64_t ga = (PAGE_A - RAM_BASE) >> 12, gb = (PAGE_B - RAM_BASE) >> 12;
    int idn, idr;
    unsigned acc;
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_N2RWX, record, &s, &idn), 0);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_B, 4096, ARMVMI_MEM_RX2RW, record, &s2, &idr), 0);
    assert_int_equal(F.store[ga], ARMVMI_ACC_N2RWX);
    assert_int_equal(F.store[gb], ARMVMI_ACC_RX2RW);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_A >> 12, &acc), 0);
    assert_int_equal(acc, ARMVMI_MEM_N2RWX);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_B >> 12, &acc), 0);
    assert_int_equal(acc, ARMVMI_MEM_RX2RW);
    /* refused: another registration on a conversion's frame, a conversion over a watched one,
     * conversions mixed with r/w/x or with each other */
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A + 8, 8, ARMVMI_MEM_W, record, &s, NULL),
                     -ARMVMI_EINVAL);
    assert_non_null(strstr(armvmi_errmsg(), "cannot share frames"));
    assert_int_equal(
        armvmi_mem_watch_pa(ev, PAGE_A - 4096, 3 * 4096, ARMVMI_MEM_N2RWX, record, &s, NULL),
        -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_B + 4096, 4096, ARMVMI_MEM_N2RWX | ARMVMI_MEM_W,
                                         record, &s, NULL),
                     -ARMVMI_EINVAL);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_B + 4096, 4096,
                                         ARMVMI_MEM_N2RWX | ARMVMI_MEM_RX2RW, record, &s, NULL),
                     -ARMVMI_EINVAL);
    assert_int_equal(F.store[ga - 1], ARMVMI_ACC_RWX);
    assert_int_equal(F.store[gb + 1], ARMVMI_ACC_RWX);
    /* vCPU 0 on A: a write first, then every kind; vCPU 1 on B: read, execute, writes */
    add_access(0, PAGE_A + 8, ARMVMI_ACC_W, 8, 7);
    add_access(0, PAGE_A, ARMVMI_ACC_R, 8, 0);
    add_access(0, PAGE_A, ARMVMI_ACC_X, 4, 0);
    add_access(0, PAGE_A + 16, ARMVMI_ACC_W, 8, 9);
    add_access(1, PAGE_B, ARMVMI_ACC_R, 8, 0);
    add_access(1, PAGE_B, ARMVMI_ACC_X, 4, 0);
    add_access(1, PAGE_B, ARMVMI_ACC_W, 8, 1);
    add_access(1, PAGE_B, ARMVMI_ACC_W, 8, 2);
    add_access(1, PAGE_B, ARMVMI_ACC_R, 8, 0);
    listen_until_done(ev);
    for (int k = 0; k < 100 && s.n < 1 && LD(&F.chan->async_tail) < 1; k++)
        assert_true(armvmi_events_listen(ev, 50) >= 0);
    assert_int_equal(armvmi_events_listen(ev, 50), 0); /* and nothing more */
    assert_int_equal(s.n, 1);
    assert_true(s.e[0].flags & ARMVMI_MEMF_ASYNC);
    assert_int_equal(s.e[0].access, ARMVMI_MEM_W);
    assert_int_equal(s.e[0].gpa, PAGE_A + 8);
    assert_int_equal(s.e[0].value, 7);
    assert_int_equal(s.e[0].seq, 1);
    assert_int_equal(s2.n, 0);
    assert_int_equal(F.nlog, 0); /* no response to an async event, none for rx2rw */
    assert_int_equal(F.store[ga], ARMVMI_ACC_RWX);
    assert_int_equal(F.store[gb], ARMVMI_ACC_R | ARMVMI_ACC_W);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_A >> 12, &acc), 0);
    assert_int_equal(acc, ARMVMI_MEM_R | ARMVMI_MEM_W | ARMVMI_MEM_X);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_B >> 12, &acc), 0);
    assert_int_equal(acc, ARMVMI_MEM_R | ARMVMI_MEM_W);
    struct armvmi_events_stats st;
    armvmi_events_stats(ev, &st);
    assert_int_equal(st.events, 1);
    assert_int_equal(st.async_events, 1);
    assert_int_equal(st.unclaimed + st.seq_gaps + st.seq_dups + st.bad_events, 0);
    /* removed: the frames are unrestricted; watched again: armed again */
    assert_int_equal(armvmi_mem_unwatch(ev, idn), 0);
    assert_int_equal(armvmi_mem_unwatch(ev, idr), 0);
    assert_int_equal(F.store[ga], ARMVMI_ACC_RWX);
    assert_int_equal(F.store[gb], ARMVMI_ACC_RWX);
    assert_int_equal(armvmi_mem_watch_pa(ev, PAGE_A, 4096, ARMVMI_MEM_N2RWX, record, &s, &idn), 0);
    add_access(1, PAGE_A, ARMVMI_ACC_X, 4, 0);
    listen_until_done(ev);
    for (int k = 0; k < 100 && s.n < 2 && LD(&F.chan->async_tail) < 2; k++)
        assert_true(armvmi_events_listen(ev, 50) >= 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.e[1].access, ARMVMI_MEM_X);
    assert_int_equal(s.e[1].seq, 2);
    /* bad arguments */
    assert_int_equal(armvmi_mem_get_access(ev, RAM_BASE >> 12, &acc), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_mem_get_access(ev, (RAM_BASE + RAM_SIZE) >> 12, &acc), -ARMVMI_EFAULT);
    assert_int_equal(armvmi_mem_get_access(ev, PAGE_A >> 12, NULL), -ARMVMI_EINVAL);
    finish(ev, h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(async_ring),
        cmocka_unit_test(conversion_watches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
