#!/usr/bin/env python3
"""eve_schema_check.py [--require KIND,...] SCHEMA DOC[,DOC...] RECORDS.json...
- validates EVE
JSON lines against Suricata's EVE JSON schema (a JSON Schema document).

A small validator for exactly the keywords that schema uses (type,
properties, additionalProperties, items, minItems, minProperties,
required, enum, const, minimum, pattern, oneOf, $ref into #/$defs);
annotation keywords (description, title, $comment, suricata) are skipped
and any other keyword is an error, so nothing is ignored silently.

Where the schema forbids a member (additionalProperties: false), the
member is accepted only when its dotted path (array levels left out, e.g.
"egress" or "http.request_length") is listed in a DOC's section headed
"Extensions to the EVE schema" (one `path` per list item); an extension's
value is not checked further.  Prints per event_type counts and the
extensions seen; exits 1 on any violation, 2 on usage errors.
"""
import json
import re
import sys

ANNOTATIONS = {"description", "desription", "title", "$comment", "suricata", "examples"}
HANDLED = {"type", "properties", "additionalProperties", "items", "minItems",
           "minProperties", "required", "enum", "const", "minimum", "pattern",
           "oneOf", "$ref", "$defs", "$schema", "$id"}


class Checker:
    def __init__(self, schema, extensions):
        self.root = schema
        self.ext = set(extensions)
        self.ext_seen = {}
        self.errors = []

    def ref(self, r):
        if not r.startswith("#/"):
            raise ValueError("unsupported $ref " + r)
        node = self.root
        for part in r[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    @staticmethod
    def is_type(v, t):
        if t == "object":
            return isinstance(v, dict)
        if t == "array":
            return isinstance(v, list)
        if t == "string":
            return isinstance(v, str)
        if t == "boolean":
            return isinstance(v, bool)
        if t == "integer":
            return isinstance(v, int) and not isinstance(v, bool)
        if t == "number":
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        if t == "null":
            return v is None
        raise ValueError("unknown type " + t)

    def check(self, v, s, path, errs):
        """Appends violations of schema s by value v to errs."""
        if s is True or s == {}:
            return
        if s is False:
            errs.append(f"{path}: not allowed")
            return
        unknown = set(s) - HANDLED - ANNOTATIONS
        if unknown:
            raise ValueError(f"schema keyword(s) {sorted(unknown)} at {path} not supported")
        if "$ref" in s:
            self.check(v, self.ref(s["$ref"]), path, errs)
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(self.is_type(v, t) for t in types):
                errs.append(f"{path}: {json.dumps(v)[:60]} is not of type {'/'.join(types)}")
                return
        if "enum" in s and v not in s["enum"]:
            errs.append(f"{path}: {v!r} not in {s['enum']}")
        if "const" in s and v != s["const"]:
            errs.append(f"{path}: {v!r} != {s['const']!r}")
        if "minimum" in s and self.is_type(v, "number") and v < s["minimum"]:
            errs.append(f"{path}: {v} < minimum {s['minimum']}")
        if "pattern" in s and isinstance(v, str) and not re.search(s["pattern"], v):
            errs.append(f"{path}: {v!r} does not match {s['pattern']}")
        if "oneOf" in s:
            ok = 0
            for sub in s["oneOf"]:
                e = []
                self.check(v, sub, path, e)
                ok += not e
            if ok != 1:
                errs.append(f"{path}: matches {ok} of the oneOf alternatives, not 1")
        if isinstance(v, list):
            self.check_array(v, s, path, errs)
        if isinstance(v, dict):
            self.check_object(v, s, path, errs)

    def check_array(self, v, s, path, errs):
        if "minItems" in s and len(v) < s["minItems"]:
            errs.append(f"{path}: {len(v)} items < minItems {s['minItems']}")
        if "items" in s:
            for i, item in enumerate(v):
                self.check(item, s["items"], f"{path}[{i}]", errs)

    def check_object(self, v, s, path, errs):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{path}: required member {k} missing")
        if "minProperties" in s and len(v) < s["minProperties"]:
            errs.append(f"{path}: fewer than {s['minProperties']} members")
        dotted = re.sub(r"\[\d+\]", "", path)
        for k, val in v.items():
            sub = f"{path}.{k}" if path else k
            if k in props:
                self.check(val, props[k], sub, errs)
                continue
            extra = s.get("additionalProperties", True)
            if extra is False:
                name = f"{dotted}.{k}" if dotted else k
                if name in self.ext:
                    self.ext_seen[name] = self.ext_seen.get(name, 0) + 1
                else:
                    errs.append(f"{sub}: member not in the EVE schema and not a "
                                "documented extension")
            elif isinstance(extra, dict):
                self.check(val, extra, sub, errs)


def doc_extensions(path):
    """`paths` listed under a heading "Extensions to the EVE schema"."""
    out, inside = [], False
    for line in open(path, encoding="utf-8"):
        if line.startswith("#"):
            inside = "extensions to the eve schema" in line.lower()
            continue
        m = re.match(r"\s*[-*]\s+`([A-Za-z0-9_.]+)`", line)
        if inside and m:
            out.append(m.group(1))
    return out


def main(argv):
    need = []
    if len(argv) > 2 and argv[1] == "--require":
        need = argv[2].split(",")
        argv = argv[:1] + argv[3:]
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.load(open(argv[1], encoding="utf-8"))
    ext = [e for d in argv[2].split(",") for e in doc_extensions(d)]
    if not ext:
        print(f"no extension list found in {argv[2]}", file=sys.stderr)
        return 2
    c = Checker(schema, ext)
    counts, bad = {}, 0
    for name in argv[3:]:
        for n, line in enumerate(open(name, encoding="utf-8"), 1):
            rec = json.loads(line)
            kind = rec.get("event_type", "?")
            counts[kind] = counts.get(kind, 0) + 1
            errs = []
            c.check(rec, schema, "", errs)
            if errs:
                bad += 1
                if bad <= 20:
                    print(f"FAIL {name}:{n} ({kind}): " + "; ".join(errs[:8]))
    for kind in sorted(counts):
        print(f"event_type {kind}: {counts[kind]} records validated")
    print(f"extensions documented: {len(set(ext))}; seen: " +
          ", ".join(f"{k} ({v})" for k, v in sorted(c.ext_seen.items())))
    unused = sorted(set(ext) - set(c.ext_seen))
    if unused:
        print("documented extensions not seen in these records: " + ", ".join(unused))
    print(f"{bad} records with violations")
    missing = [k for k in need if not counts.get(k)]
    if missing:
        print("FAIL no records of kind(s): " + ", ".join(missing))
    return 1 if bad or not counts or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
