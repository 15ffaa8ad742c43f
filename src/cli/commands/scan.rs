//! `scan [PATH...]`: finds tokens of tokenctl's form in files, folders (walked as ripgrep
//! walks them) or stdin, and says whose each is: live, rotated, disabled, expired, rotated out
//! or unknown. Never prints a secret: the key, the prefix and the fingerprint identify it.
//! Exit 10 when a secret that works is found, and says how to rotate or revoke it.

use crate::cli::args::{FailOn, ScanArgs};
use crate::cli::context::Context;
use crate::cli::output::write_data;
use crate::error::stdout_error;
use crate::error::{Error, Result};
use crate::scan::{Found, Index, Owner, Status, scan_reader};
use crate::text::plural;
use crate::text::visible;
use crate::verify::Verifier;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use zeroize::Zeroizing;

/// A message on stderr from a walking thread, as [`Context::say`] prints one (escapes shown,
/// secret-looking values redacted): a path comes from the files walked.
fn say(message: &str) {
    eprintln!("{}", crate::text::message(message));
}

/// One finding, as `--format json` prints it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingView {
    path: String,
    line: u64,
    column: u64,
    /// "live", "rotated", "disabled", "expired", "rotated-out", "ambiguous" or "unknown".
    status: &'static str,
    tenant: Option<String>,
    key: Option<String>,
    fingerprint: String,
    prefix: String,
    /// rotated: until when it works; expired: when the key expired; rotated-out: when it stopped.
    expires_at: Option<String>,
}

/// Where tokens are looked up, for messages and for the commands suggested.
enum Keys {
    /// `--file`, or `--tenant` under `--root`.
    One {
        path: PathBuf,
        tenant: Option<String>,
    },
    /// `--all-tenants`: how many loaded, and how many did not.
    All { loaded: usize, broken: usize },
}

/// A finding and the key it belongs to.
struct Finding {
    /// The path as shown, with the line and column in `found`.
    label: String,
    found: Found,
    /// None: no key of the file (or of any tenant) has the token's hash.
    owner: Option<Owner>,
}

pub(crate) fn run(ctx: &Context, args: ScanArgs) -> Result<()> {
    let now = ctx.clock.now();
    // The keys first: a security file that does not load fails before anything is scanned.
    let (keys, index) = load_keys(ctx, args.all_tenants)?;
    let scanned = scan_paths(&args);
    let mut rows: Vec<Finding> = Vec::new();
    for (label, found) in scanned.found {
        let owners = index.owners(&found.hash, now);
        if owners.is_empty() {
            rows.push(Finding {
                label,
                found,
                owner: None,
            });
            continue;
        }
        for o in owners {
            rows.push(Finding {
                label: label.clone(),
                found: found.clone(),
                owner: Some(o),
            });
        }
    }
    print_findings(ctx, &rows, &keys)?;
    advise(&rows, &keys, ctx);

    let summary = summary(&rows, &scanned.stats);
    let fails = |owner: &Option<Owner>| match (args.fail_on, owner) {
        (_, Some(o)) if o.status.works() => true,
        (FailOn::Any, _) | (FailOn::Unknown, None) => true,
        _ => false,
    };
    if rows.iter().any(|r| fails(&r.owner)) {
        return Err(Error::SecretFound(summary));
    }
    ctx.say(summary);
    let broken = match keys {
        Keys::All { broken, .. } => broken,
        Keys::One { .. } => 0,
    };
    let mut failed = Vec::new();
    if scanned.stats.errors > 0 {
        failed.push(plural(scanned.stats.errors, "path") + " could not be read");
    }
    if broken > 0 {
        failed.push(plural(broken as u64, "tenant") + " did not load");
    }
    if !failed.is_empty() {
        return Err(Error::Partial(format!(
            "{} (see above); what could be read was scanned",
            failed.join(" and ")
        )));
    }
    Ok(())
}

