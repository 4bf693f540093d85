/*
 * check.c - --check's deployment checks (see xm_check.h): what would make
 * the daemon fail after start-up even though the configuration parsed.
 */
#include "xm_check.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xm_http_api.h"
#include "xm_log.h"
#include "xm_out.h"
#include "xm_pipeline.h"
#include "xm_site.h"
#include "xm_source.h"

#define CHECK_MAX_GROUPS 256

/* Who will write: the --user (resolved) or this process. */
struct check_who {
    const char *name;           /* NULL = this process */
    uid_t uid;
    gid_t groups[CHECK_MAX_GROUPS];
    int ngroups;
};

/* True if who may write into and search directory st (mode bits; ACLs
 * are not consulted). */
static bool check_dir_writable(const struct check_who *w, const struct stat *st)
{
    if (w->uid == 0)
        return true;
    if (st->st_uid == w->uid)
        return (st->st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
    for (int i = 0; i < w->ngroups; i++)
        if (w->groups[i] == st->st_gid)
            return (st->st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
    return (st->st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* The directory part of path ("." for a bare name). */
static void check_dirname(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* One output file (what names the flag): its directory must exist and be
 * writable by who, because the file is created there and, after each
 * logrotate, created again after privileges were dropped. */
static int check_output(const struct check_who *w, const char *what, const char *path)
{
    char dir[4096];
    struct stat st;
    if (!path || strcmp(path, "-") == 0 || strcmp(path, "syslog") == 0 ||
        strncmp(path, "syslog:", 7) == 0)
        return 0;
    if (strncmp(path, "unix:", 5) == 0)
        path += 5;
    check_dirname(path, dir, sizeof dir);
    if (stat(dir, &st) != 0) {
        xm_err("%s %s: directory %s: %s", what, path, dir, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        xm_err("%s %s: %s is not a directory", what, path, dir);
        return 1;
    }
    bool ok = w->name ? check_dir_writable(w, &st) : access(dir, W_OK | X_OK) == 0;
    if (!ok) {
        xm_err("%s %s: directory %s (owner %u:%u, mode %04o) is not writable by %s%s; "
               "reopening after logrotate would fail", what, path, dir,
               (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
               w->name ? "user " : "", w->name ? w->name : "this user");
        return 1;
    }
    printf("output %s %s: directory %s writable by %s\n", what, path, dir,
           w->name ? w->name : "this process");
    return 0;
}

static int check_user(const char *name, struct check_who *w)
{
    memset(w, 0, sizeof *w);
    w->uid = geteuid();
    if (!name)
        return 0;
    errno = 0;
    struct passwd *pw = getpwnam(name);
    if (!pw) {
        xm_err("user %s: %s (create it, e.g. 'useradd --system --no-create-home "
               "--shell /usr/sbin/nologin %s')", name,
               errno ? strerror(errno) : "no such user", name);
        return 1;
    }
    w->name = name;
    w->uid = pw->pw_uid;
    w->ngroups = CHECK_MAX_GROUPS;
    if (getgrouplist(name, pw->pw_gid, w->groups, &w->ngroups) < 0)
        w->ngroups = 0;
    printf("user %s: uid %u, gid %u\n", name, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
    return 0;
}

/* --http: parses as the daemon will, then binds a throw-away socket. */
static int check_http(const char *listen)
{
    char host[128], port_s[8];
    uint16_t port;
    if (!listen)
        return 0;
    if (http_parse_listen(listen, host, sizeof host, &port) != 0) {
        xm_err("http %s: expected ADDR:PORT with a port from 0 to 65535, "
               "e.g. 127.0.0.1:9464 or [::1]:9464", listen);
        return 1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai = NULL;
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    int gai = getaddrinfo(host[0] ? host : NULL, port_s, &hints, &ai);
    if (gai != 0) {
        xm_err("http %s: address %s: %s", listen, host, gai_strerror(gai));
        return 1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol), one = 1, rc = 0;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno == EADDRINUSE) {
            xm_warn("http %s: address in use now (is exfilmon already running?)", listen);
        } else {
            xm_err("http %s: cannot listen: %s", listen, strerror(errno));
            rc = 1;
        }
    } else {
        printf("http %s: bindable\n", listen);
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return rc;
}

static int check_iface(const char *iface)
{
    char names[2048];
    if (!iface)
        return 0;
    int r = src_interface_names(names, sizeof names, iface);
    if (r == 0) {
        xm_err("interface %s does not exist; interfaces: %s", iface, names);
        return 1;
    }
    if (r < 0)
        xm_warn("interface %s: the interface list cannot be read", iface);
    else
        printf("interface %s: present\n", iface);
    return 0;
}

/* --redis, --webhook, --kafka: syntax only (a broker may be down at check time). */
static int check_urls(const struct xm_opts *o)
{
    char err[512], spec[2048];
    int bad = 0;
    if (o->redis_url && out_check_spec(o->redis_url, err, sizeof err) != 0) {
        xm_err("%s", err);
        bad++;
    } else if (o->redis_url && strncmp(o->redis_url, "redis://", 8) != 0 &&
               strncmp(o->redis_url, "rediss://", 9) != 0) {
        xm_err("--redis: %s: not a redis:// or rediss:// URL", o->redis_url);
        bad++;
    }
    if (o->webhook_url) {
        pipe_webhook_spec(o, spec, sizeof spec);
        if (out_check_spec(spec, err, sizeof err) != 0) {
            xm_err("%s", err);
            bad++;
        }
    }
    if (o->kafka && pipe_kafka_spec(o, spec, sizeof spec, err, sizeof err) != 0) {
        xm_err("%s", err);
        bad++;
    }
    if (o->site_redis && site_url_check(o->site_redis, err, sizeof err) != 0) {
        xm_err("%s", err);
        bad++;
    }
    if (!bad && (o->redis_url || o->webhook_url || o->site_redis))
        printf("redis/webhook URLs: syntax ok\n");
    if (!bad && o->kafka)
        printf("kafka brokers/topic: syntax ok\n");
    return bad;
}

int check_deployment(const struct xm_opts *o)
{
    struct check_who w;
    int bad = check_user(o->user, &w);
    const char *paths[] = {o->alerts_path, o->flows_path, o->socket_path,
                           o->record_processes_path};
    const char *whats[] = {"alerts", "flows", "socket", "record-processes"};
    for (size_t i = 0; i < XM_ARRAY_LEN(paths); i++)
        bad += check_output(&w, whats[i], paths[i]);
    if (o->state_dir) {             /* --state: its files are created in DIR */
        char sp[4096];
        snprintf(sp, sizeof sp, "%s/rules.state", o->state_dir);
        bad += check_output(&w, "state", sp);
    }
    bad += check_http(o->http_listen);
    bad += check_urls(o);
    bad += check_iface(o->iface);
    return bad;
}
