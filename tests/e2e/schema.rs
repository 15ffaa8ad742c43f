//! `schema`: the JSON Schemas are committed under schemas/, fresh, and say what docs/FORMAT.md says.

use crate::support::env::*;
use std::fs;
use std::path::PathBuf;

fn committed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name)
}

/// Fails when a committed schema differs from what the binary prints. With
/// `TOKENCTL_BLESS=1` it rewrites the file instead.
#[test]
fn committed_schemas_are_fresh() {
    let env = TestEnv::new();
    for (args, name) in [
        (&["schema"][..], "security.schema.json"),
        (&["schema", "--desired"][..], "desired.schema.json"),
        (&["schema", "--openapi"][..], "openapi.json"),
    ] {
        let out = env.run(args);
        out.success();
        let path = committed(name);
        if std::env::var_os("TOKENCTL_BLESS").is_some() {
            fs::write(&path, &out.stdout).unwrap();
        }
        let on_disk = fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == out.stdout,
            "schemas/{name} is stale: run `cargo run -q -- {} > schemas/{name}` (or the tests with TOKENCTL_BLESS=1) and commit it",
            args.join(" ")
        );
        // The same bytes every time.
        assert_eq!(env.run(args).stdout, out.stdout);
    }
}

fn schema(name: &str) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(committed(name)).unwrap()).unwrap()
}

fn regex(schema: &serde_json::Value, def: &str) -> regex::Regex {
    regex::Regex::new(schema["$defs"][def]["pattern"].as_str().unwrap()).unwrap()
}

#[test]
fn the_security_schema_has_the_spec_types_and_allows_other_tools_fields() {
    let s = schema("security.schema.json");
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    // Unknown fields belong to other tools: never forbidden, at the top or in an entry.
    assert!(s.get("additionalProperties").is_none(), "{s}");
    assert!(s["$defs"]["ApiKey"].get("additionalProperties").is_none());
    assert_eq!(
        s["$defs"]["ApiKey"]["required"],
        serde_json::json!(["hash"])
    );
    assert_eq!(s["$defs"]["Time"]["format"], "date-time");
    assert_eq!(
        s["$defs"]["KeyMapOfApiKey"]["propertyNames"]["$ref"],
        "#/$defs/KeyName"
    );

    let hash = regex(&s, "Hash");
    assert!(hash.is_match(&format!("sha256:{}", "0a".repeat(32))));
    for bad in [
        format!("sha256:{}", "0A".repeat(32)),
        format!("sha256:{}", "0".repeat(63)),
        format!("md5:{}", "0".repeat(64)),
    ] {
        assert!(!hash.is_match(&bad), "{bad}");
    }
    // The name pattern is exactly the rule tokenctl applies to names.
    let name = regex(&s, "KeyName");
    let samples = [
        "", ".", "..", "...", "a", ".a", "..a", "a.b", "a b", "a/b", "a\\b", "é",
    ];
    let long = [
        "x".repeat(64),
        "x".repeat(65),
        format!("..{}", "x".repeat(62)),
    ];
    for n in samples
        .iter()
        .copied()
        .chain(long.iter().map(String::as_str))
    {
        assert_eq!(
            name.is_match(n),
            tokenctl::names::problem(n).is_none(),
            "{n:?}"
        );
    }
    let time = regex(&s, "Time");
    assert!(time.is_match("2026-11-22T10:00:00Z"));
    assert!(time.is_match("2027-01-01T12:30:00+01:00"));
    assert!(!time.is_match("2027-01-01"));
    assert!(!time.is_match("30d"));
    let scope = regex(&s, "Scope");
    for good in ["*", "dns:*", "dns:read", "billing:read"] {
        assert!(scope.is_match(good), "{good}");
    }
    assert!(!scope.is_match("dns read"));
}

#[test]
fn the_desired_schema_refuses_unknown_fields_and_accepts_both_shapes() {
    let s = schema("desired.schema.json");
    assert_eq!(s["title"], "tokenctl apply desired state");
    assert_eq!(s["anyOf"].as_array().unwrap().len(), 2);
    assert_eq!(s["$defs"]["DesiredKey"]["additionalProperties"], false);
    assert_eq!(s["$defs"]["DesiredWrapped"]["additionalProperties"], false);
    assert_eq!(
        s["$defs"]["DesiredWrapped"]["required"],
        serde_json::json!(["apiKeys"])
    );
    let props = s["$defs"]["DesiredKey"]["properties"].as_object().unwrap();
    assert!(!props.contains_key("createdAt") && !props.contains_key("previousHashes"));
    assert_eq!(props["hash"]["$ref"], "#/$defs/Hash");
    assert_eq!(props["enabled"]["type"], "boolean");
}

