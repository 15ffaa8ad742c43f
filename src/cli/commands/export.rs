//! `export secret NAME` and `export configmap NAME`: the located file in a Kubernetes
//! manifest, byte for byte under the data key `security.yml`, for `kubectl apply -f -` or a
//! GitOps repository (docs/FLEET.md). The same file always gives the same bytes.

use crate::cli::args::{ExportArgs, ExportKind};
use crate::cli::context::Context;
use crate::cli::output::Format;
use crate::error::{Error, Result, stdout_error};
use base64::Engine;
use std::io::Write;

pub(crate) fn run(ctx: &Context, args: ExportArgs) -> Result<()> {
    let ExportArgs {
        kind,
        name,
        namespace,
    } = args;
    let kind = match kind {
        ExportKind::Secret => Kind::Secret,
        ExportKind::Configmap => Kind::ConfigMap,
    };
    check_name("the object's name", &name, 253, true)?;
    if let Some(ns) = &namespace {
        check_name("--namespace", ns, 63, false)?;
    }
    let store = ctx.store()?;
    let bytes = store.read_bytes()?.ok_or_else(|| Error::Invalid {
        path: store.path().to_path_buf(),
        message: "does not exist; there is nothing to export".into(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Invalid {
        path: store.path().to_path_buf(),
        message: "is not UTF-8 text".into(),
    })?;
    // Exported as it is on disk, but only a file that loads: a manifest of a broken file
    // would take every server of the fleet down with it.
    crate::document::Document::load_keys(store.path(), text.clone())?;
    if kind == Kind::ConfigMap {
        eprintln!(
            "note: a ConfigMap is readable by whoever may read ConfigMaps in its namespace; the file holds only hashes, but treat it as confidential: prefer `export secret` unless no key's secret was imported (docs/FLEET.md)"
        );
    }
    let manifest = Manifest {
        kind,
        name: &name,
        namespace: namespace.as_deref(),
        digest: format!("sha256:{}", crate::store::file_digest(text.as_bytes())),
        text: &text,
    };
    let out_text = match ctx.format {
        Format::Json => manifest.json(),
        Format::Table | Format::Wide | Format::Yaml | Format::Markdown => manifest.yaml(),
    };
    let mut out = crate::cli::output::data_out();
    out.write_all(out_text.as_bytes()).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Secret,
    ConfigMap,
}

struct Manifest<'a> {
    kind: Kind,
    name: &'a str,
    namespace: Option<&'a str>,
    digest: String,
    text: &'a str,
}

/// The annotation that names the digest of the file the object holds.
const DIGEST_ANNOTATION: &str = "tokenctl/digest";

impl Manifest<'_> {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Secret => "Secret",
            Kind::ConfigMap => "ConfigMap",
        }
    }

    /// The manifest in YAML. Names are checked to be plain scalars every reader reads as
    /// themselves; the file's text is a literal block when it can be one ([`text_scalar`]).
    fn yaml(&self) -> String {
        let mut out = format!(
            "apiVersion: v1\nkind: {}\nmetadata:\n  name: {}\n",
            self.kind_name(),
            quoted_if_needed(self.name)
        );
        if let Some(ns) = self.namespace {
            out.push_str(&format!("  namespace: {}\n", quoted_if_needed(ns)));
        }
        out.push_str(&format!(
            "  annotations:\n    {DIGEST_ANNOTATION}: {}\n  labels:\n    app.kubernetes.io/managed-by: tokenctl\n",
            self.digest
        ));
        match self.kind {
            Kind::Secret => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(self.text.as_bytes());
                out.push_str(&format!("type: Opaque\ndata:\n  security.yml: {b64}\n"));
            }
            Kind::ConfigMap => {
                out.push_str(&format!(
                    "data:\n  security.yml: {}",
                    text_scalar(self.text, 2)
                ));
            }
        }
        out
    }

    /// The manifest in JSON (`--format json`), which kubectl reads too.
    fn json(&self) -> String {
        let mut metadata = serde_json::json!({
            "name": self.name,
            "annotations": { DIGEST_ANNOTATION: self.digest },
            "labels": { "app.kubernetes.io/managed-by": "tokenctl" },
        });
        if let Some(ns) = self.namespace {
            metadata["namespace"] = ns.into();
        }
        let mut object = serde_json::json!({
            "apiVersion": "v1",
            "kind": self.kind_name(),
            "metadata": metadata,
        });
        match self.kind {
            Kind::Secret => {
                object["type"] = "Opaque".into();
                object["data"] = serde_json::json!({
                    "security.yml": base64::engine::general_purpose::STANDARD.encode(self.text.as_bytes())
                });
            }
            Kind::ConfigMap => {
                object["data"] = serde_json::json!({ "security.yml": self.text });
            }
        }
        let mut text = serde_json::to_string_pretty(&object).expect("a manifest serializes");
        text.push('\n');
        text
    }
}

