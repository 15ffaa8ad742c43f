#!/usr/bin/python
# -*- coding: utf-8 -*-
# tokenctl_apply: an Ansible module that makes a security.yml's API keys match a desired
# state by running `tokenctl apply --format json -f -`. The file format is tokenctl's: this
# module only hands it the desired state on stdin and reports what it did.
#
# Copyright: the tokenctl authors. Licensed MIT OR Apache-2.0, as tokenctl.

from __future__ import annotations

DOCUMENTATION = r"""
module: tokenctl_apply
short_description: Make the API keys of a tokenctl security.yml match a desired state
description:
  - Runs C(tokenctl apply --format json -f -) on the managed node, giving it the desired
    state of O(keys) on stdin (it is never written to a file there). tokenctl creates the
    keys that are missing, sets the listed fields of the ones that exist, and with
    O(prune=true) deletes the keys O(keys) does not list, in one locked, atomic write that
    keeps every other byte of the file (comments, keys made by hand, other tools' sections).
  - >-
    A key created without a C(hash) gets a new secret, returned once in RV(secrets). Put
    C(no_log: true) on such a task, or the secret ends up in Ansible's output and logs; see
    EXAMPLES for storing it in Ansible Vault or a secret store.
  - In check mode the module runs C(tokenctl apply --dry-run), never writes, and reports
    C(changed) exactly when there is something to do, including on a host where the file
    does not exist yet (then every key would be created).
  - >-
    In diff mode it returns the changed keys' fields before and after, one
    C(name: field: value) per line, in check mode too. Secrets never appear in it, and a
    hash shows only as its fingerprint (C(sha256:1a2b3c4d…)).
  - The file's C(mode), C(owner) and C(group), when given, are set by tokenctl itself
    (C(--file-mode), C(--file-owner), C(--file-group)) on the new file before it replaces
    the old one, never on a path afterwards, so a link swapped in meanwhile cannot have
    another file changed (in check mode, reported and not set). A new file is created with
    mode C(0600) in a folder of mode C(0700).
  - >-
    On failure RV(msg) is tokenctl's own message, for example
    C(<stdin>:4:13: key 'ci': hash must be sha256: followed by 64 lowercase hex digits),
    where C(<stdin>:LINE:COLUMN) counts in the desired state the module sent: C(apiKeys:) on
    line 1, then each key's name on a line of its own followed by one line per field, in
    the order of O(keys). RV(rc) is tokenctl's exit code.
requirements:
  - The C(tokenctl) binary on the managed node (see O(executable)).
options:
  path:
    description:
      - The security.yml to manage (tokenctl's C(--file)).
      - One of O(path) and O(tenant) is required.
    type: path
  tenant:
    description:
      - The tenant whose C(<root>/<tenant>/security.yml) to manage (tokenctl's C(--tenant)).
      - One of O(path) and O(tenant) is required.
    type: str
  root:
    description:
      - The folder holding one folder per tenant (tokenctl's C(--root)), with O(tenant).
      - When not given, tokenctl's default applies, C($TOKENCTL_ROOT) or else C(tenants) in
        the module's working directory; give an absolute path.
    type: path
  new_tenant:
    description:
      - Allow creating the file of a tenant that does not exist yet (tokenctl's
        C(--new-tenant)), with O(tenant).
      - Without it, a O(tenant) with no C(security.yml) fails, naming the nearest existing
        tenant, so a mistyped tenant creates nothing. The first tenant under a O(root) (or
        C($TOKENCTL_ROOT)) that holds no tenant yet needs no flag.
    type: bool
    default: false
  keys:
    description:
      - >-
        The desired state, a dictionary of key name to its fields, the shape of
        security.yml's C(apiKeys). A key may list C(description), C(owner) (who the key
        belongs to, a team or a contact: 1 to 128 printable characters on one line; not
        the file's O(owner)), C(enabled), C(permissions), C(hash) (C(sha256:) and 64 hex
        digits, for a secret provisioned elsewhere), C(expiresAt) (an RFC 3339 time),
        C(allowedIps), C(pathPrefix) and C(resources). Fields left out are left as they are; C(null) removes an optional
        field. A key with no fields (C(name:) or C(name: {})) is created with tokenctl's
        defaults, or left as it is.
      - An existing key's hash is never changed; a different C(hash) fails, naming
        C(tokenctl rotate).
      - >-
        Not given means C({}), which changes nothing (and is refused with O(prune=true); give
        C(keys: {}) to delete every key).
    type: dict
  prune:
    description:
      - Also delete the keys of the file that O(keys) does not list
        (C(tokenctl apply --prune --yes)). Anything using them stops working at once.
    type: bool
    default: false
  executable:
    description:
      - The tokenctl binary to run, a name looked up on the managed node's PATH or a path.
    type: path
    default: tokenctl
  if_unchanged:
    description:
      - Write only if the file's SHA-256 is still this (C(sha256:<hex>), or the bare hex
        digits that RV(sha256) and C(sha256sum) give); if the file changed since, nothing is
        written and the task fails with RV(rc) 6. Checked in check mode too.
    type: str
  mode:
    description:
      - The file's permissions in octal (for example C("0600"); quote it); symbolic modes
        are refused. Not given, a new file gets C(0600) and an existing one keeps its mode.
        C(tokenctl check) reports a file its group or others can read.
    type: raw
  owner:
    description:
      - The file's owner (a user name or id) on the managed node.
    type: str
  group:
    description:
      - The file's group (a group name or id) on the managed node.
    type: str
notes:
  - >-
    Use C(validate: tokenctl check %s) on M(ansible.builtin.template),
    M(ansible.builtin.copy) or M(ansible.builtin.blockinfile) tasks that write the rest of the
    file, so that no template that would break it ever lands.
  - Times in RV(plan) and the diff are UTC; a playbook's C(2027-06-30T00:00:00Z) arrives as
    C(2027-06-30T00:00:00+00:00), the same instant, and is written as C(2027-06-30T00:00:00Z).
  - The module changes the environment of tokenctl only by removing C(TOKENCTL_FILE), so that
    O(tenant) is not overridden by it.
  - tokenctl's README (section "Declarative keys - apply") describes the desired state and
    the report this module returns.
author:
  - tokenctl authors
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: The API keys of tenant acme; the secrets are provisioned elsewhere, only hashes here
  tokenctl_apply:
    tenant: acme
    root: /srv/tenants
    keys:
      ci-deploy:
        description: GitHub Actions deploy job
        owner: team-platform
        permissions: [dns:write]
        hash: sha256:d55a36f51b11c4e4be83efcda7fad05d4e2e1452cd23bbba725d8829ba92ad3e
        expiresAt: 2027-06-30T00:00:00Z
      grafana:
        permissions: [dns:read]
        hash: sha256:4d785be0f2e857cec0a91edb7cbb037b3e9a0f91c1451e9ef6990c609dbb890b
        allowedIps: [10.0.0.0/8]
    # The server reads it as its own user; `tokenctl check` (SPEC: files 0600) refuses a
    # file its group or others can read.
    mode: "0600"
    owner: app

- name: Exactly these keys under a tenant root; every other key is revoked
  tokenctl_apply:
    tenant: acme
    root: /srv/tenants
    executable: /usr/local/bin/tokenctl
    prune: true
    keys:
      ci-deploy:
        enabled: false
      old-job:
        expiresAt: null

# A key without `hash` gets a new secret, returned once: no_log keeps it out of the output.
- name: A key for the monitoring agent, its secret generated by tokenctl
  tokenctl_apply:
    tenant: acme
    root: /srv/tenants
    keys:
      monitoring:
        permissions: [dns:read]
  register: monitoring_key
  no_log: true

# Into Ansible Vault: a vault-encrypted vars file on the controller. The vault filter needs
# a password; here it comes from the vault password file Ansible was started with.
- name: The new secrets, encrypted, in a vars file on the controller
  ansible.builtin.copy:
    dest: "{{ playbook_dir }}/vault/acme-keys.yml"
    mode: "0600"
    # The content is vault text already: copy must not try to decrypt it.
    decrypt: false
    content: >-
      {{ monitoring_key.secrets | items2dict(key_name='name', value_name='token')
         | to_nice_yaml | ansible.builtin.vault(lookup('ansible.builtin.file', vault_password_file)) }}
  delegate_to: localhost
  when: monitoring_key.secrets | length > 0
  no_log: true
# Later: ansible-vault view vault/acme-keys.yml, or vars_files: [vault/acme-keys.yml]
# (whose contents Ansible decrypts when it loads them).

# Into a secret store: on stdin, never in argv (where `ps` shows it). HashiCorp Vault's
# `key=-` reads the value from stdin.
- name: The new secrets in HashiCorp Vault
  ansible.builtin.command:
    argv: [vault, kv, put, "secret/acme/{{ item.name }}", token=-]
    stdin: "{{ item.token }}"
    stdin_add_newline: false  # the token alone, no line break after it
  loop: "{{ monitoring_key.secrets }}"
  loop_control:
    label: "{{ item.name }}"
  delegate_to: localhost
  no_log: true

- name: Only if nobody changed the file since an earlier task read it (registered as earlier)
  tokenctl_apply:
    tenant: acme
    root: /srv/tenants
    if_unchanged: "sha256:{{ earlier.sha256 }}"
    keys:
      grafana:
        description: Read-only dashboards
"""

