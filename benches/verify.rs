//! Benchmark of `Verifier::verify` and `Verifier::check` (what the gate does per request)
//! against their physical floor: the rule's two SHA-256s of the token (its hash, and its
//! check digits). Issue 22's target: at 10,000 keys, a valid token, at least 5 million
//! verifications per second.
//!
//! ```text
//! cargo bench --bench verify                          # 10,000 and 100,000 keys
//! cargo bench --bench verify -- --sizes 10000 --rounds 51
//! cargo bench --bench verify -- --quick               # 100 and 1,000 keys, a few rounds
//! ```
//!
//! Method: the file is benches/bench.py's realistic security.yml of N keys (its generator,
//! run with python3), loaded once with `Verifier::load`. The tokens are bench.py's own
//! (`token(i)`, of tokenctl's form) of the first 1,024 keys that are enabled, unexpired and
//! grant `dns:read`, each checked to be valid before timing. A batch is one pass of
//! BATCH verifications cycling through those tokens, with `Needs { permission: dns:read }`
//! (what `/authz/acme?permission=dns:read` asks); the time of a batch over BATCH is one
//! verification. One warm-up batch of each contender, then ROUNDS rounds; in each round
//! every contender runs one batch per file, in an order shuffled by a seeded generator, so
//! that each figure and its floor share the machine's state. Figures are medians over
//! rounds and their ratio to the floor's. The contenders:
//!
//! - floor: `TokenHash::of(token)` and the SHA-256 of the token without its check digits;
//! - `verify`: the owned `Outcome` (the key's name and permissions copied, then dropped);
//! - `check`: the borrowed `Verdict`;
//! - `verify`, unknown: a token of the form whose hash no key has (the miss path: its
//!   hash, then its check digits).

mod support;

use sha2::Digest;
use std::time::{Duration, Instant};
use support::{Lcg, median, security_yml, thousands};
use tokenctl::token::TokenHash;
use tokenctl::verify::{Needs, Outcome, Verdict, Verifier};

/// The allocator the tokenctl binary, and so its `serve` gate, runs with: what copying the
/// key's name and permissions into an `Outcome` costs there. Built without the `cli`
/// feature (`--no-default-features`), the bench measures the system allocator.
#[cfg(feature = "cli")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Which allocator the figures are with (printed beside them).
const ALLOCATOR_NAME: &str = if cfg!(feature = "cli") {
    "mimalloc, as the tokenctl binary and `serve` run"
} else {
    "the system allocator (built without the cli feature)"
};

/// Verifications per timed batch: about 20 ms of the slowest contender, long enough for
/// the clock, short enough for many rounds.
const BATCH: usize = 100_000;

/// How many distinct valid tokens a batch cycles through: more than one, so that the map's
/// probes are not all the same cache lines, as in a gate with many clients.
const TOKENS: usize = 1_024;

/// bench.py's `token(i)`: the deterministic token (prefix tk) of key number i.
fn token(i: usize) -> String {
    let body = format!(
        "tk_{}",
        hex::encode(sha2::Sha256::digest(format!("bench-secret-{i}").as_bytes()))
    );
    let check = hex::encode(&sha2::Sha256::digest(body.as_bytes())[..4]);
    format!("{body}{check}")
}

#[derive(Clone, Copy, PartialEq)]
enum Contender {
    Floor,
    Verify,
    Check,
    Unknown,
}

const CONTENDERS: [Contender; 4] = [
    Contender::Floor,
    Contender::Verify,
    Contender::Check,
    Contender::Unknown,
];

impl Contender {
    fn label(self) -> &'static str {
        match self {
            Contender::Floor => "floor: two SHA-256s",
            Contender::Verify => "verify (owned Outcome)",
            Contender::Check => "check (borrowed Verdict)",
            Contender::Unknown => "verify, unknown token",
        }
    }
}

struct Input {
    keys: usize,
    verifier: Verifier,
    tokens: Vec<String>,
    unknown: Vec<String>,
}

const NEEDS: Needs = Needs {
    permission: Some("dns:read"),
    ip: None,
    path: None,
    resource: None,
};

