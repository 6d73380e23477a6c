//! Wrap mode: pins enforced on top of a verifier that does not reveal its path.

use std::sync::Arc;

use pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::Error;
use webpki::{EndEntityCert, KeyUsage};

use crate::check::{check_certificate, CertificateVerdict, PathEntry, Verdict};
use crate::error::{PathCertificate, PinningError, VerifierBuilderError};
use crate::pin_set::{PinScope, PinSet, Position};
use crate::verifier::{host_text, policy_for, resolve, PinningVerifier, Resolution, Search, Trust};
use crate::webpki_error::pki_error;

/// Builds a [`PinningVerifier`] that wraps another verifier.
///
/// The inner verifier decides whether the chain is trusted (the operating system's store,
/// enterprise roots, revocation, certificate transparency: whatever it does). The pins are
/// then checked without knowing which path the inner verifier built:
///
/// - **leaf pins** are compared with the leaf directly; the leaf is on every path;
/// - **CA pins** (scope any, intermediate or root) match only a certificate that provably
///   signs a chain down to the leaf: the candidate is made the sole trust anchor of a fresh
///   webpki validation of the leaf with the presented intermediates, at the same `now`. A
///   pinned CA certificate that the server merely appends to an impostor's chain fails that
///   proof.
///
/// Limits, compared with [`PinningVerifier::builder`]:
/// - candidates are the certificates the server presented plus those given to
///   [`with_ca_certificates`](Self::with_ca_certificates); a root the server does not send
///   can only match if it is given there;
/// - intermediate and root scopes are not told apart: both mean "a proven CA";
/// - the proof checks signatures, validity and name constraints of the partial chain, not
///   revocation (the inner verifier's job);
/// - a certificate pin on a root needs that root's certificate among the candidates.
///
/// ```
/// # use std::sync::Arc;
/// # use rustls_pinning::{PinSet, PinningVerifier};
/// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>,
/// #         private_root: rustls::pki_types::CertificateDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = PinningVerifier::wrap(inner, PinSet::builder().build()?,
///         rustls_pinning::default_crypto_provider())
///     .with_ca_certificates([private_root])
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct WrappingBuilder {
    inner: Arc<dyn ServerCertVerifier>,
    pins: PinSet,
    supported: WebPkiSupportedAlgorithms,
    extra_cas: Vec<CertificateDer<'static>>,
}

impl core::fmt::Debug for WrappingBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WrappingBuilder")
            .field("inner", &self.inner)
            .field("entries", &self.pins.len())
            .field("extra_cas", &self.extra_cas.len())
            .finish()
    }
}

impl WrappingBuilder {
    pub(crate) fn new(
        inner: Arc<dyn ServerCertVerifier>,
        pins: PinSet,
        provider: Arc<CryptoProvider>,
    ) -> Self {
        Self {
            inner,
            pins,
            supported: provider.signature_verification_algorithms,
            extra_cas: Vec::new(),
        }
    }

    /// CA certificates, typically roots that servers do not send, that CA pins may match once
    /// proven to sign the server's chain.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>,
    /// #         root: rustls::pki_types::CertificateDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = PinningVerifier::wrap(inner, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .with_ca_certificates([root]);
    /// # Ok(()) }
    /// ```
    pub fn with_ca_certificates(
        mut self,
        certificates: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> Self {
        self.extra_cas.extend(certificates);
        self
    }

    /// Builds the verifier.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningVerifier::wrap(inner, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`VerifierBuilderError::InvalidRootCertificate`] if a CA certificate does not parse.
    pub fn build(self) -> Result<Arc<PinningVerifier>, VerifierBuilderError> {
        for (index, certificate) in self.extra_cas.iter().enumerate() {
            webpki::anchor_from_trusted_cert(certificate).map_err(|error| {
                VerifierBuilderError::InvalidRootCertificate {
                    index,
                    reason: error.to_string(),
                }
            })?;
        }
        Ok(PinningVerifier::from_parts(
            self.pins,
            Trust::Wrapped(Wrapped {
                inner: self.inner,
                supported: self.supported,
                extra_cas: self.extra_cas,
            }),
        ))
    }
}

pub(crate) struct Wrapped {
    inner: Arc<dyn ServerCertVerifier>,
    supported: WebPkiSupportedAlgorithms,
    extra_cas: Vec<CertificateDer<'static>>,
}

fn is_ca_scope(scope: PinScope) -> bool {
    scope != PinScope::Leaf
}

impl Wrapped {
    pub(crate) fn inner(&self) -> &Arc<dyn ServerCertVerifier> {
        &self.inner
    }

