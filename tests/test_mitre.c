/*
 * test_mitre.c - the ATT&CK technique -> tactic table (rules/mitre.c):
 * sorted and unique, every technique the bundled rule packs cite is in it,
 * sub-techniques take their parent's tactics, every tactic has a name.
 */
#include "xm_test.h"

#include "xm_common.h"
#include "../rules/mitre.h"

static void test_table(void)
{
    for (size_t i = 1; i < mitre_table_size(); i++)
        CHECK(strcmp(mitre_table_technique(i - 1), mitre_table_technique(i)) < 0);
    for (size_t i = 0; i < mitre_table_size(); i++) {
        const char *t[MITRE_MAX_TACTICS];
        size_t n = mitre_tactics(mitre_table_technique(i), t);
        CHECK(n >= 1);
        for (size_t k = 0; k < n; k++)
            CHECK(mitre_tactic_name(t[k]) != NULL);
    }
}

static void test_lookups(void)
{
    const char *t[MITRE_MAX_TACTICS];
    CHECK_EQ_U64(mitre_tactics("T1048.003", t), 1);
    CHECK_STR(t[0], "TA0010");
    CHECK_STR(mitre_tactic_name(t[0]), "Exfiltration");
    CHECK_EQ_U64(mitre_tactics("T1071.004", t), 1);
    CHECK_STR(mitre_tactic_name(t[0]), "Command and Control");
    CHECK_EQ_U64(mitre_tactics("T1133", t), 2);
    CHECK_EQ_U64(mitre_tactics("T9999", t), 0);
    CHECK_EQ_U64(mitre_tactics("T104", t), 0);      /* prefix of an id is no match */
    CHECK(mitre_tactic_name("TA9999") == NULL);
}

/* Every "mitre" technique of the bundled packs has a tactic. */
static void test_packs(void)
{
    static const char *const packs[] = {"rules/default.rules", "rules/intel.rules",
                                        "rules/process.rules"};
    unsigned cited = 0;
    for (size_t p = 0; p < XM_ARRAY_LEN(packs); p++) {
        FILE *f = fopen(packs[p], "r");
        CHECK(f != NULL);
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            char *m = strstr(line, "mitre ");
            if (!m || (strchr(line, '#') && strchr(line, '#') < m))
                continue;
            for (char *w = strtok(m + 6, " ,\t\n"); w; w = strtok(NULL, " ,\t\n")) {
                const char *t[MITRE_MAX_TACTICS];
                if (w[0] != 'T')
                    continue;
                cited++;
                if (mitre_tactics(w, t) == 0)
                    fprintf(stderr, "%s: technique %s has no tactic\n", packs[p], w);
                CHECK(mitre_tactics(w, t) > 0);
            }
        }
        if (f)
            fclose(f);
    }
    CHECK(cited > 20);
}

int main(void)
{
    test_table();
    test_lookups();
    test_packs();
    return xm_test_result();
}
