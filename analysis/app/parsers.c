/*
 * parsers.c - the app-layer parser table (contract in app_int.h).  Row
 * order is the order in which PACKET parsers are offered a packet and in
 * which FLIGHT parsers are asked whether the client's first bytes are
 * theirs; row index is the flow's f->app_seen bit (at most 8 rows).
 */
#include "app_int.h"

/* l4 0: both TCP and UDP. */
const struct app_parser app_parsers[] = {
    [APP_P_DNS] = {"dns", 0, APP_STYLE_PACKET, app_dns_packet, NULL, NULL, app_dns_eve, NULL,
                   NULL, app_dns_evew},
    [APP_P_QUIC] = {"quic", APP_PROTO_UDP, APP_STYLE_PACKET, app_quic_packet, NULL, NULL,
                    app_quic_eve, app_quic_end, NULL, app_quic_evew},
    [APP_P_TLS] = {"tls", APP_PROTO_TCP, APP_STYLE_FLIGHT, NULL, app_tls_start, app_tls_parse,
                   app_tls_eve, NULL, app_tls_server, app_tls_evew},
    [APP_P_HTTP] = {"http", APP_PROTO_TCP, APP_STYLE_FLIGHT, NULL, app_http_start,
                    app_http_parse, app_http_eve, NULL, app_http_server, app_http_evew},
};
const size_t app_parsers_len = XM_ARRAY_LEN(app_parsers);

_Static_assert(XM_ARRAY_LEN(app_parsers) <= 8, "f->app_seen has one bit per row");
