//! The command line, as clap derive types only: no I/O here.

use crate::cli::completion;
use crate::cli::output::{ColorChoice, Format};
use clap::{Args, Parser, Subcommand, ValueHint};
use std::path::PathBuf;

mod files;
mod fleet;
mod keys;
mod serve;

pub(crate) use files::{
    ApplyArgs, CheckArgs, DiffArgs, ExportArgs, ExportKind, FailOn, PolicyAction, PolicyArgs,
    ScanArgs, SchemaArgs, VerifyArgs,
};
pub(crate) use fleet::{RolloutAction, RolloutArgs};
pub(crate) use keys::{
    CreateArgs, DeleteArgs, KeyDefinition, ListArgs, RenameArgs, RotateArgs, ShowArgs, UpdateArgs,
};
pub(crate) use serve::ServeArgs;

/// The root command's examples (also in its `--help`, before the exit codes).
const ROOT_EXAMPLES: &str = "Examples:\n  tokenctl --tenant acme create ci-deploy --permission dns:write --expires 90d\n  tokenctl --tenant acme list --expiring-within 14d\n  printf '%s' \"$TOKEN\" | tokenctl --tenant acme verify --permission dns:write";

/// Manage hashed API keys in a per-tenant security.yml.
///
/// tokenctl creates API keys (bearer tokens), printing each secret exactly once and storing
/// only its SHA-256 in security.yml, the file servers read to authenticate requests. It
/// lists, shows, updates, rotates and deletes keys, verifies a token and says why one fails,
/// validates the file, and makes it match a desired state. Every write is locked and atomic
/// and changes only the bytes it is about: comments, order and other tools' sections stay.
///
/// The file is --file PATH, or <root>/<tenant>/security.yml for --tenant TENANT under --root
/// DIR (default ./tenants). A flag on the command line beats any environment variable:
/// --tenant beats TOKENCTL_FILE; --file and --tenant both on the command line is a usage
/// error (except for serve, which serves PATH as tenant TENANT); both from the environment,
/// the file wins. Messages go to stderr, data to stdout; no command waits for input when
/// stdin is not a terminal.
#[derive(Debug, Parser)]
#[command(name = "tokenctl", version, about)]
#[command(
    after_help = ROOT_EXAMPLES,
    after_long_help = crate::cli::manual::with_exit_codes(ROOT_EXAMPLES)
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes (shown under "Global options", after each command's own).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The security.yml to use (instead of --tenant; a --tenant flag beats TOKENCTL_FILE).
    #[arg(
        long,
        global = true,
        env = "TOKENCTL_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub file: Option<PathBuf>,
    /// Tenant whose <root>/<tenant>/security.yml to use.
    #[arg(
        long,
        short = 't',
        global = true,
        env = "TOKENCTL_TENANT",
        hide_env_values = true,
        value_name = "TENANT",
        add = completion::tenants()
    )]
    pub tenant: Option<String>,
    /// Folder holding one folder per tenant.
    #[arg(
        long,
        global = true,
        env = "TOKENCTL_ROOT",
        hide_env_values = true,
        value_name = "DIR",
        default_value = "tenants"
    )]
    pub root: PathBuf,
    /// An operator's policy file, merged with <root>/policy.yml and the file's own policy:
    /// section; the tightest rule wins, so no file can loosen another.
    #[arg(
        long,
        global = true,
        env = "TOKENCTL_POLICY",
        hide_env_values = true,
        value_name = "FILE",
        value_hint = ValueHint::FilePath
    )]
    pub policy: Option<PathBuf>,
    /// Output format for data on stdout.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// When to use colour (auto honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// How long to wait for another tokenctl's lock on the file, e.g. 10s; units ms, s, m or min, h.
    #[arg(long, global = true, value_name = "DURATION", value_hint = ValueHint::Other, default_value = "10s")]
    pub lock_timeout: String,
    // The tests' clock is no option: it is env TOKENCTL_NOW, read only by test builds
    // (`commands::Context`), so the command line is the same in every build.
    /// Where --file came from (filled by [`Cli::from_matches`]).
    #[arg(skip)]
    pub file_origin: Origin,
    /// Where --tenant came from.
    #[arg(skip)]
    pub tenant_origin: Origin,
    /// Where --root came from.
    #[arg(skip)]
    pub root_origin: Origin,
}

