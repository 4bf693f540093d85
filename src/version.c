/*
 * version.c - --version and build information (xm_version.h).  Library
 * versions are asked of the libraries at run time, so the text names what
 * is actually loaded, not what the headers said at build time.
 */
#include "xm_version.h"

#include <event2/event.h>
#include <jansson.h>
#include <libpsl.h>
#include <maxminddb.h>
#include <pcap/pcap.h>

#include "xm_config.h"

#ifdef XM_HAVE_KAFKA
#include <librdkafka/rdkafka.h>
#endif

const char *xm_version(void) { return XM_VERSION; }
const char *xm_libpcap_version(void) { return pcap_lib_version(); }

void xm_version_print(FILE *f)
{
    fprintf(f, "exfilmon %s\n", XM_VERSION);
    fprintf(f, "  %s\n", pcap_lib_version());
    fprintf(f, "  jansson %s\n", jansson_version_str());
    fprintf(f, "  libevent %s\n", event_get_version());
    fprintf(f, "  libmaxminddb %s\n", MMDB_lib_version());
    fprintf(f, "  libpsl %s\n", psl_get_version());
#ifdef XM_HAVE_KAFKA
    fprintf(f, "  librdkafka %s\n", rd_kafka_version_str());   /* --kafka */
#endif
}
