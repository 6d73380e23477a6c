//! pinctl's tests, in one binary: `pinctl` run as a separate process, the way people and CI run
//! it, one module per subject.

mod common;
// Running pinctl: only this package's test binaries know where it was built.
#[path = "common/cli.rs"]
mod cli;

mod agreement;
mod bundle;
mod exit_codes;
mod pins;
mod policy;
