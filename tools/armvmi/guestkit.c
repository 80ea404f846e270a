/* SPDX-License-Identifier: MIT */
/* guestkit.c — the default guest: Debian's arm64 kernel and busybox plus our test programs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "guestapt.h"
#include "core/paths.h"

/* The initramfs's /init: busybox init with an inittab that prints the marker the launcher
 * waits for and keeps a shell on the console. */
static const char init_rcs[] = "#!/bin/sh\n"
                               "mount -t proc proc /proc\n"
                               "mount -t sysfs sysfs /sys\n"
                               "mount -t devtmpfs devtmpfs /dev 2>/dev/null\n"
                               "mkdir -p /dev/pts && mount -t devpts devpts /dev/pts\n"
                               "mount -t tmpfs tmpfs /tmp\n"
                               "hostname armvmi-guest\n"
                               "echo ARMVMI-INIT-READY\n";
static const char init_tab[] = "::sysinit:/etc/init.d/rcS\n"
                               "::respawn:/bin/cttyhack /bin/sh -l\n"
                               "::ctrlaltdel:/sbin/reboot\n"
                               "::shutdown:/bin/umount -a -r\n";
static const char init_sh[] =
    "#!/bin/busybox sh\n"
    "/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /etc/init.d\n"
    "/bin/busybox --install -s\n"
    "exec /bin/busybox init\n";

static void sanitize(char *s)
{
    for (; *s; s++)
        if (*s == ':' || *s == '/' || *s == ' ')
            *s = '_';
}

/* Install the kernel Image from an unpacked linux-image package into final. */
static int install_kernel(const char *x, const char *final)
{
    char cmd[9000];
    snprintf(cmd, sizeof(cmd),
             "set -e; d=\"$(dirname \"$1\")\"; cd \"$2/boot\"; f=$(ls vmlinuz-* | head -n 1); "
             "s=\"$1.staging\"; rm -rf \"$s\"; mkdir -p \"$s\"; "
             "if [ \"$(head -c 2 \"$f\" | od -An -tx1 | tr -d ' ')\" = 1f8b ]; then "
             "gzip -dc \"$f\" > \"$s/Image\"; else cp \"$f\" \"$s/Image\"; fi; "
             "cp config-* \"$s/config\" 2>/dev/null || true; "
             /* two small self-contained modules for tests that load some (lsmod), as plain
              * .ko (Debian 13 ships them xz-compressed under /usr/lib) */
             "mkdir -p \"$s/modules\"; for m in fs/nls/nls_ascii crypto/crc32_generic; do "
             "for k in \"$2\"/lib/modules/*/kernel/$m.ko* \"$2\"/usr/lib/modules/*/kernel/$m.ko*; "
             "do case \"$k\" in *.ko) cp \"$k\" \"$s/modules/\";; *.ko.xz) xz -dc \"$k\" > "
             "\"$s/modules/${m##*/}.ko\";; esac; done; done 2>/dev/null || true; "
             "echo \"${f#vmlinuz-}\" > \"$s/release\"; mv \"$s\" \"$1\"");
    char *sh[] = {"sh", "-c", cmd, "sh", (char *) final, (char *)x, NULL};
    return cli_run(sh, true) == 0 ? 0 : -1;
}

/* Hash of everything that goes into the initramfs, to name its cache entry. */
static uint64_t fnv_file(uint64_t h, const char *path)
{
    FILE *f = fopen(path, "rb");
    int c;
    if (!f)
        return h;
    while ((c = fgetc(f)) != EOF)
        h = (h ^ (uint64_t)c) * 0x100000001b3ull;
    fclose(f);
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull;
}

