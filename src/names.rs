//! Validation of tenant and key names (docs/FORMAT.md: 1 to 64 of `A-Z a-z 0-9 - _ .`, not `.` or `..`).

use crate::error::{Error, Result};

/// Checks a tenant or key name; `what` is "tenant" or "key" for the message.
pub fn validate(what: &str, name: &str) -> Result<()> {
    if let Some(problem) = problem(name) {
        return Err(Error::Usage(format!(
            "invalid {what} name {:?}: {problem}; use 1 to 64 of A-Z a-z 0-9 - _ .",
            name
        )));
    }
    Ok(())
}

/// Why a name is invalid, or None when it is fine.
pub fn problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.len() > 64 {
        return Some("it is longer than 64 characters");
    }
    if name == "." || name == ".." {
        return Some("'.' and '..' are not names");
    }
    // One pass for the common case, by table (every load checks each key's name); the
    // reasons below only for a name that fails it.
    static NAME_BYTE: [bool; 256] = ascii_alphanumeric_and(b"-_.");
    if name.bytes().all(|b| NAME_BYTE[b as usize]) {
        return None;
    }
    if name.contains('/') || name.contains('\\') {
        return Some("it contains a path separator");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Some("it contains a character that is not allowed");
    }
    None
}

/// A table of the bytes a name-like word may hold, by byte value: ASCII letters and digits,
/// and `extra`. The checks every load runs on each name, permission and key read by table.
pub(crate) const fn ascii_alphanumeric_and(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // A name that differs only in case (`-t ACME` for `acme`) is the nearest there is.
        let d = if c.eq_ignore_ascii_case(name) {
            0
        } else {
            distance(name, c)
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (name.chars().count().max(c.chars().count()) / 3).max(2);
    (d <= limit).then(|| c.to_string())
}

/// Names tokenctl reads that a misspelling would silently turn into another tool's data: the
/// `policy` section, `apiKeys` and the `owner` field, each with the largest edit distance at
/// which another name is taken for it misspelled. `owner` is short: at distance 2 it would
/// take ordinary names for it (`other`, `order`, `power`), so only at 1.
const OURS_MISSPELLED: [(&str, usize); 3] = [("policy", 2), ("apiKeys", 2), ("owner", 1)];

/// Which of tokenctl's names (`policy`, `apiKeys`, `owner`) a key of another tool's data
/// looks like, misspelled: not the same, and within edit distance 2 (`owner`: 1), a swap of
/// two neighbouring characters counting as one edit (`onwer`). A name starting with `x-` is
/// another tool's on purpose (`x-owner`, as a refused `owner` is advised to be renamed),
/// never a misspelling.
pub(crate) fn misspelled_ours(name: &str) -> Option<&'static str> {
    if name.len() > 16 || name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("x-")) {
        return None;
    }
    OURS_MISSPELLED
        .into_iter()
        .find(|&(ours, most)| name != ours && swaps_distance(name, ours) <= most)
        .map(|(ours, _)| ours)
}

/// The optimal string alignment distance over chars: Levenshtein's, with a swap of two
/// neighbouring characters as one edit.
fn swaps_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod misspelled {
    use super::misspelled_ours;

    #[test]
    fn near_misses_of_our_names_are_told_and_others_are_not() {
        for (name, ours) in [
            ("polcy", "policy"),
            ("Policy", "policy"),
            ("polices", "policy"),
            ("apikeys", "apiKeys"),
            ("api_keys", "apiKeys"),
            ("apiKey", "apiKeys"),
            ("ownr", "owner"),
            ("onwer", "owner"),
            ("owners", "owner"),
            ("Owner", "owner"),
            ("plociy", "policy"),
        ] {
            assert_eq!(misspelled_ours(name), Some(ours), "{name}");
        }
        for name in [
            "policy",
            "apiKeys",
            "owner",
            "x-owner",
            "X-policy",
            "name",
            "team",
            "version",
            "permissions",
            "tokenPrefix",
            "metadata",
            "labels",
            "",
        ] {
            assert_eq!(misspelled_ours(name), None, "{name}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_path_tricks() {
        for bad in [
            "",
            "..",
            ".",
            "../x",
            "a/b",
            "a b",
            "a\\b",
            &"x".repeat(65),
            "é",
        ] {
            assert!(problem(bad).is_some(), "{bad:?} should be refused");
        }
        for good in ["a", "ci-deploy", "A.b_c-9", &"x".repeat(64), "..."] {
            assert!(problem(good).is_none(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn suggests_near_names() {
        assert_eq!(
            nearest("ci-deplo", ["ci-deploy", "grafana"]),
            Some("ci-deploy".into())
        );
        assert_eq!(nearest("zzzzzz", ["ci-deploy", "grafana"]), None);
    }
}
