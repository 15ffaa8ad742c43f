//! The independent reader that tokenctl's writes are judged by: serde_yaml, whose parser is
//! libyaml and shares no code with tokenctl's (a byte scanner and saphyr). Used by the
//! differential test (tests/e2e/guarantees/differential.rs) and by fuzz/fuzz_targets/edit.rs, which
//! includes this file with `#[path]`, so both check the same postcondition.
//!
//! The postcondition of a write, in this reader's terms: the new text reads as the old text
//! read, with only the edit applied. "Only the edit" is said of data, field by field:
//! - the top level keeps every key but apiKeys, in order, with the same values (aliases
//!   resolved, as libyaml gives them); a file that had no apiKeys gains it last, and an empty
//!   file starts `version: 1`;
//! - apiKeys holds the kept keys in their order, then the added ones;
//! - every kept key keeps its foreign fields (those docs/FORMAT.md does not name), in order, with the
//!   same values, and its own fields read (typed, defaults applied, as a server reads them)
//!   as the intended key; an added key holds only tokenctl's fields.
//!
//! What this reader does differently from tokenctl, and why that is no false alarm: it
//! applies no merge keys (`<<` is a plain key to libyaml, as to any YAML 1.2 parser), which
//! is what tokenctl reads too, and tokenctl refuses `<<` wherever it could reach its data; it
//! takes a timestamp as a string, and tokenctl's fields are compared as instants; it refuses
//! duplicate keys, which tokenctl refuses too.

#![allow(dead_code)]

use serde_yaml::{Mapping, Value};
use tokenctl::model::{ApiKey, PreviousHash};
use tokenctl::token::TokenHash;

/// The fields docs/FORMAT.md gives tokenctl in an entry ("The file"). Written out
/// here rather than taken from tokenctl, so the oracle stays independent of it.
pub(crate) const OURS: [&str; 11] = [
    "description",
    "owner",
    "enabled",
    "permissions",
    "hash",
    "createdAt",
    "expiresAt",
    "allowedIps",
    "pathPrefix",
    "resources",
    "previousHashes",
];

/// Reads a whole text. A leading byte order mark is taken off first: serde_yaml skips it
/// but counts it as a column, so ` k:` under `\u{feff}apiKeys:` would be read as a sibling
/// of apiKeys (PyYAML, with libyaml or without, reads the file as YAML says).
///
/// And anchors whose name is defined twice are renamed apart first: serde_yaml 0.9 follows an
/// alias of a redefined name to the wrong node (`a: &x 1`, `b: &x 2`, `c: &d 3`, `m: *x` gives
/// m = 3, where YAML, libyaml itself and ruamel give 2). Each definition of such a name gets a
/// name of its own, and each alias the name of the latest definition before it. The rename is
/// textual (an `&` or `*` after a blank or `[{,`), so it may also rename inside a quoted
/// string or a comment: it does so alike in the old and the new text, and tokenctl writes no
/// `&` or `*` before the generators' anchor names, so both read the same data as before.
pub(crate) fn read(text: &str) -> Result<Value, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_yaml::from_str::<Value>(&unique_anchors(text)).map_err(|e| format!("serde_yaml: {e}"))
}

/// Does [`read`] rename anchors in `text`? Then a scalar holding `&name` text may read with
/// the new name, alike in the old and the new text but not as tokenctl reads it: callers
/// comparing with tokenctl's own reading skip such a text.
pub(crate) fn renames(text: &str) -> bool {
    matches!(unique_anchors(text), std::borrow::Cow::Owned(_))
}

