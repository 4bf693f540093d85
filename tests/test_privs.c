/*
 * test_privs.c - src/privs.c, as root (skipped otherwise): a forked child
 * drops to 'nobody' and reports what it can still do through its exit
 * status; the parent checks every bit.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xm_out.h"
#include "xm_privs.h"
#include "xm_test.h"

enum {
    B_UID = 1,          /* getuid/geteuid are nobody's */
    B_SETUID0 = 2,      /* setuid(0) failed */
    B_NNP = 4,          /* no_new_privs is set */
    B_RAW = 8,          /* CAP_NET_RAW effective */
    B_SETUIDCAP = 16,   /* CAP_SETUID effective (must never be) */
    B_BOUND = 32,       /* CAP_SYS_ADMIN still in the bounding set */
    B_FAIL = 64,        /* privs_drop returned -1 */
    B_REOPEN = 128,     /* an output opened as root reopens as nobody */
};

static char dir[] = "/tmp/xm_test_privs.XXXXXX";

static bool has_cap(cap_value_t c)
{
    cap_t caps = cap_get_proc();
    cap_flag_value_t v = CAP_CLEAR;
    cap_get_flag(caps, c, CAP_EFFECTIVE, &v);
    cap_free(caps);
    return v == CAP_SET;
}

static int child(bool keep, uid_t nobody)
{
    char err[256], path[300];
    int bits = 0;
    snprintf(path, sizeof path, "%s/out.json", dir);
    struct out *o = out_open(path, true, err, sizeof err);
    if (!o || privs_drop("nobody", keep, err, sizeof err) != 0) {
        fprintf(stderr, "privs_drop: %s\n", err);
        return B_FAIL;
    }
    bits |= getuid() == nobody && geteuid() == nobody ? B_UID : 0;
    bits |= setuid(0) != 0 && errno == EPERM ? B_SETUID0 : 0;
    bits |= prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? B_NNP : 0;
    bits |= has_cap(CAP_NET_RAW) ? B_RAW : 0;
    bits |= has_cap(CAP_SETUID) ? B_SETUIDCAP : 0;
    bits |= prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 1 ? B_BOUND : 0;
    bits |= out_reopen(o, err, sizeof err) == 0 ? B_REOPEN : 0;
    out_close(o);
    return bits;
}

static int run(bool keep, uid_t nobody)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(child(keep, nobody));
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
    char err[256];
    CHECK(privs_drop("no-such-user-xm", false, err, sizeof err) == -1);
    CHECK_STR(err, "--user no-such-user-xm: no such user");
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 77;
    }
    struct passwd *pw = getpwnam("nobody");
    if (!pw) {
        printf("no user nobody: skipped\n");
        return 77;
    }
    uid_t nobody = pw->pw_uid;
    if (!mkdtemp(dir) || chmod(dir, 0755) != 0)
        return 1;
    /* Without CAP_SETPCAP (a narrowed systemd bounding set) the bounding
     * set cannot shrink; everything else must hold regardless. */
    int bound = has_cap(CAP_SETPCAP) ? 0 : B_BOUND;
    CHECK_EQ_U64(run(false, nobody), B_UID | B_SETUID0 | B_NNP | B_REOPEN | bound);
    CHECK_EQ_U64(run(true, nobody), B_UID | B_SETUID0 | B_NNP | B_RAW | B_REOPEN | bound);
    CHECK(getuid() == 0);           /* the parent is untouched */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return xm_test_result();
}
