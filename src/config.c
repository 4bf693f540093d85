/*
 * config.c - the -c configuration file (see include/xm_config_file.h).
 *
 * Grammar (tokens from rules/lex.h):
 *   file    := { setting }
 *   setting := NAME "=" value { "," value } [";"]  |  NAME "{" { setting } "}" [";"]
 * Every setting is looked up in a table for its level (top level or one
 * block); each may appear once.  Parsing works on a copy of the opts and
 * a fresh store, committed only when the whole file parsed.
 */
#include "xm_config_file.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../rules/lex.h"

/* ---- the store ------------------------------------------------------- */

struct config_store {
    char **strs;                /* every string handed out */
    size_t nstrs, capstrs;
    struct config_tag *inv;
    size_t ninv, capinv;
    struct config_list *lists;
    size_t nlists, caplists;
};

/* Grows *arr (of elem bytes) to hold one more; returns 0 or -1. */
static int cfg_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *na = realloc(*arr, nc * elem);
    if (!na)
        return -1;
    *arr = na;
    *cap = nc;
    return 0;
}

static const char *store_keep(struct config_store *st, char *s)
{
    if (!s || cfg_grow((void **)&st->strs, &st->capstrs, st->nstrs, sizeof *st->strs) != 0) {
        free(s);
        return NULL;
    }
    st->strs[st->nstrs++] = s;
    return s;
}

void config_store_free(struct config_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->nstrs; i++)
        free(st->strs[i]);
    free(st->strs);
    free(st->inv);
    free(st->lists);
    free(st);
}

const struct config_tag *config_inventory(const struct config_store *st, size_t *n)
{
    *n = st ? st->ninv : 0;
    return st ? st->inv : NULL;
}

const struct config_list *config_lists(const struct config_store *st, size_t *n)
{
    *n = st ? st->nlists : 0;
    return st ? st->lists : NULL;
}

/* ---- parser state and token helpers ----------------------------------- */

struct cfg {
    struct lexer lx;
    struct rules_error e;
    struct xm_opts o;           /* working copy */
    struct config_store *st;
    char dir[512];              /* directory of the file, "" = cwd */
};

static int cfg_next(struct cfg *c, struct lex_token *t)
{
    return lex_next(&c->lx, t);
}

static int cfg_err_tok(struct cfg *c, const struct lex_token *t, const char *what)
{
    if (t->kind == LEX_EOF)
        return lex_error(&c->lx, t->line, t->col, "expected %s, got end of file", what);
    return lex_error(&c->lx, t->line, t->col, "expected %s, got '%.*s'", what,
                     (int)t->len, t->text);
}

static int cfg_expect(struct cfg *c, enum lex_kind k, const char *what)
{
    struct lex_token t;
    if (cfg_next(c, &t) != 0)
        return -1;
    return t.kind == k ? 0 : cfg_err_tok(c, &t, what);
}

static int cfg_oom(struct cfg *c)
{
    return lex_error(&c->lx, 0, 0, "out of memory");
}


/* Consumes the next token if it is of kind k. */
static bool cfg_accept(struct cfg *c, enum lex_kind k)
{
    struct lex_token t;
    if (lex_peek(&c->lx, &t) != 0 || t.kind != k)
        return false;
    return cfg_next(c, &t) == 0;
}

/* Copies a token's text (strings unescaped) into the store.  Strings
 * may not hold NUL bytes (they would cut the value short). */
static int cfg_dup(struct cfg *c, const struct lex_token *t, const char **out)
{
    if (memchr(t->text, '\0', t->len))
        return lex_error(&c->lx, t->line, t->col, "NUL byte in string");
    size_t n = t->len + 1;
    char *s = malloc(n);
    if (s)
        lex_text(t, s, n);
    *out = store_keep(c->st, s);
    return *out ? 0 : cfg_oom(c);
}

/* ---- values ------------------------------------------------------------ */

