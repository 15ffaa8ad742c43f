//! The store and create / list / show / update / delete.

use crate::testenv::*;

#[test]
fn create_prints_the_secret_once_and_stores_only_its_hash() {
    let env = TestEnv::new();
    let out = env.run(&["create", "ci-deploy", "--permission", "dns:write"]);
    out.success().stderr_has("Created key 'ci-deploy'");
    let secret = out.secret();
    assert!(secret.starts_with("tk_") && secret.len() == 3 + 72, "{secret}");
    let file = env.read();
    assert!(!file.contains(&secret[3..]), "the secret must not be in the file");
    let expected_hash = {
        use sha2::Digest;
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(secret.as_bytes())))
    };
    assert!(file.contains(&expected_hash));
    assert!(file.starts_with("version: 1\napiKeys:\n  ci-deploy:\n"), "{file}");
    assert!(!out.stderr.contains(&secret));
}