/// `text` with every anchor name that is defined more than once renamed apart (see [`read`]).
fn unique_anchors(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let name_char = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
    // (offset of `&` or `*`, name's end) of every anchor and alias, in order.
    let mut tokens = Vec::new();
    for i in (0..b.len()).filter(|&i| matches!(b[i], b'&' | b'*')) {
        let after_blank =
            i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',');
        let end = (i + 1..b.len())
            .find(|&j| !name_char(b[j]))
            .unwrap_or(b.len());
        if after_blank && end > i + 1 {
            tokens.push((i, end));
        }
    }
    let mut defined = std::collections::HashMap::<&str, usize>::new();
    for &(i, end) in &tokens {
        if b[i] == b'&' {
            *defined.entry(&text[i + 1..end]).or_default() += 1;
        }
    }
    if defined.values().all(|&n| n < 2) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16 * tokens.len());
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    let mut at = 0;
    for (i, end) in tokens {
        let name = &text[i + 1..end];
        if defined.get(name).is_none_or(|&n| n < 2) {
            continue;
        }
        let n = if b[i] == b'&' {
            let n = seen.entry(name).or_default();
            *n += 1;
            *n
        } else {
            match seen.get(name) {
                Some(&n) => n,
                None => continue,
            }
        };
        out.push_str(&text[at..end]);
        out.push_str(&format!("__{n}"));
        at = end;
    }
    out.push_str(&text[at..]);
    std::borrow::Cow::Owned(out)
}

/// The apiKeys mapping of a document: `None` when there is none (or it is null).
fn api(doc: &Value) -> Result<Option<&Mapping>, String> {
    match doc {
        Value::Null => Ok(None),
        Value::Mapping(top) => match top.get("apiKeys") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Mapping(m)) => Ok(Some(m)),
            Some(other) => Err(format!("apiKeys is not a mapping: {other:?}")),
        },
        other => Err(format!("the top level is not a mapping: {other:?}")),
    }
}

/// The keys of a document as docs/FORMAT.md says a server reads them: `Err` where a server would
/// refuse the file (a wrong type, a null where a value is wanted, a missing hash).
pub(crate) fn keys(doc: &Value) -> Result<Vec<ApiKey>, String> {
    let Some(api) = api(doc)? else {
        return Ok(Vec::new());
    };
    api.iter()
        .map(|(name, def)| {
            let name = name
                .as_str()
                .ok_or_else(|| format!("a key name is not text: {name:?}"))?;
            let Value::Mapping(def) = def else {
                return Err(format!("key {name:?} is not a mapping"));
            };
            key(name, def)
        })
        .collect()
}

fn text<'v>(v: &'v Value, what: &str) -> Result<&'v str, String> {
    v.as_str()
        .ok_or_else(|| format!("{what} is not a string: {v:?}"))
}

fn texts(v: &Value, what: &str) -> Result<Vec<String>, String> {
    match v {
        Value::Sequence(items) => items
            .iter()
            .map(|i| text(i, what).map(String::from))
            .collect(),
        _ => Err(format!("{what} is not a list: {v:?}")),
    }
}

fn time(v: &Value, what: &str) -> Result<jiff::Timestamp, String> {
    let s = text(v, what)?;
    s.parse::<jiff::Timestamp>()
        .map_err(|e| format!("{what} {s:?} is not a time: {e}"))
}

fn hash(v: &Value, what: &str) -> Result<TokenHash, String> {
    let s = text(v, what)?;
    TokenHash::parse(s).ok_or_else(|| format!("{what} {s:?} is not sha256:<64 hex>"))
}

/// One entry's typed reading.
fn key(name: &str, def: &Mapping) -> Result<ApiKey, String> {
    let mut k = ApiKey::new(name.to_string(), TokenHash([0; 32]));
    let mut has_hash = false;
    for (field, v) in def {
        let Some(field) = field.as_str() else {
            continue;
        };
        let what = format!("{name}.{field}");
        match field {
            "description" => k.description = Some(text(v, &what)?.to_string()),
            "owner" => k.owner = Some(text(v, &what)?.to_string()),
            "enabled" => {
                k.enabled = v
                    .as_bool()
                    .ok_or_else(|| format!("{what} is not a boolean: {v:?}"))?
            }
            "permissions" => k.permissions = texts(v, &what)?,
            "hash" => {
                k.hash = hash(v, &what)?;
                has_hash = true;
            }
            "createdAt" => k.created_at = Some(time(v, &what)?),
            "expiresAt" => k.expires_at = Some(time(v, &what)?),
            "allowedIps" => {
                k.allowed_ips = Some(
                    texts(v, &what)?
                        .iter()
                        .map(|s| tokenctl::model::parse_cidr(s))
                        .collect::<Result<_, _>>()?,
                )
            }
            "pathPrefix" => k.path_prefix = Some(text(v, &what)?.to_string()),
            "resources" => k.resources = Some(texts(v, &what)?),
            "previousHashes" => {
                let Value::Sequence(items) = v else {
                    return Err(format!("{what} is not a list"));
                };
                for item in items {
                    let (Some(h), Some(t)) = (item.get("hash"), item.get("expiresAt")) else {
                        return Err(format!("{what}: an item lacks hash or expiresAt"));
                    };
                    k.previous_hashes.push(PreviousHash {
                        hash: hash(h, &what)?,
                        expires_at: time(t, &what)?,
                    });
                }
            }
            _ => {}
        }
    }
    if !has_hash {
        return Err(format!("key {name:?} has no hash"));
    }
    Ok(k)
}