/// A Kubernetes name: a DNS-1123 subdomain (`dots`) or label, at most `max` bytes.
fn check_name(what: &str, name: &str, max: usize, dots: bool) -> Result<()> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let ok = name.len() <= max
        && if dots {
            name.split('.').all(label_ok)
        } else {
            label_ok(name)
        };
    if ok {
        return Ok(());
    }
    Err(Error::Usage(format!(
        // Printed through text::message, which takes a secret out and says to rotate it.
        "{what} {name:?} is not a Kubernetes name: at most {max} lowercase letters, digits and '-'{}, starting and ending with a letter or digit",
        if dots {
            " (and '.' between such parts)"
        } else {
            ""
        }
    )))
}

/// A name that YAML 1.1 readers would take for a number, a boolean or null (`123`, `1e3`,
/// `yes`, `no`, `on`, `null`...) is quoted; any other checked name is plain.
fn quoted_if_needed(name: &str) -> String {
    let word = matches!(
        name,
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    );
    let numeric = name
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'-')
        && name.bytes().any(|b| b.is_ascii_digit());
    if word || numeric {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

/// `text` as the YAML value of a key at indentation `indent`, read back byte for byte by
/// every reader: a literal block scalar, with an indentation indicator (a first line that
/// starts with a space is then no problem) and the chomping that keeps exactly its final
/// line breaks (`-` none, clip one, `+` more); or, when some character may not stand in a
/// block (a control character, a CR, a byte order mark, the line breaks of YAML 1.1: NEL,
/// LS, PS), a double-quoted string ([`double_quoted`]). Ends with a line break.
fn text_scalar(text: &str, indent: usize) -> String {
    // A block of nothing but line breaks has no content line, and reads as "" whatever its
    // chomping: such a text is quoted (found by the property test below).
    let literal_ok = !text.trim_end_matches('\n').is_empty()
        && text.chars().all(|c| match c {
            '\n' | '\t' => true,
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
            c => !c.is_control() && c != '\u{fffe}' && c != '\u{ffff}',
        });
    if !literal_ok {
        return double_quoted(text);
    }
    let breaks = text.len() - text.trim_end_matches('\n').len();
    let chomp = match breaks {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent + 2);
    let mut out = format!("|2{chomp}\n");
    let body = text.strip_suffix('\n').unwrap_or(text);
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `text` as a one-line YAML double-quoted scalar: `"`, `\\`, line breaks, tabs and every
/// character a reader might take for a break or drop (controls, NEL, LS, PS, BOM, the
/// non-characters) escaped as `\uXXXX`, which YAML 1.1 and 1.2 readers decode alike.
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push_str("\"\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a YAML reader takes for the value of `data.security.yml` in a ConfigMap.
    fn read_back(text: &str) -> String {
        let manifest = Manifest {
            kind: Kind::ConfigMap,
            name: "keys",
            namespace: Some("gate"),
            digest: "sha256:00".into(),
            text,
        }
        .yaml();
        let value: serde_yaml::Value =
            serde_yaml::from_str(&manifest).unwrap_or_else(|e| panic!("{e}: {manifest}"));
        value["data"]["security.yml"]
            .as_str()
            .unwrap_or_else(|| panic!("{manifest}"))
            .to_string()
    }

    #[test]
    fn a_configmap_holds_the_text_byte_for_byte() {
        for text in [
            "apiKeys: {}\n",
            "apiKeys: {}",
            "apiKeys: {}\n\n\n",
            "\n\n  # a comment indented\napiKeys:\n  ci:\n    hash: x\n",
            "  leading spaces\n   \n\t tab line\ntrailing spaces   \n",
            "a\r\nb\n",
            "bom \u{feff} inside\n",
            "nel \u{85} ls \u{2028}\n",
            "",
            "---\n...\n# not a document marker once indented\n",
            "ctrl \u{7} bell\n",
            "\n",
            "\n\n\n",
        ] {
            assert_eq!(read_back(text), text, "{text:?}");
        }
    }

    proptest::proptest! {
        /// Any text, and text made of YAML's own punctuation, spaces and breaks, reads back
        /// from a ConfigMap as itself.
        #[test]
        fn any_text_reads_back(text in "(?s).{0,120}") {
            proptest::prop_assert_eq!(read_back(&text), text);
        }

        #[test]
        fn yaml_like_text_reads_back(text in "[ \t\n\ra-c:#\\-\"'|>&*!%@`{}\\[\\],?\u{85}\u{a0}]{0,120}") {
            proptest::prop_assert_eq!(read_back(&text), text);
        }
    }

    #[test]
    fn names_are_kubernetes_names() {
        assert!(check_name("n", "acme-keys", 253, true).is_ok());
        assert!(check_name("n", "acme.keys.v2", 253, true).is_ok());
        for bad in ["", "Acme", "-a", "a-", "a_b", "a..b", &"a".repeat(254)] {
            assert!(check_name("n", bad, 253, true).is_err(), "{bad}");
        }
        assert!(check_name("n", "a.b", 63, false).is_err());
        assert_eq!(quoted_if_needed("123"), "\"123\"");
        assert_eq!(quoted_if_needed("yes"), "\"yes\"");
        assert_eq!(quoted_if_needed("acme-keys"), "acme-keys");
    }
}
