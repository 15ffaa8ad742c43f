//! A generator of security.yml files as people and other tools write them, for the
//! differential test and the proof-agreement test: anchors and aliases (redefined names;
//! aliases to scalars, lists, mappings and whole entries), merge keys in foreign places and in
//! tokenctl's, block scalars of every chomping and indentation indicator with trailing empty
//! lines, lines of spaces deeper than the content and comments after them, explicit keys,
//! flow collections on one line and on several with trailing commas, comments everywhere,
//! quoted keys, tags, foreign fields and sections, document markers, CRLF and a BOM, and
//! tokenctl's own fields in every style.
//!
//! Not every file it writes is valid YAML, or a security.yml tokenctl accepts: the tests take
//! what loads and count the rest. [`Doc::plain`] files hold none of the constructs above but
//! comments, quoting, indentation and flow or block lists: the block style the local proof
//! must cover.

#![allow(dead_code)]

use crate::support::harness::Rng;

/// A generated file.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub text: String,
    /// Only plain block style (see the module's documentation).
    pub plain: bool,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// A plain string.
    Text,
    /// A list of valid scopes.
    Scopes,
    /// A mapping of foreign data.
    Map,
    /// A whole entry (a mapping with a hash).
    Entry,
}

/// What a generator run knows: anchors defined so far (the latest definition of a name wins,
/// as in YAML) and a counter for unique hashes.
pub(crate) struct Gen {
    rng: Rng,
    plain: bool,
    anchors: Vec<(String, Kind)>,
    hashes: usize,
    /// The names of entries in apiKeys so far.
    names: Vec<String>,
}

const ANCHOR_NAMES: [&str; 4] = ["p", "d", "e", "x"];

/// Scopes the generator writes (and edits use): all valid.
pub(crate) const SCOPES: [&str; 6] = ["dns:read", "dns:write", "zone:*", "*", "domains:read", "a"];

impl Gen {
    pub(crate) fn new(seed: u64) -> Self {
        Gen {
            rng: Rng::new(seed),
            plain: false,
            anchors: Vec::new(),
            hashes: 0,
            names: Vec::new(),
        }
    }

