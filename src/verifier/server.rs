//! `PinningServerVerifier`: WebPKI validation (or another verifier's trust, in wrap mode)
//! with pins matched against the verified path, and its builder.

use core::fmt;
use std::sync::Arc;

use pki_types::CertificateDer;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::RootCertStore;

use crate::policy::PinSet;
use crate::report::Reporting;
use crate::verifier::error::VerifierBuilderError;
use crate::verifier::trust::webpki::{webpki_options_methods, WebPkiOptions, WebPkiTrust};
use crate::verifier::trust::wrapped::Wrapped;
use crate::verifier::verification::{server_verifier_via_core, ServerCore, Trust};
use crate::verifier::webpki_error::certificate_error;

/// A rustls server certificate verifier that runs WebPKI validation and then requires the
/// verified path to match the [`PinSet`].
///
/// Pins are matched only against the path webpki verified (leaf, intermediates, trust
/// anchor), never against other certificates the server sent, so appending a pinned
/// certificate to an impostor's chain achieves nothing. Matching happens while webpki builds
/// paths: with cross-signed roots, the path through the pinned key is found even when another
/// valid path exists.
///
/// Chain and name failures are reported exactly as rustls's `WebPkiServerVerifier` reports
/// them; a pin failure is `CertificateError::Other` carrying a [`ServerPinningError`](crate::ServerPinningError).
///
/// Three ways to build one:
/// - [`PinningServerVerifier::builder`]: WebPKI with your roots (the normal case);
/// - [`PinningServerVerifier::wrap`]: pins on top of another verifier, such as the platform's;
/// - [`crate::danger::pins_only`]: a pin as the only trust, for private services.
///
/// ```
/// use std::sync::Arc;
/// use rustls_pinning::{BuilderPinningExt, Pin, PinEntry, PinSet, PinningServerVerifier};
/// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
/// let provider = rustls_pinning::default_crypto_provider();
/// let pins = PinSet::builder()
///     .entry(PinEntry::builder("api.example.com".parse()?)
///         .pin("sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=".parse()?)
///         .pin("sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?))
///     .build()?;
/// let verifier = PinningServerVerifier::builder(roots, pins, provider.clone()).build()?;
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_pinning(verifier)
///     .with_no_client_auth();
/// # Ok(()) }
/// ```
pub struct PinningServerVerifier {
    core: ServerCore,
}

impl PinningServerVerifier {
    /// Starts a verifier that validates with WebPKI against `roots`, then enforces `pins`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningServerVerifier, VerifierBuilderError};
    /// let empty_roots = Arc::new(rustls::RootCertStore::empty());
    /// let result = PinningServerVerifier::builder(
    ///     empty_roots,
    ///     PinSet::builder().build()?,
    ///     rustls_pinning::default_crypto_provider(),
    /// )
    /// .build();
    /// assert!(matches!(result, Err(VerifierBuilderError::NoRootAnchors)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(
        roots: Arc<RootCertStore>,
        pins: PinSet,
        provider: Arc<CryptoProvider>,
    ) -> PinningServerVerifierBuilder {
        PinningServerVerifierBuilder {
            webpki: WebPkiOptions::new(roots),
            pins,
            supported: provider.signature_verification_algorithms,
            reporting: None,
        }
    }

    /// Starts a verifier that lets `inner` decide trust and then enforces `pins` on top: for
    /// verifiers that do not reveal the path they built, such as rustls-platform-verifier.
    /// See [`WrappingBuilder`](crate::WrappingBuilder) for what this mode can and cannot prove.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningServerVerifier::wrap(inner, PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn wrap(
        inner: Arc<dyn ServerCertVerifier>,
        pins: PinSet,
        provider: Arc<CryptoProvider>,
    ) -> WrappingBuilder {
        WrappingBuilder::new(inner, pins, provider)
    }

    /// A verifier around `core`, whose trust is WebPKI or wrap mode.
    pub(crate) fn from_core(core: ServerCore) -> Arc<Self> {
        Arc::new(Self { core })
    }

    #[cfg_attr(
        not(any(feature = "dynamic", feature = "unstable-bench")),
        allow(dead_code)
    )]
    pub(crate) fn core(&self) -> &ServerCore {
        &self.core
    }
}

server_verifier_via_core!(
    PinningServerVerifier,
    "rustls_pinning::PinningServerVerifier"
);

impl fmt::Debug for PinningServerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinningServerVerifier")
            .field("trust", &self.core.describe_trust())
            .field("entries", &self.core.pins().len())
            .finish()
    }
}

