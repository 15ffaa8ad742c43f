//! Generated files stay fresh: completions/, man/, docs/REFERENCE.md and the README's exit codes are
//! what the binary generates now. `TOKENCTL_REGENERATE=1 cargo test --test e2e generated`
//! rewrites them. Also: completion scripts work in a real bash, key names included.

use crate::support::env::TestEnv;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn regenerate() -> bool {
    std::env::var_os("TOKENCTL_REGENERATE").is_some_and(|v| v == "1")
}

/// Compares a committed file with what is generated now, or rewrites it when regenerating.
#[track_caller]
fn fresh(path: &Path, generated: &[u8]) {
    if regenerate() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, generated).unwrap();
        return;
    }
    let committed = std::fs::read(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `TOKENCTL_REGENERATE=1 cargo test --test e2e generated` and commit",
        path.display()
    );
}

#[test]
fn completions_are_fresh() {
    let env = TestEnv::new();
    for (shell, file) in tokenctl::cli::SHELLS {
        let out = env
            .cmd()
            .args(["completions", &shell.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(!out.stdout.is_empty());
        fresh(&repo().join("completions").join(file), &out.stdout);
    }
}

#[test]
fn man_pages_are_fresh() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("man");
    env.run(&["man", "--dir", dir.to_str().unwrap()]).success();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for sub in [
        "tokenctl.1",
        "tokenctl-create.1",
        "tokenctl-list.1",
        "tokenctl-delete.1",
    ] {
        assert!(
            names.iter().any(|n| n == sub),
            "{sub} missing from {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n.contains("clipboard")),
        "hidden commands get no page"
    );
    let committed = repo().join("man");
    if regenerate() {
        let _ = std::fs::remove_dir_all(&committed);
    }
    for n in &names {
        fresh(&committed.join(n), &std::fs::read(dir.join(n)).unwrap());
    }
    let mut have: Vec<String> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    have.sort();
    assert_eq!(have, names, "man/ holds a page for a command that is gone");
    // `man` without --dir prints the main page.
    let out = env.run(&["man"]).success().stdout.clone();
    assert!(
        out.as_bytes() == std::fs::read(committed.join("tokenctl.1")).unwrap(),
        "`tokenctl man` differs from man/tokenctl.1"
    );
}

const START: &str = "<!-- reference: generated from the clap definition; see CONTRIBUTING.md -->\n";
const END: &str = "<!-- end of reference -->\n";
const CODES_START: &str =
    "<!-- exit codes: generated from src/cli/manual.rs; see Contributing -->\n";
const CODES_END: &str = "<!-- end of exit codes -->\n";

/// Checks (or rewrites) the section of `file` (README.md, docs/REFERENCE.md) between
/// `start` and `end`.
fn doc_section(file: &str, start: &str, end: &str, generated: &str) {
    let path = repo().join(file);
    let doc = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = doc
        .split_once(start)
        .unwrap_or_else(|| panic!("{file} has the marker {start:?}"));
    let (section, tail) = rest
        .split_once(end)
        .unwrap_or_else(|| panic!("{file} has the end marker"));
    if regenerate() {
        std::fs::write(&path, format!("{head}{start}{generated}{end}{tail}")).unwrap();
    } else {
        assert!(
            section == generated,
            "{file}'s section after {start:?} is stale: run \
             `TOKENCTL_REGENERATE=1 cargo test --test e2e generated` and commit"
        );
    }
}

#[test]
fn readme_reference_and_exit_codes_are_fresh_and_complete() {
    // One test for both sections: two tests rewriting README.md at once would lose one.
    let table = tokenctl::cli::exit_codes_markdown();
    for code in ["| 0 |", "| 1 |", "| 6 |", "| 8 |", "| 9 |", "| 130 |"] {
        assert!(table.contains(code), "{table}");
    }
    doc_section("README.md", CODES_START, CODES_END, &table);
    let generated = tokenctl::cli::reference_markdown();
    doc_section("docs/REFERENCE.md", START, END, &generated);
    // Checked against --help too: every command and every long flag it shows is there.
    let env = TestEnv::new();
    let top = env.run(&["--help"]).success().stdout.clone();
    let subs: Vec<String> = top
        .split("Commands:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|c| c != "help")
        .collect();
    for sub in &subs {
        assert!(generated.contains(&format!("### `tokenctl {sub}")), "{sub}");
        let help = env.run(&[sub, "--help"]).success().stdout.clone();
        for word in help.split_whitespace() {
            let flag = word.trim_end_matches([',', '.', ')', ';', ':']);
            let flag = flag.split(['=', '[', '<']).next().unwrap();
            if flag.starts_with("--") && flag.len() > 2 && flag != "--help" && flag != "--version" {
                assert!(
                    generated.contains(&format!("`{flag}")),
                    "`{sub} --help` shows {flag}, docs/REFERENCE.md does not"
                );
            }
        }
    }
}

/// Runs `script` in a real bash with tokenctl on PATH, in the test's folder.
fn bash(env: &TestEnv, script: &str) -> String {
    let bin = PathBuf::from(assert_cmd::cargo::cargo_bin!("tokenctl"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script])
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", env.dir.path())
        .env("TOKENCTL_ROOT", env.root())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// COMPREPLY after asking the registered completion for `line` (completing its last word).
const COMPLETE_LINE: &str = r#"
words=($LINE)
[[ "$LINE" == *" " ]] && words+=("")
COMP_WORDS=("${words[@]}"); COMP_CWORD=$(( ${#words[@]} - 1 ))
COMP_LINE="$LINE"; COMP_POINT=${#LINE}; COMP_TYPE=9
fn=$(complete -p tokenctl | sed -E 's/.* -F ([^ ]+) .*/\1/')
"$fn" tokenctl "${words[-1]}" "${words[-2]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

#[test]
fn dynamic_completion_offers_key_names_from_the_located_file() {
    let env = TestEnv::new();
    env.run(&["create", "ci-deploy"]).success();
    env.run(&["create", "grafana"]).success();
    let other = TestEnv::new();
    other.run(&["create", "elsewhere"]).success();
    let other_file = other.file();

    for (line, want, not) in [
        (
            "tokenctl -t acme show ",
            vec!["ci-deploy", "grafana"],
            "elsewhere",
        ),
        (
            "tokenctl --tenant acme rotate g",
            vec!["grafana"],
            "ci-deploy",
        ),
        ("tokenctl -t acme delete c", vec!["ci-deploy"], "grafana"),
        (
            "tokenctl -t acme update ",
            vec!["ci-deploy", "grafana"],
            "elsewhere",
        ),
    ] {
        let script = format!("source <(COMPLETE=bash tokenctl)\nLINE='{line}'\n{COMPLETE_LINE}");
        let got = bash(&env, &script);
        for w in &want {
            assert!(
                got.lines().any(|l| l == *w),
                "{line:?} should offer {w}: {got:?}"
            );
        }
        assert!(!got.contains(not), "{line:?} offered {not}: {got:?}");
    }
    // --file on the line wins over the tenant in the environment.
    let script = format!(
        "source <(COMPLETE=bash tokenctl)\nLINE='tokenctl --file {} show '\n{COMPLETE_LINE}",
        other_file.display()
    );
    let got = bash(&env, &format!("export TOKENCTL_TENANT=acme\n{script}"));
    assert!(got.lines().any(|l| l == "elsewhere"), "{got:?}");
    assert!(!got.contains("grafana"), "{got:?}");
}

#[test]
fn static_bash_completion_loads_and_completes_commands() {
    let env = TestEnv::new();
    let script = format!(
        "source {}\nLINE='tokenctl ro'\n{COMPLETE_LINE}",
        repo().join("completions/tokenctl.bash").display()
    );
    let got = bash(&env, &script);
    assert!(got.lines().any(|l| l == "rotate"), "{got:?}");
    // A duration or an expiry is no file name: the folder's files are not offered.
    std::fs::create_dir_all(env.root()).unwrap();
    for line in [
        "tokenctl create k --expires ",
        "tokenctl update k --expires t",
        "tokenctl rotate k --grace ",
        "tokenctl list --unused-since ",
    ] {
        let script = format!(
            "source {}\nLINE='{line}'\n{COMPLETE_LINE}",
            repo().join("completions/tokenctl.bash").display()
        );
        let got = bash(&env, &script);
        assert!(!got.contains("tenants"), "{line:?} offered a file: {got:?}");
    }
}

#[test]
fn the_completion_protocol_answers_with_key_names_and_descriptions() {
    let env = TestEnv::new();
    env.run(&["create", "ci-deploy", "--description", "the deploy job"])
        .success();
    env.run(&["create", "grafana"]).success();
    // What fish's registration runs (zsh, elvish and powershell use the same engine).
    let out = env
        .cmd()
        .env("COMPLETE", "fish")
        .args(["--", "tokenctl", "show", ""])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l == "ci-deploy\tthe deploy job"),
        "{text}"
    );
    assert!(text.lines().any(|l| l == "grafana"), "{text}");
    // Nothing to offer, and no error, where the file cannot be found.
    let out = env
        .cmd()
        .env("COMPLETE", "fish")
        .env_remove("TOKENCTL_TENANT")
        .args(["--", "tokenctl", "show", ""])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("grafana"));
}
