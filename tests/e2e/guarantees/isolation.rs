//! Tenant isolation by construction: a tenant who owns its folder swaps a sub-folder for a
//! link to another tenant (or out of the root) at the worst moment, after tokenctl read its
//! file and before it replaced it. A test build's pause (`TOKENCTL_TEST_PAUSE`) holds the
//! writer there, so each race is run exactly, with the kernel's `openat2` and with the walk
//! that stands in for it (`TOKENCTL_TEST_NO_OPENAT2`). Nothing outside the tenant's folder
//! may change: not a byte, not a modification time, no new file.

use crate::support::env::*;
use crate::support::harness::command;
use crate::support::server::{Api, Client, send};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: [&str; 4] = [
    "--permission",
    "tenant.apiKey:read",
    "--permission",
    "tenant.apiKey:write",
];

/// Two tenants, acme (the victim) and beta (the attacker), and a folder outside the root.
/// beta's security.yml is a link into a sub-folder of its own (allowed: it stays in beta).
struct Scene {
    env: TestEnv,
    acme_token: String,
    beta_token: String,
    outside: PathBuf,
}

impl Scene {
    fn new() -> Scene {
        let env = TestEnv::new();
        let acme_token = env.create("console", &ADMIN);
        let beta_token = run(
            beta(&env)
                .args(["create", "console", "--new-tenant"])
                .args(ADMIN),
            "",
        )
        .success()
        .secret();
        let b = env.root().join("beta");
        fs::create_dir(b.join("sub")).unwrap();
        fs::rename(b.join("security.yml"), b.join("sub/security.yml")).unwrap();
        let _ = fs::remove_file(b.join("security.yml.lock"));
        symlink("sub/security.yml", b.join("security.yml")).unwrap();
        let outside = env.dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("security.yml"), "apiKeys: {}\n").unwrap();
        fs::write(outside.join("authorized_keys"), "ssh-ed25519 AAAA root\n").unwrap();
        Scene {
            env,
            acme_token,
            beta_token,
            outside,
        }
    }

    /// Every file of acme and of the outside folder: name, bytes, modification time.
    fn others(&self) -> BTreeMap<PathBuf, (Vec<u8>, i64, i64)> {
        let mut all = BTreeMap::new();
        for dir in [self.env.root().join("acme"), self.outside.clone()] {
            for e in fs::read_dir(&dir).unwrap().flatten() {
                let m = fs::symlink_metadata(e.path()).unwrap();
                all.insert(
                    e.path(),
                    (
                        fs::read(e.path()).unwrap_or_default(),
                        m.mtime(),
                        m.mtime_nsec(),
                    ),
                );
            }
        }
        all
    }

    /// beta's sub-folder exchanged, in one step, with a link to `to`: the real folder is
    /// then `beta/was-sub`.
    fn swap(&self, to: &Path) {
        let b = self.env.root().join("beta");
        symlink(to, b.join("was-sub")).unwrap();
        rustix::fs::renameat_with(
            rustix::fs::CWD,
            b.join("sub"),
            rustix::fs::CWD,
            b.join("was-sub"),
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .unwrap();
        assert!(fs::symlink_metadata(b.join("sub")).unwrap().is_symlink());
    }

    /// beta's file as the write left it: in the folder that was checked, now `was-sub`.
    fn betas_file(&self) -> String {
        fs::read_to_string(self.env.root().join("beta/was-sub/security.yml")).unwrap()
    }

    /// Where the swapped link leads: another tenant (relative), or out of the root.
    fn targets(&self) -> [PathBuf; 2] {
        [PathBuf::from("../acme"), self.outside.clone()]
    }
}

fn beta(env: &TestEnv) -> Command {
    let mut c = env.std_cmd();
    c.env("TOKENCTL_TENANT", "beta");
    c
}

