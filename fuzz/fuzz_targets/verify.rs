//! Verifying any token or Authorization value never panics, against a file with live,
//! disabled, expired, rotated and shared-secret keys and every kind of request restriction.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tokenctl::token::TokenHash;
use tokenctl::verify::{Needs, Verifier, token_from_header};

/// Tokens of the fixture's keys (in the seed corpus, so the fuzzer starts from valid ones).
const LIVE: &str = "acme_1111111111111111111111111111111111111111111111111111111111111111a227d0b3";
const OLD_LIVE: &str =
    "acme_222222222222222222222222222222222222222222222222222222222222222212665e08";
const OFF: &str = "acme_33333333333333333333333333333333333333333333333333333333333333333bd55332";
const EXPIRED: &str =
    "acme_444444444444444444444444444444444444444444444444444444444444444409328f7e";

fn fixture() -> String {
    let h = |t: &str| TokenHash::of(t).to_string();
    format!(
        "tokenPrefix: acme
apiKeys:
  live:
    permissions: [dns:read, 'zone:*']
    hash: {}
    allowedIps: [10.0.0.0/8, 2001:db8::/32]
    pathPrefix: /api
    resources: [example.com]
    previousHashes:
      - hash: {}
        expiresAt: 2030-01-01T00:00:00Z
  paused:
    enabled: false
    hash: {}
  twin:
    hash: {}
  old:
    expiresAt: 2020-01-01T00:00:00Z
    permissions: ['*']
    pathPrefix: =/exact
    hash: {}
",
        h(LIVE),
        h(OLD_LIVE),
        h(OFF),
        h(OFF),
        h(EXPIRED)
    )
}

fuzz_target!(|data: &[u8]| {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    let verifier =
        VERIFIER.get_or_init(|| Verifier::from_yaml(&fixture()).expect("the fixture loads"));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the token or header; the rest, if any, names what the request asks.
    let (token, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut parts = rest.splitn(4, '\n');
    let permission = parts.next().filter(|s| !s.is_empty());
    let ip = parts.next().and_then(|s| s.parse().ok());
    let path = parts.next().filter(|s| !s.is_empty());
    let resource = parts.next().filter(|s| !s.is_empty());
    let needs = Needs {
        permission,
        ip,
        path,
        resource,
    };
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let _ = verifier.verify(token, &needs, now);
    let _ = verifier.verify_header(token, &needs, now);
    if let Ok(t) = token_from_header(token) {
        let _ = verifier.verify(&t, &Needs::default(), now);
    }
    let _ = tokenctl::token::shape(token);
    let _ = tokenctl::token::check_form(token, &["acme", "tk"]);
    if let Some(path) = path {
        let _ = tokenctl::verify::path_problem(path);
        let _ = tokenctl::verify::path_allowed("/api/", path);
    }
});
