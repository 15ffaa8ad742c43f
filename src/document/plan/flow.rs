//! Edits of a flow `apiKeys` mapping (`apiKeys: {a: {...}, b: {...}}`): one change at a time,
//! each on the text the one before produced, reloaded.

use super::Document;
use super::splice::{Splice, apply_splices};
use crate::document::edit::FieldChanges;
use crate::document::layout::EntryLayout;
use crate::document::render::{Value, render_flow};
use crate::error::{Error, Result};
use crate::model::{ApiKey, Field};

impl Document {
    /// A flow entry (`k: {hash: ..., enabled: true}`) written again with its fields changed;
    /// the fields it keeps are copied as they were.
    pub(super) fn flow_entry_splice(
        &self,
        entry: &EntryLayout,
        changes: &[(Field, Option<Value>)],
    ) -> Splice {
        let text = &self.text;
        let mut items: Vec<String> = Vec::new();
        let fields = entry.fields(text);
        for f in fields.iter() {
            match changes.iter().find(|(n, _)| f.is(*n)) {
                Some((_, None)) => {}
                Some((_, Some(v))) => items.push(format!(
                    "{}: {}",
                    &text[f.key_start()..f.key_end()],
                    render_flow(v)
                )),
                // A key without a value (`{p}`) stays without one.
                None if f.value_start() >= f.value_end() => {
                    items.push(text[f.key_start()..f.key_end()].to_string())
                }
                None => items.push(format!(
                    "{}: {}",
                    &text[f.key_start()..f.key_end()],
                    &text[f.value_start()..f.value_end()]
                )),
            }
        }
        for (n, v) in changes {
            if let Some(v) = v {
                if !fields.iter().any(|f| f.is(*n)) {
                    items.push(format!("{n}: {}", render_flow(v)));
                }
            }
        }
        Splice::new(
            entry.content_start(),
            entry.value_end(),
            format!("{{{}}}", items.join(", ")),
        )
    }

    /// Edits of a flow apiKeys mapping, one at a time: commas tie its entries together, so
    /// each edit is made on the text the one before produced.
    pub(super) fn flow_edit(
        &self,
        set: &[(&str, FieldChanges)],
        remove: &[String],
        add: &[ApiKey],
    ) -> Result<String> {
        let mut doc = self.clone();
        for (name, changes) in set {
            let splice = doc.flow_entry_splice(doc.entry_of(name)?, changes);
            doc.check_aliases(std::slice::from_ref(&splice))?;
            doc = self.reload(apply_splices(&doc.text, vec![splice])?)?;
        }
        for name in remove {
            let i = doc
                .model
                .index_of(name)
                .map(|k| doc.layout.of_key[k] as usize)
                .ok_or_else(|| doc.no_key(name))?;
            let entries = &doc.layout.entries;
            let entry = &entries[i];
            let splice = if let Some(next) = entries.get(i + 1) {
                Splice::cut(entry.key_start(), next.key_start())
            } else if i > 0 {
                Splice::cut(entries[i - 1].value_end(), entry.value_end())
            } else {
                // The only entry: a trailing comma after it goes too, and when only blanks
                // stand between it and the brackets, those as well (`{\n  a: 1,\n}` -> `{}`;
                // saphyr refuses `{\n\n}`). A comment there stays.
                let text = &doc.text;
                let blank = [' ', '\t', '\r', '\n'];
                let rest = &text[entry.value_end()..];
                let blanks = rest.len() - rest.trim_start_matches(blank).len();
                let mut end = if rest[blanks..].starts_with(',') {
                    entry.value_end() + blanks + 1
                } else {
                    entry.value_end()
                };
                let mut start = entry.key_start();
                let before = text[..start].trim_end_matches(blank);
                let after = text[end..].trim_start_matches(blank);
                if before.ends_with('{') && after.starts_with('}') {
                    (start, end) = (before.len(), text.len() - after.len());
                }
                Splice::cut(start, end)
            };
            doc.check_aliases(std::slice::from_ref(&splice))?;
            doc = self.reload(apply_splices(&doc.text, vec![splice])?)?;
        }
        if !add.is_empty() {
            let splices = doc.new_keys_splices(add)?;
            doc = self.reload(apply_splices(&doc.text, splices)?)?;
        }
        Ok(doc.text)
    }

    /// The text after one step of a flow edit, loaded for the next step. A text that does not
    /// load is the planner's mistake, not the file's: refused as such, not as a syntax error
    /// at a position the file does not have.
    pub(super) fn reload(&self, text: String) -> Result<Document> {
        Document::load(&self.path, text).map_err(|e| Error::Unsafe {
            path: self.path.clone(),
            message: format!(
                "tokenctl could not make this change safely, so nothing was written: its edit of the flow mapping apiKeys ({{...}}) would not read back ({e}); make the change by hand"
            ),
        })
    }
}
