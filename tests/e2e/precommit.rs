//! The repository's `.pre-commit-hooks.yaml` run by a real `pre-commit` (from PyPI) in a
//! temporary git repository: a commit adding a live secret is refused, a clean one goes in.
//!
//! The `tokenctl-scan-system` hook uses the tokenctl built for these tests, put on PATH. The
//! `tokenctl-scan` hook (language: rust) makes pre-commit build tokenctl from the repository
//! with `cargo install`; that takes minutes, so its test runs only with
//! `TOKENCTL_SLOW_TESTS=1` (CARGO_PROFILE_RELEASE_LTO=false makes that build quicker).
//!
//! Skipped only when pre-commit is missing AND CI is unset; in CI it must run (`.ci/run`
//! installs it from PyPI).

use crate::support::env::TestEnv;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// pre-commit: `$PRE_COMMIT`, else on PATH, else beside python3's scripts.
fn pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRE_COMMIT") {
        return Some(PathBuf::from(p));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("pre-commit"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_path('scripts'))",
            ])
            .output()
            .ok()?;
        let dir = String::from_utf8(out.stdout).ok()?;
        Some(Path::new(dir.trim()).join("pre-commit")).filter(|p| p.is_file())
    })
}

/// A temp folder to run git and pre-commit in.
struct Sandbox {
    env: TestEnv,
    /// Put the test build of tokenctl first on PATH (the system hook runs it); the rust
    /// hook's test leaves it out, so that pre-commit's own build is what runs.
    test_build_on_path: bool,
}

