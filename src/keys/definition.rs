//! The one rule set for a key's definition. Every writer (the command line's `create`,
//! `update` and `rename`, the admin API, `apply`) puts what it was given into a
//! [`DefinitionInput`] and has [`DefinitionInput::check`] turn it into a [`Definition`] or
//! a [`FieldError`]; each front end only says where the field was (a flag, `allowedIps[2]`
//! with 422, a line and column). A new rule on a field is written here, once.

use crate::keys::change::check_expiry;
use crate::model::{self, ApiKey, Field};
use crate::token::TokenHash;
use ipnet::IpNet;
use jiff::Timestamp;

/// A key's definition as a front end was given it. A field left `None` was not given: a
/// new key takes its default, a changed key keeps its value.
#[derive(Debug, Clone, Default)]
pub(crate) struct DefinitionInput {
    pub name: Option<String>,
    /// Free text; empty for none.
    pub description: Option<String>,
    /// Who the key belongs to: 1 to 128 printable characters (never empty: removing it is
    /// each front end's own, `--clear-owner`, `null`).
    pub owner: Option<String>,
    pub enabled: Option<bool>,
    pub permissions: Option<Vec<String>>,
    pub expires_at: Option<Timestamp>,
    /// The key's expiry before this write (`None` for a new key): an expiry left as it was
    /// is never refused, even once it has passed ([`check_expiry`]).
    pub expires_before: Option<Timestamp>,
    /// CIDRs or bare addresses, as given.
    pub allowed_ips: Option<Vec<String>>,
    pub path_prefix: Option<String>,
    pub resources: Option<Vec<String>>,
}

/// A definition that passed [`DefinitionInput::check`]: each field given is well formed,
/// free of secrets, and means what a writer means. `None`: not given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Definition {
    /// `None` for none (an empty description is none).
    pub description: Option<String>,
    pub owner: Option<String>,
    pub enabled: Option<bool>,
    /// Each scope once, in the order first given.
    pub permissions: Option<Vec<String>>,
    pub expires_at: Option<Timestamp>,
    pub allowed_ips: Option<Vec<IpNet>>,
    pub path_prefix: Option<String>,
    pub resources: Option<Vec<String>>,
}

/// Why a definition was refused: the field, the item of a list field, and the problem in
/// words that do not name the field (the front end does, in its own terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub field: Field,
    /// Which item of a list field (`permissions`, `allowedIps`, `resources`).
    pub index: Option<usize>,
    pub problem: String,
}

impl FieldError {
    fn new(field: Field, index: Option<usize>, problem: impl Into<String>) -> Self {
        FieldError {
            field,
            index,
            problem: problem.into(),
        }
    }

    /// The field as the admin API and security.yml name it: `allowedIps[2]`, `name`.
    pub(crate) fn path(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.field.yaml_name()),
            None => self.field.yaml_name().to_string(),
        }
    }

    /// The message, after `label` (how the front end names the field): the name's
    /// problems name it themselves.
    pub(crate) fn message(&self, label: &str) -> String {
        if self.field == Field::Name {
            self.problem.clone()
        } else {
            format!("{label}: {}", self.problem)
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&self.path()))
    }
}

/// What an empty `allowedIps` or `resources` list is refused with: present but empty, it
/// lets no address (no resource) use the key, which is never what a writer means.
pub(crate) fn empty_list_problem(field: Field) -> String {
    match field {
        Field::AllowedIps => {
            "the list is empty, which would allow no address; leave the field out for any address"
                .into()
        }
        _ => "the list is empty, which would allow no resource; leave the field out for the whole tenant"
            .into(),
    }
}

