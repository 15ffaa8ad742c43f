//! The fast path must build exactly saphyr's tree, or step aside. These tests run both on
//! hand-written files and on thousands of generated ones mixing every construct.

use super::super::parse_full;
use super::*;

/// Fails when the fast path accepts `text` and disagrees with saphyr. Returns whether it
/// accepted.
#[track_caller]
fn agrees(text: &str) -> bool {
    let Some(fast) = parse(text) else {
        return false;
    };
    match parse_full(text) {
        Ok(full) => assert_eq!(fast, full.root, "trees differ for:\n{text}"),
        Err(e) => panic!(
            "the fast path accepted a file saphyr rejects ({}:{} {}):\n{text}",
            e.line, e.col, e.message
        ),
    }
    true
}

const SPEC_EXAMPLE: &str = "# comments anywhere are kept
version: 1                 # optional; absent means 1
tokenPrefix: acme          # optional
permissions:               # optional catalog
  - dns:read
  - dns:write
apiKeys:                   # mapping: key name -> definition
  ci-deploy:
    description: GitHub Actions deploy job     # optional free text
    enabled: true                              # optional, default true
    permissions: [dns:write, domains:read]     # default []
    hash: sha256:a4b1d2f0e0aa34fdb6f07fe5d4f2ac9e4fc48fd1f8a1fd4a8b2a3c8bd6dbaf3a
    createdAt: 2026-11-22T10:00:00Z            # RFC 3339, UTC
    expiresAt: 2027-02-20T10:00:00Z
    allowedIps: [203.0.113.0/24, 2001:db8::/32]  # optional CIDR list
    pathPrefix: /api/dns
    resources: [example.com]
    previousHashes:
      - hash: sha256:b4b1d2f0e0aa34fdb6f07fe5d4f2ac9e4fc48fd1f8a1fd4a8b2a3c8bd6dbaf3a
        expiresAt: 2026-11-23T10:00:00Z
";

#[test]
fn common_files_take_the_fast_path_and_agree() {
    for text in [
        SPEC_EXAMPLE,
        "version: 1\napiKeys:\n  a:\n    hash: x\n",
        "apiKeys:\n  a:\n    permissions: [\"*\", 'x''y', \"q\\\"z\"]\n    description: \"café: ok\"\n",
        // PyYAML's style: lists at their key's indentation.
        "apiKeys:\n  a:\n    permissions:\n    - dns:read\n    - '*'\n    hash: x\n  b:\n    previousHashes:\n    - hash: y\n      expiresAt: z\n",
        "a: [ x , y ]   # c\nb: []\nc: 'it''s'  # d\nd: plain # e\n",
        "  indented: 1\n  root: 2\n",
        "",
        "# only a comment\n\n",
        "a: b",
        "a: ünï\nb: [é, ü]\nc: \"日本\"\n",
        "a:\n  # comment before the nested block\n  b: c\n# comment at column 0\n  d: e\n",
        "a: x,y and {z}\nb: 1#2\nc: -1\nd: --x\ne: :x\nf: ?y\n",
        "seq:\n  - a\n  - [b, c]\n  - 'd'\n  -   e\n  - k: v\n    k2: [w]\n  -   k3: v3\n      k4: v4\n",
        "a:\n- k:\n  - x\n  - y\n  k2: z\n",
    ] {
        assert!(agrees(text), "should take the fast path:\n{text}");
    }
}

