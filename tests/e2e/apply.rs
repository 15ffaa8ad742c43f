//! `apply -f DESIRED`: create, update, prune, dry run, JSON report, refusals, one atomic write.

use crate::support::env::*;
use crate::support::sha256_hex;
use serde_json::json;
use std::fs;

const H_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const H_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
/// A hash already in fixtures/hand-edited.yml.
const H_GRAFANA: &str = "sha256:4fdce7a5c16a0ac7546d5886e794f3b1332769e718f9a08dacb613bcc65360c6";

/// Writes the desired state as `desired.yml` in the test folder (the commands' cwd).
fn desired(env: &TestEnv, text: &str) {
    fs::write(env.dir.path().join("desired.yml"), text).unwrap();
}

/// Replaces exactly one occurrence, so an expected text cannot drift silently.
#[track_caller]
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} should occur once");
    text.replacen(from, to, 1)
}

const HAND_DESIRED: &str = "# what config management wants
grafana:
  permissions: [dns:read]            # billing:read goes
legacy:
  enabled: true
ci-deploy:
  hash: sha256:d593ed019dc622a8a397c2bb01a21496a8bdc9af826f00699366f1e4a11fb164
  expiresAt: 2027-02-20T11:00:00+01:00   # the same instant as the file's
new-provided:
  description: provisioned in Vault
  permissions: [dns:read]
  hash: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
new-generated:
  permissions: [domains:read]
  expiresAt: 2027-01-01T00:00:00Z
";

#[test]
fn apply_creates_and_updates_and_leaves_every_other_byte_alone() {
    let env = TestEnv::new();
    let before = String::from_utf8(env.fixture("hand-edited.yml")).unwrap();
    desired(&env, HAND_DESIRED);
    let out = env.run(&["apply", "-f", "desired.yml"]);
    out.success()
        .stderr_has("~ update grafana")
        .stderr_has("    permissions: [dns:read, billing:read] -> [dns:read]")
        .stderr_has("+ create new-generated (with a new secret, printed once)")
        .stderr_has("Applied: 2 created, 2 updated, 0 deleted, 1 unchanged.");
    // stdout: one `NAME SECRET` line per generated secret, nothing else.
    let (name, secret) = out.stdout.trim_end().split_once(' ').unwrap();
    assert_eq!(name, "new-generated");
    assert!(
        secret.starts_with("acme_") && secret.len() == 5 + 72,
        "{secret}"
    );
    assert!(!out.stderr.contains(secret));
    let file = env.read();
    assert!(
        !file.contains(&secret[5..]),
        "the secret must not be in the file"
    );

    let mut expected = replace_once(
        &before,
        "      - dns:read\n      - billing:read\n",
        "      - dns:read\n",
    );
    expected = replace_once(
        &expected,
        "hash: sha256:cce21213e6e5e99675e88dd63f99dc764953a5822d4eedc29ed9200503a0dfb8, enabled: false}",
        "hash: sha256:cce21213e6e5e99675e88dd63f99dc764953a5822d4eedc29ed9200503a0dfb8, enabled: true}",
    );
    expected = replace_once(
        &expected,
        "      - example.org\n",
        &format!(
            "      - example.org
  new-provided:
    description: provisioned in Vault
    enabled: true
    permissions: [dns:read]
    hash: {H_A}
    createdAt: {NOW}
  new-generated:
    enabled: true
    permissions: [domains:read]
    hash: sha256:{}
    createdAt: {NOW}
    expiresAt: 2027-01-01T00:00:00Z
",
            sha256_hex(secret.as_bytes())
        ),
    );
    assert_eq!(file, expected);
    // The generated secret works.
    env.run_with(&["verify", "--permission", "domains:read"], secret)
        .success();
}

