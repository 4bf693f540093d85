/*
 * paths.c - installed data directory, and build-tree fallbacks for an
 * uninstalled binary only (see include/xm_paths.h).
 */
#include "xm_paths.h"
#include "xm_config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PATHS_MAX 1024              /* longest root path kept, bytes */

static char paths_src[PATHS_MAX], paths_build[PATHS_MAX];
static char paths_src_data[PATHS_MAX + 8], paths_build_data[PATHS_MAX + 8];
static bool paths_loaded, paths_uninstalled;

/* Copies the value of "key=value\n" into out when line starts with key=. */
static bool paths_take(const char *line, const char *key, char *out, size_t len)
{
    size_t k = strlen(key);
    if (strncmp(line, key, k) != 0 || line[k] != '=')
        return false;
    const char *v = line + k + 1;
    size_t n = strcspn(v, "\r\n");
    if (n == 0 || n >= len || v[0] != '/')
        return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

int paths_read_marker(const char *file, char *src, size_t srclen,
                      char *build, size_t buildlen)
{
    char line[PATHS_MAX + 32];
    bool have_src = false, have_build = false;
    FILE *f = fopen(file, "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        have_src |= paths_take(line, "source_root", src, srclen);
        have_build |= paths_take(line, "build_root", build, buildlen);
    }
    fclose(f);
    return have_src && have_build ? 0 : -1;
}

/* The marker next to /proc/self/exe, read once. */
static void paths_load(void)
{
    char exe[PATH_MAX];
    if (paths_loaded)
        return;
    paths_loaded = true;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash || (size_t)(slash - exe) + sizeof "/" PATHS_MARKER > sizeof exe)
        return;
    strcpy(slash + 1, PATHS_MARKER);
    if (paths_read_marker(exe, paths_src, sizeof paths_src, paths_build,
                          sizeof paths_build) != 0)
        return;
    snprintf(paths_src_data, sizeof paths_src_data, "%s/data", paths_src);
    snprintf(paths_build_data, sizeof paths_build_data, "%s/data", paths_build);
    paths_uninstalled = true;
}

const char *paths_source_root(void)
{
    paths_load();
    return paths_uninstalled ? paths_src : NULL;
}

const char *paths_build_root(void)
{
    paths_load();
    return paths_uninstalled ? paths_build : NULL;
}

size_t paths_data_roots(const char **roots, size_t max)
{
    size_t n = 0;
    paths_load();
    if (n < max)
        roots[n++] = XM_DATADIR;
    if (paths_uninstalled && n < max)
        roots[n++] = paths_src_data;
    if (paths_uninstalled && n < max)
        roots[n++] = paths_build_data;
    return n;
}
