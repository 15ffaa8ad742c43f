//! `tokenctl serve` (the admin API) driven by curl and ureq through support/server.rs, and the
//! library's example server (examples/server.rs).

mod caller;
mod errors;
mod example;
mod kubernetes;
mod metrics;
mod proxy;
mod service;
mod table;
