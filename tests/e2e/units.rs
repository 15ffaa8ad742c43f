//! No unit traps (issue 12): durations in jiff's friendly format with calendar months and
//! years, a bare `m` refused as ambiguous, the units in every duration flag's help, and
//! `update` saying what it changed.

use crate::support::env::run_at;
use crate::support::env::{EARLIER, NOW, TestEnv};

/// The `expiresAt:` line of key `name` in the file.
fn expires_at(env: &TestEnv, name: &str) -> String {
    let text = env.read();
    let entry = text
        .split(&format!("  {name}:\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no key {name}:\n{text}"));
    entry
        .lines()
        .take_while(|l| l.starts_with("    "))
        .find_map(|l| l.trim().strip_prefix("expiresAt: "))
        .unwrap_or("never")
        .to_string()
}

#[test]
fn months_and_years_are_calendar_units() {
    let env = TestEnv::new();
    // NOW is 2026-11-22T10:00:00Z.
    for (name, expires, want) in [
        ("three-months", "3mo", "2027-02-22T10:00:00Z"),
        ("one-year", "1y", "2027-11-22T10:00:00Z"),
        ("mixed", "1y6mo", "2028-05-22T10:00:00Z"),
        ("spelled", "2 weeks", "2026-12-06T10:00:00Z"),
        ("minutes", "90min", "2026-11-22T11:30:00Z"),
        ("days", "30d", "2026-12-22T10:00:00Z"),
    ] {
        env.run(&["create", name, "--expires", expires]).success();
        assert_eq!(expires_at(&env, name), want, "--expires {expires}");
    }
    // From the last day of a month, a month later is the last day of the next one.
    run_at(
        &env,
        "2027-01-31T08:00:00Z",
        &["create", "end-of-month", "--expires", "1mo"],
        "",
    )
    .success();
    assert_eq!(expires_at(&env, "end-of-month"), "2027-02-28T08:00:00Z");
    env.run(&["update", "days", "--expires", "1y"]).success();
    assert_eq!(expires_at(&env, "days"), "2027-11-22T10:00:00Z");
}

#[test]
fn a_bare_m_is_refused_naming_mo_and_min() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let before = env.bytes();
    for args in [
        &["create", "new", "--expires", "3m"][..],
        &["update", "ci", "--expires", "3m"],
        &["rotate", "ci", "--grace", "3m"],
        &["list", "--expiring-within", "3m"],
        &["list", "--unused-since", "3m"],
        &["check", "--warn-expiring", "3m"],
    ] {
        let out = env.run(args);
        out.code(2)
            .stderr_has("ambiguous")
            .stderr_has("3mo")
            .stderr_has("3min")
            .stdout_empty();
    }
    assert_eq!(env.bytes(), before, "nothing was written");
    // A lock is never waited for in months: there, m is minutes.
    env.run(&["--lock-timeout", "1m", "list"]).success();
    // The message of a plain mistake lists the units.
    env.run(&["create", "new", "--expires", "3x"])
        .code(2)
        .stderr_has("invalid expiry \"3x\"")
        .stderr_has("mo (months)");
}

#[test]
fn every_duration_flag_lists_the_units_in_its_help() {
    let env = TestEnv::new();
    for (sub, flag) in [
        ("create", "--expires"),
        ("update", "--expires"),
        ("rotate", "--grace"),
        ("list", "--expiring-within"),
        ("list", "--unused-since"),
        ("check", "--warn-expiring"),
        ("list", "--lock-timeout"),
    ] {
        let help = env.run(&[sub, "--help"]).success().stdout.clone();
        // The flag's entry: from its line to the next flag.
        let entry: String = help
            .split('\n')
            .skip_while(|l| !l.trim_start().starts_with(flag))
            .take_while({
                let mut first = true;
                move |l| std::mem::take(&mut first) || !l.trim_start().starts_with('-')
            })
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            entry.contains("units") && entry.contains("min") && entry.contains(" s"),
            "{sub} {flag}: {entry}"
        );
        if flag != "--lock-timeout" {
            assert!(entry.contains("mo"), "{sub} {flag}: {entry}");
        }
    }
}

#[test]
fn list_filters_count_calendar_months() {
    let env = TestEnv::new();
    env.create("in-29d", &["--expires", "29d"]);
    env.create("in-40d", &["--expires", "40d"]);
    env.create("in-2mo", &["--expires", "2mo"]);
    let names = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "-q"];
        all.extend_from_slice(args);
        let out = env.run(&all);
        out.success().stdout.lines().map(String::from).collect()
    };
    // From 2026-11-22, one month is up to 2026-12-22: 30 days.
    assert_eq!(names(&["--expiring-within", "1mo"]), ["in-29d"]);
    assert_eq!(
        names(&["--expiring-within", "2mo"]),
        ["in-29d", "in-2mo", "in-40d"]
    );
    // --unused-since counts back: used 40 days ago is unused since 1mo, not since 2mo.
    let env2 = TestEnv::new();
    let secret = env2.create("used", &[]);
    run_at(
        &env2,
        "2026-10-13T10:00:00Z",
        &["verify", "--record"],
        secret,
    )
    .success();
    let listed = |span: &str| {
        env2.run(&["list", "-q", "--unused-since", span])
            .success()
            .stdout
            .clone()
    };
    assert_eq!(listed("1mo"), "used\n");
    assert_eq!(listed("2mo"), "");
}

#[test]
fn rotate_grace_in_calendar_units() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    env.run(&["rotate", "ci", "--grace", "1mo", "--quiet"])
        .success();
    assert!(
        env.read().contains("expiresAt: 2026-12-22T10:00:00Z"),
        "{}",
        env.read()
    );
}

#[test]
fn update_says_what_changed() {
    let env = TestEnv::new();
    env.create("beta", &["-p", "dns:read", "--expires", "30d"]);
    env.run(&["update", "beta", "--disable"])
        .success()
        .stdout_empty()
        .stderr_has("Disabled key 'beta'; it stops working at once.\n");
    env.run(&["update", "beta", "--enable"])
        .success()
        .stderr_has("Enabled key 'beta'; it works again.\n");
    let out = env.run(&[
        "update",
        "beta",
        "--add-permission",
        "dns:write",
        "--expires",
        "never",
        "--description",
        "the beta job",
    ]);
    assert_eq!(
        out.success().stderr,
        "Updated key 'beta': permissions dns:read -> dns:read, dns:write; \
         description (none) -> \"the beta job\"; expires 2026-12-22T10:00:00Z -> never.\n"
    );
    env.run(&["update", "beta", "--clear-permissions"])
        .success()
        .stderr_has("permissions dns:read, dns:write -> (none)");
    env.run(&["update", "beta", "--enable"])
        .success()
        .stderr_has("already is as asked; nothing was written");
    // Enabling an expired key says that it still does not work.
    env.run_at(
        EARLIER,
        &["update", "beta", "--disable", "--expires", "2026-01-01"],
    )
    .success()
    .stderr_has("Disabled key 'beta'")
    .stderr_has("expires never -> 2026-01-01T00:00:00Z");
    env.run(&["update", "beta", "--enable"])
        .success()
        .stderr_has("it still does not work: it expired at 2026-01-01T00:00:00Z");
    assert!(env.read().contains(&format!("createdAt: {NOW}")));
}
