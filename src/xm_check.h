/*
 * xm_check.h - --check's deployment checks (src/check.c), beyond parsing:
 * the --user exists; every output file's directory exists and will be
 * writable by that user (files are re-created there after logrotate,
 * once privileges are gone; mode bits only, ACLs are not read); the
 * --http address parses and can be bound now (in use is a warning: the
 * daemon may be running); the capture interface exists.
 * Each problem is logged as an error naming the setting and the path;
 * what passed is printed on standard output.  Private to the program.
 */
#ifndef XM_CHECK_H
#define XM_CHECK_H

#include "xm_opts.h"

/* Returns the number of problems found (0 = the daemon can start). */
int check_deployment(const struct xm_opts *o);

#endif