static int build_initrd(const char *cache, const char *busybox, const char *guestdir, char *out,
                        size_t outlen, bool verbose)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv_str(fnv_str(fnv_str(h, init_rcs), init_tab), init_sh);
    h = fnv_file(h, busybox);
    struct dirent **ents = NULL;
    int n = scandir(guestdir, &ents, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char p[4400];
        snprintf(p, sizeof(p), "%s/%s", guestdir, ents[i]->d_name);
        if (ents[i]->d_name[0] != '.')
            h = fnv_file(fnv_str(h, ents[i]->d_name), p);
    }
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/initrd", cache);
    if (armvmi_mkdirs(dir)) {
        for (int i = 0; i < n; i++)
            free(ents[i]);
        free(ents);
        return cli_lib_err(NULL);
    }
    snprintf(out, outlen, "%s/initrd-%016llx.cpio.gz", dir, (unsigned long long)h);
    if (guestkit_exists(out)) {
        for (int i = 0; i < n; i++)
            free(ents[i]);
        free(ents);
        return 0;
    }
    guestkit_say(verbose, "building the initramfs %s%s", out, "");
    char stage[4300];
    snprintf(stage, sizeof(stage), "%s/stage-XXXXXX", dir);
    if (!mkdtemp(stage))
        return cli_err("cannot create a staging directory in %s.", dir);
    char p[4600];
    int rc = 0;
    static const char *const sub[] = {"bin", "sbin", "etc",  "etc/init.d", "proc",     "sys",
                                      "dev", "tmp",  "root", "usr/bin",    "usr/sbin", NULL};
    for (int i = 0; sub[i] && !rc; i++) {
        snprintf(p, sizeof(p), "%s/%s", stage, sub[i]);
        rc = armvmi_mkdirs(p);
    }
    struct {
        const char *name, *text;
        mode_t mode;
    } files[] = {{"init", init_sh, 0755},
                 {"etc/init.d/rcS", init_rcs, 0755},
                 {"etc/inittab", init_tab, 0644}};
    for (size_t i = 0; i < 3 && !rc; i++) {
        snprintf(p, sizeof(p), "%s/%s", stage, files[i].name);
        FILE *f = fopen(p, "w");
        if (!f || fputs(files[i].text, f) < 0)
            rc = -1;
        if (f && fclose(f))
            rc = -1;
        chmod(p, files[i].mode);
    }
    char cmd[12000];
    snprintf(cmd, sizeof(cmd),
             "set -e; cp \"$2\" bin/busybox; chmod 755 bin/busybox; "
             "for f in \"$3\"/*; do [ -f \"$f\" ] && cp \"$f\" bin/ && chmod 755 \"bin/${f##*/}\"; "
             "done; find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "
             "\"$1.tmp\"; mv \"$1.tmp\" \"$1\"");
    char *sh[] = {"sh", "-c", cmd, "sh", out, (char *)busybox, (char *)guestdir, NULL};
    if (!rc && cli_spawn(sh, stage, -1, -1) != 0)
        rc = -1;
    guestkit_rm_rf(stage);
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    if (rc) {
        snprintf(p, sizeof(p), "%s.tmp", out);
        unlink(p);
        return cli_err("building the initramfs failed (are cpio and gzip installed?).");
    }
    return 0;
}

/* Newest entry under dir whose subpath exists, for when apt cannot be asked. */
static int newest_cached(const char *dir, const char *subpath, char *out, size_t len)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    int found = -1;
    for (int i = n - 1; i >= 0; i--) {
        char p[4600];
        snprintf(p, sizeof(p), "%s/%s/%s", dir, ents[i]->d_name, subpath);
        if (found < 0 && ents[i]->d_name[0] != '.' && strncmp(ents[i]->d_name, "tmp-", 4) &&
            guestkit_exists(p)) {
            snprintf(out, len, "%s", p);
            found = 0;
        }
        free(ents[i]);
    }
    if (n >= 0)
        free(ents);
    return found;
}

