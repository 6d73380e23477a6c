//! Verifiers that trust something other than a certificate authority.
//!
//! Everything here gives up a protection the rest of the crate keeps; each item says which.
//! Its verifiers are types of their own, installed only through rustls's `.dangerous()` path,
//! never with [`with_pinning`](crate::BuilderPinningExt::with_pinning).

pub use crate::verifier::pins_only::{pins_only, PinsOnlyBuilder, PinsOnlyVerifier};
