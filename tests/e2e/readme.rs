//! The README and docs/FORMAT.md do what they say (issue 12): the Quick start runs as
//! written, the GitHub Actions job's steps run as `shell: bash` runs them against a local
//! git remote and a stub `gh`, and FORMAT.md's examples hold against the real binary.

use crate::support::env::{NOW, TestEnv};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

/// docs/SCRIPTING.md, where the CI job and the GitOps advice live.
fn scripting() -> String {
    std::fs::read_to_string(repo().join("docs/SCRIPTING.md")).unwrap()
}

/// The first fenced block of `lang` after `heading` in `text`.
fn block(text: &str, heading: &str, lang: &str) -> String {
    let after = text
        .split_once(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"))
        .1;
    let start = after
        .split_once(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("no ```{lang} after {heading:?}"))
        .1;
    start.split_once("\n```").unwrap().0.to_string() + "\n"
}

/// PATH with tokenctl first, then `extra`, then the system's.
fn path_with(extra: &[&Path]) -> String {
    let bin = PathBuf::from(assert_cmd::cargo::cargo_bin!("tokenctl"));
    let mut dirs: Vec<String> = vec![bin.parent().unwrap().display().to_string()];
    dirs.extend(extra.iter().map(|p| p.display().to_string()));
    dirs.push("/usr/local/bin:/usr/bin:/bin".into());
    dirs.join(":")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_quick_start_runs_as_written() {
    let script = block(&readme(), "## Quick start", "sh");
    assert!(
        script.contains("TOKEN=$(tokenctl create"),
        "TOKEN is set before it is piped:\n{script}"
    );
    assert!(
        script.contains("NEW=$(tokenctl rotate") && !script.contains("/dev/null"),
        "the rotated secret is kept, not thrown away:\n{script}"
    );
    // In an empty folder, and where the set-up command already made ./tenants/demo (a
    // second tenant under that root needs --new-tenant).
    for after_set_up in [false, true] {
        quick_start_in_a_folder(&script, after_set_up);
    }
}

fn quick_start_in_a_folder(script: &str, after_set_up: bool) {
    let dir = tempfile::tempdir().unwrap();
    if after_set_up {
        std::fs::create_dir_all(dir.path().join("tenants/demo")).unwrap();
        std::fs::write(
            dir.path().join("tenants/demo/security.yml"),
            "version: 1\napiKeys: {}\n",
        )
        .unwrap();
    }
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", path_with(&[]))
        .env("HOME", dir.path())
        .env("TOKENCTL_NOW", NOW)
        .env("CI", "true")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("valid: key 'ci-deploy', permissions: dns:write"),
        "{stdout}"
    );
    assert!(stdout.contains("ci-deploy"), "the list: {stdout}");
    assert!(
        !stdout.contains("tk_"),
        "no secret on the screen but the one captured"
    );
    let path = dir.path().join("tenants/acme/security.yml");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let file = std::fs::read_to_string(&path).unwrap();
    assert_eq!(file, "version: 1\napiKeys: {}\n", "deleted at the end");
}

/// The README's first set-up command, run as written but with the test's own binary in place
/// of `cargo run --locked --release --`: it prints a working secret and makes the tenant's file.
#[test]
fn the_first_set_up_command_makes_a_working_key() {
    let install = block(&readme(), "## Install and set up", "sh");
    let commands: Vec<&str> = install
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(commands.len(), 2, "two commands: {install}");
    assert_eq!(commands[1], "scripts/test");
    assert!(
        std::fs::read_to_string(repo().join(".ci/run"))
            .unwrap()
            .contains("scripts/test"),
        ".ci/run calls the README's test command"
    );
    let args = commands[0]
        .strip_prefix("cargo run --locked --release -- ")
        .unwrap_or_else(|| panic!("builds with the lock file: {}", commands[0]));
    let args: Vec<&str> = args.split_whitespace().collect();
    let dir = tempfile::tempdir().unwrap();
    let bin = PathBuf::from(assert_cmd::cargo::cargo_bin!("tokenctl"));
    let out = Command::new(&bin)
        .args(&args)
        .current_dir(dir.path())
        .env_remove("TOKENCTL_FILE")
        .env_remove("TOKENCTL_TENANT")
        .env_remove("TOKENCTL_ROOT")
        .env("CI", "true")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let token = stdout.trim_end();
    assert!(token.starts_with("tk_") && token.len() == 75, "{stdout}");
    let file = dir.path().join("tenants/demo/security.yml");
    assert!(file.is_file(), "{stderr}");
    let verify = assert_cmd::Command::new(&bin)
        .args([
            "--file",
            file.to_str().unwrap(),
            "verify",
            "--permission",
            "dns:read",
        ])
        .write_stdin(token)
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", text(&verify).1);
}

/// The README stays an entrance: the rest of the manual is in docs/.
#[test]
fn the_readme_is_short_and_links_every_docs_page() {
    let readme = readme();
    assert!(
        readme.lines().count() <= 260,
        "README.md has {} lines; move detail to docs/",
        readme.lines().count()
    );
    for page in [
        "docs/GUIDE.md",
        "docs/SCRIPTING.md",
        "docs/CONFIG-MANAGEMENT.md",
        "docs/API.md",
        "docs/GATE.md",
        "docs/SCANNING.md",
        "docs/FORMAT.md",
        "docs/REFERENCE.md",
        "SECURITY.md",
        "CONTRIBUTING.md",
        "ARCHITECTURE.md",
    ] {
        assert!(readme.contains(&format!("]({page}")), "README links {page}");
        assert!(repo().join(page).is_file(), "{page} exists");
    }
    // Every relative link of every page leads to a file of the repository.
    let mut pages = vec![repo().join("README.md")];
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        pages.push(entry.unwrap().path());
    }
    for extra in ["CONTRIBUTING.md", "ARCHITECTURE.md", "SECURITY.md"] {
        pages.push(repo().join(extra));
    }
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        // Links in the prose only: not in code blocks or `code` (a time's `[.fraction](Z|...)`).
        let prose: String = text
            .split("```")
            .step_by(2)
            .flat_map(|part| part.split('`').step_by(2))
            .collect();
        for link in prose.split("](").skip(1) {
            let target = link.split(')').next().unwrap();
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let file = target.split('#').next().unwrap();
            let path = page.parent().unwrap().join(file);
            assert!(path.exists(), "{}: broken link {target}", page.display());
        }
        assert!(
            !text.contains("SPEC.md"),
            "{}: cites SPEC.md, which is not in the repository",
            page.display()
        );
    }
}