/// Where an option's value came from: a flag on the command line beats the environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// Not given, or clap's default.
    #[default]
    Default,
    /// Its environment variable.
    Env,
    /// A flag on the command line.
    CommandLine,
}

impl Origin {
    fn of(matches: &clap::ArgMatches, id: &str) -> Origin {
        match matches.value_source(id) {
            Some(clap::parser::ValueSource::CommandLine) => Origin::CommandLine,
            Some(clap::parser::ValueSource::EnvVariable) => Origin::Env,
            _ => Origin::Default,
        }
    }
}

impl Cli {
    /// The command line from clap's matches, with where each locating option came from
    /// (which `conflicts_with` cannot tell: it counts environment values as given).
    pub fn from_matches(matches: &clap::ArgMatches) -> Result<Cli, clap::Error> {
        use clap::FromArgMatches;
        let mut cli = Cli::from_arg_matches(matches)?;
        cli.global.file_origin = Origin::of(matches, "file");
        cli.global.tenant_origin = Origin::of(matches, "tenant");
        cli.global.root_origin = Origin::of(matches, "root");
        Ok(cli)
    }

    /// Parses the process's arguments (see [`Cli::from_matches`]).
    pub fn try_parse_args() -> Result<Cli, clap::Error> {
        use clap::CommandFactory;
        Cli::from_matches(&Cli::command().try_get_matches()?)
    }
}

/// Options of every command that writes the file.
#[derive(Debug, Args, Clone, Default)]
pub struct WriteOpts {
    /// Write only if the file's SHA-256 is still this, else exit 6: `sha256sum`'s line, its 64 hex digits, or sha256:HEX.
    #[arg(long, value_name = "SHA256", value_parser = file_digest)]
    pub if_unchanged: Option<String>,
    /// Give the file written this owner (a user name or id); set on the new file before it
    /// replaces the old one, never by name afterwards. Root only.
    #[arg(long, value_name = "USER")]
    pub file_owner: Option<String>,
    /// Give the file written this group (a group name or id), as --file-owner does.
    #[arg(long, value_name = "GROUP")]
    pub file_group: Option<String>,
    /// Give the file written this mode (octal, like 0600), as --file-owner does.
    #[arg(long, value_name = "MODE")]
    pub file_mode: Option<String>,
}

impl WriteOpts {
    /// The owner, group and mode asked for, checked and looked up.
    pub fn attrs(&self) -> crate::Result<crate::store::FileAttrs> {
        Ok(crate::store::FileAttrs {
            owner: self
                .file_owner
                .as_deref()
                .map(|u| crate::store::lookup_id("--file-owner", "user", u))
                .transpose()?,
            group: self
                .file_group
                .as_deref()
                .map(|g| crate::store::lookup_id("--file-group", "group", g))
                .transpose()?,
            mode: self.file_mode.as_deref().map(parse_mode).transpose()?,
        })
    }
}

/// `0640`, `640`: permission bits in octal, at most 0777.
fn parse_mode(text: &str) -> crate::Result<u32> {
    u32::from_str_radix(text.strip_prefix("0o").unwrap_or(text), 8)
        .ok()
        .filter(|m| !text.is_empty() && *m <= 0o777)
        .ok_or_else(|| {
            crate::Error::Usage(format!(
                "--file-mode {text:?} is not a mode: give octal permission bits from 0000 to 0777, like 0600"
            ))
        })
}