impl DefinitionInput {
    /// Refuses a value that looks like a secret (a token pasted in the wrong place): the
    /// file keeps only hashes and is often in a git repository. Short identifiers (name,
    /// scopes, resources) are refused on anything secret-like, free text (description, path
    /// prefix) only on a token of tokenctl's form, so that a commit id stays fine. Part of
    /// [`DefinitionInput::check`]; the form calls it alone before it shows the flags.
    pub(crate) fn refuse_secrets(&self) -> Result<(), FieldError> {
        use crate::text::{contains_secret, contains_token};
        let refuse = |field, index, value: &str, looks: fn(&str) -> bool| {
            if looks(value) {
                // The name's problems name it (it is no flag, and where it is is the key).
                let what = if field == Field::Name {
                    "key name "
                } else {
                    ""
                };
                return Err(FieldError::new(
                    field,
                    index,
                    format!(
                        "{what}{value:?} looks like a secret, not a value to store; nothing was \
                         written (the file keeps only hashes; a secret goes in on stdin, with \
                         `create --secret-stdin`)"
                    ),
                ));
            }
            Ok(())
        };
        if let Some(n) = &self.name {
            refuse(Field::Name, None, n, contains_secret)?;
        }
        for (i, p) in self.permissions.iter().flatten().enumerate() {
            refuse(Field::Permissions, Some(i), p, contains_secret)?;
        }
        for (i, r) in self.resources.iter().flatten().enumerate() {
            refuse(Field::Resources, Some(i), r, contains_secret)?;
        }
        if let Some(d) = &self.description {
            refuse(Field::Description, None, d, contains_token)?;
        }
        if let Some(o) = &self.owner {
            refuse(Field::Owner, None, o, contains_token)?;
        }
        if let Some(p) = &self.path_prefix {
            refuse(Field::PathPrefix, None, p, contains_token)?;
        }
        Ok(())
    }

