//! `apply -f DESIRED`: make the file's keys match a desired state, in one locked atomic write.
//! `--dry-run` prints the plan (exit 8 when something is pending); `--prune` also deletes.

use crate::apply::{Action, Plan, plan, value_json, value_text};
use crate::cli::args::ApplyArgs;
use crate::cli::context::Context;
use crate::cli::output::write_data;
use crate::document::{DesiredState, Value};
use crate::error::stdout_error;
use crate::error::{Error, Result};
use crate::model::Field;
use crate::store::{AttrChange, MAX_FILE_SIZE, Store, file_digest, parse_digest};
use crate::token::{self, Secret};
use serde::Serialize;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// What `--format json|yaml` prints. The shape is stable (README, "apply").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    /// Whether the file changed (for a dry run: whether it would).
    changed: bool,
    dry_run: bool,
    file: String,
    /// SHA-256 of the file afterwards (dry run: as read), ready for `--if-unchanged`.
    sha256: String,
    summary: Summary,
    plan: Vec<StepView>,
    /// Keys the desired state lists that already match it.
    unchanged: Vec<String>,
    /// Secrets generated for new keys without a `hash`, shown this once.
    secrets: Vec<SecretView<'a>>,
    /// The file's owner, group and mode that --file-owner, --file-group and --file-mode
    /// change (changed): `field`, `old`, `new`. Left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attributes: Vec<AttrChange>,
    /// What the policy warned of (under `enforcement: warn`), one line each. Left out when
    /// there is nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct Summary {
    create: usize,
    update: usize,
    delete: usize,
    unchanged: usize,
}

#[derive(Serialize)]
struct StepView {
    action: &'static str,
    key: String,
    /// For a create: "generated" or "provided"; otherwise null.
    secret: Option<&'static str>,
    changes: Vec<ChangeView>,
}

#[derive(Serialize)]
struct ChangeView {
    field: &'static str,
    old: serde_json::Value,
    new: serde_json::Value,
}

#[derive(Serialize)]
struct SecretView<'a> {
    name: &'a str,
    token: &'a str,
    fingerprint: String,
}

pub(crate) fn run(ctx: &Context, args: ApplyArgs) -> Result<()> {
    if args.prune && !args.dry_run && !args.yes && !ctx.interactive {
        return Err(Error::Usage(format!(
            "--prune deletes the keys the desired state lacks and needs confirmation, but {}; add --yes (`{}`), or look first with --dry-run",
            ctx.why_no_prompt,
            crate::cli::context::command_with_yes()
        )));
    }
    let expected = args
        .write
        .if_unchanged
        .as_deref()
        .map(parse_digest)
        .transpose()?;
    let desired = read_desired(&args.desired)?;
    // The plan of --dry-run says what the real run would do: refuse the same way.
    ctx.allow_new_tenant(args.new_tenant)?;
    // The JSON and YAML reports carry the file's SHA-256 afterwards.
    // A refusal by the policy says what would satisfy it in the desired state's fields.
    let store = ctx
        .store()?
        .with_digest(!ctx.is_table())
        .with_file_attrs(args.write.attrs()?)
        .with_field_remedies();
    // Owner, group and mode that --file-* change: reported (and a reason to write).
    let attributes = store.attr_changes()?;
    let now = ctx.clock.now();
    if args.dry_run {
        return dry_run(
            ctx,
            &store,
            &desired,
            args.prune,
            expected,
            now,
            &attributes,
        );
    }

    // Ask before taking the lock, so a slow operator does not block other writers; the
    // deletions are checked again under the lock.
    let confirmed = if args.prune && !args.yes {
        Some(confirm_prune(&store, &desired, now)?)
    } else {
        None
    };
    let written = store.write(
        args.write.if_unchanged.as_deref(),
        |doc| {
            let plan = plan(&doc.model, &desired, args.prune, now)?;
            if let Some(confirmed) = &confirmed {
                if let Some(extra) = plan.deletions().find(|d| !confirmed.iter().any(|c| c == d)) {
                    return Err(Error::Conflict(format!(
                        "the file changed while you were asked: --prune would now also delete '{extra}'; nothing was written; run apply again"
                    )));
                }
            }
            let mut secrets: Vec<(String, Secret)> = Vec::new();
            let edit = plan.edit(&doc.model, now, |name| {
                let secret = token::generate(doc.model.prefix()).map_err(Error::Other)?;
                let hash = secret.hash();
                secrets.push((name.to_string(), secret));
                Ok(hash)
            })?;
            // Applying the same desired state again must find nothing to do; the store then
            // proves the new text reads as this model. Only the desired keys are planned
            // again (the others are not copied): with --prune, each other key must be one
            // the edit deletes.
            let named: rustc_hash::FxHashSet<&str> =
                desired.keys.iter().map(|k| k.name.as_str()).collect();
            let after = doc.intended_of(&edit, |n| named.contains(n))?;
            if args.prune {
                let removed: rustc_hash::FxHashSet<&str> =
                    edit.remove.iter().map(String::as_str).collect();
                if let Some(k) = doc.model.keys.iter().find(|k| {
                    !named.contains(k.name.as_str()) && !removed.contains(k.name.as_str())
                }) {
                    return Err(Error::Other(format!(
                        "internal error: the edit did not come out as planned (key '{}' would still need a delete); nothing was written",
                        k.name
                    )));
                }
            }
            verify_idempotent(&after, &desired, args.prune, now)?;
            Ok((edit, (plan, secrets)))
        },
        // Secrets (or the report that holds them) go out before the file is replaced.
        |(plan, secrets), sha256| {
            crate::cli::secrets::check_secret_sink(ctx, secrets.len(), false, "")?;
            print_data(
                ctx,
                &store,
                plan,
                secrets,
                sha256.unwrap_or_default().to_string(),
                &attributes,
            )?;
            Ok(!secrets.is_empty())
        },
    )?;
    let (plan, secrets) = &written.value;
    if !written.changed {
        print_data(
            ctx,
            &store,
            plan,
            secrets,
            written.sha256.clone().unwrap_or_default(),
            &attributes,
        )?;
    }
    let plan_shown = confirmed.is_some_and(|c| !c.is_empty());
    if plan.is_empty() && !attributes.is_empty() {
        // The keys matched; only the file's owner, group or mode changed.
        ctx.say(format!(
            "The keys already match{}.",
            attributes_text(&attributes)
        ));
    } else {
        print_outcome(ctx, plan, secrets, plan_shown);
        if !attributes.is_empty() {
            ctx.say(format!("Also{}.", attributes_text(&attributes)).replacen("; t", " t", 1));
        }
    }
    if written.created {
        ctx.say_created(store.path());
    }
    Ok(())
}

