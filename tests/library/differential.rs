//! The differential test of every write (issue 10): generated files (tests/e2e/support/generator.rs),
//! each edited with every kind of edit every writing command makes, and each result either
//! refused or read by an independent YAML parser as exactly the old file with only the edit
//! applied (tests/e2e/support/oracle.rs: serde_yaml, that is libyaml; the same cases through the
//! real binary, with PyYAML and ruamel.yaml too, are tests/e2e/guarantees/differential.rs).
//! Whatever tokenctl writes, tokenctl must load again and be able to write again.
//!
//! Repeatable: a fixed seed. `TOKENCTL_DIFF_SEED=N` picks another, `TOKENCTL_DIFF_DOCS=N` sets
//! how many files (default 1000 in-process, and a tenth of that through the binary);
//! `TOKENCTL_DIFF_VERBOSE=1` prints each file and what was refused and why;
//! `TOKENCTL_DIFF_ONLY=N` runs file N alone (a failure names its number and seed).
//!
//! This half runs in-process, on the library; the model it shares with the other half is
//! tests/e2e/support/differential.rs.

use crate::support::differential::*;
use crate::support::generator::Gen;
use crate::support::harness::Rng;
use crate::support::oracle::{self};
use std::path::Path;
use tokenctl::document::Document;

/// Runs the in-process differential on documents `from..to`, checking every assertion.
fn run_in_process(from: u64, to: u64) -> Stats {
    let mut stats = Stats::default();
    for index in from..to {
        let mut g = Gen::new(seed() ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let plain = index % 4 == 0;
        let gen_doc = g.doc(plain);
        stats.docs += 1;
        let text = gen_doc.text;
        if verbose() {
            eprintln!("document {index}: {text:?}");
        }
        let Ok(doc) = Document::load(Path::new("security.yml"), text.clone()) else {
            continue;
        };
        stats.loaded += 1;
        stats.plain += plain as usize;
        // Read as servers read: libyaml's keys are tokenctl's.
        let old_value = match oracle::read(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                stats.oracle_unreadable.push(format!("{e}: {text:?}"));
                None
            }
        };
        // (Where the oracle renamed anchors apart, a scalar's text may hold the new name.)
        if let Some(v) = old_value.as_ref().filter(|_| !oracle::renames(&text)) {
            match oracle::keys(v) {
                Ok(keys) if keys == doc.model.keys => {}
                Ok(keys) => fail(
                    &text,
                    "load",
                    None,
                    &format!(
                        "libyaml reads the keys as\n  {keys:?}\ntokenctl as\n  {:?}",
                        doc.model.keys
                    ),
                    index,
                ),
                Err(e) => fail(
                    &text,
                    "load",
                    None,
                    &format!("tokenctl loads what libyaml refuses: {e}"),
                    index,
                ),
            }
        }
        let mut rng = Rng::new(seed() ^ index);
        for case in cases(&mut rng, &doc.model.keys) {
            let counts = stats.edits.entry(case.what).or_default();
            let (local, full, new_text) = match doc.proofs(&case.edit()) {
                Ok(p) => p,
                Err(e) => {
                    counts.1 += 1;
                    *stats.refusals.entry(short(&e.to_string())).or_default() += 1;
                    if verbose() {
                        eprintln!("refused {} on document {index}: {e}", case.what);
                    }
                    continue;
                }
            };
            if verbose() {
                eprintln!("{} planned", case.what);
            }
            if let Some(l) = &local {
                stats.local_applied += 1;
                if l.is_ok() != full.is_ok() {
                    fail(
                        &text,
                        case.what,
                        Some(&new_text),
                        &format!("the local proof says {l:?}, the whole-document proof {full:?}"),
                        index,
                    );
                }
            }
            if let Err(e) = &full {
                counts.1 += 1;
                *stats.refusals.entry(short(&e.to_string())).or_default() += 1;
                if verbose() {
                    eprintln!("refused {} on document {index}: {e}", case.what);
                }
                continue;
            }
            counts.0 += 1;
            match judge_accepted(&doc, old_value.as_ref(), &case, &new_text, true) {
                Ok(judged) => stats.judged += judged as usize,
                Err(why) => fail(&text, case.what, Some(&new_text), &why, index),
            }
        }
    }
    stats
}

/// The in-process run, in two halves so both cores work.
fn in_process_half(half: u64) {
    if let Some(only) = std::env::var("TOKENCTL_DIFF_ONLY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        // One document, to look at what it does: `TOKENCTL_DIFF_ONLY=N`.
        if half == 0 {
            report("differential", &run_in_process(only, only + 1));
        }
        return;
    }
    let n = docs();
    let (from, to) = if half == 0 { (0, n / 2) } else { (n / 2, n) };
    let stats = run_in_process(from, to);
    report(&format!("differential (documents {from}..{to})"), &stats);
    // The generator must keep producing files tokenctl reads and edits it makes, or this
    // test would pass by testing nothing.
    assert!(
        stats.loaded * 3 >= stats.docs,
        "only {} of {} generated documents load",
        stats.loaded,
        stats.docs
    );
    for what in [
        "create",
        "delete",
        "update (one flag)",
        "rotate",
        "rotate --grace",
        "apply",
    ] {
        let (ok, _) = stats.edits.get(what).copied().unwrap_or_default();
        assert!(
            ok * 20 >= (to - from) as usize,
            "too few '{what}' edits written: {ok}"
        );
    }
    assert!(stats.judged * 2 >= stats.edits.values().map(|c| c.0).sum::<usize>());
}

#[test]
fn every_edit_reads_back_as_exactly_the_edit_first_half() {
    in_process_half(0);
}

#[test]
fn every_edit_reads_back_as_exactly_the_edit_second_half() {
    in_process_half(1);
}