#[test]
fn uncommon_files_go_to_saphyr() {
    for text in [
        "a: &x [1]\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  block\n",
        "a: >-\n  folded\n",
        "a: multi\n  line\n",
        "a: {b: c}\n",
        "a: [b,\n  c]\n",
        "a:\n",
        "a:\nb: 1\n",
        "a: 1\r\nb: 2\r\n",
        "a:\tb\n",
        "---\na: 1\n",
        "a: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "\"quoted key\": 1\n",
        "key with space: 1\n",
        "a: \"multi\n  line\"\n",
        "a: \"\\u00e9\"\n",
        "a: [b, ]\n",
        "a: [b # c\n  ]\n",
        "- a\n- b\n",
        "a: b: c\n",
        "a: b:\n",
        "a: 1\n  # indented comment after a value\nb: 2\n",
        "a: \u{feff}x\n",
        "a: \u{85}x\n",
        "a:\n  - \n",
        "a:\n  -\n    b: c\n",
        "a:\n  - - x\n",
        "a: 1\n b: 2\n",
        "a: 1\nb\n",
        "a: \"x\"y\n",
        "a: \"x\"#c\n",
    ] {
        assert!(!agrees(text), "should go to saphyr:\n{text}");
    }
}

/// A tiny deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const KEYS: &[&str] = &[
    "a",
    "apiKeys",
    "ci-deploy",
    "hash",
    "x.y",
    "a/b",
    "k:v",
    "_k",
    "9",
    "true",
    "null",
    "key with space",
    "\"qk\"",
    "'sq'",
    "-k",
    "ké",
    "?k",
    "a#b",
    "[k]",
    "*k",
];

const VALUES: &[&str] = &[
    "plain",
    "two words",
    "with, comma",
    "x # comment",
    "x#y",
    "\"dq\"",
    "'sq'",
    "'it''s'",
    "\"e\\\"s\\\\c\"",
    "\"\\n\\t\"",
    "\"\\u00e9\"",
    "\"\\x41\"",
    "[a, b]",
    "[]",
    "[ a , b ]",
    "[a,b]",
    "[\"*\", 'x']",
    "[a:b, c]",
    "[a: b]",
    "[a #c]",
    "[a, ]",
    "[a, [b]]",
    "[a, {b: c}]",
    "{a: b}",
    "&anc v",
    "*anc",
    "!!str v",
    "!t v",
    "|",
    ">-",
    "null",
    "~",
    "true",
    "123",
    "-1",
    "- a",
    "? x",
    ": x",
    "café",
    "日本語",
    "a: b",
    "a:b",
    "x:",
    "--x",
    "[a, b] # c",
    "\"x\" # c",
    "\"x\"#c",
    "'x'y",
    "a\tb",
    "2026-11-22T10:00:00Z",
    "sha256:a4b1d2f0e0aa34fdb6f07fe5d4f2ac9e4fc48fd1f8a1fd4a8b2a3c8bd6dbaf3a",
    "@x",
    "`x",
    "%x",
    "a ",
    "\"a\" ",
    "[a] ",
    "\"unterminated",
    "'unterminated",
    "[unterminated",
    "x \u{a0}y",
    "x\u{2028}y",
    "\u{feff}",
    "é: x",
    "a]b",
    "a}b",
    "a[b",
    "a{b",
    "#",
    "\"#\"",
    "' #'",
    "a '' b",
    "\"\"",
    "''",
];