/// `--dry-run`: the plan on stdout, nothing written; exit 8 when something is pending.
fn dry_run(
    ctx: &Context,
    store: &Store,
    desired: &DesiredState,
    prune: bool,
    expected: Option<String>,
    now: jiff::Timestamp,
    attributes: &[AttrChange],
) -> Result<()> {
    // A missing file reads as an empty one, so the plan creates every key, as the real run
    // would (check mode on a new host must report that, not fail).
    let doc = store.read()?;
    if doc.missing {
        // Config management's check mode on a fresh host: every key is a create.
        ctx.say(format!(
            "{} does not exist; it would be created.",
            store.path().display()
        ));
    }
    let digest = file_digest(doc.text.as_bytes());
    if let Some(expected) = expected.filter(|e| *e != digest) {
        return Err(changed_since(store.path(), &expected, &digest));
    }
    let plan = plan(&doc.model, desired, prune, now)?;
    // The policy judges the edit the real run would make (its secrets generated and
    // dropped): refused, the plan is still shown, and the exit is 13.
    let edit = plan.edit(&doc.model, now, |_| {
        Ok(token::generate(doc.model.prefix())
            .map_err(Error::Other)?
            .hash())
    })?;
    let judged = store.judge(&doc, &edit);
    let mut out = std::io::stdout().lock();
    if ctx.is_table() {
        out.write_all(crate::text::message(&plan_text(&plan, true)).as_bytes())
            .map_err(stdout_error)?;
    } else {
        let mut report = report(&plan, true, store.path(), digest, Vec::new(), attributes);
        report.warnings = warning_lines(store);
        write_data(&mut out, ctx.format, &report)?;
    }
    out.flush().map_err(stdout_error)?;
    judged?;
    if plan.is_empty() && attributes.is_empty() {
        if !ctx.is_table() {
            ctx.say(no_changes(&plan));
        }
        return Ok(());
    }
    ctx.say(format!(
        "Dry run: {}{}; nothing was written (run without --dry-run to apply).",
        counts(&plan),
        attributes_text(attributes)
    ));
    Err(Error::ChangesPending)
}

