//! Portable security.yml (docs/FORMAT.md): what every mainstream YAML library reads the same
//! way is accepted, everything else in tokenctl's data is refused on read as on write (but
//! for the deprecated constructs, read with a warning for one release), `check` explains,
//! and `check --fix` rewrites what it can losslessly.

use crate::support::env::TestEnv;
use crate::support::harness::{fake_hash, run, temp_file};
use std::fs;

const H1: &str = "sha256:d593ed019dc622a8a397c2bb01a21496a8bdc9af826f00699366f1e4a11fb164";
const H2: &str = "sha256:4fdce7a5c16a0ac7546d5886e794f3b1332769e718f9a08dacb613bcc65360c6";

fn with_key(fields: &str) -> String {
    format!("version: 1\napiKeys:\n  ci:\n    hash: {H1}\n{fields}")
}

/// Every command refuses the file, names the construct, and leaves it byte for byte.
#[track_caller]
fn refused_everywhere(env: &TestEnv, text: &str, needle: &str) {
    env.write(text);
    for args in [
        &["list"][..],
        &["show", "ci"],
        &["update", "ci", "--description", "x"],
        &["create", "other"],
    ] {
        env.run(args).code(1).stderr_has(needle);
        assert_eq!(env.read(), text, "{args:?} changed the file");
    }
    env.run(&["check"]).code(7).stdout_has(needle);
}

#[test]
fn a_bare_cr_anywhere_is_refused_even_in_a_comment() {
    let env = TestEnv::new();
    // npm `yaml` reads the rest of the comment's line as text: `enabled: false` would hide.
    let text = with_key("    # note\r    enabled: false\n");
    refused_everywhere(&env, &text, "carriage return (CR)");
    // In another tool's section too.
    let text = format!("{}other: 1 # x\rtrue\n", with_key(""));
    refused_everywhere(&env, &text, "carriage return (CR)");
}

#[test]
fn directives_are_refused() {
    let env = TestEnv::new();
    for d in [
        "%YAML 1.2\n---\n",
        "# c\n%YAML 1.1\n---\n",
        "%TAG !e! tag:e.com:\n---\n",
    ] {
        let text = format!("{d}{}", with_key(""));
        refused_everywhere(&env, &text, "directive (%YAML, %TAG)");
    }
}

#[test]
fn a_tab_in_tokenctls_data_is_refused_in_another_tools_a_warning() {
    let env = TestEnv::new();
    let text = with_key("    enabled: true\t# on\n");
    refused_everywhere(&env, &text, "a tab in tokenctl's data");
    // Inside a quoted string it is text.
    env.write(with_key("    description: \"a\tb\"\n"));
    env.run(&["list"]).success();
    let text = format!("{}other:\n\t# tab-indented comment\n  a: 1\n", with_key(""));
    env.write(&text);
    env.run(&["list"]).success();
    let out = env.run(&["check"]);
    out.success()
        .stdout_has("warning: another tool's section holds a tab");
    assert!(
        out.stdout.contains("security.yml:6:1: warning"),
        "{}",
        out.stdout
    );
}

#[test]
fn plain_scalars_some_library_reads_otherwise_are_refused_and_explained() {
    let env = TestEnv::new();
    for (field, needle) in [
        (
            "    allowedIps: [::1]\n",
            "starts with ':', which Go's yaml, SnakeYAML and PyYAML cannot load; write it quoted (\"::1\")",
        ),
        ("    resources: [012345]\n", "012345 is a number"),
        (
            "    resources: [yes]\n",
            "yes is a boolean to YAML 1.1 libraries",
        ),
        (
            "    permissions: [true]\n",
            "true is a boolean to every YAML library",
        ),
        ("    description: <<\n", "<< is a merge key"),
        ("    description: =\n", "= is a value key"),
        ("    description: 2027-01-01\n", "a date"),
        ("    description: 12:30\n", "a base-60 number"),
        ("    description: .inf\n", "a number"),
        (
            "    description: a\n      b\n",
            "a plain scalar over several lines",
        ),
        (
            "    description: 'a\n      b'\n",
            "a quoted scalar over several lines",
        ),
        ("    pathPrefix: |\n      /x\n", "a block scalar"),
        ("    resources: !!set {a}\n", "tags (!...) are not allowed"),
        ("    ? enabled\n    : true\n", "explicit keys"),
    ] {
        refused_everywhere(&env, &with_key(field), needle);
    }
}

