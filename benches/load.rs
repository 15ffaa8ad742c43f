//! Benchmark of `Verifier::load` (what a server reloads) against its physical floor: reading
//! the file and hashing it with SHA-256. Issue 25's target: at 10,000 keys, `Verifier::load`
//! within 3x of `std::fs::read` + `Sha256::digest` of the same file.
//!
//! ```text
//! cargo bench --bench load                          # 10,000 and 100,000 keys
//! cargo bench --bench load -- --sizes 10000 --rounds 51
//! cargo bench --bench load -- --quick               # 100 and 1,000 keys, a few rounds
//! cargo bench --bench load -- --file 10000=PATH     # a file already written (bench.py's)
//! ```
//!
//! benches/bench.py runs it (unless `--no-load`) on the files it generated, with `--tsv`, and
//! prints its figures beside the command-line ones.
//!
//! Method: the file is benches/bench.py's realistic security.yml of N keys (its generator,
//! run with python3), written once and read from the page cache. One warm-up of each, then
//! ROUNDS rounds; in each round both contenders run once per file, in an order shuffled by a
//! seeded generator (so either may follow the other and they share the machine's state). The
//! timed region of (a) is `std::fs::read` + `Sha256::digest`; of (b) `Verifier::load(path)`.
//! What each returns is dropped after the clock stops (a reload frees the old state
//! later, on its own time). Figures are the medians over rounds and their ratio.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{Lcg, median, security_yml, thousands};

use sha2::Digest;

/// The allocator the tokenctl binary, and so its `serve` gate, runs with: what a reload there
/// costs. Built without the `cli` feature (`--no-default-features`), the bench measures the
/// system allocator, as a library user who keeps it gets.
#[cfg(feature = "cli")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Which allocator the figures are with (printed beside them).
const ALLOCATOR_NAME: &str = if cfg!(feature = "cli") {
    "mimalloc, as the tokenctl binary and `serve` run"
} else {
    "the system allocator (built without the cli feature)"
};
use tokenctl::verify::Verifier;

struct Input {
    keys: usize,
    path: PathBuf,
}

fn main() {
    // `cargo bench` passes `--bench` to every bench; it means nothing here.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let quick = args.iter().any(|a| a == "--quick");
    let tsv = args.iter().any(|a| a == "--tsv");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let mut inputs: Vec<Input> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if a == "--file" {
            let spec = args.get(i + 1).expect("--file KEYS=PATH");
            let (keys, path) = spec.split_once('=').expect("--file KEYS=PATH");
            inputs.push(Input {
                keys: keys.parse().expect("--file KEYS=PATH: KEYS a number"),
                path: PathBuf::from(path),
            });
        }
    }
    let dir = tempfile::tempdir().unwrap();
    if inputs.is_empty() {
        let sizes: Vec<usize> = match value("--sizes") {
            Some(s) => s
                .split(',')
                .map(|n| n.parse().expect("--sizes N,N"))
                .collect(),
            None if quick => vec![100, 1_000],
            None => vec![10_000, 100_000],
        };
        for keys in sizes {
            let path = dir.path().join(format!("security-{keys}.yml"));
            std::fs::write(&path, security_yml(keys)).unwrap();
            inputs.push(Input { keys, path });
        }
    }
    let rounds: usize = match value("--rounds") {
        Some(r) => r.parse().expect("--rounds N"),
        None if quick => 3,
        None => {
            // About 25 x 10,000 keys' worth of loading per contender, at least 11 rounds.
            let biggest = inputs.iter().map(|i| i.keys).max().unwrap_or(0);
            (250_000 / biggest.max(1)).clamp(11, 51)
        }
    };

    // Each file: check it loads (and has the keys it should), warm both up.
    for input in &inputs {
        let v = Verifier::load(&input.path).expect("the bench file loads");
        assert_eq!(
            v.file().keys.len(),
            input.keys,
            "{} holds {} keys",
            input.path.display(),
            input.keys
        );
        drop(read_and_hash(&input.path));
    }

    // times[file][contender]
    let mut times: Vec<[Vec<Duration>; 2]> = inputs.iter().map(|_| [vec![], vec![]]).collect();
    let mut rng = Lcg(0x2025);
    for _ in 0..rounds {
        let mut order: Vec<(usize, usize)> =
            (0..inputs.len()).flat_map(|f| [(f, 0), (f, 1)]).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for (f, c) in order {
            let path = &inputs[f].path;
            let elapsed = if c == 0 {
                let t0 = Instant::now();
                let out = read_and_hash(path);
                let elapsed = t0.elapsed();
                drop(std::hint::black_box(out));
                elapsed
            } else {
                let t0 = Instant::now();
                let v = Verifier::load(path).expect("the bench file loads");
                let elapsed = t0.elapsed();
                drop(std::hint::black_box(v));
                elapsed
            };
            times[f][c].push(elapsed);
        }
    }

    if !tsv {
        println!("## Verifier::load against reading and hashing the file\n");
        println!("Machine: {}.\n", machine());
        println!("Allocator: {ALLOCATOR_NAME}.\n");
        println!(
            "Command: `cargo bench --bench load -- {}`; {rounds} interleaved rounds, medians.\n",
            args.join(" ")
        );
        println!(
            "| keys | file MB | read + SHA-256 ms | Verifier::load ms | ratio | target (10,000 keys: within 3x) |"
        );
        println!("| ---: | ---: | ---: | ---: | ---: | --- |");
    }
    for (input, [floor, load]) in inputs.iter().zip(&mut times) {
        let size = std::fs::metadata(&input.path).unwrap().len();
        let floor = median(floor);
        let load = median(load);
        let ratio = load.as_secs_f64() / floor.as_secs_f64();
        if tsv {
            println!(
                "load\t{}\t{size}\t{rounds}\t{:.6}\t{:.6}",
                input.keys,
                floor.as_secs_f64(),
                load.as_secs_f64()
            );
        } else {
            let verdict = match (input.keys, ratio <= 3.0) {
                (10_000, true) => "PASS",
                (10_000, false) => "FAIL",
                _ => "-",
            };
            println!(
                "| {} | {:.2} | {:.2} | {:.2} | {ratio:.1}x | {verdict} |",
                thousands(input.keys),
                size as f64 / 1e6,
                floor.as_secs_f64() * 1e3,
                load.as_secs_f64() * 1e3
            );
        }
    }
}

/// The floor: the file's bytes and their SHA-256.
fn read_and_hash(path: &Path) -> (Vec<u8>, [u8; 32]) {
    let bytes = std::fs::read(path).unwrap();
    let digest: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    (bytes, digest)
}

fn machine() -> String {
    format!(
        "{}, load average {}",
        support::cpus_and_kernel(),
        support::load_average(3)
    )
}
