/* SPDX-License-Identifier: MIT */
/* cli.h — shared pieces of the armvmi command: options, output, subprocesses. */
#ifndef ARMVMI_CLI_H
#define ARMVMI_CLI_H

#include <armvmi/armvmi.h>
#include <armvmi/linux.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_PROFILES 4

struct cli {
    const char *vm;                         /* --vm SPEC, or NULL */
    bool json;                              /* --json */
    bool quiet;                             /* --quiet: no progress output */
    const char *profiles[CLI_MAX_PROFILES]; /* --profile FILE (ISF JSON or System.map) */
    int nprofiles;
};

struct armvmi_linux_profile;
/* Load the --profile files into *p (an ISF: types; otherwise a System.map). Prints the error
 * itself and returns 1 on failure. cli_profile_free releases what it loaded. */
int cli_profile_load(const struct cli *c, struct armvmi_linux_profile *p);
void cli_profile_free(struct armvmi_linux_profile *p);
/* `armvmi kernel`: where types and symbols come from with these profiles (text, or into j). */
void cli_profile_report(const struct cli *c, const struct armvmi_linux_kernel *k, json_t *j);

/* Print "armvmi: <message>" on stderr; returns 1 (the exit code for failures). */
int cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with the library's last error message appended. */
int cli_lib_err(const char *what);

/* Parse a number (decimal, 0x hex, optional K/M/G suffix if allow_suffix). */
int cli_u64(const char *s, uint64_t *out, bool allow_suffix);

/* Open the target chosen by --vm (or the only running VM). Prints the error itself. */
int cli_open(struct cli *c, armvmi_t **h);
/* cli_open, then pause a running VM (*paused: this call paused it, resume it after). */
int cli_open_paused(struct cli *c, armvmi_t **h, bool *paused);
/* cli_open, then take a pause held by the handle on a VM that can pause, also one paused
 * already (nested: armvmi_resume lets it run again only if it was running), which lets the
 * handle cache translations; *held: armvmi_resume(*h) before closing it. Prints its errors. */
int cli_open_held(struct cli *c, armvmi_t **h, bool *held);

/* Print a JSON value on stdout (indented) and drop the reference. Returns 0. */
int cli_json_out(json_t *v);

/* Canonical hexdump of len bytes labelled from addr. */
void cli_hexdump(FILE *f, uint64_t addr, const uint8_t *buf, size_t len);

/* Run argv in cwd (NULL: here) with stdout/stderr sent to out_fd/err_fd (-1: inherited) and
 * wait. Returns its exit status (128+signal if killed), or -1 if it could not run. */
int cli_spawn(char *const argv[], const char *cwd, int out_fd, int err_fd);
/* Run argv (argv[0] searched in PATH) and wait. quiet: send its stdout to /dev/null.
 * Returns its exit status, or -1 if it could not run (message printed). */
int cli_run(char *const argv[], bool quiet);
/* Run argv and capture up to cap-1 bytes of its stdout into out (NUL-terminated). */
int cli_capture(char *const argv[], char *out, size_t cap);

/* Directory holding the armvmi executable (for finding build/installed companions). */
const char *cli_exe_dir(void);
/* Find a companion file: tries each of the NULL-terminated relative paths below cli_exe_dir()
 * and returns a malloc'd absolute path, or NULL. */
char *cli_find_companion(const char *const rel[]);

/* Milliseconds on the monotonic clock, for timeouts. */
long long cli_now_ms(void);

/* Progress bar on stderr when it is a terminal; a progress callback for the library. */
int cli_progress(void *arg, uint64_t done, uint64_t total);

/* Options that choose a virtual address space (translate, read --va, write --va). */
enum {
    VAOPT_VCPU = 1000,
    VAOPT_REGIME,
    VAOPT_TTBR0,
    VAOPT_TTBR1,
    VAOPT_TCR,
    VAOPT_MAIR,
    VAOPT_SCTLR,
    VAOPT_VTCR,
    VAOPT_VTTBR,
    VAOPT_DACR,
    VAOPT_PID, /* --pid P: the address space of a Linux process (cmd_linux.c) */
};
#define VAOPT_NREGS (VAOPT_DACR - VAOPT_TTBR0 + 1)
struct cli_vaopts {
    unsigned vcpu;
    int regime; /* -1: from the vCPU */
    bool explicit_regs;
    bool has_pid;
    int32_t pid;
    bool set[VAOPT_NREGS];
    uint64_t val[VAOPT_NREGS];
    const struct cli *cli; /* its --profile files serve --pid (NULL: none) */
};
#define CLI_VAOPTS_INIT                                                                            \
    {                                                                                              \
        .regime = -1                                                                               \
    }