/* A word: "string" or bare identifier (user = exfilmon). */
static int cfg_word(struct cfg *c, const char **out, const char *what)
{
    struct lex_token t;
    if (cfg_next(c, &t) != 0)
        return -1;
    if (t.kind != LEX_STRING && t.kind != LEX_IDENT)
        return cfg_err_tok(c, &t, what);
    if (t.kind == LEX_STRING && t.len == 2)
        return lex_error(&c->lx, t.line, t.col, "%s must not be empty", what);
    return cfg_dup(c, &t, out);
}

/* Joins dir and a relative path; "-", syslog and absolute paths stay. */
static const char *cfg_resolve(struct cfg *c, const char *p)
{
    const char *rel = strncmp(p, "unix:", 5) == 0 ? p + 5 : p;
    if (!c->dir[0] || rel[0] == '/' || strcmp(p, "-") == 0 ||
        strcmp(p, "syslog") == 0 || strncmp(p, "syslog:", 7) == 0)
        return p;
    size_t n = strlen(c->dir) + strlen(p) + 2;
    char *s = malloc(n);
    bool root = strcmp(c->dir, "/") == 0;
    if (s)
        snprintf(s, n, "%.*s%s%s%s", (int)(rel - p), p, c->dir, root ? "" : "/", rel);
    return store_keep(c->st, s);
}

static int cfg_path(struct cfg *c, const char **out)
{
    struct lex_token t;
    if (cfg_next(c, &t) != 0)
        return -1;
    if (t.kind != LEX_STRING || t.len == 2)
        return cfg_err_tok(c, &t, "a quoted path");
    const char *s;
    if (cfg_dup(c, &t, &s) != 0)
        return -1;
    return (*out = cfg_resolve(c, s)) ? 0 : cfg_oom(c);
}

/* Whole number in [lo, hi]; plain integers only. */
static int cfg_u32(struct cfg *c, const char *name, uint32_t lo, uint32_t hi, uint32_t *out)
{
    struct lex_token t;
    if (cfg_next(c, &t) != 0)
        return -1;
    if (t.kind != LEX_NUMBER || !t.integer || t.num < lo || t.num > hi)
        return lex_error(&c->lx, t.line, t.col, "%s must be a whole number from %u to %u",
                         name, lo, hi);
    *out = (uint32_t)t.num;
    return 0;
}

/* Duration in whole seconds: 90s, 10m, 1h, 7d or a plain number. */
static int cfg_secs(struct cfg *c, const char *name, uint32_t lo, uint32_t hi, uint32_t *out)
{
    struct lex_token t;
    if (cfg_next(c, &t) != 0)
        return -1;
    bool unit_ok = t.integer || t.unit == LEX_U_SECONDS;
    if (t.kind != LEX_NUMBER || !unit_ok || t.num != floor(t.num) || t.num < lo || t.num > hi)
        return lex_error(&c->lx, t.line, t.col,
                         "%s must be a duration from %us to %us, like 90s or 10m",
                         name, lo, hi);
    *out = (uint32_t)t.num;
    return 0;
}

static int cfg_bool(struct cfg *c, const char *name, bool *out)
{
    struct lex_token t;
    if (cfg_next(c, &t) != 0)
        return -1;
    if (lex_is(&t, "yes") || lex_is(&t, "true") || lex_is(&t, "on"))
        *out = true;
    else if (lex_is(&t, "no") || lex_is(&t, "false") || lex_is(&t, "off"))
        *out = false;
    else
        return lex_error(&c->lx, t.line, t.col, "%s must be yes or no", name);
    return 0;
}

/* ---- settings ---------------------------------------------------------- */

struct cfg_setting;
typedef int (*cfg_fn)(struct cfg *c, const struct cfg_setting *s);

struct cfg_setting {
    const char *name;
    cfg_fn fn;
    size_t off;                 /* field in struct xm_opts (for the fn) */
    uint32_t lo, hi;            /* numeric bounds */
    const struct cfg_setting *block;  /* non-NULL: a { } block */
};

#define OPT_AT(c, s, type) ((type *)(void *)((char *)&(c)->o + (s)->off))

