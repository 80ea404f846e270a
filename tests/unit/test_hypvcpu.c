/* SPDX-License-Identifier: MIT */
/* test_hypvcpu.c — the guest's vCPU under the armvmi hypervisor: record, stepping, bad records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armvmi/abi.h>
#include <armvmi/armvmi.h>

#include "drivers/hypvcpu.h"

#define IMG_BASE ARMVMI_BOOTINFO_ADDR
#define IMG_SIZE 0x2000u
#define PS_EL2H 0x3c9ull
#define PS_EL1H 0x3c5ull
#define PS_EL0T 0x0ull
#define HYP_PC 0x40201234ull

static char img[64];

/* The fake physical CPU: at EL2 (in the hypervisor) for `el2_steps` more steps, then at EL1; a
 * step may also complete the record (`publish_after`). */
static struct {
    unsigned el2_steps, steps, publish_after;
    bool publish;
} cpu;

static struct armvmi_abi_vcpu rec_template(unsigned id, uint32_t state)
{
    struct armvmi_abi_vcpu r = {.magic = ARMVMI_VCPU_MAGIC,
                                .version = ARMVMI_ABI_VERSION,
                                .id = id,
                                .state = state,
                                .pc = 0xffff800008123450ull,
                                .pstate = PS_EL1H,
                                .sp_el0 = 0x0000ffffc0de0000ull,
                                .sp_el1 = 0xffff80000a00f000ull,
                                .ttbr1_el1 = 0x41234000ull,
                                .tcr_el1 = 0x35b5503510ull};
    for (int i = 0; i < 31; i++)
        r.x[i] = 0x1000ull + (uint64_t)i;
    return r;
}

static void put_record(armvmi_t *h, const struct armvmi_abi_vcpu *r)
{
    assert_int_equal(armvmi_write_pa(h, ARMVMI_VCPU_REC(r->id), r, sizeof(*r)), 0);
}

static int fake_read(struct armvmi *h, unsigned vcpu, struct armvmi_regs *out)
{
    bool el2 = cpu.steps < cpu.el2_steps;
    armvmi_reg_set(out, ARMVMI_REG_PC, el2 ? HYP_PC + 4 * cpu.steps : 0xffff800008000000ull);
    armvmi_reg_set(out, ARMVMI_REG_PSTATE, el2 ? PS_EL2H : PS_EL1H);
    armvmi_reg_set(out, ARMVMI_REG_X0, el2 ? 0xdead : 0x600d);
    armvmi_reg_set(out, ARMVMI_REG_HCR_EL2, 0x80000001ull);
    return 0;
}

static int fake_step(struct armvmi *h, unsigned vcpu)
{
    cpu.steps++;
    if (cpu.publish && cpu.steps == cpu.publish_after) {
        struct armvmi_abi_vcpu r = rec_template(vcpu, ARMVMI_VCPU_IN_HYP);
        put_record(h, &r);
    }
    return 0;
}

static const struct hypvcpu_cpu_ops ops = {.read = fake_read, .step = fake_step};
static const struct hypvcpu_cpu_ops ops_nostep = {.read = fake_read};

static armvmi_t *open_img(void)
{
    char spec[128];
    snprintf(spec, sizeof(spec), "raw:%s@0x%llx", img, (unsigned long long)IMG_BASE);
    armvmi_t *h = NULL;
    assert_int_equal(armvmi_open(&h, spec), 0);
    /* the image is the part of the carve-out that holds the boot information and records */
    h->carve_base = IMG_BASE;
    h->carve_size = IMG_SIZE;
    memset(&cpu, 0, sizeof(cpu));
    return h;
}

static int run(armvmi_t *h, unsigned vcpu, const struct hypvcpu_cpu_ops *o, struct armvmi_regs *r)
{
    memset(r, 0, sizeof(*r));
    fake_read(h, vcpu, r);
    return hypvcpu_guest_regs(h, vcpu, o, r);
}

static int setup(void **state)
{
    (void)state;
    snprintf(img, sizeof(img), "/tmp/armvmi-hypvcpu-%d.bin", (int)getpid());
    FILE *f = fopen(img, "wb");
    static uint8_t zero[IMG_SIZE];
    if (!f || fwrite(zero, 1, sizeof(zero), f) != sizeof(zero))
        return -1;
    return fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    unlink(img);
    return 0;
}

static void guest_code_is_left_alone(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    struct armvmi_regs r;
    cpu.el2_steps = 0; /* at EL1 */
    assert_int_equal(run(h, 0, &ops, &r), 0);
    assert_int_equal(r.source, ARMVMI_REGS_LIVE);
    assert_int_equal(r.settle_steps, 0);
    assert_int_equal(r.regs[ARMVMI_REG_X0], 0x600d);
    armvmi_close(h);
}

