/* SPDX-License-Identifier: MIT */
/* cmd_translate.c — `armvmi translate` and the VA context options shared with read/write --va. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static const struct {
    const char *name;
    enum armvmi_regime r;
} regimes[] = {
    {"el10", ARMVMI_REGIME_EL10},     {"el20", ARMVMI_REGIME_EL20},
    {"el2", ARMVMI_REGIME_EL2},       {"stage2", ARMVMI_REGIME_STAGE2},
    {"a32", ARMVMI_REGIME_A32_SHORT}, {"lpae", ARMVMI_REGIME_A32_LPAE},
};

int cli_vaopt(struct cli_vaopts *o, int opt, const char *arg)
{
    uint64_t v;
    if (opt == VAOPT_REGIME) {
        for (size_t i = 0; i < sizeof(regimes) / sizeof(regimes[0]); i++)
            if (strcasecmp(arg, regimes[i].name) == 0) {
                o->regime = (int)regimes[i].r;
                return 0;
            }
        return cli_err("--regime takes el10, el20, el2, stage2, a32 or lpae (got '%s').", arg);
    }
    if (cli_u64(arg, &v, false))
        return cli_err("'%s' is not a number (decimal or 0x hex).", arg);
    if (opt == VAOPT_PID) {
        if (v > 0x7fffffff)
            return cli_err("--pid %s is not a PID.", arg);
        o->has_pid = true;
        o->pid = (int32_t)v;
        return 0;
    }
    if (opt == VAOPT_VCPU) {
        if (v > 4096)
            return cli_err("--vcpu %s is out of range.", arg);
        o->vcpu = (unsigned)v;
        return 0;
    }
    unsigned idx = (unsigned)(opt - VAOPT_TTBR0);
    if (idx >= VAOPT_NREGS)
        return cli_err("internal: unknown option.");
    o->set[idx] = true;
    o->val[idx] = v;
    o->explicit_regs = true;
    return 0;
}

int cli_vactx(armvmi_t *h, const struct cli_vaopts *o, struct armvmi_tt_config *ctx)
{
    if (o->has_pid) {
        if (o->explicit_regs || o->regime >= 0)
            return cli_err("--pid chooses the address space: give no registers or --regime.");
        return cli_pid_ctx(o->cli, h, o->pid, ctx);
    }
    struct armvmi_info in;
    armvmi_get_info(h, &in);
    memset(ctx, 0, sizeof(*ctx));
    bool have_sys = (in.caps & ARMVMI_CAP_SYSREGS) && in.vcpus > 0;
    if (have_sys) {
        if (armvmi_vactx_from_vcpu(h, o->vcpu, o->regime, ctx)) {
            if (!o->explicit_regs)
                return cli_lib_err("cannot take the translation registers from the vCPU");
            memset(ctx, 0, sizeof(*ctx));
            ctx->regime = o->regime >= 0 ? (enum armvmi_regime)o->regime : ARMVMI_REGIME_EL10;
        }
    } else if (!o->explicit_regs) {
        return cli_err("%s has no system registers: give the translation registers (e.g. "
                       "--ttbr1 X --tcr Y).",
                       in.target);
    } else {
        ctx->regime = o->regime >= 0 ? (enum armvmi_regime)o->regime : ARMVMI_REGIME_EL10;
    }
    uint64_t *dst[VAOPT_NREGS] = {&ctx->ttbr0, &ctx->ttbr1, &ctx->tcr,   &ctx->mair,
                                  &ctx->sctlr, &ctx->vtcr,  &ctx->vttbr, NULL};
    for (unsigned i = 0; i < VAOPT_NREGS; i++)
        if (o->set[i]) {
            if (dst[i])
                *dst[i] = o->val[i];
            else
                ctx->dacr = (uint32_t)o->val[i];
        }
    if (o->set[VAOPT_VTTBR - VAOPT_TTBR0])
        ctx->stage2 = ctx->regime != ARMVMI_REGIME_STAGE2;
    /* A TCR/VTCR given with DS=1 describes a CPU with FEAT_LPA2 (DS is RES0 without it): walk
     * as that CPU would, even where the vCPU's ID registers are unknown. */
    if (o->set[VAOPT_TCR - VAOPT_TTBR0] || o->set[VAOPT_VTCR - VAOPT_TTBR0])
        ctx->features |= armvmi_features_from_tcr(ctx);
    return 0;
}