#[test]
fn the_same_desired_state_twice_changes_nothing() {
    let env = TestEnv::new();
    env.fixture("hand-edited.yml");
    desired(&env, HAND_DESIRED);
    env.run(&["apply", "-f", "desired.yml"]).success();
    let after_first = env.bytes();
    let out = env.run(&["apply", "-f", "desired.yml"]);
    out.success()
        .stdout_empty()
        .stderr_has("No changes: the 5 keys of the desired state already match.");
    assert_eq!(env.bytes(), after_first);
    let out = env.run(&["apply", "-f", "desired.yml", "--format", "json"]);
    out.success();
    assert_eq!(out.json()["changed"], json!(false));
    assert_eq!(env.bytes(), after_first);
    env.run(&["apply", "-f", "desired.yml", "--dry-run"])
        .success();
    // An expiry in the past is refused where it is set, and nothing is written.
    desired(&env, "grafana:\n  expiresAt: 2020-01-01T00:00:00Z\n");
    let before = env.bytes();
    let out = env.run(&["apply", "-f", "desired.yml"]);
    out.code(1);
    assert_eq!(
        out.stderr,
        "error: desired.yml:2:14: key 'grafana': expiresAt 2020-01-01T00:00:00Z is not in the \
         future; the key would be expired at once (give a later time, a duration such as 30d, \
         or `never`; `tokenctl update NAME --disable` stops a key now)\n"
    );
    assert_eq!(env.bytes(), before);
}

#[test]
fn dry_run_prints_a_readable_plan_exits_8_and_writes_nothing() {
    let env = TestEnv::new();
    let before = env.fixture("hand-edited.yml");
    desired(
        &env,
        &format!(
            "apiKeys:
  grafana:
    description: null
    allowedIps: [10.0.0.0/8]
    resources: [example.com]
  new-provided:
    hash: {H_A}
    enabled: false
"
        ),
    );
    let out = env.run(&["apply", "-f", "desired.yml", "--dry-run", "--prune"]);
    out.code(8).stderr_has(
        "Dry run: 1 to create, 1 to update, 3 to delete, 0 unchanged; nothing was written",
    );
    assert_eq!(
        out.stdout,
        format!(
            "~ update grafana
    description: Read-only dashboards -> (absent)
    allowedIps: [10.0.0.0/8, 2001:db8::/32] -> [10.0.0.0/8]
    resources: (absent) -> [example.com]
+ create new-provided (with the provided hash)
    enabled: false
    permissions: []
    hash: sha256:aaaaaaaa…
    createdAt: 2026-11-22T10:00:00Z
- delete ci-deploy
- delete legacy
- delete billing-export
Plan: 1 to create, 1 to update, 3 to delete, 0 unchanged.
"
        )
    );
    assert_eq!(env.bytes(), before, "a dry run writes nothing");

    // Applied, the same dry run has nothing to do: exit 0.
    env.run(&["apply", "-f", "desired.yml", "--prune", "--yes"])
        .success()
        .stderr_has("Applied: 1 created, 1 updated, 3 deleted, 0 unchanged.");
    let out = env.run(&["apply", "-f", "desired.yml", "--dry-run", "--prune"]);
    out.success();
    assert_eq!(
        out.stdout,
        "No changes: the 2 keys of the desired state already match.\n"
    );
    let file = env.read();
    assert!(file.contains("# Settings of the rate limiter"), "{file}");
    assert!(file.contains("    allowedIps: [10.0.0.0/8]\n"), "{file}");
    assert!(!file.contains("Read-only dashboards"), "{file}");
    assert!(!file.contains("ci-deploy:"), "{file}");
}