fn run(c: &mut Command, stdin: &str) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Waits for the writer to reach the pause, runs `swap`, and lets it go on; false when the
/// writer ended without pausing.
fn at_the_pause(pause: &Path, alive: impl Fn() -> bool, swap: impl FnOnce()) -> bool {
    let start = Instant::now();
    while !pause.join("paused").exists() {
        if !alive() {
            return false;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the writer never paused"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    swap();
    fs::write(pause.join("resume"), "").unwrap();
    true
}

/// `cmd` run with the pause, `swap` done while it waits there.
fn raced(mut cmd: Command, stdin: &str, swap: impl FnOnce()) -> Output {
    let pause = tempfile::tempdir().unwrap();
    cmd.env("TOKENCTL_TEST_PAUSE", pause.path());
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let out = s.spawn(|| {
            let out = run(&mut cmd, stdin);
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            out
        });
        let paused = at_the_pause(
            pause.path(),
            || !done.load(std::sync::atomic::Ordering::SeqCst),
            swap,
        );
        let out = out.join().unwrap();
        assert!(paused, "the writer ended before it paused: {out:?}");
        out
    })
}

fn walks() -> [(&'static str, Option<&'static str>); 2] {
    [("openat2", None), ("walk", Some("1"))]
}

fn with_walk(mut c: Command, walk: Option<&str>) -> Command {
    if let Some(v) = walk {
        c.env("TOKENCTL_TEST_NO_OPENAT2", v);
    }
    c
}

#[test]
fn the_cli_writer_keeps_to_the_folder_it_checked() {
    for (how, walk) in walks() {
        for n in 0..2 {
            let scene = Scene::new();
            let to = scene.targets()[n].clone();
            let before = scene.others();
            let mut cmd = with_walk(beta(&scene.env), walk);
            cmd.args([
                "update",
                "console",
                "--description",
                "ssh-ed25519 AAAA evil",
            ]);
            let out = raced(cmd, "", || scene.swap(&to));
            // The write went where it was checked: beta's own folder, renamed since.
            out.success();
            assert!(
                scene.betas_file().contains("ssh-ed25519 AAAA evil"),
                "{how} {to:?}"
            );
            assert_eq!(scene.others(), before, "{how}: {to:?} changed");
            assert_eq!(
                crate::support::harness::temp_files(&scene.env.root().join("beta/was-sub")),
                Vec::<String>::new()
            );
            // acme's admin key still works, beta's does not reach acme.
            run(scene.env.std_cmd().arg("verify"), &scene.acme_token).success();
            run(scene.env.std_cmd().arg("verify"), &scene.beta_token).code(4);
        }
    }
}

#[test]
fn verify_record_keeps_the_usage_file_in_the_folder_it_checked() {
    for (how, walk) in walks() {
        for n in 0..2 {
            let scene = Scene::new();
            let to = scene.targets()[n].clone();
            let before = scene.others();
            let mut cmd = with_walk(beta(&scene.env), walk);
            cmd.args(["verify", "--record"]);
            let out = raced(cmd, &scene.beta_token, || scene.swap(&to));
            out.success();
            let usage = scene.env.root().join("beta/was-sub/security.usage.yml");
            assert!(
                fs::read_to_string(&usage).unwrap().contains("console:"),
                "{how}"
            );
            assert!(
                scene
                    .env
                    .root()
                    .join("beta/was-sub/security.usage.yml.lock")
                    .exists()
            );
            assert_eq!(scene.others(), before, "{how}: {to:?} changed");
        }
    }
}

#[test]
fn serve_keeps_a_tenants_write_in_the_folder_it_checked() {
    for (how, walk) in walks() {
        let scene = Scene::new();
        let to = scene.targets()[0].clone();
        let pause = tempfile::tempdir().unwrap();
        let mut cmd = with_walk(scene.env.std_cmd(), walk);
        cmd.env_remove("TOKENCTL_TENANT")
            .env("TOKENCTL_TEST_PAUSE", pause.path());
        let api = Api::start_cmd(cmd, &[]);
        let before = scene.others();
        let done = std::sync::atomic::AtomicBool::new(false);
        let reply = std::thread::scope(|s| {
            let reply = s.spawn(|| {
                let r = api.ask(
                    Client::Ureq,
                    send(
                        "POST",
                        "/api/beta/admin/apiKeys",
                        &scene.beta_token,
                        r#"{"name": "planted", "permissions": ["tenant.apiKey:write"]}"#,
                    ),
                );
                done.store(true, std::sync::atomic::Ordering::SeqCst);
                r
            });
            let paused = at_the_pause(
                pause.path(),
                || !done.load(std::sync::atomic::Ordering::SeqCst),
                || scene.swap(&to),
            );
            let reply = reply.join().unwrap();
            assert!(paused, "the write ended before it paused: {}", api.log());
            reply
        });
        reply.status(201);
        assert!(scene.betas_file().contains("planted:"), "{how}");
        assert_eq!(scene.others(), before, "{how}: acme changed");
        // acme's admin still gets in; beta's key does not reach acme, and beta, whose file is
        // now a link out of its folder, is no tenant.
        api.ask(
            Client::Ureq,
            crate::support::server::get("/api/acme/admin/apiKeys", &scene.acme_token),
        )
        .status(200);
        api.ask(
            Client::Ureq,
            crate::support::server::get("/api/acme/admin/apiKeys", &scene.beta_token),
        )
        .status(401);
        api.ask(
            Client::Ureq,
            crate::support::server::get("/api/beta/admin/apiKeys", &scene.beta_token),
        )
        .status(404);
        assert!(
            api.log().contains("leads outside its tenant folder"),
            "{}",
            api.log()
        );
    }
}

