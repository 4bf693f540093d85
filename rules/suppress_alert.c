/*
 * suppress_alert.c - what an alert record is about, for the suppression
 * list (xm_suppress.h): rule id, local host and remote address (from the
 * flow in hand, else the record's exfil.key / src_ip / dest_ip), the
 * destination name (dest_name.name) and the process (process.name, exe).
 * Runs once per alert, never per packet.
 */
#include "xm_suppress.h"
#include "xm_suppress_alert.h"

static const char *sa_str(const json_t *o, const char *a, const char *b)
{
    const json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const struct xm_addr *sa_addr(const char *s, struct xm_addr *buf)
{
    memset(buf, 0, sizeof *buf);
    return (s && xm_addr_parse(s, buf) == 0) ? buf : NULL;
}

/* Local and remote ends: the flow's when it has a local end, else the
 * record's key (host scopes name the local host in src_ip). */
static void sa_ends(const json_t *alert, const struct xm_flow *f, struct xm_addr *h,
                    struct xm_addr *d, struct suppress_subject *x)
{
    if (f && f->local != FLOW_LOCAL_NONE) {
        bool cli = (f->local & FLOW_LOCAL_CLIENT) != 0;
        x->host = cli ? &f->cli : &f->srv;
        x->dst = cli ? &f->srv : &f->cli;
        return;
    }
    if (f) {
        x->dst = &f->srv;
        return;
    }
    const json_t *key = json_object_get(json_object_get(alert, "exfil"), "key");
    const char *hs = sa_str(key, "host", NULL), *ds = sa_str(key, "dest", NULL);
    x->host = sa_addr(hs ? hs : sa_str(alert, "src_ip", NULL), h);
    x->dst = sa_addr(ds ? ds : sa_str(alert, "dest_ip", NULL), d);
}

size_t suppress_alert(struct suppress *s, const json_t *alert, const struct xm_flow *f,
                      xm_time_t now)
{
    struct xm_addr h, d;
    struct suppress_subject x = {.now = now};
    if (!s || suppress_count(s) == 0)
        return 0;
    const json_t *sid = json_object_get(json_object_get(alert, "alert"), "signature_id");
    x.sid = json_is_integer(sid) ? (uint32_t)json_integer_value(sid) : 0;
    sa_ends(alert, f, &h, &d, &x);
    x.domain = sa_str(alert, "dest_name", "name");
    x.process = sa_str(alert, "process", "name");
    x.exe = sa_str(alert, "process", "exe");
    return suppress_match(s, &x);
}
