/*
 * xm_pipeline.h - the decode -> flow -> app-layer -> rules -> output path
 * (src/pipeline.c), shared by replay and the live daemon.
 *
 * Ownership: the pipeline owns every table and output it opens; the
 * caller owns the opts (which must outlive the pipeline) and the packet
 * buffers (borrowed for one call).
 *
 * Clock: packet time.  pipe_packet() advances the pipeline clock to the
 * packet's timestamp (never backwards: an out-of-order packet is accounted
 * at the current clock) and runs the once-per-second housekeeping (flow
 * expiry, rule ticks) whenever the clock crosses a second boundary.  The
 * live daemon also calls pipe_advance() from a timer so flows expire when
 * the wire is quiet.
 */
#ifndef XM_PIPELINE_H
#define XM_PIPELINE_H

#include <stdio.h>

#include <jansson.h>

#include "xm_common.h"
#include "xm_opts.h"
#include "xm_pkt.h"
#include "xm_flow.h"

struct xm_pipeline;

struct pipe_stats {
    uint64_t packets;          /* frames seen */
    uint64_t bytes_captured;   /* sum of caplen */
    uint64_t ip_bytes;         /* sum of IP-layer bytes of decoded packets */
    uint64_t out_of_order;     /* packets older than the pipeline clock */
    uint64_t alerts;           /* alerts emitted */
    uint64_t alerts_suppressed; /* alerts a suppression entry held back */
    uint64_t flow_records;     /* flow records emitted (incl. interim) */
    /* Egress: IP bytes between a home-net address and one outside it,
     * out = sent by the home side; added when a flow ends or writes an
     * interim record (flows with both or neither end local are not
     * egress). */
    uint64_t egress_bytes_out, egress_bytes_in;
    uint64_t alerts_by_severity[5]; /* [1..4] critical, high, medium, low; [0] other */
    uint64_t incident_records; /* incident records emitted */
    uint64_t state_loaded;     /* state components loaded at start (--state) */
    uint64_t state_saves, state_save_errors;  /* pipe_state_save() outcomes */
};

/* Why pipe_new_ex() failed. */
enum { PIPE_ERR_CONFIG = 0, PIPE_ERR_OUTPUT = 1 };

/* Sets the EVE sensor name ("host") from o->sensor, else this machine's
 * host name.  Returns 0, or -1 with err filled when the name is refused. */
int pipe_set_sensor(const struct xm_opts *o, char *err, size_t errlen);

/* Loads o->suppress_path (nothing when NULL) into a new list; on error
 * err holds "FILE:LINE:COL: error: MSG", the line and a caret. */
struct suppress;
int pipe_load_suppress(const struct xm_opts *o, struct suppress **out, char *err,
                       size_t errlen);

/* Builds every table and opens the outputs named in opts.  live selects
 * non-blocking outputs.  Returns NULL and fills err on failure. */

struct xm_pipeline *pipe_new(const struct xm_opts *opts, bool live,
                             char *err, size_t errlen);
/* Same; *why tells a configuration error (home net, rules, lists) from an
 * output that could not be opened (PIPE_ERR_OUTPUT). */
struct xm_pipeline *pipe_new_ex(const struct xm_opts *opts, bool live, int *why,
                                char *err, size_t errlen);
/* Rules in the running set (0 with --no-rules). */
size_t pipe_rules_count(const struct xm_pipeline *pl);
/* Accounts one captured frame of link type dlt. */
void pipe_packet(struct xm_pipeline *pl, int dlt, xm_time_t ts,
                 const uint8_t *data, uint32_t caplen, uint32_t wirelen);
/* Same for a frame already decoded by dec_packet_reason() (the reader
 * thread, src/reader.c): why is its outcome, counted here; pkt->ts may be
 * moved up to the clock; pkt->l4_payload must stay valid for the call.
 * pipe_packet(F) and pipe_decoded(decode(F)) have the same effect. */
void pipe_decoded(struct xm_pipeline *pl, struct xm_pkt *pkt, enum dec_reason why);
/* The same with the flow key hash already computed (fh: pipe_flow_hash of
 * pkt, or NULL), as src/feed.c has it from prefetching. */