/// A file's SHA-256 as a user has it at hand: `sha256sum`'s `<hex>  <file>` line (so that
/// `--if-unchanged "$(sha256sum security.yml)"` works), its 64 hex digits alone, or
/// `sha256:<hex>` as tokenctl prints it. The value is `sha256:<64 lowercase hex>`.
pub(crate) fn file_digest(text: &str) -> Result<String, String> {
    let hex = text.strip_prefix("sha256:").unwrap_or(text);
    // sha256sum: `<hex>  <file>` (two spaces; ` *` in binary mode).
    let hex = match hex.split_once(' ') {
        Some((h, file)) if !file.trim().is_empty() => h,
        Some(_) => hex.trim_end(),
        None => hex,
    };
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(format!("sha256:{}", hex.to_ascii_lowercase()));
    }
    Err(
        "not a SHA-256: give the file's as `sha256sum security.yml` prints it, its 64 hex \
         digits alone, or sha256:<64 hex digits>"
            .into(),
    )
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a key and print its secret once.
    ///
    /// Generates a secret from the operating system's random source, stores its SHA-256 in
    /// the file and prints the secret once on stdout; it is not saved anywhere else. Several
    /// names create one key each with the same definition, in one write (all or none), and
    /// print one `NAME SECRET` line each. Without NAME at a terminal, a form asks for
    /// everything. The file and its folder are created (0600, 0700) when missing.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme create ci-deploy --permission dns:write --expires 90d\n  tokenctl -t acme create alice bob carol --permission dns:read --expires 30d\n  (umask 077; tokenctl -t acme create grafana --permission dns:read --allow-ip 10.0.0.0/8 --quiet > secret.txt)\n  vault read -field=token secret/x | tokenctl -t acme create imported --secret-stdin\n  tokenctl -t acme create ci-deploy --if-missing --quiet   # idempotent: prints nothing if it exists"
    )]
    Create(CreateArgs),
    /// List keys, most recently used first (never a hash or a secret).
    ///
    /// Joins the usage file (security.usage.yml) in for LAST USED. The table fits the
    /// terminal and marks keys restricted by allowedIps, pathPrefix or resources under LIMITS;
    /// --format json and yaml keep stable field names. A missing file is an error (exit 1)
    /// unless --missing-ok is given.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme list\n  tokenctl -t acme list --expiring-within 14d --format json\n  tokenctl -t acme list --unused-since 90d"
    )]
    List(ListArgs),
    /// Show one key's definition and usage.
    ///
    /// Every field but the hash: fingerprint, description, owner, state, permissions, dates (with
    /// how long ago or how soon), restrictions, last use and old secrets still valid.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme show ci-deploy\n  tokenctl -t acme show ci-deploy --format json"
    )]
    Show(ShowArgs),
    /// Change a key's permissions, state, description, owner, expiry or restrictions.
    ///
    /// The name and the secret never change (use rotate for a new secret). Only the fields
    /// given are written; stderr says what changed, old -> new. Removing the last allowed
    /// address or resource is refused (the key could not be used); --clear-allow-ips,
    /// --clear-path-prefix and --clear-resources lift a restriction and say so.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme update ci-deploy --disable\n  tokenctl -t acme update ci-deploy --add-permission dns:read --expires 30d\n  tokenctl -t acme update ci-deploy --permission dns:write --permission domains:read\n  tokenctl -t acme update ci-deploy --allow-ip 10.0.0.0/8 --remove-allow-ip 192.0.2.0/24"
    )]
    Update(UpdateArgs),
    /// Delete a key (or every key with --all); it stops working at once.
    ///
    /// Several names are deleted in one write, all or none. At a terminal it asks first
    /// (answering no exits 9, "Nothing deleted."); elsewhere it needs --yes.
    /// --ignore-missing makes a key, or a file, that is not there a success.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme delete old-key            # asks first at a terminal\n  tokenctl -t acme delete old-key --yes      # in scripts\n  tokenctl -t acme list -q --expired | xargs -r tokenctl -t acme delete --yes\n  tokenctl -t acme delete --all --yes        # revoke everything"
    )]
    Delete(DeleteArgs),
    /// Give a key a new secret, keeping its definition.
    ///
    /// The new secret is printed once. Without --grace the old secret stops working at once
    /// (a rotation is often a leak); with it, the old secret's hash is kept in
    /// previousHashes until then.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme rotate ci-deploy\n  tokenctl -t acme rotate ci-deploy --grace 24h --quiet"
    )]
    Rotate(RotateArgs),
    /// Rename a key: its secret, permissions and everything else stay.
    ///
    /// Refused when the new name is taken (exit 6). The key's record in the usage file
    /// (security.usage.yml) moves to the new name in the same locked write. Servers that
    /// name the key in logs or checks see the new name from then on.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme rename ci-deploy ci-deploy-old\n  tokenctl --root /etc/app/tenants -t acme rename grafana grafana-prod"
    )]
    Rename(RenameArgs),
    /// Verify a token read from stdin and say why it fails.
    ///
    /// Reads the token (or a whole Authorization value: Bearer, or Basic with the token as
    /// password) from stdin, never argv, and applies the rule servers use: exit 0 when
    /// valid, 4 when the token is rejected (HTTP 401: malformed, unknown, disabled, expired),
    /// 5 when it lacks what the request needs (HTTP 403: permission, IP, path, resource).
    #[command(
        after_help = "Examples:\n  printf '%s' \"$TOKEN\" | tokenctl -t acme verify\n  echo \"Bearer $TOKEN\" | tokenctl -t acme verify --permission dns:write --ip 203.0.113.7\n  tokenctl -t acme verify --record < token.txt"
    )]
    Verify(VerifyArgs),
    /// Validate a security.yml without changing it (exit 7 on problems).
    ///
    /// Reports YAML syntax, types, names, hash form, duplicate names and hashes, scopes the
    /// catalog lacks, CIDRs and a file others can read, one `file:line:col: problem` a line.
    /// It needs no tenant, so config management can run it on a temporary file. Warnings
    /// (--warn-expiring) print as `file:line:col: warning: ...` and exit 0, or 7 with --strict.
    #[command(
        after_help = "Examples:\n  tokenctl check tenants/acme/security.yml\n  tokenctl -t acme check --warn-expiring 14d            # warns; exit 0\n  tokenctl -t acme check --warn-expiring 14d --strict   # exit 7 on a warning too\n  # Ansible: validate: tokenctl check %s"
    )]
    Check(CheckArgs),
    /// Make the file's keys match a desired-state file (declarative; for config management).
    ///
    /// The desired state lists keys and the fields each wants; fields left out are left as
    /// they are, missing keys are created (a generated secret is printed once). The whole
    /// apply is one locked atomic write. --dry-run prints the plan and exits 8 when there is
    /// something to do; --prune also deletes keys the desired state lacks.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme apply -f keys.yml --dry-run     # show the plan; exit 8 if changes are pending\n  tokenctl -t acme apply -f keys.yml --format json # apply; JSON with changed: true|false\n  tokenctl -t acme apply -f keys.yml --prune --yes # also delete keys keys.yml lacks\n  render-keys | tokenctl -t acme apply -f -"
    )]
    Apply(ApplyArgs),
    /// Find tokenctl secrets in files or stdin and say whose each is (never printing them).
    ///
    /// Finds every token of tokenctl's form whose check digits match, in the files and
    /// folders given (walked as ripgrep walks them) or stdin, and looks its hash up: live,
    /// rotated (still in its grace period), disabled, expired, rotated out, ambiguous or
    /// unknown. Exit 10 when a live or rotated secret is found (--fail-on: also unknown ones,
    /// or any), 1 when a path could not be read or a tenant did not load, else 0.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme scan                          # the current folder, as ripgrep walks it\n  git log -p | tokenctl -t acme scan -            # every change ever committed\n  tokenctl --root config/tenants scan --all-tenants --format json src/ logs/"
    )]
    Scan(ScanArgs),
    /// Print the JSON Schema of security.yml (or of the desired state, or the API).
    ///
    /// Draft 2020-12, for editors and CI linters; the security.yml schema allows fields it
    /// does not know, as the file does. --openapi prints the OpenAPI 3.1 document of
    /// `tokenctl serve`.
    #[command(
        after_help = "Examples:\n  tokenctl schema > security.schema.json\n  tokenctl schema --desired > desired.schema.json\n  tokenctl schema --openapi > openapi.json"
    )]
    Schema(SchemaArgs),
    /// Show what changes between two versions of a file, key by key, and what widens.
    ///
    /// Per key: added, removed, rotated, renamed (the same hash under a new name) or
    /// changed, each field's change classified as widening (a scope added or made a
    /// wildcard, a restriction or an expiry lifted or loosened, a key enabled, a grace
    /// period given), narrowing or neutral; other tools' data is reported as changed, not
    /// judged. Never a hash or a secret. --format json, or markdown for a pull-request
    /// comment; --exit-code and --fail-on widening exit 11 for a CI check.
    #[command(
        after_help = "Examples:\n  tokenctl diff old/security.yml new/security.yml\n  tokenctl -t acme diff --git origin/main --format markdown > comment.md\n  tokenctl --root tenants diff --git HEAD~1 --all-tenants --fail-on widening"
    )]
    Diff(DiffArgs),
    /// policy show: the policy in force for a file, rule by rule, and where each comes from.
    ///
    /// The effective policy is the tightest merge of the file's own `policy:` section,
    /// <root>/policy.yml (with --tenant, not --file) and --policy (or TOKENCTL_POLICY): no
    /// source can loosen another. A create, or a change that widens a key, that breaks it
    /// is refused with exit 13 under `enforcement: enforce`, or warned of under `warn`; a
    /// change that only narrows is never refused. `check` and `list --policy-violations`
    /// report the keys that break it.
    #[command(
        after_help = "Examples:\n  tokenctl -t acme policy show\n  tokenctl -t acme --policy /etc/tokenctl/policy.yml policy show --format json"
    )]
    Policy(PolicyArgs),
    /// Print a Kubernetes Secret or ConfigMap holding the file byte for byte.
    ///
    /// A deterministic manifest (the same bytes for the same file) for `kubectl apply -f -`
    /// or a GitOps repository, with the file under the data key `security.yml` and its
    /// digest in the annotation `tokenctl/digest`. A Secret is the recommended form: the file
    /// is confidential, as /etc/shadow is. Mount the volume's folder, never with subPath (a
    /// subPath mount never sees an update).
    #[command(
        after_help = "Examples:\n  tokenctl -t acme export secret acme-keys --namespace gate | kubectl apply -f -\n  tokenctl -t acme export configmap acme-keys > deploy/acme-keys.yaml"
    )]
    Export(ExportArgs),
    /// rollout status: wait until every server serves the file as it is now.
    ///
    /// `rollout status` asks each server which version of the tenant's file it judges
    /// requests on, by its digest (sha256: and the SHA-256 of the file's bytes), and waits
    /// until every one serves the located file's (or the one --digest gives), polling every --interval
    /// until --timeout. Servers are metrics listeners named with --endpoint (their /healthz),
    /// or the targets a Prometheus scrapes (--prometheus: their tokenctl_file_info, and up for
    /// the ones that are down). A server that is down lags, unless --ignore-down; no server
    /// reporting the tenant is a failure, never a success. The digest matches only
    /// byte-identical copies: a template that adds a line, or git's autocrlf, never converges
    /// (docs/FLEET.md).
    #[command(
        after_help = "Examples:\n  tokenctl -t acme rollout status --prometheus http://prometheus:9090 --selector '{job=\"gate\"}'\n  tokenctl -t acme rollout status --endpoint http://10.0.0.5:9100 --endpoint http://10.0.0.6:9100 --timeout 2m\n  tokenctl --file security.yml rollout status --tenant-label acme --prometheus https://prom.example --prometheus-token-file /run/secrets/prom"
    )]
    Rollout(RolloutArgs),
    /// Serve the tenant admin REST API over the same files.
    #[cfg(feature = "serve")]
    #[command(
        after_help = "Examples:\n  tokenctl --root /srv/tenants serve --listen 127.0.0.1:8080\n  tokenctl --file security.yml --tenant acme serve --trust-proxy --record\n  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8080/api/acme/admin/apiKeys"
    )]
    Serve(ServeArgs),
    /// Print shell completions.
    ///
    /// The static scripts complete commands, flags and their fixed values. The dynamic
    /// completion (COMPLETE=bash|zsh|fish tokenctl) also completes key names, tenant names,
    /// scopes from the file's permissions catalog and expiry presets, from the files the line
    /// points at.
    #[command(
        after_help = "Examples:\n  tokenctl completions bash > /etc/bash_completion.d/tokenctl\n  tokenctl completions zsh > ~/.zfunc/_tokenctl\n  source <(COMPLETE=bash tokenctl)    # in ~/.bashrc: also key names, tenants, scopes\n  COMPLETE=fish tokenctl | source     # in ~/.config/fish/config.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    ///
    /// The pages are generated from the same definition as --help: tokenctl(1) and one
    /// tokenctl-<command>(1) per command, with exit status, environment and files.
    #[command(
        after_help = "Examples:\n  tokenctl man | man -l -\n  tokenctl man --dir /usr/local/share/man/man1"
    )]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct SecretOutput {
    /// Also copy the secret to the clipboard; it is cleared after 45s (see --copy-for).
    #[arg(long)]
    pub copy: bool,
    /// Copy, and clear the clipboard after this long instead of 45s (unless something else was copied since), e.g. 2m; units ms, s, m or min, h.
    #[arg(long, value_name = "DURATION", value_hint = ValueHint::Other)]
    pub copy_for: Option<String>,
    /// Print only the secret.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write tokenctl.1 and one page per subcommand into this folder instead of printing.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