static const char *const sh_names[4] = {"non-shareable", "reserved", "outer", "inner"};

int cli_va_begin(armvmi_t *h, const struct cli_vaopts *o, struct armvmi_tt_config *ctx)
{
    if (armvmi_pause(h))
        return cli_lib_err("cannot pause the VM");
    if (cli_vactx(h, o, ctx)) {
        armvmi_resume(h);
        return 1;
    }
    return 0;
}

/* One walk step in words, for someone learning ARM paging. */
static void print_step(const struct armvmi_walk_step *s, const struct armvmi_tt_config *c)
{
    bool long_fmt = c->regime != ARMVMI_REGIME_A32_SHORT || s->stage == 2;
    printf("  %s L%-2d table 0x%010llx [%4u] @0x%010llx = 0x%016llx", s->stage == 2 ? "s2" : "s1",
           s->level, (unsigned long long)s->table, s->index, (unsigned long long)s->addr,
           (unsigned long long)s->desc);
    if (!long_fmt) {
        putchar('\n');
        return;
    }
    uint64_t d = s->desc;
    if (s->kind == ARMVMI_STEP_INVALID) {
        printf("  invalid\n");
        return;
    }
    if (s->kind == ARMVMI_STEP_TABLE) {
        printf("  table -> 0x%llx", (unsigned long long)(d & ARMVMI_DESC_OA_MASK));
        if (s->stage == 1) {
            unsigned apt = (unsigned)(d >> ARMVMI_DESC_APTABLE_SHIFT) & 3;
            if (apt)
                printf(" APTable=%u", apt);
            if (d & ARMVMI_DESC_XNTABLE)
                printf(" UXNTable");
            if (d & ARMVMI_DESC_PXNTABLE)
                printf(" PXNTable");
            if (d & ARMVMI_DESC_NSTABLE)
                printf(" NSTable");
        }
        putchar('\n');
        return;
    }
    printf("  %s -> 0x%llx", s->kind == ARMVMI_STEP_PAGE ? "page" : "block",
           (unsigned long long)(d & ARMVMI_DESC_OA_MASK));
    if (s->stage == 1) {
        printf(" AttrIndx=%u AP=%u SH=%s%s%s%s%s%s%s%s",
               (unsigned)(d >> ARMVMI_DESC_ATTRINDX_SHIFT) & 7,
               (unsigned)(d >> ARMVMI_DESC_AP_SHIFT) & 3, sh_names[(d >> ARMVMI_DESC_SH_SHIFT) & 3],
               (d & ARMVMI_DESC_AF) ? " AF" : "", (d & ARMVMI_DESC_NG) ? " nG" : "",
               (d & ARMVMI_DESC_NS) ? " NS" : "", (d & ARMVMI_DESC_UXN) ? " UXN" : "",
               (d & ARMVMI_DESC_PXN) ? " PXN" : "", (d & ARMVMI_DESC_CONTIG) ? " Contig" : "",
               (d & ARMVMI_DESC_DBM) ? " DBM" : "");
    } else {
        printf(" MemAttr=0x%x S2AP=%u%s", (unsigned)(d >> ARMVMI_DESC_S2_MEMATTR_SHIFT) & 0xf,
               (unsigned)(d >> ARMVMI_DESC_S2AP_SHIFT) & 3, (d & ARMVMI_DESC_AF) ? " AF" : "");
    }
    putchar('\n');
}

