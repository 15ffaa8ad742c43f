//! End-to-end tests: every test drives the real `tokenctl` binary in a temp folder and checks
//! stdout, stderr, the exit code and the file's bytes afterwards. tests/README.md maps each
//! behaviour to its file; the in-process tests of the library are in tests/library/.

mod support;

// One file per command (and per front end's concern).
mod ansible;
mod apply;
mod check;
mod clipboard;
mod create;
mod definition;
mod delete;
mod diff;
mod docs;
mod export;
mod fleet;
mod generated;
mod help;
mod instances;
mod interactive;
mod list;
mod missing;
mod operators;
mod owner;
mod past_expiry;
mod policy;
mod policy_reports;
mod precommit;
mod readme;
mod rename;
mod rotate;
mod scan;
mod schema;
mod scripting;
mod shells;
mod show;
mod tenants;
mod units;
mod update;
mod verify;

// The guarantees that hold across commands: integrity, secrets, hostile input, isolation.
mod guarantees;

// `tokenctl serve`, the admin API, and the library's example server.
mod serve;
