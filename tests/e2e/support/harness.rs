//! Helpers for the fault, concurrency and hostile-input tests: the binary's path, large
//! generated files, a seeded random source, a run that measures the child's peak memory, and
//! what a write may leave behind.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::env::Output;

/// The tokenctl binary under test.
pub(crate) fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin!("tokenctl").to_path_buf()
}

/// A plain command for `file` with the fixed clock, a clean environment and no terminal.
pub(crate) fn command(file: &Path) -> Command {
    let mut c = Command::new(bin());
    clean_env(&mut c, file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn clean_env<'c>(c: &'c mut Command, file: &Path) -> &'c mut Command {
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TOKENCTL_FILE", file)
        .env("TOKENCTL_NOW", crate::support::env::NOW)
        .env("CI", "true")
}

/// A small deterministic random source (xorshift64*): runs are repeatable from the seed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A stored hash for test key `i` (not the hash of any real secret).
pub(crate) fn fake_hash(i: usize) -> String {
    use sha2::Digest;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(format!("key {i}").as_bytes()))
    )
}

/// A hand-edited-looking security.yml with `n` keys `key-0..`, comments and foreign sections.
pub(crate) fn big_file(n: usize) -> String {
    let mut s = String::from(
        "# Managed partly by hand, partly by tokenctl.\nversion: 1\ntokenPrefix: acme\nhelm:\n  release: tokens   # someone else's\napiKeys:\n",
    );
    for i in 0..n {
        if i % 50 == 0 {
            s.push_str(&format!("  # --- batch {} ---\n", i / 50));
        }
        s.push_str(&format!(
            "  key-{i}:\n    description: \"service {i}\"\n    permissions: [dns:read, 'zone:{i}']\n    hash: {}\n    createdAt: 2026-01-01T00:00:00Z\n    x-owner: team-{}   # foreign field\n",
            fake_hash(i),
            i % 7
        ));
        if i % 3 == 0 {
            s.push_str("    expiresAt: 2027-06-01T00:00:00Z\n");
        }
    }
    s.push_str("# trailing comment\nextra:\n  - kept\n");
    s
}

/// Replaces every `sha256:<64 hex>` with a placeholder, to compare files that differ only
/// in secrets generated at random.
pub(crate) fn mask_hashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("sha256:") {
        out.push_str(&rest[..i + 7]);
        rest = &rest[i + 7..];
        let hex_len = rest
            .bytes()
            .take(64)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if hex_len == 64 {
            out.push_str("<hash>");
            rest = &rest[64..];
        }
    }
    out.push_str(rest);
    out
}

/// Names of the temporary files a write leaves in `dir` (only a killed one does).
pub(crate) fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tokenctl-tmp."))
                .collect()
        })
        .unwrap_or_default()
}

/// What a measured run printed, returned and cost.
#[derive(Debug)]
pub(crate) struct Measured {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident memory of tokenctl itself, in KiB.
    pub peak_rss_kib: i64,
}

/// Runs tokenctl with `args` on `file` under GNU time (for its peak RSS) and coreutils'
/// timeout (killed after `limit`). Both fork the child, so its peak is its own: a child
/// spawned straight from the test process (vfork) would report the test process's peak,
/// since Linux carries the replaced memory's high-water mark across exec.
pub(crate) fn run_measured(file: &Path, args: &[&str], stdin: &[u8], limit: Duration) -> Measured {
    assert!(
        Path::new("/usr/bin/time").exists(),
        "the hostile-file tests need GNU time: apt-get install time (scripts/test installs it)"
    );
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut time = Command::new("/usr/bin/time");
    let mut child = clean_env(&mut time, file)
        .args(["-q", "-f", "%M", "-o"])
        .arg(report.path())
        .args(["timeout", "-s", "KILL"])
        .arg(format!("{}s", limit.as_secs()))
        .arg(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("time and timeout start");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output().unwrap();
    let _ = feeder.join();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(
        code, 137,
        "tokenctl {args:?} ran longer than {limit:?} and was killed\nstderr: {stderr}"
    );
    let peak_rss_kib = fs::read_to_string(report.path())
        .unwrap()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("GNU time reports the peak RSS");
    Measured {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        peak_rss_kib,
    }
}

/// A security.yml in a temp folder.
pub(crate) fn temp_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("security.yml");
    fs::write(&file, text).unwrap();
    fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    (dir, file)
}

/// Runs tokenctl on `file`, killing it if it has not finished within 20 s (a hang is a
/// failure, not a stuck test run).
pub(crate) fn run(file: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = command(file)
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before it reads stdin closes it: that is no failure here.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("tokenctl {args:?} hung (killed after 20 s)");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        temp_files(file.parent().unwrap()).is_empty(),
        "a temp file was left"
    );
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