/// One finding a line (`path:line:col: what`), or JSON/YAML.
fn print_findings(ctx: &Context, rows: &[Finding], keys: &Keys) -> Result<()> {
    let mut out = crate::cli::output::data_out();
    if !ctx.is_table() {
        let views: Vec<FindingView> = rows
            .iter()
            .map(
                |Finding {
                     label,
                     found,
                     owner,
                 }| FindingView {
                    path: label.clone(),
                    line: found.line,
                    column: found.column,
                    status: owner.as_ref().map_or("unknown", |o| o.status.word()),
                    tenant: owner.as_ref().and_then(|o| o.tenant.clone()),
                    key: owner.as_ref().map(|o| o.key.clone()),
                    fingerprint: found.fingerprint(),
                    prefix: found.prefix.clone(),
                    expires_at: owner
                        .as_ref()
                        .and_then(|o| o.status.time())
                        .map(crate::time::format_timestamp),
                },
            )
            .collect();
        return write_data(&mut out, ctx.format, &views);
    }
    let mut text = String::new();
    for Finding {
        label,
        found,
        owner,
    } in rows
    {
        // Paths come from the files walked: their control characters are shown escaped.
        let line = format!(
            "{label}:{}:{}: {}",
            found.line,
            found.column,
            describe(found, owner.as_ref(), keys, ctx)
        );
        text.push_str(&visible(&line));
        text.push('\n');
    }
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

/// Loads the file (or every tenant's) and indexes its hashes.
fn load_keys(ctx: &Context, all_tenants: bool) -> Result<(Keys, Index)> {
    let mut index = Index::new();
    if all_tenants {
        let root = ctx
            .location
            .root
            .clone()
            .unwrap_or_else(|| PathBuf::from("tenants"));
        let found = crate::tenants::discover_some(&root)?;
        for (dir, why) in &found.skipped {
            // Its keys are not read: a partial answer, exit 1 at the end.
            ctx.say(format!("error: not read {}: {why}", dir.display()));
        }
        let loaded = crate::tenants::load_each(&found.tenants, |t| {
            Ok(Verifier::new(
                t.store(ctx.lock_timeout)
                    .with_warnings(crate::text::print_warning)
                    .read()?
                    .model,
            ))
        });
        let mut broken = found.skipped.len();
        for (tenant, verifier) in found.tenants.iter().zip(loaded) {
            match verifier {
                Ok(v) => index.add(Some(tenant.name.clone()), v),
                Err(e) => {
                    broken += 1;
                    ctx.say(format!("error: tenant '{}': {e}", tenant.name));
                }
            }
        }
        let loaded = found.tenants.len() + found.skipped.len() - broken;
        return Ok((Keys::All { loaded, broken }, index));
    }
    let path = ctx.path()?;
    let store = ctx.store()?;
    // A file that is not there is an error, never "every token is unknown".
    let doc = ctx.read_existing(&store).map_err(|e| match e {
        Error::MissingFile { path, message } => Error::MissingFile {
            path,
            message: format!(
                "{message}; scan looks the tokens it finds up in it (or in every tenant, with --all-tenants)"
            ),
        },
        other => other,
    })?;
    // With --file the key has no tenant; with --tenant, that one.
    let tenant = ctx
        .location
        .file
        .is_none()
        .then(|| ctx.location.tenant.clone())
        .flatten();
    let verifier = Verifier::new(doc.model);
    index.add(tenant.clone(), verifier);
    Ok((Keys::One { path, tenant }, index))
}

#[derive(Default)]
struct Stats {
    files: u64,
    bytes: u64,
    binary: u64,
    errors: u64,
}

struct Scanned {
    /// By path, then position.
    found: Vec<(String, Found)>,
    stats: Stats,
}

/// Scans stdin (for `-`) and walks the other paths with ripgrep's walker, on every core.
fn scan_paths(args: &ScanArgs) -> Scanned {
    let mut stats = Stats::default();
    let mut found: Vec<(String, Found)> = Vec::new();
    let mut buf = Zeroizing::new(Vec::new());
    let stdin = Path::new("-");
    if args.paths.iter().any(|p| p == stdin) {
        if std::io::stdin().is_terminal() {
            eprintln!("Reading from the terminal; end with Ctrl-D.");
        }
        match scan_reader(&mut std::io::stdin().lock(), &mut buf, false) {
            Ok(s) => {
                stats.files += 1;
                stats.bytes += s.bytes;
                found.extend(s.found.into_iter().map(|f| ("<stdin>".to_string(), f)));
            }
            Err(e) => {
                stats.errors += 1;
                eprintln!("error: <stdin>: reading: {e}");
            }
        }
    }
    let mut paths: Vec<&Path> = args
        .paths
        .iter()
        .map(PathBuf::as_path)
        .filter(|p| *p != stdin)
        .collect();
    // No path at all: the current folder, printed without a leading `./` (as rg does).
    let implicit = args.paths.is_empty();
    if implicit {
        paths.push(Path::new("."));
    }
    if let Some((first, rest)) = paths.split_first() {
        let mut walk = ignore::WalkBuilder::new(first);
        for p in rest {
            walk.add(p);
        }
        walk.standard_filters(!args.no_ignore)
            .hidden(!args.hidden)
            .threads(std::thread::available_parallelism().map_or(1, |n| n.get()));
        let shared = Mutex::new((Vec::new(), 0u64));
        let (files, bytes, binary) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        walk.build_parallel().run(|| {
            let mut buf = Zeroizing::new(Vec::new());
            let (shared, files, bytes, binary) = (&shared, &files, &bytes, &binary);
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        say(&format!("error: {e}"));
                        shared.lock().unwrap().1 += 1;
                        return ignore::WalkState::Continue;
                    }
                };
                // Named on the command line: scanned whatever it is (a fifo such as <(git
                // diff), a binary file). Found in a folder: regular files, binaries skipped.
                let named = entry.depth() == 0;
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                if entry.file_type().is_some_and(|t| t.is_dir()) || (!named && !is_file) {
                    return ignore::WalkState::Continue;
                }
                let path = entry.path();
                let result = std::fs::File::open(path)
                    .and_then(|mut f| scan_reader(&mut f, &mut buf, !named));
                match result {
                    Ok(s) => {
                        if s.binary {
                            binary.fetch_add(1, Ordering::Relaxed);
                        } else {
                            files.fetch_add(1, Ordering::Relaxed);
                            bytes.fetch_add(s.bytes, Ordering::Relaxed);
                        }
                        if !s.found.is_empty() {
                            let shown = if implicit {
                                path.strip_prefix(".").unwrap_or(path)
                            } else {
                                path
                            };
                            // A secret in a path (a folder named after a token) is not
                            // printed either: not in the table, the JSON or the advice.
                            let label = crate::text::redact(&shown.to_string_lossy()).into_owned();
                            let mut shared = shared.lock().unwrap();
                            shared
                                .0
                                .extend(s.found.into_iter().map(|f| (label.clone(), f)));
                        }
                    }
                    Err(e) => {
                        say(&format!("error: {}: reading: {e}", path.display()));
                        shared.lock().unwrap().1 += 1;
                    }
                }
                ignore::WalkState::Continue
            })
        });
        let (walked, errors) = shared.into_inner().unwrap();
        found.extend(walked);
        stats.errors += errors;
        stats.files += files.into_inner();
        stats.bytes += bytes.into_inner();
        stats.binary += binary.into_inner();
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.offset.cmp(&b.1.offset)));
    Scanned { found, stats }
}

