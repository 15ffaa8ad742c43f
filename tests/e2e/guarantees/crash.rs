//! Crash safety (SECURITY.md, "Integrity of the file"): tokenctl is killed with SIGKILL at random instants
//! during writes on a file of several hundred keys. After every kill the file loads and is
//! byte for byte the state before the command or the state after it, and temporary files of
//! killed writes never pile up: the next write removes them.
//!
//! The state after a command is found by running the same command to completion on a copy
//! of the file with the same clock. `create` imports its secret (`--secret-stdin`), so its
//! result is exact; `rotate` draws a new secret, so its result is compared with every
//! `sha256:` value masked (and the hash must differ from the old one).
//!
//! `TOKENCTL_CRASH_RUNS` sets the number of killed commands (default 300);
//! `TOKENCTL_CRASH_SEED` the seed, printed so that a failure can be replayed.

use crate::support::harness::{Rng, big_file, command, mask_hashes, temp_files};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const KEYS: usize = 300;

/// One write and what to feed it.
struct Op {
    args: Vec<String>,
    stdin: Vec<u8>,
    /// The result draws a random secret: compare with hashes masked.
    random_secret: bool,
}

fn pick_op(rng: &mut Rng, i: usize, names: &[String], with_apply: bool, dir: &Path) -> Op {
    let name = names[rng.below(names.len() as u64) as usize].clone();
    let op = |args: &[&str]| Op {
        args: args.iter().map(|s| s.to_string()).collect(),
        stdin: Vec::new(),
        random_secret: false,
    };
    match rng.below(if with_apply { 6 } else { 5 }) {
        0 => Op {
            args: vec![
                "create".into(),
                format!("new-{i}"),
                "--secret-stdin".into(),
                "--permission".into(),
                "dns:read".into(),
                "--description".into(),
                format!("made in run {i}"),
            ],
            stdin: format!("imported-crash-test-secret-number-{i:06}\n").into_bytes(),
            random_secret: false,
        },
        1 => match rng.below(4) {
            0 => op(&[
                "update",
                &name,
                "--description",
                &format!("edited in run {i}"),
            ]),
            1 => op(&["update", &name, "--disable"]),
            2 => op(&["update", &name, "--add-permission", &format!("run:{i}")]),
            _ => op(&["update", &name, "--expires", "30d", "--enable"]),
        },
        2 if names.len() > KEYS / 2 => op(&["delete", &name, "--yes"]),
        3 => Op {
            random_secret: true,
            ..op(&["rotate", &name, "--grace", "1h"])
        },
        4 => Op {
            random_secret: true,
            ..op(&["rotate", &name])
        },
        5 => {
            let desired = dir.join(format!("desired-{i}.yml"));
            fs::write(
                &desired,
                format!(
                    "apiKeys:\n  {name}:\n    description: applied in run {i}\n  applied-{i}:\n    hash: {}\n",
                    crate::support::harness::fake_hash(100_000 + i)
                ),
            )
            .unwrap();
            op(&["apply", "-f", desired.to_str().unwrap()])
        }
        _ => op(&[
            "update",
            &name,
            "--description",
            &format!("edited in run {i}"),
        ]),
    }
}

