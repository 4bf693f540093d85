/*
 * notify.c - sd_notify(3)'s datagram protocol over $NOTIFY_SOCKET (see
 * include/xm_notify.h).  Start-up reads the environment once; sending is
 * one sendto() of a short string, never blocking (MSG_DONTWAIT).
 */
#include "xm_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "@name" (abstract: leading NUL) or "/path" into n->sa. */
static int notify_addr(struct notify *n, const char *name)
{
    size_t len = strlen(name);
    if ((name[0] != '/' && name[0] != '@') || len < 2 || len >= sizeof n->sa.sun_path)
        return -1;
    memset(&n->sa, 0, sizeof n->sa);
    n->sa.sun_family = AF_UNIX;
    memcpy(n->sa.sun_path, name, len);
    if (name[0] == '@')
        n->sa.sun_path[0] = '\0';
    n->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                           (name[0] == '/' ? 1 : 0));
    return 0;
}

/* $WATCHDOG_USEC for this process, else 0. */
static uint64_t notify_watchdog(void)
{
    const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    char *end = NULL;
    if (!us)
        return 0;
    if (pid && strtol(pid, &end, 10) != (long)getpid())
        return 0;
    errno = 0;
    unsigned long long v = strtoull(us, &end, 10);
    return errno || end == us || *end ? 0 : (uint64_t)v;
}

int notify_init(struct notify *n, char *err, size_t errlen)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
    const char *name = getenv("NOTIFY_SOCKET");
    if (!name || !*name)
        return 0;
    if (notify_addr(n, name) != 0) {
        snprintf(err, errlen, "NOTIFY_SOCKET=%s: not an absolute path or @abstract name",
                 name);
        return -1;
    }
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (n->fd < 0) {
        snprintf(err, errlen, "NOTIFY_SOCKET=%s: socket: %s", name, strerror(errno));
        return -1;
    }
    n->watchdog_usec = notify_watchdog();
    return 0;
}

bool notify_enabled(const struct notify *n)
{
    return n->fd >= 0;
}

int notify_send(struct notify *n, const char *msg)
{
    if (n->fd < 0)
        return 0;
    ssize_t w = sendto(n->fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
                       (const struct sockaddr *)&n->sa, n->salen);
    if (w < 0) {
        n->failed++;
        return -1;
    }
    n->sent++;
    return 0;
}

void notify_close(struct notify *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}