static int set_word(struct cfg *c, const struct cfg_setting *s)
{
    return cfg_word(c, OPT_AT(c, s, const char *), s->name);
}

static int set_path(struct cfg *c, const struct cfg_setting *s)
{
    return cfg_path(c, OPT_AT(c, s, const char *));
}

static int set_u32(struct cfg *c, const struct cfg_setting *s)
{
    return cfg_u32(c, s->name, s->lo, s->hi, OPT_AT(c, s, uint32_t));
}

static int set_int(struct cfg *c, const struct cfg_setting *s)
{
    uint32_t v = 0;
    if (cfg_u32(c, s->name, s->lo, s->hi, &v) != 0)
        return -1;
    *OPT_AT(c, s, int) = (int)v;
    return 0;
}

static int set_secs(struct cfg *c, const struct cfg_setting *s)
{
    return cfg_secs(c, s->name, s->lo, s->hi, OPT_AT(c, s, uint32_t));
}

static int set_bool(struct cfg *c, const struct cfg_setting *s)
{
    return cfg_bool(c, s->name, OPT_AT(c, s, bool));
}

/* process { attribution = no } sets no_process. */
static int set_not_bool(struct cfg *c, const struct cfg_setting *s)
{
    bool v = false;
    if (cfg_bool(c, s->name, &v) != 0)
        return -1;
    *OPT_AT(c, s, bool) = !v;
    return 0;
}

/* buffer = 64MiB: bytes, whole KiB, stored in KiB (tcpdump -B's unit). */
static int set_buffer(struct cfg *c, const struct cfg_setting *s)
{
    struct lex_token t;
    if (cfg_next(c, &t) != 0)
        return -1;
    double kib = t.num / 1024.0;
    if (t.kind != LEX_NUMBER || t.unit != LEX_U_BYTES || kib != floor(kib) ||
        kib < s->lo || kib > s->hi)
        return lex_error(&c->lx, t.line, t.col,
                         "%s must be a size in whole KiB from %uKiB to %uGiB, like 64MiB",
                         s->name, s->lo, s->hi / 1048576u);
    *OPT_AT(c, s, int) = (int)kib;
    return 0;
}

/* rules = "a", "b": appends to a fixed array with its count after it. */
static int cfg_path_list(struct cfg *c, const char **arr, size_t *n, size_t cap,
                         const char *name)
{
    do {
        struct lex_token t;
        if (lex_peek(&c->lx, &t) != 0)
            return -1;
        if (*n >= cap)
            return lex_error(&c->lx, t.line, t.col, "at most %zu %s files", cap, name);
        if (cfg_path(c, &arr[*n]) != 0)
            return -1;
        (*n)++;
    } while (cfg_accept(c, LEX_COMMA));
    return 0;
}

static int set_rules(struct cfg *c, const struct cfg_setting *s)
{
    c->o.n_rule_files = 0;
    return cfg_path_list(c, c->o.rule_files, &c->o.n_rule_files, XM_MAX_RULE_FILES, "rules");
}

static int set_geoip(struct cfg *c, const struct cfg_setting *s)
{
    c->o.n_geoip = 0;
    return cfg_path_list(c, c->o.geoip, &c->o.n_geoip, XM_MAX_GEOIP, "geoip");
}

/* home_net = CIDR|ADDR|"CIDR" {, ...}: joined with ',' for netset_parse. */
static int set_home_net(struct cfg *c, const struct cfg_setting *s)
{
    char buf[4096] = "";
    size_t used = 0;
    do {
        struct lex_token t;
        if (cfg_next(c, &t) != 0)
            return -1;
        if (t.kind != LEX_CIDR && t.kind != LEX_ADDR && t.kind != LEX_STRING)
            return cfg_err_tok(c, &t, "an address or CIDR");
        char one[sizeof buf];
        if (memchr(t.text, '\0', t.len))
            return lex_error(&c->lx, t.line, t.col, "NUL byte in string");
        bool whole = lex_text(&t, one, sizeof one);
        size_t n = strlen(one);
        if (!whole || used + n + 2 > sizeof buf)
            return lex_error(&c->lx, t.line, t.col, "home_net is too long");
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? "," : "", one);
    } while (cfg_accept(c, LEX_COMMA));
    c->o.home_net = store_keep(c->st, strdup(buf));
    return c->o.home_net ? 0 : cfg_oom(c);
}

