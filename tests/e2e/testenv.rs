//! A temp folder with a tenant root, a fixed clock, and helpers to run tokenctl in it.

#![allow(dead_code)]

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

// The tests fix the clock with TOKENCTL_NOW, which a release build never reads.
#[cfg(not(debug_assertions))]
compile_error!(
    "the end-to-end tests fix the clock with TOKENCTL_NOW, which only test builds read \
     (SECURITY.md, \"The clock\"): run them without --release"
);

/// The instant tests run at unless they say otherwise.
pub const NOW: &str = "2026-11-22T10:00:00Z";

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub tenant: String,
}

/// What one run printed and returned.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn stdout_empty(&self) -> &Self {
        assert_eq!(self.stdout, "", "stdout should be empty");
        self
    }

    /// The secret printed alone on stdout.
    pub fn secret(&self) -> String {
        let s = self.stdout.trim_end_matches('\n');
        assert!(
            !s.contains('\n'),
            "stdout should hold only the secret: {:?}",
            self.stdout
        );
        s.to_string()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
            tenant: "acme".into(),
        }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("tenants")
    }

    /// The tenant's security.yml.
    pub fn file(&self) -> PathBuf {
        self.root().join(&self.tenant).join("security.yml")
    }

    /// Writes the tenant's security.yml (mode 0600, folders 0700).
    pub fn write(&self, text: impl AsRef<[u8]>) {
        use std::os::unix::fs::PermissionsExt;
        let f = self.file();
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(&f, text).unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// Copies a fixture from fixtures/ as the tenant's security.yml.
    pub fn fixture(&self, name: &str) -> Vec<u8> {
        let bytes = fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name),
        )
        .unwrap();
        self.write(&bytes);
        bytes
    }

    pub fn read(&self) -> String {
        fs::read_to_string(self.file()).unwrap()
    }

    pub fn bytes(&self) -> Vec<u8> {
        fs::read(self.file()).unwrap_or_default()
    }

    /// A std command with the tenant root and clock set, run in the temp folder.
    pub fn std_cmd(&self) -> std::process::Command {
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
    pub fn cmd(&self) -> Command {
        let mut c = Command::from_std(self.std_cmd());
        c.write_stdin("");
        c
    }

    /// Runs tokenctl with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "")
    }

    /// Runs tokenctl with `args` and `stdin`.
    pub fn run_with(&self, args: &[&str], stdin: &str) -> Output {
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

    /// Creates a key and returns its secret.
    pub fn create(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", name];
        args.extend_from_slice(extra);
        self.run(&args).success().secret()
    }
}

/// A private X server (Xvfb) for clipboard tests; killed on drop, which also ends any
/// clipboard helper still serving it.
pub struct Xvfb {
    child: std::process::Child,
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb on a free display and waits until it accepts clients.
    pub fn start() -> Xvfb {
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
    pub fn clipboard(&self) -> String {
        let out = std::process::Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.display)
            .output()
            .expect("xclip must be installed");
        String::from_utf8_lossy(&out.stdout).into_owned()
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
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `command` (a shell command line) in a `width` x `height` terminal, in `dir`. The
    /// screen stays readable after the program exits.
    pub fn start(dir: &Path, command: &str, width: u16, height: u16) -> Tmux {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let socket = format!(
            "tokenctl-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let conf = dir.join(format!("{socket}.conf"));
        fs::write(&conf, "set -g remain-on-exit on\nset -g status off\n").unwrap();
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
        Tmux { socket }
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Presses keys by tmux's names (`Enter`, `Tab`, `Down`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types `text` as it is.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// The screen as text (trailing spaces a program wrote are kept).
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-N", "-p", "-t", "t"])
    }

    /// Waits until the screen satisfies `ok`, or fails showing it.
    #[track_caller]
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
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
    pub fn wait_exit(&self) -> i32 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let out = self.tmux(&[
                "display-message",
                "-p",
                "-t",
                "t",
                "#{pane_dead} #{pane_dead_status}",
            ]);
            let mut parts = out.split_whitespace();
            if parts.next() == Some("1") {
                return parts.next().and_then(|s| s.parse().ok()).unwrap_or(-1);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the program did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}