/// Runs `op` to completion on `file`; returns the exit code.
fn run_to_end(file: &Path, op: &Op) -> i32 {
    let mut child = command(file)
        .args(&op.args)
        .stdin(Stdio::piped())
        .spawn()
        .expect("tokenctl starts");
    child.stdin.take().unwrap().write_all(&op.stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    out.status.code().unwrap_or(-1)
}

fn key_names(text: &str) -> Vec<String> {
    let doc = tokenctl::document::Document::load(Path::new("security.yml"), text.to_string())
        .expect("the file loads");
    doc.model.names().map(str::to_string).collect()
}

#[test]
fn sigkill_at_random_instants_leaves_the_old_or_the_new_file() {
    let runs: usize = std::env::var("TOKENCTL_CRASH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("TOKENCTL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("crash harness: {runs} runs, TOKENCTL_CRASH_SEED={seed}");
    let mut rng = Rng::new(seed);

    let tmp = tempfile::tempdir().unwrap();
    let live_dir = tmp.path().join("live");
    let copy_dir = tmp.path().join("copy");
    fs::create_dir_all(&live_dir).unwrap();
    fs::create_dir_all(&copy_dir).unwrap();
    let live = live_dir.join("security.yml");
    let copy = copy_dir.join("security.yml");
    fs::write(&live, big_file(KEYS)).unwrap();
    fs::set_permissions(&live, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();

    let mut with_apply = command(&live)
        .args(["apply", "--help"])
        .status()
        .is_ok_and(|s| s.success());
    if !with_apply {
        eprintln!("crash harness: this build has no `apply`; it is left out of the mix");
    }

    let (mut before_kill, mut after_kill, mut finished, mut temps_seen) = (0, 0, 0, 0);
    let mut no_change = 0;
    let mut reach = 1.25;
    let mut durations: Vec<Duration> = Vec::new();
    for i in 0..runs {
        let before = fs::read(&live).unwrap();
        let before_text = String::from_utf8(before.clone()).unwrap();
        let names = key_names(&before_text);
        let op = pick_op(&mut rng, i, &names, with_apply, tmp.path());

        // The state after the command, from a run to completion on a copy.
        fs::write(&copy, &before).unwrap();
        let started = Instant::now();
        let code = run_to_end(&copy, &op);
        durations.push(started.elapsed());
        if code != 0 && op.args[0] == "apply" {
            // `apply` is newer than this harness; if its desired-state shape differs from
            // the one guessed here, leave it out rather than fail the crash test.
            eprintln!("crash harness: apply exited {code} on the copy; leaving it out");
            with_apply = false;
            no_change += 1;
            continue;
        }
        assert!(
            code == 0,
            "run {i}: {:?} failed on the copy with exit {code}",
            op.args
        );
        let after = fs::read(&copy).unwrap();
        if after == before {
            // e.g. `--disable` on a disabled key: nothing to write, nothing to kill.
            no_change += 1;
            continue;
        }

        // The same command on the live file, killed at a random instant of a typical run.
        durations.sort();
        let typical = durations[durations.len() / 2];
        // `reach` adapts the window to how fast the live runs really are (a loaded machine
        // slows one run and not the next): it shrinks when a run finished before its kill
        // and grows when the kill came before the write, so kills gather near the write.
        let window = (typical.as_micros() as f64 * reach) as u64;
        let delay = Duration::from_micros(rng.below(window + 1));
        let mut child = command(&live)
            .args(&op.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tokenctl starts");
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(&op.stdin);
        drop(stdin);
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();

        let now = fs::read(&live).unwrap();
        let now_text = String::from_utf8(now.clone())
            .unwrap_or_else(|_| panic!("run {i} (seed {seed}): the file is no longer UTF-8"));
        tokenctl::document::Document::load(&live, now_text.clone()).unwrap_or_else(|e| {
            panic!("run {i} (seed {seed}): the file no longer loads after a kill: {e}")
        });
        let is_after = if op.random_secret {
            now != before && mask_hashes(&now_text) == mask_hashes(&String::from_utf8_lossy(&after))
        } else {
            now == after
        };
        assert!(
            now == before || is_after,
            "run {i} (seed {seed}): after killing {:?} the file is neither the old nor the new state",
            op.args
        );
        reach = if status.success() {
            (reach * 0.95).max(0.2)
        } else if now == before {
            (reach * 1.02).min(3.0)
        } else {
            reach
        };
        if status.success() {
            finished += 1;
            assert!(
                is_after,
                "run {i}: {:?} succeeded but wrote nothing",
                op.args
            );
        } else if now == before {
            before_kill += 1;
        } else {
            after_kill += 1;
        }
        // A kill between creating and renaming the temporary file leaves it behind; the
        // next write must remove it, so there is never more than one.
        let temps = temp_files(&live_dir);
        assert!(
            temps.len() <= 1,
            "run {i}: temporary files pile up: {temps:?}"
        );
        temps_seen += temps.len();
    }

    // One last write to completion cleans up whatever a kill left.
    let fin = crate::support::harness::command(&live)
        .args(["update", "key-1", "--description", "final"])
        .output()
        .unwrap();
    let fin_ok = fin.status.success()
        || String::from_utf8_lossy(&fin.stderr).contains("no key named 'key-1'");
    assert!(fin_ok, "{}", String::from_utf8_lossy(&fin.stderr));
    if !fin.status.success() {
        let out = crate::support::harness::command(&live)
            .args(["create", "final", "--secret-stdin"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = out;
        out.stdin
            .take()
            .unwrap()
            .write_all(b"the-final-secret-of-the-crash-harness\n")
            .unwrap();
        assert!(out.wait().unwrap().success());
    }
    assert_eq!(temp_files(&live_dir), Vec::<String>::new());
    let check = command(&live).arg("check").output().unwrap();
    assert!(
        check.status.success(),
        "check after the harness: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    eprintln!(
        "crash harness: {runs} commands killed at random: {before_kill} left the old file, \
         {after_kill} the new one, {finished} had finished; {temps_seen} temporary files left \
         by kills were all removed by the next write; {no_change} changed nothing"
    );
    assert_eq!(before_kill + after_kill + finished + no_change, runs);
    assert!(
        before_kill + after_kill >= runs / 3,
        "too few commands were killed mid-way to prove anything"
    );
}