#[test]
fn json_report_has_a_stable_shape() {
    let env = TestEnv::new();
    env.create("old", &["--permission", "dns:read"]);
    let old_hash = env
        .read()
        .lines()
        .find_map(|l| l.trim().strip_prefix("hash: ").map(String::from))
        .unwrap();
    desired(
        &env,
        &format!(
            "old:\n  enabled: false\n  expiresAt: 2027-01-01T00:00:00Z\n  hash: {old_hash}\nnew:\n  hash: {H_A}\n  permissions: [dns:read, dns:write]\n"
        ),
    );
    let before = env.bytes();
    let dry = env.run(&[
        "apply",
        "-f",
        "desired.yml",
        "--dry-run",
        "--format",
        "json",
    ]);
    dry.code(8);
    let plan = json!([
        {
            "action": "update",
            "key": "old",
            "secret": null,
            "changes": [
                {"field": "enabled", "old": true, "new": false},
                {"field": "expiresAt", "old": null, "new": "2027-01-01T00:00:00Z"}
            ]
        },
        {
            "action": "create",
            "key": "new",
            "secret": "provided",
            "changes": [
                {"field": "enabled", "old": null, "new": true},
                {"field": "permissions", "old": null, "new": ["dns:read", "dns:write"]},
                {"field": "hash", "old": null, "new": "sha256:aaaaaaaa…"},
                {"field": "createdAt", "old": null, "new": NOW}
            ]
        }
    ]);
    let summary = json!({"create": 1, "update": 1, "delete": 0, "unchanged": 0});
    let file = env.file().display().to_string();
    assert_eq!(
        dry.json(),
        json!({
            "changed": true,
            "dryRun": true,
            "file": file,
            "sha256": sha256_hex(&before),
            "summary": summary,
            "plan": plan,
            "unchanged": [],
            "secrets": []
        })
    );
    assert_eq!(env.bytes(), before);

    let out = env.run(&["apply", "-f", "desired.yml", "--format", "json"]);
    out.success();
    assert_eq!(
        out.json(),
        json!({
            "changed": true,
            "dryRun": false,
            "file": file,
            "sha256": sha256_hex(env.bytes()),
            "summary": summary,
            "plan": plan,
            "unchanged": [],
            "secrets": []
        })
    );
    // Field order is part of the shape.
    let keys: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  \""))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "changed",
            "dryRun",
            "file",
            "sha256",
            "summary",
            "plan",
            "unchanged",
            "secrets"
        ]
    );

    let again = env.run(&["apply", "-f", "desired.yml", "--format", "json"]);
    again.success();
    assert_eq!(
        again.json(),
        json!({
            "changed": false,
            "dryRun": false,
            "file": file,
            "sha256": sha256_hex(env.bytes()),
            "summary": {"create": 0, "update": 0, "delete": 0, "unchanged": 2},
            "plan": [],
            "unchanged": ["old", "new"],
            "secrets": []
        })
    );
}

#[test]
fn a_plan_shows_a_hash_by_its_fingerprint_only() {
    let digits = &H_A["sha256:".len()..];
    for format in ["table", "json", "yaml"] {
        for dry_run in [true, false] {
            let env = TestEnv::new();
            desired(&env, &format!("apiKeys:\n  a:\n    hash: {H_A}\n"));
            let mut args = vec!["apply", "-f", "desired.yml", "--format", format];
            if dry_run {
                args.push("--dry-run");
            }
            let out = env.run(&args);
            out.code(if dry_run { 8 } else { 0 });
            let shown = format!("{}{}", out.stdout, out.stderr);
            assert!(!shown.contains(digits), "{format}: {shown}");
            assert!(shown.contains("sha256:aaaaaaaa…"), "{format}: {shown}");
            if !dry_run {
                assert!(env.read().contains(H_A), "the file has the whole hash");
            }
        }
    }
}

#[test]
fn a_dry_run_on_a_missing_file_plans_every_key_as_a_create() {
    // Ansible's check mode on a new host: the plan, exit 8, and still no file.
    let env = TestEnv::new();
    desired(&env, &format!("a:\n  hash: {H_A}\nb:\n  enabled: false\n"));
    let out = env.run(&[
        "apply",
        "-f",
        "desired.yml",
        "--dry-run",
        "--format",
        "json",
    ]);
    out.code(8);
    let report = out.json();
    assert_eq!(report["changed"], json!(true));
    assert_eq!(
        report["summary"],
        json!({"create": 2, "update": 0, "delete": 0, "unchanged": 0})
    );
    assert_eq!(report["plan"][0]["secret"], json!("provided"));
    assert_eq!(report["plan"][1]["secret"], json!("generated"));
    assert_eq!(report["sha256"], json!(sha256_hex(b"")));
    assert!(!env.file().exists(), "a dry run creates no file");
    assert!(!env.file().parent().unwrap().exists(), "nor its folder");
}