/// One random document: nested maps and lists in the styles files use, with junk mixed in.
fn document(rng: &mut Rng) -> String {
    let mut out = String::new();
    let nl = if rng.chance(5) { "\r\n" } else { "\n" };
    let lines = 1 + rng.next() % 25;
    // Indentation levels of the open block collections.
    let mut levels: Vec<usize> = vec![0];
    for _ in 0..lines {
        if rng.chance(20) && levels.len() > 1 {
            levels.pop();
        }
        let indent = *levels.last().unwrap();
        let pad = " ".repeat(indent);
        let roll = rng.next() % 100;
        let extra = if rng.chance(8) { " " } else { "" };
        if roll < 8 {
            out.push_str(&" ".repeat((rng.next() % 8) as usize));
            out.push_str("# a comment: with [stuff]");
        } else if roll < 12 {
            out.push_str(if rng.chance(50) { "" } else { "   " });
        } else if roll < 22 {
            // key opening a nested block
            out.push_str(&format!("{pad}{extra}{}:", rng.pick(KEYS)));
            if rng.chance(20) {
                out.push_str("   # trailing");
            }
            let step = [1usize, 2, 2, 2, 4, 0][(rng.next() % 6) as usize];
            levels.push(indent + step);
        } else if roll < 35 {
            // list item
            out.push_str(&format!("{pad}{extra}- {}", rng.pick(VALUES)));
        } else if roll < 40 {
            // list item holding a mapping
            out.push_str(&format!(
                "{pad}{extra}- {}: {}",
                rng.pick(KEYS),
                rng.pick(VALUES)
            ));
            levels.push(indent + 2);
        } else if roll < 42 {
            out.push_str(rng.pick(&["---", "...", "%YAML 1.2", "-", "- ", "?", "\t- x"]));
        } else {
            out.push_str(&format!(
                "{pad}{extra}{}:{}{}",
                rng.pick(KEYS),
                if rng.chance(5) { "  " } else { " " },
                rng.pick(VALUES)
            ));
            if rng.chance(10) {
                out.push_str(" # c");
            }
        }
        out.push_str(nl);
    }
    if rng.chance(10) {
        out.pop();
    }
    out
}

const GOOD_KEYS: &[&str] = &[
    "a",
    "apiKeys",
    "ci-deploy",
    "hash",
    "x.y",
    "a/b",
    "k:v",
    "_k",
    "9",
    "description",
    "permissions",
    "expiresAt",
];

const GOOD_VALUES: &[&str] = &[
    "plain",
    "two words",
    "with, comma",
    "x # comment",
    "x#y",
    "\"dq\"",
    "'sq'",
    "'it''s'",
    "\"e\\\"s\\\\c\"",
    "[a, b]",
    "[]",
    "[ a , b ]",
    "[a,b]",
    "[\"*\", 'x']",
    "[a:b, c]",
    "null",
    "~",
    "true",
    "-1",
    "café",
    "日本語",
    "a:b",
    "--x",
    "[a, b] # c",
    "\"x\" # c",
    "2026-11-22T10:00:00Z",
    "a]b",
    "a}b",
    "a[b",
    "\"#\"",
    "' #'",
    "\"\"",
    "''",
    "[é, \"ü\", 'x y']",
    "/api/dns",
    "=/x",
    "203.0.113.0/24",
    "2001:db8::/32",
];

/// A well-formed block document in the styles real files use, with a little junk.
fn clean_document(rng: &mut Rng) -> String {
    let mut out = String::new();
    if rng.chance(30) {
        out.push_str("# header comment\n");
    }
    let indent = if rng.chance(10) { 2 } else { 0 };
    clean_map(rng, indent, 0, &mut out);
    if rng.chance(10) {
        out.pop();
    }
    if rng.chance(10) {
        out.push_str("\n# trailing comment\n\n");
    }
    out
}

fn key(rng: &mut Rng) -> &'static str {
    if rng.chance(3) {
        rng.pick(KEYS)
    } else {
        rng.pick(GOOD_KEYS)
    }
}

fn value(rng: &mut Rng) -> &'static str {
    if rng.chance(3) {
        rng.pick(VALUES)
    } else {
        rng.pick(GOOD_VALUES)
    }
}

fn filler(rng: &mut Rng, indent: usize, out: &mut String) {
    if rng.chance(10) {
        let at = if rng.chance(80) {
            indent
        } else {
            (rng.next() % 8) as usize
        };
        out.push_str(&format!("{}# note: [x]\n", " ".repeat(at)));
    }
    if rng.chance(5) {
        out.push_str(if rng.chance(50) { "\n" } else { "    \n" });
    }
}

/// Mapping entries at `indent`.
fn clean_map(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
    let entries = 1 + rng.next() % 4;
    for _ in 0..entries {
        filler(rng, indent, out);
        out.push_str(&" ".repeat(indent));
        out.push_str(key(rng));
        out.push(':');
        clean_value(rng, indent, depth, out);
    }
}

