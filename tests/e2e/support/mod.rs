//! The helpers every end-to-end test shares, in one place (tests/library/ includes this
//! folder too, for the generator, the oracle and the differential test's model):
//! - `env`: [`env::TestEnv`], a temp folder with a tenant root and a fixed clock, and the
//!   outside programs some tests drive (Xvfb, sway, tmux) and the root-only helpers;
//! - `harness`: the binary's path, large generated files, a seeded random source, a run that
//!   measures the child's peak memory (the fault, concurrency and hostile-input tests);
//! - `server`: the `tokenctl serve` harness, driven by curl and ureq;
//! - `oracle`: the independent reader (libyaml) that writes are judged by, and `oracle.py`,
//!   PyYAML and ruamel.yaml for the differential test (fuzz/fuzz_targets/edit.rs includes
//!   `oracle.rs` with `#[path]`);
//! - `differential`: the differential test's cases and judge, shared by its in-process half
//!   (tests/library/) and its half through the binary (guarantees/differential.rs);
//! - `generator`: the generator of security.yml files as people and other tools write them.

pub(crate) mod differential;
pub(crate) mod env;
pub(crate) mod generator;
pub(crate) mod harness;
pub(crate) mod oracle;
pub(crate) mod server;

/// Whether the tests run in CI (env `CI` set to anything but empty, `false` or `0`).
#[allow(dead_code)]
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The SHA-256 of `bytes`, in hex: a file's digest as `--if-unchanged` and the ETag take it.
#[allow(dead_code)]
pub(crate) fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The `hash:` field of a key whose secret (or whole token) is `secret`: `sha256:<hex>`.
#[allow(dead_code)]
pub(crate) fn hash_of(secret: &str) -> String {
    format!("sha256:{}", sha256_hex(secret))
}

/// Fails the test, saying how to get it, when `program` is not on PATH: a test that needs an
/// outside tool is `#[ignore = "needs ..."]`, and when run it must not pass without it.
#[allow(dead_code)]
#[track_caller]
pub(crate) fn need(program: &str) {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is not installed: scripts/test installs it (as root) before running this test"
    );
}
