/*
 * test_notify.c - src/notify.c (sd_notify's datagram protocol) and
 * lib/paths.c (the build-tree marker):
 *   - no $NOTIFY_SOCKET: disabled, sending is a successful no-op;
 *   - a path socket and an abstract "@name" socket receive exactly the
 *     datagrams sent;
 *   - a relative or empty-after-@ name is refused with a message;
 *   - $WATCHDOG_USEC counts only when $WATCHDOG_PID is unset or ours;
 *   - the marker file: both roots or nothing; this test binary, run from
 *     the build tree, finds the source tree that holds this file.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xm_notify.h"
#include "xm_paths.h"
#include "xm_test.h"

static char dir[] = "/tmp/xm_test_notify.XXXXXX";

/* Binds a datagram socket to name ("@x" = abstract); returns the fd. */
static int listen_on(const char *name)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = strlen(name);
    memcpy(sa.sun_path, name, len);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    else
        sl++;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sl) != 0)
        return -1;
    return fd;
}

static void expect_msg(int fd, const char *want)
{
    char m[256];
    ssize_t n = recv(fd, m, sizeof m - 1, 0);
    m[n > 0 ? n : 0] = '\0';
    CHECK_STR(m, want);
}

static void test_disabled(void)
{
    struct notify n;
    char err[256] = "";
    unsetenv("NOTIFY_SOCKET");
    CHECK_EQ_U64(notify_init(&n, err, sizeof err), 0);
    CHECK(!notify_enabled(&n));
    CHECK_EQ_U64(notify_send(&n, "READY=1"), 0);
    CHECK_EQ_U64(n.sent, 0);
    notify_close(&n);
}

static void test_sockets(void)
{
    char path[128], abs_name[64], err[256] = "";
    snprintf(path, sizeof path, "%s/notify", dir);
    snprintf(abs_name, sizeof abs_name, "@xm-test-notify-%ld", (long)getpid());
    const char *names[] = { path, abs_name };
    for (size_t i = 0; i < 2; i++) {
        int fd = listen_on(names[i]);
        CHECK(fd >= 0);
        struct notify n;
        setenv("NOTIFY_SOCKET", names[i], 1);
        CHECK_EQ_U64(notify_init(&n, err, sizeof err), 0);
        CHECK(notify_enabled(&n));
        CHECK_EQ_U64(notify_send(&n, "READY=1\nSTATUS=up"), 0);
        CHECK_EQ_U64(notify_send(&n, "WATCHDOG=1"), 0);
        CHECK_EQ_U64(n.sent, 2);
        expect_msg(fd, "READY=1\nSTATUS=up");
        expect_msg(fd, "WATCHDOG=1");
        notify_close(&n);
        close(fd);
    }
    /* nobody listens any more: counted, not fatal */
    struct notify n;
    setenv("NOTIFY_SOCKET", path, 1);
    unlink(path);
    CHECK_EQ_U64(notify_init(&n, err, sizeof err), 0);
    CHECK_EQ_U64(notify_send(&n, "READY=1"), (uint64_t)-1);
    CHECK_EQ_U64(n.failed, 1);
    notify_close(&n);
}

static void test_bad_names(void)
{
    const char *bad[] = { "relative/sock", "@" };
    for (size_t i = 0; i < 2; i++) {
        struct notify n;
        char err[256] = "";
        setenv("NOTIFY_SOCKET", bad[i], 1);
        CHECK_EQ_U64(notify_init(&n, err, sizeof err), (uint64_t)-1);
        CHECK(strstr(err, "not an absolute path or @abstract name") != NULL);
        CHECK(!notify_enabled(&n));
    }
}

static void test_watchdog(void)
{
    struct notify n;
    char err[256], pid[32];
    setenv("NOTIFY_SOCKET", "@xm-test-watchdog", 1);
    setenv("WATCHDOG_USEC", "30000000", 1);
    unsetenv("WATCHDOG_PID");
    notify_init(&n, err, sizeof err);
    CHECK_EQ_U64(n.watchdog_usec, 30000000);
    notify_close(&n);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    notify_init(&n, err, sizeof err);
    CHECK_EQ_U64(n.watchdog_usec, 30000000);
    notify_close(&n);
    snprintf(pid, sizeof pid, "%ld", (long)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);             /* meant for another process */
    notify_init(&n, err, sizeof err);
    CHECK_EQ_U64(n.watchdog_usec, 0);
    notify_close(&n);
    setenv("WATCHDOG_USEC", "soon", 1);
    unsetenv("WATCHDOG_PID");
    notify_init(&n, err, sizeof err);
    CHECK_EQ_U64(n.watchdog_usec, 0);
    notify_close(&n);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_marker(void)
{
    char path[128], src[256], build[256];
    snprintf(path, sizeof path, "%s/marker", dir);
    write_file(path, "source_root=/a/src\nbuild_root=/a/src/build\n");
    CHECK_EQ_U64(paths_read_marker(path, src, sizeof src, build, sizeof build), 0);
    CHECK_STR(src, "/a/src");
    CHECK_STR(build, "/a/src/build");
    write_file(path, "source_root=/a/src\n");
    CHECK_EQ_U64(paths_read_marker(path, src, sizeof src, build, sizeof build), (uint64_t)-1);
    write_file(path, "source_root=relative\nbuild_root=/b\n");
    CHECK_EQ_U64(paths_read_marker(path, src, sizeof src, build, sizeof build), (uint64_t)-1);
    CHECK_EQ_U64(paths_read_marker("/nonexistent/m", src, sizeof src, build, sizeof build),
                 (uint64_t)-1);

    /* This binary runs from the build tree, next to its marker. */
    const char *root = paths_source_root();
    CHECK(root != NULL);
    char me[512];
    snprintf(me, sizeof me, "%s/tests/test_notify.c", root ? root : "");
    struct stat sb;
    CHECK(root && stat(me, &sb) == 0);
    const char *roots[4];
    CHECK_EQ_U64(paths_data_roots(roots, 4), 3);
    CHECK_EQ_U64(paths_data_roots(roots, 1), 1);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_disabled();
    test_sockets();
    test_bad_names();
    test_watchdog();
    test_marker();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return xm_test_result();
}