/// The committed schemas in a real validator (Python's jsonschema, draft 2020-12, formats
/// checked): the fixtures and the Ansible example pass, each kind of bad input fails.
#[test]
#[ignore = "needs python3 with jsonschema and PyYAML; scripts/test installs them"]
fn a_real_validator_accepts_good_files_and_refuses_bad_ones() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import jsonschema, yaml"])
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "python3 lacks jsonschema or PyYAML: python3 -m pip install jsonschema pyyaml \
         (scripts/test installs them)"
    );
    let env = TestEnv::new();
    let h = format!("sha256:{}", "a".repeat(64));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cases: [(&str, Vec<(String, &str)>); 2] = [
        (
            "security.schema.json",
            vec![
                (
                    root.join("fixtures/hand-edited.yml").display().to_string(),
                    "ok",
                ),
                (
                    root.join("fixtures/spec-example.yml").display().to_string(),
                    "ok",
                ),
                (
                    "apiKeys:\n  a:\n    hash: sha256:ABC\n".to_string(),
                    "invalid",
                ),
                (format!("apiKeys:\n  ..:\n    hash: {h}\n"), "invalid"),
                (
                    format!("apiKeys:\n  a:\n    hash: {h}\n    createdAt: yesterday\n"),
                    "invalid",
                ),
                (
                    format!("apiKeys:\n  a:\n    permissions: [dns read]\n    hash: {h}\n"),
                    "invalid",
                ),
                ("apiKeys:\n  a:\n    enabled: true\n".to_string(), "invalid"),
                (
                    format!("other: {{x: 1}}\napiKeys:\n  a:\n    hash: {h}\n    owner: me\n"),
                    "ok",
                ),
                // owner is tokenctl's: 1 to 128 characters on one line, no control character.
                (
                    format!(
                        "apiKeys:\n  a:\n    hash: {h}\n    owner: \"{}\"\n",
                        "é".repeat(128)
                    ),
                    "ok",
                ),
                (
                    format!(
                        "apiKeys:\n  a:\n    hash: {h}\n    owner: \"{}\"\n",
                        "é".repeat(129)
                    ),
                    "invalid",
                ),
                (
                    format!("apiKeys:\n  a:\n    hash: {h}\n    owner: \"a\\tb\"\n"),
                    "invalid",
                ),
                (
                    format!("apiKeys:\n  a:\n    hash: {h}\n    owner: [a, b]\n"),
                    "invalid",
                ),
                (
                    format!("apiKeys:\n  a:\n    hash: {h}\n    owner: ''\n"),
                    "invalid",
                ),
            ],
        ),
        (
            "desired.schema.json",
            vec![
                (
                    root.join("examples/ansible/desired.yml")
                        .display()
                        .to_string(),
                    "ok",
                ),
                (format!("a:\n  hash: {h}\n  expiresAt: null\nb:\n"), "ok"),
                ("apiKeys: {}\n".to_string(), "ok"),
                ("a:\n  permisions: [x]\n".to_string(), "invalid"),
                ("a:\n  owner: team-a\nb:\n  owner: null\n".to_string(), "ok"),
                ("a:\n  owner: \"a\\u0085b\"\n".to_string(), "invalid"),
                (
                    format!("apiKeys:\n  a:\n    hash: {h}\n    createdAt: 2026-01-01T00:00:00Z\n"),
                    "invalid",
                ),
                ("apiKeys: {}\npermissions: [x]\n".to_string(), "invalid"),
                ("a:\n  hash: sha256:xyz\n".to_string(), "invalid"),
                ("a:\n  expiresAt: 30d\n".to_string(), "invalid"),
            ],
        ),
    ];
    for (schema, files) in cases {
        let mut paths = Vec::new();
        for (i, (text_or_path, _)) in files.iter().enumerate() {
            if text_or_path.starts_with('/') {
                paths.push(text_or_path.clone());
            } else {
                let p = env.dir.path().join(format!("{i}.yml"));
                fs::write(&p, text_or_path).unwrap();
                paths.push(p.display().to_string());
            }
        }
        let out = std::process::Command::new("python3")
            .arg(root.join("tests/e2e/data/validate.py"))
            .arg(committed(schema))
            .args(&paths)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        for ((path, (text, expected)), line) in paths.iter().zip(&files).zip(stdout.lines()) {
            assert_eq!(line, format!("{path}: {expected}"), "{schema}: {text}");
        }
        assert_eq!(stdout.lines().count(), files.len());
    }
}
