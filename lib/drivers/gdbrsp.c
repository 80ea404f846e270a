/* SPDX-License-Identifier: MIT */
/* gdbrsp.c — a GDB remote serial protocol client for QEMU's gdbstub: packets and registers. */
#include <errno.h>
#include <expat.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "drivers/gdbrsp.h"

#define RSP_TIMEOUT_MS 10000
#define RSP_MAX_XML (1u << 20) /* target descriptions larger than this are refused */
#define RSP_MAX_INCLUDE_DEPTH 4
#define RSP_MAX_INCLUDES 64 /* files one target description may pull in */

static int rsp_fail(struct gdbrsp *g, const char *what)
{
    return armvmi_fail(ARMVMI_EIO, "gdbstub %s: %s.", g->path, what);
}

int gdbrsp_connect(struct gdbrsp *g, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memset(g, 0, sizeof(*g));
    g->fd = -1;
    g->timeout_ms = RSP_TIMEOUT_MS;
    snprintf(g->path, sizeof(g->path), "%s", path);
    if (strlen(path) >= sizeof(sa.sun_path))
        return armvmi_fail(ARMVMI_EINVAL, "socket path %s is too long.", path);
    strcpy(sa.sun_path, path);
    g->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (g->fd < 0 || connect(g->fd, (struct sockaddr *)&sa, sizeof(sa))) {
        int e = errno;
        if (g->fd >= 0)
            close(g->fd);
        g->fd = -1;
        return armvmi_fail(ARMVMI_EIO, "cannot connect to the gdbstub at %s: %s.", path,
                           strerror(e));
    }
    return 0;
}

void gdbrsp_close(struct gdbrsp *g)
{
    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
    free(g->regs);
    g->regs = NULL;
    g->nregs = 0;
}

static int rsp_getc(struct gdbrsp *g)
{
    if (g->rpos == g->rlen) {
        struct pollfd p = {.fd = g->fd, .events = POLLIN};
        int n = poll(&p, 1, g->timeout_ms);
        if (n <= 0)
            return -1;
        ssize_t r = read(g->fd, g->rbuf, sizeof(g->rbuf));
        if (r <= 0)
            return -1;
        g->rpos = 0;
        g->rlen = (size_t)r;
    }
    return (unsigned char)g->rbuf[g->rpos++];
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL); /* a closed peer is an error, not SIGPIPE */
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int gdbrsp_send(struct gdbrsp *g, const char *data)
{
    size_t n = strlen(data);
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (unsigned char)data[i];
    /* one write for the whole packet: the stub may answer (and a test peer close) as soon as
     * it has seen the command, before a separately sent checksum arrived */
    char *pkt = malloc(n + 5);
    if (!pkt)
        return armvmi_fail(ARMVMI_ENOMEM, "gdbstub %s: out of memory.", g->path);
    pkt[0] = '$';
    memcpy(pkt + 1, data, n);
    snprintf(pkt + 1 + n, 4, "#%02x", sum & 0xff);
    int rc = write_all(g->fd, pkt, n + 4);
    free(pkt);
    if (rc)
        return rsp_fail(g, "write failed");
    return 0;
}

/* Receive one packet into out (NUL-terminated), undoing escapes and run-length encoding. */
int gdbrsp_recv(struct gdbrsp *g, char *out, size_t cap, size_t *outlen)
{
    int c;
    size_t n = 0;
    for (unsigned skipped = 0;; skipped++) { /* skip acks and stray bytes before '$' */
        c = rsp_getc(g);
        if (c < 0)
            return rsp_fail(g, "no answer (timed out or closed)");
        if (c == '$')
            break;
        if (skipped > 1u << 20)
            return rsp_fail(g, "garbage instead of a packet");
    }
    unsigned sum = 0;
    for (;;) {
        c = rsp_getc(g);
        if (c < 0)
            return rsp_fail(g, "packet cut short");
        if (c == '#')
            break;
        sum += (unsigned)c;
        if (c == '}') {
            int e = rsp_getc(g);
            if (e < 0)
                return rsp_fail(g, "packet cut short");
            sum += (unsigned)e;
            c = e ^ 0x20;
        } else if (c == '*') {
            int e = rsp_getc(g);
            if (e < 0 || n == 0)
                return rsp_fail(g, "bad run-length encoding");
            sum += (unsigned)e;
            int rep = e - 29;
            if (rep < 0 || n + (size_t)rep >= cap)
                return rsp_fail(g, "bad run-length encoding");
            memset(out + n, out[n - 1], (size_t)rep);
            n += (size_t)rep;
            continue;
        }
        if (n + 1 >= cap)
            return rsp_fail(g, "packet larger than expected");
        out[n++] = (char)c;
    }
    int h1 = hexval(rsp_getc(g)), h2 = hexval(rsp_getc(g));
    if (h1 < 0 || h2 < 0 || (unsigned)(h1 * 16 + h2) != (sum & 0xff))
        return rsp_fail(g, "bad packet checksum");
    write_all(g->fd, "+", 1);
    out[n] = 0;
    if (outlen)
        *outlen = n;
    return 0;
}

