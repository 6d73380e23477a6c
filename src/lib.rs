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

#[cfg(feature = "dynamic")]
pub mod bundle;
mod check;
mod client_policy;
mod client_verifier;
#[cfg(feature = "serde")]
pub mod config;
pub mod danger;
mod date;
mod decision;
mod der;
mod error;
mod ext;
mod host_pattern;
mod hpkp_header;
#[cfg(feature = "serde")]
mod hpkp_report;
mod name_index;
mod pin;
mod pin_set;
#[cfg(feature = "dynamic")]
pub mod pin_store;
#[cfg(feature = "dynamic")]
pub mod refresh;
mod report;
pub mod reporters;
#[cfg(feature = "unstable-bench")]
pub mod unstable_bench;
mod verifier;
mod webpki_error;
mod wrap;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

pub use client_policy::{
    ClientIdentity, ClientIdentityError, ClientPinEntry, ClientPinEntryBuilder, ClientPinSet,
    ClientPinSetBuilder, ClientPinSetError, UnpinnedClientPolicy,
};
pub use client_verifier::{PinningClientVerifier, PinningClientVerifierBuilder};
pub use date::{Date, DateError};
pub use decision::explain::{
    Decision, ExplainedPath, Explanation, MatchingPin, PathOutcome, PinCheck, PinMatch, PinRole,
    PolicyStanding, Standing,
};
pub use error::{ClientPinningError, PathCertificate, ServerPinningError, VerifierBuilderError};
pub use ext::BuilderPinningExt;
pub use host_pattern::{HostPattern, HostPatternError, HostPatternKind};
pub use hpkp_header::{HpkpError, HpkpPolicy};
#[cfg(feature = "serde")]
pub use hpkp_report::ViolationReport;
pub use pin::{Pin, PinError, PinKind};
pub use pin_set::{
    AfterExpiry, EnforcementMode, PinEntry, PinEntryBuilder, PinScope, PinSet, PinSetBuilder,
    PinSetError, Position, ScopedPin, UnpinnedHostPolicy,
};
pub use report::{Outcome, PinEvent, PinEventKind, PinReporter, Reporting, DEFAULT_EXPIRY_WARNING};
pub use verifier::{PinningServerVerifier, PinningServerVerifierBuilder};
pub use wrap::WrappingBuilder;

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