#[test]
fn generated_secrets_are_in_the_json_once() {
    let env = TestEnv::new();
    desired(&env, "apiKeys:\n  a:\n    permissions: [x:read]\n  b: {}\n");
    let out = env.run(&["apply", "-f", "desired.yml", "--format", "json"]);
    out.success();
    let report = out.json();
    let secrets = report["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2);
    let file = env.read();
    for (s, name) in secrets.iter().zip(["a", "b"]) {
        assert_eq!(s["name"], json!(name));
        let token = s["token"].as_str().unwrap();
        assert!(token.starts_with("tk_"), "{token}");
        let hash = sha256_hex(token.as_bytes());
        assert_eq!(s["fingerprint"], json!(&hash[..8]));
        assert!(file.contains(&format!("hash: sha256:{hash}")));
        assert!(!out.stderr.contains(token));
    }
    assert_eq!(report["plan"][0]["secret"], json!("generated"));
    // A new file: written in the spec's style, mode 0600.
    assert!(
        file.starts_with("version: 1\napiKeys:\n  a:\n    enabled: true\n"),
        "{file}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(env.file()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The second run does not make new secrets.
    let again = env.run(&["apply", "-f", "desired.yml", "--format", "json"]);
    again.success();
    assert_eq!(again.json()["secrets"], json!([]));
    assert_eq!(env.read(), file);
}

#[test]
fn prune_needs_yes_when_it_cannot_ask() {
    let env = TestEnv::new();
    env.create("keep", &[]);
    env.create("stray", &[]);
    let before = env.bytes();
    desired(&env, "keep: {}\n");
    let out = env.run(&["apply", "-f", "desired.yml", "--prune"]);
    out.code(2).stderr_has("--yes").stdout_empty();
    assert_eq!(env.bytes(), before);
    let out = env.run(&["apply", "-f", "desired.yml", "--prune", "--yes"]);
    out.success()
        .stdout_empty()
        .stderr_has("- delete stray")
        .stderr_has("Applied: 0 created, 0 updated, 1 deleted, 1 unchanged.");
    let file = env.read();
    assert!(
        file.contains("  keep:\n") && !file.contains("stray"),
        "{file}"
    );
    // Without --prune, keys the desired state lacks are left alone.
    env.create("other", &[]);
    env.run(&["apply", "-f", "desired.yml"]).success();
    assert!(env.read().contains("  other:\n"));
}

#[test]
fn an_existing_hash_is_never_changed() {
    let env = TestEnv::new();
    let before = env.fixture("hand-edited.yml");
    desired(
        &env,
        &format!("grafana:\n  enabled: false\nci-deploy:\n  enabled: false\n  hash: {H_B}\n"),
    );
    let out = env.run(&["apply", "-f", "desired.yml"]);
    out.code(1)
        .stdout_empty()
        .stderr_has("desired.yml:5:9: key 'ci-deploy' exists with a different hash")
        .stderr_has("`tokenctl rotate ci-deploy`");
    assert_eq!(
        env.bytes(),
        before,
        "all or nothing: grafana is not disabled either"
    );
    env.run(&["apply", "-f", "desired.yml", "--dry-run"])
        .code(1)
        .stderr_has("rotate");
}

#[test]
fn bad_desired_states_name_file_line_and_column_and_change_nothing() {
    let env = TestEnv::new();
    let before = env.fixture("hand-edited.yml");
    let cases = [
        (
            "grafana:\n  permisions: [dns:read]\n".to_string(),
            "desired.yml:2:3: key 'grafana': unknown field 'permisions'; did you mean 'permissions'?",
        ),
        (
            "apiKeys:\n  ok: {}\n  ../etc: {}\n".to_string(),
            "desired.yml:3:3: invalid key name \"../etc\"",
        ),
        (
            "fresh:\n  hash: sha256:AAAA\n".to_string(),
            "desired.yml:2:9: key 'fresh': hash must be sha256: followed by 64 lowercase hex digits",
        ),
        (
            format!("fresh:\n  hash: {H_A}\nother: {{}}\nfresh:\n  enabled: false\n"),
            "desired.yml:4:1: key 'fresh' is listed twice (first at line 1, column 1)",
        ),
        (
            "grafana:\n  permissions: [dns:read, dns:delete]\n".to_string(),
            "desired.yml:2:27: key 'grafana': unknown permission 'dns:delete'",
        ),
        (
            format!("fresh:\n  hash: {H_GRAFANA}\n"),
            "desired.yml:2:9: key 'fresh': that hash already belongs to key 'grafana'",
        ),
        (
            format!("a:\n  hash: {H_A}\nb:\n  hash: {H_A}\n"),
            "desired.yml:4:9: key 'b' has the same hash as key 'a'",
        ),
        (
            "grafana:\n  enabled: maybe\n".to_string(),
            "desired.yml:2:12: key 'grafana': enabled must be true or false",
        ),
        (
            "grafana:\n  expiresAt: 90d\n".to_string(),
            "desired.yml:2:14: key 'grafana': expiresAt: \"90d\" is not an RFC 3339 time",
        ),
        (
            "grafana: [x]\n".to_string(),
            "desired.yml:1:10: key 'grafana' must be a mapping of fields",
        ),
        (
            "grafana:\n  createdAt: 2026-01-01T00:00:00Z\n".to_string(),
            "desired.yml:2:3: key 'grafana': createdAt is set by tokenctl",
        ),
        (
            "apiKeys: {}\nrateLimit: {burst: 1}\n".to_string(),
            "desired.yml:2:1: unknown top-level field \"rateLimit\"",
        ),
        (
            "grafana:\n  permissions: [dns:read\n".to_string(),
            "desired.yml:3:1:",
        ),
    ];
    for (text, message) in cases {
        desired(&env, &text);
        for extra in [&[][..], &["--dry-run"][..], &["--prune", "--yes"][..]] {
            let mut args = vec!["apply", "-f", "desired.yml"];
            args.extend_from_slice(extra);
            let out = env.run(&args);
            out.code(1)
                .stdout_empty()
                .stderr_has(&format!("error: {message}"));
            assert_eq!(env.bytes(), before, "nothing written for {text:?}");
        }
    }
}

#[test]
fn the_desired_state_can_come_from_stdin_in_either_shape() {
    let wrapped =
        format!("version: 1\napiKeys:\n  a:\n    hash: {H_A}\n    permissions: [x:read]\n");
    let bare = format!("a:\n  hash: {H_A}\n  permissions: [x:read]\n");
    let mut files = Vec::new();
    for text in [&wrapped, &bare] {
        let env = TestEnv::new();
        env.run_with(&["apply", "-f", "-"], text).success();
        files.push(env.read());
    }
    assert_eq!(files[0], files[1]);
    let env = TestEnv::new();
    env.run_with(&["apply", "-f", "-"], "a:\n  nope: 1\n")
        .code(1)
        .stderr_has("error: <stdin>:2:3: key 'a': unknown field 'nope'");
    // An empty input is refused, not taken as "no keys" (which --prune would act on).
    env.create("keep", &[]);
    let before = env.bytes();
    env.run_with(&["apply", "-f", "-", "--prune", "--yes"], "")
        .code(1)
        .stderr_has("the desired state is empty; to want no keys at all, write `apiKeys: {}`");
    assert_eq!(env.bytes(), before);
    env.run_with(&["apply", "-f", "-", "--prune", "--yes"], "apiKeys: {}\n")
        .success()
        .stderr_has("- delete keep");
    assert_eq!(env.read(), "version: 1\napiKeys: {}\n");
    env.run(&["apply", "-f", "missing.yml"])
        .code(1)
        .stderr_has("missing.yml: no such file");
}

#[test]
fn null_removes_a_field_and_absent_leaves_it() {
    let env = TestEnv::new();
    env.create(
        "k",
        &[
            "--description",
            "temp",
            "--expires",
            "30d",
            "--path-prefix",
            "/api",
            "--permission",
            "a:b",
        ],
    );
    desired(
        &env,
        "k:\n  description: null\n  expiresAt: ~\n  pathPrefix: null\n",
    );
    let before = env.read();
    env.run(&["apply", "-f", "desired.yml"]).success();
    let after = env.read();
    let dropped: Vec<&str> = before.lines().filter(|l| !after.contains(l)).collect();
    assert_eq!(
        dropped,
        [
            "    description: temp",
            "    expiresAt: 2026-12-22T10:00:00Z",
            "    pathPrefix: /api"
        ]
    );
    assert!(after.contains("    permissions: [a:b]\n"), "{after}");
}

#[test]
fn if_unchanged_guards_the_apply() {
    let env = TestEnv::new();
    env.create("a", &[]);
    desired(&env, "a:\n  enabled: false\n");
    let before = env.bytes();
    let stale = format!("sha256:{}", "0".repeat(64));
    for extra in [&[][..], &["--dry-run"][..]] {
        let mut args = vec!["apply", "-f", "desired.yml", "--if-unchanged", &stale];
        args.extend_from_slice(extra);
        env.run(&args).code(6).stderr_has("changed since");
        assert_eq!(env.bytes(), before);
    }
    // The digest a dry run reports applies exactly the plan that was reviewed.
    let dry = env.run(&[
        "apply",
        "-f",
        "desired.yml",
        "--dry-run",
        "--format",
        "json",
    ]);
    dry.code(8);
    let digest = format!("sha256:{}", dry.json()["sha256"].as_str().unwrap());
    assert_eq!(digest, format!("sha256:{}", sha256_hex(&before)));
    env.run(&["apply", "-f", "desired.yml", "--if-unchanged", &digest])
        .success();
    assert!(env.read().contains("    enabled: false\n"));
    env.run(&["apply", "-f", "desired.yml", "--if-unchanged", "nonsense"])
        .code(2)
        .stderr_has("--if-unchanged");
}

#[test]
fn output_is_the_same_bytes_for_the_same_inputs_in_any_time_zone() {
    let text = format!(
        "zeta:\n  hash: {H_A}\n  expiresAt: 2027-03-01T09:30:00+05:30\n  allowedIps: [192.0.2.1, 2001:db8::/48]\nalpha:\n  hash: {H_B}\n  resources: [b.example, a.example]\n  permissions: [\"*\"]\n"
    );
    let mut results = Vec::new();
    for tz in ["UTC", "America/New_York", "Asia/Kolkata"] {
        let env = TestEnv::new();
        env.fixture("hand-edited.yml");
        desired(&env, &text);
        let dry = env
            .cmd()
            .env("TZ", tz)
            .args([
                "apply",
                "-f",
                "desired.yml",
                "--dry-run",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(dry.status.code(), Some(8));
        let run = env
            .cmd()
            .env("TZ", tz)
            .args(["apply", "-f", "desired.yml", "--format", "json"])
            .output()
            .unwrap();
        assert!(run.status.success());
        let dry = String::from_utf8(dry.stdout).unwrap();
        let run = String::from_utf8(run.stdout)
            .unwrap()
            .replace(&env.file().display().to_string(), "FILE");
        results.push((
            dry.replace(&env.file().display().to_string(), "FILE"),
            run,
            env.read(),
        ));
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0], results[2]);
    let file = &results[0].2;
    assert!(
        file.contains("    expiresAt: 2027-03-01T04:00:00Z\n"),
        "{file}"
    );
    assert!(
        file.contains("    allowedIps: [192.0.2.1/32, 2001:db8::/48]\n"),
        "{file}"
    );
    assert!(file.contains("    permissions: [\"*\"]\n"), "{file}");
    // Keys land in the desired state's order, after the existing ones.
    assert!(file.find("  zeta:").unwrap() < file.find("  alpha:").unwrap());
}

#[test]
fn a_flow_style_api_keys_mapping_is_edited_in_place() {
    let env = TestEnv::new();
    env.write(format!(
        "apiKeys: {{a: {{hash: {H_A}}}, b: {{hash: {H_B}}}}}  # flow, kept\nother: 1\n"
    ));
    desired(&env, "b:\n  enabled: false\nc: {}\n");
    env.run(&["apply", "-f", "desired.yml", "--prune", "--yes"])
        .success();
    let file = env.read();
    assert!(
        file.starts_with(&format!(
            "apiKeys: {{b: {{hash: {H_B}, enabled: false}}, c: {{enabled: true"
        )),
        "{file}"
    );
    assert!(file.ends_with("}}  # flow, kept\nother: 1\n"), "{file}");
    env.run(&["apply", "-f", "desired.yml", "--prune", "--yes"])
        .success()
        .stderr_has("No changes");
}

/// Runs `tokenctl apply -f desired.yml --prune` at a terminal (util-linux `script` gives it
/// one) and types `answer` at the prompt.
fn apply_prune_at_a_terminal(env: &TestEnv, answer: &str) -> (i32, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let bin = assert_cmd::cargo::cargo_bin!("tokenctl");
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("'{}' apply -f desired.yml --prune", bin.display()),
            "/dev/null",
        ])
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("TERM", "xterm")
        .env("TOKENCTL_ROOT", env.root())
        .env("TOKENCTL_TENANT", &env.tenant)
        .env("TOKENCTL_NOW", NOW)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Keep the terminal open until tokenctl is done: an early end of input would answer for us.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "apply did not finish");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn prune_asks_at_a_terminal() {
    let env = TestEnv::new();
    env.create("keep", &[]);
    env.create("stray", &[]);
    desired(&env, "keep: {}\n");
    let before = env.bytes();
    // The answer is a line (y/n prompts read one).
    let (code, screen) = apply_prune_at_a_terminal(&env, "n\r");
    assert_eq!(code, 9, "a declined confirmation: {screen}");
    assert!(screen.contains("--prune deletes 1 key (stray)"), "{screen}");
    assert!(
        screen.contains("Nothing applied; nothing was written."),
        "{screen}"
    );
    assert_eq!(env.bytes(), before);
    let (code, screen) = apply_prune_at_a_terminal(&env, "yes\r");
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Applied: 0 created, 0 updated, 1 deleted, 1 unchanged."));
    let file = env.read();
    assert!(
        file.contains("  keep:\n") && !file.contains("stray"),
        "{file}"
    );
}

#[test]
fn parallel_applies_on_one_file_all_land() {
    let env = TestEnv::new();
    env.create("base", &[]);
    let names: Vec<String> = (0..12).map(|i| format!("k{i:02}")).collect();
    for name in &names {
        fs::write(
            env.dir.path().join(format!("{name}.yml")),
            format!("{name}:\n  permissions: [x:read]\nbase:\n  description: touched\n"),
        )
        .unwrap();
    }
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            env.std_cmd()
                .args([
                    "--lock-timeout",
                    "120s",
                    "apply",
                    "-f",
                    &format!("{name}.yml"),
                ])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut secrets = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        secrets.push(String::from_utf8(out.stdout).unwrap());
    }
    let file = env.read();
    for (name, line) in names.iter().zip(&secrets) {
        assert!(
            file.contains(&format!("  {name}:\n")),
            "{name} lost:\n{file}"
        );
        let (n, secret) = line.trim_end().split_once(' ').unwrap();
        assert_eq!(n, name);
        env.run_with(&["verify"], secret).success();
    }
    assert_eq!(file.matches("description: touched").count(), 1, "{file}");
    env.run(&["check"]).success();
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
#[test]
fn apply_reads_a_desired_state_from_a_pipe_it_is_given() {
    let env = TestEnv::new();
    env.create("a", &[]);
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} --file {} apply -f <(printf 'apiKeys:\\n  a: {{}}\\n  b: {{}}\\n') --dry-run",
            crate::support::harness::bin().display(),
            env.file().display()
        ))
        .env("CI", "true")
        .env("TOKENCTL_NOW", NOW)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(8),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("+ create b"), "{stdout}");
}
