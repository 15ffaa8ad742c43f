//! examples/ansible/playbook.yml run by a real `ansible-playbook` against localhost (local
//! connection): the first run reports a change, the second none, and a comment survives.
//!
//! Skipped only when ansible-playbook is missing AND CI is unset; in CI it must run
//! (`.ci/run` installs ansible-core from PyPI).

use crate::testenv::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// ansible-playbook: `$ANSIBLE_PLAYBOOK`, else on PATH, else beside python3's scripts
/// (pip installs there, and pyenv's shims may not be refreshed yet).
fn ansible_playbook() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ANSIBLE_PLAYBOOK") {
        return Some(PathBuf::from(p));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("ansible-playbook"))
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
        Some(Path::new(dir.trim()).join("ansible-playbook")).filter(|p| p.is_file())
    })
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Runs the example playbook; returns (exit code, stdout + stderr).
fn run_playbook(bin: &Path, env: &TestEnv, security_file: &Path) -> (i32, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = env.dir.path().join("ansible");
    std::fs::create_dir_all(&work).unwrap();
    let tokenctl = assert_cmd::cargo::cargo_bin!("tokenctl");
    let out = Command::new(bin)
        .current_dir(&work)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &work)
        // Ansible refuses to start without a UTF-8 locale.
        .env("LC_ALL", "C.UTF-8")
        .env("LANG", "C.UTF-8")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCAL_TEMP", work.join("local-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", work.join("remote-tmp"))
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .arg("-i")
        .arg("localhost,")
        .arg(root.join("examples/ansible/playbook.yml"))
        .arg("-e")
        .arg(format!("tokenctl={}", tokenctl.display()))
        .arg("-e")
        .arg(format!("security_file={}", security_file.display()))
        .output()
        .expect("ansible-playbook runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The status line ("changed", "ok", "fatal", ...) of the task of that name.
fn task_status<'a>(output: &'a str, task: &str) -> &'a str {
    let header = format!("TASK [{task}]");
    let at = output
        .find(&header)
        .unwrap_or_else(|| panic!("no task {task:?} in:\n{output}"));
    output[at..]
        .lines()
        .skip(1)
        .find(|l| !l.trim().is_empty())
        .and_then(|l| l.split(':').next())
        .unwrap_or("")
}

/// `changed=N` of the play recap.
fn recap_changed(output: &str) -> u32 {
    let recap = &output[output.find("PLAY RECAP").expect("a play recap")..];
    let n = recap
        .split_whitespace()
        .find_map(|w| w.strip_prefix("changed="))
        .expect("changed= in the recap");
    n.parse().unwrap()
}

#[test]
fn the_ansible_example_installs_the_keys_once_and_keeps_comments() {
    let Some(bin) = ansible_playbook() else {
        assert!(
            !in_ci(),
            "ansible-playbook is not installed but CI is set: .ci/run must install ansible-core"
        );
        eprintln!(
            "skipped: ansible-playbook is not installed (python3 -m pip install ansible-core)"
        );
        return;
    };
    let env = TestEnv::new();
    // A file someone already keeps by hand: a comment and a key of their own.
    env.write(
        "# Tenant acme. Hand-written comment: must survive Ansible.\nversion: 1\ntokenPrefix: acme\napiKeys:\n  hand-made:   # made by an operator\n    permissions: [dns:read]\n    hash: sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n",
    );
    let file = env.file();

    let (code, first) = run_playbook(&bin, &env, &file);
    assert_eq!(code, 0, "first run failed:\n{first}");
    assert_eq!(
        task_status(&first, "The API keys of the desired state"),
        "changed",
        "{first}"
    );
    assert!(recap_changed(&first) >= 1, "{first}");
    let after_first = env.read();
    assert!(
        after_first.starts_with("# Tenant acme. Hand-written comment: must survive Ansible.\n")
    );
    assert!(after_first.contains("  hand-made:   # made by an operator\n"));
    assert!(after_first.contains("# BEGIN permissions catalog (managed by Ansible)\n"));
    let list = env.run(&["list", "--format", "json"]);
    list.success();
    let mut names: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["ci-deploy", "grafana", "hand-made"]);

    let (code, second) = run_playbook(&bin, &env, &file);
    assert_eq!(code, 0, "second run failed:\n{second}");
    assert_eq!(
        task_status(&second, "The API keys of the desired state"),
        "ok",
        "{second}"
    );
    assert_eq!(recap_changed(&second), 0, "{second}");
    assert_eq!(env.read(), after_first, "the second run changes no byte");
    env.run(&["check"]).success();
}

#[test]
fn the_ansible_example_validates_with_tokenctl_check() {
    let Some(bin) = ansible_playbook() else {
        assert!(!in_ci(), "ansible-playbook is not installed but CI is set");
        return;
    };
    let env = TestEnv::new();
    // A broken file: blockinfile's `validate: tokenctl check %s` must stop the play before
    // anything lands, and apply never runs.
    let broken = "# broken by hand\napiKeys: [not, a, mapping]\n";
    env.write(broken);
    let (code, out) = run_playbook(&bin, &env, &env.file());
    assert_ne!(code, 0, "{out}");
    assert_ne!(
        task_status(&out, "The permissions catalog"),
        "changed",
        "{out}"
    );
    // tokenctl check's exit code 7 is what failed the validation.
    assert!(out.contains("failed to validate: rc:7"), "{out}");
    assert!(
        !out.contains("TASK [The API keys of the desired state]"),
        "{out}"
    );
    assert_eq!(env.read(), broken);
}
