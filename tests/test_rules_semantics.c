/*
 * test_rules_semantics.c - drives tests/rules/semantics.tsv: each row is
 * name, rule text, synthetic events and the expected verdict.
 *
 * Rule text: the rule file inline ("\n" and "\t" escapes allowed), or
 * "@default" for the default pack's own rules (its includes left out).
 * Events, ';'-separated, each a list of key=value words:
 *   t=DUR        time since the test epoch (required on sending events)
 *   f=N          flow slot 0..15 (default 0); a slot starts on first use
 *   host=IP dst=IP dport=N proc=N   flow endpoints (defaults 10.0.0.5,
 *                203.0.113.9, 443, 0), read when the slot starts
 *   out=SIZE in=SIZE                bytes sent by / to the host (in first)
 *   name=HOST    the slot's first packet carries an HTTP request with this
 *                Host header, so the app layer names the flow (new slot)
 *   ai=NAME      the host gets llm_endpoint AI evidence NAME at t, as when
 *                it talks to that LLM API (analysis/intel/aihost.c)
 *   repeat=N every=DUR              repeat the sending N times
 *   end          ends the flow (idle timeout)
 * Expected: "none"; or the alert sequence as rule ids, "!" marking an
 * escalation ("100001 100001!"); or "max=SEV": at least one alert, none
 * more severe than SEV; or "max=none-above=SEV": possibly no alert, none
 * more severe than SEV; or "has=ID,ID": each id fired (non-escalation).
 * Rules see the core fields and the intel fields (host.ai,
 * dst.ai_evidence, ...; include/xm_intel.h), with an app layer and an
 * AI-host table that are new for every row.
 */
#include "xm_test.h"
#include "xm_config.h"
#include "xm_intel.h"
#include "rules_synth.h"
#include "../rules/lex.h"

#define T0 XM_SEC(1700006400)   /* midnight UTC: buckets align */

/* Value of a duration/size word via the rule lexer (one source of units). */
static double parse_num(const char *s)
{
    struct lexer lx;
    struct lex_token t;
    lex_init(&lx, "event", s, strlen(s), NULL);
    if (lex_next(&lx, &t) != 0 || t.kind != LEX_NUMBER)
        return -1;
    return t.num;
}

struct ev {
    double t, out, in, every;
    int f, dport, proc, repeat;
    bool end;
    char host[64], dst[64], name[128], ai[128];
};

/* The intel fields' context: app layer and AI-host table of this row. */
static struct intel_ctx *sem_intel;
static struct app_ctx *sem_app;          /* sem_intel->app, writable */
static bool sem_named[SYNTH_MAX_FLOWS];

/* Names flow f by an HTTP request with Host: name from its client. */
static void sem_name_flow(struct xm_flow *f, const char *name, xm_time_t t)
{
    char req[256];
    int n = snprintf(req, sizeof req, "POST /v1/batches HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Length: 16\r\n\r\n", name);
    struct xm_pkt p;
    memset(&p, 0, sizeof p);
    p.ts = t;
    p.ipver = 4;
    p.proto = 6;
    p.tcp_flags = 0x18;
    p.has_ports = true;
    p.src = f->cli;
    p.dst = f->srv;
    p.sport = f->cli_port;
    p.dport = f->srv_port;
    p.l4_payload = (const uint8_t *)req;
    p.l4_caplen = p.l4_len = (uint32_t)n;
    app_on_packet(sem_app, &p, f, 0);
}

static void ev_word(struct ev *e, char *w)
{
    char *eq = strchr(w, '=');
    if (!eq) {
        e->end = e->end || strcmp(w, "end") == 0;
        return;
    }
    *eq++ = '\0';
    if (!strcmp(w, "t")) e->t = parse_num(eq);
    else if (!strcmp(w, "f")) e->f = atoi(eq);
    else if (!strcmp(w, "out")) e->out = parse_num(eq);
    else if (!strcmp(w, "in")) e->in = parse_num(eq);
    else if (!strcmp(w, "every")) e->every = parse_num(eq);
    else if (!strcmp(w, "repeat")) e->repeat = atoi(eq);
    else if (!strcmp(w, "dport")) e->dport = atoi(eq);
    else if (!strcmp(w, "proc")) e->proc = atoi(eq);
    else if (!strcmp(w, "host")) snprintf(e->host, sizeof e->host, "%s", eq);
    else if (!strcmp(w, "dst")) snprintf(e->dst, sizeof e->dst, "%s", eq);
    else if (!strcmp(w, "name")) snprintf(e->name, sizeof e->name, "%s", eq);
    else if (!strcmp(w, "ai")) snprintf(e->ai, sizeof e->ai, "%s", eq);
    else fprintf(stderr, "unknown event word '%s'\n", w);
}

static void run_event(struct synth *s, char *text)
{
    struct ev e = {.dport = 443, .repeat = 1, .host = "10.0.0.5", .dst = "203.0.113.9"};
    for (char *save = NULL, *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save))
        ev_word(&e, w);
    if (e.f < 0 || e.f >= SYNTH_MAX_FLOWS)
        return;
    xm_time_t t0 = T0 + (xm_time_t)(e.t * 1e6);
    if (e.ai[0]) {
        struct xm_addr h;
        xm_addr_parse(e.host, &h);
        aihost_add_evidence(sem_intel->aihost, &h, AIHOST_LLM_ENDPOINT, e.ai, t0);
    }
    if (!s->live[e.f] && (e.out > 0 || e.in > 0)) {
        synth_flow(s, e.f, e.host, e.dst, (uint16_t)e.dport, (uint32_t)e.proc);
        if (e.name[0]) {
            sem_name_flow(&s->flows[e.f], e.name, t0);
            sem_named[e.f] = true;
        }
    }
    for (int i = 0; i < e.repeat; i++) {
        xm_time_t t = T0 + (xm_time_t)((e.t + e.every * i) * 1e6);
        if (e.in > 0)
            synth_send(s, e.f, t, 1, (uint64_t)e.in);
        if (e.out > 0)
            synth_send(s, e.f, t, 0, (uint64_t)e.out);
        rules_tick(s->eng, t);
    }
    if (e.end)
        synth_end(s, e.f, FLOW_END_TIMEOUT);
}