fn main() {
    // `cargo bench` passes `--bench` to every bench; it means nothing here.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let quick = args.iter().any(|a| a == "--quick");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let sizes: Vec<usize> = match value("--sizes") {
        Some(s) => s
            .split(',')
            .map(|n| n.parse().expect("--sizes N,N"))
            .collect(),
        None if quick => vec![100, 1_000],
        None => vec![10_000, 100_000],
    };
    let rounds: usize = match value("--rounds") {
        Some(r) => r.parse().expect("--rounds N"),
        None if quick => 3,
        None => 31,
    };
    let now = jiff::Timestamp::now();
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<Input> = sizes
        .iter()
        .map(|&keys| {
            let path = dir.path().join(format!("security-{keys}.yml"));
            std::fs::write(&path, security_yml(keys)).unwrap();
            let verifier = Verifier::load(&path).expect("the bench file loads");
            assert_eq!(verifier.file().keys.len(), keys);
            // The keys that pass: enabled, unexpired, granting dns:read (bench.py's mix).
            let tokens: Vec<String> = (0..keys)
                .map(token)
                .filter(|t| matches!(verifier.verify(t, &NEEDS, now), Outcome::Valid { .. }))
                .take(TOKENS)
                .collect();
            assert!(
                tokens.len() >= TOKENS.min(keys / 4),
                "only {} valid tokens among {keys} keys",
                tokens.len()
            );
            let unknown: Vec<String> = (keys..keys + TOKENS).map(token).collect();
            for t in &unknown {
                assert_eq!(verifier.verify(t, &NEEDS, now).reason(), "unknown");
            }
            Input {
                keys,
                verifier,
                tokens,
                unknown,
            }
        })
        .collect();

    for input in &inputs {
        for c in CONTENDERS {
            run(c, input, now);
        }
    }
    // times[file][contender]
    let mut times: Vec<Vec<Vec<Duration>>> = inputs
        .iter()
        .map(|_| CONTENDERS.iter().map(|_| Vec::new()).collect())
        .collect();
    let mut rng = Lcg(0x2026);
    for _ in 0..rounds {
        let mut order: Vec<(usize, usize)> = (0..inputs.len())
            .flat_map(|f| (0..CONTENDERS.len()).map(move |c| (f, c)))
            .collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for (f, c) in order {
            times[f][c].push(run(CONTENDERS[c], &inputs[f], now));
        }
    }

    println!("## Verifier::verify against the rule's two SHA-256s\n");
    println!(
        "Machine: {}, load average {}.\n",
        support::cpus_and_kernel(),
        support::load_average(3)
    );
    println!("Allocator: {ALLOCATOR_NAME}.\n");
    println!(
        "Command: `cargo bench --bench verify -- {}`; {rounds} interleaved rounds of {} verifications each, medians.\n",
        args.join(" "),
        thousands(BATCH)
    );
    println!("| keys | contender | ns each | million/s | ratio to the floor |");
    println!("| ---: | --- | ---: | ---: | ---: |");
    let mut verdicts = Vec::new();
    for (input, times) in inputs.iter().zip(&mut times) {
        let ns: Vec<f64> = times
            .iter_mut()
            .map(|t| median(t).as_secs_f64() * 1e9 / BATCH as f64)
            .collect();
        for (c, each) in CONTENDERS.iter().zip(&ns) {
            println!(
                "| {} | {} | {each:.0} | {:.2} | {:.2}x |",
                thousands(input.keys),
                c.label(),
                1e3 / each,
                each / ns[0]
            );
        }
        if input.keys == 10_000 {
            for c in [Contender::Verify, Contender::Check] {
                let rate = 1e3 / ns[c as usize];
                let ratio = ns[c as usize] / ns[0];
                verdicts.push(format!(
                    "{}  10,000 keys, valid token, {}: {rate:.2} million/s (target at least 5)",
                    pass(rate >= 5.0),
                    c.label()
                ));
                verdicts.push(format!(
                    "{}  10,000 keys, valid token, {}: {ratio:.2}x the floor (the same target \
                     on a machine as busy as this one: 5 million/s is 200 ns, {TARGET_RATIO}x \
                     the 125 ns issue 22 measured for the floor)",
                    pass(ratio <= TARGET_RATIO),
                    c.label()
                ));
            }
        }
    }
    if !verdicts.is_empty() {
        println!();
        for v in verdicts {
            println!("{v}");
        }
    }
}

/// Issue 22's target as a ratio: 5 million verifications a second is 200 ns, against the
/// 125 ns it measured for two SHA-256s. The absolute figure depends on what else the machine
/// runs (two cores, shared with builds); the ratio to the floor timed in the same rounds
/// much less.
const TARGET_RATIO: f64 = 1.6;

fn pass(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

/// One batch of a contender on a file: its wall time.
fn run(contender: Contender, input: &Input, now: jiff::Timestamp) -> Duration {
    let tokens = if contender == Contender::Unknown {
        &input.unknown
    } else {
        &input.tokens
    };
    let v = &input.verifier;
    let t0 = Instant::now();
    let mut valid = 0usize;
    for t in tokens.iter().cycle().take(BATCH) {
        let t = std::hint::black_box(t.as_str());
        match contender {
            Contender::Floor => {
                let hash = TokenHash::of(t);
                let check = sha2::Sha256::digest(&t.as_bytes()[..t.len() - 8]);
                std::hint::black_box((hash, check));
                valid += 1;
            }
            Contender::Verify | Contender::Unknown => {
                let outcome = v.verify(t, &NEEDS, now);
                valid += usize::from(matches!(outcome, Outcome::Valid { .. }));
                drop(std::hint::black_box(outcome));
            }
            Contender::Check => {
                let verdict = v.check(t, &NEEDS, now);
                valid += usize::from(matches!(verdict, Verdict::Valid { .. }));
                std::hint::black_box(verdict);
            }
        }
    }
    let elapsed = t0.elapsed();
    let want = if contender == Contender::Unknown {
        0
    } else {
        BATCH
    };
    assert_eq!(
        valid,
        want,
        "{}: every answer as expected",
        contender.label()
    );
    elapsed
}