#define CLI_VAOPTS                                                                                 \
    {"vcpu", required_argument, 0, VAOPT_VCPU}, {"regime", required_argument, 0, VAOPT_REGIME},    \
        {"ttbr0", required_argument, 0, VAOPT_TTBR0},                                              \
        {"ttbr1", required_argument, 0, VAOPT_TTBR1}, {"tcr", required_argument, 0, VAOPT_TCR},    \
        {"mair", required_argument, 0, VAOPT_MAIR}, {"sctlr", required_argument, 0, VAOPT_SCTLR},  \
        {"vtcr", required_argument, 0, VAOPT_VTCR}, {"vttbr", required_argument, 0, VAOPT_VTTBR},  \
        {"dacr", required_argument, 0, VAOPT_DACR},                                                \
    {                                                                                              \
        "pid", required_argument, 0, VAOPT_PID                                                     \
    }
/* Record one VA option; prints its own error. */
int cli_vaopt(struct cli_vaopts *o, int opt, const char *arg);
/* The context those options describe on target h (a live VM must be paused). */
int cli_vactx(armvmi_t *h, const struct cli_vaopts *o, struct armvmi_tt_config *ctx);
/* The address space of Linux process pid on h (paused): its mm->pgd and the kernel's TCR;
 * c's --profile files give the types and symbols if it has any (c may be NULL). */
int cli_pid_ctx(const struct cli *c, armvmi_t *h, int32_t pid, struct armvmi_tt_config *ctx);
/* Pause h and build the context; on success end with armvmi_resume(h). Prints its errors. */
int cli_va_begin(armvmi_t *h, const struct cli_vaopts *o, struct armvmi_tt_config *ctx);

/* "rwx"-style permissions (ARMVMI_PERM_* bits) and "4K"/"2M"/"1G"-style sizes. */
void cli_perm_str(uint8_t perm, char out[4]);
const char *cli_size_str(uint64_t size, char *buf, size_t len);

/* Commands */
int cmd_translate(struct cli *c, int argc, char **argv);
int cmd_pages(struct cli *c, int argc, char **argv);
int cmd_info(struct cli *c, int argc, char **argv);
int cmd_regs(struct cli *c, int argc, char **argv);
int cmd_read(struct cli *c, int argc, char **argv);
int cmd_write(struct cli *c, int argc, char **argv);
int cmd_dump(struct cli *c, int argc, char **argv);
int cmd_vm(struct cli *c, int argc, char **argv);
int cmd_guest(struct cli *c, int argc, char **argv);
int cmd_kernel(struct cli *c, int argc, char **argv);
int cmd_syms(struct cli *c, int argc, char **argv);
int cmd_btf(struct cli *c, int argc, char **argv);
/* cmd_linux.c: processes, maps, files and modules of a Linux guest */
int cmd_ps(struct cli *c, int argc, char **argv);
int cmd_pstree(struct cli *c, int argc, char **argv);
int cmd_cmdline(struct cli *c, int argc, char **argv);
int cmd_maps(struct cli *c, int argc, char **argv);
int cmd_lsof(struct cli *c, int argc, char **argv);
int cmd_lsmod(struct cli *c, int argc, char **argv);
/* cmd_check.c: kernel integrity checks (lib/apps) */
int cmd_check(struct cli *c, int argc, char **argv);
/* cmd_psxview.c: hidden processes (lib/apps/psxview.c) */
int cmd_psxview(struct cli *c, int argc, char **argv);

/* Pause the target (a running VM; resumed after), find its kernel into *k and, with syms,
 * decode its symbols: a failure there is fatal unless syms_err (errlen bytes) takes the
 * message ("" on success). Prints its errors; returns 0 or 1. */
int cli_linux_load(struct cli *c, struct armvmi_linux_kernel *k, unsigned flags,
                   armvmi_linux_syms_t **syms, char *syms_err, size_t errlen);
int cmd_trace(struct cli *c, int argc, char **argv);

/* The guest kit (guestkit.c): paths of the default guest, fetched/built on first use. */
struct guest_kit {
    char kernel[4096];
    char initrd[4096];
    char kernel_version[128];
    char busybox_version[128];
};
/* What to fetch; all zero is the default guest. */
struct guest_kit_opts {
    const char *release; /* the kernel of this Debian release (NULL: the host's) */
    const char *flavour; /* linux-image-<flavour> (NULL: arm64) */
    bool refresh;        /* ask apt and download again */
};
/* The guest kit (kernel, initramfs), fetched and cached on first use; o may be NULL. */
int guestkit_get(struct guest_kit *k, const struct guest_kit_opts *o, bool verbose);

#endif
