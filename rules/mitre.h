/*
 * mitre.h - MITRE ATT&CK technique -> tactic lookup (rules/mitre.c).
 * Static tables only: every returned string is static and owned by
 * mitre.c; nothing is allocated.
 */
#ifndef XM_RULES_MITRE_H
#define XM_RULES_MITRE_H

#include <stddef.h>

#define MITRE_MAX_TACTICS 4

/* Tactic ids ("TA0010") of a technique or sub-technique ("T1048.003"
 * looks up "T1048") into out[0..MITRE_MAX_TACTICS); returns how many
 * (0 when the technique is not in the table). */
size_t mitre_tactics(const char *technique, const char **out);
/* "Exfiltration" for "TA0010"; NULL for an unknown id. */
const char *mitre_tactic_name(const char *tactic_id);
/* The table, for tests: number of rows, and row i's technique id. */
size_t mitre_table_size(void);
const char *mitre_table_technique(size_t i);

#endif
