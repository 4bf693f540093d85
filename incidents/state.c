/*
 * state.c - open incidents saved and loaded through include/xm_state.h
 * (contract in include/xm_incident.h).
 *
 * Lines:
 *   next_id N                 the id the next incident will get
 *   i HEX                     one open incident: struct inc as this build
 *                             lays it out, pointers and links zeroed
 *   h JSON / p JSON           its latest host / process object (optional,
 *                             follow their "i" line; compact JSON, one line)
 * Incidents are written in order of opening (the open list), so nothing
 * depends on the hash seed.
 */
#include "inc_int.h"
#include "xm_state.h"

#include <inttypes.h>
#include <stdlib.h>

static void st_json(struct xm_state_w *w, char tag, const json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (s)
        xm_state_line(w, "%c %s", tag, s);
    free(s);
}

int inc_save(const struct inc_engine *e, const char *dir)
{
    struct xm_state_w w;
    char *hex = malloc(2 * sizeof(struct inc) + 1);
    struct inc *c = malloc(sizeof *c);
    int rc = -1;
    if (!hex || !c || xm_state_begin(&w, dir, "incidents") != 0)
        goto out;
    xm_state_line(&w, "next_id %" PRIu64, e->next_id);
    for (uint32_t s = e->head; s; s = e->tab[s].next) {
        *c = e->tab[s];
        c->host_obj = c->process = NULL;
        c->prev = c->next = c->knext = c->hnext = c->kb = 0;
        xm_state_line(&w, "i %s", xm_state_hex(c, sizeof *c, hex));
        st_json(&w, 'h', e->tab[s].host_obj);
        st_json(&w, 'p', e->tab[s].process);
    }
    rc = xm_state_commit(&w);
out:
    free(hex);
    free(c);
    return rc;
}

struct st_load {
    struct inc_engine *e;
    struct inc *c;
    uint32_t last;                 /* slot of the last restored incident */
};

#define ST_TERM(a) ((a)[sizeof(a) - 1] = '\0')
#define ST_BOOL(b) (*(uint8_t *)&(b) = *(const uint8_t *)&(b) != 0)

/* A saved incident is read back as bytes: terminate every string and
 * make every bool 0 or 1 before anything reads them. */
static void st_sanitize(struct inc *c)
{
    ST_TERM(c->gval);
    ST_TERM(c->ioc);
    ST_TERM(c->lookalike_vendor);
    for (size_t i = 0; i < INC_SIGS; i++) {
        ST_TERM(c->sig[i].name);
        ST_TERM(c->sig[i].category);
    }
    for (size_t i = 0; i < INC_DESTS; i++) {
        ST_TERM(c->dst[i].name);
        ST_TERM(c->dst[i].source);
    }
    for (size_t i = 0; i < INC_QNAMES; i++)
        ST_TERM(c->qname[i]);
    for (size_t i = 0; i < INC_CIDS; i++)
        ST_TERM(c->cid[i]);
    ST_BOOL(c->used);
    ST_BOOL(c->ev.ai_host);
    ST_BOOL(c->ev.indicator);
    ST_BOOL(c->ev.lookalike);
    ST_BOOL(c->ev.new_dest);
    ST_BOOL(c->ev.unnamed);
    ST_BOOL(c->ev.process);
    ST_BOOL(c->ev.expected_llm);
}

static int st_restore(struct st_load *l, const char *hex)
{
    if (strlen(hex) != 2 * sizeof *l->c || xm_state_unhex(hex, l->c, sizeof *l->c) != 0 ||
        l->c->n_sig > INC_SIGS || l->c->n_dst > INC_DESTS || l->c->n_qname > INC_QNAMES ||
        l->c->n_cid > INC_CIDS || l->c->gkind >= INC_G_MAX)
        return -1;
    l->c->host_obj = l->c->process = NULL;
    st_sanitize(l->c);
    l->last = inc_restore(l->e, l->c, NULL, NULL);
    return 0;
}

static int st_attach(struct st_load *l, char tag, const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    if (!j)
        return -1;
    if (!l->last) {
        json_decref(j);
        return 0;
    }
    json_t **slot = tag == 'h' ? &l->e->tab[l->last].host_obj : &l->e->tab[l->last].process;
    json_decref(*slot);
    *slot = j;
    return 0;
}

static int st_line(void *ctx, char *line, char *err, size_t errlen)
{
    struct st_load *l = ctx;
    uint64_t id;
    int rc = -1;
    if (sscanf(line, "next_id %" SCNu64, &id) == 1) {
        if (id > l->e->next_id)
            l->e->next_id = id;
        return 0;
    }
    if (!strncmp(line, "i ", 2))
        rc = st_restore(l, line + 2);
    else if ((line[0] == 'h' || line[0] == 'p') && line[1] == ' ')
        rc = st_attach(l, line[0], line + 2);
    if (rc != 0)
        snprintf(err, errlen, "not an incidents state line");
    return rc;
}

int inc_load(struct inc_engine *e, const char *dir)
{
    struct st_load l = {.e = e};
    l.c = malloc(sizeof *l.c);
    if (!l.c)
        return -1;
    int rc = xm_state_load(dir, "incidents", st_line, &l);
    free(l.c);
    return rc;
}
