#!/usr/bin/env python3
"""The differential test's readers in Python: PyYAML (its pure-Python loader, so not libyaml
again) and ruamel.yaml (pure, YAML 1.2). tests/e2e/guarantees/differential.rs drives tokenctl's binary
and leaves, for each write it made, N.old and N.new (the file before and after) and N.json
(the keys the new file must hold, typed, and tokenctl's reading of the old file).

For each parser that reads N.old, N.new must read as N.old with only the edit applied:
- the top level keeps every key but apiKeys, in order, with the same values;
- apiKeys holds exactly the expected names, in order;
- a kept key keeps its foreign fields (those docs/FORMAT.md does not name) as they were;
- an added key holds only tokenctl's fields;
- every key's own fields read, typed and with their defaults, as expected.
It also reports where the parser reads the old file's keys differently from tokenctl (such
a file should have been refused: servers using this parser would see other keys).

Usage: oracle.py CASES_DIR. Exit 1 when any case fails; the summary goes to stderr.
"""

import datetime
import ipaddress
import json
import pathlib
import sys
import warnings

import ruamel.yaml
import yaml

OURS = {
    "description", "owner", "enabled", "permissions", "hash", "createdAt", "expiresAt",
    "allowedIps", "pathPrefix", "resources", "previousHashes",
}


def pyyaml_load(data):
    return yaml.load(data, Loader=yaml.SafeLoader)


def ruamel_load(data):
    with warnings.catch_warnings():
        # A redefined anchor is valid YAML (the latest definition counts); ruamel warns.
        warnings.simplefilter("ignore", ruamel.yaml.error.ReusedAnchorWarning)
        return ruamel.yaml.YAML(typ="safe", pure=True).load(data)


PARSERS = [("PyYAML " + yaml.__version__, pyyaml_load),
           ("ruamel.yaml " + ruamel.yaml.__version__, ruamel_load)]


class Refused(Exception):
    pass


def seconds(v, what):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return int(v.timestamp())
    if isinstance(v, str):
        try:
            return int(datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp())
        except ValueError:
            pass
    raise Refused(f"{what} is not a time: {v!r}")


def text(v, what):
    if not isinstance(v, str):
        raise Refused(f"{what} is not a string: {v!r}")
    return v


def texts(v, what):
    if not isinstance(v, list):
        raise Refused(f"{what} is not a list: {v!r}")
    return [text(i, what) for i in v]


def typed(name, d):
    """A key's own fields as a server reads them, defaults applied (as differential.rs's
    typed_json writes them)."""
    if not isinstance(d, dict):
        raise Refused(f"key {name!r} is not a mapping: {d!r}")
    enabled = d.get("enabled", True)
    if not isinstance(enabled, bool):
        raise Refused(f"{name}.enabled is not a boolean: {enabled!r}")
    ips = d.get("allowedIps")
    return {
        "name": name,
        "description": text(d["description"], "description") if "description" in d else None,
        "owner": text(d["owner"], "owner") if "owner" in d else None,
        "enabled": enabled,
        "permissions": texts(d.get("permissions", []), "permissions"),
        "hash": text(d.get("hash"), "hash"),
        "createdAt": seconds(d["createdAt"], "createdAt") if "createdAt" in d else None,
        "expiresAt": seconds(d["expiresAt"], "expiresAt") if "expiresAt" in d else None,
        "allowedIps": None if ips is None else
        [str(ipaddress.ip_interface(i)) for i in texts(ips, "allowedIps")],
        "pathPrefix": text(d["pathPrefix"], "pathPrefix") if "pathPrefix" in d else None,
        "resources": texts(d["resources"], "resources") if "resources" in d else None,
        "previousHashes": [[text(p["hash"], "hash"), seconds(p["expiresAt"], "expiresAt")]
                           for p in d.get("previousHashes", [])],
    }


