/* SPDX-License-Identifier: MIT */
/* sysmeta.c — the kernel's own record of each system call's number: its syscall trace metadata. */
#include <stdlib.h>
#include <string.h>

#include "check_priv.h"

/*
 * With CONFIG_FTRACE_SYSCALLS every SYSCALL_DEFINE has a struct syscall_metadata in .data:
 * { const char *name ("sys_getpid"); int syscall_nr; int nb_args; ... }, and at boot
 * init_ftrace_syscalls() stores in syscall_nr the index at which it found the function in
 * sys_call_table (kernel/trace/trace_syscalls.c). That is the table as it was at boot: a
 * function moved to another slot later no longer matches its own record.
 */
#define META_SPAN (96ull << 20) /* bytes of the image scanned after _etext */
#define META_HOLE 2048u         /* unmapped pages in a row that end the image (init is a hole) */
#define META_NAME_MAX 64
#define META_MAX 4096
#define PAGE 4096u

struct meta {
    char name[META_NAME_MAX];
    int32_t nr;
    bool dup; /* two records of this name disagree: not used */
};

/* A NUL-terminated "sys_*" name starting at off (readable pages only), or NULL. */
static const char *name_at(const uint8_t *buf, const uint8_t *ok, size_t len, size_t off)
{
    if (off >= len || !ok[off / PAGE] || (off && buf[off - 1] != 0) ||
        memcmp(buf + off, "sys_", 4) != 0)
        return NULL;
    for (size_t i = off; i < len && i - off < META_NAME_MAX && ok[i / PAGE]; i++)
        if (!buf[i])
            return (const char *)buf + off;
    return NULL;
}

int check_sysmeta(armvmi_check_t *c)
{
    if (c->metas_done)
        return 0;
    c->metas_done = true;
    uint64_t base = c->etext & ~(uint64_t)(PAGE - 1);
    size_t npages = META_SPAN / PAGE, last = 0, hole = 0;
    uint8_t *buf = malloc(META_SPAN), *ok = calloc(npages, 1);
    struct meta *m = calloc(META_MAX, sizeof(*m));
    if (!buf || !ok || !m) {
        free(buf);
        free(ok);
        free(m);
        return armvmi_set_error(ARMVMI_ENOMEM, "out of memory.");
    }
    for (size_t p = 0; p < npages && hole < META_HOLE; p++) {
        ok[p] = !armvmi_read_va(c->h, &c->kctx, base + p * PAGE, buf + p * PAGE, PAGE);
        hole = ok[p] ? 0 : hole + 1;
        if (ok[p])
            last = p + 1;
    }
    size_t len = last * PAGE, n = 0;
    for (size_t off = 0; off + 16 <= len; off += 8) {
        if (!ok[off / PAGE])
            continue;
        uint64_t w;
        int32_t nr, nargs;
        memcpy(&w, buf + off, 8);
        memcpy(&nr, buf + off + 8, 4);
        memcpy(&nargs, buf + off + 12, 4);
        if (w < base || w - base >= len || nr < -1 || nr >= (int32_t)ARMVMI_CHECK_MAX_SYSCALLS ||
            nargs < 0 || nargs > 6)
            continue;
        const char *name = name_at(buf, ok, len, (size_t)(w - base));
        if (!name || strncmp(name, "sys_enter_", 10) == 0 || strncmp(name, "sys_exit_", 9) == 0)
            continue;
        size_t k = 0;
        while (k < n && strcmp(m[k].name, name) != 0)
            k++;
        if (k < n) {
            m[k].dup |= m[k].nr != nr;
            continue;
        }
        if (n == META_MAX)
            break;
        snprintf(m[n].name, sizeof(m[n].name), "%s", name);
        m[n++].nr = nr;
    }
    free(buf);
    free(ok);
    c->metas = m;
    c->nmetas = n;
    return 0;
}

int check_sysmeta_nr(const armvmi_check_t *c, const char *fn)
{
    /* arch_syscall_match_sym_name() on arm64: the symbol without its "__arm64_" prefix */
    if (strncmp(fn, "__arm64_sys_", 12) != 0)
        return -1;
    for (size_t i = 0; i < c->nmetas; i++)
        if (strcmp(c->metas[i].name, fn + 8) == 0)
            return c->metas[i].dup ? -1 : c->metas[i].nr;
    return -1;
}
