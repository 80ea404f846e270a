/* SPDX-License-Identifier: MIT */
/* guestapt.c — the guest kit's apt: the host's or a private configuration, lookups, downloads. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/paths.h"
#include "guestapt.h"

void guestkit_say(bool verbose, const char *fmt, const char *a, const char *b)
{
    if (!verbose)
        return;
    fputs("guest kit: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
}

int guestkit_rm_rf(const char *path)
{
    char *argv[] = {"rm", "-rf", (char *)path, NULL};
    return cli_run(argv, true);
}

bool guestkit_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* prog, then the options of src, then args (NULL-terminated), into argv (64 entries). */
static void apt_argv(const struct apt_src *src, const char *prog, const char *const *args,
                     char **argv)
{
    int n = 0;
    argv[n++] = (char *)prog;
    for (int i = 0; i < src->nargv; i++)
        argv[n++] = src->argv[i];
    for (; *args && n < 63; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
}

/*
 * What apt's answers depend on, as a string of file identities (mtime, size): its package
 * lists, its binary cache, the architectures and sources and pinning. While it is unchanged,
 * an earlier answer stands and apt-cache (about 2 s per call) is not asked again.
 */
void apt_stamp(const struct apt_src *src, char *out, size_t len)
{
    static const char *const host[] = {"/var/lib/apt/lists",      "/var/cache/apt/pkgcache.bin",
                                       "/var/lib/dpkg/arch",      "/etc/apt/sources.list",
                                       "/etc/apt/sources.list.d", "/etc/apt/preferences",
                                       "/etc/apt/preferences.d"};
    static const char *const own[] = {"lists", "cache/pkgcache.bin", "sources.list"};
    const char *const *files = src->release ? own : host;
    size_t nfiles = src->release ? 3 : sizeof(host) / sizeof(host[0]);
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < nfiles && n < len; i++) {
        struct stat st;
        char path[4400];
        snprintf(path, sizeof(path), "%s%s%s", src->release ? src->dir : "",
                 src->release ? "/" : "", files[i]);
        int w = stat(path, &st) == 0
                    ? snprintf(out + n, len - n, "%lld.%09ld:%lld;", (long long)st.st_mtim.tv_sec,
                               st.st_mtim.tv_nsec, (long long)st.st_size)
                    : snprintf(out + n, len - n, "-;");
        n += w > 0 ? (size_t)w : 0;
    }
}