/// Code and tests cite the contract that is in the repository (docs/FORMAT.md), never a
/// SPEC.md that is not.
#[test]
fn code_and_tests_cite_no_missing_spec() {
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.file_name().is_some_and(|n| n != "readme.rs")
                && std::fs::read_to_string(&path).is_ok_and(|t| t.contains("SPEC.md"))
            {
                found.push(path.display().to_string());
            }
        }
    }
    let mut found = Vec::new();
    for dir in ["src", "tests/e2e", "benches", "examples"] {
        walk(&repo().join(dir), &mut found);
    }
    assert!(found.is_empty(), "cite docs/FORMAT.md instead: {found:?}");
}

/// The job of the README's GitHub Actions example.
struct Job {
    env: Vec<(String, String)>,
    /// The `run:` scripts, in order, after checkout and the install step.
    steps: Vec<String>,
}

fn actions_job() -> Job {
    let yaml = block(&scripting(), "## A GitHub Actions job", "yaml");
    let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(
        v["permissions"]["contents"].as_str(),
        Some("write"),
        "the job pushes, so it needs contents: write"
    );
    let job = &v["jobs"]["rotate"];
    assert_eq!(
        job["defaults"]["run"]["shell"].as_str(),
        Some("bash"),
        "shell: bash runs steps with -eo pipefail"
    );
    let env = job["env"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_string(),
                v.as_str().unwrap().to_string(),
            )
        })
        .collect();
    let steps = job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .filter(|r| !r.trim_start().starts_with("cargo install"))
        .map(String::from)
        .collect();
    Job { env, steps }
}