/// An edit in the oracle's terms, as tokenctl's `Edit` says it: keys to replace (whole new
/// definitions), keys to remove, keys to add after the last one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Change {
    pub put: Vec<ApiKey>,
    pub remove: Vec<String>,
    pub add: Vec<ApiKey>,
}

/// A key's own fields as the values a new entry holds.
fn fields_of(k: &ApiKey) -> Mapping {
    let s = |x: &str| Value::String(x.to_string());
    let list = |l: &[String]| Value::Sequence(l.iter().map(|x| s(x)).collect());
    let t = |t: jiff::Timestamp| s(&t.to_string());
    let mut m = Mapping::new();
    if let Some(d) = &k.description {
        m.insert(s("description"), s(d));
    }
    if let Some(o) = &k.owner {
        m.insert(s("owner"), s(o));
    }
    m.insert(s("enabled"), Value::Bool(k.enabled));
    m.insert(s("permissions"), list(&k.permissions));
    m.insert(s("hash"), s(&k.hash.to_string()));
    if let Some(c) = k.created_at {
        m.insert(s("createdAt"), t(c));
    }
    if let Some(e) = k.expires_at {
        m.insert(s("expiresAt"), t(e));
    }
    if let Some(ips) = &k.allowed_ips {
        let ips: Vec<String> = ips.iter().map(|n| n.to_string()).collect();
        m.insert(s("allowedIps"), list(&ips));
    }
    if let Some(p) = &k.path_prefix {
        m.insert(s("pathPrefix"), s(p));
    }
    if let Some(r) = &k.resources {
        m.insert(s("resources"), list(r));
    }
    if !k.previous_hashes.is_empty() {
        let items = k
            .previous_hashes
            .iter()
            .map(|p| {
                let mut m = Mapping::new();
                m.insert(s("hash"), s(&p.hash.to_string()));
                m.insert(s("expiresAt"), t(p.expires_at));
                Value::Mapping(m)
            })
            .collect();
        m.insert(s("previousHashes"), Value::Sequence(items));
    }
    m
}

/// The document `old` (of text `old_text`) should read as after `change`. `Err` when the
/// change cannot apply (a key to replace or remove that `old` lacks, for this reader).
pub(crate) fn expected(old_text: &str, old: &Value, change: &Change) -> Result<Value, String> {
    let mut top = match old {
        Value::Mapping(m) => m.clone(),
        Value::Null => Mapping::new(),
        other => return Err(format!("the top level is not a mapping: {other:?}")),
    };
    if old_text.is_empty() && !change.add.is_empty() {
        top.insert("version".into(), Value::Number(1.into()));
    }
    let mut api = api(old)?.cloned().unwrap_or_default();
    for name in &change.remove {
        api.shift_remove(name.as_str())
            .ok_or_else(|| format!("no key {name:?} to remove"))?;
    }
    for new in &change.put {
        let Some(Value::Mapping(def)) = api.get_mut(new.name.as_str()) else {
            return Err(format!("no key {:?} to replace", new.name));
        };
        // tokenctl's fields become the new key's; foreign ones stay as they are. (Where an
        // own field goes in the mapping is the writer's choice: compare() reads them typed.)
        def.retain(|k, _| !k.as_str().is_some_and(|f| OURS.contains(&f)));
        def.extend(fields_of(new));
    }
    for new in &change.add {
        if api.contains_key(new.name.as_str()) {
            return Err(format!("key {:?} exists", new.name));
        }
        api.insert(new.name.clone().into(), Value::Mapping(fields_of(new)));
    }
    let has_api = top.contains_key("apiKeys");
    if has_api || !api.is_empty() {
        let value = if api.is_empty() && matches!(top.get("apiKeys"), Some(Value::Null)) {
            Value::Null
        } else {
            Value::Mapping(api)
        };
        top.insert("apiKeys".into(), value);
    }
    if top.is_empty() && matches!(old, Value::Null) {
        return Ok(Value::Null);
    }
    Ok(Value::Mapping(top))
}

