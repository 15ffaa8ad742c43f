//! Benchmark of `tokenctl serve`: requests per second and p50/p99 latency of
//! `GET /api/{tenant}/admin/apiKeys` and `POST` (a new key each: a locked, proven, fsynced
//! write) at 100 and 10,000 keys, on loopback, with a bounded number of requests.
//!
//! ```text
//! cargo bench --bench serve                 # the release-built binary (bench profile)
//! cargo bench --bench serve -- --quick      # one round, a tenth of the GETs (a smoke run)
//! cargo bench --bench serve -- --markdown out.md
//! ```
//!
//! Method: the tenant's file is benches/bench.py's realistic security.yml of N keys (the
//! same generator as the CLI benchmark, run with python3) plus one admin key. One server per
//! size, on 127.0.0.1 (port 0), its access log going to a file as it would to the journal,
//! read once by a warm-up request. Then ROUNDS rounds, each of four phases in turn, so that
//! every figure and its baseline share the machine's state:
//!
//! - `GET /healthz`: the HTTP floor (loopback, hyper, the client), no token, no file;
//! - `GET .../apiKeys`: the token verified, the file's key list as JSON;
//! - `POST .../apiKeys`: a new key each (the file reset to N keys before the phase, so it
//!   stays between N and N + 100 keys): a locked, proven, fsynced write;
//! - the write floor, in this process: for each write, take the lock, read the file, write a
//!   temporary file, fsync it, rename it over a copy, fsync the folder: what any correct
//!   writer of the same file must do.
//!
//! C client threads, each with one kept-alive connection (ureq), send their share of the
//! requests back to back; any answer but 200/201 fails the run. Latency is from sending a
//! request to having read its whole answer; requests per second is the number of requests
//! over the wall time from the first sent to the last answered. Per phase the table gives
//! the median over rounds of req/s, the p50/p99 of every latency, and the median over rounds
//! of the ratio to the phase's baseline: `GET .../apiKeys` to `GET /healthz`, `POST` to the
//! write floor (throughput: POSTs queue on the file's lock, as writes must). The server and
//! the clients share the machine's cores.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{security_yml, thousands};

/// The admin key's token: of tokenctl's form, with its check digits.
fn admin() -> String {
    use sha2::Digest;
    let body = format!("tk_{}", hex::encode(sha2::Sha256::digest(b"bench admin")));
    let check = hex::encode(&sha2::Sha256::digest(body.as_bytes())[..4]);
    format!("{body}{check}")
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Health,
    List,
    Create,
    Floor,
}

impl Phase {
    fn label(self) -> &'static str {
        match self {
            Phase::Health => "GET /healthz (HTTP floor)",
            Phase::List => "GET .../apiKeys",
            Phase::Create => "POST .../apiKeys",
            Phase::Floor => "write floor (in process)",
        }
    }
}

