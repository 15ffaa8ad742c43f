//! `diff OLD NEW` and `diff --git REV`: the semantic change between two versions of a
//! security.yml ([`crate::diff`]), as text, JSON or markdown (a pull-request comment);
//! `--exit-code` and `--fail-on widening` make it a CI check (exit 11).

use crate::cli::args::DiffArgs;
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::diff::{Change, Diff, Effect, FieldChange};
use crate::document::Document;
use crate::error::{Error, Result, stdout_error};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn run(ctx: &Context, args: DiffArgs) -> Result<()> {
    // The new side's policy violations are judged by the policy in force: its own section
    // and the operator's files (for two files named on the command line, --policy only).
    let operator = ctx.operator_policy(args.git.is_none())?;
    let policy = Policy {
        operator: &operator,
        now: ctx.clock.now(),
    };
    let diffs = match (&args.git, args.files.as_slice()) {
        (Some(rev), []) => {
            if rev.starts_with('-') || rev.is_empty() {
                return Err(Error::Usage(format!(
                    "--git {rev:?} is not a revision (a branch, a tag, a commit, HEAD~1)"
                )));
            }
            if args.all_tenants {
                let root = ctx.location.root_dir();
                let names = crate::tenants::tenants_under(&root);
                if names.is_empty() {
                    return Err(Error::Usage(format!(
                        "no tenant under {}: give --root",
                        root.display()
                    )));
                }
                names
                    .into_iter()
                    .map(|t| {
                        let path = root.join(&t).join("security.yml");
                        against_revision(&path, rev, Some(t), &policy)
                    })
                    .collect::<Result<Vec<_>>>()?
            } else {
                let path = ctx.path()?;
                let tenant = ctx
                    .location
                    .tenant
                    .clone()
                    .or_else(|| ctx.location.file.is_some().then(|| "default".to_string()));
                vec![against_revision(&path, rev, tenant, &policy)?]
            }
        }
        (None, [old, new]) => {
            if args.all_tenants {
                return Err(Error::Usage(
                    "--all-tenants goes with --git REV: diff OLD NEW compares two files".into(),
                ));
            }
            let old_side = side(old, &read(old)?, None)?;
            let new_side = side(new, &read(new)?, Some(&policy))?;
            vec![compare(None, old_side, new_side)]
        }
        _ => {
            return Err(Error::Usage(
                "give two files (`tokenctl diff OLD NEW`) or a revision (`tokenctl diff --git HEAD~1`)"
                    .into(),
            ));
        }
    };
    let mut out = crate::cli::output::data_out();
    let text = match ctx.format {
        Format::Json | Format::Yaml => {
            if diffs.len() == 1 && !args.all_tenants {
                crate::cli::output::write_data(&mut out, ctx.format, &diffs[0])?;
            } else {
                crate::cli::output::write_data(&mut out, ctx.format, &diffs)?;
            }
            None
        }
        Format::Markdown => Some(diffs.iter().map(markdown).collect::<Vec<_>>().join("\n")),
        Format::Table | Format::Wide => Some(
            diffs
                .iter()
                .map(|d| text(d, ctx.color))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    };
    if let Some(t) = text {
        out.write_all(t.as_bytes()).map_err(stdout_error)?;
        out.flush().map_err(stdout_error)?;
    }
    let changed = diffs.iter().filter(|d| !d.is_empty()).count();
    let widening = diffs.iter().filter(|d| d.widens()).count();
    // A new file that does not load as written (a key given twice, a second apiKeys that
    // some servers read and others do not) or breaks an enforced policy fails a CI check
    // whatever its keys' change looks like: what the diff shows may not be what servers read.
    let failing = diffs.iter().filter(|d| d.failing).count();
    if (args.fail_on_widening() || args.exit_code) && failing > 0 {
        return Err(Error::Differences(format!(
            "the new version of {} has problems `tokenctl check` fails on (listed above); \
             servers may read it otherwise than shown, or refuse it",
            crate::text::plural(failing as u64, "file")
        )));
    }
    if args.fail_on_widening() && widening > 0 {
        return Err(Error::Differences(format!(
            "a change widens access ({}); a reviewer must approve it",
            crate::text::plural(widening as u64, "file")
        )));
    }
    if args.exit_code && changed > 0 {
        return Err(Error::Differences(format!(
            "{} changed",
            crate::text::plural(changed as u64, "file")
        )));
    }
    Ok(())
}

/// One version of a file: its keys, what is not tokenctl's, and what the rules say of it.
struct Side {
    model: crate::model::SecurityFile,
    foreign: Option<String>,
    problems: Vec<String>,
    /// A problem `check` fails on (not a deprecation, not a policy under warn).
    failing: bool,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    crate::store::read_bytes(path)?.ok_or_else(|| Error::MissingFile {
        path: path.to_path_buf(),
        message: "no such file".into(),
    })
}

/// The policy the new side is judged by.
struct Policy<'a> {
    operator: &'a [crate::keys::policy::Source],
    now: jiff::Timestamp,
}

