//! tokenctl: API keys kept, hashed, in a per-tenant `security.yml`.
//!
//! The binary is a thin shell over this library. Rust servers use [`verify::Verifier`] to
//! load a security.yml once and check each request with the same rule and reasons as
//! `tokenctl verify`.

pub mod apply;
pub mod cli;
pub mod document;
pub mod error;
pub mod keys;
pub mod model;
pub mod names;
pub mod scan;
pub mod schema;
#[cfg(feature = "serve")]
pub mod serve;
pub mod store;
pub mod tenants;
pub mod text;
pub mod time;
pub mod token;
pub mod verify;
pub mod view;
pub mod yaml;

pub use error::{Error, Result};