RETURN = r"""
changed:
  description: Whether tokenctl changed the file (in check mode, whether it would), or its
    mode, owner or group changed (would change).
  returned: always
  type: bool
file:
  description: The security.yml tokenctl worked on, as tokenctl names it.
  returned: success
  type: str
  sample: /srv/tenants/acme/security.yml
sha256:
  description: The SHA-256 of the file's bytes afterwards (in check mode, as read; the
    SHA-256 of no bytes when it does not exist), ready for O(if_unchanged).
  returned: success
  type: str
  sample: 5335c95540c28753e3a1d0532dc11b83212918a1a22b9497abcb6d66f3d5a3e8
summary:
  description: How many keys were (would be) created, updated and deleted, and how many
    already matched.
  returned: success
  type: dict
  sample: {"create": 1, "update": 1, "delete": 0, "unchanged": 3}
plan:
  description:
    - What was (would be) done, one entry per key, in the order of O(keys), then deletions in
      the file's order. Each has C(action) (C(create), C(update) or C(delete)), C(key),
      C(secret) (for a create, C(generated) or C(provided), else null) and C(changes), each
      C(field), C(old) and C(new) (null for absent).
    - A hash shows as its fingerprint, C(sha256:) and 8 hex digits followed by C(…).
  returned: success
  type: list
  elements: dict
  sample:
    - >-
      action: update
      key: ci-deploy
      secret: null
      changes: [{"field": "enabled", "old": true, "new": false}]
    - >-
      action: create
      key: grafana
      secret: provided
      changes:
        - {"field": "enabled", "old": null, "new": true}
        - {"field": "permissions", "old": null, "new": ["dns:read"]}
        - {"field": "hash", "old": null, "new": "sha256:4d785be0…"}
        - {"field": "createdAt", "old": null, "new": "2026-12-01T10:00:00Z"}
unchanged:
  description: The keys of O(keys) that already matched.
  returned: success
  type: list
  elements: str
  sample: [legacy]
secrets:
  description:
    - >-
      The secrets tokenctl generated for new keys listed without C(hash), shown this once
      and stored nowhere else. Each has C(name), C(token) (the secret) and C(fingerprint).
      Empty in check mode. Use C(no_log: true) on the task.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "monitoring", "token": "tk_…", "fingerprint": "f160b5a4"}]
diff:
  description: >-
    In diff mode, the changed keys' fields before and after, one
    C(name: field: value) per line, and the file's changed attributes.
  returned: success, in diff mode
  type: dict
  sample:
    before: "ci-deploy: enabled: true\n"
    after: "ci-deploy: enabled: false\n"
msg:
  description: >-
    On failure, tokenctl's own message (C(file:line:column: problem) where there
    is a position).
  returned: failure
  type: str
  sample: "<stdin>:4:13: key 'ci': hash must be sha256: followed by 64 lowercase hex digits (the SHA-256 of the whole token)"
rc:
  description: On failure, tokenctl's exit code (1 invalid input or file, 2 usage, 6 the
    file changed since O(if_unchanged) or its lock was busy).
  returned: failure
  type: int
  sample: 1
stderr:
  description: On failure, what tokenctl printed on stderr (never a secret).
  returned: failure
  type: str
"""

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule

# `apply --dry-run` exits 8 when something is pending: for check mode that is success.
CHANGES_PENDING = 8

HASH = re.compile(r"^(sha256:[0-9a-f]{8})[0-9a-f]{56}$")


def argument_spec():
    return dict(
        path=dict(type="path"),
        tenant=dict(type="str"),
        root=dict(type="path"),
        new_tenant=dict(type="bool", default=False),
        keys=dict(type="dict", no_log=False),
        prune=dict(type="bool", default=False),
        executable=dict(type="path", default="tokenctl"),
        if_unchanged=dict(type="str"),
        mode=dict(type="raw"),
        owner=dict(type="str"),
        group=dict(type="str"),
    )


def quoted(value):
    """A YAML flow value: JSON is valid YAML, and quoting every string means no value is
    ever read as something else (`yes`, `1e3`, `~`)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def desired_text(keys):
    """The desired state for tokenctl: `apiKeys:`, then each key's name on a line of its own
    and one line per field, so that tokenctl's LINE:COLUMN can be found in it."""
    if not keys:
        return "apiKeys: {}\n"
    lines = ["apiKeys:"]
    for name, fields in keys.items():
        if isinstance(fields, dict) and fields:
            lines.append("  %s:" % quoted(str(name)))
            for field, value in fields.items():
                lines.append("    %s: %s" % (quoted(str(field)), quoted(value)))
        else:
            # null or {}: a key with no fields; anything else is tokenctl's to refuse.
            lines.append("  %s: %s" % (quoted(str(name)), quoted(fields)))
    return "\n".join(lines) + "\n"


