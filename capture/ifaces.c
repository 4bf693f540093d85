/*
 * ifaces.c - the interfaces libpcap can capture on (see xm_source.h):
 * the -D listing (tcpdump -D's layout) and the list of real names shown
 * when -i names one that does not exist.
 */
#include "xm_source.h"

#include <stdio.h>
#include <string.h>

/* " [Up, Running, Loopback]" style flags, as tcpdump -D prints them. */
static void src_iface_flags(const pcap_if_t *d, char *buf, size_t len)
{
    static const struct { bpf_u_int32 bit; const char *name; } fl[] = {
        {PCAP_IF_UP, "Up"}, {PCAP_IF_RUNNING, "Running"},
        {PCAP_IF_WIRELESS, "Wireless"}, {PCAP_IF_LOOPBACK, "Loopback"},
    };
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < XM_ARRAY_LEN(fl); i++)
        if (d->flags & fl[i].bit)
            n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
                                  n ? ", " : "", fl[i].name);
    bpf_u_int32 st = d->flags & PCAP_IF_CONNECTION_STATUS;
    if (!(d->flags & PCAP_IF_LOOPBACK) && st != PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE)
        snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
                 st == PCAP_IF_CONNECTION_STATUS_CONNECTED ? "Connected" :
                 st == PCAP_IF_CONNECTION_STATUS_DISCONNECTED ? "Disconnected" : "Unknown");
}

int src_list_interfaces(FILE *f, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all = NULL;
    if (pcap_findalldevs(&all, ebuf) != 0) {
        snprintf(err, errlen, "cannot list interfaces: %s", ebuf);
        return -1;
    }
    int i = 0;
    for (const pcap_if_t *d = all; d; d = d->next) {
        char flags[96];
        src_iface_flags(d, flags, sizeof flags);
        fprintf(f, "%d.%s", ++i, d->name);
        if (d->description)
            fprintf(f, " (%s)", d->description);
        fprintf(f, " [%s]\n", flags);
    }
    pcap_freealldevs(all);
    if (i == 0) {
        snprintf(err, errlen, "no interface can be captured on (as root, or with "
                 "CAP_NET_RAW, more may be listed)");
        return -1;
    }
    return 0;
}

int src_interface_names(char *buf, size_t len, const char *want)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all = NULL;
    int found = 0;
    size_t n = 0;
    if (len)
        buf[0] = '\0';
    if (pcap_findalldevs(&all, ebuf) != 0)
        return -1;
    for (const pcap_if_t *d = all; d; d = d->next) {
        if (want && strcmp(d->name, want) == 0)
            found = 1;
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
                              d->name);
    }
    pcap_freealldevs(all);
    return found;
}
