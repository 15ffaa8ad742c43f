//! Help and man pages like the best CLIs (issue 12): a command's own options before the
//! global ones, `-V` at the top only, env variables without their values, `-o`, colour
//! that honours CLICOLOR_FORCE, and man pages with the sections a manual has, read through
//! the real `man`.

use crate::support::env::{EARLIER, TestEnv};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SUBCOMMANDS: &[&str] = &[
    "create",
    "list",
    "show",
    "update",
    "delete",
    "rotate",
    "verify",
    "check",
    "apply",
    "schema",
    "completions",
    "man",
];

#[test]
fn a_command_lists_its_own_options_first_and_the_global_ones_after() {
    let env = TestEnv::new();
    for sub in SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            let help = env.run(&[sub, flag]).success().stdout.clone();
            let own = help
                .find("\nOptions:\n")
                .unwrap_or_else(|| panic!("{sub}:\n{help}"));
            let global = help
                .find("\nGlobal options:\n")
                .unwrap_or_else(|| panic!("{sub} {flag}: no Global options heading:\n{help}"));
            assert!(own < global, "{sub}: own options first:\n{help}");
            let (mine, globals) = help.split_at(global);
            for g in [
                "--file",
                "--tenant",
                "--root",
                "--format",
                "--color",
                "--lock-timeout",
            ] {
                assert!(globals.contains(g), "{sub}: {g} under Global options");
                assert!(
                    !mine.contains(&format!("  {g} ")) && !mine.contains(&format!(" {g} <")),
                    "{sub}: {g} is not among its own options"
                );
            }
            assert!(
                !help.contains("--version"),
                "{sub}: no --version below the top"
            );
            assert!(!help.contains("--now"), "{sub}: the test clock is hidden");
        }
    }
    // -V only at the top.
    let v = env.run(&["-V"]).success().stdout.clone();
    assert_eq!(v, format!("tokenctl {}\n", env!("CARGO_PKG_VERSION")));
    env.run(&["list", "-V"])
        .code(2)
        .stderr_has("unexpected argument '-V'");
}

#[test]
fn env_variables_are_shown_without_their_values() {
    let env = TestEnv::new();
    // The environment sets TOKENCTL_ROOT and TOKENCTL_TENANT: help must not echo them.
    let out = env
        .cmd()
        .env("TOKENCTL_FILE", "/secret/place/security.yml")
        .args(["list", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for var in ["TOKENCTL_FILE", "TOKENCTL_TENANT", "TOKENCTL_ROOT"] {
        assert!(help.contains(&format!("[env: {var}]")), "{var}:\n{help}");
        assert!(
            !help.contains(&format!("{var}=")),
            "{var} has a value:\n{help}"
        );
    }
    assert!(!help.contains("/secret/place"));
    assert!(!help.contains(env.root().to_str().unwrap()));
}

#[test]
fn o_is_short_for_format() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let v = env.run(&["list", "-o", "json"]).success().json();
    assert_eq!(v[0]["name"], "ci");
    let v = env.run(&["-o", "json", "show", "ci"]).success().json();
    assert_eq!(v["name"], "ci");
}

#[test]
fn colour_honours_clicolor_force_and_no_color() {
    let env = TestEnv::new();
    env.create_at(EARLIER, "gone", &["--expires", "2026-01-01"]);
    let list = |vars: &[(&str, &str)], args: &[&str]| -> String {
        let mut c = env.cmd();
        for (k, v) in vars {
            c.env(k, v);
        }
        let out = c.arg("list").args(args).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    // Piped: no colour, unless CLICOLOR_FORCE.
    assert!(!list(&[], &[]).contains('\x1b'));
    let forced = list(&[("CLICOLOR_FORCE", "1")], &[]);
    assert!(
        forced.contains("\x1b[38;5;9m"),
        "red expired row: {forced:?}"
    );
    // NO_COLOR wins over CLICOLOR_FORCE; --color never over both; --color always regardless.
    assert!(!list(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]).contains('\x1b'));
    assert!(!list(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]).contains('\x1b'));
    assert!(list(&[("NO_COLOR", "1")], &["--color", "always"]).contains('\x1b'));
}