/// A version read leniently, as `check` reads it: a construct that the current rules refuse
/// is noted (the old side of a pull request that fixes a file can still be compared), only
/// text that is not YAML at all fails. The old side (`policy` none): its problems are notes
/// on stderr; of the new side they, and the keys that break the policy, are the diff's
/// violations.
fn side(path: &Path, bytes: &[u8], policy: Option<&Policy>) -> Result<Side> {
    let old = policy.is_none();
    let text = crate::store::into_text(path, bytes.to_vec())?;
    let foreign = crate::diff::foreign_of(&text);
    let (doc, problems) = Document::load_all(path, text)?;
    let mut failing = !problems.is_empty();
    let mut problems: Vec<String> = problems.iter().map(|p| p.at(path)).collect();
    problems.extend(doc.deprecated().iter().map(|p| p.at(path)));
    if let Some(policy) = policy {
        let (broken, enforced) =
            crate::cli::commands::check::policy_violations(&doc, path, policy.operator, policy.now);
        failing |= enforced && !broken.is_empty();
        problems.extend(broken.iter().map(|p| p.at(path)));
    }
    if old {
        for p in &problems {
            eprintln!("note: {} (read all the same)", crate::text::redact(p));
        }
    }
    Ok(Side {
        model: doc.model,
        foreign,
        problems: if old { Vec::new() } else { problems },
        failing: !old && failing,
    })
}

fn compare(tenant: Option<String>, old: Side, new: Side) -> Diff {
    let violations = new
        .problems
        .iter()
        .map(|p| crate::text::redact(p).into_owned())
        .collect();
    let mut diff = crate::diff::diff(
        tenant,
        &old.model,
        &new.model,
        old.foreign != new.foreign,
        violations,
    );
    diff.failing = new.failing;
    diff
}

/// The file at `path` as it is now against the same file at git revision `rev`.
fn against_revision(
    path: &Path,
    rev: &str,
    tenant: Option<String>,
    policy: &Policy,
) -> Result<Diff> {
    let shown = PathBuf::from(format!("{rev}:{}", path.display()));
    let old = match at_revision(path, rev)? {
        Some(bytes) => side(&shown, &bytes, None)?,
        None => {
            eprintln!(
                "note: {} did not exist at {rev}: every key is new",
                path.display()
            );
            side(&shown, b"", None)?
        }
    };
    let new = side(path, &read(path)?, Some(policy))?;
    Ok(compare(tenant, old, new))
}

/// Runs git in `dir`; its stdout, or an error that says what git said.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| Error::Other(format!("running git: {e}; is git installed?")))?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// The bytes of `path` at revision `rev` of the repository that holds it (`None`: it did not
/// exist then). A link in the tree at `rev` is followed within that tree, never out of it.
fn at_revision(path: &Path, rev: &str) -> Result<Option<Vec<u8>>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let top = String::from_utf8_lossy(&git(&dir, &["rev-parse", "--show-toplevel"])?)
        .trim()
        .to_string();
    let prefix = String::from_utf8_lossy(&git(&dir, &["rev-parse", "--show-prefix"])?)
        .trim()
        .to_string();
    // Make sure the revision exists, for a clear error rather than "no such file".
    git(
        &dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| Error::Usage(format!("--git {rev}: no such revision in {top}")))?;
    let name = path
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{} names no file", path.display())))?;
    let mut rel = format!("{prefix}{}", name.to_string_lossy());
    for _ in 0..40 {
        let listing = git(Path::new(&top), &["ls-tree", "-z", rev, "--", &rel])?;
        let Some(entry) = listing.split(|b| *b == 0).find(|e| !e.is_empty()) else {
            return Ok(None);
        };
        let entry = String::from_utf8_lossy(entry);
        let (meta, _) = entry.split_once('\t').unwrap_or((&entry, ""));
        let mut parts = meta.split_whitespace();
        let (mode, kind, object) = (parts.next(), parts.next(), parts.next());
        let (Some(mode), Some("blob"), Some(object)) = (mode, kind, object) else {
            return Err(Error::Invalid {
                path: PathBuf::from(format!("{rev}:{rel}")),
                message: "is not a file at that revision".into(),
            });
        };
        let blob = git(Path::new(&top), &["cat-file", "blob", object])?;
        if mode != "120000" {
            return Ok(Some(blob));
        }
        // A link: resolved against its folder, within the tree.
        let target = String::from_utf8_lossy(&blob).to_string();
        let base: Vec<&str> = rel.split('/').collect();
        let mut parts: Vec<String> = if target.starts_with('/') {
            return Err(Error::Invalid {
                path: PathBuf::from(format!("{rev}:{rel}")),
                message: format!("is a link out of the repository ({target})"),
            });
        } else {
            base[..base.len() - 1]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        for c in target.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(Error::Invalid {
                            path: PathBuf::from(format!("{rev}:{rel}")),
                            message: format!("is a link out of the repository ({target})"),
                        });
                    }
                }
                c => parts.push(c.to_string()),
            }
        }
        rel = parts.join("/");
    }
    Err(Error::Invalid {
        path: PathBuf::from(format!("{rev}:{rel}")),
        message: "has too many links".into(),
    })
}