    /// Whether `candidate`'s key signs a chain from `leaf` (through `intermediates`) at `now`.
    fn proves(
        &self,
        leaf: &EndEntityCert<'_>,
        candidate: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> bool {
        let Ok(anchor) = webpki::anchor_from_trusted_cert(candidate) else {
            return false;
        };
        leaf.verify_for_usage(
            self.supported.all,
            &[anchor],
            intermediates,
            now,
            KeyUsage::server_auth(),
            None,
            None,
        )
        .is_ok()
    }

    pub(crate) fn verify(
        &self,
        pins: &PinSet,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let resolution = resolve(pins, server_name, now);
        let entry = match resolution {
            Resolution::Pinned(entry) => Some(entry),
            _ => None,
        };
        let policy = policy_for(pins, entry);
        let verdict = if policy.is_empty() {
            Verdict::Accepted
        } else {
            let leaf = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
            self.verdict(&policy, &leaf, end_entity, intermediates, now)
        };
        match (verdict, resolution) {
            (Verdict::Accepted, Resolution::Rejected) => Err(PinningError::HostNotPinned {
                host: host_text(server_name),
            }
            .into_rustls()),
            (Verdict::Accepted, _) => Ok(verified),
            (
                Verdict::Denied {
                    everywhere: false, ..
                }
                | Verdict::NoMatch,
                _,
            ) if entry.is_some_and(|entry| {
                entry.mode() == crate::pin_set::EnforcementMode::ReportOnly
            }) =>
            {
                Ok(verified)
            }
            (verdict, _) => {
                let leaf = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
                let search = Search::default();
                search.record(
                    self.proven_chain(&leaf, end_entity, intermediates, now),
                    verdict,
                );
                Err(search
                    .into_error(host_text(server_name), entry)
                    .into_rustls())
            }
        }
    }

    fn verdict(
        &self,
        policy: &crate::check::Policy<'_>,
        leaf: &EndEntityCert<'_>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Verdict {
        let must_deny_check = !policy.denied.is_empty() || !policy.denied_everywhere.is_empty();
        let mut matched = policy.allowed.is_empty();
        match check_certificate(
            policy,
            PathEntry::Der(end_entity.clone()),
            |scope| scope.admits(Position::Leaf),
            true,
        ) {
            CertificateVerdict::Allowed => matched = true,
            CertificateVerdict::Neutral => {}
            CertificateVerdict::Denied { pin, everywhere } => {
                return Verdict::Denied {
                    pin,
                    index: 0,
                    everywhere,
                }
            }
        }
        let candidates = intermediates.iter().chain(self.extra_cas.iter());
        for candidate in candidates {
            if matched && !must_deny_check {
                break;
            }
            match check_certificate(
                policy,
                PathEntry::Der(candidate.clone()),
                is_ca_scope,
                !matched,
            ) {
                CertificateVerdict::Neutral => {}
                CertificateVerdict::Allowed => {
                    matched = self.proves(leaf, candidate, intermediates, now);
                }
                CertificateVerdict::Denied { pin, everywhere } => {
                    if self.proves(leaf, candidate, intermediates, now) {
                        // The error lists the leaf then the proven CAs; this one is last.
                        let index = 1 + self
                            .proven_cas(leaf, intermediates, now)
                            .position(|proven| proven == candidate)
                            .unwrap_or(0);
                        return Verdict::Denied {
                            pin,
                            index,
                            everywhere,
                        };
                    }
                }
            }
        }
        if matched {
            Verdict::Accepted
        } else {
            Verdict::NoMatch
        }
    }

    fn proven_cas<'a>(
        &'a self,
        leaf: &'a EndEntityCert<'a>,
        intermediates: &'a [CertificateDer<'a>],
        now: UnixTime,
    ) -> impl Iterator<Item = &'a CertificateDer<'a>> + 'a {
        intermediates
            .iter()
            .chain(self.extra_cas.iter())
            .filter(move |candidate| self.proves(leaf, candidate, intermediates, now))
    }

    /// The leaf and every candidate proven to sign its chain: the best account of the path
    /// that wrap mode can give in an error message.
    fn proven_chain(
        &self,
        leaf: &EndEntityCert<'_>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Vec<PathCertificate> {
        core::iter::once(PathCertificate::describe(
            Position::Leaf,
            PathEntry::Der(end_entity.clone()),
        ))
        .chain(self.proven_cas(leaf, intermediates, now).map(|ca| {
            PathCertificate::describe(Position::Intermediate, PathEntry::Der(ca.clone()))
        }))
        .collect()
    }
}
