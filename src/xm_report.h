/*
 * xm_report.h - `exfilmon report` (src/report.c): incident, alert and
 * flow records in, one self-contained HTML file and a text summary out.
 */
#ifndef XM_REPORT_H
#define XM_REPORT_H

/* argv[0] is "report"; returns the exit status (0, 1 read/write error,
 * 2 usage). */
int report_main(int argc, char **argv);

#endif