/// A checkout of a repository whose origin is a local bare repository, and a `gh` that
/// records each `gh secret set NAME` (its stdin) in `calls/`.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str], cwd: &Path| {
            let out = Command::new("git")
                .args(args)
                .current_dir(cwd)
                .env("HOME", dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {}", text(&out).1);
        };
        git(
            &["init", "-q", "--bare", "-b", "main", "origin.git"],
            dir.path(),
        );
        git(&["clone", "-q", "origin.git", "work"], dir.path());
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::create_dir_all(dir.path().join("calls")).unwrap();
        let gh = dir.path().join("bin/gh");
        std::fs::write(
            &gh,
            format!(
                "#!/bin/sh\n# A stub of gh: `gh secret set NAME` records its stdin.\n\
                 [ \"$1 $2\" = \"secret set\" ] || {{ echo \"gh stub: unexpected $*\" >&2; exit 2; }}\n\
                 [ -n \"$GH_TOKEN\" ] || {{ echo 'gh stub: GH_TOKEN is not set' >&2; exit 4; }}\n\
                 n=$(ls {calls} | wc -l)\n\
                 cat > {calls}/$n-$3\n",
                calls = dir.path().join("calls").display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
        Runner { dir }
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Runs the job's steps in order as GitHub's `shell: bash` does
    /// (`bash --noprofile --norc -eo pipefail`); the first failing step ends the job.
    fn run(&self, job: &Job, run_id: &str) -> Result<(), (usize, String)> {
        for (i, step) in job.steps.iter().enumerate() {
            let mut c = Command::new("bash");
            c.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", step])
                .current_dir(self.work())
                .env_clear()
                .env("PATH", path_with(&[&self.dir.path().join("bin")]))
                .env("HOME", self.dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("CI", "true")
                .env("GITHUB_RUN_ID", run_id)
                .env("TOKENCTL_NOW", NOW);
            for (k, v) in &job.env {
                let v = if v.contains("${{") { "a-stub-token" } else { v };
                c.env(k, v);
            }
            let out = c.output().unwrap();
            if !out.status.success() {
                return Err((i, text(&out).1));
            }
        }
        Ok(())
    }

    /// What `gh secret set` was given, call by call.
    fn calls(&self) -> Vec<(String, String)> {
        let mut calls: Vec<(String, String)> = std::fs::read_dir(self.dir.path().join("calls"))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect();
        calls.sort();
        calls
    }

    fn tokenctl(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(assert_cmd::cargo::cargo_bin!("tokenctl"))
            .args(args)
            .current_dir(self.work())
            .env("TOKENCTL_FILE", "config/acme/security.yml")
            .env("TOKENCTL_NOW", NOW)
            .env("CI", "true")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// The subject of each commit on the remote, newest first.
    fn pushed(&self) -> Vec<String> {
        let out = Command::new("git")
            .args(["log", "--format=%s", "main"])
            .current_dir(self.dir.path().join("origin.git"))
            .output()
            .unwrap();
        text(&out).0.lines().map(String::from).collect()
    }
}

#[test]
fn the_github_actions_job_runs_and_never_feeds_gh_an_empty_secret() {
    let job = actions_job();
    assert_eq!(job.steps.len(), 3, "create, revoke, commit");
    let runner = Runner::new();

    // First run: the file does not exist yet; the job creates it, stores, commits, pushes.
    runner
        .run(&job, "101")
        .unwrap_or_else(|(i, e)| panic!("step {i}: {e}"));
    let calls = runner.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "0-DEPLOY_TOKEN");
    let first = calls[0].1.clone();
    assert!(
        first.starts_with("tk_") && first.len() == 75,
        "the secret, alone: {first:?}"
    );
    let (stdout, _) = text(&runner.tokenctl(&["verify", "--permission", "dns:write"], &first));
    assert!(stdout.contains("valid: key 'deploy-101'"), "{stdout}");
    assert_eq!(runner.pushed(), ["deploy key: run 101"]);

    // Second run: a new key, the old one revoked, both in one more pushed commit.
    runner
        .run(&job, "102")
        .unwrap_or_else(|(i, e)| panic!("step {i}: {e}"));
    let calls = runner.calls();
    assert_eq!(calls.len(), 2);
    let second = calls[1].1.clone();
    assert_ne!(first, second);
    let (stdout, _) = text(&runner.tokenctl(&["verify"], &second));
    assert!(stdout.contains("valid: key 'deploy-102'"), "{stdout}");
    let out = runner.tokenctl(&["verify"], &first);
    assert_eq!(out.status.code(), Some(4), "the replaced key is revoked");
    let (names, _) = text(&runner.tokenctl(&["list", "-q"], ""));
    assert_eq!(names, "deploy-102\n");
    assert_eq!(
        runner.pushed(),
        ["deploy key: run 102", "deploy key: run 101"]
    );

    // A failing create stops the job before gh runs: no empty secret is ever set.
    let (i, error) = runner.run(&job, "bad/id").unwrap_err();
    assert_eq!(i, 0, "the create step fails");
    assert!(error.contains("invalid key name"), "{error}");
    assert_eq!(runner.calls().len(), 2, "gh was not run");
    assert!(runner.calls().iter().all(|(_, s)| s.starts_with("tk_")));
    assert_eq!(runner.pushed().len(), 2, "nothing more pushed");
}

#[test]
fn a_piped_create_would_have_fed_gh_an_empty_secret() {
    // Why the example captures the secret first: in a pipe, gh starts at once and reads
    // stdin to its end, which a failed create leaves empty; pipefail fails the step only
    // afterwards.
    let runner = Runner::new();
    let job = Job {
        env: vec![("GH_TOKEN".into(), "x".into())],
        steps: vec![
            "tokenctl --file x.yml create 'bad/name' --quiet | gh secret set DEPLOY_TOKEN".into(),
        ],
    };
    assert!(runner.run(&job, "1").is_err(), "pipefail fails the step");
    assert_eq!(
        runner.calls(),
        [("0-DEPLOY_TOKEN".to_string(), String::new())]
    );
}

#[test]
fn the_docs_name_the_lock_file_and_link_the_format() {
    let readme = readme();
    assert!(readme.contains("security.yml.lock"));
    let ignore = block(
        &scripting(),
        "keep tokenctl's local state out of version control",
        "gitignore",
    );
    assert!(ignore.lines().any(|l| l == "*.yml.lock"), "{ignore}");
    assert!(readme.contains("[docs/FORMAT.md](docs/FORMAT.md)"));
    assert!(repo().join("docs/FORMAT.md").is_file());
    assert!(
        !readme.contains("../shared/"),
        "no link outside the repository"
    );
    // The pattern ignores the lock files tokenctl really makes, in a real git repository.
    let env = TestEnv::new();
    env.create("ci", &[]);
    let secret = env.create("used", &[]);
    env.run_with(&["verify", "--record"], &secret).success();
    std::fs::write(env.dir.path().join(".gitignore"), &ignore).unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(env.dir.path())
            .env("HOME", env.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out).1);
        text(&out).0
    };
    git(&["init", "-q"]);
    let untracked = git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(
        untracked.contains("tenants/acme/security.yml\n"),
        "{untracked}"
    );
    for ignored in ["security.yml.lock", "security.usage.yml"] {
        assert!(!untracked.contains(ignored), "{ignored}: {untracked}");
    }
    assert!(env.root().join("acme/security.yml.lock").exists());
    assert!(env.root().join("acme/security.usage.yml.lock").exists());
}

