//! `check [FILE]`: validate a security.yml against SPEC.md without changing it.
//! Usable as Ansible's `validate: tokenctl check %s`. Problems: exit 7, one line each.

use super::Context;
use crate::cli::CheckArgs;
use crate::error::{Error, Result};
use crate::output::{stdout_error, write_data};
use crate::store::{Document, Problem};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;

#[derive(serde::Serialize)]
struct Report {
    file: String,
    ok: bool,
    keys: usize,
    problems: Vec<ProblemView>,
}

#[derive(serde::Serialize)]
struct ProblemView {
    line: Option<usize>,
    column: Option<usize>,
    message: String,
}

pub fn run(ctx: &Context, args: CheckArgs) -> Result<()> {
    let now = ctx.clock.now();
    let warn = args
        .warn_expiring
        .as_deref()
        .map(|w| crate::time::parse_duration("--warn-expiring", w))
        .transpose()?
        .map(|span| crate::time::after(now, span))
        .transpose()?;
    let path = match &args.path {
        Some(p) => p.clone(),
        None => ctx.path()?,
    };
    let mut problems: Vec<ProblemView> = Vec::new();
    let mut keys = 0;
    let loaded = crate::store::read_bytes(&path).and_then(|bytes| {
        let bytes = bytes.ok_or_else(|| match &args.path {
            None => ctx.missing_file(&path),
            Some(_) => Error::MissingFile {
                path: path.clone(),
                message: "no such file (the PATH argument of check)".into(),
            },
        })?;
        crate::store::into_text(&path, bytes).and_then(|text| Document::load_all(&path, text))
    });
    match loaded {
        Err(Error::Syntax {
            line,
            column,
            message,
            ..
        }) => problems.push(ProblemView {
            line: Some(line),
            column: Some(column),
            message,
        }),
        // A file too big to read, or a folder: a problem with what was given, not a failure.
        Err(Error::Invalid { message, .. }) => problems.push(ProblemView {
            line: None,
            column: None,
            message,
        }),
        Err(e) => return Err(e),
        Ok((doc, found)) => {
            keys = doc.model.keys.len();
            problems.extend(found.into_iter().map(view));
            problems.extend(semantic(&doc, now, warn).into_iter().map(view));
        }
    }
    if let Ok(meta) = std::fs::metadata(&path) {
        use std::os::unix::fs::MetadataExt;
        if meta.is_file() && meta.nlink() > 1 {
            problems.push(ProblemView {
                line: None,
                column: None,
                message: format!(
                    "the file has {} hard links: a write replaces only the name it is given, and the other names keep the old keys (a revoked key stays valid through them); make the other names symbolic links",
                    meta.nlink()
                ),
            });
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            problems.push(ProblemView {
                line: None,
                column: None,
                message: format!("the file is readable or writable by others (mode {mode:04o}); run `chmod 600 {}`", path.display()),
            });
        }
    }
    // One order for every problem: by position, those without one (the file's mode) last.
    problems.sort_by_key(|p| (p.line.is_none(), p.line, p.column));
    // A problem may quote the file (a scope, a description): a secret there is not repeated.
    for p in &mut problems {
        p.message = crate::text::redact(&p.message).into_owned();
    }
    let report = Report {
        file: path.display().to_string(),
        ok: problems.is_empty(),
        keys,
        problems,
    };
    let mut out = std::io::stdout().lock();
    if !ctx.is_table() {
        write_data(&mut out, ctx.format, &report)?;
    } else {
        for p in &report.problems {
            let at = match (p.line, p.column) {
                (Some(l), Some(c)) => format!("{}:{l}:{c}", report.file),
                _ => report.file.clone(),
            };
            let line = crate::text::value(&format!("{at}: {}", p.message));
            writeln!(out, "{line}").map_err(stdout_error)?;
        }
    }
    if report.ok {
        ctx.say(format!("{}: ok ({} keys)", report.file, report.keys));
        Ok(())
    } else {
        let n = report.problems.len();
        Err(Error::CheckFailed(format!(
            "{}: {n} problem{}",
            report.file,
            if n == 1 { "" } else { "s" }
        )))
    }
}

fn view(p: Problem) -> ProblemView {
    ProblemView {
        line: Some(p.line),
        column: Some(p.col),
        message: p.message,
    }
}

/// Problems that need the whole file: duplicate hashes, unknown scopes, expiry warnings.
fn semantic(doc: &Document, now: jiff::Timestamp, warn: Option<jiff::Timestamp>) -> Vec<Problem> {
    let mut out = Vec::new();
    let at = |name: &str| doc.key_position(name).unwrap_or((0, 0));
    let mut seen: HashMap<crate::token::TokenHash, &str> = HashMap::new();
    for k in &doc.model.keys {
        let hashes = std::iter::once(k.hash).chain(k.previous_hashes.iter().map(|p| p.hash));
        for h in hashes {
            if let Some(other) = seen.insert(h, &k.name) {
                if other != k.name {
                    let (line, col) = at(&k.name);
                    out.push(Problem { line, col, message: format!("key '{}' has the same hash as key '{other}': each key needs its own secret", k.name) });
                }
            }
        }
        for p in &k.permissions {
            if let Some(msg) = doc.model.unknown_scope(p) {
                let (line, col) = at(&k.name);
                out.push(Problem {
                    line,
                    col,
                    message: format!("key '{}': {msg}", k.name),
                });
            }
        }
        if let (Some(d), Some(t)) = (warn, k.expires_at) {
            let (line, col) = at(&k.name);
            if t <= now {
                out.push(Problem {
                    line,
                    col,
                    message: format!(
                        "key '{}' expired at {}",
                        k.name,
                        crate::time::format_timestamp(t)
                    ),
                });
            } else if t <= d {
                out.push(Problem {
                    line,
                    col,
                    message: format!(
                        "key '{}' expires {} ({})",
                        k.name,
                        crate::time::humanize(t, now),
                        crate::time::format_timestamp(t)
                    ),
                });
            }
        }
    }
    out
}
