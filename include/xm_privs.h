/*
 * xm_privs.h - dropping root after start-up (src/privs.c).
 *
 * Model: exfilmon starts as root (or with the capabilities systemd gives
 * it), opens every capture handle, file and socket, then calls
 * privs_drop() once.  Afterwards the process runs as the unprivileged
 * user with supplementary groups reduced to that user's primary group,
 * holds at most the capabilities process attribution needs
 * (PRIVS_ATTRIBUTION_CAPS), has every other capability removed from its
 * bounding set, and has no_new_privs set, so neither setuid binaries nor
 * file capabilities can give anything back.  Open output files (and
 * unix socket paths) are first handed to the user (out_chown_all) so a
 * SIGHUP reopen still works.  Nothing is allocated that
 * the caller must free.
 */
#ifndef XM_PRIVS_H
#define XM_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Kept when keep_attr_caps is true:
 *   CAP_NET_ADMIN        netlink process connector (exec/exit events)
 *   CAP_NET_RAW          sock_diag queries for every socket, re-opening
 *   CAP_SYS_PTRACE       readlink /proc/<pid>/fd and exe of other users
 *   CAP_DAC_READ_SEARCH  read /proc/<pid>/cmdline, cgroup of other users
 */
#define PRIVS_ATTRIBUTION_CAPS "cap_net_admin,cap_net_raw,cap_sys_ptrace,cap_dac_read_search"

/*
 * Switches to `user` (resolved with getpwnam first): setgroups, setgid,
 * setuid; keeps the attribution capabilities (permitted and effective)
 * when keep_attr_caps, none otherwise; sets PR_SET_NO_NEW_PRIVS; then
 * verifies that setuid(0) fails.  Returns 0, or -1 with err filled (the
 * caller must exit: the process may be half-dropped).  When not running
 * as root, succeeds only if `user` is already the current user.
 */
int privs_drop(const char *user, bool keep_attr_caps, char *err, size_t errlen);

#endif
