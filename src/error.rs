//! The library's error type and the exit code each error maps to (the README's "Exit codes").

use std::path::PathBuf;

/// The exit codes of the README.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const NO_SUCH_KEY: u8 = 3;
    pub const REJECTED: u8 = 4;
    pub const FORBIDDEN: u8 = 5;
    pub const CONFLICT: u8 = 6;
    pub const CHECK_FAILED: u8 = 7;
    pub const CHANGES_PENDING: u8 = 8;
    /// A confirmation was declined at a prompt; nothing changed (README, "Exit codes").
    pub const DECLINED: u8 = 9;
    /// `scan` found a live or in-grace secret.
    pub const SECRET_FOUND: u8 = 10;
    /// `diff --exit-code` found a change, or `diff --fail-on widening` one that widens.
    pub const DIFFERENCES: u8 = 11;
    /// `rollout status`: not every server served the digest before the timeout.
    pub const NOT_ROLLED_OUT: u8 = 12;
    /// A write that breaks a policy under `enforce`; nothing was written.
    pub const REFUSED_BY_POLICY: u8 = 13;
    pub const INTERRUPTED: u8 = 130;
}

/// Everything that can go wrong. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line input: a bad name, duration, flag combination.
    #[error("{0}")]
    Usage(String),
    /// A file that cannot be parsed or does not follow docs/FORMAT.md.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A file that is invalid as a whole (no position to point at).
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    /// The file does not exist, for a command that needs it (docs/FORMAT.md: a missing file is an
    /// error for reading commands); the message says how the path was chosen.
    #[error("{}: {message}", path.display())]
    MissingFile { path: PathBuf, message: String },
    /// An operating-system error on a path.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The named key is not in the file.
    #[error("no key named '{name}'{}", suggestion.as_ref().map(|s| format!("; did you mean '{s}'?")).unwrap_or_default())]
    NoSuchKey {
        name: String,
        suggestion: Option<String>,
    },
    /// A key of that name exists already.
    #[error(
        "key '{0}' exists already; use `tokenctl rotate {0}` for a new secret, or pick another name"
    )]
    KeyExists(String),
    /// The file changed since `--if-unchanged`, or a secret is another key's.
    #[error("{0}")]
    Conflict(String),
    /// Another writer held the file's lock for longer than the lock timeout.
    #[error("{0}")]
    Busy(String),
    /// A token was rejected (malformed, unknown, disabled, expired).
    #[error("{0}")]
    Rejected(String),
    /// A token lacks access (permission, IP, path, resource).
    #[error("{0}")]
    Forbidden(String),
    /// `check` found problems (already reported).
    #[error("{0}")]
    CheckFailed(String),
    /// `apply --dry-run` found changes to make (already reported).
    #[error("changes pending")]
    ChangesPending,
    /// The operator answered no at a confirmation: nothing changed ("Nothing deleted.").
    #[error("{0}")]
    Declined(String),
    /// `scan` found a secret that works (the findings are reported; this is the summary).
    #[error("{0}")]
    SecretFound(String),
    /// `diff --exit-code` or `--fail-on widening` found such a change (reported; this is the
    /// summary).
    #[error("{0}")]
    Differences(String),
    /// `rollout status` timed out: a server still serves another digest, is down, or no
    /// server reports the tenant (the message names each).
    #[error("{0}")]
    NotRolledOut(String),
    /// A create, or a change that widens a key, breaks a policy under `enforce`
    /// (docs/FORMAT.md, "Policy"); nothing was written.
    #[error("{0}")]
    Policy(PolicyRefusal),
    /// Part of the work failed, each failure reported as it happened, and the rest was done
    /// (a tenant that did not load, a file that could not be read); this is the summary.
    #[error("{0}")]
    Partial(String),
    /// The operator interrupted a prompt.
    #[error("interrupted; nothing was written")]
    Interrupted,
    /// A change tokenctl could not make safely (the planner or the prover refused it);
    /// nothing was written.
    #[error("{}: {message}", path.display())]
    Unsafe { path: PathBuf, message: String },
    /// What a write had to hand out (a generated secret) could not be delivered, so the
    /// write was abandoned before the file was replaced.
    #[error("{0}; nothing was written: the file is unchanged and no new secret is in force")]
    NotDelivered(Box<Error>),
    /// The file could not be replaced after a generated secret was printed.
    #[error(
        "{0}\nThe secret printed above is NOT valid: the file was not replaced, so nothing changed. Run the command again."
    )]
    NotCommitted(Box<Error>),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Syntax { .. }
            | Error::Invalid { .. }
            | Error::MissingFile { .. }
            | Error::Io { .. }
            | Error::Unsafe { .. }
            | Error::NotDelivered(_)
            | Error::NotCommitted(_)
            | Error::Other(_)
            | Error::Partial(_) => exit::FAILURE,
            Error::NoSuchKey { .. } => exit::NO_SUCH_KEY,
            Error::KeyExists(_) | Error::Conflict(_) | Error::Busy(_) => exit::CONFLICT,
            Error::Rejected(_) => exit::REJECTED,
            Error::Forbidden(_) => exit::FORBIDDEN,
            Error::CheckFailed(_) => exit::CHECK_FAILED,
            Error::ChangesPending => exit::CHANGES_PENDING,
            Error::Declined(_) => exit::DECLINED,
            Error::SecretFound(_) => exit::SECRET_FOUND,
            Error::Differences(_) => exit::DIFFERENCES,
            Error::NotRolledOut(_) => exit::NOT_ROLLED_OUT,
            Error::Policy(_) => exit::REFUSED_BY_POLICY,
            Error::Interrupted => exit::INTERRUPTED,
        }
    }

    /// Whether the command printed its findings before failing with this error (check's
    /// report, apply's plan): the error is then at most their summary.
    pub fn follows_findings(&self) -> bool {
        matches!(self, Error::CheckFailed(_) | Error::ChangesPending)
    }

    /// The line the binary prints on stderr for this error (before [`crate::text::message`]
    /// cleans it), or `None` when the command's own output already said it all (`apply
    /// --dry-run`'s plan). A verdict (a rejected token, a check that failed, a declined
    /// prompt, a found secret) is shown as it is; anything else as `error: ...`.
    pub fn report(&self) -> Option<String> {
        match self {
            Error::ChangesPending => None,
            Error::Rejected(m)
            | Error::Forbidden(m)
            | Error::CheckFailed(m)
            | Error::Declined(m)
            | Error::SecretFound(m)
            | Error::Differences(m) => Some(m.clone()),
            e => Some(format!("error: {e}")),
        }
    }

    /// This error, as the reason a write was abandoned before anything changed.
    pub(crate) fn nothing_written(self) -> Self {
        match self {
            e @ (Error::NotDelivered(_) | Error::Interrupted) => e,
            e => Error::NotDelivered(Box::new(e)),
        }
    }

    /// This error, as the failure to replace the file after a secret was handed out.
    pub(crate) fn after_delivery(self) -> Self {
        Error::NotCommitted(Box::new(self))
    }

    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error of a failed write to stdout.