/// One tenant's file may not be a link to another's: with --tenant, --all-tenants, scan and
/// serve alike, it is refused, naming both paths, and the other tenant is untouched.
#[test]
fn a_tenants_file_linking_to_another_tenant_is_refused_everywhere() {
    for (how, walk) in walks() {
        let scene = Scene::new();
        let b = scene.env.root().join("beta");
        fs::remove_file(b.join("security.yml")).unwrap();
        symlink("../acme/security.yml", b.join("security.yml")).unwrap();
        let before = scene.others();
        for args in [
            &["create", "x", "--permission", "tenant.apiKey:write"][..],
            &["delete", "--all", "--yes"],
            &["list"],
            &["update", "console", "--disable"],
            &["check"],
        ] {
            let mut c = with_walk(beta(&scene.env), walk);
            run(c.args(args), "")
                .code(1)
                .stderr_has("leads outside its tenant folder")
                .stderr_has(&b.join("security.yml").display().to_string())
                .stderr_has(
                    &scene
                        .env
                        .root()
                        .join("acme/security.yml")
                        .display()
                        .to_string(),
                )
                .stdout_empty();
        }
        let mut c = with_walk(beta(&scene.env), walk);
        run(c.args(["verify"]), &scene.acme_token).code(1);
        // --all-tenants: beta is not read (an error, exit 1); acme is listed once, as acme.
        let mut c = with_walk(scene.env.std_cmd(), walk);
        let out = run(
            c.env_remove("TOKENCTL_TENANT")
                .args(["list", "--all-tenants", "--format", "json"]),
            "",
        );
        out.code(1).stderr_has("leads outside its tenant folder");
        assert_eq!(
            out.stdout.matches("\"console\"").count(),
            1,
            "{how}: {}",
            out.stdout
        );
        // scan finds acme's token as acme's, never as beta's.
        let file = scene.env.dir.path().join("leak.txt");
        fs::write(&file, &scene.acme_token).unwrap();
        let mut c = with_walk(scene.env.std_cmd(), walk);
        let out = run(
            c.env_remove("TOKENCTL_TENANT")
                .args(["scan", "--all-tenants", "--format", "json"])
                .arg(&file),
            "",
        );
        assert!(out.stdout.contains("acme"), "{how}: {}", out.stdout);
        assert!(!out.stdout.contains("beta"), "{how}: {}", out.stdout);
        assert_eq!(scene.others(), before, "{how}");
    }
}

