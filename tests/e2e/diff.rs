//! `diff OLD NEW` and `diff --git REV`: the change between versions of a file, per key and
//! field, classified widens / narrows / neutral; JSON, text and markdown (rendered by
//! Python-Markdown here, as a pull-request comment is); `--exit-code` and `--fail-on
//! widening` exit 11. Over a git repository with a sequence of commits.

use crate::support::env::TestEnv;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// A repository at the env's folder, its tenant file committed.
fn repo(env: &TestEnv) -> &Path {
    let dir = env.dir.path();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "keys"]);
    dir
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// `(key, field, effect)`.
type Fields = Vec<(String, String, String)>;

/// `(name, change)` of each key of a JSON diff, and `(name, field, effect)` of each field.
fn summary(v: &serde_json::Value) -> (Vec<(String, String)>, Fields) {
    let mut keys = Vec::new();
    let mut fields = Vec::new();
    for k in v["keys"].as_array().unwrap() {
        let name = k["name"].as_str().unwrap().to_string();
        keys.push((name.clone(), k["change"].as_str().unwrap().to_string()));
        for f in k["fields"].as_array().unwrap() {
            fields.push((
                name.clone(),
                f["field"].as_str().unwrap().to_string(),
                f["effect"].as_str().unwrap().to_string(),
            ));
        }
    }
    (keys, fields)
}

fn has(fields: &[(String, String, String)], key: &str, field: &str, effect: &str) -> bool {
    fields
        .iter()
        .any(|(k, f, e)| k == key && f == field && e == effect)
}

#[test]
fn diff_over_git_history_classifies_every_kind_of_change() {
    let env = TestEnv::new();
    env.create(
        "ci",
        &[
            "-p",
            "dns:read",
            "--allow-ip",
            "10.0.0.0/8",
            "--expires",
            "30d",
        ],
    );
    let web = env.create("web", &["-p", "dns:read", "-p", "dns:write"]);
    env.create("old-job", &["-p", "x:y"]);
    env.create("batch", &["-p", "x:y", "--path-prefix", "/api"]);
    let dir = repo(&env);

    // Commit 2: widen ci, add a key, delete one, rotate one with grace, rename one, narrow one.
    env.run(&[
        "update",
        "ci",
        "--add-permission",
        "dns:*",
        "--clear-allow-ips",
        "--expires",
        "never",
    ])
    .success();
    env.create("deploy", &["-p", "dns:write"]);
    env.run(&["delete", "old-job", "--yes"]).success();
    env.run(&["rotate", "web", "--grace", "24h", "--quiet"])
        .success();
    env.run(&["rename", "batch", "batch-v2"]).success();
    commit(dir, "widen");

    let out = env.run(&["diff", "--git", "HEAD~1", "--format", "json"]);
    let v = out.success().json();
    assert_eq!(v["tenant"], "acme");
    assert_eq!(v["foreign"], false);
    let (keys, fields) = summary(&v);
    let change = |k: &str| keys.iter().find(|(n, _)| n == k).map(|(_, c)| c.as_str());
    assert_eq!(change("ci"), Some("changed"));
    assert_eq!(change("deploy"), Some("added"));
    assert_eq!(change("old-job"), Some("removed"));
    assert_eq!(change("web"), Some("rotated"));
    assert_eq!(change("batch-v2"), Some("renamed"));
    assert!(has(&fields, "ci", "permissions", "widens"), "{fields:?}");
    assert!(has(&fields, "ci", "allowedIps", "widens"));
    assert!(has(&fields, "ci", "expiresAt", "widens"));
    assert!(
        has(&fields, "web", "previousHashes", "widens"),
        "a grace period given"
    );
    assert!(has(&fields, "batch-v2", "name", "neutral"));
    // Never a hash or a secret.
    assert!(!out.stdout.contains("sha256:") && !out.stdout.contains(&web));
    // Exactly the documented shape.
    let mut top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    top.sort();
    assert_eq!(top, ["foreign", "keys", "policy", "tenant", "violations"]);

    env.run(&["diff", "--git", "HEAD~1", "--fail-on", "widening"])
        .code(11)
        .stderr_has("widens");
    env.run(&["diff", "--git", "HEAD~1", "--exit-code"])
        .code(11);
    env.run(&["diff", "--git", "HEAD", "--exit-code"])
        .success()
        .stdout_has("no change");

    // Commit 3: only narrowing. --fail-on widening passes; --exit-code still sees a change.
    env.run(&[
        "update",
        "ci",
        "--remove-permission",
        "dns:*",
        "--allow-ip",
        "10.1.0.0/16",
    ])
    .success();
    env.run(&["update", "deploy", "--disable"]).success();
    env.run(&["rotate", "web", "--end-grace"]).success();
    commit(dir, "narrow");
    let v = env
        .run(&["diff", "--git", "HEAD~1", "--format", "json"])
        .success()
        .json();
    let (_, fields) = summary(&v);
    assert!(has(&fields, "ci", "permissions", "narrows"), "{fields:?}");
    assert!(has(&fields, "ci", "allowedIps", "narrows"));
    assert!(has(&fields, "deploy", "enabled", "narrows"));
    assert!(has(&fields, "web", "previousHashes", "narrows"));
    env.run(&["diff", "--git", "HEAD~1", "--fail-on", "widening"])
        .success();
    env.run(&["diff", "--git", "HEAD~1", "--exit-code"])
        .code(11);

    // Text: one line a key, the widening marked.
    let text = env.run(&["diff", "--git", "HEAD~2"]);
    text.success()
        .stdout_has("tenant acme:")
        .stdout_has("+ deploy added")
        .stdout_has("- old-job removed")
        .stdout_has("(widens)");

    // A bad revision is a usage error, not an empty diff.
    env.run(&["diff", "--git", "no-such-branch"]).code(2);
    env.run(&["diff", "--git", "--upload-pack=x"]).code(2);
    env.run(&["diff"]).code(2);
}

