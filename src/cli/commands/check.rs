//! `check [FILE]`: validate a security.yml against docs/FORMAT.md without changing it.
//! Usable as Ansible's `validate: tokenctl check %s`. Problems: exit 7, one line each.
//! `--all-tenants` checks every tenant's file under --root the same way.

use crate::cli::args::CheckArgs;
use crate::cli::context::Context;
use crate::cli::output::write_data;
use crate::document::{Document, Problem};
use crate::error::stdout_error;
use crate::error::{Error, Result};
use crate::text::plural;
use std::io::Write;

#[derive(serde::Serialize)]
struct Report {
    /// With --all-tenants only.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    file: String,
    ok: bool,
    keys: usize,
    problems: Vec<ProblemView>,
    /// What is worth knowing but not wrong (an expiring key; what is outside portable
    /// security.yml but read: deprecated constructs, foreign data some library cannot load, a
    /// null apiKeys, times before 1583): exit 0 unless --strict.
    warnings: Vec<ProblemView>,
}

#[derive(serde::Serialize)]
struct ProblemView {
    line: Option<usize>,
    column: Option<usize>,
    message: String,
}

pub(crate) fn run(ctx: &Context, args: CheckArgs) -> Result<()> {
    let now = ctx.clock.now();
    let warn = args
        .warn_expiring
        .as_deref()
        .map(|w| crate::time::parse_duration("--warn-expiring", w))
        .transpose()?
        .map(|span| crate::time::after(now, span))
        .transpose()?;
    let strict = args.strict;
    // For a file named by PATH (a copy Ansible validates, anywhere) only --policy.
    let operator = ctx.operator_policy(args.path.is_some())?;
    if args.all_tenants {
        return all_tenants(ctx, now, (warn, strict, args.k8s), &operator);
    }
    let path = match &args.path {
        Some(p) => p.clone(),
        None => ctx.path()?,
    };
    let missing = || match &args.path {
        None => ctx.missing_file(&path),
        Some(_) => Error::MissingFile {
            path: path.clone(),
            message: "no such file (the PATH argument of check)".into(),
        },
    };
    let store = match &args.path {
        Some(p) => crate::store::Store::new(p.clone(), ctx.lock_timeout)
            .with_warnings(crate::text::print_warning),
        None => {
            // A tenant's file that leads out of its folder is refused, not checked.
            let store = ctx.store()?;
            store.place()?;
            store
        }
    };
    if args.fix {
        fix_portable(ctx, &path, store.clone(), &missing)?;
    }
    let k8s = args.k8s || behind_data_link(&path);
    let report = check_file(
        &path,
        &store,
        now,
        (warn, strict, k8s),
        &operator,
        &missing,
        true,
    )?;
    let mut out = crate::cli::output::data_out();
    if !ctx.is_table() {
        write_data(&mut out, ctx.format, &report)?;
    } else {
        print_problems(&mut out, &report)?;
    }
    let warnings = plural(report.warnings.len() as u64, "warning");
    if report.ok {
        let also = if report.warnings.is_empty() {
            String::new()
        } else {
            format!(", {warnings}")
        };
        ctx.say(format!(
            "{}: ok ({}){also}",
            report.file,
            plural(report.keys as u64, "key")
        ));
        Ok(())
    } else if report.problems.is_empty() {
        Err(Error::CheckFailed(format!(
            "{}: {warnings} (--strict)",
            report.file
        )))
    } else {
        Err(Error::CheckFailed(format!(
            "{}: {}",
            report.file,
            plural(report.problems.len() as u64, "problem")
        )))
    }
}

/// `check --fix`: the lossless rewrite into portable security.yml, as a proven write.
fn fix_portable(
    ctx: &Context,
    path: &std::path::Path,
    store: crate::store::Store,
    missing: &dyn Fn() -> Error,
) -> Result<()> {
    let store = store.for_portable_fix();
    let written = store.write(
        None,
        |doc| {
            if doc.missing {
                return Err(missing());
            }
            Ok((crate::document::Edit::portable(), ()))
        },
        |_, _| Ok(false),
    )?;
    if written.changed {
        ctx.say(format!(
            "{}: rewritten into portable security.yml (no value changed)",
            path.display()
        ));
    }
    Ok(())
}

