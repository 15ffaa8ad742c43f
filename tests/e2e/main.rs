//! End-to-end tests: every test drives the real `tokenctl` binary in a temp folder and checks
//! stdout, stderr, the exit code and the file's bytes afterwards.

mod testenv;

mod ansible;
mod api;
mod api_errors;
mod api_proxy;
mod api_review;
mod api_service;
mod api_table;
mod apply;
mod clipboard;
mod clock;
mod core;
mod definition;
mod fastpath;
mod generated;
mod help;
mod instances;
mod interactive;
mod lifecycle;
mod missing;
mod operators;
mod past_expiry;
mod readme;
mod rename;
mod restrict;
mod scan;
mod schema;
mod scripting;
mod server;
mod shells;
mod store;
mod table;
mod tenants;
mod units;

// Reliability and security: faults, crashes, concurrency, hostile files, paths, secrets.
mod harness;

mod concurrency;
mod crash;
mod delivery;
mod differential;
mod escapes;
mod faults;
mod found;
mod hostile;
mod isolation;
mod links;
mod paths;
mod portable;
mod portable_readers;
mod precommit;
mod props;
mod prove;
mod reading;
mod redaction;
mod reproducers;
mod review;
mod secrets;
mod untrusted;

// The independent reader and the file generator the differential test shares.
mod oracle;
mod yamlgen;