#[test]
fn the_contracts_plain_forms_stay_plain() {
    let env = TestEnv::new();
    let text = with_key(
        "    description: GitHub Actions deploy job\n    permissions: [dns:write]\n    allowedIps: [203.0.113.0/24, 2001:db8::/32, 10.0.0.1]\n    pathPrefix: /api/dns\n    resources: [example.com]\n",
    );
    env.write(&text);
    env.run(&["check"]).success();
    env.run(&[
        "update",
        "ci",
        "--description",
        "GitHub Actions deploy job 2",
    ])
    .success();
    let after = env.read();
    assert!(
        after.contains("description: GitHub Actions deploy job 2\n"),
        "{after}"
    );
    assert!(
        after.contains("[203.0.113.0/24, 2001:db8::/32, 10.0.0.1]"),
        "{after}"
    );
    // What needs quotes is written quoted.
    env.run(&["update", "ci", "--description", "012345"])
        .success();
    assert!(
        env.read().contains("description: \"012345\"\n"),
        "{}",
        env.read()
    );
    env.run(&["update", "ci", "--description", "yes"]).success();
    assert!(
        env.read().contains("description: \"yes\"\n"),
        "{}",
        env.read()
    );
    let desired = env.dir.path().join("desired.yml");
    std::fs::write(
        &desired,
        "apiKeys:\n  ci:\n    allowedIps: [\"::1\"]\n    resources: [\"<<\", \"=\", on]\n",
    )
    .unwrap();
    env.run(&["apply", "-f", desired.to_str().unwrap()])
        .success();
    let after = env.read();
    assert!(
        after.contains(r#"allowedIps: ["::1/128"]"#) || after.contains(r#"allowedIps: ["::1"]"#),
        "{after}"
    );
    assert!(after.contains(r#"resources: ["<<", "=", "on"]"#), "{after}");
    env.run(&["check"]).success();
}

#[test]
fn times_are_rfc_3339_exactly() {
    let env = TestEnv::new();
    for bad in [
        "2027-01-01T00:00:00+0100",
        "2027-01-01T00:00:00+25:00",
        "2027-01-01T00:00:00Z[UTC]",
        "2016-12-31T23:59:60Z",
    ] {
        let text = with_key(&format!("    expiresAt: {bad}\n"));
        refused_everywhere(&env, &text, "is not an RFC 3339 time");
    }
}

#[test]
fn an_expiry_before_1970_is_refused_on_create_and_update() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let before = env.read();
    for args in [
        &["create", "x", "--expires", "0000-01-01"][..],
        &["update", "ci", "--expires", "0000-01-01"],
        &["update", "ci", "--expires", "1969-12-31T23:59:59Z"],
    ] {
        env.run(args)
            .code(2)
            .stderr_has("tokenctl writes times from 1970 to 9999 only");
        assert_eq!(env.read(), before);
    }
    // 1970 is in range: refused only as a past expiry, which every front end refuses.
    env.run(&["update", "ci", "--expires", "1970-01-01"])
        .code(2)
        .stderr_has("1970-01-01T00:00:00Z is not in the future");
}

#[test]
fn a_time_before_1583_is_read_as_the_past_and_reported() {
    let env = TestEnv::new();
    env.write(with_key("    expiresAt: 1500-01-01T00:00:00Z\n"));
    env.run(&["list"]).success().stdout_has("expired");
    env.run(&["check"])
        .success()
        .stdout_has("is before 1583")
        .stdout_has("SnakeYAML, js-yaml 4 and npm `yaml`");
}

#[test]
fn deleting_the_last_key_leaves_an_empty_mapping_not_a_null() {
    for how in [
        &["delete", "a", "b", "--yes"][..],
        &["delete", "--all", "--yes"],
    ] {
        let env = TestEnv::new();
        env.create("a", &[]);
        env.create("b", &[]);
        env.run(how).success();
        assert_eq!(env.read(), "version: 1\napiKeys: {}\n", "{how:?}");
        env.run(&["check"]).success();
    }
    let env = TestEnv::new();
    env.write(format!(
        "version: 1\napiKeys:   # ours\n  a:\n    hash: {H1}\nother: 1\n"
    ));
    env.run(&["delete", "a", "--yes"]).success();
    assert_eq!(env.read(), "version: 1\napiKeys: {}   # ours\nother: 1\n");
}

#[test]
fn apply_prune_of_every_key_leaves_an_empty_mapping() {
    let env = TestEnv::new();
    env.create("a", &[]);
    let desired = env.dir.path().join("desired.yml");
    std::fs::write(&desired, "apiKeys: {}\n").unwrap();
    env.run(&["apply", "-f", desired.to_str().unwrap(), "--prune", "--yes"])
        .success();
    assert_eq!(env.read(), "version: 1\napiKeys: {}\n");
}

#[test]
fn a_null_or_missing_api_keys_reads_as_no_keys_and_check_reports_it() {
    let env = TestEnv::new();
    for (text, fixed) in [
        ("version: 1\napiKeys:\n", "version: 1\napiKeys: {}\n"),
        (
            "version: 1\napiKeys: ~ # none\n",
            "version: 1\napiKeys: {} # none\n",
        ),
        ("", "apiKeys: {}\n"),
        ("# only a comment\n", "# only a comment\napiKeys: {}\n"),
    ] {
        env.write(text);
        env.run(&["list"]).success();
        env.run(&["check"])
            .success()
            .stdout_has("warning:")
            .stdout_has("apiKeys: {}");
        assert_eq!(env.read(), text);
        env.run(&["check", "--fix"]).success();
        assert_eq!(env.read(), fixed, "{text:?}");
        let out = env.run(&["check"]);
        out.success();
        assert!(!out.stdout.contains("warning"), "{}", out.stdout);
    }
}

#[test]
fn a_malformed_previous_expiry_is_named_as_such() {
    let env = TestEnv::new();
    let text = with_key(&format!(
        "    previousHashes:\n      - hash: {H2}\n        expiresAt: 2027-13-01T00:00:00Z\n"
    ));
    env.write(&text);
    let out = env.run(&["check"]);
    out.code(7).stdout_has("is not an RFC 3339 time");
    assert!(!out.stdout.contains("needs an expiresAt"), "{}", out.stdout);
}

#[test]
fn deprecated_constructs_are_read_with_a_warning_and_refused_by_writers() {
    let env = TestEnv::new();
    for (fields, needle) in [
        ("    description: !!str hello\n", "the tag !!str"),
        (
            "    createdAt: 2026-11-01t10:00:00z\n",
            "a lowercase t or z",
        ),
        ("    createdAt: 0000-03-01T00:00:00Z\n", "year 0000"),
    ] {
        let text = with_key(fields);
        env.write(&text);
        env.run(&["list"])
            .success()
            .stderr_has(needle)
            .stderr_has("tokenctl check --fix");
        env.run(&["show", "ci"]).success().stderr_has(needle);
        env.run(&["update", "ci", "--description", "x"])
            .code(1)
            .stderr_has(needle)
            .stderr_has("nothing was written");
        assert_eq!(env.read(), text);
        env.run(&["check"]).success().stdout_has(needle);
    }
    // Aliases in tokenctl's data.
    let text = format!(
        "version: 1\nperms: &p [dns:read]\napiKeys:\n  ci:\n    hash: {H1}\n    permissions: *p\n"
    );
    env.write(&text);
    env.run(&["list"]).success().stderr_has("an alias (*name)");
    env.run(&["delete", "ci", "--yes"])
        .code(1)
        .stderr_has("an alias (*name)");
    assert_eq!(env.read(), text);
    // In another tool's data an alias is no one's business.
    let text =
        format!("version: 1\nd: &d {{a: 1}}\napiKeys:\n  ci:\n    hash: {H1}\n    limits: *d\n");
    env.write(&text);
    let out = env.run(&["list"]);
    out.success();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    env.run(&["update", "ci", "--description", "x"]).success();
}

#[test]
fn check_fix_rewrites_losslessly_and_proves_it() {
    let env = TestEnv::new();
    let text = format!(
        "version: 1\nperms: &p [dns:read, \"::1\"]\nother: !custom {{a: 1}}\napiKeys:\n  ci:\n    description: !!str hello\n    permissions: [dns:write]\n    hash: {H1}\n    createdAt: 2026-11-01t10:00:00z\n    allowedIps: [::1, 10.0.0.0/8]\n    resources: [012345, yes, /api/dns]\n  b:\n    hash: {H2}\n    resources: *p\n    permissions: [\n      dns:read\n    ]\n"
    );
    env.write(&text);
    env.run(&["check"]).code(7).stdout_has("check --fix");
    let before = env.run(&["--format", "json", "list"]);
    assert_eq!(before.code, 1);
    env.run(&["check", "--fix"])
        .success()
        .stderr_has("rewritten into portable security.yml")
        .stdout_has("warning: another tool's data carries the tag !custom");
    let after = env.read();
    assert_eq!(
        after,
        format!(
            "version: 1\nperms: &p [dns:read, \"::1\"]\nother: !custom {{a: 1}}\napiKeys:\n  ci:\n    description: hello\n    permissions: [dns:write]\n    hash: {H1}\n    createdAt: 2026-11-01T10:00:00Z\n    allowedIps: [\"::1\", 10.0.0.0/8]\n    resources: [\"012345\", \"yes\", /api/dns]\n  b:\n    hash: {H2}\n    resources: [dns:read, \"::1\"]\n    permissions: [dns:read]\n"
        )
    );
    let out = env.run(&["--format", "json", "list"]);
    out.success();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    // A second run has nothing to do.
    let out = env.run(&["check", "--fix"]);
    out.success();
    assert!(!out.stderr.contains("rewritten"), "{}", out.stderr);
    assert_eq!(env.read(), after);
}

#[test]
fn check_fix_leaves_what_it_cannot_rewrite() {
    let env = TestEnv::new();
    // Year 0000 is no lossless rewrite: it stays, deprecated, and so does the refusal.
    let text = with_key("    createdAt: 0000-03-01T00:00:00Z\n    enabled: ~\n");
    env.write(&text);
    env.run(&["check", "--fix"]).code(1).stderr_has("is null");
    assert_eq!(env.read(), text);
}

#[test]
fn a_write_never_keeps_a_time_before_1583() {
    let env = TestEnv::new();
    let text = with_key("    expiresAt: 0099-01-01T00:00:00Z\n");
    env.write(&text);
    env.run(&["update", "ci", "--description", "hello"])
        .code(1)
        .stderr_has("is before 1583")
        .stderr_has("nothing was written");
    assert_eq!(env.read(), text);
    // Replacing the time, or deleting the key, is a write that keeps none.
    env.run(&["update", "ci", "--expires", "2027-01-01"])
        .success();
    assert!(env.read().contains("expiresAt: 2027-01-01T00:00:00Z"));
    env.write(&text);
    env.run(&["delete", "ci", "--yes"]).success();
}

#[test]
fn check_warns_of_foreign_data_some_library_cannot_load() {
    let env = TestEnv::new();
    for (foreign, needle) in [
        ("? [a, b]\n: x\n", "a key that is a list or mapping"),
        ("other:\n  allowedIps: [::1]\n", "starting with ':'"),
        ("other: {a: 1, a: 2}\n", "repeats the key \"a\""),
        ("other: <<\n", "a plain << or ="),
        ("other: 0000-01-01\n", "plain date or time"),
        ("other: 2016-12-31T23:59:60Z\n", "plain date or time"),
        ("other: !!binary aGk=\n", "the tag !!binary"),
        ("other: !!set {a}\n", "the tag !!set"),
    ] {
        let text = format!("{}{foreign}", with_key(""));
        env.write(&text);
        let out = env.run(&["list"]);
        out.success();
        env.run(&["check"])
            .success()
            .stdout_has("warning: another tool's data")
            .stdout_has(needle);
        // Kept byte for byte by a write.
        env.run(&["update", "ci", "--description", "x"]).success();
        assert!(env.read().ends_with(foreign), "{}", env.read());
    }
    env.write(format!(
        "{}other: [2027-1-1, 10.0.0.1, a:b]\n",
        with_key("")
    ));
    let out = env.run(&["check"]);
    out.success();
    assert!(!out.stdout.contains("warning"), "{}", out.stdout);
}

#[test]
fn a_version_with_a_leading_zero_is_refused() {
    // `010` is 8 to YAML 1.1 (octal) and 10 to YAML 1.2.
    let env = TestEnv::new();
    let text = with_key("").replace("version: 1", "version: 010");
    refused_everywhere(&env, &text, "version must be a whole number");
}

#[test]
fn a_flow_list_closed_at_its_keys_indentation_is_refused_and_fixed() {
    let env = TestEnv::new();
    let text = with_key("    permissions: [\n      dns:read\n    ]\n");
    refused_everywhere(&env, &text, "which js-yaml 5 cannot load");
    env.run(&["check", "--fix"]).success();
    assert_eq!(env.read(), with_key("    permissions: [dns:read]\n"));
    // Empty, saphyr itself refuses it: the message says what to write.
    let text = with_key("    permissions: [\n\n    ]\n");
    refused_everywhere(&env, &text, "write it on one line ([] when empty)");
    // Closed deeper than the key, every library reads it.
    env.write(with_key("    permissions: [\n      dns:read\n      ]\n"));
    env.run(&["check"]).success();
}

#[test]
fn an_anchor_name_defined_twice_is_warned_about() {
    let env = TestEnv::new();
    env.write("apiKeys: {}\ndefaults: &d\n  x: 1\ntemplate: &d\n  y: 2\n");
    env.run(&["check"])
        .success()
        .stdout_has("security.yml:4:11: warning: the anchor name &d is defined a second time")
        .stdout_has("PyYAML");
}

#[test]
fn check_fix_refuses_to_keep_a_time_before_1583() {
    let env = TestEnv::new();
    let text =
        with_key("    expiresAt: 1500-01-01T10:00:00Z\n    createdAt: 2026-01-01T00:00:00z\n");
    env.write(&text);
    env.run(&["check", "--fix"])
        .code(1)
        .stderr_has("is before 1583")
        .stderr_has("nothing was written");
    assert_eq!(env.read(), text);
}

/// A file of comments and a document end marker (`...`, the YAML test suite's HWV9 and QT73)
/// gets its first key before the marker: after it, `apiKeys:` would start a second document,
/// which no server's YAML library loads as this file. What follows the marker stays after it.
#[test]
fn a_first_key_goes_before_a_document_end_marker() {
    for (before, head, tail) in [
        ("...\n", "", "...\n"),
        ("# comment\n...\n", "# comment\n", "...\n"),
        ("# c\n... # end\n# after\n", "# c\n", "... # end\n# after\n"),
    ] {
        let env = TestEnv::new();
        env.write(before);
        env.create("zz", &[]);
        let after = env.read();
        assert!(
            after.starts_with(&format!("{head}apiKeys:\n  zz:\n")),
            "{before:?} -> {after:?}"
        );
        assert!(after.ends_with(tail), "{before:?} -> {after:?}");
        assert_eq!(after.matches("...").count(), 1, "{after:?}");
        env.run(&["check"]).success();
        env.run(&["show", "zz"]).success();
    }
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
///
/// Found by an independent differential test against PyYAML: a plain key name that YAML
/// 1.1 resolves to a date or a boolean is no string to a server on PyYAML.
#[test]
fn a_plain_key_name_that_yaml_1_1_reads_as_no_text_is_refused() {
    let env = TestEnv::new();
    for name in ["2027-01-01", "on", "yes", "N", "1_000", "1.5_0", "0b101"] {
        env.write(format!(
            "apiKeys:\n  {name}:\n    hash: {}\n  ok:\n    hash: {}\n",
            fake_hash(1),
            fake_hash(2)
        ));
        let before = env.bytes();
        env.run(&["check"])
            .code(7)
            .stdout_has(&format!("key name {name} is a"))
            .stdout_has("to YAML 1.1 parsers such as PyYAML, not text; quote it");
        env.run(&["update", "ok", "--disable"]).code(1);
        assert_eq!(env.bytes(), before, "{name}");
        // Quoted, it is a name like any other.
        env.write(format!(
            "apiKeys:\n  '{name}':\n    hash: {}\n",
            fake_hash(1)
        ));
        env.run(&["check"]).success();
    }
    // What tokenctl writes, PyYAML reads as text.
    env.write("apiKeys:\n");
    env.run(&["create", "2027-01-01", "-q"]).success();
    assert!(
        String::from_utf8(env.bytes())
            .unwrap()
            .contains("\"2027-01-01\":")
    );
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
///
/// Found by an independent differential test against PyYAML: NEL, LS and PS are line
/// breaks to YAML 1.1 parsers and libyaml, ordinary characters to YAML 1.2. A comment
/// ending in one hid a `*` key from tokenctl that PyYAML servers accept, and a disable
/// that tokenctl called done left the key enabled for them. Such files are refused.
#[test]
fn nel_ls_and_ps_are_refused_anywhere_in_the_file() {
    let env = TestEnv::new();
    for c in ['\u{85}', '\u{2028}', '\u{2029}'] {
        for text in [
            format!(
                "apiKeys:\n  ci:\n    hash: {}\n  # managed{c}  backdoor: {{hash: {}, permissions: ['*']}}\n",
                fake_hash(1),
                fake_hash(2)
            ),
            format!(
                "apiKeys:\n  k:\n    hash: {}\n    enabled: true # reviewed{c}    enabled: true\n",
                fake_hash(1)
            ),
            format!(
                "apiKeys:\n  k:\n    hash: {}\n    description: |\n      x{c}    permissions: ['*']\n",
                fake_hash(1)
            ),
            format!(
                "apiKeys:\n  k:\n    hash: {}\n    description: \"a{c}b\"\n",
                fake_hash(1)
            ),
        ] {
            env.write(&text);
            let before = env.bytes();
            env.run(&["check"])
                .code(7)
                .stdout_has(&format!("the character U+{:04X}", c as u32));
            env.run(&["list"]).code(1);
            env.run(&["update", "k", "--disable"]).code(1);
            assert_eq!(env.bytes(), before);
        }
    }
    // Given on the command line, it is written as an escape, which every parser reads alike.
    env.write(format!("apiKeys:\n  k:\n    hash: {}\n", fake_hash(1)));
    env.run(&["update", "k", "--description", "a\u{85}b\u{2028}c"])
        .success();
    let text = String::from_utf8(env.bytes()).unwrap();
    assert!(
        !text.contains('\u{85}') && !text.contains('\u{2028}'),
        "{text}"
    );
    env.run(&["check"]).success();
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
#[test]
fn anchor_names_that_parsers_split_differently_are_refused() {
    // Found by fuzz/edit's read check: YAML 1.2 lets an anchor's name hold `:`, `*`, `#`
    // and `.`, but libyaml (and with it PyYAML, Ruby, serde_yaml) and Go's yaml end it at
    // the first character that is not a letter, digit, `-` or `_`. `&q:*#ar` was a null
    // anchored `q:*#ar` to tokenctl and the string ":*#ar" anchored `q` to libyaml;
    // `&p.x [dns:read]` is a list to tokenctl and a syntax error to libyaml. (An alias names
    // an anchor, so checking the anchors is enough.)
    for (text, at) in [
        ("&q:*#ar\n", "1:1"),
        (
            "apiKeys:\n  k:\n    hash: H\n    permissions: &p.x [dns:read]\n",
            "4:18",
        ),
        (
            "x: &ok-1_A [a]\napiKeys:\n  k:\n    hash: H\n    permissions: *ok-1_A\n    owner: &a:b c\n",
            "6:12",
        ),
    ] {
        let text = text.replace('H', &fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["check"], "");
        out.code(7);
        assert!(
            out.stdout
                .contains(&format!("security.yml:{at}: anchor name"))
                && out.stdout.contains("letters, digits, - and _"),
            "{text:?}: {}",
            out.stdout
        );
        let out = run(&file, &["create", "new"], "");
        out.code(1).stdout_empty();
        assert_eq!(fs::read_to_string(&file).unwrap(), text);
    }
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
#[test]
fn a_key_name_that_yaml_reads_as_a_number_or_a_boolean_must_be_quoted() {
    // Found by fuzz/edit's libyaml check: a plain key name `2` is the integer 2 to every
    // YAML 1.2 parser (and `true` a boolean, `1e3` a float), not the name "2" tokenctl
    // read. Quoted, it is text everywhere, as tokenctl writes names it creates.
    for (name, what) in [
        ("2", "a number"),
        ("0x1f", "a number"),
        ("1.5e3", "a number"),
        (".inf", "a number"),
        ("true", "a boolean"),
        ("FALSE", "a boolean"),
        ("null", "null"),
    ] {
        let text = format!("apiKeys:\n  {name}:\n    hash: {}\n", fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["check"], "");
        out.code(7);
        assert!(
            out.stdout.contains(&format!(
                "security.yml:2:3: key name {name} is {what} to YAML parsers, not text; quote it ('{name}')"
            )),
            "{}",
            out.stdout
        );
        for quoted in [format!("'{name}'"), format!("\"{name}\"")] {
            let text = text.replace(&format!("  {name}:"), &format!("  {quoted}:"));
            let (_dir, file) = temp_file(&text);
            assert_eq!(run(&file, &["check"], "").code, 0, "{text}");
        }
    }
    // Names that only look numeric stay plain text.
    for name in ["2a", "1.2.3", "v1", "07-08", "1_000x"] {
        let text = format!("apiKeys:\n  {name}:\n    hash: {}\n", fake_hash(1));
        let (_dir, file) = temp_file(&text);
        assert_eq!(run(&file, &["check"], "").code, 0, "{text}");
        let libyaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert!(
            libyaml["apiKeys"].get(name).is_some(),
            "{name} is text to libyaml too"
        );
    }
}
