//! What every command needs, decided once from the global options and the environment
//! ([`Context`]), how a refused key definition names its flag ([`flag_error`]; the rules
//! themselves are crate::keys::definition's), and the hints for a file that is not there.

use crate::cli::args::Global;
use crate::cli::output::{ColorChoice, Format};
use crate::error::{Error, Result};
use crate::store::{Location, Store};
use crate::time::Clock;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// What every command needs, decided once from the global options and the environment.
pub(crate) struct Context {
    pub location: Location,
    /// How the file was chosen, for messages: `--tenant acmee under --root tenants`.
    pub origin: String,
    pub format: Format,
    /// Colour on stdout.
    pub color: bool,
    pub(crate) clock: Clock,
    pub lock_timeout: Duration,
    /// May we prompt? Only with a terminal on stdin and stderr, and CI unset.
    pub interactive: bool,
    /// Why not, when not: for the message that asks for --yes.
    pub why_no_prompt: &'static str,
    /// Standard output was closed when the process started ([`crate::cli::Launch`]).
    pub stdout_closed: bool,
    /// The root was named (--root or TOKENCTL_ROOT), not the default `./tenants`.
    pub root_named: bool,
    /// The operator's policy files: `<root>/policy.yml` under a root, and `--policy`.
    pub policy: Vec<crate::store::policy::PolicyFile>,
}

