//! Fixtures shared by the tests, examples and benches of rustls-pinning and by pinctl's tests,
//! each kept once.
//!
//! - [`pki`]: a throw-away PKI built in memory with rcgen (roots, intermediates, cross-signed
//!   certificates, leaves, CRLs);
//! - [`net`]: real TLS handshakes over loopback with rustls's blocking API;
//! - [`providers`]: every crypto provider compiled in, so that each scenario runs once per
//!   provider;
//! - [`find_rustls_error`]: the `rustls::Error` a client library wrapped;
//! - [`bench`]: the benches' verified paths, large pin sets and loopback handshakes;
//! - with the `http` feature, [`http`] (HTTPS servers on tokio and hyper), [`integration`]
//!   (the ecosystem tests' genuine server and impostor) and [`demo`] (the examples' PKI and
//!   servers).
//!
//! A test binary uses it as the module it used to include:
//! `use rustls_pinning_test_support as common;`. The pki and net helpers are re-exported at
//! the root for that.
//!
//! Every fallible step of a fixture panics (except in [`demo`], whose callers are examples
//! that report errors): a failure here is a broken fixture, not a test outcome.

pub mod bench;
#[cfg(feature = "http")]
pub mod demo;
mod error_chain;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "http")]
pub mod integration;
pub mod net;
pub mod pki;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

pub use error_chain::find_rustls_error;
pub use net::*;
pub use pki::*;

/// Every rustls crypto provider compiled into this build, with a label.
///
/// Tests loop over this so that `cargo test --all-features` runs each
/// scenario once per provider: pinning must not depend on which backend
/// verified the signatures. The crate under test forwards its provider features
/// (`aws-lc-rs`, `ring`) to this crate's; with neither the list is empty.
pub fn providers() -> Vec<(&'static str, Arc<CryptoProvider>)> {
    vec![
        #[cfg(feature = "aws-lc-rs")]
        (
            "aws-lc-rs",
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        ),
        #[cfg(feature = "ring")]
        ("ring", Arc::new(rustls::crypto::ring::default_provider())),
    ]
}