int gdbrsp_cmd(struct gdbrsp *g, const char *cmd, char *out, size_t cap)
{
    int rc = gdbrsp_send(g, cmd);
    if (rc)
        return rc;
    /* QEMU may send an unsolicited stop reply first (e.g. "T02thread:01;"); skip those
     * unless the command itself asks for one. */
    for (int tries = 0; tries < 8; tries++) {
        if ((rc = gdbrsp_recv(g, out, cap, NULL)))
            return rc;
        if (cmd[0] == '?' || (out[0] != 'T' && out[0] != 'S') || out[1] == 0)
            return 0;
        if (hexval(out[1]) < 0)
            return 0;
    }
    return rsp_fail(g, "only stop replies came back");
}

/* ---- target description ---- */

struct xml_ctx {
    struct gdbrsp *g;
    int next_regnum;
    int depth;
    int includes;
    int err;
};

static int add_reg(struct gdbrsp *g, const char *name, int regnum, int bits)
{
    if (g->nregs == g->capregs) {
        size_t ncap = g->capregs ? g->capregs * 2 : 256;
        if (ncap > 65536)
            return -1;
        void *p = realloc(g->regs, ncap * sizeof(*g->regs));
        if (!p)
            return -1;
        g->regs = p;
        g->capregs = ncap;
    }
    struct gdbrsp_reg *r = &g->regs[g->nregs++];
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->regnum = regnum;
    r->bits = bits;
    return 0;
}

static int fetch_xml(struct gdbrsp *g, const char *annex, char **doc, size_t *len);
static int parse_xml(struct xml_ctx *x, const char *doc, size_t len);

static void XMLCALL xml_start(void *ud, const XML_Char *el, const XML_Char **attr)
{
    struct xml_ctx *x = ud;
    if (x->err)
        return;
    if (strcmp(el, "reg") == 0) {
        const char *name = NULL;
        int regnum = x->next_regnum, bits = 0;
        for (int i = 0; attr[i]; i += 2) {
            if (strcmp(attr[i], "name") == 0)
                name = attr[i + 1];
            else if (strcmp(attr[i], "regnum") == 0)
                regnum = atoi(attr[i + 1]);
            else if (strcmp(attr[i], "bitsize") == 0)
                bits = atoi(attr[i + 1]);
        }
        if (!name || regnum < 0 || bits <= 0 || bits > 4096 || add_reg(x->g, name, regnum, bits))
            x->err = 1;
        x->next_regnum = regnum + 1;
    } else if (strcmp(el, "xi:include") == 0) {
        const char *href = NULL;
        for (int i = 0; attr[i]; i += 2)
            if (strcmp(attr[i], "href") == 0)
                href = attr[i + 1];
        char *sub;
        size_t sublen;
        if (!href || x->depth >= RSP_MAX_INCLUDE_DEPTH || ++x->includes > RSP_MAX_INCLUDES ||
            strchr(href, ':') || fetch_xml(x->g, href, &sub, &sublen)) {
            x->err = 1;
            return;
        }
        x->depth++;
        if (parse_xml(x, sub, sublen))
            x->err = 1;
        x->depth--;
        free(sub);
    }
}

static int parse_xml(struct xml_ctx *x, const char *doc, size_t len)
{
    XML_Parser p = XML_ParserCreate(NULL);
    if (!p)
        return -1;
    XML_SetUserData(p, x);
    XML_SetStartElementHandler(p, xml_start);
    int ok = XML_Parse(p, doc, (int)len, 1) == XML_STATUS_OK;
    XML_ParserFree(p);
    return ok && !x->err ? 0 : -1;
}

static int fetch_xml(struct gdbrsp *g, const char *annex, char **doc, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap), *pkt = malloc(GDBRSP_MAX_PACKET);
    if (!buf || !pkt) {
        free(buf);
        free(pkt);
        return -1;
    }
    for (;;) {
        char cmd[256];
        size_t got;
        snprintf(cmd, sizeof(cmd), "qXfer:features:read:%s:%zx,%x", annex, n, 0xf00);
        if (gdbrsp_send(g, cmd) || gdbrsp_recv(g, pkt, GDBRSP_MAX_PACKET, &got) || got == 0 ||
            (pkt[0] != 'm' && pkt[0] != 'l'))
            goto fail;
        size_t chunk = got - 1;
        if (n + chunk + 1 > RSP_MAX_XML)
            goto fail;
        if (n + chunk + 1 > cap) {
            while (n + chunk + 1 > cap)
                cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb)
                goto fail;
            buf = nb;
        }
        memcpy(buf + n, pkt + 1, chunk);
        n += chunk;
        if (pkt[0] == 'l' || chunk == 0)
            break;
    }
    free(pkt);
    buf[n] = 0;
    *doc = buf;
    *len = n;
    return 0;
