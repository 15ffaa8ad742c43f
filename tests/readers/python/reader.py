#!/usr/bin/env python3
"""Portable-YAML differential readers in Python (see tests/readers/README.md).

Usage: reader.py pyyaml|pyyaml-c|ruamel-rt|ruamel-safe, then one file path a line on stdin;
prints one line of canonical JSON a file: {"ok": {...}} or {"error": "..."}.
"""

import base64
import datetime
import json
import math
import sys
import warnings

TIME_FIELDS = {"createdAt", "expiresAt"}


def load_fn(mode):
    if mode in ("pyyaml", "pyyaml-c"):
        import yaml

        loader = yaml.SafeLoader if mode == "pyyaml" else yaml.CSafeLoader
        return lambda data: yaml.load(data, Loader=loader)
    if mode in ("ruamel-rt", "ruamel-safe"):
        import ruamel.yaml

        def load(data):
            y = ruamel.yaml.YAML() if mode == "ruamel-rt" else ruamel.yaml.YAML(typ="safe", pure=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return y.load(data)

        return load
    raise SystemExit("unknown mode " + mode)


def instant(v):
    if v.tzinfo is None:
        v = v.replace(tzinfo=datetime.timezone.utc)
    v = v.astimezone(datetime.timezone.utc)
    return v.strftime("%Y-%m-%dT%H:%M:%S.%fZ").rjust(27, "0")


def canon(v):
    """The value as read, typed: see tests/readers/README.md for the encoding."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {"int": str(int(v))}
    if isinstance(v, float):
        f = float(v)
        if math.isnan(f):
            return {"float": "nan"}
        if math.isinf(f):
            return {"float": "inf" if f > 0 else "-inf"}
        return {"float": repr(f)}
    if isinstance(v, datetime.datetime):
        return {"time": instant(v)}
    if isinstance(v, datetime.date):
        return {"time": "%04d-%02d-%02dT00:00:00Z" % (v.year, v.month, v.day)}
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return {"binary": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, (set, frozenset)):
        return {"set": sorted(json.dumps(canon(x), sort_keys=True) for x in v)}
    tag = getattr(v, "tag", None)
    if type(v).__name__ == "TaggedScalar":
        return {"tagged": str(getattr(tag, "value", tag)), "value": canon(v.value)}
    if isinstance(v, dict):
        if type(v).__name__ == "CommentedSet":
            return {"set": sorted(json.dumps(canon(x), sort_keys=True) for x in v)}
        out = {}
        for k, x in v.items():
            out[k if isinstance(k, str) and not k.startswith("\0") else "\0" + json.dumps(canon(k), sort_keys=True)] = canon(x)
        if type(v).__name__ in ("CommentedOrderedMap",):
            return {"omap": [[canon(k), canon(x)] for k, x in v.items()]}
        return out
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, tuple) and len(x) == 2 for x in v):
            return {"pairs": [[canon(a), canon(b)] for a, b in v]}
        return [canon(x) for x in v]
    return {"other": type(v).__name__, "repr": repr(v)}


def as_time(v):
    """What a server does with a time field: a string is parsed as RFC 3339."""
    if isinstance(v, str) and type(v).__name__ in ("str",) or (isinstance(v, str) and not isinstance(v, datetime.datetime)):
        try:
            d = datetime.datetime.fromisoformat(str(v))
        except ValueError as e:
            return {"badtime": str(v), "why": str(e)}
        if d.tzinfo is None:
            return {"badtime": str(v), "why": "no offset"}
        return {"time": instant(d)}
    return canon(v)


def view(doc):
    if not isinstance(doc, dict):
        return {"document": canon(doc)}
    out = {}
    for top in ("version", "tokenPrefix", "permissions"):
        if top in doc:
            out[top] = canon(doc[top])
    if "apiKeys" in doc:
        keys = doc["apiKeys"]
        if isinstance(keys, dict):
            ck = {}
            for name, entry in keys.items():
                c = canon(entry)
                if isinstance(entry, dict):
                    for f in TIME_FIELDS:
                        if f in entry:
                            c[f] = as_time(entry[f])
                    prev = entry.get("previousHashes")
                    if isinstance(prev, list):
                        c["previousHashes"] = [
                            dict(canon(p), **({"expiresAt": as_time(p["expiresAt"])} if "expiresAt" in p else {}))
                            if isinstance(p, dict) else canon(p)
                            for p in prev
                        ]
                key = name if isinstance(name, str) else "\0" + json.dumps(canon(name), sort_keys=True)
                ck[key] = c
            out["apiKeys"] = ck
        else:
            out["apiKeys"] = canon(keys)
    return out


def main():
    load = load_fn(sys.argv[1])
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        try:
            with open(path, "rb") as f:
                data = f.read()
            res = {"ok": view(load(data))}
            text = json.dumps(res, sort_keys=True, ensure_ascii=True)
        except Exception as e:  # every failure to load is a result
            text = json.dumps({"error": (type(e).__name__ + ": " + str(e)).replace("\n", " ")[:400]})
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