def short_hash(value):
    """A hash as its fingerprint. tokenctl's plans already show it so; this keeps an older
    tokenctl's whole hash out of the result and the diff too."""
    if isinstance(value, str):
        m = HASH.match(value)
        if m:
            return m.group(1) + "\u2026"
    return value


def redact_plan(plan):
    for step in plan:
        for change in step.get("changes") or []:
            change["old"] = short_hash(change.get("old"))
            change["new"] = short_hash(change.get("new"))
    return plan


def shown(value):
    """A field's value on one diff line."""
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[%s]" % ", ".join(shown(v) for v in value)
    text = str(value)
    # Control characters (a terminal escape in a description) and edge spaces are escaped.
    if text != text.strip() or not text or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text):
        return json.dumps(text)
    return text


def diff_texts(plan):
    """(before, after): `name: field: value` lines of the fields the plan changes."""
    before, after = [], []
    for step in plan:
        name, action = step.get("key"), step.get("action")
        if action == "delete":
            before.append(name)
            continue
        for change in step.get("changes") or []:
            if action == "update":
                before.append("%s: %s: %s" % (name, change["field"], shown(change.get("old"))))
            after.append("%s: %s: %s" % (name, change["field"], shown(change.get("new"))))
        if action == "create" and step.get("secret") == "generated":
            after.append("%s: hash: (a new secret, generated by tokenctl)" % name)
    return before, after


def error_message(stderr, rc):
    """tokenctl's own message: its `error: ...` line and what follows it, without the prefix."""
    lines = stderr.strip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("error: "):
            return "\n".join([lines[i][len("error: "):]] + lines[i + 1:])
    text = stderr.strip()
    return text or "tokenctl exited with code %d and printed no message" % rc


def octal_mode(module, mode):
    """`mode` as octal digits: a YAML 0640 arrives as the number 416, a quoted one as text."""
    if isinstance(mode, int):
        return "%04o" % mode
    text = str(mode).strip()
    if not re.match(r"^0?[0-7]{3}$", text):
        module.fail_json(msg="mode %r is not an octal mode such as \"0600\" (symbolic modes are not supported)" % (mode,))
    return text


