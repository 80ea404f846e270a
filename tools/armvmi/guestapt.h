/* SPDX-License-Identifier: MIT */
/* guestapt.h — how the guest kit asks apt for Debian's arm64 packages (tools/armvmi/guestapt.c). */
#ifndef ARMVMI_GUESTAPT_H
#define ARMVMI_GUESTAPT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Where apt looks: the host's own configuration (release NULL), or a private one for another
 * Debian release: its own sources list (the host's Debian mirror, arm64 only), package lists
 * and cache under the guest cache, so the host's apt is neither used nor changed.
 */
struct apt_src {
    const char *release;
    char dir[4300];
    char mirror[1024];
    char opt[12][4400];
    char *argv[24]; /* "-o", opt[i], ... */
    int nargv;
};

/* "guest kit: " progress on stderr when verbose; fmt takes two strings. */
void guestkit_say(bool verbose, const char *fmt, const char *a, const char *b);
int guestkit_rm_rf(const char *path);
bool guestkit_exists(const char *path);

/* A stamp of apt's state (lists, caches, architectures, sources) for src. */
void apt_stamp(const struct apt_src *src, char *out, size_t len);
/* The remembered answer for meta in dir, if apt's state is still stamp; 0 if found. */
int apt_memo_get(const char *dir, const char *meta, const char *stamp, char *pkg, size_t pkglen,
                 char *ver, size_t verlen);
void apt_memo_put(const char *dir, const char *meta, const char *stamp, const char *pkg,
                  const char *ver);
/* Which package and version provide meta:arm64 (local lookups only); 0 if found. */
int apt_resolve(const struct apt_src *src, const char *meta, char *pkg, size_t pkglen, char *ver,
                size_t verlen);
/* Make apt able to see arm64 packages, as root; otherwise say what to run. */
int apt_enable_arm64(bool verbose);
/* A private apt configuration for another Debian release, under gcache/apt/<release>. */
int apt_private(struct apt_src *src, const char *gcache, const char *release, bool refresh);
/* True if the private lists of src have never been fetched. */
bool apt_lists_missing(const struct apt_src *src);
/* Fetch the package lists: the host's (adding arm64 if needed) or the private ones. */
int apt_update(const struct apt_src *src, bool verbose);
/* Download pkg:arm64 under tmpbase and unpack it; the malloc'd unpacked tree, or NULL. */
char *apt_fetch_deb(const struct apt_src *src, const char *tmpbase, const char *pkg, bool verbose);

#endif