/// A man page as the real `man` renders it, as plain text.
fn man(page: &Path) -> String {
    man_at(page, 100)
}

/// A man page as `man` renders it `width` columns wide.
fn man_at(page: &Path, width: u16) -> String {
    let out = Command::new("man")
        .arg("-l")
        .arg(page)
        .env("MANWIDTH", width.to_string())
        .env("MAN_KEEP_FORMATTING", "0")
        .env_remove("MANPAGER")
        .env_remove("PAGER")
        .output()
        .expect("man must be installed (scripts/test installs man-db)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Bold and underline are overstrikes (`N\bN`, `_\bx`), as on a printer: keep the letters.
    let mut text = String::new();
    for c in String::from_utf8(out.stdout).unwrap().chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    text
}

/// The text of `section` in a rendered page: the indented lines after its heading.
fn section(text: &str, heading: &str) -> String {
    let mut lines = text.lines().skip_while(|l| *l != heading);
    assert!(lines.next().is_some(), "no {heading}:\n{text}");
    lines
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
#[ignore = "needs man (man-db); scripts/test runs it"]
fn man_page_examples_copy_and_paste_at_80_columns() {
    let env = TestEnv::new();
    let dir = repo().join("man");
    let mut pages = vec![(None, dir.join("tokenctl.1"))];
    for sub in SUBCOMMANDS {
        pages.push((Some(*sub), dir.join(format!("tokenctl-{sub}.1"))));
    }
    for (sub, path) in &pages {
        let text = man_at(path, 80);
        // No hyphenation anywhere (`--al‐ low-ip`, `--ten‐ant`): U+2010 is not a dash a shell
        // takes.
        assert!(
            !text.contains('\u{2010}'),
            "{path:?} is hyphenated:\n{text}"
        );
        let examples = section(&text, "EXAMPLES");
        let lines: Vec<&str> = examples.lines().map(str::trim).collect();
        let help = match sub {
            Some(sub) => env.run(&[sub, "--help"]),
            None => env.run(&["--help"]),
        };
        let given = help.stdout.split("Examples:\n").nth(1).unwrap().to_string();
        for example in given
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("tokenctl"))
        {
            let command = example.split("  # ").next().unwrap().trim();
            assert!(
                lines.contains(&command),
                "{path:?}: {command:?} is not one whole line of EXAMPLES:\n{examples}"
            );
        }
    }
}

#[test]
#[ignore = "needs man (man-db); scripts/test runs it"]
fn every_man_page_has_the_sections_of_a_manual() {
    let dir = repo().join("man");
    let mut pages = vec![("tokenctl".to_string(), dir.join("tokenctl.1"))];
    for sub in SUBCOMMANDS {
        pages.push((
            format!("tokenctl-{sub}"),
            dir.join(format!("tokenctl-{sub}.1")),
        ));
    }
    for (name, path) in &pages {
        let text = man(path);
        let name_line = section(&text, "NAME").trim().to_string();
        let description = section(&text, "DESCRIPTION");
        assert!(
            description.split_whitespace().count() > name_line.split_whitespace().count() + 10,
            "{name}: the DESCRIPTION says more than NAME:\n{description}"
        );
        let examples = section(&text, "EXAMPLES");
        assert!(
            examples.contains("tokenctl"),
            "{name}: EXAMPLES:\n{examples}"
        );
        let exit = section(&text, "EXIT STATUS");
        for code in ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "130"] {
            assert!(
                exit.lines()
                    .any(|l| l.trim_start().starts_with(&format!("{code} "))),
                "{name}: exit {code} in EXIT STATUS:\n{exit}"
            );
        }
        assert!(exit.contains("declined"), "{name}");
        let environment = section(&text, "ENVIRONMENT");
        for var in [
            "TOKENCTL_FILE",
            "TOKENCTL_TENANT",
            "TOKENCTL_ROOT",
            "CI",
            "NO_COLOR",
            "CLICOLOR_FORCE",
        ] {
            assert!(environment.contains(var), "{name}: {var} in ENVIRONMENT");
        }
        let files = section(&text, "FILES");
        for f in ["security.yml", "security.usage.yml", "security.yml.lock"] {
            assert!(files.contains(f), "{name}: {f} in FILES:\n{files}");
        }
        let see_also = section(&text, "SEE ALSO");
        assert!(
            see_also.contains("tokenctl-"),
            "{name}: SEE ALSO:\n{see_also}"
        );
        if name != "tokenctl" {
            assert!(
                see_also.contains("tokenctl(1)"),
                "{name}: SEE ALSO names tokenctl(1)"
            );
        }
        let footer = text.trim_end().lines().last().unwrap();
        assert!(
            footer.starts_with(&format!("tokenctl {}", env!("CARGO_PKG_VERSION"))),
            "{name}: footer {footer:?}"
        );
        assert!(
            !text.contains("clipboard-serve"),
            "{name}: a hidden command"
        );
        assert!(!text.contains("--now"), "{name}: the test clock");
    }
    // verify(1) says what 4 and 5 mean for it.
    let verify = man(&dir.join("tokenctl-verify.1"));
    let exit = section(&verify, "EXIT STATUS")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        exit.contains("HTTP 401") && exit.contains("malformed"),
        "{exit}"
    );
    assert!(
        exit.contains("HTTP 403") && exit.contains("allowedIps"),
        "{exit}"
    );
    // The top page lists every command's page.
    let top = man(&dir.join("tokenctl.1"));
    for sub in SUBCOMMANDS {
        let see_also = section(&top, "SEE ALSO")
            .replace("\n", " ")
            .replace("- ", "-");
        assert!(see_also.contains(&format!("{sub}(1)")), "{sub}: {see_also}");
    }
}