def normal(k):
    """differential.rs's typed_json, with allowedIps as Python writes addresses."""
    k = dict(k)
    if k["allowedIps"] is not None:
        k["allowedIps"] = [str(ipaddress.ip_interface(i)) for i in k["allowedIps"]]
    return k


def api(doc):
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise Refused(f"the top level is not a mapping: {doc!r}")
    keys = doc.get("apiKeys")
    return {} if keys is None else keys


def check(old, new, meta):
    """None when new reads as old with the edit applied, else what differs."""
    old_top = old if isinstance(old, dict) else {}
    new_top = new if isinstance(new, dict) else {}
    rest = lambda top: [(k, v) for k, v in top.items() if k != "apiKeys"]
    o, n = rest(old_top), rest(new_top)
    if [k for k, _ in o] != [k for k, _ in n if not (k == "version" and not old_top)]:
        return f"top-level keys {[k for k, _ in n]}, expected {[k for k, _ in o]}"
    for (k, ov), (_, nv) in zip(o, n):
        if ov != nv:
            return f"top-level {k!r} reads {nv!r}, was {ov!r}"
    old_api, new_api = api(old), api(new)
    want = meta["keys"]
    if list(new_api) != [k["name"] for k in want]:
        return f"apiKeys names {list(new_api)}, expected {[k['name'] for k in want]}"
    for k in want:
        name = k["name"]
        got = new_api[name]
        foreign = lambda d: [(f, v) for f, v in d.items() if f not in OURS]
        if name in meta["added"]:
            if foreign(got):
                return f"new key {name!r} holds foreign fields {foreign(got)}"
        elif foreign(old_api[name]) != foreign(got):
            return f"key {name!r}: foreign fields {foreign(got)}, were {foreign(old_api[name])}"
        if typed(name, got) != normal(k):
            return f"key {name!r} reads as {typed(name, got)}, expected {normal(k)}"
    return None


def main():
    cases = sorted(pathlib.Path(sys.argv[1]).glob("*.json"), key=lambda p: int(p.stem))
    failures, judged, unreadable, disagree = [], {}, {}, []
    for meta_path in cases:
        meta = json.loads(meta_path.read_text())
        old_bytes = meta_path.with_suffix(".old").read_bytes()
        new_bytes = meta_path.with_suffix(".new").read_bytes()
        for parser, load in PARSERS:
            try:
                old = load(old_bytes)
            except Exception as e:  # this parser cannot read the old file: nothing to say
                unreadable.setdefault(parser, []).append(f"{meta_path.stem}: {type(e).__name__}")
                continue
            try:
                mine = [typed(n, d) for n, d in api(old).items()]
                if mine != [normal(k) for k in meta["old_keys"]]:
                    disagree.append(f"{parser}, case {meta_path.stem}: reads the old keys as "
                                    f"{mine}, tokenctl as {meta['old_keys']}")
            except Refused as e:
                disagree.append(f"{parser}, case {meta_path.stem}: refuses what tokenctl read: {e}")
            try:
                new = load(new_bytes)
                why = check(old, new, meta)
            except Refused as e:
                why = str(e)
            except Exception as e:
                why = f"cannot read the new file: {type(e).__name__}: {e}"
            judged[parser] = judged.get(parser, 0) + 1
            if why:
                failures.append(f"{parser}, case {meta_path.stem} ({meta['what']}): {why}\n"
                                f"--- before\n{old_bytes.decode()}\n--- after\n{new_bytes.decode()}")
    for parser, _ in PARSERS:
        print(f"oracle.py: {parser}: {judged.get(parser, 0)} writes judged, "
              f"{len(unreadable.get(parser, []))} old files it cannot read", file=sys.stderr)
    for d in disagree:
        print(f"oracle.py: read differently: {d}", file=sys.stderr)
    for f in failures:
        print(f"oracle.py: FAILED: {f}")
    sys.exit(1 if failures or disagree else 0)


if __name__ == "__main__":
    main()