/// What follows `key:`: an inline value, or a nested block.
fn clean_value(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
    let roll = rng.next() % 100;
    if depth >= 4 || roll < 60 {
        out.push_str(if rng.chance(5) { "   " } else { " " });
        out.push_str(value(rng));
        if rng.chance(10) {
            out.push_str("  # trailing");
        }
        out.push('\n');
    } else if roll < 80 {
        out.push_str(if rng.chance(10) {
            "  # opens a map\n"
        } else {
            "\n"
        });
        let step = [1usize, 2, 2, 4][(rng.next() % 4) as usize];
        clean_map(rng, indent + step, depth + 1, out);
    } else {
        out.push('\n');
        let step = [0usize, 0, 2, 2, 4][(rng.next() % 5) as usize];
        clean_seq(rng, indent + step, depth + 1, out);
    }
}

fn clean_seq(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
    let items = 1 + rng.next() % 3;
    for _ in 0..items {
        filler(rng, indent, out);
        out.push_str(&" ".repeat(indent));
        out.push('-');
        let gap = if rng.chance(10) { 3 } else { 1 };
        out.push_str(&" ".repeat(gap));
        if rng.chance(30) {
            clean_map_in_item(rng, indent + 1 + gap, depth, out);
        } else {
            out.push_str(value(rng));
            out.push('\n');
        }
    }
}

fn clean_map_in_item(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
    out.push_str(key(rng));
    out.push(':');
    clean_value(rng, indent, depth + 1, out);
    for _ in 0..rng.next() % 3 {
        filler(rng, indent, out);
        out.push_str(&" ".repeat(indent));
        out.push_str(key(rng));
        out.push(':');
        clean_value(rng, indent, depth + 1, out);
    }
}

#[test]
fn generated_files_agree_with_saphyr() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        agrees(&document(&mut rng));
    }
    let (mut fast, total) = (0, 20_000);
    for _ in 0..total {
        let text = clean_document(&mut rng);
        if agrees(&text) {
            fast += 1;
        }
    }
    // The generator must exercise the fast path often, or this test proves nothing.
    assert!(
        fast * 3 > total,
        "only {fast} of {total} took the fast path"
    );
}

/// A block value's end is the same whichever search finds it (a byte loop up to 48 bytes,
/// memchr beyond): against the rule read one byte at a time, on values of every length
/// around the boundary, `:`, `#` and spaces at every place.
#[test]
fn a_block_plain_ends_alike_on_either_side_of_the_byte_loop() {
    // The rule: a `#` after a space starts a comment; a `:` before a blank or the line's
    // end makes it no plain scalar; trailing spaces are not the value's.
    fn by_byte(b: &[u8], v: usize, le: usize) -> Option<usize> {
        let mut end = le;
        for at in v..le {
            match b[at] {
                b'#' if b[at - 1] == b' ' => {
                    end = at;
                    break;
                }
                b':' if at + 1 >= le || b[at + 1] == b' ' => return None,
                _ => {}
            }
        }
        while end > v && b[end - 1] == b' ' {
            end -= 1;
        }
        (end > v).then_some(end)
    }
    let mut rng = Rng(0x005e_ed48);
    let alphabet = b"aZ9-_./: : #  #x";
    for _ in 0..200_000 {
        let len = 1 + (rng.next() % 70) as usize;
        // `k: ` then a value starting with a letter (no indicator: plain_end's first test).
        let mut b = b"k: a".to_vec();
        for _ in 1..len {
            b.push(alphabet[(rng.next() % alphabet.len() as u64) as usize]);
        }
        let (v, le) = (3, b.len());
        b.push(b'\n');
        assert_eq!(
            plain_end(&b, v, le, false),
            by_byte(&b, v, le),
            "{:?}",
            String::from_utf8_lossy(&b)
        );
    }
}
