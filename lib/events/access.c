/* SPDX-License-Identifier: MIT */
/* access.c — a frame's access as the hypervisor's permission store holds it (GET_ACCESS). */
#include "events_priv.h"

int armvmi_mem_get_access(armvmi_events_t *ev, uint64_t gfn, unsigned *access)
{
    if (!ev || !access)
        return armvmi_set_error(ARMVMI_EINVAL, "armvmi_mem_get_access: NULL argument.");
    if (ev->in_cb)
        return armvmi_set_error(ARMVMI_ESTATE,
                                "a frame's access cannot be asked for from an event callback.");
    const struct armvmi_info *in = &ev->info;
    uint64_t pa = gfn << 12;
    bool ram = false;
    for (unsigned i = 0; i < in->nranges && gfn < (1ull << 40); i++)
        ram |= pa >= in->ranges[i].base && pa - in->ranges[i].base < in->ranges[i].size;
    if (!ram || (pa >= in->hyp_carve_base && pa - in->hyp_carve_base < in->hyp_carve_size))
        return armvmi_set_error(ARMVMI_EFAULT,
                                "frame 0x%llx is not guest RAM outside the hypervisor's "
                                "carve-out.",
                                (unsigned long long)gfn);
    uint64_t res[2];
    int rc = ev_cmd(ev, ARMVMI_CMD_GET_ACCESS, gfn, 0, 0, res);
    if (rc)
        return rc;
    if (res[0] <= ARMVMI_ACC_RWX)
        *access = (unsigned)res[0]; /* ARMVMI_ACC_R/W/X are ARMVMI_MEM_R/W/X */
    else if (res[0] == ARMVMI_ACC_RX2RW)
        *access = ARMVMI_MEM_RX2RW;
    else if (res[0] == ARMVMI_ACC_N2RWX)
        *access = ARMVMI_MEM_N2RWX;
    else
        return armvmi_set_error(ARMVMI_EFORMAT,
                                "the hypervisor says frame 0x%llx allows access %llu, which "
                                "abi.h does not have.",
                                (unsigned long long)gfn, (unsigned long long)res[0]);
    return 0;
}