impl Context {
    /// The context of a command; `serve` takes `--file` and `--tenant` together (the file,
    /// served as that tenant).
    pub(crate) fn for_command(g: &Global, serve: bool) -> Result<Self> {
        let (file, tenant) = locating(g, serve)?;
        let by_file = file.is_some();
        let clock = clock()?;
        let lock_timeout = crate::time::parse_fixed_duration("--lock-timeout", &g.lock_timeout)?;
        // --color auto: the decision of every clap-based tool (anstream): NO_COLOR, then
        // CLICOLOR_FORCE, then CLICOLOR=0, then a terminal whose TERM is not dumb.
        let color_for = |auto: anstream::ColorChoice| match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => auto == anstream::ColorChoice::Always,
        };
        let color = color_for(anstream::AutoStream::choice(&std::io::stdout()));
        let color_err = color_for(anstream::AutoStream::choice(&std::io::stderr()));
        // The prompts (dialoguer, on stderr) follow the same decision.
        dialoguer::console::set_colors_enabled_stderr(color_err);
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
        Ok(Context {
            origin: origin(g, file.is_some()),
            location: Location {
                file,
                tenant,
                root: Some(g.root.clone()),
            },
            format: g.format,
            color,
            clock,
            lock_timeout,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !ci,
            why_no_prompt: if !std::io::stdin().is_terminal() {
                "stdin is not a terminal"
            } else if !std::io::stderr().is_terminal() {
                "stderr is not a terminal"
            } else {
                "CI is set"
            },
            stdout_closed: false,
            root_named: g.root_origin != crate::cli::args::Origin::Default,
            policy: policy_files(g, by_file),
        })
    }

    pub(crate) fn path(&self) -> Result<PathBuf> {
        self.location.resolve()
    }

    /// The store of the file the options name; its warnings go to stderr, and its writes
    /// are judged by the operator's policy files as well as the file's own policy.
    pub(crate) fn store(&self) -> Result<Store> {
        Ok(Store::at(&self.location, self.lock_timeout)?
            .with_warnings(crate::text::print_warning)
            .with_policy(self.policy.clone(), Some(self.clock.now())))
    }

    /// The operator's policies, each file read once now: `<root>/policy.yml` and `--policy`;
    /// for a file named outside the root (`check PATH`, `diff OLD NEW`) only `--policy`.
    pub(crate) fn operator_policy(
        &self,
        outside_root: bool,
    ) -> Result<Vec<crate::keys::policy::Source>> {
        let files: Vec<_> = self
            .policy
            .iter()
            .filter(|f| !outside_root || f.required)
            .cloned()
            .collect();
        crate::store::policy::read_all(&files)
    }

    /// The policy in force for `file` at `path`: its own section merged with `operator`
    /// ([`Context::operator_policy`]).
    pub(crate) fn effective_policy(
        &self,
        file: &crate::model::SecurityFile,
        path: &std::path::Path,
        operator: &[crate::keys::policy::Source],
    ) -> crate::keys::policy::Effective {
        crate::keys::policy::Effective::of(
            file,
            &path.display().to_string(),
            operator,
            self.clock.now(),
        )
    }

    /// Reads the file for a reading command: a missing file is an error naming the path, how
    /// it was chosen and the nearest tenant, never an empty list (a mistyped tenant in a CI
    /// job must fail, not succeed doing nothing).
    pub(crate) fn read_existing(&self, store: &Store) -> Result<crate::document::Document> {
        let doc = store.read()?;
        if doc.missing {
            return Err(self.missing_file(store.path()));
        }
        Ok(doc)
    }

    /// [`Context::read_existing`] for a reader of the keys alone ([`Store::read_keys`]).
    pub(crate) fn read_existing_keys(&self, store: &Store) -> Result<crate::model::SecurityFile> {
        store
            .read_keys()?
            .ok_or_else(|| self.missing_file(store.path()))
    }

    /// Fails, as [`Context::read_existing`] would, when the file does not exist: for
    /// commands that change an existing key, before the lock creates any folder.
    pub(crate) fn require_file(&self, store: &Store) -> Result<()> {
        match std::fs::metadata(store.path()) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(self.missing_file(store.path()))
            }
            _ => Ok(()),
        }
    }

    /// Refuses, before anything is written, a write that would create a new tenant's file
    /// unless `new_tenant` (`--new-tenant`) says so: a mistyped `--tenant`, or a run from the
    /// wrong folder, must not make a tenant no server reads. The first tenant under a root
    /// named with --root or TOKENCTL_ROOT that holds no tenant yet needs no flag. A --file is
    /// the operator's own path and is never refused.
    pub(crate) fn allow_new_tenant(&self, new_tenant: bool) -> Result<()> {
        let (None, Some(tenant), Some(root)) = (
            &self.location.file,
            &self.location.tenant,
            &self.location.root,
        ) else {
            return Ok(());
        };
        let path = self.path()?;
        // Only a file that is not there at all is a new tenant; anything else (a tenant
        // "folder" that is a file) is left to the write, which says what is wrong.
        let absent = matches!(std::fs::symlink_metadata(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound);
        if new_tenant || !absent {
            return Ok(());
        }
        let tenants = crate::tenants::tenants_under(root);
        if self.root_named && tenants.is_empty() {
            return Ok(());
        }
        let hint = if let Some(near) =
            crate::names::nearest(tenant, tenants.iter().map(String::as_str))
        {
            format!("did you mean --tenant {near}? To create tenant '{tenant}', add --new-tenant")
        } else if !self.root_named {
            format!(
                "to create it, add --new-tenant, or name the root with --root DIR (or \
                 TOKENCTL_ROOT) if {} is not it",
                root.display()
            )
        } else {
            format!(
                "the tenants there are {}; to create tenant '{tenant}', add --new-tenant",
                tenants.join(", ")
            )
        };
        Err(Error::MissingFile {
            path,
            message: format!("no such tenant ({}); {hint}", self.origin),
        })
    }

    /// The error for a file that does not exist: the path, how it was chosen, and what to do
    /// (the nearest tenant or file when the name looks mistyped).
    pub(crate) fn missing_file(&self, path: &std::path::Path) -> Error {
        let mut hint = None;
        match (
            &self.location.file,
            &self.location.tenant,
            &self.location.root,
        ) {
            (None, Some(tenant), Some(root)) => {
                let tenants = crate::tenants::tenants_under(root);
                if let Some(near) =
                    crate::names::nearest(tenant, tenants.iter().map(String::as_str))
                {
                    hint = Some(format!("did you mean --tenant {near}?"));
                } else if !root.is_dir() {
                    hint = Some(format!(
                        "the folder {} does not exist either: run tokenctl from the folder \
                         that holds it, or give --root (or TOKENCTL_ROOT)",
                        root.display()
                    ));
                } else if !tenants.is_empty() {
                    hint = Some(format!("the tenants there are {}", tenants.join(", ")));
                }
            }
            (Some(file), _, _) => {
                let dir = file.parent().filter(|p| !p.as_os_str().is_empty());
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                let files = crate::tenants::yaml_files_in(dir.unwrap_or(std::path::Path::new(".")));
                if let Some(near) =
                    name.and_then(|n| crate::names::nearest(&n, files.iter().map(String::as_str)))
                {
                    let near = dir.map_or(near.clone().into(), |d| d.join(&near));
                    hint = Some(format!("did you mean {}?", near.display()));
                }
            }
            _ => {}
        }
        let hint = hint.unwrap_or_else(|| "`tokenctl create NAME` creates it".into());
        Error::MissingFile {
            path: path.to_path_buf(),
            message: format!("no such file ({}); {hint}", self.origin),
        }
    }

    /// Says on stderr that a write created the file.
    pub(crate) fn say_created(&self, path: &std::path::Path) {
        self.say(format!("Created {}", path.display()));
    }

    /// A short name for the file in messages: the tenant, or the path.
    pub(crate) fn file_label(&self) -> String {
        match (&self.location.file, &self.location.tenant) {
            (None, Some(t)) => t.clone(),
            _ => self
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        }
    }

    /// A message for the operator on stderr, secrets redacted and control characters
    /// visible ([`crate::text::message`]).
    pub(crate) fn say(&self, message: impl AsRef<str>) {
        eprintln!("{}", crate::text::message(message.as_ref()));
    }

    /// A table for people: `table`, or `wide` (every column, whatever the terminal's width).
    pub(crate) fn is_table(&self) -> bool {
        matches!(self.format, Format::Table | Format::Wide)
    }

    /// `-o wide`: tables keep every column.
    pub(crate) fn is_wide(&self) -> bool {
        self.format == Format::Wide
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

/// The `--file` and `--tenant` that locate the file, by where each came from
/// (docs/FORMAT.md, "Where the file is"): a flag on the command line beats any environment
/// variable, so `--tenant` beats `TOKENCTL_FILE`; both flags are a usage error, except for
/// `serve` (the file served as that tenant); both from the environment, the file wins.
fn locating(g: &Global, serve: bool) -> Result<(Option<PathBuf>, Option<String>)> {
    use crate::cli::args::Origin::{CommandLine, Env};
    match (g.file_origin, g.tenant_origin) {
        (CommandLine, CommandLine) if !serve => Err(Error::Usage(format!(
            "--file {} and --tenant {} both name the file: give one of them (--file PATH, or \
             --tenant NAME under --root DIR)",
            g.file
                .as_deref()
                .unwrap_or_else(|| std::path::Path::new(""))
                .display(),
            g.tenant.as_deref().unwrap_or_default()
        ))),
        (Env, CommandLine) => Ok((None, g.tenant.clone())),
        _ => Ok((g.file.clone(), g.tenant.clone())),
    }
}

/// The operator's policy files (docs/FORMAT.md, "Policy"): `<root>/policy.yml` when the
/// file is found under the root (not with --file), then `--policy` (or TOKENCTL_POLICY).
fn policy_files(g: &Global, by_file: bool) -> Vec<crate::store::policy::PolicyFile> {
    use crate::store::policy::PolicyFile;
    let mut files = Vec::new();
    if !by_file {
        files.push(PolicyFile {
            path: g.root.join("policy.yml"),
            required: false,
            kept: false,
        });
    }
    if let Some(path) = &g.policy {
        files.push(PolicyFile {
            path: path.clone(),
            required: true,
            kept: false,
        });
    }
    files
}

/// How the global options chose the file, in words for messages.
fn origin(g: &Global, by_file: bool) -> String {
    use crate::cli::args::Origin::Env;
    if let (true, Some(file)) = (by_file, &g.file) {
        return if g.file_origin == Env {
            format!("TOKENCTL_FILE={}", file.display())
        } else {
            format!("--file {}", file.display())
        };
    }
    let Some(tenant) = &g.tenant else {
        return "no --file or --tenant".into();
    };
    let tenant = if g.tenant_origin == Env {
        format!("TOKENCTL_TENANT={tenant}")
    } else {
        format!("--tenant {tenant}")
    };
    let root = if g.root_origin == Env {
        format!("TOKENCTL_ROOT={}", g.root.display())
    } else {
        format!("--root {}", g.root.display())
    };
    format!("{tenant} under {root}")
}

/// The command line as the user typed it, with `--yes` added: the suggestion of a refusal
/// to ask without a terminal keeps every flag the user gave (`--ignore-missing`, `-t acme`).
/// Words a shell would split or expand are single-quoted.
pub(crate) fn command_with_yes() -> String {
    let quote = |w: String| {
        let plain = !w.is_empty()
            && w.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | '@' | '%' | '+' | ',')
            });
        if plain {
            w
        } else {
            format!("'{}'", w.replace('\'', r"'\''"))
        }
    };
    let words: Vec<String> = std::iter::once("tokenctl".to_string())
        .chain(std::env::args().skip(1).map(quote))
        .chain(std::iter::once("--yes".to_string()))
        .collect();
    words.join(" ")
}