def find_tokenctl(module, executable):
    if os.sep in executable:
        if os.path.isfile(executable) and os.access(executable, os.X_OK):
            return executable
        module.fail_json(msg="executable %s is not an executable file; give the path of the tokenctl binary" % executable)
    found = module.get_bin_path(executable)
    if not found:
        module.fail_json(
            msg="%s not found on the PATH of the managed node (%s); install tokenctl there, or set executable to its path"
            % (executable, os.environ.get("PATH", ""))
        )
    return found


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_one_of=[("path", "tenant")],
        mutually_exclusive=[("path", "tenant")],
        required_by={"root": "tenant"},
        supports_check_mode=True,
    )
    p = module.params
    if p["prune"] and p["keys"] is None:
        module.fail_json(msg="prune: true without keys would delete every key; to mean that, give keys: {}")

    argv = [find_tokenctl(module, p["executable"]), "--color", "never", "--format", "json"]
    if p["path"] is not None:
        argv += ["--file", p["path"]]
    else:
        argv += ["--tenant", p["tenant"]]
        if p["root"] is not None:
            argv += ["--root", p["root"]]
    argv += ["apply", "-f", "-"]
    if p["new_tenant"]:
        argv += ["--new-tenant"]
    if module.check_mode:
        argv.append("--dry-run")
    if p["prune"]:
        argv += ["--prune", "--yes"]
    if p["if_unchanged"] is not None:
        argv += ["--if-unchanged", p["if_unchanged"]]
    # Owner, group and mode are given by tokenctl to the file it writes, before the rename:
    # setting them here afterwards, by name, would follow a link swapped in meanwhile.
    if p["owner"] is not None:
        argv += ["--file-owner", str(p["owner"])]
    if p["group"] is not None:
        argv += ["--file-group", str(p["group"])]
    if p["mode"] is not None:
        argv += ["--file-mode", octal_mode(module, p["mode"])]

    # TOKENCTL_FILE would override --tenant.
    os.environ.pop("TOKENCTL_FILE", None)
    rc, out, err = module.run_command(
        argv, data=desired_text(p["keys"]), binary_data=True, expand_user_and_vars=False
    )
    ok = rc == 0 or (module.check_mode and rc == CHANGES_PENDING)
    if not ok:
        module.fail_json(msg=error_message(err, rc), rc=rc, stderr=err, cmd=argv)
    try:
        report = json.loads(out)
        if not isinstance(report, dict) or "changed" not in report:
            raise ValueError("not a report")
    except ValueError:
        # Never echo stdout: a report it could not read may hold new secrets.
        module.fail_json(
            msg="%s exited with code %d but printed no JSON report on stdout; is it tokenctl with `apply --format json`? "
            "If it created keys without hash, their secrets are lost: rotate those keys" % (argv[0], rc),
            rc=rc,
            stderr=err,
            cmd=argv,
        )
    for line in err.splitlines():
        if line.startswith("warning: "):
            module.warn(line[len("warning: "):])
    if report.get("secrets") and not module.no_log:
        module.warn("tokenctl generated secrets for %s, returned in `secrets`; put no_log: true on this task to keep them out of Ansible's output and logs"
                    % ", ".join(s.get("name", "?") for s in report["secrets"]))

    plan = redact_plan(report.get("plan") or [])
    changed = bool(report["changed"])
    before, after = diff_texts(plan)

    # The attributes tokenctl changed (would change): owner and group as ids, mode in octal.
    for change in report.get("attributes") or []:
        name = report.get("file")
        before.append("%s: %s: %s" % (name, change.get("field"), change.get("old")))
        after.append("%s: %s: %s" % (name, change.get("field"), change.get("new")))

    result = dict(
        changed=changed,
        file=report.get("file"),
        sha256=report.get("sha256"),
        summary=report.get("summary"),
        plan=plan,
        unchanged=report.get("unchanged") or [],
        secrets=report.get("secrets") or [],
    )
    if module._diff:
        header = report.get("file")
        result["diff"] = dict(
            before="".join(line + "\n" for line in before),
            after="".join(line + "\n" for line in after),
            before_header=header,
            after_header=header,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