fn value(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

fn effect_word(e: Effect) -> &'static str {
    match e {
        Effect::Widens => "widens",
        Effect::Narrows => "narrows",
        Effect::Neutral => "neutral",
    }
}

fn change_word(c: Change) -> &'static str {
    match c {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Rotated => "rotated",
        Change::Renamed => "renamed",
        Change::Changed => "changed",
    }
}

/// The diff for a reader at a terminal: one line a key, one indented line a field, what
/// widens in red (with colour) and marked `(widens)` always.
fn text(d: &Diff, color: bool) -> String {
    let paint = |s: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let title = d
        .tenant
        .as_deref()
        .map_or(String::new(), |t| format!("tenant {t}: "));
    if d.is_empty() {
        let mut out = format!("{title}no change\n");
        for v in &d.violations {
            out.push_str(&format!("! {v}\n"));
        }
        return out;
    }
    let mut out = format!(
        "{title}{}{}\n",
        crate::text::plural(d.keys.len() as u64, "key"),
        if d.widens() {
            format!(" changed, {}", paint("access widens", "1;31"))
        } else {
            " changed, nothing widens".into()
        }
    );
    let field_line = |f: &FieldChange| {
        let mark = match f.effect {
            Effect::Widens => paint("(widens)", "31"),
            Effect::Narrows => paint("(narrows)", "32"),
            Effect::Neutral => String::new(),
        };
        format!(
            "    {}: {} -> {} {mark}\n",
            f.field,
            value(&f.old),
            value(&f.new)
        )
        .replace(" \n", "\n")
    };
    for k in &d.keys {
        let sign = match k.change {
            Change::Added => paint("+", "31"),
            Change::Removed => paint("-", "32"),
            _ => "~".into(),
        };
        out.push_str(&format!("{sign} {} {}\n", k.name, change_word(k.change)));
        for f in &k.fields {
            out.push_str(&field_line(f));
        }
    }
    for f in &d.policy {
        out.push_str(&format!("~ file setting {}", field_line(f).trim_start()));
    }
    if d.foreign {
        out.push_str("~ other tools' data changed (not judged)\n");
    }
    for v in &d.violations {
        out.push_str(&format!("! {v}\n"));
    }
    out
}

/// A markdown cell: pipes escaped, line breaks as spaces, code for values.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// The diff as a pull-request comment: a heading and one table per tenant.
fn markdown(d: &Diff) -> String {
    let title = d.tenant.as_deref().map_or("security.yml".to_string(), |t| {
        format!("tenant `{}`", cell(t))
    });
    let mut out = format!("### tokenctl diff: {title}\n\n");
    if d.is_empty() && d.violations.is_empty() {
        out.push_str("No change.\n");
        return out;
    }
    if d.is_empty() {
        out.push_str("No change to the keys.\n");
        violations_md(&mut out, d);
        return out;
    }
    out.push_str(if d.widens() {
        "**Access widens**: a reviewer must approve this change.\n\n"
    } else {
        "Nothing widens.\n\n"
    });
    out.push_str(
        "| key | change | field | old | new | effect |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for k in &d.keys {
        let change = if k.change == Change::Added {
            "**added** (widens)".to_string()
        } else {
            change_word(k.change).to_string()
        };
        if k.fields.is_empty() {
            out.push_str(&format!("| `{}` | {change} | | | | |\n", cell(&k.name)));
        }
        for f in &k.fields {
            let effect = match f.effect {
                Effect::Widens => "**widens**".to_string(),
                e => effect_word(e).to_string(),
            };
            out.push_str(&format!(
                "| `{}` | {change} | `{}` | {} | {} | {effect} |\n",
                cell(&k.name),
                cell(&f.field),
                cell(&value(&f.old)),
                cell(&value(&f.new)),
            ));
        }
    }
    for f in &d.policy {
        out.push_str(&format!(
            "| (file) | changed | `{}` | {} | {} | {} |\n",
            cell(&f.field),
            cell(&value(&f.old)),
            cell(&value(&f.new)),
            effect_word(f.effect)
        ));
    }
    if d.foreign {
        out.push_str("\nOther tools' data changed (not judged).\n");
    }
    violations_md(&mut out, d);
    out
}

/// The new file's violations as a markdown list, when there are any.
fn violations_md(out: &mut String, d: &Diff) {
    if !d.violations.is_empty() {
        out.push_str("\nThe new file breaks these rules:\n\n");
        for v in &d.violations {
            out.push_str(&format!("- {}\n", cell(v)));
        }
    }
}