/// `script` run by `sh` in `dir` as the unprivileged tenant (`nobody`, through setpriv).
fn as_tenant(dir: &Path, script: &str) {
    let mut c = Command::new("setpriv");
    c.args([
        format!("--reuid={NOBODY}"),
        format!("--regid={NOBODY}"),
        "--clear-groups".into(),
        "--".into(),
        "sh".into(),
        "-ec".into(),
        script.into(),
    ])
    .current_dir(dir)
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default());
    let out = c.output().expect("setpriv (util-linux) runs");
    assert!(
        out.status.success(),
        "as nobody: {script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The reviewers' setting: tokenctl runs as root over a tenant folder that an unprivileged
/// tenant (`nobody`) owns and changes as it likes, racing it at the worst moment. Nothing
/// outside beta's folder changes, and the files root makes there stay the tenant's.
#[test]
#[ignore = "needs root"]
fn an_unprivileged_tenant_cannot_steer_a_root_tokenctl() {
    assert!(
        is_root(),
        "run as root (CI does): cargo test -- --include-ignored"
    );
    for (how, walk) in walks() {
        let scene = Scene::new();
        let b = scene.env.root().join("beta");
        // The tenant reaches its folder, and owns it and everything in it.
        for d in [scene.env.dir.path(), &scene.env.root()] {
            fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o711)).unwrap();
        }
        give_to_unprivileged(&b);
        let before = scene.others();

        // The race, done by the tenant itself: sub-folder out, a link out of the root in.
        let outside = scene.outside.display().to_string();
        let mut cmd = with_walk(beta(&scene.env), walk);
        cmd.args([
            "update",
            "console",
            "--description",
            "ssh-ed25519 AAAA evil",
        ]);
        raced(cmd, "", || {
            as_tenant(&b, &format!("mv sub was-sub; ln -s '{outside}' sub"))
        })
        .success();
        assert!(
            scene.betas_file().contains("ssh-ed25519 AAAA evil"),
            "{how}"
        );
        let owner = |p: &Path| fs::symlink_metadata(p).unwrap().uid();
        assert_eq!(owner(&b.join("was-sub/security.yml")), NOBODY, "{how}");
        assert_eq!(owner(&b.join("was-sub/security.yml.lock")), NOBODY, "{how}");
        // Now the usage file and its lock, the link this time to acme.
        as_tenant(&b, "rm sub; mv was-sub sub");
        let mut cmd = with_walk(beta(&scene.env), walk);
        cmd.args(["verify", "--record"]);
        raced(cmd, &scene.beta_token, || {
            as_tenant(&b, "mv sub real; ln -s ../acme sub")
        })
        .success();
        assert_eq!(owner(&b.join("real/security.usage.yml")), NOBODY, "{how}");
        assert_eq!(
            owner(&b.join("real/security.usage.yml.lock")),
            NOBODY,
            "{how}"
        );
        assert_eq!(scene.others(), before, "{how}: outside beta changed");

        // Its file a link to acme's: root's bootstrap and offboarding steps refuse it.
        as_tenant(
            &b,
            "rm -f security.yml; ln -s ../acme/security.yml security.yml",
        );
        for args in [
            &["create", "root-made", "--permission", "tenant.apiKey:write"][..],
            &["delete", "--all", "--yes"],
        ] {
            let mut c = with_walk(beta(&scene.env), walk);
            run(c.args(args), "")
                .code(1)
                .stderr_has("leads outside its tenant folder")
                .stdout_empty();
        }
        assert_eq!(scene.others(), before, "{how}: acme changed");
        run(scene.env.std_cmd().arg("verify"), &scene.acme_token).success();
    }
}

/// `--file-owner`, `--file-group` and `--file-mode` are given to the new file before it
/// replaces the old one; `apply` reports them, and writes for them alone.
#[test]
fn file_owner_group_and_mode_are_given_to_the_file_written() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let file = env.file();
    let meta = || fs::metadata(&file).unwrap();
    let (uid, gid) = if is_root() {
        (NOBODY, NOBODY)
    } else {
        (meta().uid(), meta().gid())
    };
    let (u, g) = (uid.to_string(), gid.to_string());
    env.run(&[
        "update",
        "k",
        "--description",
        "x",
        "--file-mode",
        "0640",
        "--file-owner",
        &u,
        "--file-group",
        &g,
    ])
    .success();
    assert_eq!(
        (meta().uid(), meta().gid(), meta().mode() & 0o777),
        (uid, gid, 0o640)
    );
    // The keys already match: apply writes for the mode alone, and says so.
    let desired = env.dir.path().join("desired.yml");
    fs::write(&desired, "apiKeys:\n  k: {}\n").unwrap();
    let d = desired.to_str().unwrap();
    let dry = env.run(&["apply", "-f", d, "--file-mode", "0600", "--dry-run"]);
    dry.code(8).stderr_has("the file's mode 0640 -> 0600");
    assert_eq!(meta().mode() & 0o777, 0o640, "a dry run sets nothing");
    let out = env.run(&["apply", "-f", d, "--file-mode", "0600", "--format", "json"]);
    out.success();
    let report = out.json();
    assert_eq!(report["changed"], true);
    assert_eq!(
        report["attributes"],
        serde_json::json!([{"field": "mode", "old": "0640", "new": "0600"}])
    );
    assert_eq!(meta().mode() & 0o777, 0o600);
    assert_eq!(meta().uid(), uid, "the owner is kept");
    let again = env.run(&["apply", "-f", d, "--file-mode", "0600", "--format", "json"]);
    assert_eq!(again.success().json()["changed"], false);
    // Refused before anything is touched.
    env.run(&["update", "k", "--disable", "--file-mode", "u=rw"])
        .code(2)
        .stderr_has("--file-mode \"u=rw\" is not a mode");
    env.run(&[
        "update",
        "k",
        "--disable",
        "--file-owner",
        "no-such-user-here",
    ])
    .code(2)
    .stderr_has("no such user");
    assert!(!env.read().contains("enabled: false"));
}