/// Whose the key is, as the findings say it: "tenant acme", or "file x.yml".
fn whose(owner: &Owner, keys: &Keys) -> String {
    match (&owner.tenant, keys) {
        (Some(t), _) => format!("tenant {t}"),
        (None, Keys::One { path, .. }) => format!("file {}", path.display()),
        (None, Keys::All { .. }) => String::new(),
    }
}

/// What a finding is, in words, after `path:line:col: `.
fn describe(found: &Found, owner: Option<&Owner>, keys: &Keys, ctx: &Context) -> String {
    let fp = found.fingerprint();
    let Some(o) = owner else {
        let nowhere = match keys {
            Keys::One {
                tenant: Some(t), ..
            } => format!("no key of tenant {t} has it"),
            Keys::One { path, .. } => format!("no key in {} has it", path.display()),
            Keys::All { loaded, broken } => format!(
                "no key in the {} under {} has it{}",
                plural(*loaded as u64, "tenant"),
                ctx.location
                    .root
                    .as_deref()
                    .unwrap_or(Path::new("tenants"))
                    .display(),
                if *broken > 0 {
                    format!(" ({broken} more did not load)")
                } else {
                    String::new()
                }
            ),
        };
        return format!(
            "unknown secret with prefix '{}' (fingerprint {fp}): {nowhere} (revoked, or another file's)",
            found.prefix
        );
    };
    let (key, whose) = (&o.key, whose(o, keys));
    let ts = crate::time::format_timestamp;
    match &o.status {
        Status::Live => format!("live secret of key '{key}' ({whose}, fingerprint {fp})"),
        Status::Rotated { until } => format!(
            "rotated secret of key '{key}' (valid until {}; {whose}, fingerprint {fp})",
            ts(*until)
        ),
        Status::Disabled => format!("disabled secret of key '{key}' ({whose}, fingerprint {fp})"),
        Status::Expired { at } => format!(
            "expired secret of key '{key}' (expired {}; {whose}, fingerprint {fp})",
            ts(*at)
        ),
        Status::RotatedOut { at } => format!(
            "old secret (rotated out) of key '{key}' (stopped {}; {whose}, fingerprint {fp})",
            ts(*at)
        ),
        Status::Ambiguous => format!(
            "ambiguous secret of key '{key}' (other keys have it too, so servers refuse it; \
             {whose}, fingerprint {fp})"
        ),
        Status::Unknown => format!("unknown secret (fingerprint {fp})"),
    }
}

