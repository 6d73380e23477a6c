//! Entry points for this crate's own benchmarks (`benches/`), compiled only with the
//! `unstable-bench` feature. **Unstable**: not part of the API, no semver promise covers them,
//! and no application should enable the feature.
//!
//! The benches need to time the pin check apart from webpki's chain validation. That is not
//! offered as a public API on purpose: a function that checks pins against "a path" is only
//! sound when that path is the one webpki verified, and a public one would invite passing the
//! chain the server presented, which is the bypass this crate exists to prevent. It would also
//! tie the public API to rustls-webpki's `VerifiedPath` and its release cycle.

use pki_types::{ServerName, UnixTime};
use webpki::VerifiedPath;

use crate::decision::pin_check::Verdict;
use crate::decision::resolution::{policy_for, resolve};
use crate::policy::PinEntry;
use crate::verifier::verification::Trust;
use crate::verifier::PinningServerVerifier;

/// What a WebPKI-mode [`PinningServerVerifier`] adds to chain validation for one verified path:
/// the pin set lookup for `server_name` and the pin check of `path`, exactly as
/// `verify_server_cert` runs them. `Some(true)` when the path is accepted (or no pin applies),
/// `Some(false)` when it is not, `None` for a verifier not in WebPKI mode.
///
/// `path` must come from `verify_for_usage` given the very root store (the same
/// `Arc<RootCertStore>`) the verifier was built with, or the trust anchor's precomputed
/// digests are not found and its key is hashed again.
pub fn check_verified_path(
    verifier: &PinningServerVerifier,
    server_name: &ServerName<'_>,
    path: &VerifiedPath<'_>,
    now: UnixTime,
) -> Option<bool> {
    let Trust::WebPki(trust) = verifier.core().trust() else {
        return None;
    };
    let pins = verifier.pins();
    let resolution = resolve(pins, server_name, now);
    let policy = policy_for(pins, resolution.entry());
    if policy.is_empty() {
        return Some(true);
    }
    Some(matches!(
        trust.path_verdict(&policy, path),
        Verdict::Accepted { .. }
    ))
}

/// The pin check alone: `path` (see [`check_verified_path`]) against `entry`, an entry of the
/// verifier's pin set already looked up (`None`: only the pins denied everywhere apply).
/// Expiry is not looked at. `None` for a verifier not in WebPKI mode.
pub fn check_entry(
    verifier: &PinningServerVerifier,
    entry: Option<&PinEntry>,
    path: &VerifiedPath<'_>,
) -> Option<bool> {
    let Trust::WebPki(trust) = verifier.core().trust() else {
        return None;
    };
    let policy = policy_for(verifier.pins(), entry);
    Some(matches!(
        trust.path_verdict(&policy, path),
        Verdict::Accepted { .. }
    ))
}