/* The remembered answer for meta in dir/.apt-resolved, if apt's state is what it was then. */
int apt_memo_get(const char *dir, const char *meta, const char *stamp, char *pkg, size_t pkglen,
                 char *ver, size_t verlen)
{
    char path[4300], line[1024];
    snprintf(path, sizeof(path), "%s/.apt-resolved", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int rc = -1;
    if (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        char *st = strtok(line, "\t"), *m = strtok(NULL, "\t"), *p = strtok(NULL, "\t"),
             *v = strtok(NULL, "\t");
        if (st && m && p && v && !strcmp(st, stamp) && !strcmp(m, meta) && strlen(p) < pkglen &&
            strlen(v) < verlen) {
            snprintf(pkg, pkglen, "%s", p);
            snprintf(ver, verlen, "%s", v);
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

void apt_memo_put(const char *dir, const char *meta, const char *stamp, const char *pkg,
                  const char *ver)
{
    char path[4300], tmp[4400];
    snprintf(path, sizeof(path), "%s/.apt-resolved", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    int bad = fprintf(f, "%s\t%s\t%s\t%s\n", stamp, meta, pkg, ver) < 0;
    if (fclose(f) || bad || rename(tmp, path))
        unlink(tmp);
}

/* Ask apt which package and version provide name:arm64 (local lookups only). */
int apt_resolve(const struct apt_src *src, const char *meta, char *pkg, size_t pkglen, char *ver,
                size_t verlen)
{
    static char out[1 << 16];
    char spec[256], *argv[64];
    snprintf(spec, sizeof(spec), "%s:arm64", meta);
    if (!strncmp(meta, "linux-image-", 12)) { /* a flavour's meta package */
        apt_argv(src, "apt-cache", (const char *const[]){"depends", spec, NULL}, argv);
        if (cli_capture(argv, out, sizeof(out)) != 0)
            return -1;
        char *d = strstr(out, "Depends: linux-image-");
        if (!d)
            return -1;
        d += strlen("Depends: ");
        size_t n = strcspn(d, " \n:<>");
        if (n == 0 || n >= pkglen)
            return -1;
        memcpy(pkg, d, n);
        pkg[n] = 0;
    } else {
        snprintf(pkg, pkglen, "%s", meta);
    }
    snprintf(spec, sizeof(spec), "%s:arm64", pkg);
    apt_argv(src, "apt-cache", (const char *const[]){"show", "--no-all-versions", spec, NULL},
             argv);
    if (cli_capture(argv, out, sizeof(out)) != 0)
        return -1;
    char *v = strstr(out, "\nVersion: ");
    if (!v)
        return -1;
    v += strlen("\nVersion: ");
    size_t n = strcspn(v, "\n");
    if (n == 0 || n >= verlen)
        return -1;
    memcpy(ver, v, n);
    ver[n] = 0;
    return 0;
}

/* Make apt able to see arm64 packages, as root; otherwise say what to run. */
int apt_enable_arm64(bool verbose)
{
    static char out[4096];
    char *arch[] = {"dpkg", "--print-foreign-architectures", NULL};
    bool have = cli_capture(arch, out, sizeof(out)) == 0 && strstr(out, "arm64");
    if (geteuid() != 0)
        return cli_err("apt cannot see Debian's arm64 packages. As root run: dpkg "
                       "--add-architecture arm64 && apt-get update");
    if (!have) {
        guestkit_say(verbose, "adding the arm64 architecture to dpkg%s%s", "", "");
        char *add[] = {"dpkg", "--add-architecture", "arm64", NULL};
        if (cli_run(add, true) != 0)
            return cli_err("dpkg --add-architecture arm64 failed.");
    }
    guestkit_say(verbose, "updating apt's package lists%s%s", "", "");
    char *upd[] = {"apt-get", "update", "-q", NULL};
    if (cli_run(upd, true) != 0)
        return cli_err("apt-get update failed: check the machine's apt sources.");
    return 0;
}

/* The host's Debian mirror for release: the URI its apt uses for a suite of the same kind
 * (security or not), or $ARMVMI_DEBIAN_MIRROR, or deb.debian.org. */
static void apt_mirror(const char *release, char *out, size_t len)
{
    static char buf[1 << 16];
    const char *env = getenv("ARMVMI_DEBIAN_MIRROR");
    const size_t rl = strlen(release);
    const bool sec = rl > 9 && !strcmp(release + rl - 9, "-security");
    snprintf(out, len, "http://deb.debian.org/%s/", sec ? "debian-security" : "debian");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    char *argv[] = {"apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE)", NULL};
    if (cli_capture(argv, buf, sizeof(buf)) != 0)
        return;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');
        if (!sp || (size_t)(sp - line) >= len || !strstr(line, "/debian"))
            continue;
        *sp = 0;
        size_t n = strlen(sp + 1);
        bool line_sec = n > 9 && !strcmp(sp + 1 + n - 9, "-security");
        if (line_sec == sec && !strpbrk(line, " []\t")) {
            snprintf(out, len, "%s", line);
            return;
        }
    }
}

static int apt_options(struct apt_src *src);

/* A private apt configuration for another Debian release, under gcache/apt/<release>. */
int apt_private(struct apt_src *src, const char *gcache, const char *release, bool refresh)
{
    size_t rl = strlen(release);
    if (rl == 0 || rl > 40 || strspn(release, "abcdefghijklmnopqrstuvwxyz0123456789-") != rl)
        return cli_err("--kernel-release takes a Debian suite or codename such as trixie, "
                       "stable or bookworm-backports (got '%s').",
                       release);
    src->release = release;
    snprintf(src->dir, sizeof(src->dir), "%s/apt/%s", gcache, release);
    static const char *const sub[] = {"lists/partial", "cache/archives/partial", "empty"};
    char p[4400];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", src->dir, sub[i]);
        if (armvmi_mkdirs(p))
            return cli_lib_err(NULL);
    }
    FILE *f;
    snprintf(p, sizeof(p), "%s/status", src->dir); /* no packages installed */
    if (!guestkit_exists(p) && (!(f = fopen(p, "w")) || fclose(f)))
        return cli_err("cannot write %s: %s.", p, strerror(errno));
    /* The sources list names the mirror; it is chosen again (asking apt) only on --refresh. */
    snprintf(p, sizeof(p), "%s/sources.list", src->dir);
    char cur[2200] = "";
    f = fopen(p, "r");
    if (f) {
        if (!fgets(cur, sizeof(cur), f))
            cur[0] = 0;
        fclose(f);
    }
    char *uri = strstr(cur, "] ");
    if (!refresh && uri && sscanf(uri + 2, "%1023s", src->mirror) == 1)
        return apt_options(src);
    apt_mirror(release, src->mirror, sizeof(src->mirror));
    static const char keyring[] = "/usr/share/keyrings/debian-archive-keyring.gpg";
    char line[2200];
    snprintf(line, sizeof(line), "deb [arch=arm64%s%s] %s %s main\n",
             access(keyring, R_OK) ? "" : " signed-by=", access(keyring, R_OK) ? "" : keyring,
             src->mirror, release);
    if (strcmp(cur, line)) { /* rewrite only a changed one: its identity is in the stamp */
        f = fopen(p, "w");
        if (!f || fputs(line, f) < 0 || fclose(f))
            return cli_err("cannot write %s: %s.", p, strerror(errno));
    }
    return apt_options(src);
}

/* The apt options that make apt use the private state of src->dir, nothing of the host's. */
static int apt_options(struct apt_src *src)
{
    const char *d = src->dir;
    int n = 0;
    snprintf(src->opt[n++], sizeof(src->opt[0]), "Dir::Etc::sourcelist=%s/sources.list", d);
    snprintf(src->opt[n++], sizeof(src->opt[0]), "Dir::Etc::sourceparts=%s/empty", d);
    snprintf(src->opt[n++], sizeof(src->opt[0]), "Dir::Etc::preferences=%s/empty/none", d);
    snprintf(src->opt[n++], sizeof(src->opt[0]), "Dir::Etc::preferencesparts=%s/empty", d);
    snprintf(src->opt[n++], sizeof(src->opt[0]), "Dir::State::lists=%s/lists", d);
    snprintf(src->opt[n++], sizeof(src->opt[0]), "Dir::State::status=%s/status", d);
    snprintf(src->opt[n++], sizeof(src->opt[0]), "Dir::Cache=%s/cache", d);
    snprintf(src->opt[n++], sizeof(src->opt[0]), "APT::Architecture=arm64");
    snprintf(src->opt[n++], sizeof(src->opt[0]), "APT::Architectures=arm64");
    if (geteuid() == 0) /* the cache is the user's, which apt's _apt user cannot write */
        snprintf(src->opt[n++], sizeof(src->opt[0]), "APT::Sandbox::User=root");
    src->nargv = 0;
    for (int i = 0; i < n; i++) {
        src->argv[src->nargv++] = "-o";
        src->argv[src->nargv++] = src->opt[i];
    }
    return 0;
}

/* True if the private lists of src have never been fetched (no Packages index yet). */
bool apt_lists_missing(const struct apt_src *src)
{
    char p[4400];
    snprintf(p, sizeof(p), "%s/lists", src->dir);
    DIR *d = opendir(p);
    bool missing = true;
    for (struct dirent *e; d && missing && (e = readdir(d));)
        missing = !strstr(e->d_name, "_Packages");
    if (d)
        closedir(d);
    return missing;
}

/* Fetch the package lists: the host's (adding arm64 if needed) or the private ones. */
int apt_update(const struct apt_src *src, bool verbose)
{
    if (!src->release)
        return apt_enable_arm64(verbose);
    guestkit_say(verbose, "updating the package lists of Debian %s from %s", src->release,
                 src->mirror);
    char *argv[64];
    apt_argv(src, "apt-get", (const char *const[]){"update", "-q", NULL}, argv);
    if (cli_run(argv, true) != 0) {
        if (apt_lists_missing(src)) /* never worked: leave nothing of a mistyped release behind */
            guestkit_rm_rf(src->dir);
        return cli_err("apt-get update for Debian '%s' from %s failed: check the release name "
                       "and that the mirror can be reached (see apt's message above).",
                       src->release, src->mirror);
    }
    return 0;
}

/* Download pkg:arm64 into a fresh temporary directory under tmpbase and unpack it there.
 * Returns the malloc'd directory holding the unpacked tree ("<tmp>/x"), or NULL. */
char *apt_fetch_deb(const struct apt_src *src, const char *tmpbase, const char *pkg, bool verbose)
{
    char tmpl[4200], spec[256], cmd[9000];
    snprintf(tmpl, sizeof(tmpl), "%s/tmp-XXXXXX", tmpbase);
    if (!mkdtemp(tmpl)) {
        cli_err("cannot create a temporary directory in %s: %s.", tmpbase, strerror(errno));
        return NULL;
    }
    chmod(tmpl, 0755); /* apt's _apt user writes downloads here */
    snprintf(spec, sizeof(spec), "%s:arm64", pkg);
    guestkit_say(verbose, "downloading %s%s", spec, "");
    char *dl[64];
    apt_argv(src, "apt-get", (const char *const[]){"download", "-q", spec, NULL}, dl);
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int rc = cli_spawn(dl, tmpl, devnull, devnull);
    if (devnull >= 0)
        close(devnull);
    if (rc != 0) {
        cli_err("apt-get download %s failed (run it by hand to see why).", spec);
        guestkit_rm_rf(tmpl);
        return NULL;
    }
    /* of a kernel package: /boot and the guest kit's two test modules (install_kernel) */
    snprintf(cmd, sizeof(cmd), "mkdir x && dpkg-deb --fsys-tarfile ./*.deb | tar -x -C x %s",
             strncmp(pkg, "linux-image", 11) == 0
                 ? "--wildcards ./boot '*/kernel/fs/nls/nls_ascii.ko*' "
                   "'*/kernel/crypto/crc32_generic.ko*' 2>/dev/null; test -d x/boot"
                 : "");
    char *sh[] = {"sh", "-c", cmd, NULL};
    if (cli_spawn(sh, tmpl, -1, -1) != 0) {
        cli_err("cannot unpack the %s package.", spec);
        guestkit_rm_rf(tmpl);
        return NULL;
    }
    size_t n = strlen(tmpl) + 3;
    char *x = malloc(n);
    if (x)
        snprintf(x, n, "%s/x", tmpl);
    return x;
}