#[test]
fn create_help_writes_a_secret_file_with_a_private_umask() {
    let env = TestEnv::new();
    let help = env.run(&["create", "--help"]).success().stdout.clone();
    assert!(
        help.contains("(umask 077; tokenctl -t acme create grafana"),
        "{help}"
    );
    assert!(
        !help.contains("\n  tokenctl -t acme create grafana"),
        "no bare redirect example"
    );
    // And the example does what it says, in a real shell.
    let bin = PathBuf::from(assert_cmd::cargo::cargo_bin!("tokenctl"));
    let out = Command::new("bash")
        .args([
            "-c",
            "umask 022; (umask 077; tokenctl -t acme create grafana --quiet > secret.txt); stat -c %a secret.txt",
        ])
        .current_dir(env.dir.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.parent().unwrap().display()))
        .env("TOKENCTL_ROOT", env.root())
        .env("TOKENCTL_NOW", crate::support::env::NOW)
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "600\n");
    let secret = std::fs::read_to_string(env.dir.path().join("secret.txt")).unwrap();
    assert!(secret.starts_with("tk_"));
}

/// The root command's `--help` ends with every exit code, so a script author finds them
/// without the README; `-h` stays short.
#[test]
fn the_root_help_lists_every_exit_code() {
    let env = TestEnv::new();
    let long = env.run(&["--help"]).success().stdout.clone();
    let codes = long
        .split("Exit codes:")
        .nth(1)
        .expect("an Exit codes section");
    for (code, _) in tokenctl::cli::EXIT_CODES {
        assert!(
            codes
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "--help lacks exit code {code}:\n{codes}"
        );
    }
    let short = env.run(&["-h"]).success().stdout.clone();
    assert!(!short.contains("Exit codes:"), "{short}");
}
