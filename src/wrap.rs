//! Wrap mode: pins enforced on top of a verifier that does not reveal its path.

use std::sync::Arc;

use pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::Error;
use webpki::{EndEntityCert, KeyUsage};

use crate::check::{check_certificate, check_path, CertificateVerdict, PathEntry, Policy, Verdict};
use crate::der;
use crate::error::{PathCertificate, PinningError, VerifierBuilderError};
use crate::pin_set::{PinScope, PinSet, Position};
use crate::report::{Connection, Observation, Outcome, Reporter, Reporting};
use crate::verifier::{
    finish, host_text, is_report_only, policy_for, resolve, PinningVerifier, Resolution, Search,
    Trust,
};
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
/// - the path's order is not known, so a proven CA certificate counts as the root if it is
///   self-issued and as an intermediate otherwise;
/// - the proof checks signatures, validity and name constraints of the partial chain, not
///   revocation (the inner verifier's job);
/// - a certificate pin on a root needs that root's certificate among the candidates;
/// - at most eight candidates are considered per handshake (pin-matching ones when the chain
///   is accepted), so a server cannot make the client prove an unbounded number of chains;
/// - deny pins, like CA pins, can only match the leaf and the candidates: a denied root the
///   server does not send is caught only if it is given to `with_ca_certificates`.
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
    reporting: Option<Reporting>,
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
            reporting: None,
        }
    }

    /// Reports pin events (see [`PinningVerifierBuilder::with_reporting`](crate::PinningVerifierBuilder::with_reporting)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{reporters::MemoryReporter, PinSet, PinningVerifier, Reporting};
    /// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningVerifier::wrap(inner, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .with_reporting(Reporting::new(Arc::new(MemoryReporter::new(100))))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn with_reporting(mut self, reporting: Reporting) -> Self {
        self.reporting = Some(reporting);
        self
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
            self.reporting,
        ))
    }
}

/// The most candidate certificates one verification will try to prove.
const MAX_PROOFS: usize = 8;

pub(crate) struct Wrapped {
    inner: Arc<dyn ServerCertVerifier>,
    supported: WebPkiSupportedAlgorithms,
    extra_cas: Vec<CertificateDer<'static>>,
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

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn verify(
        &self,
        pins: &PinSet,
        reporter: Option<&Reporter>,
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
        let entry = resolution.entry();
        let policy = policy_for(pins, entry);
        let keep_path =
            reporter.is_some_and(|reporter| reporter.wants_accepted_path(pins, &resolution, now));
        let der_of = |path: &[(Position, PathEntry<'_>)]| -> Vec<CertificateDer<'static>> {
            path.iter()
                .filter_map(|(_, entry)| match entry {
                    PathEntry::Der(der) => Some(der.clone().into_owned()),
                    PathEntry::Parsed(cert) => Some(cert.der().into_owned()),
                    PathEntry::Anchor { .. } => None,
                })
                .collect()
        };
        let mut error = None;
        let mut outcome = Outcome::Accepted;
        let mut verified_chain = Vec::new();
        let mut backup = None;
        if !policy.is_empty() || keep_path {
            let leaf = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
            let path = self.proven_path(Some(&policy), &leaf, end_entity, intermediates, now);
            match check_path(&policy, path) {
                Verdict::Accepted { backup: matched } => {
                    backup = matched;
                    if reporter.is_some() && (keep_path || matched.is_some()) {
                        let path = self
                            .proven_path(Some(&policy), &leaf, end_entity, intermediates, now)
                            .collect::<Vec<_>>();
                        verified_chain = der_of(&path);
                    }
                }
                verdict => {
                    let tolerated = is_report_only(entry) && verdict.tolerable_in_report_only();
                    if !tolerated {
                        outcome = Outcome::Rejected;
                    }
                    if !tolerated || reporter.is_some() {
                        // Failure only: list every proven CA, pinned or not, so the message
                        // shows what could be pinned, and check again over that list for its
                        // indexes.
                        let path = self
                            .proven_path(None, &leaf, end_entity, intermediates, now)
                            .collect::<Vec<_>>();
                        let verdict = check_path(&policy, path.iter().cloned());
                        if reporter.is_some() {
                            verified_chain = der_of(&path);
                        }
                        let search = Search::default();
                        search.record(
                            path.into_iter()
                                .map(|(position, entry)| PathCertificate::describe(position, entry))
                                .collect(),
                            verdict,
                            Vec::new(),
                        );
                        error = Some(search.into_error(host_text(server_name), entry));
                    }
                }
            }
        }
        if let (Resolution::Rejected, None) = (&resolution, &error) {
            error = Some(PinningError::HostNotPinned {
                host: host_text(server_name),
            });
            outcome = Outcome::Rejected;
        }
        finish(
            pins,
            reporter,
            &Connection {
                server_name,
                end_entity,
                intermediates,
                now,
            },
            Observation {
                resolution: &resolution,
                verified_chain,
                backup,
                error,
                outcome,
            },
        )
        .map(|()| verified)
    }

    /// The leaf, then each candidate CA proven to sign the leaf's chain, as the root if it is
    /// self-issued and as an intermediate otherwise. With a policy, candidates that match none
    /// of its CA pins are passed over before the proof, which costs signature checks.
    fn proven_path<'a>(
        &'a self,
        policy: Option<&'a Policy<'a>>,
        leaf: &'a EndEntityCert<'a>,
        end_entity: &'a CertificateDer<'a>,
        intermediates: &'a [CertificateDer<'a>],
        now: UnixTime,
    ) -> impl Iterator<Item = (Position, PathEntry<'a>)> + 'a {
        let candidates = intermediates
            .iter()
            .chain(self.extra_cas.iter())
            .filter(move |candidate| {
                policy.is_none_or(|policy| {
                    !matches!(
                        check_certificate(
                            policy,
                            policy.allowed,
                            PathEntry::Der((*candidate).clone()),
                            |scope| scope != PinScope::Leaf,
                        ),
                        CertificateVerdict::Neutral
                    )
                })
            })
            // Each proof is a webpki validation; a server repeating a pinned certificate many
            // times must not make the client do unbounded work. Real chains need one or two.
            .take(MAX_PROOFS)
            .filter(move |candidate| self.proves(leaf, candidate, intermediates, now))
            .map(|candidate| {
                let self_issued = der::certificate_fields(candidate.as_ref())
                    .is_some_and(|fields| fields.subject == fields.issuer);
                let position = match self_issued {
                    true => Position::Root,
                    false => Position::Intermediate,
                };
                (position, PathEntry::Der(candidate.clone()))
            });
        core::iter::once((Position::Leaf, PathEntry::Der(end_entity.clone()))).chain(candidates)
    }
}
