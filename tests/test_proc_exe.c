/*
 * test_proc_exe.c - what schema 2.0 added to process records
 * (analysis/proc/): the command line as an argument array, the
 * executable's SHA-256 (analysis/proc/proc_hash.c: hashed off the calling
 * thread, keyed by the file's identity, bounded size and cache) and
 * ledgers that carry both.  Split from test_proc.c (800-line limit).
 */
#include "xm_proc.h"
#include "xm_proc_hash.h"
#include "xm_sha256.h"
#include "flow_fixture.h"
#include "xm_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_cmdline_args(void)
{
    /* arguments keep their boundaries: "a b" is one argument */
    const uint8_t args[] = "python3\0-c\0print(1)\0a b\0\0\x01z\0";
    char argv[PROC_ARGV_LEN];
    size_t n = proc_cmdline_args(args, sizeof args - 1, argv, sizeof argv);
    CHECK_EQ_U64(n, 26);
    CHECK(memcmp(argv, "python3\0-c\0print(1)\0a b\0?z", 26) == 0);
    CHECK_EQ_U64(proc_cmdline_args(args, sizeof args - 1, argv, 9), 9);   /* cut inside "-c" */
    CHECK_EQ_U64(proc_cmdline_args((const uint8_t *)"\0\0", 2, argv, sizeof argv), 0);
}

/* The executable hash cache: hashes off the calling thread, keyed by the
 * file's identity, bounded size, bounded cache. */
static int open_tmp(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    fputs(content, f);
    fclose(f);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static void test_exe_hash(void)
{
    char path[] = "/tmp/xm_exe_hash_XXXXXX", hex[65], want[65];
    int tfd = mkstemp(path);
    close(tfd);
    struct proc_hash *h = proc_hash_new(2, 64);
    struct proc_exe_key k1, k2, k3;
    uint8_t d[XM_SHA256_LEN];
    CHECK(!proc_hash_request_fd(h, open_tmp(path, "first version"), &k1, d));
    proc_hash_drain(h);
    CHECK(proc_hash_get(h, &k1, d));
    xm_sha256_hex(d, hex);
    xm_test_sha_hex_of_file(path, want);
    CHECK_STR(hex, want);
    CHECK(proc_hash_request_fd(h, open(path, O_RDONLY), &k2, d));   /* cached */
    CHECK(memcmp(&k1, &k2, sizeof k1) == 0);
    /* the binary replaced: new identity, hashed again */
    CHECK(!proc_hash_request_fd(h, open_tmp(path, "second, longer version"), &k2, d));
    proc_hash_drain(h);
    CHECK(proc_hash_get(h, &k2, d));
    xm_sha256_hex(d, hex);
    xm_test_sha_hex_of_file(path, want);
    CHECK_STR(hex, want);
    /* larger than max_bytes (64): not hashed, counted */
    CHECK(!proc_hash_request_fd(h, open_tmp(path, "0123456789012345678901234567890123456789"
                                                  "0123456789012345678901234567890123456789"),
                                &k3, d));
    proc_hash_drain(h);
    CHECK(!proc_hash_get(h, &k3, d));
    struct proc_hash_stats st;
    proc_hash_stats(h, &st);
    CHECK_EQ_U64(st.hashed, 2);
    CHECK_EQ_U64(st.too_large, 1);
    CHECK_EQ_U64(st.cache_hits, 1);
    CHECK_EQ_U64(st.evicted, 1);               /* cap 2: the oldest went */
    CHECK(!proc_hash_get(h, &k1, d));
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    CHECK(!proc_hash_request_fd(h, pfd[0], &k3, d));   /* not a regular file */
    close(pfd[1]);
    proc_hash_stats(h, &st);
    CHECK_EQ_U64(st.open_errors, 1);
    char *mt = NULL;
    size_t mlen = 0;
    FILE *mf = open_memstream(&mt, &mlen);
    proc_hash_write_metrics(h, mf);
    fclose(mf);
    CHECK(mt && strstr(mt, "exfilmon_proc_exe_hash_total{outcome=\"hashed\"} 2\n"));
    free(mt);
    proc_hash_free(h);
    unlink(path);
}

/* Schema 2.0 ledgers: cmdline as an array (an argument with a space stays
 * one), sha256 carried; a later line of the same process adds the hash. */
#define V1 "{\"ts_us\":1700000000000000,\"proto\":6,\"src_ip\":\"10.0.0.6\",\"src_port\":40001," \
           "\"dest_ip\":\"203.0.113.9\",\"dest_port\":443,\"attribution\":\"exact\"," \
           "\"process\":{\"pid\":77,\"name\":\"python3\",\"exe\":\"/usr/bin/python3.11\"," \
           "\"cmdline\":[\"python3\",\"-c\",\"a b\"],\"start_us\":5}}\n"
#define HASH "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define V2 "{\"ts_us\":1700000100000000,\"proto\":6,\"src_ip\":\"10.0.0.6\",\"src_port\":40002," \
           "\"dest_ip\":\"203.0.113.9\",\"dest_port\":443,\"attribution\":\"exact\"," \
           "\"process\":{\"pid\":77,\"name\":\"python3\",\"exe\":\"/usr/bin/python3.11\"," \
           "\"sha256\":\"" HASH "\",\"cmdline\":[\"python3\",\"-c\",\"a b\"],\"start_us\":5}}\n"

static void test_ledger_v2(void)
{
    struct proc *p = proc_new(NULL);
    char err[256] = "";
    const char *txt = V1 V2;
    CHECK(proc_ledger_load_buf(p, "led", txt, strlen(txt), err, sizeof err) == 0);
    struct xm_flow f;
    uint8_t conf = 0;
    xm_test_flow(&f, 6, "10.0.0.6", 40001, "203.0.113.9", 443, FLOW_LOCAL_CLIENT, XM_SEC(1700000000));
    uint32_t id = proc_attribute(p, &f, &conf);
    CHECK(id != 0);
    CHECK_STR(proc_get(p, id) ? proc_get(p, id)->cmdline : "", "python3 -c a b");
    json_t *o = json_object();
    proc_eve_add(p, id, conf, o);
    char *js = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK(js && strstr(js, "\"exe\":\"/usr/bin/python3.11\",\"sha256\":\"" HASH "\","
                           "\"cmdline\":[\"python3\",\"-c\",\"a b\"]") != NULL);
    free(js);
    json_decref(o);
    proc_free(p);
}

int main(void)
{
    test_cmdline_args();
    test_exe_hash();
    test_ledger_v2();
    return xm_test_result();
}
