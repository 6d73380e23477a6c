//! pinctl's tests, in one binary: `pinctl` run as a separate process, the way people and CI run
//! it, one module per subject.
//!
//! The tests of `live.rs` read chains from TLS servers on loopback, which run on each crypto
//! provider of this build: `with_aws_lc_rs` and `with_ring` include it, each with its own
//! `provider()` and `PROVIDER` (see `tests/suite/main.rs`). Elsewhere a test server runs on
//! the build's default provider.

// Each provider module includes the same file.
#![allow(clippy::duplicate_mod)]

mod common;
// Running pinctl: only this package's test binaries know where it was built.
#[path = "common/cli.rs"]
mod cli;

mod agreement;
mod bundle;
mod exit_codes;
mod pins;
mod policy;

#[cfg(feature = "aws-lc-rs")]
#[path = "."]
mod with_aws_lc_rs {
    rustls_pinning_test_support::define_provider!(aws_lc_rs);

    mod live;
}

#[cfg(feature = "ring")]
#[path = "."]
mod with_ring {
    rustls_pinning_test_support::define_provider!(ring);

    mod live;
}