/// A lock file and a usage file that root makes beside a tenant's file take the owner of
/// that file (by fchown on the new file), so root writing first locks no tenant out.
#[test]
#[ignore = "needs root"]
fn root_gives_new_lock_and_usage_files_the_owner_of_the_file() {
    assert!(
        is_root(),
        "run as root (CI does): cargo test -- --include-ignored"
    );
    let env = TestEnv::new();
    let token = env.create("k", &[]);
    let dir = env.root().join("acme");
    for f in fs::read_dir(&dir).unwrap().flatten() {
        if f.file_name() != "security.yml" {
            fs::remove_file(f.path()).unwrap();
        }
    }
    give_to_unprivileged(&dir);
    env.run(&["update", "k", "--description", "by root"])
        .success();
    env.run_with(&["verify", "--record"], &token).success();
    for name in [
        "security.yml",
        "security.yml.lock",
        "security.usage.yml",
        "security.usage.yml.lock",
    ] {
        let m = fs::metadata(dir.join(name)).unwrap();
        assert_eq!((m.uid(), m.gid()), (NOBODY, NOBODY), "{name}");
    }
}

/// `--file` follows links wherever they lead (it names the operator's own file), but root
/// follows no other user's link: a tenant who owns its folder would point its security.yml at
/// any file (a dangling link to `/etc/ld.so.preload`), and root's write, given
/// `--file-owner`, would hand it to the tenant. Found by the independent attack review with the
/// Ansible module's `path:` and `owner:`.
#[test]
#[ignore = "needs root"]
fn root_follows_no_other_users_link_with_file() {
    assert!(
        is_root(),
        "run as root (CI does): cargo test -- --include-ignored"
    );
    let env = TestEnv::new();
    let tenant = env.dir.path().join("beta");
    let outside = env.dir.path().join("outside");
    fs::create_dir_all(&tenant).unwrap();
    fs::create_dir_all(&outside).unwrap();
    let link = tenant.join("security.yml");
    symlink(outside.join("planted"), &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
    let file = link.to_str().unwrap();
    let out = env.run(&["--file", file, "create", "k", "--file-owner", "65534"]);
    out.code(1)
        .stderr_has("owned by user 65534")
        .stderr_has("--tenant");
    assert!(
        !outside.join("planted").exists(),
        "nothing written out there"
    );
    // A link root owns is followed as before.
    fs::remove_file(&link).unwrap();
    symlink(outside.join("planted"), &link).unwrap();
    env.run(&["--file", file, "create", "k"]).success();
    assert!(outside.join("planted").is_file());
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
#[test]
#[ignore = "needs root"]
fn a_new_usage_file_belongs_to_the_owner_of_security_yml() {
    assert!(is_root(), "needs root (scripts/test runs it as root)");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("own");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("security.yml");
    let out = command(&file)
        .args(["create", "k", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap();
    give_to_unprivileged(&dir);
    // Root records first...
    let mut verify = command(&file);
    verify.args(["verify", "--record"]).stdin(Stdio::piped());
    let out = run_with_stdin(verify, &token);
    assert!(out.0, "{}", out.1);
    let usage = fs::metadata(dir.join("security.usage.yml")).unwrap();
    assert_eq!((usage.uid(), usage.gid()), (NOBODY, NOBODY));
    assert_eq!(usage.mode() & 0o777, 0o600);
    // ...and the owner can still record after.
    let mut as_owner = command(&file);
    as_owner.args(["verify", "--record"]);
    let mut as_owner = unprivileged(as_owner);
    as_owner
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (ok, stderr) = run_with_stdin(as_owner, &token);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("not recorded"), "{stderr}");
}

fn run_with_stdin(mut c: std::process::Command, input: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