/// Does `got` read as `want` says (see the module's documentation)? `Err` names the first
/// difference.
pub(crate) fn compare(want: &Value, got: &Value) -> Result<(), String> {
    let empty = Mapping::new();
    let as_map = |v: &'_ Value| -> Result<Mapping, String> {
        match v {
            Value::Mapping(m) => Ok(m.clone()),
            Value::Null => Ok(empty.clone()),
            other => Err(format!("the top level is not a mapping: {other:?}")),
        }
    };
    let (w, g) = (as_map(want)?, as_map(got)?);
    let wk: Vec<&Value> = w.keys().collect();
    let gk: Vec<&Value> = g.keys().collect();
    if wk != gk {
        return Err(format!("top-level keys {gk:?}, expected {wk:?}"));
    }
    for (k, wv) in &w {
        let gv = &g[k];
        if k.as_str() != Some("apiKeys") {
            if wv != gv {
                return Err(format!("top-level {k:?} reads {gv:?}, expected {wv:?}"));
            }
            continue;
        }
        let entries = |v: &Value| -> Result<Mapping, String> {
            match v {
                Value::Mapping(m) => Ok(m.clone()),
                Value::Null => Ok(Mapping::new()),
                other => Err(format!("apiKeys is not a mapping: {other:?}")),
            }
        };
        let (we, ge) = (entries(wv)?, entries(gv)?);
        let wn: Vec<&Value> = we.keys().collect();
        let gn: Vec<&Value> = ge.keys().collect();
        if wn != gn {
            return Err(format!("apiKeys names {gn:?}, expected {wn:?}"));
        }
        for (name, wd) in &we {
            let gd = &ge[name];
            let n = name.as_str().unwrap_or("?");
            let (Value::Mapping(wd), Value::Mapping(gd)) = (wd, gd) else {
                if wd != gd {
                    return Err(format!("key {n:?} reads {gd:?}, expected {wd:?}"));
                }
                continue;
            };
            let foreign = |m: &Mapping| -> Vec<(Value, Value)> {
                m.iter()
                    .filter(|(k, _)| !k.as_str().is_some_and(|f| OURS.contains(&f)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
            let (wf, gf) = (foreign(wd), foreign(gd));
            if wf != gf {
                return Err(format!(
                    "key {n:?}: foreign fields read {gf:?}, expected {wf:?}"
                ));
            }
            let typed = |m: &Mapping| key(n, m);
            match (typed(wd), typed(gd)) {
                (Ok(a), Ok(b)) if a == b => {}
                (Ok(a), Ok(b)) => {
                    return Err(format!("key {n:?} reads as\n  {b:?}\nexpected\n  {a:?}"));
                }
                (Err(e), _) => return Err(format!("the expectation itself: {e}")),
                (_, Err(e)) => return Err(format!("key {n:?}: {e}")),
            }
        }
    }
    Ok(())
}

/// The whole postcondition of one accepted write: `new_text` reads, with this parser, as
/// `old_text` with `change` applied. `Ok(false)` when this parser cannot read the old text
/// (then it has nothing to say).
pub(crate) fn check(old_text: &str, new_text: &str, change: &Change) -> Result<bool, String> {
    let Ok(old) = read(old_text) else {
        return Ok(false);
    };
    let want = expected(old_text, &old, change)?;
    let got = read(new_text).map_err(|e| format!("the new text does not read: {e}"))?;
    compare(&want, &got)?;
    Ok(true)
}
