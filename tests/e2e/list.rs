//! The list table (issue 12): it uses the terminal's width, marks restricted keys, styles
//! disabled and expired rows, and says relative dates as `show` does, rounded as a person
//! rounds them.

use crate::support::env::run_at;
use crate::support::env::{NOW, TestEnv};

/// A tenant as an operator has it: keys with long permission lists, restrictions, a
/// disabled and an expired one.
fn tenant() -> TestEnv {
    let env = TestEnv::new();
    env.create(
        "ci-deploy",
        &[
            "-p",
            "dns:write",
            "-p",
            "domains:read",
            "-p",
            "zones:read",
            "--expires",
            "90d",
        ],
    );
    env.create(
        "grafana",
        &[
            "-p",
            "dns:read",
            "--allow-ip",
            "10.0.0.0/8",
            "--expires",
            "30d",
        ],
    );
    env.create("admin", &["-p", "*", "--path-prefix", "/api"]);
    env.create("reports", &["-p", "*", "--resource", "example.com"]);
    env.create("old", &["--disabled"]);
    env.create("gone", &["--expires", "1h"]);
    env
}

fn list(env: &TestEnv, columns: &str, args: &[&str]) -> String {
    let out = env
        .cmd()
        .env("TOKENCTL_NOW", "2026-11-22T12:00:00Z")
        .env("COLUMNS", columns)
        .arg("list")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn row<'a>(table: &'a str, name: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name}:\n{table}"))
}

#[test]
fn at_80_columns_the_table_uses_the_width() {
    let env = tenant();
    let wide = list(&env, "250", &[]);
    let header: Vec<&str> = wide
        .lines()
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "STATUS",
            "PERMISSIONS",
            "LIMITS",
            "EXPIRES",
            "LAST USED",
            "CREATED",
            "FINGERPRINT"
        ]
    );
    assert_eq!(wide.lines().count(), 7, "nothing wraps with room:\n{wide}");
    let table = list(&env, "80", &[]);
    let head = table.lines().next().unwrap();
    assert!(
        !head.contains("FINGERPRINT") && !head.contains("CREATED"),
        "{table}"
    );
    for col in [
        "NAME",
        "STATUS",
        "PERMISSIONS",
        "LIMITS",
        "EXPIRES",
        "LAST USED",
    ] {
        assert!(head.contains(col), "{col} stays at 80 columns:\n{table}");
    }
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 80, "{table}");
    // Dropping FINGERPRINT and CREATED leaves 82 columns' worth: PERMISSIONS wraps, but into
    // all the width there is, not into a narrow column with room to spare.
    let wrapped = table.lines().count() > 7;
    if wrapped {
        assert!(
            widest >= 78,
            "wrapped with room to spare ({widest} of 80):\n{table}"
        );
    }
    // Every scope is still there, on the lines the cell wraps onto.
    for scope in ["dns:write", "domains:read", "zones:read"] {
        assert!(table.contains(scope), "{scope}:\n{table}");
    }
    // Piped output is never wrapped.
    let piped = env
        .cmd()
        .env("TOKENCTL_NOW", "2026-11-22T12:00:00Z")
        .env_remove("COLUMNS")
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(piped.stdout).unwrap().lines().count(), 7);
}

#[test]
fn restricted_keys_are_marked() {
    let env = tenant();
    let table = list(&env, "250", &[]);
    let limits = |name: &str| {
        let header = table.lines().next().unwrap();
        let at = header.find("LIMITS").unwrap();
        row(&table, name)[at..]
            .split("  ")
            .next()
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(limits("grafana"), "ip");
    assert_eq!(limits("admin"), "path");
    assert_eq!(limits("reports"), "resources");
    assert_eq!(limits("ci-deploy"), "-");
    // `*` with a restriction does not read as unrestricted.
    assert!(row(&table, "admin").contains("*") && row(&table, "admin").contains("path"));
}

#[test]
fn disabled_and_expired_rows_are_styled_and_said() {
    let env = tenant();
    let plain = list(&env, "250", &[]);
    assert!(row(&plain, "old").contains(" disabled "), "{plain}");
    assert!(row(&plain, "gone").contains(" expired "), "{plain}");
    assert!(row(&plain, "grafana").contains(" active "), "{plain}");
    let color = list(&env, "250", &["--color", "always"]);
    let line = |name: &str| {
        color
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap()
            .to_string()
    };
    assert!(
        line("gone").starts_with("\x1b[38;5;9m"),
        "the whole row red: {:?}",
        line("gone")
    );
    assert_eq!(
        line("gone").matches("\x1b[38;5;9m").count(),
        8,
        "every cell"
    );
    assert!(
        line("old").starts_with("\x1b[2m"),
        "the whole row dim: {:?}",
        line("old")
    );
    assert!(!line("grafana").contains("\x1b[38;5;9m") && !line("grafana").contains("\x1b[2m"));
}

#[test]
fn relative_dates_read_the_same_in_list_and_show() {
    let env = tenant();
    let secret = env.create("used", &["--expires", "3d"]);
    run_at(
        &env,
        "2026-11-22T09:00:00Z",
        &["verify", "--record"],
        secret,
    )
    .success();
    let at = "2026-11-22T12:00:00Z";
    let table = list(&env, "250", &[]);
    for (name, expires) in [
        ("used", "in 3 days"),
        ("gone", "expired 1 hour ago"),
        ("grafana", "in 30 days"),
        ("admin", "never"),
    ] {
        assert!(
            row(&table, name).contains(&format!(" {expires} "))
                || row(&table, name).ends_with(expires),
            "{name}: {expires}:\n{table}"
        );
        let show = run_at(&env, at, &["show", name], "");
        let line = show
            .success()
            .stdout
            .lines()
            .find(|l| l.starts_with("expires:"))
            .unwrap()
            .to_string();
        if expires == "never" {
            assert_eq!(line, "expires:     never");
        } else {
            assert!(line.ends_with(&format!("({expires})")), "{name}: {line}");
        }
    }
    assert!(row(&table, "used").contains("3 hours ago"), "{table}");
    run_at(&env, at, &["show", "used"], "")
        .success()
        .stdout_has("(3 hours ago)");
}

#[test]
fn a_90_day_key_just_created_expires_in_90_days() {
    let env = TestEnv::new();
    env.create("ci", &["--expires", "90d"]);
    // Listed a few seconds after it was created.
    for later in ["2026-11-22T10:00:05Z", "2026-11-22T11:59:00Z"] {
        let out = run_at(&env, later, &["list"], "");
        assert!(
            row(&out.success().stdout, "ci").contains(" in 90 days"),
            "{}",
            out.stdout
        );
        run_at(&env, later, &["show", "ci"], "")
            .success()
            .stdout_has("expires:     2027-02-20T10:00:00Z (in 90 days)\n");
    }
    assert!(env.read().contains(&format!("createdAt: {NOW}")));
}
