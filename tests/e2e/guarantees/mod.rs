//! The guarantees that hold across every command (SECURITY.md's promises): crash safety,
//! concurrency, I/O faults, delivery of a secret before the write, links and paths, tenant
//! isolation, hostile and untrusted input, portable YAML, secrets never repeated, escapes
//! never reaching a terminal, and the test clock absent from release builds.

mod clock;
mod concurrency;
mod crash;
mod delivery;
mod differential;
mod escapes;
mod fastpath;
mod faults;
mod hostile;
mod isolation;
mod links;
mod paths;
mod portable;
mod portable_readers;
mod reading;
mod redaction;
mod secrets;
mod untrusted;
mod writes;