static void record_gives_the_guest(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    struct armvmi_abi_vcpu rec = rec_template(1, ARMVMI_VCPU_IN_HYP);
    put_record(h, &rec);
    struct armvmi_regs r;
    cpu.el2_steps = 1000;
    assert_int_equal(run(h, 1, &ops, &r), 0);
    assert_int_equal(r.source, ARMVMI_REGS_HYP_RECORD);
    assert_int_equal(r.settle_steps, 0);
    assert_int_equal(cpu.steps, 0); /* a whole record needs no stepping */
    assert_int_equal(r.hyp_pc, HYP_PC);
    assert_int_equal(r.regs[ARMVMI_REG_PC], rec.pc);
    assert_int_equal(r.regs[ARMVMI_REG_PSTATE], PS_EL1H);
    for (int i = 0; i < 31; i++)
        assert_int_equal(r.regs[ARMVMI_REG_X0 + i], rec.x[i]);
    assert_int_equal(r.regs[ARMVMI_REG_SP], rec.sp_el1); /* EL1h: SP_EL1 */
    assert_int_equal(r.regs[ARMVMI_REG_TTBR1_EL1], rec.ttbr1_el1);
    assert_int_equal(r.regs[ARMVMI_REG_TCR_EL1], rec.tcr_el1);
    assert_int_equal(r.regs[ARMVMI_REG_HCR_EL2], 0x80000001ull); /* EL2 stays physical */
    /* at EL0 the guest's SP is SP_EL0 */
    rec.pstate = PS_EL0T;
    put_record(h, &rec);
    assert_int_equal(run(h, 1, &ops, &r), 0);
    assert_int_equal(r.regs[ARMVMI_REG_SP], rec.sp_el0);
    armvmi_close(h);
}

static void entry_and_exit_paths_are_stepped(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    struct armvmi_abi_vcpu rec = rec_template(0, ARMVMI_VCPU_IN_GUEST);
    put_record(h, &rec);
    struct armvmi_regs r;
    /* return path: state already IN_GUEST, five instructions to the ERET */
    cpu.el2_steps = 5;
    assert_int_equal(run(h, 0, &ops, &r), 0);
    assert_int_equal(r.source, ARMVMI_REGS_LIVE);
    assert_int_equal(r.settle_steps, 5);
    assert_int_equal(r.regs[ARMVMI_REG_X0], 0x600d);
    /* entry path: the record becomes whole after three instructions */
    memset(&cpu, 0, sizeof(cpu));
    cpu.el2_steps = 1000;
    cpu.publish = true;
    cpu.publish_after = 3;
    assert_int_equal(run(h, 0, &ops, &r), 0);
    assert_int_equal(r.source, ARMVMI_REGS_HYP_RECORD);
    assert_int_equal(r.settle_steps, 3);
    assert_int_equal(r.regs[ARMVMI_REG_X0 + 7], rec.x[7]);
    armvmi_close(h);
}

static void stuck_off_and_unsteppable(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    struct armvmi_abi_vcpu rec = rec_template(0, ARMVMI_VCPU_IN_GUEST);
    put_record(h, &rec);
    struct armvmi_regs r;
    cpu.el2_steps = ~0u; /* never leaves, never publishes */
    assert_int_equal(run(h, 0, &ops, &r), -ARMVMI_EIO);
    assert_int_equal(cpu.steps, HYPVCPU_MAX_STEPS);
    assert_non_null(strstr(armvmi_errmsg(), "stuck"));
    cpu.steps = 0;
    assert_int_equal(run(h, 0, &ops_nostep, &r), -ARMVMI_ESTATE);
    assert_non_null(strstr(armvmi_errmsg(), "cannot be stepped"));
    rec.state = ARMVMI_VCPU_OFF;
    put_record(h, &rec);
    assert_int_equal(run(h, 0, &ops, &r), -ARMVMI_ESTATE);
    assert_non_null(strstr(armvmi_errmsg(), "is off"));
    armvmi_close(h);
}

static void hostile_records(void **state)
{
    (void)state;
    armvmi_t *h = open_img();
    struct armvmi_regs r;
    cpu.el2_steps = ~0u;
    struct armvmi_abi_vcpu rec = rec_template(2, ARMVMI_VCPU_IN_HYP);
    rec.magic = 0;
    put_record(h, &rec);
    assert_int_equal(run(h, 2, &ops, &r), -ARMVMI_EFORMAT);
    rec = rec_template(2, ARMVMI_VCPU_IN_HYP);
    rec.version = ARMVMI_ABI_VERSION + 1;
    put_record(h, &rec);
    assert_int_equal(run(h, 2, &ops, &r), -ARMVMI_EFORMAT);
    assert_non_null(strstr(armvmi_errmsg(), "ABI version"));
    rec = rec_template(2, ARMVMI_VCPU_IN_HYP);
    rec.id = 3; /* the record of another vCPU in this slot */
    assert_int_equal(armvmi_write_pa(h, ARMVMI_VCPU_REC(2), &rec, sizeof(rec)), 0);
    assert_int_equal(run(h, 2, &ops, &r), -ARMVMI_EFORMAT);
    rec = rec_template(2, 77);
    put_record(h, &rec);
    assert_int_equal(run(h, 2, &ops, &r), -ARMVMI_EFORMAT);
    assert_int_equal(cpu.steps, 0);
    /* no such record slot, or a carve-out too small to hold it */
    assert_int_equal(run(h, ARMVMI_MAX_VCPUS, &ops, &r), -ARMVMI_EFORMAT);
    h->carve_size = 0x1100;
    assert_int_equal(run(h, 1, &ops, &r), -ARMVMI_EFORMAT);
    armvmi_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guest_code_is_left_alone),
        cmocka_unit_test(record_gives_the_guest),
        cmocka_unit_test(entry_and_exit_paths_are_stepped),
        cmocka_unit_test(stuck_off_and_unsteppable),
        cmocka_unit_test(hostile_records),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
