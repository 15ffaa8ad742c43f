//! A temp folder with a tenant root, a fixed clock, and helpers to run tokenctl in it.

#![allow(dead_code)]

use assert_cmd::Command;
use sha2::Digest;
use std::fs;
use std::path::{Path, PathBuf};

// The tests fix the clock with TOKENCTL_NOW, which a release build never reads.
#[cfg(not(debug_assertions))]
compile_error!(
    "the end-to-end tests fix the clock with TOKENCTL_NOW, which only test builds read \
     (SECURITY.md, \"The clock\"): run them without --release"
);

/// The instant tests run at unless they say otherwise.
pub(crate) const NOW: &str = "2026-11-22T10:00:00Z";
/// An instant a year before [`NOW`], for keys that have expired by [`NOW`].
pub(crate) const EARLIER: &str = "2025-11-22T10:00:00Z";

pub(crate) struct TestEnv {
    pub dir: tempfile::TempDir,
    pub tenant: String,
}

/// What one run printed and returned.
#[derive(Debug)]
pub(crate) struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    #[track_caller]
    pub(crate) fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub(crate) fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub(crate) fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub(crate) fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    pub(crate) fn stdout_empty(&self) -> &Self {
        assert_eq!(self.stdout, "", "stdout should be empty");
        self
    }

    /// The secret printed alone on stdout.
    pub(crate) fn secret(&self) -> String {
        let s = self.stdout.trim_end_matches('\n');
        assert!(
            !s.contains('\n'),
            "stdout should hold only the secret: {:?}",
            self.stdout
        );
        s.to_string()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

impl TestEnv {
    pub(crate) fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
            tenant: "acme".into(),
        }
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("tenants")
    }

    /// The tenant's security.yml.
    pub(crate) fn file(&self) -> PathBuf {
        self.root().join(&self.tenant).join("security.yml")
    }

    /// Writes the tenant's security.yml (mode 0600, folders 0700).
    pub(crate) fn write(&self, text: impl AsRef<[u8]>) {
        use std::os::unix::fs::PermissionsExt;
        let f = self.file();
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(&f, text).unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// Copies a fixture from fixtures/ as the tenant's security.yml.
    pub(crate) fn fixture(&self, name: &str) -> Vec<u8> {
        let bytes = fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name),
        )
        .unwrap();
        self.write(&bytes);
        bytes
    }

    pub(crate) fn read(&self) -> String {
        fs::read_to_string(self.file()).unwrap()
    }

    pub(crate) fn bytes(&self) -> Vec<u8> {
        fs::read(self.file()).unwrap_or_default()
    }

    /// A std command with the tenant root and clock set, run in the temp folder.
    pub(crate) fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin!("tokenctl"));
        c.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TOKENCTL_ROOT", self.root())
            .env("TOKENCTL_TENANT", &self.tenant)
            .env("TOKENCTL_NOW", NOW)
            .env("CI", "true");
        c
    }

    /// The same as an assert_cmd command, with empty stdin.
    pub(crate) fn cmd(&self) -> Command {
        let mut c = Command::from_std(self.std_cmd());
        c.write_stdin("");
        c
    }

    /// Runs tokenctl with `args`.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "")
    }

    /// Runs tokenctl with `args` and `stdin`.
    pub(crate) fn run_with(&self, args: &[&str], stdin: &str) -> Output {
        let out = self
            .cmd()
            .args(args)
            .write_stdin(stdin)
            .output()
            .expect("runs");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs tokenctl with `args` at another instant (`TOKENCTL_NOW`): how a test makes a key
    /// that has expired by [`NOW`], as one made back then (a past expiry is refused).
    pub(crate) fn run_at(&self, now: &str, args: &[&str]) -> Output {
        let out = self
            .cmd()
            .env("TOKENCTL_NOW", now)
            .args(args)
            .output()
            .expect("runs");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Creates a key at another instant (see [`TestEnv::run_at`]) and returns its secret.
    pub(crate) fn create_at(&self, now: &str, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", name];
        args.extend_from_slice(extra);
        self.run_at(now, &args).success().secret()
    }

    /// Creates a key and returns its secret.
    pub(crate) fn create(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", name];
        args.extend_from_slice(extra);
        self.run(&args).success().secret()
    }
}

/// A private X server (Xvfb) for clipboard tests; killed on drop, which also ends any
/// clipboard helper still serving it.
pub(crate) struct Xvfb {
    child: std::process::Child,
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb on a free display and waits until it accepts clients.
    pub(crate) fn start() -> Xvfb {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        // -displayfd: Xvfb picks a free display and writes its number when it is ready.
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "640x480x24",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "Xvfb must be installed (scripts/test installs it: apt-get install xvfb xclip)",
            );
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("Xvfb reports its display");
        let display = format!(":{}", line.trim());
        assert!(display.len() > 1, "Xvfb did not report a display");
        Xvfb { child, display }
    }

    /// What `xclip -o -selection clipboard` reads on this display.
    pub(crate) fn clipboard(&self) -> String {
        let mut xclip = std::process::Command::new("xclip");
        xclip
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.display);
        let out = read_clipboard(&mut xclip).expect("xclip answers");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Xvfb {
    /// Another program (xclip) takes the clipboard with `text`; xclip serves it from the
    /// background until the selection is taken or the X server goes away.
    pub(crate) fn copy(&self, text: &str) {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = std::process::Command::new("xclip")
            .args(["-i", "-selection", "clipboard"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xclip must be installed");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program in a private tmux server: a real terminal whose screen can be read back, as
/// the person at it sees it. Killed on drop.
pub(crate) struct Tmux {
    socket: String,
    /// Where the shell around the program writes its exit status.
    status_file: PathBuf,
}

impl Tmux {
    /// Runs `command` (a shell command line) in a `width` x `height` terminal, in `dir`. The
    /// screen stays readable after the program exits.
    pub(crate) fn start(dir: &Path, command: &str, width: u16, height: u16) -> Tmux {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let socket = format!(
            "tokenctl-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let conf = dir.join(format!("{socket}.conf"));
        fs::write(&conf, "set -g remain-on-exit on\nset -g status off\n").unwrap();
        // The command runs under a shell that writes its exit status to a file: tmux 3.3
        // sometimes marks a pane dead without ever showing its exit status (seen as a flaky
        // exit -1 after Ctrl-C). The shell traps SIGINT with a command, which the program
        // does not inherit, so a Ctrl-C reaching the whole process group leaves the shell
        // waiting for the program as before.
        let status_file = dir.join(format!("{socket}.status"));
        let script = dir.join(format!("{socket}.sh"));
        fs::write(
            &script,
            format!(
                "trap : INT\n{command}\necho $? > '{}'\n",
                status_file.display()
            ),
        )
        .unwrap();
        let command = format!("sh '{}'", script.display());
        let status = std::process::Command::new("tmux")
            .args(["-L", &socket, "-f"])
            .arg(&conf)
            .args(["new-session", "-d", "-s", "t", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .arg("-c")
            .arg(dir)
            .arg(command)
            .status()
            .expect("tmux must be installed (scripts/test installs it)");
        assert!(status.success(), "tmux starts");
        Tmux {
            socket,
            status_file,
        }
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Presses keys by tmux's names (`Enter`, `Tab`, `Down`, `C-c`).
    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types `text` as it is.
    pub(crate) fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// The screen as text (trailing spaces a program wrote are kept).
    pub(crate) fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-N", "-p", "-t", "t"])
    }

    /// Waits until the screen satisfies `ok`, or fails showing it.
    #[track_caller]
    pub(crate) fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if std::time::Instant::now() > deadline {
                panic!("waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// The exit status of the program, once it has exited.
    pub(crate) fn wait_exit(&self) -> i32 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(text) = fs::read_to_string(&self.status_file) {
                if let Ok(code) = text.trim().parse() {
                    return code;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the program did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Runs a clipboard reader (xclip -o, wl-paste), tried again when it hangs: neither has a
/// timeout, and one that asks just as the owner exits (a clear) waits forever.
pub(crate) fn read_clipboard(c: &mut std::process::Command) -> Option<std::process::Output> {
    use std::process::Stdio;
    for _ in 0..5 {
        let mut child = c
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the clipboard reader must be installed");
        if eventually(std::time::Duration::from_secs(5), || {
            child.try_wait().unwrap().is_some()
        }) {
            return child.wait_with_output().ok();
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    None
}

/// Whether the tests run as root (as CI does).
pub(crate) fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// The uid of `nobody`, which tests run tokenctl as (through setpriv) when they run as root.
pub(crate) const NOBODY: u32 = 65534;

/// `c`, run as a user other than root: as `nobody` through `setpriv` when the tests run as
/// root, else as it is. For what the kernel shows only of unprivileged processes, such as
/// the owner of `/proc/<pid>/status` of a non-dumpable one.
pub(crate) fn unprivileged(c: std::process::Command) -> std::process::Command {
    if !is_root() {
        return c;
    }
    let mut s = std::process::Command::new("setpriv");
    s.args([
        format!("--reuid={NOBODY}"),
        format!("--regid={NOBODY}"),
        "--clear-groups".into(),
        "--".into(),
    ])
    .arg(c.get_program())
    .args(c.get_args())
    .env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            s.env(k, v);
        }
    }
    if let Some(d) = c.get_current_dir() {
        s.current_dir(d);
    }
    s
}

/// Makes `dir` and everything in it the unprivileged user's (see [`unprivileged`]).
pub(crate) fn give_to_unprivileged(dir: &Path) {
    if !is_root() {
        return;
    }
    std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY)).unwrap();
    if dir.is_dir() {
        for e in fs::read_dir(dir).unwrap().flatten() {
            give_to_unprivileged(&e.path());
        }
    }
}

/// Whether the kernel shows process `pid` as non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`):
/// its `/proc/<pid>` files then belong to root, whatever user it runs as (proc(5)).
/// `/proc/<pid>/status` has no field that says so; the process must not run as root.
pub(crate) fn is_non_dumpable(pid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    let status = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&status).expect("the process is running");
    let uid: u32 = text
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .expect("status has Uid");
    assert_ne!(
        uid, 0,
        "run the process unprivileged to see whether it is dumpable"
    );
    fs::metadata(&status).unwrap().uid() == 0
}

/// Pids of the clipboard helpers serving for exactly `millis` (tests pick odd durations, so
/// that each finds its own among those of tests running at the same time).
pub(crate) fn clipboard_helpers(millis: u128) -> Vec<u32> {
    let want = ["__clipboard-serve".to_string(), millis.to_string()];
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            args.len() >= 3 && args[1..3] == want
        })
        .collect()
}

/// Polls `f` every 50 ms until it holds or `limit` has passed; whether it held.
pub(crate) fn eventually(limit: std::time::Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    f()
}

/// A headless Wayland compositor (sway with wlroots' headless backend), which offers the
/// wlr-data-control protocol that arboard copies through; killed on drop, which also ends
/// any clipboard helper or wl-copy serving it. sway refuses to run as root, so as root it
/// runs as `nobody` in a runtime folder of its own.
pub(crate) struct Sway {
    child: std::process::Child,
    /// XDG_RUNTIME_DIR of the compositor and its clients.
    pub runtime: tempfile::TempDir,
    /// WAYLAND_DISPLAY, relative to `runtime`.
    pub display: String,
}

impl Sway {
    /// Starts sway and waits until its socket is there.
    pub(crate) fn start() -> Sway {
        use std::process::{Command, Stdio};
        let runtime = tempfile::tempdir().unwrap();
        give_to_unprivileged(runtime.path());
        let config = runtime.path().join("config");
        fs::write(&config, "").unwrap();
        let mut c = Command::new("sway");
        c.arg("-c")
            .arg(&config)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", runtime.path())
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman");
        let child = unprivileged(c)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sway must be installed (scripts/test installs it: apt-get install sway wl-clipboard)");
        let socket = runtime.path().join("wayland-1");
        let mut sway = Sway {
            child,
            runtime,
            display: "wayland-1".into(),
        };
        let up = eventually(std::time::Duration::from_secs(30), || {
            socket.exists() && sway.paste_raw().is_some()
        });
        assert!(up, "sway did not start");
        sway
    }

    fn client(&self, program: &str) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("WAYLAND_DISPLAY", &self.display);
        c
    }

    /// wl-paste's answer: Some(text), or Some("") when nothing is selected; None when the
    /// compositor does not answer.
    fn paste_raw(&mut self) -> Option<String> {
        if self.child.try_wait().ok().flatten().is_some() {
            panic!("sway exited");
        }
        let out = read_clipboard(self.client("wl-paste").arg("--no-newline"))?;
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        } else if err.contains("No selection") || err.contains("Nothing is copied") {
            Some(String::new())
        } else {
            None
        }
    }

    /// What the clipboard holds ("" when nothing), as wl-paste reads it.
    pub(crate) fn clipboard(&mut self) -> String {
        self.paste_raw().expect("wl-paste reaches sway")
    }

    /// Another program (wl-copy) takes the clipboard with `text`.
    pub(crate) fn copy(&self, text: &str) {
        // wl-copy serves from a child in the background: it must not hold our output.
        let status = self
            .client("wl-copy")
            .arg(text)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// A tokenctl command of `env` pointed at this compositor (no X display).
    pub(crate) fn tokenctl(&self, env: &TestEnv) -> std::process::Command {
        let mut c = env.std_cmd();
        c.env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("WAYLAND_DISPLAY", &self.display);
        c
    }
}

impl Drop for Sway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs tokenctl at another instant, with binary stdin.
pub(crate) fn run_at(env: &TestEnv, now: &str, args: &[&str], stdin: impl Into<Vec<u8>>) -> Output {
    let out = env
        .cmd()
        .env("TOKENCTL_NOW", now)
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A token of tokenctl's form with matching check digits that no file holds.
pub(crate) fn stranger_token() -> String {
    let body = format!("tk_{}", "5e".repeat(32));
    let check = hex::encode(&sha2::Sha256::digest(body.as_bytes())[..4]);
    format!("{body}{check}")
}
