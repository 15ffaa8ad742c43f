"""Offline sanity checks of an Ansible module, in the spirit of `ansible-test sanity`'s
compile, import and validate-modules tests (which build virtualenvs from the network, so
they cannot run here): run by tests/e2e/ansible.rs.

    python3 ansible_sanity.py MODULE.py [RESULT.json]

Checks that the module compiles (and parses as Python 3.8, the oldest a managed node may
run under ansible-core 2.19), imports only the standard library and ansible.module_utils,
has DOCUMENTATION, EXAMPLES and RETURN that parse as YAML, that the argument spec it hands
AnsibleModule matches DOCUMENTATION's options (names, types, defaults, required, choices,
elements, aliases) as validate-modules checks it, that EXAMPLES use only documented options,
and, given a registered result as JSON, that RETURN documents every key in it.
Prints one problem per line and exits 1, or prints "ok" and exits 0.
"""

import ast
import importlib.util
import json
import os
import py_compile
import re
import sys
import tempfile
from unittest import mock

# Leave no __pycache__ beside the module (it lives in the repository).
sys.dont_write_bytecode = True

import yaml
import ansible.module_utils.basic as basic

# validate-modules' rule: such names must say no_log explicitly, True or False.
NO_LOG_NAME = re.compile(r"(?:pass(?!ive)|secret|token|key)", re.I)
# What Ansible itself adds to a registered result.
ANSIBLE_KEYS = {"changed", "failed", "invocation", "warnings", "deprecations", "skipped"}


class Captured(Exception):
    pass


def module_strings(tree):
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                out[node.targets[0].id] = node.value.value
    return out


def check_imports(tree, problems):
    stdlib = set(sys.stdlib_module_names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in stdlib or name == "ansible.module_utils" or name.startswith("ansible.module_utils."):
                continue
            problems.append("line %d: imports %s, which a managed node may not have (only the standard library and ansible.module_utils)" % (node.lineno, name))


def argument_spec_of(path):
    """What the module passes to AnsibleModule, caught as validate-modules catches it."""
    spec = importlib.util.spec_from_file_location("module_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    captured = {}

    def fake_init(self, *args, **kwargs):
        captured.update(kwargs)
        if args:
            captured["argument_spec"] = args[0]
        raise Captured()

    with mock.patch.object(basic.AnsibleModule, "__init__", fake_init):
        try:
            mod.main()
        except Captured:
            pass
    if "argument_spec" not in captured:
        raise SystemExit("%s: main() never created an AnsibleModule" % path)
    return captured


def compare_options(doc_options, kwargs, problems):
    spec = kwargs["argument_spec"]
    for name in sorted(set(spec) - set(doc_options)):
        problems.append("option %s is in the argument spec but not in DOCUMENTATION" % name)
    for name in sorted(set(doc_options) - set(spec)):
        problems.append("option %s is in DOCUMENTATION but not in the argument spec" % name)
    for name in sorted(set(spec) & set(doc_options)):
        s, d = spec[name], doc_options[name] or {}
        pairs = [
            ("type", s.get("type", "str"), d.get("type", "str")),
            ("default", s.get("default"), d.get("default")),
            ("required", bool(s.get("required", False)), bool(d.get("required", False))),
            ("choices", s.get("choices"), d.get("choices")),
            ("elements", s.get("elements"), d.get("elements")),
            ("aliases", sorted(s.get("aliases") or []), sorted(d.get("aliases") or [])),
        ]
        for what, in_spec, in_doc in pairs:
            if in_spec != in_doc:
                problems.append("option %s: %s is %r in the argument spec but %r in DOCUMENTATION" % (name, what, in_spec, in_doc))
        if not d.get("description"):
            problems.append("option %s has no description" % name)
        if s.get("required") and "default" in s:
            problems.append("option %s is required and has a default" % name)
        if NO_LOG_NAME.search(name) and "no_log" not in s:
            problems.append("option %s could be a secret by its name: set no_log (True or False) explicitly" % name)
    for rule in ("mutually_exclusive", "required_one_of", "required_together"):
        for group in kwargs.get(rule) or []:
            for name in group:
                if name not in spec:
                    problems.append("%s names %s, which is not an option" % (rule, name))
    for name, needs in (kwargs.get("required_by") or {}).items():
        for n in [name] + ([needs] if isinstance(needs, str) else list(needs)):
            if n not in spec:
                problems.append("required_by names %s, which is not an option" % n)


def check_examples(examples, module_name, options, problems):
    tasks = yaml.safe_load(examples)
    if not isinstance(tasks, list) or not tasks:
        problems.append("EXAMPLES is not a list of tasks")
        return
    used = 0
    for task in tasks:
        for key, args in task.items():
            if key == module_name or key.endswith("." + module_name):
                used += 1
                for name in args or {}:
                    if name not in options:
                        problems.append("EXAMPLES: task %r passes %s, which is not an option" % (task.get("name"), name))
    if not used:
        problems.append("EXAMPLES never uses %s" % module_name)


def main(argv):
    path = argv[1]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        py_compile.compile(path, cfile=os.path.join(tmp, "module.pyc"), doraise=True)
    source = open(path, encoding="utf-8").read()
    tree = ast.parse(source, filename=path, feature_version=(3, 8))
    check_imports(tree, problems)
    strings = module_strings(tree)
    docs = {}
    for name in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        if name not in strings:
            problems.append("no %s string" % name)
            continue
        try:
            docs[name] = yaml.safe_load(strings[name])
        except yaml.YAMLError as e:
            problems.append("%s is not YAML: %s" % (name, e))
    doc = docs.get("DOCUMENTATION") or {}
    module_name = os.path.splitext(os.path.basename(path))[0]
    if doc.get("module") != module_name:
        problems.append("DOCUMENTATION says module %r, the file is %s" % (doc.get("module"), module_name))
    for field in ("short_description", "description", "options", "author"):
        if not doc.get(field):
            problems.append("DOCUMENTATION has no %s" % field)
    options = doc.get("options") or {}
    compare_options(options, argument_spec_of(path), problems)
    if "EXAMPLES" in docs:
        check_examples(strings["EXAMPLES"], module_name, options, problems)
    returns = docs.get("RETURN") or {}
    for name, entry in returns.items():
        for field in ("description", "returned", "type"):
            if field not in (entry or {}):
                problems.append("RETURN %s has no %s" % (name, field))
    if len(argv) > 2:
        result = json.load(open(argv[2], encoding="utf-8"))
        for name in sorted(set(result) - ANSIBLE_KEYS - set(returns)):
            if not name.startswith("_ansible"):
                problems.append("the module returned %s, which RETURN does not document" % name)
    for p in problems:
        print(p)
    if problems:
        return 1
    print("ok: %s (%d options)" % (path, len(options)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
