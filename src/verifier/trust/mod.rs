//! Where a verifier's candidate paths come from: webpki's path search over the configured
//! roots ([`webpki`], shared with the client verifier), another verifier's decision with the
//! CAs proven to sign the leaf ([`wrapped`]), or the leaf alone ([`pins_only`]). Each feeds
//! the decision engine's search and knows nothing of verifiers or reports.

pub(crate) mod pins_only;
pub(crate) mod webpki;
pub(crate) mod wrapped;