static void print_text(const struct armvmi_translation *t, const struct armvmi_tt_config *c,
                       bool trace)
{
    printf("%s 0x%016llx", c->stage2 ? "VA (stage 1+2)" : "VA", (unsigned long long)t->va);
    printf("  regime %s", armvmi_regime_name(c->regime));
    if (c->regime == ARMVMI_REGIME_EL10 || c->regime == ARMVMI_REGIME_EL20)
        printf(", TTBR%d 0x%llx", (int)((t->va >> 55) & 1),
               (unsigned long long)((t->va >> 55) & 1 ? c->ttbr1 : c->ttbr0));
    printf(", TCR 0x%llx\n", (unsigned long long)c->tcr);
    if (trace)
        for (unsigned i = 0; i < t->nsteps; i++)
            print_step(&t->steps[i], c);
    if (t->fault != ARMVMI_FAULT_NONE) {
        printf("=> %s%s fault at level %d", t->fault_stage == 2 ? "stage-2 " : "",
               armvmi_fault_name(t->fault), t->fault_level);
        if (t->fault_stage == 2)
            printf(" (IPA 0x%llx%s)", (unsigned long long)t->fault_ipa,
                   t->fault_s1ptw ? ", reading a stage-1 table" : "");
        putchar('\n');
        return;
    }
    char sz[32], p0[4], p1[4];
    cli_perm_str(t->perm_el0, p0);
    cli_perm_str(t->perm_el1, p1);
    printf("=> PA 0x%016llx", (unsigned long long)t->pa);
    if (c->stage2)
        printf(" (IPA 0x%llx)", (unsigned long long)t->ipa);
    printf("  %s %s at level %d%s\n", cli_size_str(t->size, sz, sizeof(sz)),
           t->level == 3 || (c->regime == ARMVMI_REGIME_A32_SHORT && t->size < (1u << 20))
               ? "page"
               : "block",
           t->level, t->contiguous ? " (contiguous)" : "");
    printf("   %s %s  EL0 %s  AttrIndx %u (attr 0x%02x)  SH %s%s%s%s\n",
           c->regime == ARMVMI_REGIME_EL2 || c->regime == ARMVMI_REGIME_EL20 ? "EL2" : "EL1", p1,
           p0, t->attrindx, t->attr, sh_names[t->sh & 3], t->af ? "  AF" : "",
           t->ng ? "  nG" : "  global", t->ns ? "  NS" : "");
}

static json_t *to_json(const struct armvmi_translation *t, const struct armvmi_tt_config *c)
{
    char hex[24];
    json_t *o = json_object();
    snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)t->va);
    json_object_set_new(o, "va", json_string(hex));
    json_object_set_new(o, "regime", json_string(armvmi_regime_name(c->regime)));
    json_object_set_new(o, "stage2", json_boolean(c->stage2 || c->regime == ARMVMI_REGIME_STAGE2));
    if (t->fault != ARMVMI_FAULT_NONE) {
        json_object_set_new(o, "fault", json_string(armvmi_fault_name(t->fault)));
        json_object_set_new(o, "fault_level", json_integer(t->fault_level));
        json_object_set_new(o, "fault_stage", json_integer(t->fault_stage));
        if (t->fault_stage == 2)
            json_object_set_new(o, "fault_ipa", json_integer((json_int_t)t->fault_ipa));
    } else {
        char p0[4], p1[4];
        cli_perm_str(t->perm_el0, p0);
        cli_perm_str(t->perm_el1, p1);
        json_object_set_new(o, "pa", json_integer((json_int_t)t->pa));
        json_object_set_new(o, "ipa", json_integer((json_int_t)t->ipa));
        json_object_set_new(o, "size", json_integer((json_int_t)t->size));
        json_object_set_new(o, "level", json_integer(t->level));
        json_object_set_new(o, "perm_el1", json_string(p1));
        json_object_set_new(o, "perm_el0", json_string(p0));
        json_object_set_new(o, "attrindx", json_integer(t->attrindx));
        json_object_set_new(o, "attr", json_integer(t->attr));
        json_object_set_new(o, "sh", json_integer(t->sh));
        json_object_set_new(o, "ns", json_boolean(t->ns));
        json_object_set_new(o, "ng", json_boolean(t->ng));
        json_object_set_new(o, "af", json_boolean(t->af));
        json_object_set_new(o, "dbm", json_boolean(t->dbm));
        json_object_set_new(o, "contiguous", json_boolean(t->contiguous));
    }
    json_t *steps = json_array();
    for (unsigned i = 0; i < t->nsteps; i++)
        json_array_append_new(
            steps, json_pack("{s:i,s:i,s:I,s:i,s:I,s:s}", "stage", t->steps[i].stage, "level",
                             t->steps[i].level, "table", (json_int_t)t->steps[i].table, "index",
                             (int)t->steps[i].index, "addr", (json_int_t)t->steps[i].addr, "desc",
                             (snprintf(hex, sizeof(hex), "0x%016llx",
                                       (unsigned long long)t->steps[i].desc),
                              hex)));
    json_object_set_new(o, "steps", steps);
    return o;
}

