/*
 * glob.c - '*' and '?' glob matching (xm_glob.h).
 */
#include "xm_glob.h"

#include <ctype.h>

static bool glob_same(char p, char s)
{
    return p == '?' || tolower((unsigned char)p) == tolower((unsigned char)s);
}

bool xm_glob(const char *pat, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
    while (si < sn) {
        if (pi < pn && pat[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && glob_same(pat[pi], s[si])) {
            pi++;
            si++;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && pat[pi] == '*')
        pi++;
    return pi == pn;
}
