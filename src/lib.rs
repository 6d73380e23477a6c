#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// The layers. Configuration is read into a policy; the decision engine judges candidate paths
// against a policy; reports describe its decisions; verifiers feed it the paths of a handshake
// and hand its outcome to the reporters; the dynamic store combines loaded policies with a
// verifier. Each imports only from those before it in the order policy, config, decision,
// report, verifier, dynamic (with `date` and `der` below them all), and no two modules of one
// folder import each other: `tests/suite/layers.rs` checks both from the source.
pub mod config;
mod decision;
#[cfg(feature = "dynamic")]
mod dynamic;
mod policy;
mod report;
mod verifier;

// Foundations used by every layer.
mod date;
mod der;

// Public facades.
pub mod danger;
#[cfg(feature = "unstable-bench")]
pub mod unstable_bench;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

pub use config::{HpkpError, HpkpPolicy};
pub use date::{Date, DateError};
pub use decision::error::{ClientPinningError, PathCertificate, ServerPinningError};
pub use decision::explain::{
    Decision, ExplainedPath, Explanation, MatchingPin, PathOutcome, PinCheck, PinMatch, PinRole,
    PolicyStanding, Standing,
};
#[cfg(feature = "dynamic")]
pub use dynamic::{bundle, pin_store, refresh};
pub use policy::{
    AfterExpiry, ClientIdentity, ClientIdentityError, ClientPinEntry, ClientPinEntryBuilder,
    ClientPinSet, ClientPinSetBuilder, ClientPinSetError, EnforcementMode, HostPattern,
    HostPatternError, HostPatternKind, Pin, PinEntry, PinEntryBuilder, PinError, PinKind, PinScope,
    PinSet, PinSetBuilder, PinSetError, Position, ScopedPin, UnpinnedClientPolicy,
    UnpinnedHostPolicy,
};
pub use report::reporters;
#[cfg(feature = "serde")]
pub use report::ViolationReport;
pub use report::{Outcome, PinEvent, PinEventKind, PinReporter, Reporting, DEFAULT_EXPIRY_WARNING};
pub use verifier::{
    BuilderPinningExt, PinningClientVerifier, PinningClientVerifierBuilder, PinningServerVerifier,
    PinningServerVerifierBuilder, VerifierBuilderError, WrappingBuilder,
};

/// The crypto provider to pass to the builders when the application has no preference: the
/// process default if one is installed, otherwise the provider this crate's features select
/// (aws-lc-rs before ring).
///
/// Unlike `ClientConfig::builder()`, this never panics when both providers are compiled in and
/// none is installed.
///
/// ```
/// let provider = rustls_pinning::default_crypto_provider();
/// assert!(!provider.cipher_suites.is_empty());
/// ```
#[cfg(any(feature = "aws-lc-rs", feature = "ring"))]
pub fn default_crypto_provider() -> Arc<CryptoProvider> {
    if let Some(installed) = CryptoProvider::get_default() {
        return installed.clone();
    }
    #[cfg(feature = "aws-lc-rs")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}
