//! In-process tests of the library: they call `tokenctl`'s modules directly and never run the
//! binary (those are in tests/e2e/). Property tests of the lossless edits (props.rs), the
//! write postcondition's two proofs agreeing (prove.rs), the in-process half of the
//! differential test (differential.rs), and the YAML reader against libyaml (reading.rs).

// The end-to-end suite's helpers: the file generator, the independent reader (oracle) and the
// differential test's model. Not every helper is used here.
#[allow(dead_code, unused_imports)]
#[path = "../e2e/support/mod.rs"]
mod support;

mod differential;
mod props;
mod prove;
mod reading;