static const char help[] =
    "usage: armvmi [--vm SPEC] translate VA [--trace] [--access r|w|x[u]] [--json]\n"
    "                 [--vcpu N] [--regime el10|el20|el2|stage2|a32|lpae]\n"
    "                 [--ttbr0 X] [--ttbr1 Y] [--tcr Z] [--mair M] [--sctlr S]\n"
    "                 [--vtcr V --vttbr W] [--dacr D] | [--pid P]\n"
    "Translates a virtual address the way the MMU would. Without registers it uses the\n"
    "vCPU's own (a running VM is paused meanwhile), choosing the regime from PSTATE.EL and\n"
    "HCR_EL2.E2H; registers given on the command line replace the vCPU's (e.g. --ttbr0 of\n"
    "another process), and are all it needs on a target without registers. The CPU's\n"
    "translation features (52-bit VAs/PAs with LPA2) come from its ID registers, or from\n"
    "TCR.DS: a --tcr or --vtcr with DS=1 always gets LPA2 walks. Under a\n"
    "hypervisor with stage 2 on (HCR_EL2.VM), a vCPU at EL0/EL1 gives the combined regime\n"
    "(stage-1 table reads and the output go through stage 2). Under the armvmi hypervisor\n"
    "the vCPU is always the guest's, also when the pause lands inside the hypervisor.\n"
    "--trace prints every table, index and descriptor of the walk, decoded. --access checks a\n"
    "read, write or execute (add u for an unprivileged access). --json prints one object whose\n"
    "\"pa\" is the output address, or whose \"fault\" says why there is none.\n"
    "--pid P uses the address space of Linux process P (its mm->pgd and the kernel's TCR,\n"
    "found in memory: works on dumps and raw images too); the same option serves read and\n"
    "write --va.\n";

int cmd_translate(struct cli *c, int argc, char **argv)
{
    struct option opts[] = {{"trace", no_argument, 0, 't'},
                            {"access", required_argument, 0, 'a'},
                            {"help", no_argument, 0, 'h'},
                            CLI_VAOPTS,
                            {0, 0, 0, 0}};
    struct cli_vaopts vo = CLI_VAOPTS_INIT;
    vo.cli = c;
    bool trace = false;
    unsigned access = 0;
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 't':
            trace = true;
            break;
        case 'a':
            for (const char *p = optarg; *p; p++) {
                if (*p == 'r')
                    access |= ARMVMI_ACC_READ;
                else if (*p == 'w')
                    access |= ARMVMI_ACC_WRITE;
                else if (*p == 'x')
                    access |= ARMVMI_ACC_EXEC;
                else if (*p == 'u')
                    access |= ARMVMI_ACC_EL0;
                else
                    return cli_err("--access takes r, w, x and u (got '%s').", optarg);
            }
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            if (ch >= VAOPT_VCPU && ch <= VAOPT_PID) {
                if (cli_vaopt(&vo, ch, optarg))
                    return 1;
                break;
            }
            fputs(help, stderr);
            return 2;
        }
    }
    uint64_t va;
    if (optind != argc - 1 || cli_u64(argv[optind], &va, false))
        return cli_err("translate needs one virtual address (decimal or 0x hex).");
    armvmi_t *h;
    if (cli_open(c, &h))
        return 1;
    struct armvmi_tt_config ctx;
    struct armvmi_translation *t = calloc(1, sizeof(*t));
    int rc = t ? cli_va_begin(h, &vo, &ctx) : cli_err("out of memory.");
    if (!rc) {
        if (armvmi_translate_uncached(h, &ctx, va, access, t))
            rc = cli_lib_err("translate");
        armvmi_resume(h);
    }
    armvmi_close(h);
    if (!rc) {
        if (c->json)
            cli_json_out(to_json(t, &ctx));
        else
            print_text(t, &ctx, trace);
        /* a fault is an answer, not a failure of the command */
    }
    free(t);
    return rc;
}
