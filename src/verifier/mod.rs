//! The verifiers: where candidate paths come from, handed to the decision engine.
//!
//! [`server`] is WebPKI with pins, or wrap mode around another verifier; [`pins_only`]
//! trusts a leaf pin alone; [`client`] verifies the client certificates of mutual TLS. Where
//! their candidate paths come from is [`trust`]; the server verifiers share one verification
//! ([`verification`]) and differ only in their trust.

pub(crate) mod client;
pub(crate) mod error;
pub(crate) mod ext;
pub(crate) mod pins_only;
pub(crate) mod server;
pub(crate) mod trust;
pub(crate) mod verification;
pub(crate) mod webpki_error;

pub use client::{PinningClientVerifier, PinningClientVerifierBuilder};
pub use error::VerifierBuilderError;
pub use ext::BuilderPinningExt;
pub use server::{PinningServerVerifier, PinningServerVerifierBuilder, WrappingBuilder};
