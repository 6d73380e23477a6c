//! Why a verifier could not be built.

use crate::policy::{ClientIdentity, HostPattern, Pin};

/// Why a [`PinningServerVerifier`](crate::PinningServerVerifier) could not be built.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum VerifierBuilderError {
    /// The root store is empty, so no chain could ever validate.
    #[error("no root trust anchors were provided")]
    NoRootAnchors,
    /// A CRL did not parse.
    #[error("CRL #{index} could not be parsed: {error:?}")]
    InvalidCrl {
        /// Its position in the list given, from 0.
        index: usize,
        /// Why, as rustls's own verifier builders report an invalid CRL.
        error: rustls::CertRevocationListError,
    },
    /// A root certificate did not parse as a trust anchor.
    #[error("root certificate #{index} could not be parsed: {error:?}")]
    InvalidRootCertificate {
        /// Its position in the list given, from 0.
        index: usize,
        /// Why, as rustls reports a certificate it cannot use.
        error: rustls::CertificateError,
    },
    /// A root certificate was given that is not a trust anchor of the root store: hashing it
    /// could never match, so the configuration is wrong.
    #[error("root certificate #{index} (\"{subject}\") is not in the root store")]
    RootCertificateNotInStore {
        /// Its position in the list given, from 0.
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// A certificate pin is scoped to the root, but the verifier was given no root
    /// certificates: trust anchors carry only a key and a name, so it could never match.
    #[error(
        "{} has certificate pin {pin} scoped to the root, but no root certificates were given \
         (use with_root_certificates, or pin the root's key with an SPKI pin)",
        describe_owner(.pattern)
    )]
    CertificatePinOnRootWithoutRootCertificates {
        /// The entry, or `None` for the global deny list.
        pattern: Option<HostPattern>,
        /// The pin.
        pin: Pin,
    },
    /// A certificate pin of a client policy is scoped to the root, but the verifier was given
    /// no root certificates: trust anchors carry only a key and a name, so it could never
    /// match.
    #[error(
        "{} has certificate pin {pin} scoped to the root, but no root certificates were given \
         (use with_root_certificates, or pin the root's key with an SPKI pin)",
        describe_client_owner(.identity)
    )]
    ClientCertificatePinOnRootWithoutRootCertificates {
        /// The client entry, or `None` for the global deny list.
        identity: Option<ClientIdentity>,
        /// The pin.
        pin: Pin,
    },
    /// The pin set uses something a pins-only verifier cannot honour without a CA.
    #[error("entry \"{pattern}\" cannot be used without a certificate authority: {reason}")]
    UnsupportedInPinsOnlyMode {
        /// The entry.
        pattern: HostPattern,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn describe_client_owner(identity: &Option<ClientIdentity>) -> String {
    match identity {
        Some(identity) => format!("the client entry for {identity}"),
        None => String::from("the global deny list"),
    }
}

fn describe_owner(pattern: &Option<HostPattern>) -> String {
    match pattern {
        Some(pattern) => format!("entry \"{pattern}\""),
        None => String::from("the global deny list"),
    }
}
