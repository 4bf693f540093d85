/*
 * mitre.c - MITRE ATT&CK (Enterprise) technique -> tactic table, so an
 * alert carries the tactic next to the technique its rule cites
 * (alert.metadata.mitre_tactic_id / mitre_tactic_name, the names
 * Emerging Threats metadata and the Elastic and Splunk Suricata
 * integrations read).  Static data, no state; a sub-technique ("T1048.003")
 * takes its parent's tactics.  Techniques not in the table get no tactic.
 * Source: attack.mitre.org technique pages (Enterprise matrix v15).
 */
#include "mitre.h"

#include <string.h>

struct mitre_row {
    const char *technique;             /* parent technique id, "T1048" */
    const char *tactics[MITRE_MAX_TACTICS];   /* ids, NULL-terminated */
};

/* Sorted by technique id (checked by tests/test_mitre.c). */
static const struct mitre_row mitre_rows[] = {
    {"T1005", {"TA0009"}},             /* Data from Local System */
    {"T1011", {"TA0010"}},             /* Exfiltration Over Other Network Medium */
    {"T1020", {"TA0010"}},             /* Automated Exfiltration */
    {"T1029", {"TA0010"}},             /* Scheduled Transfer */
    {"T1030", {"TA0010"}},             /* Data Transfer Size Limits */
    {"T1041", {"TA0010"}},             /* Exfiltration Over C2 Channel */
    {"T1048", {"TA0010"}},             /* Exfiltration Over Alternative Protocol */
    {"T1052", {"TA0010"}},             /* Exfiltration Over Physical Medium */
    {"T1059", {"TA0002"}},             /* Command and Scripting Interpreter */
    {"T1071", {"TA0011"}},             /* Application Layer Protocol */
    {"T1078", {"TA0005", "TA0003", "TA0004", "TA0001"}},   /* Valid Accounts */
    {"T1090", {"TA0011"}},             /* Proxy */
    {"T1095", {"TA0011"}},             /* Non-Application Layer Protocol */
    {"T1102", {"TA0011"}},             /* Web Service */
    {"T1105", {"TA0011"}},             /* Ingress Tool Transfer */
    {"T1119", {"TA0009"}},             /* Automated Collection */
    {"T1132", {"TA0011"}},             /* Data Encoding */
    {"T1133", {"TA0003", "TA0001"}},   /* External Remote Services */
    {"T1190", {"TA0001"}},             /* Exploit Public-Facing Application */
    {"T1195", {"TA0001"}},             /* Supply Chain Compromise */
    {"T1537", {"TA0010"}},             /* Transfer Data to Cloud Account */
    {"T1546", {"TA0004", "TA0003"}},   /* Event Triggered Execution */
    {"T1552", {"TA0006"}},             /* Unsecured Credentials */
    {"T1560", {"TA0009"}},             /* Archive Collected Data */
    {"T1567", {"TA0010"}},             /* Exfiltration Over Web Service */
    {"T1568", {"TA0011"}},             /* Dynamic Resolution */
    {"T1572", {"TA0011"}},             /* Protocol Tunneling */
    {"T1573", {"TA0011"}},             /* Encrypted Channel */
    {"T1583", {"TA0042"}},             /* Acquire Infrastructure */
};

static const struct { const char *id, *name; } mitre_tactic_names[] = {
    {"TA0001", "Initial Access"}, {"TA0002", "Execution"}, {"TA0003", "Persistence"},
    {"TA0004", "Privilege Escalation"}, {"TA0005", "Defense Evasion"},
    {"TA0006", "Credential Access"}, {"TA0007", "Discovery"},
    {"TA0008", "Lateral Movement"}, {"TA0009", "Collection"}, {"TA0010", "Exfiltration"},
    {"TA0011", "Command and Control"}, {"TA0040", "Impact"},
    {"TA0042", "Resource Development"}, {"TA0043", "Reconnaissance"},
};

/* Length of the parent id: "T1048.003" -> 5. */
static size_t mitre_parent_len(const char *t)
{
    const char *dot = strchr(t, '.');
    return dot ? (size_t)(dot - t) : strlen(t);
}

size_t mitre_tactics(const char *technique, const char **out)
{
    size_t n = mitre_parent_len(technique);
    for (size_t i = 0; i < sizeof mitre_rows / sizeof mitre_rows[0]; i++) {
        const struct mitre_row *r = &mitre_rows[i];
        if (strlen(r->technique) != n || memcmp(r->technique, technique, n) != 0)
            continue;
        size_t k = 0;
        while (k < MITRE_MAX_TACTICS && r->tactics[k]) {
            out[k] = r->tactics[k];
            k++;
        }
        return k;
    }
    return 0;
}

const char *mitre_tactic_name(const char *tactic_id)
{
    for (size_t i = 0; i < sizeof mitre_tactic_names / sizeof mitre_tactic_names[0]; i++)
        if (!strcmp(mitre_tactic_names[i].id, tactic_id))
            return mitre_tactic_names[i].name;
    return NULL;
}

size_t mitre_table_size(void)
{
    return sizeof mitre_rows / sizeof mitre_rows[0];
}

const char *mitre_table_technique(size_t i)
{
    return i < mitre_table_size() ? mitre_rows[i].technique : NULL;
}
