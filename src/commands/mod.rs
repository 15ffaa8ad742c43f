//! One file per subcommand; each is a thin function over the store and the model.

pub mod apply;
pub mod check;
pub mod create;
pub mod delete;
pub mod generate;
pub mod interactive;
pub mod list;
pub mod rotate;
pub mod schema;
pub mod show;
pub mod update;
pub mod verify;

use crate::cli::{ColorChoice, Format, Global};
use crate::error::{Error, Result};
use crate::store::{Location, Store};
use crate::time::Clock;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

/// What every command needs, decided once from the global options and the environment.
pub struct Context {
    pub location: Location,
    pub format: Format,
    /// Colour on stdout.
    pub color: bool,
    /// Colour on stderr.
    pub color_err: bool,
    pub clock: Clock,
    pub lock_timeout: Duration,
    /// May we prompt? Only with a terminal on stdin and stderr, and CI unset.
    pub interactive: bool,
}

impl Context {
    pub fn from_global(g: &Global) -> Result<Self> {
        let clock = clock()?;
        let lock_timeout = Duration::from_millis(
            crate::time::parse_duration(&g.lock_timeout)
                .map_err(|_| {
                    Error::Usage(format!(
                        "invalid --lock-timeout {:?}: use a duration like 500ms, 10s or 2m",
                        g.lock_timeout
                    ))
                })?
                .as_millis()
                .max(0) as u64,
        );
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color_for = |is_tty: bool| match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_tty && !no_color && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        };
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
        Ok(Context {
            location: Location {
                file: g.file.clone(),
                tenant: g.tenant.clone(),
                root: Some(g.root.clone()),
            },
            format: g.format,
            color: color_for(std::io::stdout().is_terminal()),
            color_err: color_for(std::io::stderr().is_terminal()),
            clock,
            lock_timeout,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !ci,
        })
    }

    pub fn path(&self) -> Result<PathBuf> {
        self.location.resolve()
    }

    pub fn store(&self) -> Result<Store> {
        Ok(Store::new(self.path()?, self.lock_timeout))
    }

    /// A short name for the file in messages: the tenant, or the path.
    pub fn file_label(&self) -> String {
        match (&self.location.file, &self.location.tenant) {
            (None, Some(t)) => t.clone(),
            _ => self
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        }
    }

    /// A message for the operator on stderr.
    pub fn say(&self, message: impl AsRef<str>) {
        eprintln!("{}", message.as_ref());
    }

    pub fn is_table(&self) -> bool {
        self.format == Format::Table
    }
}

/// The clock. In a test build (debug assertions on, as `cargo test` builds), env
/// `TOKENCTL_NOW` (RFC 3339) fixes it, which is how the tests move time past an expiry. A
/// release build never reads that variable, so no test hook can move production time
/// (SECURITY.md, "The clock").
#[cfg(debug_assertions)]
fn clock() -> Result<Clock> {
    match std::env::var("TOKENCTL_NOW") {
        Ok(t) => Ok(Clock::fixed(
            crate::time::parse_timestamp(&t)
                .map_err(|e| Error::Usage(format!("TOKENCTL_NOW: {e}")))?,
        )),
        Err(std::env::VarError::NotPresent) => Ok(Clock::system()),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::Usage("TOKENCTL_NOW is not UTF-8 text".into()))
        }
    }
}

#[cfg(not(debug_assertions))]
fn clock() -> Result<Clock> {
    Ok(Clock::system())
}

/// Lets a large loaded file go without freeing it piece by piece: the command is about to
/// return and the process to exit, which frees it all at once. (A tenth of `verify`'s time
/// on 10,000 keys was spent in destructors.) Only for the ends of read-only commands, never
/// in the store, which long-running library users call in a loop.
pub fn leak_at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// The error for a key that is not there, with the nearest name.
pub fn no_such_key(doc: &crate::store::Document, name: &str) -> Error {
    Error::NoSuchKey {
        name: name.to_string(),
        suggestion: crate::names::nearest(name, doc.model.names()),
    }
}

/// Parses `--allow-ip`, `--path-prefix`, `--permission` and `--resource` values, failing as
/// usage errors before the file is touched.
pub fn check_scopes(scopes: &[String]) -> Result<()> {
    for s in scopes {
        if let Some(p) = crate::model::scope_problem(s) {
            return Err(Error::Usage(p));
        }
    }
    Ok(())
}

/// Refuses scopes the catalog does not list.
pub fn check_catalog(doc: &crate::store::Document, scopes: &[String]) -> Result<()> {
    for s in scopes {
        if let Some(msg) = doc.model.unknown_scope(s) {
            return Err(Error::Usage(msg));
        }
    }
    Ok(())
}