/// Every tenant's file: one report each, in name order. A file that cannot be read at all is
/// reported and the others are checked all the same.
fn all_tenants(
    ctx: &Context,
    now: jiff::Timestamp,
    (warn, strict, k8s): (Option<jiff::Timestamp>, bool, bool),
    operator: &[crate::keys::policy::Source],
) -> Result<()> {
    let root = ctx
        .location
        .root
        .clone()
        .unwrap_or_else(|| "tenants".into());
    let found = crate::tenants::discover_some(&root)?;
    for (dir, why) in &found.skipped {
        // Its keys are not read: a partial answer, exit 1 at the end.
        ctx.say(format!("error: not read {}: {why}", dir.display()));
    }
    let checked = crate::tenants::load_each(&found.tenants, |t| {
        let missing = || ctx.missing_file(&t.path);
        check_file(
            &t.path,
            &t.store(ctx.lock_timeout)
                .with_warnings(crate::text::print_warning),
            now,
            (warn, strict, k8s || behind_data_link(&t.path)),
            operator,
            &missing,
            false,
        )
    });
    let mut reports = Vec::new();
    let mut unreadable = found.skipped.len();
    for (tenant, report) in found.tenants.iter().zip(checked) {
        match report {
            Ok(mut r) => {
                r.tenant = Some(tenant.name.clone());
                reports.push(r);
            }
            Err(e) => {
                unreadable += 1;
                ctx.say(format!("error: tenant '{}': {e}", tenant.name));
            }
        }
    }
    let mut out = crate::cli::output::data_out();
    if !ctx.is_table() {
        write_data(&mut out, ctx.format, &reports)?;
    } else {
        for r in &reports {
            print_problems(&mut out, r)?;
        }
    }
    let keys: usize = reports.iter().map(|r| r.keys).sum();
    let mut problems: usize = reports.iter().map(|r| r.problems.len()).sum();
    let warnings: usize = reports.iter().map(|r| r.warnings.len()).sum();
    if strict {
        problems += warnings;
    }
    let failing = reports.iter().filter(|r| !r.ok).count();
    let head = format!(
        "{}: {} checked ({})",
        root.display(),
        plural(reports.len() as u64, "tenant"),
        plural(keys as u64, "key")
    );
    if unreadable > 0 {
        ctx.say(if problems > 0 {
            format!("{head}: {problems} problems in {failing} of them")
        } else {
            format!("{head}: ok")
        });
        return Err(Error::Partial(format!(
            "{unreadable} tenant{} could not be read (see above)",
            if unreadable == 1 { "" } else { "s" }
        )));
    }
    if problems > 0 {
        return Err(Error::CheckFailed(format!(
            "{head}: {problems} problem{} in {failing} tenant{}",
            if problems == 1 { "" } else { "s" },
            if failing == 1 { "" } else { "s" }
        )));
    }
    if warnings > 0 {
        ctx.say(format!(
            "{head}: ok, {}",
            plural(warnings as u64, "warning")
        ));
    } else {
        ctx.say(format!("{head}: ok"));
    }
    Ok(())
}

/// `file:line:col: problem` and `file:line:col: warning: ...`, one a line, by position.
fn print_problems(out: &mut dyn Write, report: &Report) -> Result<()> {
    let mut all: Vec<(&ProblemView, &str)> = report
        .problems
        .iter()
        .map(|p| (p, ""))
        .chain(report.warnings.iter().map(|w| (w, "warning: ")))
        .collect();
    all.sort_by_key(|(p, _)| (p.line.is_none(), p.line, p.column));
    for (p, kind) in all {
        let at = match (p.line, p.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", report.file),
            _ => report.file.clone(),
        };
        let line = crate::text::value(&format!("{at}: {kind}{}", p.message));
        writeln!(out, "{line}").map_err(stdout_error)?;
    }
    Ok(())
}