/// Lets a large loaded file go without freeing it piece by piece: the command is about to
/// return and the process to exit, which frees it all at once. (A tenth of `verify`'s time
/// on 10,000 keys was spent in destructors.) Only for the ends of read-only commands, never
/// in the store, which long-running library users call in a loop.
pub(crate) fn leak_at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// A refused key definition (crate::keys::definition) as a usage error naming the flag the
/// value came from (`--allow-ip: invalid address range "10.0.0.0/33": ...`). `flag` names
/// the flags where they differ from [`flag_of`]'s (`update --add-permission`).
pub(crate) fn flag_error(e: crate::keys::FieldError, flag: Option<&str>) -> Error {
    Error::Usage(e.message(flag.unwrap_or(flag_of(e.field))))
}

/// The flag of `create` and `update` that gives a field.
pub(crate) fn flag_of(field: crate::model::Field) -> &'static str {
    use crate::model::Field;
    match field {
        Field::Name => "NAME",
        Field::Description => "--description",
        Field::Owner => "--owner",
        Field::Enabled => "--disable",
        Field::Permissions => "--permission",
        Field::ExpiresAt => "--expires",
        Field::AllowedIps => "--allow-ip",
        Field::PathPrefix => "--path-prefix",
        Field::Resources => "--resource",
        Field::Hash => "--secret-stdin",
        Field::CreatedAt | Field::PreviousHashes => "(set by tokenctl)",
    }
}