/* One Debian package in the cache: dir/<pkg>_<ver>/<file>. */
static int cached_package(const struct apt_src *src, const char *cache, const char *kind,
                          const char *meta, const char *file, char *out, size_t outlen,
                          char *ver_out, size_t verlen, bool verbose, bool refresh)
{
    char dir[4200], pkg[128], ver[128];
    snprintf(dir, sizeof(dir), "%s/%s", cache, kind);
    if (armvmi_mkdirs(dir))
        return cli_lib_err(NULL);
    char stamp[512];
    apt_stamp(src, stamp, sizeof(stamp));
    /* While apt's state is what it was when it last named the package, that answer stands. */
    if (refresh || apt_memo_get(dir, meta, stamp, pkg, sizeof(pkg), ver, sizeof(ver))) {
        /* a private release's lists are ours to fetch: on first use and on --refresh */
        bool updated = src->release && (refresh || apt_lists_missing(src));
        if (updated && apt_update(src, verbose))
            return 1;
        if (apt_resolve(src, meta, pkg, sizeof(pkg), ver, sizeof(ver))) {
            if (!refresh && newest_cached(dir, file, out, outlen) == 0) {
                snprintf(ver_out, verlen, "cached");
                return 0;
            }
            if ((!updated && apt_update(src, verbose)) ||
                apt_resolve(src, meta, pkg, sizeof(pkg), ver, sizeof(ver))) {
                if (src->release)
                    return cli_err("Debian '%s' (%s) has no package %s:arm64: check the "
                                   "release and --flavour.",
                                   src->release, src->mirror, meta);
                return cli_err("apt does not know %s:arm64 even after apt-get update.", meta);
            }
            apt_stamp(src, stamp, sizeof(stamp)); /* apt-get update changed it */
        }
        apt_memo_put(dir, meta, stamp, pkg, ver);
    }
    char entry[4500], name[300];
    snprintf(name, sizeof(name), "%s_%s", pkg, ver);
    sanitize(name);
    snprintf(entry, sizeof(entry), "%s/%s", dir, name);
    snprintf(out, outlen, "%s/%s", entry, file);
    snprintf(ver_out, verlen, "%s %s", pkg, ver);
    char mods[4600];
    snprintf(mods, sizeof(mods), "%s/modules", entry);
    /* a kernel cached before the test modules were kept is fetched again */
    if (guestkit_exists(out) && !refresh && (strncmp(kind, "kernel", 6) || guestkit_exists(mods)))
        return 0;
    char *x = apt_fetch_deb(src, dir, pkg, verbose);
    if (!x)
        return 1;
    int rc;
    if (strncmp(kind, "kernel", 6) == 0) {
        guestkit_rm_rf(entry);
        rc = install_kernel(x, entry);
    } else {
        char cmd[9000];
        snprintf(cmd, sizeof(cmd),
                 "set -e; rm -rf \"$1\" \"$1.staging\"; mkdir -p \"$1.staging\"; "
                 "cp \"$2/bin/busybox\" \"$1.staging/busybox\"; mv \"$1.staging\" \"$1\"");
        char *sh[] = {"sh", "-c", cmd, "sh", entry, x, NULL};
        rc = cli_run(sh, true) == 0 ? 0 : -1;
    }
    char *slash = strrchr(x, '/');
    *slash = 0;
    guestkit_rm_rf(x);
    free(x);
    if (rc || !guestkit_exists(out))
        return cli_err("the %s package did not contain what armvmi needs (%s).", pkg, file);
    return 0;
}

/* Remove what an interrupted earlier run left: temporary and staging entries. Only called with
 * the cache lock held, so no other fetch is using them. */
static void clean_leftovers(const char *gcache)
{
    char cmd[] = "cd \"$1\" && for d in kernel kernel-* busybox initrd; do [ -d \"$d\" ] || "
                 "continue; "
                 "rm -rf \"$d\"/tmp-* \"$d\"/*.staging \"$d\"/stage-* \"$d\"/*.tmp; done";
    char *sh[] = {"sh", "-c", cmd, "sh", (char *)gcache, NULL};
    cli_run(sh, true);
}