/// Shows the plan and asks before `--prune` deletes; returns the keys the operator agreed to.
fn confirm_prune(
    store: &Store,
    desired: &DesiredState,
    now: jiff::Timestamp,
) -> Result<Vec<String>> {
    let plan = plan(&store.read()?.model, desired, true, now)?;
    let deletions: Vec<String> = plan.deletions().map(String::from).collect();
    if deletions.is_empty() {
        return Ok(deletions);
    }
    eprint!("{}", crate::text::message(&plan_text(&plan, true)));
    // Ctrl-C: exit 130 with the cursor restored, nothing written.
    let _guard = crate::cli::interactive::PromptGuard::new();
    let question = format!(
        "--prune deletes {} key{} ({}); anything using them stops working at once. Continue",
        deletions.len(),
        if deletions.len() == 1 { "" } else { "s" },
        deletions.join(", ")
    );
    if crate::cli::interactive::yes_no(
        &crate::cli::interactive::FormTheme::new(),
        &question,
        false,
    )? {
        Ok(deletions)
    } else {
        Err(Error::Declined(
            "Nothing applied; nothing was written.".into(),
        ))
    }
}

/// Secrets (or the JSON report) on stdout: before the file is replaced when there are
/// secrets to deliver.
fn print_data(
    ctx: &Context,
    store: &Store,
    plan: &Plan,
    secrets: &[(String, Secret)],
    digest: String,
    attributes: &[AttrChange],
) -> Result<()> {
    let views: Vec<SecretView> = secrets
        .iter()
        .map(|(name, s)| SecretView {
            name,
            token: s.expose(),
            fingerprint: s.hash().fingerprint(),
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if ctx.is_table() {
        // One `NAME SECRET` line per generated secret: easy to `read name secret` in a shell.
        for v in &views {
            writeln!(out, "{} {}", v.name, v.token).map_err(stdout_error)?;
        }
    } else {
        let mut report = report(plan, false, store.path(), digest, views, attributes);
        report.warnings = warning_lines(store);
        write_data(&mut out, ctx.format, &report)?;
    }
    out.flush().map_err(stdout_error)
}

/// What the policy warned of in the store's write, a line each, for the report.
fn warning_lines(store: &Store) -> Vec<String> {
    store
        .policy_warnings()
        .iter()
        .map(crate::model::PolicyViolation::message)
        .collect()
}

/// `; the file's mode 0644 -> 0600`, or nothing.
fn attributes_text(attributes: &[AttrChange]) -> String {
    attributes
        .iter()
        .map(|a| format!("; the file's {} {} -> {}", a.field, a.old, a.new))
        .collect()
}

/// After the write: what happened, on stderr.
fn print_outcome(ctx: &Context, plan: &Plan, secrets: &[(String, Secret)], plan_shown: bool) {
    if plan.is_empty() {
        ctx.say(no_changes(plan));
        return;
    }
    if ctx.is_table() && !plan_shown {
        eprint!("{}", crate::text::message(&plan_text(plan, false)));
    }
    ctx.say(done(plan));
    if !secrets.is_empty() && std::io::stderr().is_terminal() {
        ctx.say(
            "Store the new secrets now: they are not saved anywhere and will not be shown again.",
        );
    }
}

/// Reads the desired state from a file, or stdin for `-`.
fn read_desired(path: &Path) -> Result<DesiredState> {
    use std::os::unix::fs::FileTypeExt;
    // Read to its end, at most the size limit: stdin, or a pipe named on the command line
    // (`-f <(render-keys)`), which the regular-file rule of security.yml must not refuse:
    // the desired state is read once, by the caller's choice, and never written.
    let stream = |label: &Path, reader: &mut dyn Read| -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        reader
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(label, "reading the desired state", e))?;
        if buf.len() as u64 > MAX_FILE_SIZE {
            return Err(Error::Invalid {
                path: label.to_path_buf(),
                message: "the desired state is too large".into(),
            });
        }
        Ok(buf)
    };
    let piped = std::fs::metadata(path)
        .map(|m| m.file_type().is_fifo() || m.file_type().is_char_device())
        .unwrap_or(false);
    let (label, bytes) = if path.as_os_str() == "-" {
        let label = PathBuf::from("<stdin>");
        let bytes = stream(&label, &mut std::io::stdin())?;
        (label, bytes)
    } else if piped {
        let mut pipe = std::fs::File::open(path)
            .map_err(|e| Error::io(path, "reading the desired state", e))?;
        (path.to_path_buf(), stream(path, &mut pipe)?)
    } else {
        let bytes = crate::store::read_bytes(path)?.ok_or_else(|| Error::Invalid {
            path: path.to_path_buf(),
            message: "no such file; give the desired-state file with -f (or - for stdin)".into(),
        })?;
        (path.to_path_buf(), bytes)
    };
    let text = crate::store::into_text(&label, bytes)?;
    DesiredState::parse(&label, &text)
}