pub fn check_path_prefix(p: &str) -> Result<()> {
    if !crate::model::valid_path_prefix(p) {
        return Err(Error::Usage(format!(
            "invalid --path-prefix {p:?}: it {}",
            crate::model::PATH_PREFIX_RULE
        )));
    }
    Ok(())
}

/// Reads at most `limit` bytes of stdin for a secret: unbuffered (`io::stdin()`'s buffer
/// would keep a copy), into memory that never grows and is zeroized on drop. `None` when
/// stdin holds more than `limit` bytes.
pub fn read_stdin_secret(limit: usize) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    use std::io::Read;
    use std::os::fd::AsFd;
    let mut buf = Zeroizing::new(vec![0u8; limit + 1]);
    let fd = match std::io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => fd,
        // A closed stdin reads as empty, as `io::stdin()` treats it.
        Err(e) if e.raw_os_error() == Some(libc::EBADF) => {
            buf.truncate(0);
            return Ok(Some(buf));
        }
        Err(e) => return Err(e),
    };
    let mut input = std::fs::File::from(fd);
    let mut len = 0;
    while len < buf.len() {
        match input.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if len > limit {
        return Ok(None);
    }
    // Shortening keeps the allocation; the whole of it is zeroized on drop.
    buf.truncate(len);
    Ok(Some(buf))
}

/// Prints a new secret on stdout: alone (table, `--quiet`), or as JSON/YAML. This is the
/// delivery of the secret: it runs before the file is replaced, and its error (a full disk,
/// a closed pipe) stops the write. Notices and the clipboard come after, from
/// [`announce_secret`].
pub fn print_secret(
    ctx: &Context,
    key: &crate::model::ApiKey,
    secret: &crate::token::Secret,
    quiet: bool,
    verb: &str,
) -> Result<()> {
    use std::io::Write;
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct SecretView<'a> {
        name: &'a str,
        token: &'a str,
        fingerprint: String,
        expires_at: Option<String>,
        /// rotate --grace: until when the previous secret keeps working.
        #[serde(skip_serializing_if = "Option::is_none")]
        old_secret_expires_at: Option<String>,
    }
    let mut out = std::io::stdout().lock();
    // The secret is rendered into memory zeroized on drop, sized so that it never grows (a
    // grown Vec leaves the old copy behind), and written with one call: a whole line goes
    // past stdout's line buffer, which is never cleared, straight to the file descriptor.
    let mut text = Zeroizing::new(Vec::with_capacity(1024));
    if ctx.is_table() || quiet {
        text.extend_from_slice(secret.expose().as_bytes());
        text.push(b'\n');
    } else {
        let view = SecretView {
            name: &key.name,
            token: secret.expose(),
            fingerprint: key.fingerprint(),
            expires_at: key.expires_at.map(crate::time::format_timestamp),
            old_secret_expires_at: (verb == "Rotated")
                .then(|| key.previous_hashes.iter().map(|p| p.expires_at).max())
                .flatten()
                .map(crate::time::format_timestamp),
        };
        match ctx.format {
            crate::cli::Format::Yaml => {
                serde_yaml::to_writer(&mut *text, &view).map_err(|e| Error::Other(e.to_string()))?
            }
            _ => {
                serde_json::to_writer_pretty(&mut *text, &view)
                    .map_err(|e| Error::Other(e.to_string()))?;
                text.push(b'\n');
            }
        }
    }
    out.write_all(&text).map_err(crate::output::stdout_error)?;
    out.flush().map_err(crate::output::stdout_error)?;
    Ok(())
}

/// After the file holds the new secret's hash: copies it to the clipboard when asked, and
/// says on stderr what happened.
pub fn announce_secret(
    ctx: &Context,
    key: &crate::model::ApiKey,
    secret: &crate::token::Secret,
    quiet: bool,
    copy: bool,
    verb: &str,
) {
    if copy {
        match crate::clipboard::copy(secret.expose()) {
            Ok(()) => {
                if !quiet {
                    ctx.say("Copied the secret to the clipboard.");
                }
            }
            Err(e) => ctx.say(format!(
                "warning: could not copy to the clipboard ({e}); the secret is printed above"
            )),
        }
    }
    if !quiet {
        ctx.say(format!(
            "{verb} key '{}' (fingerprint {}).",
            key.name,
            key.fingerprint()
        ));
        if std::io::stderr().is_terminal() {
            ctx.say("Store the secret now: it is not saved anywhere and will not be shown again.");
        }
    }
}