/// Checks one file; an error only when it cannot be read at all (`missing()` when it does
/// not exist). `last`: the process ends after this file, so its document is not freed piece
/// by piece (see [`crate::cli::context::leak_at_exit`]).
fn check_file(
    path: &std::path::Path,
    store: &crate::store::Store,
    now: jiff::Timestamp,
    (warn, strict, k8s): (Option<jiff::Timestamp>, bool, bool),
    operator: &[crate::keys::policy::Source],
    missing: &dyn Fn() -> Error,
    last: bool,
) -> Result<Report> {
    let mut problems: Vec<ProblemView> = Vec::new();
    let mut warnings: Vec<ProblemView> = Vec::new();
    let mut keys = 0;
    let loaded = store.read_bytes().and_then(|bytes| {
        let bytes = bytes.ok_or_else(missing)?;
        crate::store::into_text(path, bytes).and_then(|text| Document::load_all(path, text))
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
            warnings.extend(
                doc.deprecated()
                    .iter()
                    .chain(doc.portability_warnings())
                    .cloned()
                    .map(view),
            );
            problems.extend(found.into_iter().map(view));
            problems.extend(semantic(&doc).into_iter().map(view));
            warnings.extend(expiring(&doc, now, warn).into_iter().map(view));
            // Keys that break the policy (made before it, or by hand): problems under
            // enforce, warnings under warn.
            let (broken, enforced) = policy_violations(&doc, path, operator, now);
            if enforced {
                problems.extend(broken.into_iter().map(view));
            } else {
                warnings.extend(broken.into_iter().map(view));
            }
            if last {
                crate::cli::context::leak_at_exit(doc);
            }
        }
    }
    // In the folder's handle, as it was read: not through a link made since.
    if let Some(meta) = store
        .place()
        .ok()
        .flatten()
        .and_then(|p| p.stat().ok().flatten())
    {
        let is_file =
            rustix::fs::FileType::from_raw_mode(meta.st_mode) == rustix::fs::FileType::RegularFile;
        if is_file && meta.st_nlink > 1 {
            problems.push(ProblemView {
                line: None,
                column: None,
                message: format!(
                    "the file has {} hard links: a write replaces only the name it is given, and the other names keep the old keys (a revoked key stays valid through them); make the other names symbolic links",
                    meta.st_nlink
                ),
            });
        }
        let mode = meta.st_mode & 0o777;
        // A Kubernetes volume is mounted read-only, and a group (the pod's fsGroup) may read
        // it: defaultMode 0440. Nobody else may, there as anywhere.
        let allowed = if k8s { 0o740 } else { 0o700 };
        // Of a FIFO or a device the mode says nothing about keys: it was refused above.
        if is_file && mode & !allowed != 0 {
            problems.push(ProblemView {
                line: None,
                column: None,
                message: if k8s {
                    format!("the file is writable by its group or readable or writable by others (mode {mode:04o}); mount it with `defaultMode: 0440` (docs/FLEET.md)")
                } else {
                    format!("the file is readable or writable by others (mode {mode:04o}); run `chmod 600 {}`", path.display())
                },
            });
        }
        if k8s {
            warnings.extend(k8s_size(meta.st_size as u64, keys));
        }
    }
    // One order for every problem: by position, those without one (the file's mode) last.
    problems.sort_by_key(|p| (p.line.is_none(), p.line, p.column));
    warnings.sort_by_key(|p| (p.line, p.column));
    // A problem may quote the file (a scope, a description): a secret there is not repeated.
    for p in problems.iter_mut().chain(&mut warnings) {
        p.message = crate::text::redact(&p.message).into_owned();
    }
    Ok(Report {
        tenant: None,
        file: path.display().to_string(),
        ok: problems.is_empty() && (warnings.is_empty() || !strict),
        keys,
        problems,
        warnings,
    })
}