impl Sandbox {
    /// A clean environment: HOME and pre-commit's cache in the temp folder, no TOKENCTL_*
    /// variables.
    fn command(&self, program: &Path, dir: &Path) -> Command {
        let bin = Path::new(assert_cmd::cargo::cargo_bin!("tokenctl"))
            .parent()
            .unwrap()
            .to_path_buf();
        let path = std::env::join_paths(self.test_build_on_path.then_some(bin).into_iter().chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .unwrap();
        let home = self.env.dir.path();
        let mut c = Command::new(program);
        c.current_dir(dir)
            .env_clear()
            .env("PATH", path)
            .env("HOME", home)
            .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("LC_ALL", "C.UTF-8");
        // Cargo, for the rust hook, finds its toolchain and registry cache as before; a
        // CARGO_PROFILE_RELEASE_* setting (say, LTO off) reaches the build pre-commit runs.
        for (var, v) in std::env::vars_os() {
            let var_s = var.to_string_lossy();
            if ["CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN"].contains(&var_s.as_ref())
                || var_s.starts_with("CARGO_PROFILE_RELEASE_")
            {
                c.env(&var, v);
            }
        }
        c
    }

    fn git(&self, dir: &Path, args: &[&str]) -> Output {
        let mut c = self.command(Path::new("git"), dir);
        c.args(args);
        run(c)
    }
}

fn run(mut c: Command) -> Output {
    c.output().expect("runs")
}

#[track_caller]
fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository of hooks holding the project's `.pre-commit-hooks.yaml` (the file itself, as
/// committed or not), and its commit.
fn hook_repo(sb: &Sandbox) -> (PathBuf, String) {
    let dir = sb.env.dir.path().join("hooks");
    std::fs::create_dir_all(&dir).unwrap();
    ok(sb.git(&dir, &["init", "-q"]));
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        dir.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    ok(sb.git(&dir, &["add", "."]));
    ok(sb.git(&dir, &["commit", "-q", "-m", "hooks"]));
    let rev = ok(sb.git(&dir, &["rev-parse", "HEAD"]));
    (dir, rev.trim().to_string())
}

/// A project with tenants/acme/security.yml and a pre-commit config using `hook`; commits
/// a live secret (refused), then a clean file and a disabled key's secret (accepted).
fn blocks_a_live_secret(pre_commit: &Path, sb: &Sandbox, repo: &Path, rev: &str, hook: &str) {
    let project = sb.env.dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let git = |args: &[&str]| sb.git(&project, args);
    ok(git(&["init", "-q"]));
    let tokenctl = |args: &[&str]| {
        let mut c = sb.command(
            Path::new(assert_cmd::cargo::cargo_bin!("tokenctl")),
            &project,
        );
        c.env("CI", "true").args(args);
        ok(run(c)).trim().to_string()
    };
    let live = tokenctl(&["--tenant", "acme", "create", "ci", "-q", "--new-tenant"]);
    let off = tokenctl(&["--tenant", "acme", "create", "off", "--disabled", "-q"]);
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n        args: [--all-tenants, --]\n",
            repo.display()
        ),
    )
    .unwrap();
    let mut install = sb.command(pre_commit, &project);
    install.arg("install");
    ok(run(install));
    // The security file itself goes in: it holds hashes, not secrets.
    ok(git(&["add", "."]));
    ok(git(&["commit", "-q", "-m", "keys"]));

    // A file named like an option is a file: `--` comes before the file names.
    std::fs::write(project.join("--help"), format!("TOKEN={live}\n")).unwrap();
    ok(git(&["add", "--", "--help"]));
    let refused = git(&["commit", "-m", "a file named --help"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!refused.status.success(), "the commit went in:\n{said}");
    assert!(
        said.contains("--help:1:7: live secret of key 'ci'") && said.contains("exit code: 10"),
        "{said}"
    );
    ok(git(&["rm", "-q", "--cached", "--", "--help"]));
    std::fs::remove_file(project.join("--help")).unwrap();

    std::fs::write(
        project.join("deploy.env"),
        format!("# CI\nDEPLOY_TOKEN={live}\n"),
    )
    .unwrap();
    ok(git(&["add", "deploy.env"]));
    let refused = git(&["commit", "-m", "add the deploy token"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!refused.status.success(), "the commit went in:\n{said}");
    assert!(
        said.contains("deploy.env:2:14: live secret of key 'ci' (tenant acme, fingerprint")
            && said.contains("tokenctl --tenant acme rotate ci")
            && said.contains("Failed")
            && said.contains("exit code: 10"),
        "{said}"
    );
    assert!(
        !said.contains(&live[3..]),
        "the secret was printed:\n{said}"
    );
    let log = ok(git(&["log", "--oneline"]));
    assert_eq!(log.lines().count(), 1, "{log}");

    // Without the live secret (a disabled key's is allowed by default), it goes in.
    std::fs::write(
        project.join("deploy.env"),
        format!("# CI\nDEPLOY_TOKEN=${{DEPLOY_TOKEN}}\nOLD={off}\n"),
    )
    .unwrap();
    ok(git(&["add", "deploy.env"]));
    let accepted = git(&["commit", "-m", "deploy token from the environment"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&accepted.stdout),
        String::from_utf8_lossy(&accepted.stderr)
    );
    assert!(accepted.status.success(), "{said}");
    assert!(said.contains("Passed"), "{said}");
    let log = ok(git(&["log", "--oneline"]));
    assert_eq!(log.lines().count(), 2, "{log}");
}

#[test]
#[ignore = "needs pre-commit; scripts/test installs it"]
fn pre_commit_refuses_a_commit_holding_a_live_secret() {
    let pre_commit = pre_commit().expect(
        "pre-commit is not installed: python3 -m pip install pre-commit==4.7.0 \
         (scripts/test installs it)",
    );
    let sb = Sandbox {
        env: TestEnv::new(),
        test_build_on_path: true,
    };
    let (repo, rev) = hook_repo(&sb);
    blocks_a_live_secret(&pre_commit, &sb, &repo, &rev, "tokenctl-scan-system");
}

/// The hook users get by default: pre-commit builds tokenctl from the repository's own
/// commit. Slow (a release build through cargo install, minutes): run only with
/// `TOKENCTL_SLOW_TESTS=1` (`#[ignore]` means "needs an outside tool", here pre-commit;
/// only-slow is this switch, so that a run with --include-ignored stays minutes long).
#[test]
#[ignore = "needs pre-commit; scripts/test installs it"]
fn pre_commit_builds_and_runs_the_rust_hook() {
    if std::env::var_os("TOKENCTL_SLOW_TESTS").is_none_or(|v| v != "1") {
        eprintln!("not run: a release build (minutes); TOKENCTL_SLOW_TESTS=1 runs it");
        return;
    }
    let pre_commit = pre_commit().expect("pre-commit is installed");
    let sb = Sandbox {
        env: TestEnv::new(),
        test_build_on_path: false,
    };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rev = ok(sb.git(&repo, &["rev-parse", "HEAD"]));
    blocks_a_live_secret(&pre_commit, &sb, &repo, rev.trim(), "tokenctl-scan");
}
