//! Fixtures shared by the tests, examples and benches of rustls-pinning and by pinctl's tests,
//! each kept once.
//!
//! - [`pki`]: a throw-away PKI built in memory with rcgen (roots, intermediates, cross-signed
//!   certificates, leaves, CRLs);
//! - [`net`]: real TLS handshakes over loopback with rustls's blocking API;
//! - [`define_provider`]: a test module's crypto provider, so that each scenario runs once per
//!   provider compiled in;
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
/// For [`define_provider`], which names rustls from the crate that expands it.
#[doc(hidden)]
pub use rustls;

/// Defines, in the module that expands it, the crypto provider its tests run with:
/// `PROVIDER`, the label assert messages print, and `provider()`, a new instance of it.
/// `define_provider!(aws_lc_rs)` or `define_provider!(ring)`.
///
/// A test binary runs every test that needs a provider once per provider compiled in, the way
/// rustls's own tests do: it declares one module per provider feature of its crate, each
/// including the same test files, which use `super::provider()` and `super::PROVIDER` and
/// never name a provider.
///
/// ```text
/// #[cfg(feature = "ring")]
/// #[path = "."]
/// mod with_ring {
///     rustls_pinning_test_support::define_provider!(ring);
///
///     mod verifier_webpki;
/// }
/// ```
///
/// Test names then say which provider a test ran with
/// (`with_ring::verifier_webpki::leaf_spki_pin_...`). The `cfg`s are the test crate's own
/// features: pinctl cannot forward its features to this dev-dependency (`cargo install`
/// drops dev-dependencies and refuses features that name them).
#[macro_export]
macro_rules! define_provider {
    (aws_lc_rs) => {
        $crate::define_provider!(@define "aws-lc-rs", aws_lc_rs);
    };
    (ring) => {
        $crate::define_provider!(@define "ring", ring);
    };
    (@define $label:literal, $module:ident) => {
        /// The crypto provider of this module's tests, as assert messages name it.
        #[allow(dead_code)]
        pub(crate) const PROVIDER: &str = $label;

        /// The crypto provider of this module's tests.
        #[allow(dead_code)]
        pub(crate) fn provider() -> ::std::sync::Arc<$crate::rustls::crypto::CryptoProvider> {
            ::std::sync::Arc::new($crate::rustls::crypto::$module::default_provider())
        }
    };
}
