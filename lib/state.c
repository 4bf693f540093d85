/*
 * state.c - atomic, versioned state files (xm_state.h).
 */
#include "xm_state.h"
#include "xm_log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int st_path(char *out, size_t len, const char *dir, const char *pre, const char *comp,
                   const char *suf)
{
    int n = snprintf(out, len, "%s/%s%s%s", dir, pre, comp, suf);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int xm_state_begin(struct xm_state_w *w, const char *dir, const char *component)
{
    memset(w, 0, sizeof *w);
    w->component = component;
    if (st_path(w->tmp, sizeof w->tmp, dir, ".", component, ".tmp") != 0 ||
        st_path(w->path, sizeof w->path, dir, "", component, ".state") != 0 ||
        snprintf(w->dir, sizeof w->dir, "%s", dir) >= (int)sizeof w->dir) {
        xm_err("state: directory name too long: %s", dir);
        return -1;
    }
    w->f = fopen(w->tmp, "w");
    if (!w->f) {
        xm_err("state: cannot write %s: %s", w->tmp, strerror(errno));
        return -1;
    }
    fprintf(w->f, "exfilmon-state %d %s\n", XM_STATE_VERSION, component);
    return 0;
}

void xm_state_line(struct xm_state_w *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(w->f, fmt, ap) < 0 || fputc('\n', w->f) == EOF)
        w->err = 1;
    va_end(ap);
    w->lines++;
}

char *xm_state_hex(const void *p, size_t len, char *out)
{
    static const char dig[] = "0123456789abcdef";
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = dig[b[i] >> 4];
        out[2 * i + 1] = dig[b[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

static int st_nib(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int xm_state_unhex(const char *s, void *p, size_t len)
{
    uint8_t *b = p;
    for (size_t i = 0; i < len; i++) {
        int hi = st_nib(s[2 * i]);
        int lo = hi < 0 ? -1 : st_nib(s[2 * i + 1]);
        if (lo < 0)
            return -1;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void xm_state_abort(struct xm_state_w *w)
{
    if (w->f)
        fclose(w->f);
    w->f = NULL;
    unlink(w->tmp);
}

static int st_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static void st_test_hook(const char *component)
{
    const char *e = getenv("XM_STATE_TEST_ABORT");
    if (e && strcmp(e, component) == 0)
        abort();
}

int xm_state_commit(struct xm_state_w *w)
{
    fprintf(w->f, "end %llu\n", (unsigned long long)w->lines);
    int rc = w->err || fflush(w->f) != 0 || ferror(w->f) || fsync(fileno(w->f)) != 0 ? -1 : 0;
    if (fclose(w->f) != 0)
        rc = -1;
    w->f = NULL;
    if (rc == 0) {
        st_test_hook(w->component);
        rc = rename(w->tmp, w->path);
    }
    if (rc != 0) {
        xm_err("state: cannot save %s: %s", w->path, strerror(errno));
        unlink(w->tmp);
        return -1;
    }
    if (st_fsync_dir(w->dir) != 0)
        xm_warn("state: cannot fsync %s: %s", w->dir, strerror(errno));
    return 0;
}

/* ---- reading --------------------------------------------------------- */

struct st_rd {
    FILE *f;
    const char *path;
    char *line;                  /* XM_STATE_LINE_MAX bytes */
    unsigned long lineno;
};

/* Next line without '\n'; 1 at EOF, -1 for a line too long or unterminated. */
static int st_next(struct st_rd *r)
{
    if (!fgets(r->line, XM_STATE_LINE_MAX, r->f))
        return 1;
    r->lineno++;
    size_t n = strlen(r->line);
    if (n == 0 || r->line[n - 1] != '\n')
        return -1;
    r->line[n - 1] = '\0';
    return 0;
}

static int st_header(struct st_rd *r, const char *component)
{
    int ver;
    char comp[64];
    if (st_next(r) != 0 || sscanf(r->line, "exfilmon-state %d %63s", &ver, comp) != 2) {
        xm_warn("state: %s:%lu: not a state file; ignored", r->path, r->lineno);
        return -1;
    }
    if (ver != XM_STATE_VERSION || strcmp(comp, component) != 0) {
        xm_warn("state: %s:%lu: format version %d of '%s' (this program reads version %d of "
                "'%s'); ignored", r->path, r->lineno, ver, comp, XM_STATE_VERSION, component);
        return -1;
    }
    return 0;
}

/* Checks that the file ends with the right trailer before loading. */
static int st_check_trailer(struct st_rd *r)
{
    unsigned long long n = 0, want = 0;
    bool end = false;
    int rc;
    while ((rc = st_next(r)) == 0) {
        if (end) {
            xm_warn("state: %s:%lu: data after the trailer; ignored", r->path, r->lineno);
            return -1;
        }
        end = sscanf(r->line, "end %llu", &want) == 1;
        n += !end;
    }
    if (rc < 0 || !end || n != want) {
        xm_warn("state: %s:%lu: truncated or corrupt (%s); ignored", r->path, r->lineno,
                rc < 0 ? "unterminated or overlong line" : "no valid trailer");
        return -1;
    }
    return 0;
}

static int st_body(struct st_rd *r, xm_state_line_fn fn, void *ctx)
{
    char err[160];
    while (st_next(r) == 0) {
        if (strncmp(r->line, "end ", 4) == 0)
            return 0;
        err[0] = '\0';
        if (fn(ctx, r->line, err, sizeof err) != 0) {
            xm_warn("state: %s:%lu: %s; the rest of the file is skipped", r->path, r->lineno,
                    err[0] ? err : "bad line");
            return -1;
        }
    }
    return 0;
}

int xm_state_load(const char *dir, const char *component, xm_state_line_fn fn, void *ctx)
{
    char path[1024];
    if (st_path(path, sizeof path, dir, "", component, ".state") != 0)
        return -1;
    struct st_rd r = {.path = path};
    r.f = fopen(path, "r");
    if (r.f && !(r.line = malloc(XM_STATE_LINE_MAX))) {
        fclose(r.f);
        xm_warn("state: %s:0: out of memory; ignored", path);
        return -1;
    }
    if (!r.f) {
        if (errno == ENOENT)
            return 1;
        xm_warn("state: %s:0: cannot read: %s; ignored", path, strerror(errno));
        return -1;
    }
    int rc = st_header(&r, component);
    if (rc == 0)
        rc = st_check_trailer(&r);
    if (rc == 0) {
        rewind(r.f);
        r.lineno = 0;
        st_next(&r);
        rc = st_body(&r, fn, ctx);
    }
    fclose(r.f);
    free(r.line);
    return rc;
}
