//! `tokenctl serve` (the admin API) driven by curl and ureq through support/server.rs, its
//! gate (`/authz`, directly and behind a real nginx and Caddy), and the library's example
//! server (examples/server.rs).

mod caller;
mod errors;
mod example;
pub(crate) mod gate;
mod kubernetes;
mod metrics;
mod policy;
mod proxy;
mod service;
mod table;
