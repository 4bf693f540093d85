/*
 * inc_int.h - internals shared by the incidents/ files (not a public API; the
 * contract is include/xm_incident.h).
 *
 * Bounds: INC_SIGS signatures, INC_DESTS destinations, INC_QNAMES DNS
 * query names and INC_CIDS Community IDs per incident; what does not fit
 * is counted (`*_dropped`) and shown in the record.
 */
#ifndef XM_INC_INT_H
#define XM_INC_INT_H

#include "xm_incident.h"

#define INC_SIGS 8
#define INC_DESTS 8
#define INC_QNAMES 4
#define INC_CIDS 5
#define INC_TERMS 12
#define INC_STR 128

enum inc_group { INC_G_HOST = 0, INC_G_CAMPAIGN, INC_G_DNS_TUNNEL, INC_G_DOMAIN, INC_G_ASN,
                 INC_G_NET, INC_G_MAX };

/* Suricata severity numbers: 1 critical .. 4 low; 0 = none yet. */
enum { INC_SEV_CRITICAL = 1, INC_SEV_HIGH, INC_SEV_MEDIUM, INC_SEV_LOW };

struct inc_sig {
    uint32_t sid;
    uint8_t sev;
    uint32_t count;
    xm_time_t first, last;
    char name[INC_STR];
    char category[48];
};

struct inc_dest {
    struct xm_addr ip;
    char name[INC_STR];            /* "" when unnamed */
    char source[16];               /* name provenance ("sni", "dns", "unnamed", ...) */
};

/* What the hits said, for the score (evidence.c). */
struct inc_evidence {
    uint8_t max_sev;               /* most severe rule hit (INC_SEV_*) */
    bool ai_host, indicator, lookalike, new_dest, unnamed, process, expected_llm;
    uint64_t alert_bytes_out, alert_bytes_in;   /* largest rule-window totals */
};

struct inc_term {
    const char *name;
    int points;
};

struct inc {
    bool used;
    uint64_t id;                   /* sequence number in order of opening */
    struct xm_addr host;
    uint32_t pid;
    uint8_t gkind;                 /* enum inc_group */
    char gval[INC_STR];
    xm_time_t first, last;         /* first hit; last hit or matched traffic */
    uint64_t flow_bytes_out, flow_bytes_in;     /* matched flows since opening */
    struct inc_sig sig[INC_SIGS];
    uint8_t n_sig;
    uint32_t sig_dropped;
    struct inc_dest dst[INC_DESTS];
    uint8_t n_dst;
    uint32_t dst_dropped;
    char qname[INC_QNAMES][INC_STR];
    uint8_t n_qname;
    char cid[INC_CIDS][40];
    uint8_t n_cid;
    char ioc[64], lookalike_vendor[64];
    json_t *host_obj, *process;    /* latest seen in a hit (references) */
    struct inc_evidence ev;
    uint8_t sev_reported;          /* severity of the last record */
    uint64_t bytes_reported;       /* bytes out of the last record */
    uint32_t records;
    uint32_t prev, next;           /* open list, in order of opening (1-based) */
    uint32_t knext, hnext;         /* chains by key and by host (1-based) */
    uint32_t kb;                   /* its key bucket */
};

struct inc_engine {
    struct inc_limits lim;
    const struct xm_netset *home;
    inc_emit_fn emit;
    void *emit_ctx;
    struct inc *tab;               /* [1..max_open] */
    uint32_t *kbucket, *hbucket;   /* heads, 1-based */
    uint32_t nbuckets;             /* power of two */
    uint32_t free_head, head, tail;
    uint32_t fresh;                /* slots 1..fresh were ever used (lazily touched) */
    uint64_t seed, next_id;
    xm_time_t hist_since;          /* inc_set_history */
    struct inc_stats st;
};

/* evidence.c: reads one alert. */
struct inc_hit {
    struct xm_addr host, dest;     /* dest.family 0: none */
    uint32_t pid;
    uint8_t gkind;
    char gval[INC_STR];
    uint32_t sid;
    uint8_t sev;
    const char *signature, *category;
    const char *dest_name, *dest_source, *qname, *community_id;
    const char *ioc, *lookalike_vendor;
    const json_t *host_obj, *process;
    struct inc_evidence ev;
};
/* Fills h from an alert; -1 when the alert names no local host. */
int inc_hit_read(const json_t *alert, const struct xm_netset *home, struct inc_hit *h);
/* Merges a hit's evidence into an incident's. */
void inc_evidence_merge(struct inc_evidence *into, const struct inc_evidence *from);
/* The score and its terms (at most INC_TERMS); returns the score. */
int inc_score(const struct inc *in, struct inc_term *terms, size_t *n_terms);
uint8_t inc_severity(int score);
const char *inc_sev_name(uint8_t sev);
const char *inc_group_name(uint8_t g);

/* incident.c, for state.c: an open incident restored from a saved copy
 * (links, bucket and JSON pointers of src are ignored; the JSON objects
 * are taken over).  Appended to the open list; 0 when the table is full. */
uint32_t inc_restore(struct inc_engine *e, const struct inc *src, json_t *host_obj,
                     json_t *process);

/* record.c: the EVE incident record (new reference, NULL on OOM). */
json_t *inc_record(const struct inc *in, xm_time_t hist_since, const char *state,
                   const char *reason, xm_time_t now);

#endif
