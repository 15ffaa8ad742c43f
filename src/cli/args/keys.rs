//! The arguments of the commands on single keys: create, list, show, update, delete, rename
//! and rotate.

use super::{SecretOutput, WriteOpts};
use crate::cli::completion;
use clap::{Args, ValueHint};

#[derive(Debug, Args)]
pub struct KeyDefinition {
    /// Grant a permission scope (repeatable): dns:read, dns:*, *.
    #[arg(long = "permission", short = 'p', value_name = "SCOPE", add = completion::scopes())]
    pub permissions: Vec<String>,
    /// Free text saying what the key is for.
    #[arg(long)]
    pub description: Option<String>,
    /// Who the key belongs to, a team or a contact (1 to 128 printable characters).
    #[arg(long, value_name = "OWNER")]
    pub owner: Option<String>,
    /// Expiry: a duration from now (30d, 3mo, 1y; units y, mo, w, d, h, min, s, ms), a date (2027-01-01), an RFC 3339 time, or never.
    #[arg(long, value_name = "WHEN", value_hint = ValueHint::Other, add = completion::expiry_presets())]
    pub expires: Option<String>,
    /// Create the key disabled.
    #[arg(long)]
    pub disabled: bool,
    /// Allow use only from this address range (repeatable), e.g. 203.0.113.0/24.
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub allow_ips: Vec<String>,
    /// Allow use only on paths starting with this (=/x: exactly /x).
    #[arg(long, value_name = "PATH")]
    pub path_prefix: Option<String>,
    /// Allow use only on this resource (repeatable).
    #[arg(long = "resource", value_name = "NAME")]
    pub resources: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The key's name (1 to 64 of A-Z a-z 0-9 - _ and .); several names create one key each
    /// with the same definition, in one write; none at a terminal opens a form.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub def: KeyDefinition,
    /// Read the secret from stdin instead of generating one (32 to 512 printable ASCII
    /// characters, no whitespace).
    #[arg(long)]
    pub secret_stdin: bool,
    #[command(flatten)]
    pub out: SecretOutput,
    /// Never prompt: without NAME, fail instead of opening the form.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Succeed without a word on stdout when the key exists already (leaving it as it is).
    #[arg(long)]
    pub if_missing: bool,
    /// Allow creating the file of a tenant that does not exist yet (--tenant only; not
    /// needed for the first tenant under a --root or TOKENCTL_ROOT that holds none).
    #[arg(long)]
    pub new_tenant: bool,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only keys whose expiry has passed.
    #[arg(long)]
    pub expired: bool,
    /// Only keys that expire within this duration (and have not yet), e.g. 7d; units y, mo, w, d, h, min, s, ms.
    #[arg(long, value_name = "DURATION", value_hint = ValueHint::Other, add = completion::durations())]
    pub expiring_within: Option<String>,
    /// Only keys not used within this duration (or never used), e.g. 30d; units y, mo, w, d, h, min, s, ms.
    #[arg(long, value_name = "DURATION", value_hint = ValueHint::Other, add = completion::durations())]
    pub unused_since: Option<String>,
    /// Only enabled keys.
    #[arg(long, conflicts_with = "disabled")]
    pub enabled: bool,
    /// Only disabled keys.
    #[arg(long)]
    pub disabled: bool,
    /// Print only the names, one a line (for xargs); every filter applies.
    #[arg(long, short = 'q')]
    pub names: bool,
    /// List a file that does not exist (with --all-tenants: a root that holds no tenant) as
    /// empty instead of failing (exit 1).
    #[arg(long)]
    pub missing_ok: bool,
    /// Only keys that grant this permission (as the scope itself, `*` or `resource:*`).
    #[arg(long, value_name = "SCOPE")]
    pub permission: Option<String>,
    /// Only keys with no allowedIps, pathPrefix or resources restriction.
    #[arg(long)]
    pub unrestricted: bool,
    /// The keys of every tenant under --root, with a TENANT column (--file and --tenant are ignored).
    #[arg(long)]
    pub all_tenants: bool,
    /// Only keys that break the policy in force (the file's policy:, <root>/policy.yml,
    /// --policy), one row per broken rule with what would satisfy it; with -q their names.
    #[arg(long, conflicts_with = "usage_from")]
    pub policy_violations: bool,
    /// Also take LAST USED from the fleet: a Prometheus (base URL) scraping gates run with
    /// --metrics-keys; the later of its time and security.usage.yml's wins.
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub usage_from: Option<String>,
    /// Read the bearer token for the Prometheus of --usage-from from this file (its first line;
    /// never give a token on the command line).
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath, requires = "usage_from")]
    pub prometheus_token_file: Option<std::path::PathBuf>,
    /// The tenant's name as the gates report it (default: --tenant, or `default` for --file).
    #[arg(
        long,
        value_name = "NAME",
        requires = "usage_from",
        conflicts_with = "all_tenants"
    )]
    pub tenant_label: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The key's name.
    #[arg(add = completion::key_names())]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The key's name.
    #[arg(add = completion::key_names())]
    pub name: String,
    /// Enable the key.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable the key (it stops working at once).
    #[arg(long)]
    pub disable: bool,
    /// Replace the permissions with these (repeatable).
    #[arg(long = "permission", short = 'p', value_name = "SCOPE", conflicts_with_all = ["add_permissions", "remove_permissions"], add = completion::scopes())]
    pub permissions: Vec<String>,
    /// Remove every permission.
    #[arg(long, conflicts_with = "permissions")]
    pub clear_permissions: bool,
    /// Add a permission (repeatable).
    #[arg(long = "add-permission", value_name = "SCOPE", add = completion::scopes())]
    pub add_permissions: Vec<String>,
    /// Remove a permission (repeatable).
    #[arg(long = "remove-permission", value_name = "SCOPE", add = completion::scopes())]
    pub remove_permissions: Vec<String>,
    /// New description ("" removes it).
    #[arg(long)]
    pub description: Option<String>,
    /// New owner, a team or a contact (1 to 128 printable characters).
    #[arg(long, value_name = "OWNER", conflicts_with = "clear_owner")]
    pub owner: Option<String>,
    /// Remove the owner.
    #[arg(long)]
    pub clear_owner: bool,
    /// New expiry: a duration from now (30d, 3mo, 1y; units y, mo, w, d, h, min, s, ms), a date (2027-01-01), an RFC 3339 time, or never.
    #[arg(long, value_name = "WHEN", value_hint = ValueHint::Other, add = completion::expiry_presets())]
    pub expires: Option<String>,
    /// Also allow use from this address range (repeatable), e.g. 203.0.113.0/24.
    #[arg(
        long = "allow-ip",
        value_name = "CIDR",
        conflicts_with = "clear_allow_ips"
    )]
    pub allow_ips: Vec<String>,
    /// Stop allowing this address range (repeatable; not the last one: see --clear-allow-ips).
    #[arg(
        long = "remove-allow-ip",
        value_name = "CIDR",
        conflicts_with = "clear_allow_ips"
    )]
    pub remove_allow_ips: Vec<String>,
    /// Lift the address restriction: the key may be used from any address.
    #[arg(long)]
    pub clear_allow_ips: bool,
    /// Allow use only on paths starting with this (=/x: exactly /x), replacing any prefix.
    #[arg(long, value_name = "PATH", conflicts_with = "clear_path_prefix")]
    pub path_prefix: Option<String>,
    /// Lift the path restriction: the key may be used on any path.
    #[arg(long)]
    pub clear_path_prefix: bool,
    /// Also allow use on this resource (repeatable).
    #[arg(
        long = "resource",
        value_name = "NAME",
        conflicts_with = "clear_resources"
    )]
    pub resources: Vec<String>,
    /// Stop allowing this resource (repeatable; not the last one: see --clear-resources).
    #[arg(
        long = "remove-resource",
        value_name = "NAME",
        conflicts_with = "clear_resources"
    )]
    pub remove_resources: Vec<String>,
    /// Lift the resource restriction: the key may be used on any resource.
    #[arg(long)]
    pub clear_resources: bool,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The key's name (several: all of them in one write, or none).
    #[arg(value_name = "NAME", required_unless_present = "all", conflicts_with = "all", add = completion::key_names())]
    pub names: Vec<String>,
    /// Delete every key in the file.
    #[arg(long)]
    pub all: bool,
    /// Succeed (exit 0) when the key, or the file, is not there.
    #[arg(long)]
    pub ignore_missing: bool,
    /// Do not ask (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The key's name now.
    #[arg(value_name = "OLD", add = completion::key_names())]
    pub old: String,
    /// The name it is to have.
    #[arg(value_name = "NEW")]
    pub new: String,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key's name.
    #[arg(add = completion::key_names())]
    pub name: String,
    /// Keep the old secret valid this long, e.g. 24h; units y, mo, w, d, h, min, s, ms.
    #[arg(long, value_name = "DURATION", value_hint = ValueHint::Other, add = completion::durations())]
    pub grace: Option<String>,
    /// End the grace period of an earlier rotation now: its old secrets stop working; the key
    /// keeps its current secret (none is made). Once `rollout status` says every server has
    /// the new hash.
    #[arg(long, conflicts_with_all = ["grace", "copy", "copy_for", "quiet"])]
    pub end_grace: bool,
    #[command(flatten)]
    pub out: SecretOutput,
    #[command(flatten)]
    pub write: WriteOpts,
}
