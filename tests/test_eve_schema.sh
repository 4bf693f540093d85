#!/bin/sh
# test_eve_schema.sh SOURCE_ROOT EXFILMON - every record kind exfilmon
# writes (flow, alert of every scope, with process, intel and app objects,
# incident) validates against Suricata's EVE JSON schema, allowing only the
# extensions listed in docs/schema-flow.md, schema-alert.md and
# schema-incident.md
# ("Extensions to the EVE schema").  Records come from the bundled pcaps/
# and every scenario of tests/regress/manifest.tsv (flows and alerts), plus
# every capture of SOURCE_ROOT/../shared/corpus.
# The schema is test data in SOURCE_ROOT/../shared/eve-schema (see its
# NOTICE; never copied into the project): exits 77 when it is absent.
set -u
root=$1
exe=$2
schema=$root/../shared/eve-schema/suricata-eve-schema.json
[ -f "$schema" ] || { echo "SKIP: $schema absent (../shared not mounted)"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
python3 "$root/tools/gen_scenarios.py" "$work" >/dev/null 2>&1 || exit 1
python3 "$root/tools/gen_intel_scenarios.py" "$work" >/dev/null 2>&1 || exit 1
python3 "$root/tools/gen_proc_scenarios.py" "$work" >/dev/null 2>&1 || exit 1
mkdir "$work/out"
i=0
for p in "$root"/pcaps/*.pcap "$root"/pcaps/*.pcapng; do
    i=$((i + 1))
    # malformed/truncated captures exit 1 by design; their records still count
    "$exe" -q --sensor schema-test -r "$p" --flows "$work/out/p$i.flows.json" \
        --alerts "$work/out/p$i.alerts.json" 2>/dev/null
done
# real captures of the shared corpus (test data beside the schema)
find "$root/../shared/corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
        2>/dev/null | sort > "$work/corpus.txt"
while read -r p; do
    i=$((i + 1))
    "$exe" -q --sensor schema-test -r "$p" --flows "$work/out/c$i.flows.json" \
        --alerts "$work/out/c$i.alerts.json" 2>/dev/null
done < "$work/corpus.txt"
echo "$(wc -l < "$work/corpus.txt") corpus captures replayed"
tab=$(printf '\t')
while IFS="$tab" read -r pcap flags expected; do
    case "$pcap" in ''|'#'*) continue ;; esac
    i=$((i + 1))
    case "$pcap" in pcaps/*) in=$root/$pcap ;; *) in=$work/$pcap ;; esac
    flags=$(printf '%s' "$flags" | sed "s|@WORK@|$work|g")
    # shellcheck disable=SC2086
    "$exe" -q --sensor schema-test --alert-mode both $flags -r "$in" \
        --flows "$work/out/s$i.flows.json" \
        --alerts "$work/out/s$i.alerts.json" 2>/dev/null || { echo "FAIL run $pcap"; exit 1; }
done < "$root/tests/regress/manifest.tsv"
# negative controls: the checker must refuse a wrong type, an undocumented
# member and the schema 1.x host object
docs="$root/docs/schema-flow.md,$root/docs/schema-alert.md,$root/docs/schema-incident.md"
for bad in '{"timestamp":"2026-03-24T10:11:12.123456+0000","event_type":"flow","flow_id":"1"}' \
           '{"timestamp":"2026-03-24T10:11:12.123456+0000","event_type":"flow","bytes":1}' \
           '{"timestamp":"2026-03-24T10:11:12.123456+0000","event_type":"flow","host":{"ai":true}}'; do
    printf '%s\n' "$bad" > "$work/bad.json"
    if python3 "$root/tests/eve_schema_check.py" "$schema" "$docs" "$work/bad.json" >/dev/null; then
        echo "FAIL: the checker accepted $bad"; exit 1
    fi
done
echo "ok: the checker refuses 3 bad records"
python3 "$root/tests/eve_schema_check.py" --require flow,alert,incident "$schema" "$docs" \
    "$work"/out/*.json