/* ---- blocks with free-form keys: inventory, lists --------------------- */

static int cfg_entries_cap(struct cfg *c, const struct lex_token *at)
{
    if (c->st->ninv + c->st->nlists < CONFIG_MAX_ENTRIES)
        return 0;
    return lex_error(&c->lx, at->line, at->col, "more than %u inventory and list entries",
                     CONFIG_MAX_ENTRIES);
}

/* tags: IDENT {, IDENT} joined with ','. */
static int cfg_tags(struct cfg *c, const char **out)
{
    char buf[1024] = "", one[128];
    size_t used = 0;
    do {
        struct lex_token t;
        if (cfg_next(c, &t) != 0)
            return -1;
        if ((t.kind != LEX_IDENT && t.kind != LEX_STRING) || memchr(t.text, '\0', t.len) ||
            !lex_text(&t, one, sizeof one) || !one[0] || strchr(one, ','))
            return cfg_err_tok(c, &t, "a tag");
        if (used + strlen(one) + 2 > sizeof buf)
            return lex_error(&c->lx, t.line, t.col, "too many tags");
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? "," : "", one);
    } while (cfg_accept(c, LEX_COMMA));
    return (*out = store_keep(c->st, strdup(buf))) ? 0 : cfg_oom(c);
}

static int cfg_inventory_entry(struct cfg *c, const struct lex_token *key)
{
    struct config_tag tag = { .line = key->line };
    if (key->kind != LEX_CIDR && key->kind != LEX_ADDR && key->kind != LEX_STRING)
        return cfg_err_tok(c, key, "an address or CIDR");
    if (cfg_entries_cap(c, key) != 0 || cfg_dup(c, key, &tag.cidr) != 0)
        return -1;
    if (cfg_expect(c, LEX_ASSIGN, "'='") != 0 || cfg_tags(c, &tag.tags) != 0)
        return -1;
    if (cfg_grow((void **)&c->st->inv, &c->st->capinv, c->st->ninv, sizeof tag) != 0)
        return cfg_oom(c);
    c->st->inv[c->st->ninv++] = tag;
    return 0;
}

static int cfg_list_entry(struct cfg *c, const struct lex_token *key)
{
    struct config_list l = { .line = key->line };
    if (key->kind != LEX_IDENT)
        return cfg_err_tok(c, key, "a list name");
    for (size_t i = 0; i < c->st->nlists; i++)
        if (strlen(c->st->lists[i].name) == key->len &&
            memcmp(c->st->lists[i].name, key->text, key->len) == 0)
            return lex_error(&c->lx, key->line, key->col, "list '%.*s' is set twice",
                             (int)key->len, key->text);
    if (cfg_entries_cap(c, key) != 0 || cfg_dup(c, key, &l.name) != 0)
        return -1;
    if (cfg_expect(c, LEX_ASSIGN, "'='") != 0 || cfg_path(c, &l.path) != 0)
        return -1;
    if (cfg_grow((void **)&c->st->lists, &c->st->caplists, c->st->nlists, sizeof l) != 0)
        return cfg_oom(c);
    c->st->lists[c->st->nlists++] = l;
    return 0;
}

/* NAME { key = value [;] ... } where the keys are data, not settings. */
static int cfg_free_block(struct cfg *c, int (*entry)(struct cfg *, const struct lex_token *))
{
    struct lex_token t;
    if (cfg_expect(c, LEX_LBRACE, "'{'") != 0)
        return -1;
    for (;;) {
        if (cfg_next(c, &t) != 0)
            return -1;
        if (t.kind == LEX_RBRACE)
            return 0;
        if (t.kind == LEX_EOF)
            return cfg_err_tok(c, &t, "'}'");
        if (entry(c, &t) != 0)
            return -1;
        cfg_accept(c, LEX_SEMI);
    }
}

