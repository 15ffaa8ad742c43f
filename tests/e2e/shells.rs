//! Completions in real shells (issue 12): bash, zsh and fish run interactively in tmux, a
//! line is typed and Tab pressed, and the screen is read back. Both the committed static
//! scripts and the dynamic completion (`COMPLETE=<shell> tokenctl`), which also completes
//! tenant names, scopes from the file's catalog, expiry presets and key names. Nothing
//! hidden (`__clipboard-serve`, the test clock) is ever offered.

use crate::support::env::{TestEnv, Tmux};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin_dir() -> PathBuf {
    PathBuf::from(assert_cmd::cargo::cargo_bin!("tokenctl"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// One interactive shell in a private tmux server, killed on drop.
struct Shell {
    term: Tmux,
    transcript: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    /// Starts `kind` in `env`'s folder, with `setup` run as its startup file.
    fn start(env: &TestEnv, kind: Kind, setup: &str) -> Shell {
        let dir = env.dir.path();
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir().display());
        let rc = dir.join(format!("rc-{}", unique()));
        let command = match kind {
            Kind::Bash => {
                std::fs::write(&rc, format!("PS1='$ '\n{setup}\n")).unwrap();
                format!("bash --noprofile --rcfile {} -i", rc.display())
            }
            Kind::Zsh => {
                std::fs::create_dir_all(&rc).unwrap();
                std::fs::write(
                    rc.join(".zshrc"),
                    format!("PROMPT='$ '\nunsetopt BEEP\n{setup}\n"),
                )
                .unwrap();
                format!("env ZDOTDIR={} zsh -i", rc.display())
            }
            Kind::Fish => {
                std::fs::write(
                    &rc,
                    format!("function fish_prompt; echo -n '$ '; end\nfunction fish_greeting; end\n{setup}\n"),
                )
                .unwrap();
                format!("fish --no-config --init-command 'source {}'", rc.display())
            }
        };
        let term = Tmux::start(
            dir,
            &format!(
                "env -i HOME={} PATH={path} TERM=xterm TOKENCTL_ROOT={} {command}",
                dir.display(),
                env.root().display()
            ),
            160,
            40,
        );
        let shell = Shell {
            term,
            transcript: String::new(),
        };
        shell.wait_for("the prompt", |s| s.lines().any(|l| l.starts_with('$')));
        shell
    }

    fn tmux(&self, args: &[&str]) -> String {
        self.term.tmux(args)
    }

    fn screen(&self) -> String {
        self.term.screen()
    }

    /// Waits until the screen satisfies `ok`, or fails with what it shows.
    #[track_caller]
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!(
                    "waiting for {what}; the screen:\n{screen}\n{}",
                    self.transcript
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types `line`, presses Tab (twice for `tabs: 2`), and returns the screen once `ok`
    /// holds. For the last look of a shell: the list a Tab shows is not cleared.
    fn list(&mut self, line: &str, tabs: usize, ok: impl Fn(&str) -> bool) -> String {
        self.tmux(&["send-keys", "-t", "t", "-l", line]);
        self.wait_for("the typed line", |s| s.contains(line));
        for _ in 0..tabs {
            self.tmux(&["send-keys", "-t", "t", "Tab"]);
            std::thread::sleep(Duration::from_millis(300));
        }
        let screen = self.wait_for(&format!("the list after {line:?}"), ok);
        self.transcript
            .push_str(&format!("--- {line:?}:\n{screen}\n"));
        screen
    }

    /// Types `line`, presses Tab, and returns the line as completion left it. A `@` typed
    /// after the Tab shows when the shell has finished completing; it is taken off again,
    /// and the line and screen are cleared for the next one.
    fn completed(&mut self, line: &str) -> String {
        self.tmux(&["send-keys", "-t", "t", "-l", line]);
        self.wait_for("the typed line", |s| s.contains(line));
        self.tmux(&["send-keys", "-t", "t", "Tab"]);
        self.tmux(&["send-keys", "-t", "t", "-l", "@"]);
        // The line as the shell shows it last: from the last prompt on the line ending in `@`
        // (a shell may redraw the prompt and line after a completion that found nothing).
        let edited = |s: &str| -> Option<String> {
            let l = s.lines().find(|l| l.trim_end().ends_with('@'))?;
            let at = l.rfind("$ ")?;
            Some(l[at..].trim_end().trim_end_matches('@').to_string())
        };
        let screen = self.wait_for(&format!("the completion of {line:?}"), |s| {
            edited(s).is_some()
        });
        self.transcript
            .push_str(&format!("--- {line:?}:\n{screen}\n"));
        let got = edited(&screen).unwrap();
        self.tmux(&["send-keys", "-t", "t", "C-u"]);
        self.wait_for("an empty line", |s| {
            !s.lines()
                .any(|l| l.starts_with("$ ") && l.trim_end().ends_with('@'))
        });
        self.tmux(&["send-keys", "-t", "t", "clear", "Enter"]);
        self.wait_for("a cleared screen", |s| s.trim() == "$");
        got
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Two tenants; acme has a catalog and two keys.
fn tenants() -> TestEnv {
    let env = TestEnv::new();
    env.write(
        "permissions: [dns:read, dns:write, domains:read]\napiKeys:\n  ci-deploy:\n    hash: sha256:1111111111111111111111111111111111111111111111111111111111111111\n  grafana:\n    hash: sha256:2222222222222222222222222222222222222222222222222222222222222222\n",
    );
    let beta = env.root().join("beta-corp");
    std::fs::create_dir_all(&beta).unwrap();
    std::fs::write(beta.join("security.yml"), "apiKeys: {}\n").unwrap();
    // A folder without a security.yml is not a tenant.
    std::fs::create_dir_all(env.root().join("bare")).unwrap();
    env
}

fn dynamic(kind: Kind) -> &'static str {
    match kind {
        Kind::Bash => "source <(COMPLETE=bash tokenctl)",
        Kind::Zsh => "autoload -U compinit && compinit -u\nsource <(COMPLETE=zsh tokenctl)",
        Kind::Fish => "COMPLETE=fish tokenctl | source",
    }
}

/// The dynamic completion, the same cases in each shell.
fn dynamic_completion_in(kind: Kind) {
    let env = tenants();
    let mut sh = Shell::start(&env, kind, dynamic(kind));
    // Tenant names: the folders under the root holding a security.yml.
    assert_eq!(sh.completed("tokenctl -t bet"), "$ tokenctl -t beta-corp ");
    assert_eq!(
        sh.completed("tokenctl --tenant ba"),
        "$ tokenctl --tenant ba"
    );
    // Key names of the file the line points at.
    assert_eq!(
        sh.completed("tokenctl -t acme rotate gr"),
        "$ tokenctl -t acme rotate grafana "
    );
    // Scopes from the catalog (bash splits words at ':', so the prefix stops short of it).
    assert_eq!(
        sh.completed("tokenctl -t acme create x --permission dom"),
        "$ tokenctl -t acme create x --permission domains:read "
    );
    assert_eq!(
        sh.completed("tokenctl -t acme update ci-deploy --add-permission doma"),
        "$ tokenctl -t acme update ci-deploy --add-permission domains:read "
    );
    // The expiry presets.
    assert_eq!(
        sh.completed("tokenctl -t acme create x --expires ne"),
        "$ tokenctl -t acme create x --expires never "
    );
    assert_eq!(
        sh.completed("tokenctl -t acme create x --expires 9"),
        "$ tokenctl -t acme create x --expires 90d "
    );
    // Nothing hidden, even when nothing else matches.
    assert_eq!(sh.completed("tokenctl __"), "$ tokenctl __");
    assert_eq!(sh.completed("tokenctl --no"), "$ tokenctl --no");
    // Several candidates are listed (bash lists them at the second Tab).
    let tabs = if kind == Kind::Bash { 2 } else { 1 };
    sh.list("tokenctl -t acme create x --permission d", tabs, |s| {
        ["dns:read", "dns:write", "domains:read"]
            .iter()
            .all(|scope| s.contains(scope))
    });
    let mut sh = Shell::start(&env, kind, dynamic(kind));
    let screen = sh.list("tokenctl ", tabs, |s| {
        s.contains("rotate") && s.contains("verify")
    });
    assert!(!screen.contains("clipboard"), "{screen}");
}

#[test]
#[ignore = "needs tmux and bash; scripts/test runs it"]
fn dynamic_completion_in_bash() {
    dynamic_completion_in(Kind::Bash);
}

#[test]
#[ignore = "needs tmux and zsh; scripts/test runs it"]
fn dynamic_completion_in_zsh() {
    dynamic_completion_in(Kind::Zsh);
}

#[test]
#[ignore = "needs tmux and fish; scripts/test runs it"]
fn dynamic_completion_in_fish() {
    dynamic_completion_in(Kind::Fish);
}

/// The committed scripts, as a package would install them.
fn static_completion_in(kind: Kind) {
    let env = tenants();
    let completions = repo().join("completions");
    let setup = match kind {
        Kind::Bash => format!("source {}", completions.join("tokenctl.bash").display()),
        Kind::Zsh => format!(
            "fpath=({} $fpath)\nautoload -U compinit && compinit -u",
            completions.display()
        ),
        Kind::Fish => format!("source {}", completions.join("tokenctl.fish").display()),
    };
    let mut sh = Shell::start(&env, kind, &setup);
    assert_eq!(sh.completed("tokenctl rot"), "$ tokenctl rotate ");
    assert_eq!(
        sh.completed("tokenctl list --missing"),
        "$ tokenctl list --missing-ok "
    );
    assert_eq!(
        sh.completed("tokenctl --format ya"),
        "$ tokenctl --format yaml "
    );
    assert_eq!(
        sh.completed("tokenctl list -o js"),
        "$ tokenctl list -o json "
    );
    assert_eq!(
        sh.completed("tokenctl completions fi"),
        "$ tokenctl completions fish "
    );
    // Nothing hidden.
    assert_eq!(sh.completed("tokenctl __"), "$ tokenctl __");
    assert_eq!(sh.completed("tokenctl list --no"), "$ tokenctl list --no");
    let tabs = if kind == Kind::Bash { 2 } else { 1 };
    sh.list("tokenctl --format ", tabs, |s| {
        ["table", "json", "yaml"].iter().all(|v| s.contains(v))
    });
}

#[test]
#[ignore = "needs tmux and bash; scripts/test runs it"]
fn static_completion_in_bash() {
    static_completion_in(Kind::Bash);
}

#[test]
#[ignore = "needs tmux and zsh; scripts/test runs it"]
fn static_completion_in_zsh() {
    static_completion_in(Kind::Zsh);
}

#[test]
#[ignore = "needs tmux and fish; scripts/test runs it"]
fn static_completion_in_fish() {
    static_completion_in(Kind::Fish);
}

#[test]
fn committed_scripts_offer_nothing_hidden() {
    for file in std::fs::read_dir(repo().join("completions")).unwrap() {
        let path = file.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for hidden in ["clipboard-serve", "--now", "TOKENCTL_NOW", "tests only"] {
            assert!(
                !text.contains(hidden),
                "{} offers {hidden}",
                Path::new(path.file_name().unwrap()).display()
            );
        }
    }
}