static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '\\' && (s[1] == 'n' || s[1] == 't')) {
            *o++ = s[1] == 'n' ? '\n' : '\t';
            s++;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

static int sev_num(const char *name)
{
    static const char *const n[] = {"critical", "high", "medium", "low"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, n[i]))
            return i + 1;
    return 0;
}

/* Renders the alert sequence as "id id! ..." ("none" when empty). */
static void render(const struct synth *s, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_alerts && o + 16 < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%d%s", i ? " " : "", synth_alert_sid(s, i),
                              synth_alert_esc(s, i) ? "!" : "");
    if (!s->n_alerts)
        snprintf(buf, len, "none");
}

static bool verdict_ok(const struct synth *s, const char *expect, const char *got)
{
    if (!strncmp(expect, "has=", 4)) {
        char want[4096];
        snprintf(want, sizeof want, " %s ", got);
        for (const char *p = expect + 4; *p;) {
            char id[32] = " ";
            size_t n = strcspn(p, ",");
            snprintf(id + 1, sizeof id - 1, "%.*s ", (int)n, p);
            if (!strstr(want, id))
                return false;
            p += n + (p[n] == ',');
        }
        return true;
    }
    bool may_be_empty = !strncmp(expect, "max=none-above=", 15);
    if (strncmp(expect, "max=", 4) != 0)
        return strcmp(expect, got) == 0;
    int limit = sev_num(expect + (may_be_empty ? 15 : 4));
    if (!s->n_alerts)
        return may_be_empty;
    for (size_t i = 0; i < s->n_alerts; i++)
        if (synth_alert_sev(s, i) < limit)
            return false;
    return true;
}

static int compile_row(const struct rules_registry *reg, char *rule, struct rules_set **set)
{
    struct rules_error err;
    int rc;
    if (!strcmp(rule, "@default")) {
        char *text = synth_default_pack(XM_SOURCE_ROOT "/rules/default.rules");
        rc = text ? rules_compile_string(XM_SOURCE_ROOT "/rules/default.rules", text, reg,
                                         set, &err) : -1;
        free(text);
    } else {
        unescape(rule);
        rc = rules_compile_string("semantics.tsv", rule, reg, set, &err);
    }
    if (rc != 0)
        rules_error_print(&err, stderr);
    return rc;
}

/* A fresh app layer and AI-host table for each row (flow ids and hosts
 * repeat from row to row). */
static void sem_row_begin(void)
{
    struct app_limits al;
    app_limits_default(&al);
    struct aihost_config acfg = {.max_hosts = 64, .seed = 7};
    sem_intel->app = sem_app = app_new(&al, 5);
    sem_intel->aihost = aihost_new(&acfg);
    CHECK(sem_app && sem_intel->aihost);
    memset(sem_named, 0, sizeof sem_named);
}

static void sem_row_end(struct synth *s)
{
    for (int i = 0; i < SYNTH_MAX_FLOWS; i++)
        if (sem_named[i])
            app_on_flow_end(sem_app, &s->flows[i]);
    app_free(sem_app);
    sem_app = NULL;
    aihost_free(sem_intel->aihost);
    sem_intel->app = NULL;
    sem_intel->aihost = NULL;
}

static void run_row(const struct rules_registry *reg, char *name, char *rule, char *events,
                    char *expect, int lineno)
{
    struct rules_set *set = NULL;
    CHECK(compile_row(reg, rule, &set) == 0);
    if (!set)
        return;
    struct synth s;
    memset(&s, 0, sizeof s);
    struct rules_limits lim = {.seed = 42};
    s.eng = rules_engine_new(set, &lim, synth_cb, &s);
    sem_row_begin();
    for (char *save = NULL, *e = strtok_r(events, ";", &save); e; e = strtok_r(NULL, ";", &save))
        run_event(&s, e);
    synth_finish(&s);
    sem_row_end(&s);
    char got[2048];
    render(&s, got, sizeof got);
    bool ok = verdict_ok(&s, expect, got);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "semantics.tsv:%d %s: expected '%s', got '%s'\n", lineno, name, expect,
                got);
    synth_free(&s);
}

int main(void)
{
    FILE *f = fopen(XM_SOURCE_ROOT "/tests/rules/semantics.tsv", "r");
    CHECK(f != NULL);
    if (!f)
        return xm_test_result();
    struct rules_registry *reg = rules_registry_new();
    sem_intel = calloc(1, sizeof *sem_intel);
    CHECK(sem_intel != NULL);
    if (!sem_intel)
        return xm_test_result();
    rules_fields_add(reg, &intel_fields, sem_intel);
    char line[8192];
    int lineno = 0, rows = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *save = NULL;
        char *name = strtok_r(line, "\t", &save), *rule = strtok_r(NULL, "\t", &save);
        char *events = strtok_r(NULL, "\t", &save), *expect = strtok_r(NULL, "\t", &save);
        CHECK(name && rule && events && expect);
        if (!expect)
            continue;
        run_row(reg, name, rule, events, expect, lineno);
        rows++;
    }
    fclose(f);
    CHECK(rows >= 20);
    rules_registry_free(reg);
    free(sem_intel);
    return xm_test_result();
}
