#!/usr/bin/env python3
"""Whole-document comparison for the YAML test suite run (tests/e2e/guarantees/portable_readers.rs,
`yaml_test_suite_through_tokenctl`): reads JSON lines {"old": PATH, "new": PATH, "key": NAME}
on stdin and prints, for each, one JSON line: {"same": LOADER}, {"old_error": "..."} (no
loader loads the text before the write), {"new_error": "..."} or {"diff": "..."}.

Both texts are loaded whole with PyYAML's `safe_load_all` (every document, every value), or,
when PyYAML cannot load the text before (YAML 1.2 that is not 1.1), with ruamel.yaml's safe
loader, or else (local tags, a mapping as a key) its round-trip one. The apiKeys entry NAME (the key the write added or updated) is dropped from each
document before comparing, and an apiKeys the write added that holds nothing else is dropped
too; an absent top-level `version` reads as 1 (docs/FORMAT.md: "absent means 1").
"""

import json
import math
import sys

import warnings

import ruamel.yaml
import yaml


def canon(v):
    """A comparable, printable form (NaN equals NaN; a mapping's order does not count)."""
    if isinstance(v, dict):
        return ("map", tuple(sorted(((canon(k), canon(x)) for k, x in v.items()), key=repr)))
    if isinstance(v, list):
        return ("seq", tuple(canon(x) for x in v))
    if isinstance(v, float) and math.isnan(v):
        return ("float", "nan")
    return (type(v).__name__, repr(v))


def pyyaml(data):
    return list(yaml.safe_load_all(data))


def ruamel_safe(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ruamel.yaml.error.ReusedAnchorWarning)
        return list(ruamel.yaml.YAML(typ="safe", pure=True).load_all(data))


def ruamel_rt(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ruamel.yaml.error.ReusedAnchorWarning)
        return list(ruamel.yaml.YAML().load_all(data))


LOADERS = {"PyYAML": pyyaml, "ruamel.yaml safe": ruamel_safe, "ruamel.yaml rt": ruamel_rt}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def without(docs, key, had_keys):
    out = []
    for i, d in enumerate(docs):
        if isinstance(d, dict) and isinstance(d.get("apiKeys"), dict):
            d = dict(d)
            keys = {k: x for k, x in d["apiKeys"].items() if k != key}
            if not keys and not had_keys.get(i, False):
                del d["apiKeys"]
            else:
                d["apiKeys"] = keys
        if isinstance(d, dict) and "version" not in d:
            d = {"version": 1, **d}
        out.append(d)
    return out


def main():
    for line in sys.stdin:
        job = json.loads(line)
        errors = []
        for name, load in LOADERS.items():
            try:
                old = load(read(job["old"]))
                break
            except Exception as e:  # noqa: BLE001 - any failure to load is the answer
                errors.append(f"{name}: {type(e).__name__}: {e}")
        else:
            print(json.dumps({"old_error": "; ".join(errors)}), flush=True)
            continue
        try:
            new = load(read(job["new"]))
        except Exception as e:  # noqa: BLE001
            print(json.dumps({"new_error": f"{type(e).__name__}: {e}"}), flush=True)
            continue
        had = {i: isinstance(d, dict) and "apiKeys" in d for i, d in enumerate(old)}
        # An empty document is the empty mapping a write starts from.
        old = [{} if d is None else d for d in old] or [{}]
        a, b = canon(without(old, job["key"], had)), canon(without(new, job["key"], had))
        if a == b:
            print(json.dumps({"same": name}), flush=True)
        else:
            print(json.dumps({"diff": f"before: {a!r}\nafter:  {b!r}"}), flush=True)


main()
