//! Fixtures shared by the tests, examples and benches of rustls-pinning and by pinctl's tests,
//! each kept once.
//!
//! - [`pki`]: a throw-away PKI built in memory with rcgen (roots, intermediates, cross-signed
//!   certificates, leaves, CRLs);
//! - [`net`]: real TLS handshakes over loopback with rustls's blocking API;
//! - [`providers`]: every crypto provider compiled in, so that each scenario runs once per
//!   provider;
//! - [`find_rustls_error`]: the `rustls::Error` a client library wrapped;
//! - [`bench`](mod@bench): the benches' verified paths, large pin sets and loopback handshakes;
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

pub use error_chain::find_rustls_error;
pub use net::*;
pub use pki::*;
/// For [`define_providers`], which names rustls from the crate that expands it.
#[doc(hidden)]
pub use rustls;

/// Defines `pub fn providers()` in the crate that expands it: every rustls crypto provider
/// compiled into that crate's build, with a label, as its own `aws-lc-rs` and `ring` features
/// say (the `cfg`s are evaluated where the macro is expanded).
///
/// Tests loop over `providers()` so that `cargo test --all-features` runs each scenario once
/// per provider: pinning must not depend on which backend verified the signatures. With
/// neither feature the list is empty.
///
/// The library forwards its provider features to this crate's, whose [`providers`] is
/// defined with this macro. A crate that cannot forward features to a dev-dependency (pinctl:
/// `cargo install` drops dev-dependencies and refuses features naming them) expands it in a
/// test module of its own.
#[macro_export]
macro_rules! define_providers {
    () => {
        /// Every rustls crypto provider compiled into this build, with a label.
        pub fn providers() -> ::std::vec::Vec<(
            &'static str,
            ::std::sync::Arc<$crate::rustls::crypto::CryptoProvider>,
        )> {
            ::std::vec![
                #[cfg(feature = "aws-lc-rs")]
                (
                    "aws-lc-rs",
                    ::std::sync::Arc::new($crate::rustls::crypto::aws_lc_rs::default_provider()),
                ),
                #[cfg(feature = "ring")]
                (
                    "ring",
                    ::std::sync::Arc::new($crate::rustls::crypto::ring::default_provider()),
                ),
            ]
        }
    };
}

define_providers!();
