/*
 * privs.c - drop root after start-up (see include/xm_privs.h).
 * Order matters: the bounding set can only shrink while we still hold
 * CAP_SETPCAP (before setuid); the capabilities survive setuid only with
 * PR_SET_KEEPCAPS; no_new_privs comes last.
 */
#include "xm_privs.h"
#include "xm_out.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

static const cap_value_t privs_keep[] = {
    CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH,
};

static bool privs_is_kept(cap_value_t c, bool keep)
{
    for (size_t i = 0; keep && i < sizeof privs_keep / sizeof privs_keep[0]; i++)
        if (privs_keep[i] == c)
            return true;
    return false;
}

static bool privs_have_setpcap(void)
{
    cap_t caps = cap_get_proc();
    cap_flag_value_t v = CAP_CLEAR;
    if (caps)
        cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &v);
    cap_free(caps);
    return v == CAP_SET;
}

/* Removes every capability we will not keep from the bounding set.  That
 * needs CAP_SETPCAP; without it (systemd already narrowed the bounding
 * set) this step is skipped: an empty permitted set plus no_new_privs
 * already rule out regaining anything. */
static int privs_bound(bool keep, char *err, size_t errlen)
{
    if (!privs_have_setpcap())
        return 0;
    for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
        if (privs_is_kept(c, keep) || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) {
            snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s",
                     (int)c, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int privs_switch(const struct passwd *pw, char *err, size_t errlen)
{
    gid_t gid = pw->pw_gid;
    if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
        snprintf(err, errlen, "cannot switch to user %s (uid %u, gid %u): %s",
                 pw->pw_name, (unsigned)pw->pw_uid, (unsigned)gid, strerror(errno));
        return -1;
    }
    return 0;
}

/* Sets permitted = effective = the kept list (or nothing), inheritable
 * empty. */
static int privs_caps(bool keep, char *err, size_t errlen)
{
    cap_t caps = cap_init();            /* all clear */
    int n = keep ? (int)(sizeof privs_keep / sizeof privs_keep[0]) : 0;
    int rc = -1;
    if (!caps)
        goto out;
    if (n && (cap_set_flag(caps, CAP_PERMITTED, n, privs_keep, CAP_SET) != 0 ||
              cap_set_flag(caps, CAP_EFFECTIVE, n, privs_keep, CAP_SET) != 0))
        goto out;
    rc = cap_set_proc(caps);
out:
    if (rc != 0)
        snprintf(err, errlen, "cannot set capabilities: %s", strerror(errno));
    cap_free(caps);
    return rc;
}

static int privs_verify(const struct passwd *pw, char *err, size_t errlen)
{
    if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getegid() != pw->pw_gid) {
        snprintf(err, errlen, "privilege drop to %s did not take", pw->pw_name);
        return -1;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "privilege drop to %s can be undone: setuid(0) works",
                 pw->pw_name);
        return -1;
    }
    return 0;
}

/* Not root: nothing to drop, but --user must name ourselves. */
static int privs_unprivileged(const struct passwd *pw, char *err, size_t errlen)
{
    if (pw->pw_uid == geteuid()) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
            return 0;
        snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
        return -1;
    }
    snprintf(err, errlen, "--user %s: switching users needs root", pw->pw_name);
    return -1;
}

int privs_drop(const char *user, bool keep_attr_caps, char *err, size_t errlen)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "--user %s: %s", user,
                 errno ? strerror(errno) : "no such user");
        return -1;
    }
    struct passwd copy = *pw;           /* getpwnam's storage is static */
    if (geteuid() != 0)
        return privs_unprivileged(&copy, err, errlen);
    if (out_chown_all(copy.pw_uid, copy.pw_gid) != 0) {
        snprintf(err, errlen, "cannot hand the output files to %s: %s", copy.pw_name,
                 strerror(errno));
        return -1;
    }
    if (privs_bound(keep_attr_caps, err, errlen) != 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, keep_attr_caps ? 1 : 0, 0, 0, 0) != 0 ||
        privs_switch(&copy, err, errlen) != 0)
        return -1;
    if (privs_caps(keep_attr_caps, err, errlen) != 0)
        return -1;
    (void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
        return -1;
    }
    return privs_verify(&copy, err, errlen);
}