static int set_inventory(struct cfg *c, const struct cfg_setting *s)
{
    return cfg_free_block(c, cfg_inventory_entry);
}

static int set_lists(struct cfg *c, const struct cfg_setting *s)
{
    return cfg_free_block(c, cfg_list_entry);
}

/* ---- setting tables ----------------------------------------------------- */

#define O(f) offsetof(struct xm_opts, f)
#define T(f) (offsetof(struct xm_opts, timeouts) + offsetof(struct flow_timeouts, f))
#define DAY 86400u

static const struct cfg_setting cfg_outputs[] = {
    { "alerts", set_path, O(alerts_path), 0, 0, NULL },
    { "alert_mode", set_word, O(alert_mode), 0, 0, NULL },
    { "flows", set_path, O(flows_path), 0, 0, NULL },
    { "syslog", set_word, O(syslog_ident), 0, 0, NULL },
    { "socket", set_path, O(socket_path), 0, 0, NULL },
    { "redis", set_word, O(redis_url), 0, 0, NULL },
    { "kafka", set_word, O(kafka), 0, 0, NULL },
    { "webhook", set_word, O(webhook_url), 0, 0, NULL },
    { "webhook_format", set_word, O(webhook_format), 0, 0, NULL },
    { "webhook_rate", set_u32, O(webhook_rate), 1, 6000, NULL },
    { NULL, NULL, 0, 0, 0, NULL },
};

static const struct cfg_setting cfg_limits[] = {
    { "max_flows", set_u32, O(max_flows), 16, 1u << 26, NULL },
    { "max_hosts", set_u32, O(max_hosts), 16, 1u << 24, NULL },
    { "max_pairs", set_u32, O(max_pairs), 16, 1u << 24, NULL },
    { "max_names", set_u32, O(max_names), 16, XM_MAX_NAMES_MAX, NULL },
    { "max_app_flows", set_u32, O(max_app_flows), 16, XM_MAX_APP_FLOWS_MAX, NULL },
    { NULL, NULL, 0, 0, 0, NULL },
};

static const struct cfg_setting cfg_timeouts[] = {
    { "tcp_new", set_secs, T(tcp_new), 1, 30 * DAY, NULL },
    { "tcp_established", set_secs, T(tcp_established), 1, 30 * DAY, NULL },
    { "tcp_closed", set_secs, T(tcp_closed), 1, 30 * DAY, NULL },
    { "udp", set_secs, T(udp), 1, 30 * DAY, NULL },
    { "icmp", set_secs, T(icmp), 1, 30 * DAY, NULL },
    { "other", set_secs, T(other), 1, 30 * DAY, NULL },
    { "active", set_secs, T(active), 0, 30 * DAY, NULL },
    { NULL, NULL, 0, 0, 0, NULL },
};

static const struct cfg_setting cfg_capture[] = {
    { "interface", set_word, O(iface), 0, 0, NULL },
    { "filter", set_word, O(bpf), 0, 0, NULL },
    { "snaplen", set_int, O(snaplen), 64, 262144, NULL },
    { "buffer", set_buffer, O(buffer_kib), 1, 4u << 20, NULL },
    { "promisc", set_bool, O(promisc), 0, 0, NULL },
    { NULL, NULL, 0, 0, 0, NULL },
};

static const struct cfg_setting cfg_process[] = {
    { "attribution", set_not_bool, O(no_process), 0, 0, NULL },
    { "ebpf", set_not_bool, O(no_ebpf), 0, 0, NULL },
    { "record", set_path, O(record_processes_path), 0, 0, NULL },
    { NULL, NULL, 0, 0, 0, NULL },
};

