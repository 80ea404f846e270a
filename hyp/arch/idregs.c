/* SPDX-License-Identifier: MIT */
/* Trapped ID register reads (HCR_EL2.TID3): the guest sees the hardware's feature registers through
 * us. */
#include <hyp/arch.h>
#include <hyp/idregs.h>

#define ID_READ(crm, op2)                                                                          \
    case ((crm) << 3 | (op2)):                                                                     \
        __asm__ volatile("mrs %0, S3_0_C0_C" #crm "_" #op2 : "=r"(v));                             \
        break;

/* Arm ARM D17.2 / Table D18-2: the feature ID space is op0=3, op1=0, CRn=0, CRm=1..7. */
static u64 id_read(unsigned crm, unsigned op2)
{
    u64 v = 0;

    /* clang-format off */
    switch (crm << 3 | op2) {
    ID_READ(1, 0) ID_READ(1, 1) ID_READ(1, 2) ID_READ(1, 3)
    ID_READ(1, 4) ID_READ(1, 5) ID_READ(1, 6) ID_READ(1, 7)
    ID_READ(2, 0) ID_READ(2, 1) ID_READ(2, 2) ID_READ(2, 3)
    ID_READ(2, 4) ID_READ(2, 5) ID_READ(2, 6) ID_READ(2, 7)
    ID_READ(3, 0) ID_READ(3, 1) ID_READ(3, 2) ID_READ(3, 4) ID_READ(3, 5) ID_READ(3, 6)
    ID_READ(4, 0) ID_READ(4, 1) ID_READ(4, 4) ID_READ(4, 5)
    ID_READ(5, 0) ID_READ(5, 1) ID_READ(5, 4) ID_READ(5, 5)
    ID_READ(6, 0) ID_READ(6, 1) ID_READ(6, 2)
    ID_READ(7, 0) ID_READ(7, 1) ID_READ(7, 2)
    default:
        v = 0; /* unallocated ID encodings are RAZ (Arm ARM D18.1) */
        break;
    }
    /* clang-format on */
    if (crm == 7 && op2 == 1)
        v &= ~(0xfUL << 16); /* ID_AA64MMFR1_EL1.LO = 0: no FEAT_LOR for the guest (HCR_EL2.TLOR) */
    return v;
}

/* Returns true when the trapped access was an ID register read and has been emulated. */
bool idregs_sysreg(struct trap_frame *f, u64 esr)
{
    unsigned op0 = FIELD(esr, 20, 2), op1 = FIELD(esr, 14, 3), crn = FIELD(esr, 10, 4);
    unsigned crm = FIELD(esr, 1, 4), op2 = FIELD(esr, 17, 3), rt = ESR_SYS_RT(esr);

    if (op0 != 3 || op1 != 0 || crn != 0 || crm < 1 || crm > 7 || !(esr & ESR_SYS_READ))
        return false;
    if (rt != 31)
        f->x[rt] = id_read(crm, op2);
    return true;
}