/// Checks the edit does what the plan says: applying the same desired state to the result
/// must find nothing to do. Anything else is a bug, and nothing is written.
fn verify_idempotent(
    after: &crate::model::SecurityFile,
    desired: &DesiredState,
    prune: bool,
    now: jiff::Timestamp,
) -> Result<()> {
    let internal = |why: String| {
        Error::Other(format!(
            "internal error: the edit did not come out as planned ({why}); nothing was written"
        ))
    };
    let again = plan(after, desired, prune, now).map_err(|e| internal(e.to_string()))?;
    if let Some(step) = again.steps.first() {
        return Err(internal(format!(
            "key '{}' would still need a {}",
            step.key,
            step.action.as_str()
        )));
    }
    Ok(())
}

fn changed_since(path: &Path, expected: &str, actual: &str) -> Error {
    Error::Conflict(format!(
        "{} changed since you read it (its SHA-256 is now sha256:{actual}, not sha256:{expected}); read it again and retry",
        path.display()
    ))
}

fn report<'a>(
    plan: &Plan,
    dry_run: bool,
    path: &Path,
    sha256: String,
    secrets: Vec<SecretView<'a>>,
    attributes: &[AttrChange],
) -> Report<'a> {
    Report {
        changed: !plan.is_empty() || !attributes.is_empty(),
        attributes: attributes.to_vec(),
        warnings: Vec::new(),
        dry_run,
        file: path.display().to_string(),
        sha256,
        summary: Summary {
            create: plan.count(Action::Create),
            update: plan.count(Action::Update),
            delete: plan.count(Action::Delete),
            unchanged: plan.unchanged.len(),
        },
        plan: plan
            .steps
            .iter()
            .map(|s| StepView {
                action: s.action.as_str(),
                key: s.key.clone(),
                secret: match (s.action, s.generate) {
                    (Action::Create, true) => Some("generated"),
                    (Action::Create, false) => Some("provided"),
                    _ => None,
                },
                changes: s
                    .changes
                    .iter()
                    .map(|c| ChangeView {
                        field: c.field.yaml_name(),
                        old: value_json(&shown(c.field, &c.old)),
                        new: value_json(&shown(c.field, &c.new)),
                    })
                    .collect(),
            })
            .collect(),
        unchanged: plan.unchanged.clone(),
        secrets,
    }
}

/// A field's value as a plan shows it: a hash by its fingerprint (`sha256:1a2b3c4d…`), as
/// `list` shows keys. Plans end up in CI and Ansible logs, and the hash of a weak imported
/// secret could be brute-forced offline; the fingerprint still tells keys apart.
fn shown(field: Field, value: &Option<Value>) -> Option<Value> {
    match value {
        Some(Value::Str(hash)) if field == Field::Hash => {
            let short = hash.get(.."sha256:".len() + 8).unwrap_or(hash);
            Some(Value::Str(format!("{short}…")))
        }
        _ => value.clone(),
    }
}

/// A field's value as the readable plan shows it; a hash's fingerprint as it is (it is no
/// YAML for anyone to parse, and quotes would only hide it).
fn shown_text(field: Field, value: &Option<Value>) -> String {
    match shown(field, value) {
        Some(Value::Str(short)) if field == Field::Hash => short,
        other => value_text(&other),
    }
}

/// The readable plan: one line per key, then one per changed field.
fn plan_text(plan: &Plan, summary: bool) -> String {
    let mut out = String::new();
    for step in &plan.steps {
        match step.action {
            Action::Create => {
                let how = if step.generate {
                    "a new secret, printed once"
                } else {
                    "the provided hash"
                };
                out.push_str(&format!("+ create {} (with {how})\n", step.key));
                for c in &step.changes {
                    out.push_str(&format!(
                        "    {}: {}\n",
                        c.field,
                        shown_text(c.field, &c.new)
                    ));
                }
            }
            Action::Update => {
                out.push_str(&format!("~ update {}\n", step.key));
                for c in &step.changes {
                    out.push_str(&format!(
                        "    {}: {} -> {}\n",
                        c.field,
                        shown_text(c.field, &c.old),
                        shown_text(c.field, &c.new)
                    ));
                }
            }
            Action::Delete => out.push_str(&format!("- delete {}\n", step.key)),
        }
    }
    if summary {
        let line = if plan.is_empty() {
            no_changes(plan)
        } else {
            format!("Plan: {}.", counts(plan))
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn counts(plan: &Plan) -> String {
    format!(
        "{} to create, {} to update, {} to delete, {} unchanged",
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Delete),
        plan.unchanged.len()
    )
}

fn done(plan: &Plan) -> String {
    format!(
        "Applied: {} created, {} updated, {} deleted, {} unchanged.",
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Delete),
        plan.unchanged.len()
    )
}

fn no_changes(plan: &Plan) -> String {
    match plan.unchanged.len() {
        1 => "No changes: the 1 key of the desired state already matches.".to_string(),
        n => format!("No changes: the {n} keys of the desired state already match."),
    }
}