pub fn stdout_error(e: std::io::Error) -> Error {
    Error::io("<stdout>", "writing", e)
}

/// A rule a key breaks, and what would satisfy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolation {
    /// The key.
    pub key: String,
    /// The rule's name in security.yml (`maxLifetime`).
    pub rule: &'static str,
    /// The key's field that breaks it, by its YAML name (`expiresAt`).
    pub field: &'static str,
    /// What is wrong, of the key as "it" (`it never expires`).
    pub problem: String,
    /// The rule as the policy states it (`maxLifetime 90d`).
    pub limit: String,
    /// The policy that states it: a file's path.
    pub source: String,
    /// What would satisfy it, in the command line's flags (`--expires 90d or sooner`).
    pub flag_remedy: String,
    /// What would satisfy it, in the file's (and the admin API's) fields.
    pub field_remedy: String,
    /// [`PolicyViolation::message`] says the remedy in fields, not flags (for a write that
    /// was given fields: `apply`'s desired state, the admin API).
    pub remedy_in_fields: bool,
}

impl PolicyViolation {
    /// One line for the command line: `key 'ci': it never expires; policy maxLifetime 90d
    /// (from policy.yml): --expires 90d or sooner`.
    pub fn message(&self) -> String {
        let remedy = if self.remedy_in_fields {
            &self.field_remedy
        } else {
            &self.flag_remedy
        };
        format!(
            "key '{}': {}; policy {} (from {}): {remedy}",
            self.key, self.problem, self.limit, self.source
        )
    }

    /// One line for the admin API: the fields, and the policy file's name, not its path.
    pub fn api_message(&self) -> String {
        let source = std::path::Path::new(&self.source)
            .file_name()
            .map_or_else(|| self.source.clone(), |n| n.to_string_lossy().into_owned());
        format!(
            "key '{}': {}; policy {} (from {source}): {}",
            self.key, self.problem, self.limit, self.field_remedy
        )
    }
}

/// A write that a policy under `enforce` refused (exit 13, HTTP 422): nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRefusal {
    pub violations: Vec<PolicyViolation>,
    /// SHA-256 (hex) of the file as read when it was refused, when the store works it out
    /// ([`crate::store::Store::with_digest`]): the admin API's ETag on its 422.
    pub sha256: Option<String>,
}

impl std::fmt::Display for PolicyRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.violations.as_slice() {
            [one] => write!(
                f,
                "refused by policy: {}; nothing was written",
                one.message()
            ),
            all => {
                write!(
                    f,
                    "refused by policy ({} violations); nothing was written:",
                    all.len()
                )?;
                for v in all {
                    write!(f, "\n  {}", v.message())?;
                }
                Ok(())
            }
        }
    }
}
