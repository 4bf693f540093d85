/*
 * xm_notify.h - the service manager notification protocol (src/notify.c):
 * sd_notify(3) written here, without libsystemd: one datagram per message
 * of "KEY=VALUE" lines, sent to the AF_UNIX datagram socket named by
 * $NOTIFY_SOCKET (an absolute path, or "@name" for the abstract namespace).
 *
 * Messages the daemon sends (src/daemon.c): READY=1 once the capture,
 * outputs and HTTP listener are open and privileges are dropped;
 * RELOADING=1 then READY=1 around a SIGHUP reload; STOPPING=1 on SIGTERM;
 * WATCHDOG=1 every half of $WATCHDOG_USEC (when $WATCHDOG_PID is unset or
 * names this process); STATUS=... as a one-line state.
 *
 * Without $NOTIFY_SOCKET (no systemd, or Type=simple) every call is a
 * no-op that succeeds.  Ownership: struct notify owns its socket.
 */
#ifndef XM_NOTIFY_H
#define XM_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct notify {
    int fd;                         /* -1: not under a service manager */
    struct sockaddr_un sa;
    socklen_t salen;
    uint64_t watchdog_usec;         /* 0: no watchdog for this process */
    uint64_t sent, failed;          /* datagrams sent / refused */
};

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID.  Returns 0
 * (enabled or not), or -1 with err filled when $NOTIFY_SOCKET is set but
 * unusable (then n stays disabled). */
int notify_init(struct notify *n, char *err, size_t errlen);
bool notify_enabled(const struct notify *n);
/* Sends msg (e.g. "READY=1\nSTATUS=capturing on eth0") as one datagram.
 * Returns 0, or -1 with errno set (counted in n->failed). */
int notify_send(struct notify *n, const char *msg);
void notify_close(struct notify *n);

#endif
