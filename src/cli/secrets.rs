//! New secrets at the command line: reading one from stdin, printing them on stdout (the
//! delivery, before the file is replaced), the clipboard, and what is said on stderr after.

use crate::cli::context::Context;
use crate::error::{Error, Result};
use std::io::IsTerminal;
use std::time::Duration;
use zeroize::Zeroizing;

/// Reads at most `limit` bytes of stdin for a secret: unbuffered (`io::stdin()`'s buffer
/// would keep a copy), into memory that never grows and is zeroized on drop. `None` when
/// stdin holds more than `limit` bytes.
pub(crate) fn read_stdin_secret(limit: usize) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
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

/// `--copy` / `--copy-for`: for how long to put the secret on the clipboard, if at all.
/// Parsed before anything is written, so that a bad duration changes nothing.
pub(crate) fn copy_for(out: &crate::cli::args::SecretOutput) -> Result<Option<Duration>> {
    let Some(text) = &out.copy_for else {
        return Ok(out
            .copy
            .then_some(crate::cli::clipboard::DEFAULT_CLEAR_AFTER));
    };
    // A fixed length of time, as for --lock-timeout: `2m` is two minutes here.
    let d = crate::time::parse_fixed_duration("--copy-for", text)?;
    if d.is_zero() {
        return Err(Error::Usage(format!(
            "--copy-for {text:?} must be longer than 0s: how long the secret stays on the clipboard, e.g. 45s or 2m"
        )));
    }
    Ok(Some(d))
}

/// Copies a new secret to the clipboard, saying on stderr for how long, or why not.
pub(crate) fn copy_secret(
    ctx: &Context,
    secret: &crate::token::Secret,
    clear_after: Duration,
    quiet: bool,
) {
    match crate::cli::clipboard::copy(secret.expose(), clear_after) {
        Ok(cleared) if !quiet => ctx.say(match cleared {
            Some(d) => format!(
                "Copied the secret to the clipboard for {}; then it is cleared, unless something else was copied since.",
                crate::cli::clipboard::describe(d)
            ),
            None => "Copied the secret to the clipboard.".to_string(),
        }),
        Ok(_) => {}
        Err(e) if ctx.stdout_closed => ctx.say(format!(
            "warning: could not copy to the clipboard ({e}), and stdout was closed: nobody \
             holds the new secret; `tokenctl rotate NAME` gives the key another"
        )),
        Err(e) => ctx.say(format!(
            "warning: could not copy to the clipboard ({e}); the secret is printed above"
        )),
    }
}

/// Before new secrets go out on stdout: refuses when stdout was closed when tokenctl started
/// (`>&-`; the runtime made it /dev/null, so the secrets would go nowhere and, after a
/// rotation, nobody would hold a working one), unless `copy` delivers the secret; when stdout
/// is /dev/null by the user's choice, goes ahead, warning even with `--quiet`. `how` says what
/// the command offers instead (", or add --copy").
pub(crate) fn check_secret_sink(ctx: &Context, count: usize, copy: bool, how: &str) -> Result<()> {
    if count == 0 {
        return Ok(());
    }
    if copy {
        // The clipboard is the only delivery: with no display to copy to, refuse now.
        if ctx.stdout_closed && !crate::cli::clipboard::available() {
            return Err(Error::Other(
                "stdout was closed when tokenctl started (`>&-`) and --copy has no display \
                 to copy to (DISPLAY and WAYLAND_DISPLAY are unset), so the new secret would \
                 go nowhere"
                    .into(),
            ));
        }
        return Ok(());
    }
    let them = if count == 1 {
        "the new secret"
    } else {
        "the new secrets"
    };
    if ctx.stdout_closed {
        return Err(Error::Other(format!(
            "stdout was closed when tokenctl started (`>&-`), so {them} would go nowhere; \
             send stdout to a file or a pipe{how}"
        )));
    }
    if stdout_is_dev_null() {
        ctx.say(format!(
            "warning: stdout is /dev/null, so nobody holds {them}; `tokenctl rotate NAME` \
             gives the key another"
        ));
    }
    Ok(())
}

/// Whether stdout is /dev/null (`> /dev/null`, or a caller's DEVNULL).
fn stdout_is_dev_null() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return false;
    };
    match (
        std::fs::File::from(fd).metadata(),
        std::fs::metadata("/dev/null"),
    ) {
        (Ok(out), Ok(null)) => out.file_type().is_char_device() && out.rdev() == null.rdev(),
        _ => false,
    }
}

/// How new secrets are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretShape {
    /// One key: the secret alone on a line (table, `--quiet`), or one JSON/YAML object.
    One,
    /// Several names: a `NAME SECRET` line each (table, `--quiet`), or a JSON/YAML array.
    Lines,
}

/// Prints one new secret (see [`print_secrets`]).
pub(crate) fn print_secret(
    ctx: &Context,
    key: &crate::model::ApiKey,
    secret: &crate::token::Secret,
    quiet: bool,
    verb: &str,
    warnings: &[crate::model::PolicyViolation],
) -> Result<()> {
    print_secrets(
        ctx,
        &[(key, secret)],
        SecretShape::One,
        quiet,
        verb,
        warnings,
    )
}