void pipe_decoded_hashed(struct xm_pipeline *pl, struct xm_pkt *pkt, enum dec_reason why,
                         const uint32_t *fh);
/* Prefetch for packets a few places ahead in a batch (flow_hash and
 * flow_prefetch of xm_flow.h on the pipeline's flow table). */
uint32_t pipe_flow_hash(const struct xm_pipeline *pl, const struct xm_pkt *pkt);
void pipe_prefetch(const struct xm_pipeline *pl, uint32_t h, int stage);
/* The rule state of pkt's flow, hash h (guessed by flow_peek; the flow
 * slot prefetched by pipe_prefetch(pl, h, 1) before): rules_prefetch()
 * and rules_prefetch_stale() for a flow found, rules_prefetch_new() for
 * a packet that will create its flow.  Changes nothing. */
void pipe_prefetch_rules(const struct xm_pipeline *pl, const struct xm_pkt *pkt, uint32_t h);
/* Advances the clock without a packet (live timers). */
void pipe_advance(struct xm_pipeline *pl, xm_time_t now);
/* Ends every flow, flushes rules and outputs (end of input, SIGTERM). */
void pipe_finish(struct xm_pipeline *pl);
/* --state DIR: loads the learned state (called by pipe_new_ex; a
 * missing or bad file is skipped, bad ones reported with FILE:LINE) and
 * saves it atomically (pipe_finish saves too, and keeps open incidents
 * open in the saved state).  No-ops without --state.  save: 0 or -1. */
void pipe_state_load(struct xm_pipeline *pl);
int pipe_state_save(struct xm_pipeline *pl);
/* Flushes outputs only. Returns -1 if an output reported a write error. */
int pipe_flush_outputs(struct xm_pipeline *pl);
/* The out_open() spec --webhook, --webhook-format, --webhook-rate give
 * ("webhook:FORMAT:RATE:URL"); --check verifies it too. */
void pipe_webhook_spec(const struct xm_opts *o, char *spec, size_t len);
/* The out_open() spec of --kafka ("kafka:BROKERS/TOPIC[?opts]"); 0, or
 * -1 with err filled when this build has no Kafka sink (-Dkafka) or the
 * spec's syntax is wrong (a configuration error: exit 2). */
int pipe_kafka_spec(const struct xm_opts *o, char *spec, size_t len, char *err, size_t errlen);
/* Reopens output files (SIGHUP, logrotate). */
void pipe_reopen_outputs(struct xm_pipeline *pl);
/* Recompiles rules/lists from opts aside and swaps them in only when the
 * whole set compiled; on error keeps the old set and fills err. */
int pipe_reload(struct xm_pipeline *pl, const struct xm_opts *opts,
                char *err, size_t errlen);

/* Called with every alert before it is written (e.g. the HTTP /alerts
 * ring); the alert is borrowed for the call. */
void pipe_set_alert_hook(struct xm_pipeline *pl, void (*fn)(void *, const json_t *),
                         void *ctx);

const struct pipe_stats *pipe_get_stats(const struct xm_pipeline *pl);
const struct dec_stats *pipe_dec_stats(const struct xm_pipeline *pl);
const struct flow_stats *pipe_flow_stats(const struct xm_pipeline *pl);
struct host_table;
/* The local hosts' totals (read-only; tests and reports). */
const struct host_table *pipe_host_table(const struct xm_pipeline *pl);
/* Writes the Prometheus text exposition of every counter to f. */
void pipe_write_metrics(const struct xm_pipeline *pl, FILE *f);
/* /healthz: 1 and a reason while --site-redis is unreachable, else 0. */
size_t pipe_site_health(const struct xm_pipeline *pl, char *why, size_t len);
/* One-line summary (packets read, decoded, not IP, truncated, invalid,
 * flows, evictions) for the end of a run and SIGUSR1. */
void pipe_write_summary(const struct xm_pipeline *pl, FILE *f);
/* The enrichment stack (src/xm_enrich.h), for the live loop's hooks. */
struct enrich;
struct enrich *pipe_enrich(struct xm_pipeline *pl);
void pipe_free(struct xm_pipeline *pl);

#endif