/// One phase of one round.
struct Sample {
    rate: f64,
    latencies: Vec<Duration>,
    bytes: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let markdown = args
        .iter()
        .position(|a| a == "--markdown")
        .and_then(|i| args.get(i + 1).cloned());
    let rounds = if quick { 1 } else { 5 };
    // (keys, GETs per round, POSTs per round); healthz takes as many requests as the GETs.
    let sizes: [(usize, usize, usize); 2] = if quick {
        [(100, 400, 100), (10_000, 20, 100)]
    } else {
        [(100, 4_000, 100), (10_000, 100, 100)]
    };
    const GET_CONNECTIONS: usize = 8;
    const POST_CONNECTIONS: usize = 4;
    let mut lines = vec![
        "## tokenctl serve".to_string(),
        String::new(),
        format!("Machine: {}.", machine()),
        String::new(),
        format!(
            "Command: `cargo bench --bench serve{}`; {rounds} round(s), each phase in turn; ureq clients, one kept-alive connection each ({GET_CONNECTIONS} for GETs, {POST_CONNECTIONS} for POSTs), loopback. req/s and the ratio are medians over rounds; p50/p99 over every request.",
            if quick { " -- --quick" } else { "" }
        ),
        String::new(),
        "| keys | file MB | phase | requests | req/s | p50 ms | p99 ms | answer KB | vs baseline |"
            .into(),
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |".into(),
    ];
    for l in &lines {
        println!("{l}");
    }
    let dir = tempfile::tempdir().unwrap();
    for (keys, gets, posts) in sizes {
        let root = dir.path().join(format!("root-{keys}"));
        let file = root.join("bench/security.yml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let pristine = security_yml(keys) + &admin_entry();
        std::fs::write(&file, &pristine).unwrap();
        let floor_file = dir.path().join(format!("floor-{keys}.yml"));
        let size = pristine.len() as f64 / 1e6;
        let (mut server, url) = start(&root, dir.path(), keys);
        let phases = [Phase::Health, Phase::List, Phase::Create, Phase::Floor];
        let mut samples: Vec<Vec<Sample>> = phases.iter().map(|_| Vec::new()).collect();
        for round in 0..rounds {
            for (i, &phase) in phases.iter().enumerate() {
                let sample = match phase {
                    Phase::Health => http(&url, phase, gets, GET_CONNECTIONS, round),
                    Phase::List => http(&url, phase, gets, GET_CONNECTIONS, round),
                    Phase::Create => {
                        std::fs::write(&file, &pristine).unwrap();
                        http(&url, phase, posts, POST_CONNECTIONS, round)
                    }
                    Phase::Floor => {
                        std::fs::write(&floor_file, &pristine).unwrap();
                        floor(&floor_file, posts)
                    }
                };
                samples[i].push(sample);
            }
        }
        let _ = Command::new("kill").arg(server.id().to_string()).status();
        let _ = server.wait();
        for (i, &phase) in phases.iter().enumerate() {
            let baseline = match phase {
                Phase::List => Some(0),
                Phase::Create => Some(3),
                _ => None,
            };
            let ratio = baseline.map(|b| {
                let r: Vec<f64> = (0..rounds)
                    .map(|round| samples[b][round].rate / samples[i][round].rate)
                    .collect();
                format!("{:.1}x {}", median(r), phases[b].label())
            });
            let all = &samples[i];
            let mut l: Vec<Duration> = all.iter().flat_map(|s| s.latencies.clone()).collect();
            l.sort();
            let pct = |p: f64| l[((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1];
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let bytes: usize = all.iter().map(|s| s.bytes).sum();
            let row = format!(
                "| {} | {size:.2} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {} |",
                thousands(keys),
                phase.label(),
                thousands(l.len()),
                median(all.iter().map(|s| s.rate).collect()),
                ms(pct(0.50)),
                ms(pct(0.99)),
                if phase == Phase::Floor {
                    "-".to_string()
                } else {
                    format!("{:.1}", bytes as f64 / l.len() as f64 / 1024.0)
                },
                ratio.unwrap_or_else(|| "baseline".into()),
            );
            println!("{row}");
            lines.push(row);
        }
    }
    if let Some(path) = markdown {
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Starts `tokenctl serve` over `root` and reads its file once.
fn start(root: &Path, scratch: &Path, keys: usize) -> (Child, String) {
    let log = scratch.join(format!("serve-{keys}.log"));
    let mut server = Command::new(env!("CARGO_BIN_EXE_tokenctl"))
        .arg("--root")
        .arg(root)
        .args(["--lock-timeout", "5m", "serve", "--listen", "127.0.0.1:0"])
        .args(["--max-connections", "64"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("tokenctl serve starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("tokenctl serve did not start: {line:?}"))
        .to_string();
    client()
        .get(format!("{url}/api/bench/admin/apiKeys"))
        .header("Authorization", format!("Bearer {}", admin()))
        .call()
        .unwrap();
    (server, url)
}

/// `requests` requests of `phase`, shared by `connections` client threads.
fn http(url: &str, phase: Phase, requests: usize, connections: usize, round: usize) -> Sample {
    let endpoint = match phase {
        Phase::Health => format!("{url}/healthz"),
        _ => format!("{url}/api/bench/admin/apiKeys"),
    };
    let per_thread = requests / connections;
    let started = Instant::now();
    let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..connections)
            .map(|t| {
                let endpoint = endpoint.clone();
                s.spawn(move || {
                    let agent = client();
                    let mut latencies = Vec::with_capacity(per_thread);
                    let mut bytes = 0;
                    for i in 0..per_thread {
                        let sent = Instant::now();
                        let request = match phase {
                            Phase::Create => agent
                                .post(&endpoint)
                                .header("Authorization", format!("Bearer {}", admin()))
                                .header("Content-Type", "application/json")
                                .send(format!(
                                    r#"{{"name": "bench-{round}-{t}-{i}", "permissions": ["dns:read"]}}"#
                                )),
                            Phase::Health => agent.get(&endpoint).call(),
                            _ => agent
                                .get(&endpoint)
                                .header("Authorization", format!("Bearer {}", admin()))
                                .call(),
                        };
                        let mut response = request.expect("the server answers");
                        let status = response.status().as_u16();
                        let body = response.body_mut().read_to_vec().unwrap();
                        latencies.push(sent.elapsed());
                        assert!(
                            status == 200 || status == 201,
                            "{status}: {}",
                            String::from_utf8_lossy(&body)
                        );
                        bytes += body.len();
                    }
                    (latencies, bytes)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let wall = started.elapsed();
    let bytes = results.iter().map(|(_, b)| b).sum();
    let latencies: Vec<Duration> = results.into_iter().flat_map(|(l, _)| l).collect();
    Sample {
        rate: latencies.len() as f64 / wall.as_secs_f64(),
        latencies,
        bytes,
    }
}

/// The write floor: `writes` times, what any correct writer of `file` must do (lock, read,
/// write a temporary file, fsync, rename, fsync the folder), with a few bytes appended.
fn floor(file: &Path, writes: usize) -> Sample {
    let folder = file.parent().unwrap();
    let lock_path = file.with_extension("yml.lock");
    let tmp = file.with_extension("yml.tmp");
    let mut latencies = Vec::with_capacity(writes);
    let started = Instant::now();
    for i in 0..writes {
        let t = Instant::now();
        let lock = std::fs::File::create(&lock_path).unwrap();
        lock.lock().unwrap();
        let mut text = Vec::new();
        std::fs::File::open(file)
            .unwrap()
            .read_to_end(&mut text)
            .unwrap();
        writeln!(text, "# {i}").unwrap();
        let mut out = std::fs::File::create(&tmp).unwrap();
        out.write_all(&text).unwrap();
        out.sync_all().unwrap();
        std::fs::rename(&tmp, file).unwrap();
        std::fs::File::open(folder).unwrap().sync_all().unwrap();
        drop(lock);
        latencies.push(t.elapsed());
    }
    let wall = started.elapsed();
    Sample {
        rate: writes as f64 / wall.as_secs_f64(),
        latencies,
        bytes: 0,
    }
}

fn client() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections_per_host(1)
            .timeout_global(Some(Duration::from_secs(120)))
            .build(),
    )
}

fn admin_entry() -> String {
    use sha2::Digest;
    format!(
        "  bench-admin:\n    permissions: ['tenant.apiKey:*']\n    hash: sha256:{}\n    createdAt: 2026-01-01T00:00:00Z\n",
        hex::encode(sha2::Sha256::digest(admin().as_bytes()))
    )
}

fn machine() -> String {
    let now = jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC");
    let load = support::load_average(1);
    format!(
        "{}, load average {} at start, {now}",
        support::cpus_and_kernel(),
        if load.is_empty() { "?" } else { &load }
    )
}