/// Is `path` a link through `..data`, as the kubelet mounts a Secret's or ConfigMap's keys?
fn behind_data_link(path: &std::path::Path) -> bool {
    std::fs::read_link(path).is_ok_and(|target| {
        target
            .components()
            .any(|c| c.as_os_str() == std::ffi::OsStr::new("..data"))
    })
}

/// Kubernetes keeps at most 1 MiB in one Secret or ConfigMap, a Secret's data in base64 (4
/// bytes for every 3): a file of `size` bytes with `keys` keys, warned of from 80% of the
/// Secret's limit on.
fn k8s_size(size: u64, keys: usize) -> Option<ProblemView> {
    const LIMIT: u64 = 1024 * 1024;
    let in_secret = size.div_ceil(3) * 4;
    if in_secret * 5 < LIMIT * 4 {
        return None;
    }
    let per_key = if keys > 0 { size / keys as u64 } else { 0 };
    let more = if per_key > 0 && in_secret < LIMIT {
        format!(
            " (room for about {} more keys of this size)",
            (LIMIT - in_secret) * 3 / 4 / per_key
        )
    } else {
        String::new()
    };
    Some(ProblemView {
        line: None,
        column: None,
        message: format!(
            "the file is {size} bytes: {}% of what a Kubernetes Secret holds (1 MiB of base64, about {} KB of file){more}, {}% of a ConfigMap's 1 MiB; split the tenant, or keep the file out of Kubernetes objects",
            in_secret * 100 / LIMIT,
            LIMIT * 3 / 4 / 1000,
            size * 100 / LIMIT
        ),
    })
}

fn view(p: Problem) -> ProblemView {
    ProblemView {
        line: Some(p.line),
        column: Some(p.col),
        message: p.message,
    }
}

/// The keys of `doc` that break the policy in force (its own section and `operator`'s), at
/// each key's position; and whether the policy enforces (else it warns).
pub(crate) fn policy_violations(
    doc: &Document,
    path: &std::path::Path,
    operator: &[crate::keys::policy::Source],
    now: jiff::Timestamp,
) -> (Vec<Problem>, bool) {
    let policy =
        crate::keys::policy::Effective::of(&doc.model, &path.display().to_string(), operator, now);
    let enforced = policy.mode() == crate::model::Enforcement::Enforce;
    if policy.is_empty() {
        return (Vec::new(), enforced);
    }
    let mut out = Vec::new();
    for k in &doc.model.keys {
        let broken = policy.violations(k, now);
        if broken.is_empty() {
            continue;
        }
        let (line, col) = doc.key_position(&k.name).unwrap_or((0, 0));
        for v in broken {
            out.push(Problem {
                line,
                col,
                message: format!("policy: {}", v.message()),
            });
        }
    }
    (out, enforced)
}

/// Problems that need the whole file: duplicate hashes, unknown scopes.
fn semantic(doc: &Document) -> Vec<Problem> {
    let mut out = Vec::new();
    let at = |name: &str| doc.key_position(name).unwrap_or((0, 0));
    // The map of every hash only when two may be the same (a set of 8-byte prefixes says
    // so first: at 100,000 keys it is 1 MB, the map 6).
    let may_share = crate::verify::may_share(&doc.model);
    let mut seen: rustc_hash::FxHashMap<crate::token::TokenHash, &str> = Default::default();
    if may_share {
        seen.reserve(doc.model.keys.len());
    }
    for k in &doc.model.keys {
        let hashes = std::iter::once(k.hash).chain(k.previous_hashes.iter().map(|p| p.hash));
        for h in hashes.filter(|_| may_share) {
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
    }
    out
}

/// `--warn-expiring`: keys expired, or expiring before `warn`. Warnings, not problems.
fn expiring(doc: &Document, now: jiff::Timestamp, warn: Option<jiff::Timestamp>) -> Vec<Problem> {
    let mut out = Vec::new();
    let at = |name: &str| doc.key_position(name).unwrap_or((0, 0));
    for k in &doc.model.keys {
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
