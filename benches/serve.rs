//! Benchmark of `tokenctl serve`: requests per second and p50/p99 latency of
//! `GET /api/{tenant}/admin/apiKeys` and `POST` (a new key each: a locked, proven, fsynced
//! write) at 100 and 10,000 keys, on loopback, with a bounded number of requests.
//!
//! ```text
//! cargo bench --bench serve                 # the release-built binary (bench profile)
//! cargo bench --bench serve -- --quick      # a twentieth of the GETs, one round of POSTs
//! cargo bench --bench serve -- --markdown out.md
//! ```
//!
//! Method: the tenant's file is benches/bench.py's realistic security.yml of N keys (the
//! same generator as the CLI benchmark, run with python3) plus one admin key. POSTs run in
//! rounds of 100 (20 rounds at 100 keys, 3 at 10,000), the file reset to N keys before each,
//! so that it stays between N and N + 100 keys. A fresh server
//! is started for each benchmark on 127.0.0.1 (port 0), its access log going to a file as it
//! would to the journal, and read once by a warm-up request. C client threads, each with one
//! kept-alive connection (ureq), send their share of the requests back to back; each POST
//! names a key of its own, and any answer but 200/201 fails the run. Latency is from sending
//! a request to having read its whole answer; requests per second is the number of requests
//! over the wall time from the first sent to the last answered. The server and the clients
//! share the machine's cores.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The admin key's token: of tokenctl's form, with its check digits.
fn admin() -> String {
    use sha2::Digest;
    let body = format!("tk_{}", hex::encode(sha2::Sha256::digest(b"bench admin")));
    let check = hex::encode(&sha2::Sha256::digest(body.as_bytes())[..4]);
    format!("{body}{check}")
}

struct Run {
    keys: usize,
    method: &'static str,
    /// Requests per round.
    requests: usize,
    connections: usize,
    /// Rounds; before each the file is reset to its `keys` (POSTs make it grow).
    rounds: usize,
}

struct Outcome {
    requests: usize,
    wall: Duration,
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
    let scale = if quick { 20 } else { 1 };
    // (keys, method, requests per round, connections, rounds)
    let plan = [
        (100, "GET", 20_000, 8, 1),
        (100, "POST", 100, 4, 20),
        (10_000, "GET", 400, 8, 1),
        (10_000, "POST", 100, 4, 3),
    ]
    .map(|(keys, method, requests, connections, rounds)| Run {
        keys,
        method,
        requests,
        connections,
        rounds,
    });
    let mut lines = vec![
        "## tokenctl serve".to_string(),
        String::new(),
        format!("Machine: {}.", machine()),
        String::new(),
        format!(
            "Command: `cargo bench --bench serve{}`; ureq clients, one kept-alive connection each, a bounded number of requests, loopback.",
            if quick { " -- --quick" } else { "" }
        ),
        String::new(),
        "| keys | file MB | request | connections | requests | req/s | p50 ms | p99 ms | max ms | answer KB |".into(),
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |".into(),
    ];
    for l in &lines {
        println!("{l}");
    }
    let dir = tempfile::tempdir().unwrap();
    for run in plan {
        let requests = if run.method == "GET" {
            (run.requests / scale).max(20)
        } else {
            run.requests
        };
        let rounds = if quick { 1 } else { run.rounds };
        let root = dir.path().join(format!("root-{}-{}", run.keys, run.method));
        let file = root.join("bench/security.yml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let pristine = security_yml(run.keys) + &admin_entry();
        std::fs::write(&file, &pristine).unwrap();
        let size = std::fs::metadata(&file).unwrap().len() as f64 / 1e6;
        let o = measure(&root, dir.path(), &run, requests, rounds, &pristine);
        let mut l = o.latencies.clone();
        l.sort();
        let pct = |p: f64| l[((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let row = format!(
            "| {} | {size:.2} | {} .../apiKeys | {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {:.1} |",
            thousands(run.keys),
            run.method,
            run.connections,
            thousands(o.requests),
            o.requests as f64 / o.wall.as_secs_f64(),
            ms(pct(0.50)),
            ms(pct(0.99)),
            ms(*l.last().unwrap()),
            o.bytes as f64 / o.requests as f64 / 1024.0,
        );
        println!("{row}");
        lines.push(row);
    }
    if let Some(path) = markdown {
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
}

fn measure(
    root: &Path,
    scratch: &Path,
    run: &Run,
    requests: usize,
    rounds: usize,
    pristine: &str,
) -> Outcome {
    let log = scratch.join(format!("serve-{}-{}.log", run.keys, run.method));
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
    let endpoint = format!("{url}/api/bench/admin/apiKeys");
    // Warm-up: the first request reads the file.
    client()
        .get(&endpoint)
        .header("Authorization", format!("Bearer {}", admin()))
        .call()
        .unwrap();

    let per_thread = requests / run.connections;
    let mut wall = Duration::ZERO;
    let mut results: Vec<(Vec<Duration>, usize)> = Vec::new();
    for round in 0..rounds {
        if round > 0 {
            std::fs::write(root.join("bench/security.yml"), pristine).unwrap();
        }
        let started = Instant::now();
        let round_results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..run.connections)
                .map(|t| {
                    let endpoint = endpoint.clone();
                    s.spawn(move || {
                        let agent = client();
                        let mut latencies = Vec::with_capacity(per_thread);
                        let mut bytes = 0;
                        for i in 0..per_thread {
                            let sent = Instant::now();
                            let request = if run.method == "POST" {
                                agent
                                .post(&endpoint)
                                .header("Authorization", format!("Bearer {}", admin()))
                                .header("Content-Type", "application/json")
                                .send(format!(
                                    r#"{{"name": "bench-{t}-{i}", "permissions": ["dns:read"]}}"#
                                ))
                            } else {
                                agent
                                    .get(&endpoint)
                                    .header("Authorization", format!("Bearer {}", admin()))
                                    .call()
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
        wall += started.elapsed();
        results.extend(round_results);
    }
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
    let bytes = results.iter().map(|(_, b)| b).sum();
    let latencies: Vec<Duration> = results.into_iter().flat_map(|(l, _)| l).collect();
    Outcome {
        requests: latencies.len(),
        wall,
        latencies,
        bytes,
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

/// benches/bench.py's generated file of `n` keys.
fn security_yml(n: usize) -> String {
    let benches = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches");
    let out = Command::new("python3")
        .current_dir(&benches)
        .args([
            "-c",
            &format!("import bench, sys; sys.stdout.write(bench.security_yml({n}))"),
        ])
        .output()
        .expect("python3 runs benches/bench.py's generator");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn admin_entry() -> String {
    use sha2::Digest;
    format!(
        "  bench-admin:\n    permissions: ['tenant.apiKey:*']\n    hash: sha256:{}\n    createdAt: 2026-01-01T00:00:00Z\n",
        hex::encode(sha2::Sha256::digest(admin().as_bytes()))
    )
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let now = jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC");
    format!(
        "{cpus} CPUs ({model}), Linux {}, load average {} at start, {now}",
        kernel.trim(),
        load.split_whitespace().next().unwrap_or("?")
    )
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
