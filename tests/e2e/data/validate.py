"""Validates YAML files against a JSON Schema with the reference Python validator.

usage: validate.py SCHEMA FILE...   prints one line per file: "<file>: ok" or "<file>: invalid"
"""
import json
import sys

import jsonschema
import yaml


class Loader(yaml.SafeLoader):
    """YAML 1.2 as tokenctl reads it: a timestamp is text, not a datetime."""


Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator
validator.check_schema(schema)
checker = validator(schema, format_checker=jsonschema.FormatChecker())
for path in sys.argv[2:]:
    with open(path) as f:
        doc = yaml.load(f, Loader=Loader)
    print(f"{path}: {'ok' if checker.is_valid(doc) else 'invalid'}")
