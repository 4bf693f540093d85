/* test_eve.c - exact EVE flow records for known flows. */
#include <stdlib.h>

#include "xm_eve.h"
#include "xm_evew.h"
#include "xm_test.h"

#define T0 (INT64_C(1774347072) * XM_USEC_PER_SEC + 123456)  /* 2026-03-24T10:11:12.123456Z */

static struct xm_addr A(const char *s)
{
    struct xm_addr a;
    xm_addr_parse(s, &a);
    return a;
}

/* Dumps the record as the output module does; caller frees. */
static char *dump(const struct xm_flow *f, enum flow_end_reason r, bool alerted)
{
    json_t *o = eve_flow_record(f, r, alerted);
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

static void test_tcp_outbound(void)
{
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    f.cli = A("10.0.0.2");
    f.srv = A("93.184.216.34");
    f.cli_port = 40000;
    f.srv_port = 443;
    f.proto = 6;
    f.state = FLOW_STATE_CLOSED;
    f.local = FLOW_LOCAL_CLIENT;
    f.tcp_flags[0] = 0x1b;
    f.tcp_flags[1] = 0x1b;
    f.flow_id = 1234567890123;
    f.first = T0;
    f.last = T0 + XM_SEC(42) + 500000;
    f.pkts[0] = 10;
    f.pkts[1] = 8;
    f.bytes[0] = 41234;
    f.bytes[1] = 5120;
    char *s = dump(&f, FLOW_END_CLOSED, true);
    CHECK_STR(s,
        "{\"timestamp\":\"2026-03-24T10:11:54.623456+0000\",\"flow_id\":1234567890123,"
        "\"event_type\":\"flow\",\"schema_version\":\"2.1\",\"src_ip\":\"10.0.0.2\","
        "\"src_port\":40000,\"dest_ip\":\"93.184.216.34\",\"dest_port\":443,"
        "\"proto\":\"TCP\",\"community_id\":\"1:mlD6+ld6yARUM8H8yrB7MNCVGXY=\","
        "\"flow\":{\"pkts_toserver\":10,\"pkts_toclient\":8,\"bytes_toserver\":41234,"
        "\"bytes_toclient\":5120,\"start\":\"2026-03-24T10:11:12.123456+0000\","
        "\"end\":\"2026-03-24T10:11:54.623456+0000\",\"age\":42,\"state\":\"closed\","
        "\"reason\":\"tcp_close\",\"alerted\":true,\"interim\":false},"
        "\"tcp\":{\"tcp_flags\":\"1b\",\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"1b\","
        "\"syn\":true,\"fin\":true,\"psh\":true,\"ack\":true,\"state\":\"closed\"},"
        "\"egress\":{\"direction\":\"outbound\",\"local_ip\":\"10.0.0.2\","
        "\"local_port\":40000,\"remote_ip\":\"93.184.216.34\",\"remote_port\":443,"
        "\"bytes_out\":41234,\"bytes_in\":5120,\"pkts_out\":10,\"pkts_in\":8}}");
    free(s);
}

static void test_inbound_interim_noports(void)
{
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    f.cli = A("203.0.113.9");
    f.srv = A("10.0.0.3");
    f.proto = 47;
    f.vlan = 7;
    f.local = FLOW_LOCAL_SERVER;
    f.flow_id = 42;
    f.first = T0;
    f.last = T0 + XM_SEC(90);
    f.last_interim = T0 + XM_SEC(100);
    f.pkts[0] = 3;
    f.pkts[1] = 5;
    f.bytes[0] = 300;
    f.bytes[1] = 5000;
    char *s = dump(&f, FLOW_END_ACTIVE, false);
    CHECK_STR(s,
        "{\"timestamp\":\"2026-03-24T10:12:52.123456+0000\",\"flow_id\":42,"
        "\"event_type\":\"flow\",\"schema_version\":\"2.1\",\"src_ip\":\"203.0.113.9\","
        "\"dest_ip\":\"10.0.0.3\",\"proto\":\"47\",\"vlan\":[7],"
        "\"community_id\":\"1:7vri76h6bMlslB99cQX+lYK7om0=\","
        "\"flow\":{\"pkts_toserver\":3,\"pkts_toclient\":5,\"bytes_toserver\":300,"
        "\"bytes_toclient\":5000,\"start\":\"2026-03-24T10:11:12.123456+0000\","
        "\"end\":\"2026-03-24T10:12:42.123456+0000\",\"age\":90,\"state\":\"new\","
        "\"reason\":\"active_timeout\",\"alerted\":false,\"interim\":true},"
        "\"egress\":{\"direction\":\"inbound\",\"local_ip\":\"10.0.0.3\","
        "\"remote_ip\":\"203.0.113.9\",\"bytes_out\":5000,\"bytes_in\":300,"
        "\"pkts_out\":5,\"pkts_in\":3}}");
    free(s);
}

static void test_icmp_external_and_common(void)
{
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    f.cli = A("1.2.3.4");
    f.srv = A("5.6.7.8");
    f.proto = 1;
    f.icmp_type = 8;
    f.first = f.last = T0;
    f.pkts[0] = 1;
    char *s = dump(&f, FLOW_END_TIMEOUT, false);
    CHECK(s && strstr(s, "\"proto\":\"ICMP\",\"community_id\":\"1:crodRHL2FEsHjbv3UkRrfbs4bZ0=\","
                         "\"icmp_type\":8,\"icmp_code\":0,\"flow\"") != NULL);
    CHECK(s && strstr(s, "\"egress\":{\"direction\":\"external\",\"remote_ip\":\"5.6.7.8\","
                         "\"bytes_out\":0,") != NULL);
    CHECK(s && strstr(s, "\"tcp\"") == NULL);
    CHECK(s && strstr(s, "src_port") == NULL);
    free(s);

    /* The alert builder's view: the shared header alone. */
    json_t *o = json_object();
    f.proto = 58;
    f.cli = A("fe80:1:203:405:607:809:a0b:c0d");
    f.srv = A("fe80:1011:1213:1415:1617:1819:1a1b:1c1d");
    f.icmp_type = 128;
    CHECK(eve_add_common(o, &f, T0, "alert") == 0);
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_STR(s, "{\"timestamp\":\"2026-03-24T10:11:12.123456+0000\",\"flow_id\":0,"
                 "\"event_type\":\"alert\",\"schema_version\":\"2.1\","
                 "\"src_ip\":\"fe80:1:203:405:607:809:a0b:c0d\","
                 "\"dest_ip\":\"fe80:1011:1213:1415:1617:1819:1a1b:1c1d\","
                 "\"proto\":\"IPv6-ICMP\",\"community_id\":\"1:0bf7hyMJUwt3fMED7z8LIfRpBeo=\","
                 "\"icmp_type\":128,\"icmp_code\":0}");
    free(s);
    json_decref(o);

    char buf[4];
    CHECK_STR(eve_proto_name(255, buf, sizeof buf), "255");
    CHECK_STR(eve_proto_name(0, buf, sizeof buf), "0");
    CHECK_STR(eve_proto_name(132, buf, sizeof buf), "SCTP");
}

static void test_internal(void)
{
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    f.cli = A("10.0.0.1");
    f.srv = A("10.0.0.2");
    f.cli_port = 1;
    f.srv_port = 2;
    f.proto = 17;
    f.local = FLOW_LOCAL_BOTH;
    f.bytes[0] = 11;
    f.bytes[1] = 22;
    char *s = dump(&f, FLOW_END_SHUTDOWN, false);
    CHECK(s && strstr(s, "\"egress\":{\"direction\":\"internal\",\"local_ip\":\"10.0.0.1\","
                         "\"local_port\":1,\"remote_ip\":\"10.0.0.2\",\"remote_port\":2,"
                         "\"bytes_out\":11,\"bytes_in\":22,") != NULL);
    CHECK(s && strstr(s, "\"reason\":\"shutdown\"") != NULL);
    free(s);
}

/* The sensor name is EVE "host" (a string), right after schema_version;
 * refused names keep the previous one; "" leaves "host" out. */
static void test_sensor(void)
{
    struct xm_flow f;
    memset(&f, 0, sizeof f);
    f.cli = A("10.0.0.1");
    f.srv = A("10.0.0.2");
    f.proto = 17;
    f.first = f.last = T0;
    CHECK(eve_set_sensor_name("gw-1") == 0);
    char *s = dump(&f, FLOW_END_TIMEOUT, false);
    CHECK(s && strstr(s, "\"schema_version\":\"2.1\",\"host\":\"gw-1\",\"src_ip\"") != NULL);
    free(s);
    CHECK(eve_set_sensor_name("bad\nname") == -1);
    char big[EVE_SENSOR_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(eve_set_sensor_name(big) == -1);
    CHECK_STR(eve_sensor_name(), "gw-1");
    json_t *o = json_object();
    bool bad = false;
    eve_put_sensor(o, &bad);
    CHECK(!bad);
    CHECK_STR(json_string_value(json_object_get(o, "host")), "gw-1");
    json_decref(o);
    CHECK(eve_set_sensor_name("") == 0);
    CHECK(eve_sensor_name() == NULL);
    s = dump(&f, FLOW_END_TIMEOUT, false);
    CHECK(s && strstr(s, "\"host\"") == NULL);
    free(s);
}

/* flow ids are 51-bit (exact as IEEE doubles, as Suricata's). */
static void test_flow_id_width(void)
{
    CHECK_EQ_U64(XM_FLOW_ID_MASK, (UINT64_C(1) << 51) - 1);
    CHECK((double)XM_FLOW_ID_MASK == 2251799813685247.0);
}

int main(void)
{
    test_sensor();
    test_flow_id_width();
    test_tcp_outbound();
    test_inbound_interim_noports();
    test_icmp_external_and_common();
    test_internal();
    return xm_test_result();
}
