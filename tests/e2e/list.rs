//! `list`: the table sorted by last use then name and without secrets, the filters, expired
//! and soon-to-expire keys marked (in `show` too), and the table as issue 12 made it: the
//! terminal's width, restricted keys marked, disabled and expired rows styled and said,
//! relative dates as `show` says them, rounded as a person rounds them. Across tenants:
//! tenants.rs.

use crate::support::env::*;

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

#[test]
fn list_shows_a_table_sorted_by_last_use_then_name_without_secrets() {
    let env = TestEnv::new();
    let s1 = env.create("zeta", &["-p", "dns:read"]);
    env.create_at(EARLIER, "alpha", &["--expires", "2026-11-01"]);
    env.create("mid", &["--disabled"]);
    std::fs::write(
        env.file().with_file_name("security.usage.yml"),
        "mid:\n  lastUsedAt: 2026-11-20T10:00:00Z\nzeta:\n  lastUsedAt: 2026-11-21T10:00:00Z\n  lastUsedFrom: 203.0.113.9\n",
    )
    .unwrap();
    let out = env.run(&["list"]);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for col in [
        "NAME",
        "FINGERPRINT",
        "STATUS",
        "PERMISSIONS",
        "LIMITS",
        "CREATED",
        "LAST USED",
        "EXPIRES",
    ] {
        assert!(lines[0].contains(col), "{}", lines[0]);
    }
    let order: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(order, ["zeta", "mid", "alpha"]);
    assert!(lines[3].contains("expired"), "{}", lines[3]);
    assert!(lines[1].contains("1 day ago"));
    assert!(!out.stdout.contains(&s1) && !out.stdout.contains("sha256:"));

    let v = env.run(&["list", "--format", "json"]).success().json();
    let rows = v.as_array().unwrap();
    assert_eq!(rows[0]["name"], "zeta");
    assert_eq!(rows[0]["lastUsedFrom"], "203.0.113.9");
    assert_eq!(rows[2]["expired"], true);
    assert!(!v.to_string().contains("sha256:"));
    let yaml = env
        .run(&["list", "--format", "yaml"])
        .success()
        .stdout
        .clone();
    assert!(yaml.contains("- name: zeta"), "{yaml}");
}

#[test]
fn list_filters() {
    let env = TestEnv::new();
    env.create_at(EARLIER, "expired", &["--expires", "2026-11-01"]);
    env.create("soon", &["--expires", "3d"]);
    env.create("later", &["--expires", "60d"]);
    env.create("off", &["--disabled"]);
    env.create("used", &[]);
    std::fs::write(
        env.file().with_file_name("security.usage.yml"),
        "used:\n  lastUsedAt: 2026-11-21T10:00:00Z\nlater:\n  lastUsedAt: 2026-09-01T10:00:00Z\n",
    )
    .unwrap();
    let names = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["list", "--format", "json"];
        a.extend_from_slice(args);
        let v = env.run(&a).success().json();
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&["--expired"]), ["expired"]);
    assert_eq!(names(&["--expiring-within", "7d"]), ["soon"]);
    assert_eq!(names(&["--disabled"]), ["off"]);
    assert_eq!(names(&["--enabled"]), ["expired", "later", "soon", "used"]);
    assert_eq!(
        names(&["--unused-since", "30d"]),
        ["expired", "later", "off", "soon"]
    );
    env.run(&["list", "--expiring-within", "soon"])
        .code(2)
        .stderr_has("invalid duration");
}

/// An hour, a day and more after [`NOW`].
const NOW_1H: &str = "2026-11-22T11:00:00Z";
const NOW_2D: &str = "2026-11-24T10:00:00Z";

// ---- expiry in list and show ----

#[test]
fn list_and_show_mark_expired_and_soon_to_expire_keys() {
    let env = TestEnv::new();
    env.create("fine", &["--expires", "90d"]);
    env.create("soon", &["--expires", "3d"]);
    env.create("gone", &["--expires", "1h"]);
    env.create("off", &["--disabled"]);
    env.create("forever", &[]);
    let out = run_at(&env, NOW_2D, &["list", "--format", "json"], "");
    let status: Vec<(String, String, bool)> = out
        .success()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["name"].as_str().unwrap().into(),
                k["status"].as_str().unwrap().into(),
                k["expired"].as_bool().unwrap(),
            )
        })
        .collect();
    let expect = |n: &str, s: &str, e: bool| (n.to_string(), s.to_string(), e);
    assert_eq!(
        status,
        [
            expect("fine", "active", false),
            expect("forever", "active", false),
            expect("gone", "expired", true),
            expect("off", "disabled", false),
            expect("soon", "expiring", false),
        ]
    );
    // The table: words for everyone, colour when asked (as at a terminal).
    let plain = run_at(&env, NOW_2D, &["list"], "");
    let line = |name: &str| {
        plain
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap()
            .to_string()
    };
    // Relative dates, as `show` says them too.
    assert!(
        line("gone").contains(" expired ") && line("gone").contains("expired 2 days ago"),
        "{}",
        plain.stdout
    );
    assert!(line("soon").contains(" in 1 day "), "{}", plain.stdout);
    assert!(line("off").contains(" disabled "), "{}", plain.stdout);
    assert!(!plain.stdout.contains('\x1b'));
    let color = run_at(&env, NOW_2D, &["--color", "always", "list"], "");
    let cline = |name: &str| {
        color
            .stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap()
            .to_string()
    };
    assert!(
        cline("gone").contains("\x1b[38;5;9m"),
        "red: {:?}",
        cline("gone")
    );
    assert!(
        cline("soon").contains("\x1b[38;5;11m"),
        "yellow: {:?}",
        cline("soon")
    );
    assert!(!cline("fine").contains("\x1b[38;5;"), "{:?}", cline("fine"));
    // Filters.
    let names = |args: &[&str]| -> Vec<String> {
        let out = run_at(&env, NOW_2D, args, "");
        out.success()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&["list", "--expired", "--format", "json"]), ["gone"]);
    assert_eq!(
        names(&["list", "--expiring-within", "7d", "--format", "json"]),
        ["soon"]
    );
    // show: how long is left, or how long ago it ended.
    run_at(&env, NOW_2D, &["show", "soon"], "")
        .success()
        .stdout_has("expires:     2026-11-25T10:00:00Z (in 1 day)\n")
        .stdout_has("status:      expiring\n");
    run_at(&env, NOW_1H, &["show", "fine"], "")
        .success()
        // 89 days and 23 hours: "in 90 days", as a person rounds it.
        .stdout_has("expires:     2027-02-20T10:00:00Z (in 90 days)\n");
    run_at(&env, NOW_2D, &["show", "gone"], "")
        .success()
        .stdout_has("expires:     2026-11-22T11:00:00Z (expired 2 days ago)\n")
        .stdout_has("status:      expired\n");
    run_at(&env, NOW_2D, &["show", "forever"], "")
        .success()
        .stdout_has("expires:     never\n");
}