/// For each key whose secret works and was found: the commands that end it, on stderr.
fn advise(rows: &[Finding], keys: &Keys, ctx: &Context) {
    let mut seen: Vec<(&Option<String>, &str)> = Vec::new();
    for Finding {
        label,
        found,
        owner,
    } in rows
    {
        let Some(o) = owner.as_ref().filter(|o| o.status.works()) else {
            continue;
        };
        if seen.contains(&(&o.tenant, o.key.as_str())) {
            continue;
        }
        seen.push((&o.tenant, &o.key));
        let at = format!("{}:{}:{}", visible(label), found.line, found.column);
        let what = match &o.status {
            Status::Rotated { until } => format!(
                "An old secret of key '{}' ({}) works until {} and is in {at}",
                o.key,
                whose(o, keys),
                crate::time::format_timestamp(*until)
            ),
            _ => format!(
                "The secret of key '{}' ({}) is live and is in {at}",
                o.key,
                whose(o, keys)
            ),
        };
        let rotate_note = match o.status {
            Status::Rotated { .. } => "ends the old secret now; deploy the new one",
            _ => "then deploy the new secret",
        };
        ctx.say(format!(
            "{what}:\n  rotate it: {}   ({rotate_note})\n  or revoke the key: {}",
            command(ctx, keys, o, "rotate"),
            command(ctx, keys, o, "delete --yes"),
        ));
    }
    if !seen.is_empty() {
        ctx.say("Then remove the secrets from those files, and from git history if they were committed.");
    }
}

/// The tokenctl command line that acts on `owner`'s key, with the options that find its file.
fn command(ctx: &Context, keys: &Keys, owner: &Owner, verb: &str) -> String {
    let (verb, flags) = verb.split_once(' ').map_or((verb, ""), |(v, f)| (v, f));
    let mut cmd = String::from("tokenctl");
    match (&owner.tenant, keys) {
        (Some(tenant), _) => {
            let root = ctx.location.root.as_deref().unwrap_or(Path::new("tenants"));
            if root != Path::new("tenants") {
                cmd.push_str(&format!(" --root {}", quote(&root.to_string_lossy())));
            }
            cmd.push_str(&format!(" --tenant {tenant}"));
        }
        (None, Keys::One { path, .. }) => {
            cmd.push_str(&format!(" --file {}", quote(&path.to_string_lossy())))
        }
        (None, Keys::All { .. }) => {}
    }
    cmd.push_str(&format!(" {verb} {}", owner.key));
    if !flags.is_empty() {
        cmd.push(' ');
        cmd.push_str(flags);
    }
    cmd
}

/// Quotes a word for a POSIX shell when it needs it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./,:=@+%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// "scanned 3 files (12.3 KB): 1 live, 1 disabled, 1 unknown".
fn summary(rows: &[Finding], stats: &Stats) -> String {
    let mut head = format!(
        "scanned {} ({})",
        plural(stats.files, "file"),
        size(stats.bytes)
    );
    if stats.binary > 0 {
        head.push_str(&format!(
            " and skipped {}",
            plural(stats.binary, "binary file")
        ));
    }
    if rows.is_empty() {
        return format!("{head}: no tokenctl secret found");
    }
    let order = [
        "live",
        "rotated",
        "disabled",
        "expired",
        "rotated-out",
        "ambiguous",
        "unknown",
    ];
    let counts: Vec<String> = order
        .iter()
        .filter_map(|word| {
            let n = rows
                .iter()
                .filter(|r| r.owner.as_ref().map_or("unknown", |o| o.status.word()) == *word)
                .count();
            (n > 0).then(|| format!("{n} {word}"))
        })
        .collect();
    format!("{head}: {}", counts.join(", "))
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}
