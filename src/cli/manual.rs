//! Text shared by the man pages and the README, written once: the exit codes, the
//! environment, the files. (What each command and flag does comes from the clap definition.)

use crate::error::exit;

/// `text` (a command's examples) followed by every exit code: the root command's `--help`.
pub(crate) fn with_exit_codes(text: &str) -> String {
    let mut out = format!("{text}\n\nExit codes:");
    for (code, meaning) in EXIT_CODES {
        out.push_str(&format!("\n  {code:>3}  {meaning}"));
    }
    out
}

/// Every exit code (the README's "Exit codes").
pub const EXIT_CODES: &[(u8, &str)] = &[
    (exit::SUCCESS, "success"),
    (
        exit::FAILURE,
        "failure: a missing, unreadable or invalid file, an I/O error",
    ),
    (
        exit::USAGE,
        "usage error: a bad flag, name, duration or combination; nothing was touched",
    ),
    (exit::NO_SUCH_KEY, "no such key"),
    (
        exit::REJECTED,
        "token rejected (empty, bad input or header, malformed, unknown, ambiguous, disabled, expired, rotated out)",
    ),
    (
        exit::FORBIDDEN,
        "token lacks access (permission, IP, path, resource)",
    ),
    (
        exit::CONFLICT,
        "conflict: key exists, file changed since `--if-unchanged`, lock not acquired in time",
    ),
    (
        exit::CHECK_FAILED,
        "`check` found problems (or warnings, with `--strict`)",
    ),
    (exit::CHANGES_PENDING, "`apply --dry-run`: changes pending"),
    (
        exit::DECLINED,
        "a confirmation was declined at a prompt; nothing changed",
    ),
    (
        exit::SECRET_FOUND,
        "`scan` found a live or in-grace secret (with `--fail-on`: also unknown tokens, or any)",
    ),
    (
        exit::DIFFERENCES,
        "`diff --exit-code`: a change is present; `diff --fail-on widening`: one widens access",
    ),
    (
        exit::NOT_ROLLED_OUT,
        "`rollout status`: not every server served the digest before the timeout (or none reports the tenant)",
    ),
    (
        exit::REFUSED_BY_POLICY,
        "refused by policy: a create, or a change that widens a key, breaks a rule under `enforcement: enforce`; nothing was written",
    ),
    (
        exit::INTERRUPTED,
        "interrupted at a prompt; nothing written",
    ),
];

/// What 4 and 5 mean for `verify`, in the words of the reasons it prints.
pub(crate) const VERIFY_EXIT_CODES: &[(u8, &str)] = &[
    (
        exit::REJECTED,
        "The token is rejected, as a server would answer HTTP 401: the input is empty, has \
         whitespace around the token, or is an Authorization value that is not Bearer or \
         Basic; the token is malformed (not the prefix, an underscore and 72 lowercase hex \
         digits, or its check digits do not match: mistyped or cut short); no key has it \
         (unknown); more than one key has it (ambiguous); or its key is disabled, expired, \
         or it is an old secret whose grace period after a rotation has ended (rotated).",
    ),
    (
        exit::FORBIDDEN,
        "The token is valid but lacks what the request needs, as a server would answer \
         HTTP 403: the --permission, an --ip outside allowedIps, a --path outside \
         pathPrefix (or not normalised), or a --resource the key is not given.",
    ),
];

/// What 0, 1 and 10 mean for `scan`.
pub(crate) const SCAN_EXIT_CODES: &[(u8, &str)] = &[
    (
        exit::SUCCESS,
        "No secret that works was found (tokens of disabled or expired keys, rotated-out, \
         ambiguous and unknown ones are reported, and do not fail the scan unless --fail-on \
         says so).",
    ),
    (
        exit::FAILURE,
        "A path could not be read, or a tenant's file did not load (each reported on stderr; \
         everything else was scanned), or the security file chosen does not exist.",
    ),
    (
        exit::SECRET_FOUND,
        "A live secret, or an old one still in its rotation grace period, was found; with \
         --fail-on unknown also a token no key has, with --fail-on any every token found. \
         Outranks 1.",
    ),
];

/// The exit codes a command's man page explains before the list of all of them.
pub(crate) fn exit_codes_of(command: &str) -> Option<&'static [(u8, &'static str)]> {
    match command {
        "verify" => Some(VERIFY_EXIT_CODES),
        "scan" => Some(SCAN_EXIT_CODES),
        _ => None,
    }
}

/// The environment variables tokenctl reads.
pub(crate) const ENVIRONMENT: &[(&str, &str)] = &[
    ("TOKENCTL_FILE", "The security.yml to use, as --file."),
    ("TOKENCTL_TENANT", "The tenant, as --tenant."),
    (
        "TOKENCTL_ROOT",
        "The folder holding one folder per tenant, as --root (default: tenants).",
    ),
    (
        "CI",
        "When set (and not \"false\" or \"0\"), tokenctl never prompts: a command that \
         would ask needs --yes, or fails naming the flag.",
    ),
    (
        "NO_COLOR",
        "When set and not empty, --color auto uses no colour.",
    ),
    (
        "CLICOLOR_FORCE",
        "When set and not empty (and NO_COLOR is not), --color auto colours even when the \
         output is not a terminal. CLICOLOR=0 turns colour off.",
    ),
    (
        "COLUMNS",
        "The width tables fit; by default the terminal's (piped tables are never wrapped).",
    ),
];

/// The files tokenctl reads and writes, for one security.yml.
pub(crate) const FILES: &[(&str, &str)] = &[
    (
        "<root>/<tenant>/security.yml",
        "The keys: names, definitions and the SHA-256 of each secret, never a secret. \
         Created 0600 (its folder 0700) by the first write; an existing file keeps its mode \
         and owner. The format is docs/FORMAT.md in the source.",
    ),
    (
        "security.usage.yml",
        "Beside it: when each key was last used (lastUsedAt) and from where (lastUsedFrom), \
         written by verify --record and by servers, so that recording use never changes \
         security.yml.",
    ),
    (
        "security.yml.lock",
        "Beside it: the lock every writer takes (an exclusive flock). It holds no data; \
         leave it out of version control (.gitignore: *.yml.lock).",
    ),
];