    fn below(&mut self, n: u64) -> usize {
        self.rng.below(n) as usize
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.rng.below(one_in) == 0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64)]
    }

    fn hash(&mut self) -> String {
        self.hashes += 1;
        crate::support::harness::fake_hash(1000 + self.hashes)
    }

    /// A new anchor of `kind`: `&name`, recorded as the name's latest definition.
    fn anchor(&mut self, kind: Kind) -> String {
        let name = self.pick(&ANCHOR_NAMES).to_string();
        self.anchors.retain(|(n, _)| *n != name);
        self.anchors.push((name.clone(), kind));
        format!("&{name}")
    }

    /// An alias to the latest definition of some anchor of `kind`, if there is one.
    fn alias(&mut self, kind: Kind) -> Option<String> {
        let of: Vec<String> = self
            .anchors
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(n, _)| n.clone())
            .collect();
        if of.is_empty() {
            return None;
        }
        let n = self.below(of.len() as u64);
        Some(format!("*{}", of[n]))
    }

    fn comment(&mut self) -> &'static str {
        self.pick(&["", "", "  # c", " # about: this", "   #"])
    }

    /// A block scalar after `key:` on a line indented `pi`: the header and its lines, with
    /// any chomping and indentation indicator and trailing lines of every kind.
    fn block_scalar(&mut self, pi: usize) -> String {
        let style = self.pick(&["|", ">"]);
        let chomp = self.pick(&["", "-", "+"]);
        let explicit = self.chance(3);
        let n = 1 + self.below(3);
        let header = match (explicit, self.chance(2)) {
            (false, _) => format!("{style}{chomp}"),
            (true, true) => format!("{style}{n}{chomp}"),
            (true, false) => format!("{style}{chomp}{n}"),
        };
        let ci = if explicit {
            pi + n
        } else {
            pi + 1 + self.below(3)
        };
        let mut s = format!(" {header}{}\n", self.pick(&["", " # header comment"]));
        if self.chance(4) {
            s.push('\n');
        }
        let lines = 1 + self.below(3);
        for i in 0..lines {
            // With an explicit indicator even the first line may start deeper; otherwise the
            // first line sets the indentation.
            let extra = if (explicit || i > 0) && self.chance(3) {
                1 + self.below(2)
            } else {
                0
            };
            let text = self.pick(&[
                "text",
                "a: b # not a comment",
                "- item",
                "'q'",
                "x  y",
                "trailing spaces  ",
            ]);
            s.push_str(&format!("{}{text}\n", " ".repeat(ci + extra)));
            if self.chance(4) {
                s.push('\n');
            }
        }
        for _ in 0..self.below(4) {
            match self.below(3) {
                0 => s.push('\n'),
                // Spaces deeper than the content: content lines of spaces.
                1 => s.push_str(&format!("{}\n", " ".repeat(ci + 1 + self.below(2)))),
                _ => s.push_str(&format!("{}\n", " ".repeat(self.below(ci as u64 + 1)))),
            }
        }
        if self.chance(3) {
            // A comment after it: less indented ends the scalar; as deep is content.
            let at = if self.chance(4) {
                ci
            } else {
                self.below(pi as u64 + 1)
            };
            s.push_str(&format!("{}# after the scalar\n", " ".repeat(at)));
        }
        s
    }

    /// A plain or quoted string value after `key:` (one line), maybe a multi-line plain or
    /// quoted scalar continued on lines indented `ci`.
    fn text_value(&mut self, ci: usize) -> String {
        match self.below(if self.plain { 5 } else { 11 }) {
            0 => format!(" plain words{}\n", self.comment()),
            1 => " 'single: quoted'\n".to_string(),
            2 => " \"double # quoted \\u00e9\"\n".to_string(),
            3 => format!(" with comment{}\n", self.pick(&["  # c", " #c"])),
            4 => " \"\"\n".to_string(),
            5 => format!(" first line\n{}continued here\n", " ".repeat(ci)),
            6 => format!(" \"quoted\n{}over lines\"\n", " ".repeat(ci)),
            7 => self.block_scalar(ci.saturating_sub(2)),
            8 => match self.alias(Kind::Text) {
                Some(a) => format!(" {a}\n"),
                None => " alias-less\n".to_string(),
            },
            9 => format!(" {} shared text\n", self.anchor(Kind::Text)),
            _ => " !!str tagged text\n".to_string(),
        }
    }

    /// A list of scopes after `permissions:` of a field at `fi`.
    fn scopes_value(&mut self, fi: usize) -> String {
        let n = self.below(4);
        let items: Vec<&str> = (0..n).map(|_| self.pick(&SCOPES)).collect();
        let mut uniq: Vec<&str> = Vec::new();
        for i in items {
            if !uniq.contains(&i) {
                uniq.push(i);
            }
        }
        let q = |s: &str, g: &mut Gen| match g.below(3) {
            0 => format!("'{s}'"),
            1 => format!("\"{s}\""),
            _ if s == "*" || s.ends_with('*') => format!("'{s}'"),
            _ => s.to_string(),
        };
        let quoted: Vec<String> = uniq.iter().map(|s| q(s, self)).collect();
        let flow_pad = |g: &mut Gen| " ".repeat(fi + 1 + g.below(3));
        let choice = self.below(if self.plain { 4 } else { 9 });
        match choice {
            0 => format!(" [{}]{}\n", quoted.join(", "), self.comment()),
            1 if !quoted.is_empty() => {
                // A block list at the key's indentation or deeper.
                let dash = " ".repeat(fi + 2 * self.below(2));
                quoted.iter().fold(format!("{}\n", self.comment()), |s, i| {
                    s + &format!("{dash}- {i}\n")
                })
            }
            2 if !quoted.is_empty() => format!(" [{},]\n", quoted.join(", ")),
            3 => {
                let pad = flow_pad(self);
                let close = " ".repeat(fi + 1 + self.below(2));
                let mut s = " [\n".to_string();
                for i in &quoted {
                    s.push_str(&format!("{pad}{i},{}\n", self.pick(&["", " # c"])));
                }
                s.push_str(&format!("{close}]\n"));
                s
            }
            4 => match self.alias(Kind::Scopes) {
                Some(a) => format!(" {a}{}\n", self.comment()),
                None => " []\n".to_string(),
            },
            5 => format!(" {} [{}]\n", self.anchor(Kind::Scopes), quoted.join(", ")),
            6 if !quoted.is_empty() => {
                let a = self.anchor(Kind::Scopes);
                let dash = " ".repeat(fi + 2 * self.below(2));
                quoted
                    .iter()
                    .fold(format!(" {a}\n"), |s, i| s + &format!("{dash}- {i}\n"))
            }
            7 => format!(" !!seq [{}]\n", quoted.join(", ")),
            _ => format!(" [{}]\n", quoted.join(", ")),
        }
    }

    fn time_value(&mut self) -> String {
        let t = self.pick(&[
            "2026-01-01T00:00:00Z",
            "2027-06-01T00:00:00Z",
            "2025-03-01T12:30:00Z",
            "2030-01-01T00:00:00+02:00",
        ]);
        match self.below(3) {
            0 => format!(" \"{t}\"\n"),
            1 => format!(" '{t}'{}\n", self.comment()),
            _ => format!(" {t}{}\n", self.comment()),
        }
    }

    /// A foreign value after `key:` of a field or section at indentation `fi`.
    fn foreign_value(&mut self, fi: usize) -> String {
        let deeper = " ".repeat(fi + 2);
        if self.plain {
            return match self.below(4) {
                0 => format!(" team-{}{}\n", self.below(9), self.comment()),
                1 => " {tier: gold, n: 1}\n".to_string(),
                2 => format!("\n{deeper}- a\n{deeper}- 'b # not a comment'\n"),
                _ => format!(
                    "\n{deeper}nested: 1{}\n{deeper}other: [x, y]\n",
                    self.comment()
                ),
            };
        }
        match self.below(17) {
            0 => format!(" team-{}{}\n", self.below(9), self.comment()),
            1 => " {tier: gold, n: 1,}\n".to_string(),
            2 => format!(" {{a: 1,\n{deeper}b: [2, 3],\n{deeper}}}\n"),
            3 => format!("\n{deeper}? a\n"),
            4 => format!("\n{deeper}? []: x\n"),
            5 => format!("\n{deeper}? [a, b]\n{deeper}: c\n{deeper}? d\n"),
            6 => self.block_scalar(fi),
            7 => match self.alias(Kind::Map) {
                Some(a) => format!("\n{deeper}<<: {a}\n{deeper}own: 1\n"),
                None => format!("\n{deeper}<<: {{m: 1}}\n"),
            },
            8 => format!(" {} {{shared: map}}\n", self.anchor(Kind::Map)),
            9 => {
                let kinds = [Kind::Text, Kind::Scopes, Kind::Map, Kind::Entry];
                let k = kinds[self.below(4)];
                match self.alias(k) {
                    Some(a) => format!(" {a}\n"),
                    None => " ~\n".to_string(),
                }
            }
            10 => " !custom tagged\n".to_string(),
            11 => format!("\n{deeper}- a\n{deeper}- {{b: 1}}\n"),
            12 => {
                " [\n".to_string() + &format!("{deeper}1,\n{deeper}2,\n{}]\n", " ".repeat(fi + 1))
            }
            13 => "\n".to_string(),
            14 => " ~\n".to_string(),
            15 => " \"\\ufeff BOM and \\u2028 separator, escaped\"\n".to_string(),
            _ => format!(
                "\n{deeper}nested: 1{}\n{deeper}other: [x, y]\n",
                self.comment()
            ),
        }
    }

    /// One entry of apiKeys at indentation `ki`, fields at `fi`: its lines.
    fn entry(&mut self, ki: usize, fi: usize) -> String {
        let i = self.names.len();
        let stem = self.pick(&["k", "ci-deploy-", "a.b_", "Key", "svc"]);
        let name = format!("{stem}{i}");
        self.names.push(name.clone());
        let pad = " ".repeat(ki);
        let fpad = " ".repeat(fi);
        let key = match self.below(if self.plain { 3 } else { 5 }) {
            0 | 3 => name.clone(),
            1 => format!("\"{name}\""),
            2 => format!("'{name}'"),
            _ => name.clone(),
        };
        let hash = self.hash();
        if !self.plain {
            match self.below(14) {
                0 => {
                    return format!(
                        "{pad}{key}: {{hash: {hash}, enabled: false, permissions: [dns:read, 'zone:*',], x-f: 1}}\n"
                    );
                }
                1 => {
                    return format!(
                        "{pad}{key}: {{\n{fpad}hash: \"{hash}\",\n{fpad}description: flow entry,\n{fpad}labels: {{a: 1}},\n{pad}  }}\n"
                    );
                }
                2 => {
                    if let Some(a) = self.alias(Kind::Entry) {
                        // The same hash twice is check's to report, not the loader's.
                        return format!("{pad}{key}: {a}\n");
                    }
                }
                3 => {
                    return format!("{pad}? {key}\n{pad}:\n{fpad}hash: {hash}\n");
                }
                4 => {
                    // A merge key in tokenctl's place: refused at load.
                    let m = self
                        .alias(Kind::Map)
                        .unwrap_or_else(|| "{enabled: false}".into());
                    return format!("{pad}{key}:\n{fpad}<<: {m}\n{fpad}hash: {hash}\n");
                }
                _ => {}
            }
        }
        let anchor = if !self.plain && self.chance(6) {
            format!(" {}", self.anchor(Kind::Entry))
        } else {
            String::new()
        };
        let mut s = format!("{pad}{key}:{anchor}{}\n", self.comment());
        let mut fields: Vec<String> = Vec::new();
        let h = match self.below(3) {
            0 => format!("\"{hash}\""),
            1 => format!("'{hash}'"),
            _ => hash.clone(),
        };
        fields.push(format!("{fpad}hash: {h}{}\n", self.comment()));
        let count = self.below(7);
        let mut used: Vec<&str> = vec!["hash"];
        for _ in 0..count {
            let f = self.pick(&[
                "description",
                "enabled",
                "permissions",
                "createdAt",
                "expiresAt",
                "allowedIps",
                "pathPrefix",
                "resources",
                "previousHashes",
                "x-owner",
                "labels",
                "x-foreign",
                "x-other",
                "# comment",
            ]);
            if used.contains(&f) {
                continue;
            }
            if !f.starts_with('#') {
                used.push(f);
            }
            let line = match f {
                "description" => format!("{fpad}description:{}", self.text_value(fi + 2)),
                "enabled" => format!(
                    "{fpad}enabled: {}{}\n",
                    self.pick(&["true", "false", "True", "FALSE"]),
                    self.comment()
                ),
                "permissions" => format!("{fpad}permissions:{}", self.scopes_value(fi)),
                "createdAt" => format!("{fpad}createdAt:{}", self.time_value()),
                "expiresAt" => format!("{fpad}expiresAt:{}", self.time_value()),
                "allowedIps" => {
                    if self.chance(2) {
                        format!("{fpad}allowedIps: [10.0.0.0/8, \"2001:db8::/32\", 192.0.2.7]\n")
                    } else {
                        format!("{fpad}allowedIps:\n{fpad}  - 203.0.113.0/24\n")
                    }
                }
                "pathPrefix" => format!(
                    "{fpad}pathPrefix: {}\n",
                    self.pick(&["/api/dns", "\"=/exact\"", "'/x y'"])
                ),
                "resources" => format!(
                    "{fpad}resources: {}\n",
                    self.pick(&["[example.com]", "[]", "['a.example', b.example]"])
                ),
                "previousHashes" => {
                    let (h2, t) = (
                        self.hash(),
                        self.pick(&["2026-11-23T10:00:00Z", "2026-01-01T00:00:00Z"]),
                    );
                    if self.chance(2) {
                        format!(
                            "{fpad}previousHashes:\n{fpad}  - hash: {h2}\n{fpad}    expiresAt: {t}\n"
                        )
                    } else {
                        format!("{fpad}previousHashes: [{{hash: {h2}, expiresAt: \"{t}\"}}]\n")
                    }
                }
                "# comment" => format!(
                    "{}# a comment among the fields\n",
                    " ".repeat(self.below(fi as u64 + 3))
                ),
                other => {
                    let k = if !self.plain && self.chance(5) {
                        format!("\"{other} quoted\"")
                    } else {
                        other.to_string()
                    };
                    format!("{fpad}{k}:{}", self.foreign_value(fi))
                }
            };
            fields.push(line);
        }
        // The hash need not come first.
        if fields.len() > 1 {
            let j = self.below(fields.len() as u64);
            fields.swap(0, j);
        }
        if !self.plain && self.chance(12) {
            fields.push(format!("{fpad}? explicit field\n{fpad}: value\n"));
        }
        for f in fields {
            s.push_str(&f);
        }
        s
    }

    /// A foreign top-level section (or a comment line), at column 0.
    fn section(&mut self) -> String {
        if self.plain {
            return match self.below(6) {
                0 => "# managed by hand\n".to_string(),
                1 => "helm:\n  release: tokens   # someone else's\n  values: {a: 1, b: [x, y]}\n"
                    .to_string(),
                2 => "list:\n- a\n- 'b # not a comment'\n".to_string(),
                3 => "\n".to_string(),
                4 => "other-tool:\n  nested:\n    deep: [1, 2]\n".to_string(),
                _ => "tokenPrefix: acme\n".to_string(),
            };
        }
        match self.below(21) {
            20 => format!(
                "notes:\n- {}- >-\n x\n  y  \n",
                self.block_scalar(0).trim_start()
            ),
            0 => "# managed by hand\n".to_string(),
            1 => "helm:\n  release: tokens   # someone else's\n  values: {a: 1, b: [x, y],}\n"
                .to_string(),
            2 => format!(
                "defaults: {}\n  enabled: false\n  allowedIps: [10.0.0.0/8]\n",
                self.anchor(Kind::Map)
            ),
            3 => format!(
                "perms: {} [dns:read, 'zone:*']\n",
                self.anchor(Kind::Scopes)
            ),
            4 => format!("everything: {} ['*']\n", self.anchor(Kind::Scopes)),
            5 => format!("text: {} shared words\n", self.anchor(Kind::Text)),
            6 => {
                let h = self.hash();
                format!(
                    "template: {}\n  hash: {h}\n  permissions: [dns:read]\n",
                    self.anchor(Kind::Entry)
                )
            }
            7 => match self.alias(Kind::Map) {
                Some(a) => format!("svc:\n  <<: {a}\n  name: svc\n"),
                None => "svc: {<<: {a: 1}, b: 2}\n".to_string(),
            },
            8 => format!("note:{}", self.block_scalar(0)),
            9 => "? complex key\n: value\n".to_string(),
            10 => "? [a, b]\n: x\n".to_string(),
            11 => "ports: [\n  80,\n  443,\n  ]\n".to_string(),
            12 => "\"quoted key\": 1\n'single': [a]\n".to_string(),
            13 => "tagged: !custom {a: 1}\nnum: !!str 123\n".to_string(),
            14 => {
                let kinds = [Kind::Text, Kind::Scopes, Kind::Map, Kind::Entry];
                let k = kinds[self.below(4)];
                match self.alias(k) {
                    Some(a) => format!("mirror: {a}\n"),
                    None => "mirror: ~\n".to_string(),
                }
            }
            15 => "tokenPrefix: acme\n".to_string(),
            16 => "list:\n- a\n- 'b # not a comment'\n".to_string(),
            17 => "\n".to_string(),
            18 => "m: {a: 1,\n  b: [2, 3],\n  }\n".to_string(),
            _ => "version: 1  # the format\n".to_string(),
        }
    }

    /// A whole file.
    pub(crate) fn doc(&mut self, plain: bool) -> Doc {
        self.plain = plain;
        self.anchors.clear();
        self.names.clear();
        let mut s = String::new();
        if !plain {
            match self.below(12) {
                0 => s.push_str("---\n"),
                1 => s.push_str("%YAML 1.2\n---\n"),
                2 => s.push_str("--- # the document\n"),
                _ => {}
            }
        }
        let sections = self.below(5);
        let before = self.below(sections as u64 + 1);
        for _ in 0..before {
            s.push_str(&self.section());
        }
        let ki = 1 + self.below(4);
        let fi = ki + 1 + self.below(4);
        let entries = self.below(6);
        let shape = if plain {
            self.below(10)
        } else {
            self.below(16)
        };
        match shape {
            // No apiKeys at all.
            0 => {}
            1 if entries == 0 => s.push_str(self.pick(&["apiKeys:\n", "apiKeys: {}\n"])),
            10 => s.push_str("apiKeys: ~\n"),
            11 => s.push_str("apiKeys: {}  # none yet\n"),
            12 => {
                // Flow apiKeys.
                let (h1, h2) = (self.hash(), self.hash());
                s.push_str(&format!(
                    "apiKeys: {{a: {{hash: {h1}}}, b: {{hash: \"{h2}\", enabled: false, x: [1,]}}}}\n"
                ));
            }
            13 => {
                let h1 = self.hash();
                s.push_str(&format!(
                    "apiKeys: {{\n  a: {{hash: {h1}, permissions: [dns:read]}},\n  }}\n"
                ));
            }
            14 => {
                // apiKeys anchored, and maybe aliased: new keys would appear there too.
                s.push_str("apiKeys: &keys\n");
                for _ in 0..entries.max(1) {
                    let e = self.entry(ki, fi);
                    s.push_str(&e);
                }
                if self.chance(2) {
                    s.push_str("mirror: *keys\n");
                }
            }
            _ => {
                let header = if plain {
                    self.pick(&["apiKeys:\n", "apiKeys:   # the keys\n", "\"apiKeys\":\n"])
                } else {
                    self.pick(&[
                        "apiKeys:\n",
                        "apiKeys:   # the keys\n",
                        "\"apiKeys\":\n",
                        "apiKeys: !!map\n",
                    ])
                };
                s.push_str(header);
                if self.chance(3) {
                    s.push_str(&format!("{}# first comment\n", " ".repeat(ki)));
                }
                for _ in 0..entries {
                    let e = self.entry(ki, fi);
                    s.push_str(&e);
                    match self.below(6) {
                        0 => s.push('\n'),
                        1 => s.push_str(&format!("{}# between entries\n", " ".repeat(ki))),
                        2 => s.push_str("# at column 0\n"),
                        _ => {}
                    }
                }
            }
        }
        for _ in before..sections {
            s.push_str(&self.section());
        }
        if !plain && self.chance(6) {
            s.push_str("...\n# after the document\n");
        } else if self.chance(4) {
            s.push_str("# the end\n");
        }
        if !plain && self.chance(10) {
            // A top-level merge key: refused at load.
            s.push_str("<<: {x: 1}\n");
        }
        if self.chance(20) {
            // No final line break.
            while s.ends_with('\n') {
                s.pop();
            }
        }
        if self.chance(5) {
            s = s.replace('\n', "\r\n");
        }
        if self.chance(8) {
            s.insert(0, '\u{feff}');
        }
        Doc { text: s, plain }
    }
}