int guestkit_get(struct guest_kit *k, const struct guest_kit_opts *o, bool verbose)
{
    static const struct guest_kit_opts defaults = {0};
    char cache[4096], gcache[4200], lockpath[4300];
    memset(k, 0, sizeof(*k));
    if (!o)
        o = &defaults;
    const char *flavour = o->flavour ? o->flavour : "arm64";
    size_t fl = strlen(flavour);
    if (fl == 0 || fl > 60 || strspn(flavour, "abcdefghijklmnopqrstuvwxyz0123456789-.+") != fl)
        return cli_err("--flavour takes a Debian kernel flavour such as arm64 or arm64-16k "
                       "(got '%s').",
                       flavour);
    if (armvmi_cache_root(cache, sizeof(cache)))
        return cli_lib_err(NULL);
    snprintf(gcache, sizeof(gcache), "%s/guest", cache);
    if (armvmi_mkdirs(gcache))
        return cli_lib_err(NULL);
    /* one fetch at a time per cache; the lock goes with the process, however it ends */
    snprintf(lockpath, sizeof(lockpath), "%s/.lock", gcache);
    int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB)) {
        if (lock >= 0) {
            guestkit_say(verbose, "waiting for another armvmi fetching the guest kit%s%s", "", "");
            flock(lock, LOCK_EX);
        }
    }
    clean_leftovers(gcache);
    static const char *const guest_rel[] = {"../guest", "../libexec/armvmi/guest", NULL};
    const char *env = getenv("ARMVMI_GUEST_PROGRAMS");
    char *guestdir = env && *env ? strdup(env) : cli_find_companion(guest_rel);
    if (!guestdir) {
        if (lock >= 0)
            close(lock);
        return cli_err("the guest test programs were not found next to armvmi (%s/../guest): "
                       "run `make` first.",
                       cli_exe_dir());
    }
    /* The kernel may come from another release or flavour (its own cache entry); busybox and
     * the initramfs are always the host release's, and serve every kernel. */
    struct apt_src host = {0}, *rel = calloc(1, sizeof(*rel));
    char busybox[4600], meta[128], kind[160];
    snprintf(meta, sizeof(meta), "linux-image-%s", flavour);
    if (!o->release && !strcmp(flavour, "arm64"))
        snprintf(kind, sizeof(kind), "kernel");
    else
        snprintf(kind, sizeof(kind), "kernel-%s-%s", o->release ? o->release : "host", flavour);
    int rc = rel ? 0 : cli_err("out of memory.");
    if (!rc && o->release)
        rc = apt_private(rel, gcache, o->release, o->refresh);
    if (!rc)
        rc = cached_package(o->release ? rel : &host, gcache, kind, meta, "Image", k->kernel,
                            sizeof(k->kernel), k->kernel_version, sizeof(k->kernel_version),
                            verbose, o->refresh);
    free(rel);
    if (!rc)
        rc = cached_package(&host, gcache, "busybox", "busybox-static", "busybox", busybox,
                            sizeof(busybox), k->busybox_version, sizeof(k->busybox_version),
                            verbose, o->refresh);
    if (!rc)
        rc = build_initrd(gcache, busybox, guestdir, k->initrd, sizeof(k->initrd), verbose);
    free(guestdir);
    if (lock >= 0)
        close(lock);
    return rc;
}

int cmd_guest(struct cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: armvmi guest fetch [--kernel-release SUITE] [--flavour F] [--refresh] [--json]\n"
        "Gets the default guest: Debian's arm64 kernel (what linux-image-arm64:arm64 depends\n"
        "on) and busybox-static:arm64 through apt, and an initramfs with busybox and armvmi's\n"
        "guest test programs. Everything is cached under ~/.cache/armvmi/guest (or\n"
        "$ARMVMI_CACHE_DIR); a second run downloads nothing, and while apt's package lists\n"
        "are unchanged it does not ask apt again. --refresh asks apt and downloads again.\n"
        "Prints the kernel and initramfs paths.\n"
        "  --kernel-release SUITE  the kernel of another Debian release (trixie, stable,\n"
        "                   bookworm-backports, ...), from the mirror the host's apt uses (or\n"
        "                   $ARMVMI_DEBIAN_MIRROR) through package lists of its own, kept in the\n"
        "                   cache: the host's apt is not changed\n"
        "  --flavour F      the kernel flavour: linux-image-F (default arm64; arm64-16k, ...)\n"
        "The initramfs serves every kernel: boot one with `armvmi vm start --kernel PATH`.\n";
    struct guest_kit_opts go = {0};
    if (argc < 2 || strcmp(argv[1], "fetch") != 0) {
        bool h = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
        fputs(help, h ? stdout : stderr);
        return h ? 0 : 2;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--refresh"))
            go.refresh = true;
        else if ((!strcmp(argv[i], "--kernel-release") || !strcmp(argv[i], "--flavour")) &&
                 i + 1 < argc) {
            *(argv[i][2] == 'k' ? &go.release : &go.flavour) = argv[i + 1];
            i++;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(help, stdout);
            return 0;
        } else
            return cli_err("guest fetch: unknown argument '%s'.", argv[i]);
    }
    struct guest_kit k;
    if (guestkit_get(&k, &go, !c->quiet && !c->json))
        return 1;
    if (c->json)
        return cli_json_out(json_pack("{s:s,s:s,s:s,s:s}", "kernel", k.kernel, "initrd", k.initrd,
                                      "kernel_package", k.kernel_version, "busybox_package",
                                      k.busybox_version));
    printf("kernel:  %s (%s)\ninitrd:  %s (%s)\n", k.kernel, k.kernel_version, k.initrd,
           k.busybox_version);
    return 0;
}
