/* SPDX-License-Identifier: MIT */
/* fakesrv.h — a scripted unix-socket peer for testing protocol clients against hostile replies. */
#ifndef ARMVMI_TEST_FAKESRV_H
#define ARMVMI_TEST_FAKESRV_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * The server accepts one connection, then for each step: reads until `expect` has been seen
 * (or skips reading when expect is NULL), then writes `reply` (reply_len bytes, or strlen).
 * A step with reply NULL and expect NULL closes the connection.
 */
struct fake_step {
    const char *expect;
    const char *reply;
    size_t reply_len;
};

struct fakesrv {
    char path[108];
    int lfd;
    pthread_t thr;
    const struct fake_step *steps;
    size_t nsteps;
    char seen[1 << 16]; /* everything the client sent */
    size_t nseen;
};

static void *fakesrv_main(void *arg)
{
    struct fakesrv *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    size_t scan = 0;
    for (size_t i = 0; i < s->nsteps; i++) {
        const struct fake_step *st = &s->steps[i];
        if (!st->expect && !st->reply)
            break;
        while (st->expect) {
            s->seen[s->nseen] = 0;
            char *hit = strstr(s->seen + scan, st->expect);
            if (hit) {
                scan = (size_t)(hit - s->seen) + strlen(st->expect);
                break;
            }
            if (s->nseen + 1 >= sizeof(s->seen))
                goto out;
            ssize_t n = read(fd, s->seen + s->nseen, sizeof(s->seen) - 1 - s->nseen);
            if (n <= 0)
                goto out;
            s->nseen += (size_t)n;
        }
        if (st->reply) {
            size_t len = st->reply_len ? st->reply_len : strlen(st->reply);
            if (send(fd, st->reply, len, MSG_NOSIGNAL) != (ssize_t)len)
                goto out;
        }
    }
out:
    close(fd);
    return NULL;
}

static inline void fakesrv_start(struct fakesrv *s, const struct fake_step *steps, size_t n)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->path, sizeof(s->path), "/tmp/armvmi-fake-%d-%p.sock", (int)getpid(), (void *)s);
    unlink(s->path);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, s->path);
    s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(s->lfd, 1))
        abort();
    s->steps = steps;
    s->nsteps = n;
    pthread_create(&s->thr, NULL, fakesrv_main, s);
}

static inline void fakesrv_stop(struct fakesrv *s)
{
    pthread_join(s->thr, NULL);
    close(s->lfd);
    unlink(s->path);
}

/* "$data#cs" for a reply packet */
static inline char *rsp_packet(const char *data)
{
    unsigned sum = 0;
    for (const char *p = data; *p; p++)
        sum += (unsigned char)*p;
    size_t n = strlen(data) + 5;
    char *out = malloc(n);
    snprintf(out, n, "$%s#%02x", data, sum & 0xff);
    return out;
}

#endif
