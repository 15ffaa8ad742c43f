//! What dynamic completion (`source <(COMPLETE=bash tokenctl)`) offers beyond clap's own
//! flags and values: key names, tenant names, scopes and expiry presets, read from the
//! files the line being completed points at.
//!
//! These run inside `COMPLETE=<shell> tokenctl -- <words...>`, before any parsing: the words
//! being completed are read back from argv, so `--file`, `--tenant` and `--root` typed on the
//! line count, then their environment variables. Any failure offers nothing.

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use std::ffi::OsString;
use std::path::PathBuf;

/// Key names of the located file (show, update, delete, rotate).
pub(crate) fn key_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let Some(doc) = located_document() else {
            return Vec::new();
        };
        doc.model
            .keys
            .iter()
            .map(|k| CompletionCandidate::new(&k.name).help(k.description.clone().map(Into::into)))
            .collect()
    })
}

/// Tenant names: the folders under the root (from the line, `TOKENCTL_ROOT` or `tenants`)
/// that hold a security.yml.
pub(crate) fn tenants() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let line = Line::from_args();
        crate::tenants::tenants_under(&line.root())
            .into_iter()
            .map(CompletionCandidate::new)
            .collect()
    })
}

/// Scopes for --permission, --add-permission and --remove-permission: the file's
/// `permissions:` catalog, or, without one, the scopes its keys already have.
pub(crate) fn scopes() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let Some(doc) = located_document() else {
            return Vec::new();
        };
        let mut scopes: Vec<String> = match &doc.model.catalog {
            Some(catalog) => catalog.clone(),
            None => doc
                .model
                .keys
                .iter()
                .flat_map(|k| k.permissions.iter().cloned())
                .collect(),
        };
        scopes.sort();
        scopes.dedup();
        scopes.into_iter().map(CompletionCandidate::new).collect()
    })
}

/// The expiry presets of the create form, for --expires.
pub(crate) fn expiry_presets() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        crate::time::EXPIRY_PRESETS
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(label, value)| CompletionCandidate::new(*value).help(Some((*label).into())))
            .collect()
    })
}

/// Durations for the filters and --grace.
pub(crate) fn durations() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        ["1h", "24h", "7d", "14d", "30d", "90d", "6mo", "1y"]
            .into_iter()
            .map(CompletionCandidate::new)
            .collect()
    })
}

/// The file the line being completed would use, loaded; `None` on any failure.
fn located_document() -> Option<crate::document::Document> {
    // Opened as the command would open it: a tenant's file only within its folder.
    let line = Line::from_args();
    if line.both {
        return None;
    }
    let store = crate::store::Store::at(&line.location(), std::time::Duration::ZERO)
        .ok()?
        .with_warnings(crate::text::print_warning);
    let doc = store.read().ok()?;
    (!doc.missing).then_some(doc)
}

/// The options of the line being completed that locate the file (docs/FORMAT.md, "Where
/// the file is"), the line's own before the environment's.
#[derive(Debug, Default, PartialEq)]
struct Line {
    file: Option<PathBuf>,
    tenant: Option<String>,
    root: Option<PathBuf>,
    /// `--file` and `--tenant` both typed on the line: a usage error, so nothing is offered.
    both: bool,
}

impl Line {
    fn from_args() -> Line {
        let words: Vec<OsString> = std::env::args_os()
            .skip_while(|a| a != "--")
            .skip(1)
            .collect();
        Line::parse(&words)
    }

    fn parse(words: &[OsString]) -> Line {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let mut line = Line {
            file: env("TOKENCTL_FILE").map(PathBuf::from),
            tenant: env("TOKENCTL_TENANT").map(|t| t.to_string_lossy().into_owned()),
            root: env("TOKENCTL_ROOT").map(PathBuf::from),
            both: false,
        };
        let (mut file_typed, mut tenant_typed, mut serve) = (false, false, false);
        let mut it = words.iter().map(|w| w.to_string_lossy());
        while let Some(w) = it.next() {
            let (flag, inline) = match w.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (w.to_string(), None),
            };
            let short_tenant = flag
                .strip_prefix("-t")
                .filter(|v| !v.is_empty() && !flag.starts_with("--"));
            let mut value = || inline.clone().or_else(|| it.next().map(|v| v.into_owned()));
            match flag.as_str() {
                "--file" => {
                    line.file = value().map(PathBuf::from);
                    file_typed = true;
                }
                "--tenant" | "-t" => {
                    line.tenant = value();
                    tenant_typed = true;
                }
                "--root" => line.root = value().map(PathBuf::from),
                "serve" => serve = true,
                _ if short_tenant.is_some() => {
                    line.tenant = short_tenant.map(String::from);
                    tenant_typed = true;
                }
                _ => {}
            }
        }
        // A flag beats any environment variable: a typed --tenant beats TOKENCTL_FILE.
        if tenant_typed && !file_typed {
            line.file = None;
        }
        line.both = file_typed && tenant_typed && !serve;
        line
    }

    fn root(&self) -> PathBuf {
        self.root
            .clone()
            .unwrap_or_else(|| PathBuf::from("tenants"))
    }

    fn location(&self) -> crate::store::Location {
        crate::store::Location {
            file: self.file.clone(),
            tenant: self.tenant.clone(),
            root: Some(self.root()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(w: &[&str]) -> Option<PathBuf> {
        let words: Vec<OsString> = w.iter().map(OsString::from).collect();
        Line::parse(&words).location().resolve().ok()
    }

    #[test]
    fn the_line_being_completed_locates_the_file() {
        let f = located(&["tokenctl", "--file", "x.yml", "show", ""]);
        assert_eq!(f, Some(PathBuf::from("x.yml")));
        let f = located(&["tokenctl", "--root=/r", "-t", "acme", "show"]);
        assert_eq!(f, Some(PathBuf::from("/r/acme/security.yml")));
        let f = located(&["tokenctl", "--root", "/r", "-tacme", "show"]);
        assert_eq!(f, Some(PathBuf::from("/r/acme/security.yml")));
    }

    #[test]
    fn a_typed_file_and_tenant_locate_nothing() {
        let words: Vec<OsString> = ["tokenctl", "--file", "x.yml", "-t", "acme", "show"]
            .iter()
            .map(OsString::from)
            .collect();
        assert!(Line::parse(&words).both);
    }
}
