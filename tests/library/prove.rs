//! The write postcondition's two proofs agree (src/document/prove.rs): on generated files and
//! every kind of edit, wherever the local proof (the touched entries parsed on their own)
//! gives a verdict, it is the whole-document proof's. And the local proof applies to the
//! plain block-style files nearly all security.yml files are, or every write would pay for two
//! whole-file parses (the fast path lost).

use crate::support::differential::cases;
use crate::support::generator::Gen;
use crate::support::harness::Rng;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use tokenctl::document::Document;

/// For each kind of edit: (local verdicts, of which yes, edits the proofs were asked about).
type Coverage = BTreeMap<&'static str, (usize, usize, usize)>;

/// Runs both proofs on every edit of one generated file; panics where they disagree.
fn agree(seed: u64, plain: bool, coverage: &mut Coverage) {
    let text = Gen::new(seed).doc(plain).text;
    let Ok(doc) = Document::load(Path::new("security.yml"), text.clone()) else {
        return;
    };
    let mut rng = Rng::new(seed);
    for case in cases(&mut rng, &doc.model.keys) {
        let Ok((local, full, new_text)) = doc.proofs(&case.edit()) else {
            continue;
        };
        // The first key of a file has no entries to stand beside: that takes the whole proof.
        let what = if doc.model.keys.is_empty() {
            "create in a file without keys"
        } else if Document::load(Path::new("security.yml"), new_text.clone())
            .is_ok_and(|d| d.model.keys.is_empty())
        {
            // `apiKeys: {}` goes on apiKeys' own line, outside the entries: the whole proof.
            "delete leaving a file without keys"
        } else {
            case.what
        };
        let c = coverage.entry(what).or_default();
        c.2 += 1;
        if let Some(local) = local {
            c.0 += 1;
            c.1 += local.is_ok() as usize;
            assert_eq!(
                local.is_ok(),
                full.is_ok(),
                "{}: the local proof says {local:?}, the whole-document proof {full:?}\n--- before\n{text}\n--- after\n{new_text}",
                case.what
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_local_proof_never_disagrees_with_the_whole_document_proof(seed in any::<u64>(), plain in any::<bool>()) {
        agree(seed, plain, &mut Coverage::new());
    }
}

#[test]
fn the_local_proof_covers_plain_block_style_files() {
    let mut coverage = Coverage::new();
    // 400 files: the draws of the owner (tests/e2e/support/differential.rs) left 300 a few
    // short of 100 'delete several' edits.
    for seed in 0..400 {
        agree(seed, true, &mut coverage);
    }
    eprintln!("local proof on plain files (verdicts, of which yes / edits):");
    for (what, (local, yes, all)) in &coverage {
        eprintln!("  {what:<30} {local:>4}, {yes:>4} / {all:>4}");
    }
    // Every edit of a plain file that has keys is proven locally.
    for (what, (_, yes, all)) in &coverage {
        if what.ends_with("without keys") {
            continue;
        }
        assert!(*all >= 100, "too few '{what}' edits: {all}");
        assert_eq!(yes, all, "'{what}' lost the local proof on plain files");
    }
}
