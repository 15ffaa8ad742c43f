//! The planner in-process: splices applied and refused, and the new text of small edits on
//! block and flow `apiKeys`, byte for byte. (tests/e2e drives the same code through the CLI.)

use super::splice::{Splice, apply_splices};
use crate::document::{Document, Edit};
use crate::model::ApiKey;
use crate::token::TokenHash;
use std::path::Path;

fn hash(digit: char) -> String {
    format!("sha256:{}", digit.to_string().repeat(64))
}

fn key(name: &str, digit: char) -> ApiKey {
    ApiKey::new(name.into(), TokenHash::parse(&hash(digit)).unwrap())
}

fn load(text: &str) -> Document {
    Document::load(Path::new("security.yml"), text.to_string()).unwrap()
}

/// The new text of `edit` on `text`: the plan's, which the prover must accept as it is.
#[track_caller]
fn planned(text: &str, edit: Edit) -> String {
    let doc = load(text);
    let plan = doc.plan(&edit).unwrap();
    let text = plan.new.whole(&doc.text);
    assert_eq!(
        doc.edited(&edit).unwrap(),
        text,
        "the prover accepts the plan"
    );
    text
}

/// `text` with `{a}`, `{b}`, `{c}` standing for three hashes.
fn with_hashes(text: &str) -> String {
    text.replace("{a}", &hash('a'))
        .replace("{b}", &hash('b'))
        .replace("{c}", &hash('c'))
}

#[test]
fn splices_insert_cut_and_replace_in_any_order() {
    let splices = vec![
        Splice::new(4, 6, "YZ"),
        Splice::new(1, 1, "X"),
        Splice::cut(2, 3),
    ];
    assert_eq!(apply_splices("abcdef", splices).unwrap(), "aXbdYZ");
    assert_eq!(apply_splices("abc", Vec::new()).unwrap(), "abc");
    assert_eq!(
        apply_splices("", vec![Splice::new(0, 0, "x")]).unwrap(),
        "x"
    );
}

#[test]
fn insertions_at_one_place_keep_their_order() {
    let splices = vec![Splice::new(2, 2, "1"), Splice::new(2, 2, "2")];
    assert_eq!(apply_splices("abcd", splices).unwrap(), "ab12cd");
}

#[test]
fn overlapping_backward_or_out_of_range_splices_are_refused() {
    for splices in [
        vec![Splice::cut(1, 3), Splice::cut(2, 4)],
        vec![Splice::cut(2, 7)],
        vec![Splice::new(3, 2, "x")],
    ] {
        let e = apply_splices("abcdef", splices.clone()).unwrap_err();
        assert!(
            e.to_string().contains("internal error: overlapping edits"),
            "{splices:?}: {e}"
        );
    }
}

#[test]
fn a_splice_into_an_aliased_value_is_refused_and_one_elsewhere_is_not() {
    let text = with_hashes("x: &a\n  k: 1\ny: *a\napiKeys:\n  ci:\n    hash: {a}\n");
    let doc = load(&text);
    let inside = text.find("k: 1").unwrap();
    let e = doc
        .check_aliases(&[Splice::new(inside, inside + 4, "k: 2")])
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("would alter the value anchored as &a (line 1), which line 3 aliases"),
        "{e}"
    );
    // Added at the end of the aliased block mapping: it would grow under the alias too.
    let after_block = text.find("y:").unwrap();
    assert!(
        doc.check_aliases(&[Splice::new(after_block, after_block, "  j: 2\n")])
            .is_err()
    );
    let hash_at = text.find("hash").unwrap();
    assert!(
        doc.check_aliases(&[Splice::cut(hash_at - 4, text.len())])
            .is_ok()
    );
}

const BLOCK: &str = "version: 1\napiKeys:\n  ci:   # deploys\n    enabled: true\n    hash: {a}\n  web:\n    hash: {b}\n# end\n";

#[test]
fn a_block_entry_changes_only_the_lines_of_its_fields() {
    let mut ci = key("ci", 'a');
    ci.enabled = false;
    ci.description = Some("CI".into());
    assert_eq!(
        planned(&with_hashes(BLOCK), Edit::new().put(ci)),
        with_hashes(
            "version: 1\napiKeys:\n  ci:   # deploys\n    enabled: false\n    hash: {a}\n    description: CI\n  web:\n    hash: {b}\n# end\n"
        )
    );
}

#[test]
fn a_block_entry_is_cut_as_whole_lines() {
    assert_eq!(
        planned(&with_hashes(BLOCK), Edit::new().remove("ci")),
        with_hashes("version: 1\napiKeys:\n  web:\n    hash: {b}\n# end\n")
    );
}

#[test]
fn a_new_key_follows_the_last_block_entry_at_its_indentation() {
    assert_eq!(
        planned(&with_hashes(BLOCK), Edit::new().append(key("new", 'c'))),
        with_hashes(
            "version: 1\napiKeys:\n  ci:   # deploys\n    enabled: true\n    hash: {a}\n  web:\n    hash: {b}\n  new:\n    enabled: true\n    permissions: []\n    hash: {c}\n# end\n"
        )
    );
}

#[test]
fn a_flow_entry_in_a_block_mapping_is_written_again_in_flow_style() {
    let text = with_hashes("apiKeys:\n  ci: {enabled: true, hash: {a}}\n");
    let mut ci = key("ci", 'a');
    ci.enabled = false;
    ci.path_prefix = Some("/api".into());
    assert_eq!(
        planned(&text, Edit::new().put(ci)),
        with_hashes("apiKeys:\n  ci: {enabled: false, hash: {a}, pathPrefix: /api}\n")
    );
}

const FLOW: &str = "apiKeys: {ci: {hash: {a}}, web: {hash: {b}}}  # two\n";

#[test]
fn a_flow_api_keys_mapping_is_edited_change_by_change() {
    let mut ci = key("ci", 'a');
    ci.enabled = false;
    assert_eq!(
        planned(
            &with_hashes(FLOW),
            Edit::new().put(ci).remove("web").append(key("new", 'c'))
        ),
        with_hashes(
            "apiKeys: {ci: {hash: {a}, enabled: false}, new: {enabled: true, permissions: [], hash: {c}}}  # two\n"
        )
    );
}

#[test]
fn removing_the_only_flow_entry_leaves_an_empty_mapping() {
    let text = with_hashes("apiKeys: {\n  ci: {hash: {a}},\n}\n");
    assert_eq!(planned(&text, Edit::new().remove("ci")), "apiKeys: {}\n");
}

#[test]
fn a_first_key_makes_a_new_file_in_the_documented_style() {
    let doc = Document::empty(Path::new("security.yml"));
    let edit = Edit::new().append(key("ci", 'a'));
    assert_eq!(
        doc.edited(&edit).unwrap(),
        with_hashes(
            "version: 1\napiKeys:\n  ci:\n    enabled: true\n    permissions: []\n    hash: {a}\n"
        )
    );
}