static const struct cfg_setting cfg_top[] = {
    { "home_net", set_home_net, 0, 0, 0, NULL },
    { "inventory", set_inventory, 0, 0, 0, NULL },
    { "outputs", NULL, 0, 0, 0, cfg_outputs },
    { "rules", set_rules, 0, 0, 0, NULL },
    { "lists", set_lists, 0, 0, 0, NULL },
    { "geoip", set_geoip, 0, 0, 0, NULL },
    { "limits", NULL, 0, 0, 0, cfg_limits },
    { "timeouts", NULL, 0, 0, 0, cfg_timeouts },
    { "capture", NULL, 0, 0, 0, cfg_capture },
    { "process", NULL, 0, 0, 0, cfg_process },
    { "user", set_word, O(user), 0, 0, NULL },
    { "sensor", set_word, O(sensor), 0, 0, NULL },
    { "suppress", set_path, O(suppress_path), 0, 0, NULL },
    { "http", set_word, O(http_listen), 0, 0, NULL },
    { "stats_interval", set_secs, O(stats_interval), 0, DAY, NULL },
    { "state", set_path, O(state_dir), 0, 0, NULL },
    { "state_interval", set_secs, O(state_interval), 1, DAY, NULL },
    { "site_redis", set_word, O(site_redis), 0, 0, NULL },
    { NULL, NULL, 0, 0, 0, NULL },
};

/* ---- the parser ------------------------------------------------------------ */

static bool cfg_is_free_block(const struct cfg_setting *s)
{
    return s->fn == set_inventory || s->fn == set_lists;
}

static int cfg_block(struct cfg *c, const struct cfg_setting *table, bool top);

/* One setting whose name token is `name`, looked up in table; seen[] marks
 * settings already given at this level. */
static int cfg_setting(struct cfg *c, const struct cfg_setting *table, bool *seen,
                       const struct lex_token *name)
{
    if (name->kind != LEX_IDENT)
        return cfg_err_tok(c, name, "a setting name");
    size_t i = 0;
    while (table[i].name && !lex_is(name, table[i].name))
        i++;
    const struct cfg_setting *s = &table[i];
    if (!s->name)
        return lex_error(&c->lx, name->line, name->col, "unknown setting '%.*s'",
                         (int)name->len, name->text);
    if (seen[i])
        return lex_error(&c->lx, name->line, name->col, "'%s' is set twice", s->name);
    seen[i] = true;
    if (s->block)
        return cfg_expect(c, LEX_LBRACE, "'{'") == 0 ? cfg_block(c, s->block, false) : -1;
    if (!cfg_is_free_block(s) && cfg_expect(c, LEX_ASSIGN, "'='") != 0)
        return -1;
    return s->fn(c, s);
}

/* Settings until '}' (blocks) or end of file (top level). */
static int cfg_block(struct cfg *c, const struct cfg_setting *table, bool top)
{
    bool seen[32] = { false };
    for (;;) {
        struct lex_token t;
        if (cfg_next(c, &t) != 0)
            return -1;
        if (t.kind == (top ? LEX_EOF : LEX_RBRACE))
            return 0;
        if (t.kind == LEX_EOF)
            return cfg_err_tok(c, &t, "'}'");
        if (cfg_setting(c, table, seen, &t) != 0)
            return -1;
        cfg_accept(c, LEX_SEMI);
    }
}

/* ---- entry points ----------------------------------------------------------- */

static void cfg_format_error(const struct rules_error *e, char *err, size_t errlen)
{
    if (e->line <= 0)
        snprintf(err, errlen, "%s: error: %s", e->file, e->msg);
    else
        snprintf(err, errlen, "%s:%d:%d: error: %s\n    %s\n    %*s^", e->file, e->line,
                 e->col, e->msg, e->src_line, e->src_col > 1 ? e->src_col - 1 : 0, "");
}

static void cfg_set_dir(struct cfg *c, const char *file)
{
    const char *slash = strrchr(file, '/');
    c->dir[0] = '\0';
    if (slash && (size_t)(slash - file) < sizeof c->dir)
        snprintf(c->dir, sizeof c->dir, "%.*s", slash == file ? 1 : (int)(slash - file), file);
}