/// Builds a WebPKI [`PinningServerVerifier`]. Revocation options mirror rustls's
/// `ServerCertVerifierBuilder` and default the same way.
#[derive(Debug)]
#[must_use]
pub struct PinningServerVerifierBuilder {
    webpki: WebPkiOptions,
    pins: PinSet,
    supported: WebPkiSupportedAlgorithms,
    reporting: Option<Reporting>,
}

impl PinningServerVerifierBuilder {
    webpki_options_methods!("PinningServerVerifier", "PinSet");

    /// Reports violations, report-only mismatches, skipped expired entries, backup-pin use
    /// and coming expiries (see [`PinEventKind`](crate::PinEventKind)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{reporters::MemoryReporter, PinSet, PinningServerVerifier, Reporting};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let events = Arc::new(MemoryReporter::new(100));
    /// let verifier = PinningServerVerifier::builder(roots, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .with_reporting(Reporting::new(events.clone()))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn with_reporting(mut self, reporting: Reporting) -> Self {
        self.reporting = Some(reporting);
        self
    }

    /// Validates the configuration and precomputes the trust anchors' digests.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningServerVerifier::builder(roots, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An empty root store, a CRL or root certificate that does not parse, a root certificate
    /// missing from the store, or a certificate pin scoped to the root without root
    /// certificates.
    pub fn build(self) -> Result<Arc<PinningServerVerifier>, VerifierBuilderError> {
        if self.webpki.lacks_root_certificates()
            && let Some((pattern, scoped)) = self.pins.root_certificate_pin()
        {
            return Err(
                VerifierBuilderError::CertificatePinOnRootWithoutRootCertificates {
                    pattern: pattern.cloned(),
                    pin: scoped.pin(),
                },
            );
        }
        let trust = WebPkiTrust::new(self.webpki, self.supported)?;
        Ok(PinningServerVerifier::from_core(ServerCore::new(
            self.pins,
            Trust::WebPki(trust),
            self.reporting,
        )))
    }
}

/// Builds a [`PinningServerVerifier`] that wraps another verifier.
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
/// The leaf and the proven CAs are then judged as one path by the same decision engine as
/// WebPKI mode. Limits, compared with [`PinningServerVerifier::builder`]:
/// - the inner verifier's path is not known: every proven CA counts, so a proven denied CA
///   rejects even if the inner verifier built another path;
/// - candidates are the certificates the server presented plus those given to
///   [`with_ca_certificates`](Self::with_ca_certificates); a root the server does not send
///   can only match (or be denied) if it is given there;
/// - the path's order is not known, so a proven CA certificate counts as the root if it is
///   self-issued and as an intermediate otherwise;
/// - the proof checks signatures, validity and name constraints of the partial chain, not
///   revocation (the inner verifier's job);
/// - a certificate pin on a root needs that root's certificate among the candidates;
/// - a candidate is kept only if its subject is the issuer of the leaf or of a presented
///   certificate, and candidates with the same subject, key and name constraints share one
///   proof; at most eight proofs are made per handshake, those that may place a denied key
///   first, all of them or none. When that is not enough to decide, the chain is refused with
///   [`ServerPinningError::ProofBudgetExhausted`](crate::ServerPinningError::ProofBudgetExhausted):
///   a server cannot make the client prove an unbounded number of chains, nor push a denied
///   CA out of the budget.
///
/// ```
/// # use std::sync::Arc;
/// # use rustls_pinning::{PinSet, PinningServerVerifier};
/// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>,
/// #         private_root: rustls::pki_types::CertificateDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = PinningServerVerifier::wrap(inner, PinSet::builder().build()?,
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

    /// Reports pin events (see [`PinningServerVerifierBuilder::with_reporting`](crate::PinningServerVerifierBuilder::with_reporting)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{reporters::MemoryReporter, PinSet, PinningServerVerifier, Reporting};
    /// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningServerVerifier::wrap(inner, PinSet::builder().build()?,
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
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>,
    /// #         root: rustls::pki_types::CertificateDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = PinningServerVerifier::wrap(inner, PinSet::builder().build()?,
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
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningServerVerifier::wrap(inner, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`VerifierBuilderError::InvalidRootCertificate`] if a CA certificate does not parse.
    pub fn build(self) -> Result<Arc<PinningServerVerifier>, VerifierBuilderError> {
        for (index, certificate) in self.extra_cas.iter().enumerate() {
            webpki::anchor_from_trusted_cert(certificate).map_err(|error| {
                VerifierBuilderError::InvalidRootCertificate {
                    index,
                    error: certificate_error(error),
                }
            })?;
        }
        Ok(PinningServerVerifier::from_core(ServerCore::new(
            self.pins,
            Trust::Wrapped(Wrapped::new(self.inner, self.supported, self.extra_cas)),
            self.reporting,
        )))
    }
}
