//! The arguments of the commands on a token or the file as a whole: verify, check, scan,
//! apply and schema.

use super::WriteOpts;
use crate::cli::completion;
use clap::{Args, ValueEnum, ValueHint};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Require this permission.
    #[arg(long, value_name = "SCOPE")]
    pub permission: Option<String>,
    /// The client's address.
    #[arg(long)]
    pub ip: Option<String>,
    /// The request path.
    #[arg(long)]
    pub path: Option<String>,
    /// The resource requested.
    #[arg(long)]
    pub resource: Option<String>,
    /// On success, record the use in security.usage.yml.
    #[arg(long)]
    pub record: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The file to check (default: the located security.yml).
    pub path: Option<PathBuf>,
    /// Also warn of keys that expire within this duration (e.g. 14d; units y, mo, w, d, h, min, s, ms), and expired keys; warnings exit 0 unless --strict.
    #[arg(long, value_name = "DURATION", value_hint = ValueHint::Other, add = completion::durations())]
    pub warn_expiring: Option<String>,
    /// Fail (exit 7) on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Check the security.yml of every tenant under --root.
    #[arg(long, conflicts_with = "path")]
    pub all_tenants: bool,
    /// The file is (or will be) mounted from a Kubernetes Secret or ConfigMap: warn as it
    /// nears their 1 MiB limit, and take a group-readable mode (defaultMode 0440) as right.
    /// Found by itself for a file behind a `..data` link, as the kubelet mounts one.
    #[arg(long)]
    pub k8s: bool,
    /// First rewrite what lies outside portable security.yml and can be rewritten without
    /// changing what any YAML library reads (quotes, uppercase T/Z, no !!str, aliases
    /// expanded, `apiKeys: {}`), as a proven write; then check.
    #[arg(long, conflicts_with = "all_tenants")]
    pub fix: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders to scan, `-` for stdin (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Look tokens up in every tenant under --root (--file and --tenant are ignored).
    #[arg(long)]
    pub all_tenants: bool,
    /// Also scan hidden files and folders, as `rg --hidden`.
    #[arg(long)]
    pub hidden: bool,
    /// Scan files that .gitignore, .ignore or git's excludes leave out, as `rg --no-ignore`.
    #[arg(long)]
    pub no_ignore: bool,
    /// Which findings make the exit code 10.
    #[arg(long, value_enum, default_value_t = FailOn::Live, value_name = "WHAT")]
    pub fail_on: FailOn,
}

/// Which tokens found make `scan` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// A secret that works: a live key's, or an old one in its rotation grace period.
    Live,
    /// Also a token of tokenctl's form that no key has (revoked, or another file's).
    Unknown,
    /// Any token of tokenctl's form, whatever its key's state.
    Any,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The desired-state file (`-` for stdin): `apiKeys:` of name -> fields, or name -> fields.
    #[arg(short = 'f', long = "desired", value_name = "DESIRED")]
    pub desired: PathBuf,
    /// Print the plan and change nothing; exit 8 when there is something to do.
    #[arg(long)]
    pub dry_run: bool,
    /// Also delete keys the desired state does not list.
    #[arg(long)]
    pub prune: bool,
    /// Do not ask before --prune deletes (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow creating the file of a tenant that does not exist yet (--tenant only; not
    /// needed for the first tenant under a --root or TOKENCTL_ROOT that holds none).
    #[arg(long)]
    pub new_tenant: bool,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of apply's desired-state file instead of security.yml's.
    #[arg(long)]
    pub desired: bool,
    /// The OpenAPI 3.1 document of `tokenctl serve`'s admin API instead.
    #[cfg(feature = "serve")]
    #[arg(long, conflicts_with = "desired")]
    pub openapi: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to print: a Secret (data in base64; the recommended form) or a ConfigMap (the
    /// text as it is; only when no key's secret was imported from elsewhere, docs/FLEET.md).
    #[arg(value_enum, value_name = "KIND")]
    pub kind: ExportKind,
    /// The object's name (metadata.name): lowercase letters, digits, '-' and '.'.
    pub name: String,
    /// The object's namespace (metadata.namespace); none: kubectl's current one.
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

/// What `export` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportKind {
    /// A Secret (`data`, base64): the recommended form.
    Secret,
    /// A ConfigMap (`data`, the text as it is).
    Configmap,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old and the new file (or, with --git, none: the located file against its version
    /// at REV).
    #[arg(value_name = "FILE", num_args = 0..=2, value_hint = ValueHint::FilePath)]
    pub files: Vec<PathBuf>,
    /// Compare the file as it is now with the file at this git revision (`git show
    /// REV:PATH` in the repository that holds it).
    #[arg(long, value_name = "REV")]
    pub git: Option<String>,
    /// With --git: every tenant's file under --root.
    #[arg(long, requires = "git")]
    pub all_tenants: bool,
    /// Exit 11 when there is any change.
    #[arg(long)]
    pub exit_code: bool,
    /// Exit 11 when something widens access (a key added, a scope added, a restriction or
    /// an expiry lifted or loosened, a key enabled, a grace period given).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub fail_on: Option<DiffFailOn>,
}

impl DiffArgs {
    /// `--fail-on widening`.
    pub(crate) fn fail_on_widening(&self) -> bool {
        self.fail_on == Some(DiffFailOn::Widening)
    }
}

/// What makes `diff` exit 11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFailOn {
    /// Something widens access.
    Widening,
}

/// What `policy` does: a positional, as `rollout status` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyAction {
    /// Print the effective policy: each rule, its value and the file it comes from.
    Show,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// What to do: `show` prints the policy in force for the located file.
    #[arg(value_enum, value_name = "ACTION")]
    pub action: PolicyAction,
}
