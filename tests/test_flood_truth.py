#!/usr/bin/env python3
"""test_flood_truth.py GEN_BENCH EXFILMON - issue 12's flood criteria at test size.

gen_bench writes a flood (one local host sending SYNs to random public
addresses and DNS queries for random names to a local server) with a
3 GiB upload hidden in it, plus the generator's truth per local host.
exfilmon replays it with small table caps, so flows, destinations and
names are evicted all the time.  Checks:
  - the caps really bit (the summary counts evicted flows);
  - per local host, the IP-layer bytes and packets out and in summed over
    the flow records equal the generator's truth exactly (an evicted flow
    still writes its record with its true totals);
  - the upload is an incident, with its true byte count.
Exit 0 pass, 1 fail.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

UPLOAD = 3 << 30
PACKETS = 240000          # the upload (~56k packets on every 4th) fits


def run(gen, exe, d):
    pcap, truth = os.path.join(d, "flood.pcap"), os.path.join(d, "truth.txt")
    subprocess.run([gen, "-w", "flood", "-u", str(UPLOAD), "-T", truth, pcap, str(PACKETS)],
                   check=True, stdout=subprocess.DEVNULL)
    flows, alerts = os.path.join(d, "flows.json"), os.path.join(d, "incidents.json")
    p = subprocess.run([exe, "-r", pcap, "--flows", flows, "--alerts", alerts,
                        "--alert-mode", "incidents", "--max-flows", "1000", "--max-hosts", "16",
                        "--sensor", "flood"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("FAIL: exfilmon exit %d: %s" % (p.returncode, p.stderr[-2000:]))
    return truth, flows, alerts, p.stderr


def host_sums(flows):
    """{addr: [bytes_out, bytes_in, pkts_out, pkts_in]} over the flow records."""
    s = collections.defaultdict(lambda: [0, 0, 0, 0])
    with open(flows) as f:
        for line in f:
            r = json.loads(line)
            if r.get("event_type") != "flow":
                continue
            fl, a, b = r["flow"], r["src_ip"], r["dest_ip"]
            for h, bo, bi, po, pi in ((a, "bytes_toserver", "bytes_toclient", "pkts_toserver", "pkts_toclient"),
                                      (b, "bytes_toclient", "bytes_toserver", "pkts_toclient", "pkts_toserver")):
                v = s[h]
                v[0] += fl[bo]; v[1] += fl[bi]; v[2] += fl[po]; v[3] += fl[pi]
    return s


def main():
    gen, exe = sys.argv[1], sys.argv[2]
    bad = 0
    with tempfile.TemporaryDirectory(prefix="xm_flood.") as d:
        truth, flows, alerts, err = run(gen, exe, d)
        m = re.search(r"(\d+) flows, (\d+) evicted", err)
        if not m or int(m.group(2)) == 0:
            print("FAIL: no flow was evicted; the caps did not bite: %s" % err.strip()[-300:]); bad += 1
        else:
            print("ok: %s flows, %s evicted" % (m.group(1), m.group(2)))
        sums = host_sums(flows)
        upload = None
        for line in open(truth):
            w = line.split()
            if w[0] == "upload":
                upload = int(w[1]); continue
            want, got = [int(x) for x in w[1:5]], sums.get(w[0], [0, 0, 0, 0])
            if want != got:
                print("FAIL: host %s: flow records give out/in bytes, pkts %s, truth %s" % (w[0], got, want)); bad += 1
            else:
                print("ok: host %s totals exact: %s" % (w[0], want))
        recs = [json.loads(l) for l in open(alerts)]
        up = [r for r in recs if r.get("event_type") == "incident" and r.get("dest_ip") == "203.0.113.77"]
        if not up:
            print("FAIL: the %d-byte upload raised no incident (%d incident records)" % (upload, len(recs))); bad += 1
        else:
            last = up[-1]["incident"]
            # bytes_out is IP-layer: payload plus headers, so at least the payload
            if last["bytes_out"] < upload:
                print("FAIL: upload incident bytes_out %d < payload %d" % (last["bytes_out"], upload)); bad += 1
            else:
                print("ok: upload incident, %s, %d bytes out" % (last["severity_name"], last["bytes_out"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