    /// The one check of a key's definition, for every writer.
    pub(crate) fn check(self, now: Timestamp) -> Result<Definition, FieldError> {
        if let Some(name) = &self.name {
            if let Some(p) = crate::names::problem(name) {
                return Err(FieldError::new(
                    Field::Name,
                    None,
                    format!("invalid key name {name:?}: {p}; use 1 to 64 of A-Z a-z 0-9 - _ ."),
                ));
            }
        }
        if let Some(o) = &self.owner {
            if let Some(p) = model::owner_problem(o) {
                return Err(FieldError::new(Field::Owner, None, p));
            }
        }
        self.refuse_secrets()?;
        let permissions = match self.permissions {
            None => None,
            Some(mut scopes) => {
                for (i, s) in scopes.iter().enumerate() {
                    if let Some(p) = model::scope_problem(s) {
                        return Err(FieldError::new(Field::Permissions, Some(i), p));
                    }
                }
                super::dedup(&mut scopes);
                Some(scopes)
            }
        };
        if let Err(m) = check_expiry(self.expires_before, self.expires_at, now) {
            return Err(FieldError::new(Field::ExpiresAt, None, m));
        }
        let allowed_ips = match self.allowed_ips {
            None => None,
            Some(list) if list.is_empty() => {
                return Err(FieldError::new(
                    Field::AllowedIps,
                    None,
                    empty_list_problem(Field::AllowedIps),
                ));
            }
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(i, s)| {
                        model::parse_cidr(s)
                            .map_err(|e| FieldError::new(Field::AllowedIps, Some(i), e))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        if let Some(p) = &self.path_prefix {
            if !model::valid_path_prefix(p) {
                return Err(FieldError::new(
                    Field::PathPrefix,
                    None,
                    format!("invalid path prefix {p:?}: it {}", model::PATH_PREFIX_RULE),
                ));
            }
        }
        if self.resources.as_ref().is_some_and(Vec::is_empty) {
            return Err(FieldError::new(
                Field::Resources,
                None,
                empty_list_problem(Field::Resources),
            ));
        }
        Ok(Definition {
            description: self.description.filter(|d| !d.is_empty()),
            owner: self.owner,
            enabled: self.enabled,
            permissions,
            expires_at: self.expires_at,
            allowed_ips,
            path_prefix: self.path_prefix,
            resources: self.resources,
        })
    }
}

impl Definition {
    /// The key of this definition named `name`, with the hash of its secret, created `now`;
    /// a field not given takes its default (enabled, no permissions, no restriction, never
    /// expires).
    pub(crate) fn key(&self, name: &str, hash: TokenHash, now: Timestamp) -> ApiKey {
        ApiKey {
            name: name.to_string(),
            description: self.description.clone(),
            owner: self.owner.clone(),
            enabled: self.enabled.unwrap_or(true),
            permissions: self.permissions.clone().unwrap_or_default(),
            hash,
            created_at: Some(now),
            expires_at: self.expires_at,
            allowed_ips: self.allowed_ips.clone(),
            path_prefix: self.path_prefix.clone(),
            resources: self.resources.clone(),
            previous_hashes: Vec::new(),
        }
    }

    /// The permissions given, or none.
    pub(crate) fn permissions(&self) -> &[String] {
        self.permissions.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    fn refused(input: DefinitionInput) -> FieldError {
        input.check(now()).unwrap_err()
    }

    #[test]
    fn empty_restriction_lists_are_refused() {
        let e = refused(DefinitionInput {
            allowed_ips: Some(vec![]),
            ..Default::default()
        });
        assert_eq!((e.field, e.index), (Field::AllowedIps, None));
        assert!(
            e.problem.contains("leave the field out for any address"),
            "{e}"
        );
        let e = refused(DefinitionInput {
            resources: Some(vec![]),
            ..Default::default()
        });
        assert_eq!((e.field, e.index), (Field::Resources, None));
        assert!(e.problem.contains("would allow no resource"), "{e}");
    }

    #[test]
    fn errors_name_the_item() {
        let e = refused(DefinitionInput {
            allowed_ips: Some(vec![
                "10.0.0.0/8".into(),
                "10.0.0.0/8".into(),
                "nope".into(),
            ]),
            ..Default::default()
        });
        assert_eq!(e.path(), "allowedIps[2]");
        assert!(
            e.to_string()
                .starts_with("allowedIps[2]: invalid address range \"nope\""),
            "{e}"
        );
        let e = refused(DefinitionInput {
            permissions: Some(vec!["a".into(), "a b".into()]),
            ..Default::default()
        });
        assert_eq!(e.path(), "permissions[1]");
        let e = refused(DefinitionInput {
            name: Some("a/b".into()),
            ..Default::default()
        });
        assert!(e.to_string().starts_with("invalid key name \"a/b\""), "{e}");
    }

    #[test]
    fn an_owner_is_one_line_of_1_to_128_printable_characters() {
        let owner = |o: &str| DefinitionInput {
            owner: Some(o.into()),
            ..Default::default()
        };
        let d = owner("team-dns <dns@example.com>").check(now()).unwrap();
        assert_eq!(d.owner.as_deref(), Some("team-dns <dns@example.com>"));
        assert!(owner(&"ü".repeat(128)).check(now()).is_ok());
        for (bad, why) in [
            ("", "not empty"),
            (&"a".repeat(129), "not 129 characters"),
            ("a\nb", "a line break (U+000A)"),
            ("a\u{1b}[31m", "a control character (U+001B)"),
        ] {
            let e = refused(owner(bad));
            assert_eq!((e.field, e.index), (Field::Owner, None));
            assert!(
                e.to_string()
                    .starts_with("owner: must be 1 to 128 printable"),
                "{e}"
            );
            assert!(e.problem.contains(why), "{e}");
        }
    }

    #[test]
    fn a_good_definition_is_normalised() {
        let d = DefinitionInput {
            description: Some(String::new()),
            permissions: Some(vec!["a".into(), "b".into(), "a".into()]),
            allowed_ips: Some(vec!["10.0.0.1".into()]),
            path_prefix: Some("=/x".into()),
            ..Default::default()
        }
        .check(now())
        .unwrap();
        assert_eq!(d.description, None);
        assert_eq!(d.permissions(), ["a", "b"]);
        assert_eq!(d.allowed_ips.unwrap()[0].to_string(), "10.0.0.1/32");
    }
}
