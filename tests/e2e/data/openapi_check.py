"""Checks recorded HTTP responses against an OpenAPI 3.1 document, with the reference
Python JSON Schema validator (draft 2020-12, formats checked).

usage: openapi_check.py OPENAPI.json RESPONSES.json

RESPONSES.json is a list of {"method", "path", "status", "headers": {lowercase name: value},
"body": text}. Each must match an operation of the document (the path against its
templates, HEAD as GET; a path it lacks must be a 404 with an Error body), have a status the operation documents (or its "default"), carry
every header that response marks required, valid against its schema, and a body of a
documented media type that validates against its schema (or none when none is documented).
Prints "ok: N responses" and exits 0, or prints one line per failure and exits 1.
"""
import json
import re
import sys

import jsonschema

doc = json.load(open(sys.argv[1]))
responses = json.load(open(sys.argv[2]))
assert doc["openapi"].startswith("3.1"), doc["openapi"]
jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})

# A parameter is one segment; `{path}` (the gate's, as Envoy appends the client's path) is
# the rest of the URL, any number of segments.
templates = [
    (
        re.compile(
            "^"
            + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p).replace(r"\{path\}", ".+"))
            + "$"
        ),
        item,
    )
    for p, item in doc["paths"].items()
]


def validator(schema):
    root = {"components": doc["components"], "$defs": {"target": schema}, "$ref": "#/$defs/target"}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def resolve(obj):
    while isinstance(obj, dict) and "$ref" in obj and obj["$ref"].startswith("#/components/"):
        node = doc
        for part in obj["$ref"][2:].split("/"):
            node = node[part]
        obj = node
    return obj


failures = []
for r in responses:
    what = f'{r["method"]} {r["path"]} -> {r["status"]}'
    items = [item for rx, item in templates if rx.match(r["path"])]
    if not items:
        # A path the document does not have: a 404 in the shape of every error.
        if r["status"] != 404:
            failures.append(f"{what}: no path of the document matches")
            continue
        errors = list(validator({"$ref": "#/components/schemas/Error"}).iter_errors(json.loads(r["body"])))
        if errors:
            failures.append(f"{what}: body: {errors[0].message}")
        continue
    method = "get" if r["method"] == "HEAD" else r["method"].lower()
    op = items[0].get(method)
    if op is None:
        if r["status"] == 405:
            continue
        failures.append(f"{what}: the document has no {method} operation here")
        continue
    spec = op["responses"].get(str(r["status"])) or op["responses"].get("default")
    if spec is None:
        failures.append(f"{what}: status not documented")
        continue
    spec = resolve(spec)
    for name, header in spec.get("headers", {}).items():
        header = resolve(header)
        value = r["headers"].get(name.lower())
        if value is None:
            if header.get("required"):
                failures.append(f"{what}: header {name} is missing")
            continue
        errors = list(validator(header["schema"]).iter_errors(value))
        if errors:
            failures.append(f"{what}: header {name}: {errors[0].message}")
    content = spec.get("content")
    body = r["body"]
    if not content:
        if body:
            failures.append(f"{what}: a body where none is documented: {body[:200]!r}")
        continue
    ctype = r["headers"].get("content-type", "").split(";")[0].strip()
    if ctype not in content:
        failures.append(f"{what}: content-type {ctype!r} is not documented ({list(content)})")
        continue
    if r["method"] == "HEAD":
        continue
    value = json.loads(body) if ctype == "application/json" else body
    errors = sorted(validator(content[ctype]["schema"]).iter_errors(value), key=str)
    for e in errors[:3]:
        failures.append(f"{what}: body at {'/'.join(map(str, e.absolute_path))}: {e.message}")

for f in failures:
    print(f)
if failures:
    sys.exit(1)
print(f"ok: {len(responses)} responses")
