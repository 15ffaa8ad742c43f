//! tokenctl: API keys kept, hashed, in a per-tenant `security.yml` (docs/FORMAT.md).
//!
//! This crate is mainly the `tokenctl` binary, and it offers a limited public library
//! interface: what a Rust server or a tool around security.yml needs, and nothing of the
//! command line. The public modules are:
//!
//! - [`verify`]: load a security.yml once and check each request with the same rule and
//!   reasons as `tokenctl verify` (start here; its doc has a complete example);
//! - [`model`]: the keys of a file as plain data;
//! - [`token`]: generating, hashing and recognising tokens;
//! - [`document`]: reading a security.yml with positions, and editing it without losing a
//!   comment, proven before it is written;
//! - [`store`]: the file on disk: where it is, its lock, and the write transaction (lock,
//!   read, plan, prove, stage, deliver, commit);
//! - [`error`], the error their functions return.
//!
//! Semantic versioning covers these modules only. Anything else reachable (the command-line
//! front end `cli`, and the modules hidden from these docs) is the binary's, not an API, and
//! may change in any release. The library prints nothing: a warning (a
//! hard-linked file, a deprecated construct) goes to the function the caller gives
//! [`store::Store::with_warnings`].
//!
//! Features: `cli` (default) builds the command-line front end and the binary; `serve`
//! (default) the admin REST API of `tokenctl serve`; `http` the helpers that take an
//! `http::HeaderMap` (`verify::Verifier::verify_headers`). With `default-features = false`
//! only the core above is built.

// Without the front ends, the helpers that only they use are unused.
#![cfg_attr(
    not(all(feature = "cli", feature = "serve")),
    allow(dead_code, unused_imports)
)]

pub mod document;
pub mod error;
pub mod model;
pub mod store;
pub mod token;
pub mod verify;

#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod names;
#[doc(hidden)]
pub mod text;
#[doc(hidden)]
pub mod yaml;

pub(crate) mod apply;
#[cfg(feature = "cli")]
pub(crate) mod diff;
pub(crate) mod keys;
pub(crate) mod scan;
#[cfg(any(feature = "cli", feature = "serve"))]
#[allow(dead_code)] // mirror types whose fields only schemars reads
pub(crate) mod schema;
#[cfg(feature = "serve")]
pub(crate) mod serve;
pub(crate) mod tenants;
pub(crate) mod time;
// The JSON of `list -o json` and of the API, with its JSON Schema: the front ends' own.
#[cfg(any(feature = "cli", feature = "serve"))]
pub(crate) mod view;

pub use error::{Error, Result};
