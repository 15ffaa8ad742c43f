//! Other tools' data in the file: never judged, but `check` warns of what some YAML library
//! cannot load, since a server reading the file with it would fail.

use super::{Loader, Seen};
use crate::document::portable;
use crate::yaml::{Kind, Node};

impl<'a> Loader<'a> {
    /// Another tool's data: not judged, but `check` warns of what some library cannot load.
    pub(super) fn foreign(&self, node: &Node<'_>) {
        let mut todo = vec![node];
        while let Some(n) = todo.pop() {
            if n.tag != 0 {
                let tag = self.tags.get(n.tag as usize - 1).map_or("", String::as_str);
                let core = matches!(
                    tag.strip_prefix("tag:yaml.org,2002:"),
                    Some("str" | "int" | "float" | "bool" | "null" | "map" | "seq")
                );
                if !core {
                    let shown = match tag.strip_prefix("tag:yaml.org,2002:") {
                        Some(t) => format!("!!{t}"),
                        None => tag.to_string(),
                    };
                    self.foreign_warning(n, &format!("carries the tag {shown}, which some YAML libraries cannot load (PyYAML's safe_load, SnakeYAML, ruamel.yaml's safe loader, js-yaml or Go's yaml)"));
                }
            }
            match &n.kind {
                Kind::Seq { items, .. } => todo.extend(items),
                Kind::Map { entries, .. } => {
                    let mut seen = Seen::new();
                    for (k, v) in entries {
                        match k.as_str() {
                            None | Some(_)
                                if !matches!(k.kind, Kind::Scalar { .. } | Kind::Alias(_)) =>
                            {
                                self.foreign_warning(k, "has a key that is a list or mapping, which Go's yaml.v3, yaml.v2 and sigs.k8s.io/yaml, js-yaml 5 and PyYAML cannot load");
                            }
                            Some(name) if !seen.first(name) => {
                                self.foreign_warning(k, &format!("repeats the key {name:?} in one mapping, which js-yaml, ruamel.yaml and Go's yaml.v3 refuse"));
                            }
                            _ => {}
                        }
                        if !k.is_merge_key() {
                            todo.push(k);
                        }
                        todo.push(v);
                    }
                }
                Kind::Scalar { value, .. } if n.is_plain() && n.tag == 0 => {
                    if let Some(why) = foreign_plain(value) {
                        self.foreign_warning(n, why);
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn foreign_warning(&self, n: &Node<'_>, why: &str) {
        self.note(
            n.start,
            format!("another tool's data {why}: a server using one cannot load this file; tokenctl keeps it as it is"),
            false,
        );
    }
}

/// Why a plain scalar in another tool's data stops some library from loading the file.
pub(super) fn foreign_plain(s: &str) -> Option<&'static str> {
    if s.starts_with(':') {
        return Some(
            "holds a plain scalar starting with ':' (such as ::1), which Go's yaml, SnakeYAML and PyYAML cannot load",
        );
    }
    if matches!(s, "<<" | "=") {
        return Some(
            "holds a plain << or = as a value, which SnakeYAML, PyYAML and ruamel.yaml's safe loader cannot load",
        );
    }
    if portable::non_text(s).is_some_and(|(what, _)| what == "a timestamp" || what == "a date") {
        let split = s.find(['T', 't', ' ', '\t']).unwrap_or(s.len());
        let num = |p: &str| p.parse::<i16>().ok();
        let parts: Vec<Option<i16>> = s[..split].split('-').map(num).collect();
        let date_ok = match parts[..] {
            [Some(y), Some(m), Some(d)] => {
                y > 0
                    && i8::try_from(m).is_ok_and(|m| jiff::civil::Date::new(y, m, d as i8).is_ok())
            }
            _ => true,
        };
        let time = s[split..].trim_start_matches(['T', 't', ' ', '\t']);
        let fields: Vec<Option<i16>> = time
            .get(..8.min(time.len()))
            .unwrap_or("")
            .split(':')
            .map(|f| f.get(..2.min(f.len())).and_then(num))
            .collect();
        let time_ok = match fields[..] {
            [Some(h), Some(m), Some(sec)] => h < 24 && m < 60 && sec < 60,
            _ => true,
        };
        if !date_ok || !time_ok {
            return Some(
                "holds a plain date or time that YAML 1.1 libraries cannot load (a year 0000, a day or second out of range)",
            );
        }
    }
    None
}