int config_load_text(const char *file, const char *text, size_t len,
                     struct xm_opts *o, struct config_store **store,
                     char *err, size_t errlen)
{
    struct cfg *c = calloc(1, sizeof *c);
    int rc = -1;
    if (!c || !(c->st = calloc(1, sizeof *c->st))) {
        snprintf(err, errlen, "%s: error: out of memory", file);
        goto out;
    }
    c->o = *o;
    cfg_set_dir(c, file);
    lex_init(&c->lx, file, text, len, &c->e);
    if (cfg_block(c, cfg_top, true) != 0) {
        cfg_format_error(&c->e, err, errlen);
        goto out;
    }
    *o = c->o;
    *store = c->st;
    c->st = NULL;
    rc = 0;
out:
    if (c)
        config_store_free(c->st);
    free(c);
    return rc;
}

/* Reads at most CONFIG_MAX_BYTES of path into a malloc'd buffer. */
static char *cfg_read(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(CONFIG_MAX_BYTES + 1);
    *len = buf ? fread(buf, 1, CONFIG_MAX_BYTES + 1, f) : 0;
    if (buf && (ferror(f) || *len > CONFIG_MAX_BYTES)) {
        snprintf(err, errlen, "%s: error: %s", path,
                 ferror(f) ? "read error" : "larger than 1 MiB");
        free(buf);
        buf = NULL;
    } else if (!buf) {
        snprintf(err, errlen, "%s: error: out of memory", path);
    }
    fclose(f);
    return buf;
}

int config_load(const char *path, struct xm_opts *o, struct config_store **store,
                char *err, size_t errlen)
{
    size_t len = 0;
    char *text = cfg_read(path, &len, err, errlen);
    if (!text)
        return -1;
    int rc = config_load_text(path, text, len, o, store, err, errlen);
    free(text);
    return rc;
}

/* ---- --check: the effective settings ------------------------------------------ */

/* A quoted string with the lexer's escapes. */
static void dump_q(FILE *f, const char *v)
{
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '\n' || *v == '\t')
            fputs(*v == '\n' ? "\\n" : "\\t", f);
        else if (*v == '"' || *v == '\\')
            fprintf(f, "\\%c", *v);
        else
            fputc(*v, f);
    }
    fputc('"', f);
}

static void dump_str(FILE *f, const char *indent, const char *name, const char *v)
{
    if (!v)
        return;
    fprintf(f, "%s%s = ", indent, name);
    dump_q(f, v);
    fputc('\n', f);
}

/* The Redis URL with its password replaced by "***" (--check prints it). */
static void dump_redis(FILE *f, const char *indent, const char *name, const char *url)
{
    char buf[1024];
    const char *at = url && strlen(url) > 8 ? strrchr(url, '@') : NULL;
    const char *colon = at && at > url + 8 ? memchr(url + 8, ':', (size_t)(at - url) - 8) : NULL;
    if (colon && strlen(url) < sizeof buf - 8) {
        snprintf(buf, sizeof buf, "%.*s:***%s", (int)(colon - url), url, at);
        url = buf;
    }
    dump_str(f, indent, name, url);
}

/* The Kafka spec with a sasl.password= value replaced by "***". */
static void dump_kafka(FILE *f, const char *indent, const char *name, const char *spec)
{
    char buf[2048];
    const char *p = spec ? strstr(spec, "sasl.password=") : NULL;
    if (p && strlen(spec) < sizeof buf - 8) {
        const char *end = p + 14 + strcspn(p + 14, "&");
        snprintf(buf, sizeof buf, "%.*s***%s", (int)(p + 14 - spec), spec, end);
        spec = buf;
    }
    dump_str(f, indent, name, spec);
}

static void dump_paths(FILE *f, const char *name, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputs(i ? "    " : name, f);
        fputs(i ? "" : " = ", f);
        dump_q(f, v[i]);
        fputs(i + 1 < n ? ",\n" : "\n", f);
    }
}

