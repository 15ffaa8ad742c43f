//! What the benchmarks share (`mod support;` in each): the generated file, the machine they
//! ran on, numbers as the tables print them.

use std::path::PathBuf;
use std::process::Command;

/// benches/bench.py's generated file of `n` keys.
pub(crate) fn security_yml(n: usize) -> String {
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

/// `n` with thousands separators (`10,000`).
pub(crate) fn thousands(n: usize) -> String {
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

/// The processors, their model and the kernel: `2 CPUs (AMD EPYC), Linux 6.18.44`.
pub(crate) fn cpus_and_kernel() -> String {
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
    format!("{cpus} CPUs ({model}), Linux {}", kernel.trim())
}

/// The load averages of /proc/loadavg, the first `n` of them.
pub(crate) fn load_average(n: usize) -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The median of `v` (sorted in place).
#[allow(dead_code)] // benches/serve.rs has its own measures.
pub(crate) fn median(v: &mut [std::time::Duration]) -> std::time::Duration {
    v.sort();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

/// A seeded shuffle, so that a run can be repeated (Knuth's MMIX constants).
#[allow(dead_code)] // benches/serve.rs has its own measures.
pub(crate) struct Lcg(pub(crate) u64);

#[allow(dead_code)]
impl Lcg {
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}
