//! A tenant's or an operator's policy (docs/FORMAT.md, "Policy"): rules every key written
//! must keep. Data only; merging the sources and judging a key against the result is
//! `crate::keys::policy`'s, and what a key breaks is a [`crate::error::PolicyViolation`].

use jiff::Span;

/// What a broken rule does to a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Enforcement {
    /// The write goes through; each violation is a warning.
    Warn,
    /// The write is refused (exit 13, HTTP 422).
    Enforce,
}

impl Enforcement {
    pub const fn name(self) -> &'static str {
        match self {
            Enforcement::Warn => "warn",
            Enforcement::Enforce => "enforce",
        }
    }
}

/// A length of time as the policy gives it: the text (`90d`) and its meaning.
#[derive(Debug, Clone)]
pub struct Length {
    pub text: String,
    pub span: Span,
}

impl Length {
    /// Where it ends counted from `from` on the UTC calendar (`1mo` from January 31 is the
    /// end of February); a length that leaves the calendar never ends.
    pub fn ends(&self, from: jiff::Timestamp) -> jiff::Timestamp {
        crate::time::after(from, self.span).unwrap_or(jiff::Timestamp::MAX)
    }
}

/// Two lengths are the same when they are written the same (`Span` has no equality: is
/// `1d` 24 hours?).
impl PartialEq for Length {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// One source's policy: a `policy:` section of security.yml, or an operator's policy file.
/// A rule left out is `None` (or empty): it asks nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// `enforce` when left out.
    pub enforcement: Option<Enforcement>,
    /// A key's expiry at most this far from the time of the write; an expiry is required.
    pub max_lifetime: Option<Length>,
    /// The longest grace period of a rotation (`previousHashes`).
    pub max_grace: Option<Length>,
    /// Scopes no key may be granted (by the verify rule: `*` grants every scope).
    pub forbidden_permissions: Vec<String>,
    pub require_description: bool,
    pub require_owner: bool,
    /// Keys whose scopes grant one of these must have `allowedIps`.
    pub require_allowed_ips_for: Vec<String>,
}

impl Policy {
    /// The rules' names in security.yml, in the order they are documented.
    pub const RULES: [&'static str; 7] = [
        "enforcement",
        "maxLifetime",
        "maxGrace",
        "forbiddenPermissions",
        "requireDescription",
        "requireOwner",
        "requireAllowedIpsFor",
    ];

    /// Does it ask anything of a key?
    pub fn is_empty(&self) -> bool {
        self.max_lifetime.is_none()
            && self.max_grace.is_none()
            && self.forbidden_permissions.is_empty()
            && !self.require_description
            && !self.require_owner
            && self.require_allowed_ips_for.is_empty()
    }
}