fail:
    free(buf);
    free(pkt);
    return -1;
}

int gdbrsp_load_target(struct gdbrsp *g)
{
    char buf[1024];
    int rc = gdbrsp_cmd(g, "qSupported:xmlRegisters=aarch64", buf, sizeof(buf));
    if (rc)
        return rc;
    if (!strstr(buf, "qXfer:features:read+"))
        return rsp_fail(g, "no target description (qXfer:features:read)");
    char *doc;
    size_t len;
    if (fetch_xml(g, "target.xml", &doc, &len))
        return rsp_fail(g, "cannot read the target description");
    struct xml_ctx x = {.g = g};
    rc = parse_xml(&x, doc, len);
    free(doc);
    if (rc || g->nregs == 0)
        return rsp_fail(g, "malformed target description");
    return 0;
}

const struct gdbrsp_reg *gdbrsp_find_reg(const struct gdbrsp *g, const char *name)
{
    for (size_t i = 0; i < g->nregs; i++)
        if (strcasecmp(g->regs[i].name, name) == 0)
            return &g->regs[i];
    return NULL;
}

int gdbrsp_select_thread(struct gdbrsp *g, unsigned tid)
{
    char cmd[32], buf[64];
    snprintf(cmd, sizeof(cmd), "Hg%x", tid);
    int rc = gdbrsp_cmd(g, cmd, buf, sizeof(buf));
    if (rc)
        return rc;
    if (strcmp(buf, "OK") != 0)
        return armvmi_fail(ARMVMI_EINVAL, "gdbstub refused to select thread %u (%s).", tid, buf);
    return 0;
}

int gdbrsp_read_reg(struct gdbrsp *g, const struct gdbrsp_reg *r, uint64_t *value)
{
    char cmd[32], buf[1100];
    snprintf(cmd, sizeof(cmd), "p%x", r->regnum);
    int rc = gdbrsp_cmd(g, cmd, buf, sizeof(buf));
    if (rc)
        return rc;
    size_t n = strlen(buf);
    if (buf[0] == 'E' || n < 2 || n % 2)
        return armvmi_fail(ARMVMI_EIO, "gdbstub cannot read %s (%s).", r->name, buf);
    /* Target byte order (little-endian); registers wider than 64 bits are truncated. */
    uint64_t v = 0;
    size_t bytes = n / 2 < 8 ? n / 2 : 8;
    for (size_t i = 0; i < bytes; i++) {
        int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return armvmi_fail(ARMVMI_EIO, "gdbstub sent a malformed value for %s.", r->name);
        v |= (uint64_t)(hi * 16 + lo) << (8 * i);
    }
    *value = v;
    return 0;
}

int gdbrsp_write_reg(struct gdbrsp *g, const struct gdbrsp_reg *r, uint64_t value)
{
    char cmd[64], buf[64];
    int n = snprintf(cmd, sizeof(cmd), "P%x=", r->regnum);
    unsigned bytes = (unsigned)(r->bits + 7) / 8;
    if (bytes > 8)
        return armvmi_fail(ARMVMI_ENOTSUP, "%s is wider than 64 bits.", r->name);
    for (unsigned i = 0; i < bytes; i++)
        n +=
            snprintf(cmd + n, sizeof(cmd) - (size_t)n, "%02x", (unsigned)(value >> (8 * i)) & 0xff);
    int rc = gdbrsp_cmd(g, cmd, buf, sizeof(buf));
    if (rc)
        return rc;
    if (strcmp(buf, "OK") != 0)
        return armvmi_fail(ARMVMI_ENOTSUP, "gdbstub refused to write %s (%s).", r->name, buf);
    return 0;
}

int gdbrsp_step(struct gdbrsp *g, unsigned tid)
{
    char cmd[32], buf[256];
    snprintf(cmd, sizeof(cmd), "vCont;s:%x", tid);
    int rc = gdbrsp_send(g, cmd);
    if (rc)
        return rc;
    /* The answer is a stop reply with SIGTRAP (05); an older, unsolicited stop reply (e.g.
     * SIGINT from the pause at connect) may come first. */
    for (int tries = 0; tries < 8; tries++) {
        if ((rc = gdbrsp_recv(g, buf, sizeof(buf), NULL)))
            return rc;
        if ((buf[0] == 'T' || buf[0] == 'S') && buf[1] == '0' && buf[2] == '5')
            return 0;
        if (buf[0] == 'E' || buf[0] == 0)
            return armvmi_fail(ARMVMI_EIO, "the gdbstub refused to step thread %u (%s).", tid,
                               buf[0] ? buf : "not supported");
    }
    return rsp_fail(g, "no stop reply after a single step");
}
