//! `export secret NAME` and `export configmap NAME`: a Kubernetes manifest holding the file
//! byte for byte under `security.yml`, the same bytes for the same file; read back here by
//! libyaml (serde_yaml), an independent reader, and by a second reader of JSON.

use crate::support::env::TestEnv;
use base64::Engine;

/// An env whose file has comments, a description with odd characters and a key or two.
fn env_with_keys() -> TestEnv {
    let env = TestEnv::new();
    env.create(
        "ci",
        &["-p", "dns:read", "--description", "CI: \"deploy\" #1"],
    );
    env.create("web", &["-p", "dns:write"]);
    let text = format!("# keys of acme: kept by tokenctl\n{}", env.read());
    env.write(text);
    env
}

fn manifest(out: &str) -> serde_yaml::Value {
    serde_yaml::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_secret_holds_the_file_byte_for_byte_and_is_deterministic() {
    let env = env_with_keys();
    let bytes = std::fs::read(env.file()).unwrap();
    let first = env.run(&["export", "secret", "acme-keys", "--namespace", "gate"]);
    first.success();
    assert_eq!(first.stderr, "");
    let again = env.run(&["export", "secret", "acme-keys", "--namespace", "gate"]);
    assert_eq!(
        first.stdout, again.stdout,
        "the same file gives the same bytes"
    );
    let m = manifest(&first.stdout);
    assert_eq!(m["apiVersion"], "v1");
    assert_eq!(m["kind"], "Secret");
    assert_eq!(m["type"], "Opaque");
    assert_eq!(m["metadata"]["name"], "acme-keys");
    assert_eq!(m["metadata"]["namespace"], "gate");
    let digest = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
    );
    assert_eq!(
        m["metadata"]["annotations"]["tokenctl/digest"],
        digest.as_str()
    );
    let data = m["data"]["security.yml"].as_str().unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    assert_eq!(decoded, bytes);
    // Nothing of the file shows in clear: only base64.
    assert!(!first.stdout.contains("dns:read"));
    // The file is unchanged.
    assert_eq!(std::fs::read(env.file()).unwrap(), bytes);
}

#[test]
fn a_configmap_holds_the_text_byte_for_byte_and_says_to_prefer_a_secret() {
    let env = env_with_keys();
    let bytes = std::fs::read(env.file()).unwrap();
    let out = env.run(&["export", "configmap", "acme-keys"]);
    out.success().stderr_has("prefer `export secret`");
    let m = manifest(&out.stdout);
    assert_eq!(m["kind"], "ConfigMap");
    assert!(m["metadata"].get("namespace").is_none());
    assert_eq!(
        m["data"]["security.yml"].as_str().unwrap().as_bytes(),
        bytes.as_slice()
    );
    // A reviewer reads the keys in the diff of a GitOps repository.
    assert!(out.stdout.contains("\n    apiKeys:\n"), "{}", out.stdout);
    // --format json: the same object, which kubectl reads too.
    let json = env.run(&["export", "configmap", "acme-keys", "--format", "json"]);
    let v = json.success().json();
    assert_eq!(
        v["data"]["security.yml"].as_str().unwrap().as_bytes(),
        bytes.as_slice()
    );
    assert_eq!(
        v["metadata"]["annotations"]["tokenctl/digest"],
        m["metadata"]["annotations"]["tokenctl/digest"]
            .as_str()
            .unwrap()
    );
}

#[test]
fn export_refuses_a_bad_name_a_missing_file_and_a_file_that_does_not_load() {
    let env = env_with_keys();
    for bad in ["Acme", "acme_keys", "acme-", "a..b", ""] {
        env.run(&["export", "secret", bad])
            .code(2)
            .stdout_empty()
            .stderr_has("is not a Kubernetes name");
    }
    env.run(&["export", "secret", "keys", "--namespace", "a.b"])
        .code(2)
        .stdout_empty();
    let broken = TestEnv::new();
    broken.write("apiKeys:\n  ci:\n    hash: [\n");
    broken
        .run(&["export", "secret", "keys"])
        .code(1)
        .stdout_empty();
    let missing = TestEnv::new();
    missing
        .run(&["export", "secret", "keys"])
        .code(1)
        .stdout_empty()
        .stderr_has("nothing to export");
}