/// Prints new secrets on stdout, in `shape`. This is the delivery of the secrets: it runs
/// before the file is replaced, and its error (a full disk, a closed pipe) stops the write.
/// Notices and the clipboard come after, from [`announce_secrets`]. `warnings`: what the
/// policy warned of (under `enforcement: warn`), given with each key's JSON or YAML.
pub(crate) fn print_secrets(
    ctx: &Context,
    created: &[(&crate::model::ApiKey, &crate::token::Secret)],
    shape: SecretShape,
    quiet: bool,
    verb: &str,
    warnings: &[crate::model::PolicyViolation],
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
        /// What the policy warned of for this key (under `enforcement: warn`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    }
    let views: Vec<SecretView> = created
        .iter()
        .map(|(key, secret)| SecretView {
            name: &key.name,
            token: secret.expose(),
            fingerprint: key.fingerprint(),
            expires_at: key.expires_at.map(crate::time::format_timestamp),
            old_secret_expires_at: (verb == "Rotated")
                .then(|| key.previous_hashes.iter().map(|p| p.expires_at).max())
                .flatten()
                .map(crate::time::format_timestamp),
            warnings: warnings
                .iter()
                .filter(|w| w.key == key.name)
                .map(crate::model::PolicyViolation::message)
                .collect(),
        })
        .collect();
    let mut out = std::io::stdout().lock();
    // The secrets are rendered into memory zeroized on drop, sized so that it never grows (a
    // grown Vec leaves the old copy behind), and written with one call: whole lines go past
    // stdout's line buffer, which is never cleared, straight to the file descriptor. (JSON
    // escapes a character in at most 6 bytes.)
    let capacity: usize = views
        .iter()
        .map(|v| {
            512 + 6
                * (v.token.len()
                    + v.name.len()
                    + v.warnings.iter().map(|w| w.len() + 8).sum::<usize>())
        })
        .sum::<usize>()
        + 64;
    let mut text = Zeroizing::new(Vec::with_capacity(capacity));
    let table = ctx.is_table() || quiet;
    match (shape, table) {
        (SecretShape::One, true) => {
            for v in &views {
                text.extend_from_slice(v.token.as_bytes());
                text.push(b'\n');
            }
        }
        (SecretShape::Lines, true) => {
            for v in &views {
                text.extend_from_slice(v.name.as_bytes());
                text.push(b' ');
                text.extend_from_slice(v.token.as_bytes());
                text.push(b'\n');
            }
        }
        (shape, false) => {
            let yaml = ctx.format == crate::cli::output::Format::Yaml;
            let result = match (shape, yaml) {
                (SecretShape::One, true) => {
                    yaml_serde::to_writer(&mut *text, &views[0]).map_err(|e| e.to_string())
                }
                (_, true) => yaml_serde::to_writer(&mut *text, &views).map_err(|e| e.to_string()),
                (SecretShape::One, false) => {
                    serde_json::to_writer_pretty(&mut *text, &views[0]).map_err(|e| e.to_string())
                }
                (_, false) => {
                    serde_json::to_writer_pretty(&mut *text, &views).map_err(|e| e.to_string())
                }
            };
            result.map_err(Error::Other)?;
            if !yaml {
                text.push(b'\n');
            }
        }
    }
    debug_assert!(text.len() <= capacity, "the secret buffer grew");
    out.write_all(&text).map_err(crate::error::stdout_error)?;
    out.flush().map_err(crate::error::stdout_error)?;
    Ok(())
}

/// After the file holds the new secret's hash: copies it to the clipboard when asked, and
/// says on stderr what happened (see [`announce_secrets`]).
pub(crate) fn announce_secret(
    ctx: &Context,
    key: &crate::model::ApiKey,
    secret: &crate::token::Secret,
    quiet: bool,
    copy: Option<Duration>,
    verb: &str,
) {
    announce_secrets(ctx, &[(key, secret)], quiet, copy, verb)
}

/// After the file holds the new secrets' hashes: copies the secret to the clipboard when
/// asked (one secret only: `create` refuses --copy with several names), and says on stderr
/// what happened.
pub(crate) fn announce_secrets(
    ctx: &Context,
    created: &[(&crate::model::ApiKey, &crate::token::Secret)],
    quiet: bool,
    copy: Option<Duration>,
    verb: &str,
) {
    if let (Some(clear_after), [(_, secret)]) = (copy, created) {
        copy_secret(ctx, secret, clear_after, quiet);
    }
    if quiet {
        return;
    }
    match created {
        [] => return,
        [(key, _)] => ctx.say(format!(
            "{verb} key '{}' (fingerprint {}).",
            key.name,
            key.fingerprint()
        )),
        many => ctx.say(format!(
            "{verb} {} keys: {}.",
            many.len(),
            many.iter()
                .map(|(k, _)| format!("'{}' ({})", k.name, k.fingerprint()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    if std::io::stderr().is_terminal() {
        ctx.say(if created.len() == 1 {
            "Store the secret now: it is not saved anywhere and will not be shown again."
        } else {
            "Store the secrets now: they are not saved anywhere and will not be shown again."
        });
    }
}