/* "ai,gpu" as "ai", "gpu". */
static void dump_tags(FILE *f, const char *tags)
{
    char one[128];
    for (const char *p = tags; *p;) {
        size_t n = strcspn(p, ",");
        snprintf(one, sizeof one, "%.*s", (int)n, p);
        dump_q(f, one);
        p += n;
        if (*p == ',') {
            fputs(", ", f);
            p++;
        }
    }
}

static void dump_blocks(const struct xm_opts *o, FILE *f)
{
    const struct flow_timeouts *t = &o->timeouts;
    fprintf(f, "limits {\n    max_flows = %u\n    max_hosts = %u\n    max_pairs = %u\n"
            "    max_names = %u\n    max_app_flows = %u\n}\n", o->max_flows, o->max_hosts,
            o->max_pairs, o->max_names ? o->max_names : XM_MAX_NAMES_DEFAULT,
            o->max_app_flows ? o->max_app_flows : XM_MAX_APP_FLOWS_DEFAULT);
    fprintf(f, "timeouts {\n    tcp_new = %us\n    tcp_established = %us\n"
            "    tcp_closed = %us\n    udp = %us\n    icmp = %us\n    other = %us\n"
            "    active = %us\n}\n", t->tcp_new, t->tcp_established, t->tcp_closed,
            t->udp, t->icmp, t->other, t->active);
    fputs("capture {\n", f);
    dump_str(f, "    ", "interface", o->iface);
    dump_str(f, "    ", "filter", o->bpf);
    fprintf(f, "    snaplen = %d\n    buffer = %d%s\n    promisc = %s\n}\n", o->snaplen,
            o->buffer_kib % 1024 ? o->buffer_kib : o->buffer_kib / 1024,
            o->buffer_kib % 1024 ? "KiB" : "MiB", o->promisc ? "yes" : "no");
    fputs("outputs {\n", f);
    dump_str(f, "    ", "alerts", o->alerts_path);
    dump_str(f, "    ", "flows", o->flows_path);
    dump_str(f, "    ", "syslog", o->syslog_ident);
    dump_str(f, "    ", "socket", o->socket_path);
    dump_redis(f, "    ", "redis", o->redis_url);
    dump_kafka(f, "    ", "kafka", o->kafka);
    dump_str(f, "    ", "webhook", o->webhook_url);
    dump_str(f, "    ", "webhook_format", o->webhook_format);
    if (o->webhook_rate)
        fprintf(f, "    webhook_rate = %u\n", o->webhook_rate);
    fprintf(f, "}\nprocess {\n    attribution = %s\n", o->no_process ? "no" : "yes");
    dump_str(f, "    ", "record", o->record_processes_path);
    fputs("}\n", f);
}

void config_dump(const struct xm_opts *o, const struct config_store *st, FILE *f)
{
    dump_str(f, "", "home_net", o->home_net);
    dump_paths(f, "rules", o->rule_files, o->n_rule_files);
    dump_paths(f, "geoip", o->geoip, o->n_geoip);
    dump_blocks(o, f);
    size_t n;
    const struct config_tag *inv = config_inventory(st, &n);
    if (n)
        fputs("inventory {\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("    ", f);
        dump_q(f, inv[i].cidr);
        fputs(" = ", f);
        dump_tags(f, inv[i].tags);
        fputs(i + 1 == n ? "\n}\n" : "\n", f);
    }
    const struct config_list *l = config_lists(st, &n);
    if (n)
        fputs("lists {\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "    %s = ", l[i].name);
        dump_q(f, l[i].path);
        fputs(i + 1 == n ? "\n}\n" : "\n", f);
    }
    dump_str(f, "", "user", o->user);
    dump_str(f, "", "sensor", o->sensor);
    dump_str(f, "", "suppress", o->suppress_path);
    dump_str(f, "", "http", o->http_listen);
    dump_redis(f, "", "site_redis", o->site_redis);
    fprintf(f, "stats_interval = %us\n", o->stats_interval);
}