#[test]
fn the_markdown_is_a_table_python_markdown_renders() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let old = env.dir.path().join("old.yml");
    std::fs::copy(env.file(), &old).unwrap();
    env.run(&[
        "update",
        "ci",
        "--add-permission",
        "dns:write",
        "--description",
        "a | pipe",
    ])
    .success();
    env.create("new", &["-p", "x:y"]);
    let md = env.run(&[
        "diff",
        old.to_str().unwrap(),
        env.file().to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    md.success().stdout_has("**Access widens**");
    let rendered = Command::new("python3")
        .args([
            "-c",
            "import sys, markdown; print(markdown.markdown(sys.stdin.read(), extensions=['tables']))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(md.stdout.as_bytes())?;
            c.wait_with_output()
        })
        .expect("python3 runs");
    let html = String::from_utf8(rendered.stdout).unwrap();
    assert!(
        rendered.status.success() && html.contains("<table>"),
        "python3 -m pip install markdown: {html}{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    // One header row, one row per field: the pipe in the description did not split a cell.
    // The header, ci's two fields, the new key's enabled, permissions and expiry.
    assert_eq!(html.matches("<tr>").count(), 1 + 2 + 3, "{html}");
    assert!(html.contains("<td>a | pipe</td>"), "{html}");
    assert!(html.contains("<strong>widens</strong>"), "{html}");
    // Other formats are refused for other commands.
    env.run(&["list", "--format", "markdown"]).code(2);
}

#[test]
fn other_tools_data_is_reported_not_judged_and_a_broken_old_side_is_noted() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let base = env.read();
    let old = env.dir.path().join("old.yml");
    let new = env.dir.path().join("new.yml");
    std::fs::write(&old, format!("{base}x-owner: team-a\n")).unwrap();
    std::fs::write(&new, format!("{base}x-owner: team-b\n")).unwrap();
    let v = env
        .run(&[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(v["foreign"], true);
    assert_eq!(v["keys"], serde_json::json!([]));
    // Comments and styles are not changes.
    std::fs::write(&new, format!("# a comment\n{base}x-owner: \"team-a\"\n")).unwrap();
    let out = env.run(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--exit-code",
    ]);
    out.success().stdout_has("no change");
    // An old side that today's rules refuse (a lowercase `t` in a time, say) is read all the
    // same, with a note; the new side's problems are the diff's violations.
    let bad = base.replace("createdAt: 2026-11-22T", "createdAt: 2026-11-22t");
    assert_ne!(bad, base);
    std::fs::write(&old, &bad).unwrap();
    std::fs::write(&new, &base).unwrap();
    env.run(&["diff", old.to_str().unwrap(), new.to_str().unwrap()])
        .success()
        .stderr_has("note: ");
}

/// The commands docs/REVIEW.md's CI jobs run, taken from the page, on a repository with
/// several commits and two tenants: the markdown for the comment, then the check that fails
/// while access widens.
#[test]
fn the_review_jobs_commands_run() {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/REVIEW.md"))
            .unwrap();
    let block = page
        .split("The two commands the jobs run")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|b| b.split("```").next())
        .expect("the page shows the jobs' commands");
    let commands: Vec<&str> = block.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(commands.len(), 2, "{block}");
    for job in ["# .github/workflows/keys.yml", "# .gitlab-ci.yml"] {
        let ci = page.split(job).nth(1).unwrap();
        for c in &commands {
            assert!(ci.contains(c), "{job} runs {c}");
        }
    }
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    env.run(&[
        "-t",
        "beta",
        "create",
        "web",
        "-p",
        "x:y",
        "-q",
        "--new-tenant",
    ])
    .success();
    let dir = repo(&env);
    git(dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    git(dir, &["checkout", "-q", "-b", "change"]);
    env.run(&["update", "ci", "--add-permission", "dns:write"])
        .success();
    commit(dir, "widen acme");
    env.run(&["-t", "beta", "update", "web", "--disable"])
        .success();
    commit(dir, "narrow beta");
    let bin = Path::new(assert_cmd::cargo::cargo_bin!("tokenctl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let run = |command: &str| {
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        Command::new("sh")
            .args(["-c", command])
            .current_dir(dir)
            .env("PATH", path)
            .env_remove("TOKENCTL_TENANT")
            .env_remove("TOKENCTL_ROOT")
            .env_remove("TOKENCTL_FILE")
            .output()
            .unwrap()
    };
    let markdown = run(commands[0]);
    assert!(markdown.status.success(), "{markdown:?}");
    let comment = std::fs::read_to_string(dir.join("tokenctl-diff.md")).unwrap();
    assert!(
        comment.contains("### tokenctl diff: tenant `acme`"),
        "{comment}"
    );
    assert!(
        comment.contains("### tokenctl diff: tenant `beta`"),
        "{comment}"
    );
    assert!(comment.contains("**widens**"), "{comment}");
    let check = run(commands[1]);
    assert_eq!(check.status.code(), Some(11), "{check:?}");
    // Once the widening is undone, the check passes, the narrowing notwithstanding.
    env.run(&["update", "ci", "--remove-permission", "dns:write"])
        .success();
    commit(dir, "undo");
    let check = run(commands[1]);
    assert!(check.status.success(), "{check:?}");
}