#[test]
fn the_format_document_s_examples_hold() {
    let doc = std::fs::read_to_string(repo().join("docs/FORMAT.md")).unwrap();
    for section in [
        "## The file",
        "## The usage file",
        "## Tokens",
        "## How a token is verified",
    ] {
        assert!(doc.contains(section), "{section}");
    }
    for reason in [
        "empty",
        "bad-header",
        "whitespace",
        "bad-input",
        "malformed",
        "unknown",
        "ambiguous",
        "rotated",
        "disabled",
        "expired",
        "permission",
        "ip",
        "path",
        "resource",
    ] {
        assert!(
            doc.contains(&format!("| `{reason}` |")),
            "reason {reason} in the table"
        );
    }
    // The example file is a valid security.yml.
    let env = TestEnv::new();
    let example = block(&doc, "## The file", "yaml");
    env.write(&example);
    env.run(&["check"]).success().stderr_has("ok (1 key)");
    // The example token is the example key's, and its stored hash is as printed.
    let token = block(&doc, "## Tokens", "text")
        .lines()
        .next()
        .unwrap()
        .to_string();
    let hash = format!("sha256:{}", hex::encode(Sha256::digest(token.as_bytes())));
    assert!(doc.contains(&format!("stored as\n  `{hash}`")), "{hash}");
    assert!(example.contains(&format!("hash: {hash}")));
    env.run_with(
        &["verify", "--permission", "dns:write", "--ip", "203.0.113.7"],
        &token,
    )
    .success()
    .stdout_has("valid: key 'ci-deploy'");
    // Its fingerprint is the first 8 digits of that hash, as list shows it.
    let fingerprint = &hash[7..15];
    assert!(doc.contains(&format!("(`{fingerprint}`)")));
    let v = env.run(&["list", "-o", "json"]).success().json();
    assert_eq!(v[0]["fingerprint"], fingerprint);
    // One character off is malformed (the check digits), not unknown.
    let mut typo = token.clone();
    typo.replace_range(10..11, if &token[10..11] == "0" { "1" } else { "0" });
    let v = env
        .run_with(&["verify", "-o", "json"], &typo)
        .code(4)
        .json();
    assert_eq!(v["reason"], "malformed");
    assert_eq!(v["status"], 401);
    // Forbidden cases are 403.
    let v = env
        .run_with(&["verify", "-o", "json", "--ip", "198.51.100.1"], &token)
        .code(5)
        .json();
    assert_eq!(
        (v["reason"].as_str(), v["status"].as_u64()),
        (Some("ip"), Some(403))
    );
    // pathPrefix matches at a `/` boundary, on normalised paths only.
    for (path, reason) in [
        ("/api/dns", "valid"),
        ("/api/dns/zones", "valid"),
        ("/api/dnsx", "path"),
        ("/api/dns/../admin", "path"),
        ("/api/dns//zones", "path"),
        ("/api/dns/%2e%2e/admin", "path"),
    ] {
        let out = env.run_with(&["verify", "-o", "json", "--path", path], &token);
        assert_eq!(out.json()["reason"], reason, "{path}");
    }
    // A token of the file's prefix that is not 72 lowercase hex digits is malformed.
    for bad in [
        "acme_abc123",
        &token.to_uppercase().replace("ACME_", "acme_"),
        &token[..70],
    ] {
        let v = env.run_with(&["verify", "-o", "json"], bad).code(4).json();
        assert_eq!(v["reason"], "malformed", "{bad}");
    }
    // Two keys with one hash: the token is ambiguous (401), naming both, and check fails.
    let shared = format!("{example}  copy:\n    hash: {hash}\n");
    env.write(&shared);
    let v = env
        .run_with(&["verify", "-o", "json"], &token)
        .code(4)
        .json();
    assert_eq!(
        (v["reason"].as_str(), v["status"].as_u64()),
        (Some("ambiguous"), Some(401))
    );
    env.run(&["check"]).code(7);
    // The scanner regex matches the example and what tokenctl generates, whole.
    let pattern = doc
        .split_once("Regex for secret scanners")
        .unwrap()
        .1
        .split('`')
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(pattern, "[a-z0-9]{1,16}_[0-9a-f]{72}");
    let re = regex::Regex::new(&format!("^{pattern}$")).unwrap();
    assert!(re.is_match(&token));
    let fresh = TestEnv::new();
    for _ in 0..3 {
        let secret = fresh
            .run(&["create", &format!("k{}", rand_name()), "-q"])
            .success()
            .secret();
        assert!(re.is_match(&secret), "{secret}");
    }
}

fn rand_name() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
