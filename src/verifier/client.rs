//! `PinningClientVerifier`: WebPKI client-certificate validation, then client pins keyed by
//! the client's identity, for servers doing mutual TLS.

use core::fmt;
use std::sync::Arc;

use pki_types::{CertificateDer, UnixTime};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, Error, RootCertStore, SignatureScheme};
use webpki::{EndEntityCert, KeyUsage};

use crate::decision::error::ClientPinningError;
use crate::decision::judge::{Combination, HostRule, Judge, Layer, PathVerdict, Standing};
use crate::decision::pin_check::{Policy, Verdict};
use crate::decision::search::{Finding, Refusal, Search};
use crate::der::{self, AltName};
use crate::policy::identity::invalid_presented_spiffe_id;
use crate::policy::EnforcementMode;
use crate::policy::{ClientIdentity, ClientPinEntry, ClientPinSet, UnpinnedClientPolicy};
use crate::verifier::error::VerifierBuilderError;
use crate::verifier::trust::webpki::{webpki_options_methods, WebPkiOptions, WebPkiTrust};
use crate::verifier::webpki_error::pki_error;

/// A rustls client certificate verifier for servers: WebPKI validation of the client's chain
/// against the client-CA roots (with optional CRLs), then the client pins of a
/// [`ClientPinSet`], matched against the **verified** path only.
///
/// Install it with rustls's own (safe) `with_client_cert_verifier`. The policy is keyed by
/// who the client is, not by a host name: the DNS and URI subjectAltNames of its certificate
/// (for example a SPIFFE ID) select the entries whose pins must match, so a workload issued a
/// certificate by the shared CA is still refused unless its key is the pinned one.
///
/// Client authentication is mandatory unless
/// [`allow_unauthenticated`](PinningClientVerifierBuilder::allow_unauthenticated) is called;
/// without a certificate the handshake fails in rustls with
/// `Error::NoCertificatesPresented`. A pin failure is `CertificateError::Other` carrying a
/// [`ClientPinningError`]; chain failures are the errors rustls's `WebPkiClientVerifier`
/// returns.
///
/// ```
/// use std::sync::Arc;
/// use rustls_pinning::{ClientPinEntry, ClientPinSet, PinningClientVerifier};
/// # fn demo(client_ca_roots: Arc<rustls::RootCertStore>,
/// #         chain: Vec<rustls::pki_types::CertificateDer<'static>>,
/// #         key: rustls::pki_types::PrivateKeyDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
/// let provider = rustls_pinning::default_crypto_provider();
/// let policy = ClientPinSet::builder()
///     .entry(ClientPinEntry::builder("spiffe://prod.example/ns/billing".parse()?)
///         .pin("sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=".parse()?)
///         .pin("sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?))
///     .build()?;
/// let verifier = PinningClientVerifier::builder(client_ca_roots, policy, provider.clone()).build()?;
/// let config = rustls::ServerConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_client_cert_verifier(verifier)
///     .with_single_cert(chain, key)?;
/// # Ok(()) }
/// ```
pub struct PinningClientVerifier {
    policy: ClientPinSet,
    trust: WebPkiTrust,
    root_hints: Vec<DistinguishedName>,
    mandatory: bool,
}

impl PinningClientVerifier {
    /// Starts a verifier that validates client certificates against `roots` (the client-CA
    /// roots), then enforces `policy`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{ClientPinSet, PinningClientVerifier, VerifierBuilderError};
    /// let result = PinningClientVerifier::builder(
    ///     Arc::new(rustls::RootCertStore::empty()),
    ///     ClientPinSet::builder().build()?,
    ///     rustls_pinning::default_crypto_provider(),
    /// )
    /// .build();
    /// assert!(matches!(result, Err(VerifierBuilderError::NoRootAnchors)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(
        roots: Arc<RootCertStore>,
        policy: ClientPinSet,
        provider: Arc<CryptoProvider>,
    ) -> PinningClientVerifierBuilder {
        PinningClientVerifierBuilder {
            webpki: WebPkiOptions::new(roots),
            policy,
            provider,
            mandatory: true,
        }
    }

    /// The policy this verifier enforces.
    ///
    /// ```
    /// # use rustls_pinning::PinningClientVerifier;
    /// # fn demo(verifier: &PinningClientVerifier) {
    /// println!("{} client identities pinned", verifier.policy().len());
    /// # }
    /// ```
    pub fn policy(&self) -> &ClientPinSet {
        &self.policy
    }

    /// The entries that apply to a client whose leaf is `leaf`, each once: every entry one of
    /// its subjectAltNames selects, or else the any-client entry. Empty means "unpinned".
    fn applicable_entries<'a>(&'a self, leaf: &'a [u8]) -> Vec<&'a ClientPinEntry> {
        let mut entries: Vec<&ClientPinEntry> = Vec::new();
        for entry in der::alt_names(leaf).filter_map(|name| self.policy.entry_for(name)) {
            if !entries.iter().any(|seen| core::ptr::eq(*seen, entry)) {
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            entries.extend(self.policy.any_client_entry());
        }
        entries
    }

    /// The judge's layers for a client: one per applicable entry, all of which must accept;
    /// with none, one for the pins denied everywhere, standing as unpinned clients do.
    fn layers<'a>(&'a self, entries: &[&'a ClientPinEntry]) -> Vec<Layer<'a>> {
        let global = self.policy.globally_denied_pins();
        if entries.is_empty() {
            return vec![Layer {
                policy: Policy {
                    allowed: &[],
                    primary_count: 0,
                    denied: &[],
                    denied_everywhere: global,
                },
                standing: match self.policy.unpinned_client_policy() {
                    UnpinnedClientPolicy::Reject => Standing::Refuses,
                    _ => Standing::Unpinned,
                },
            }];
        }
        entries
            .iter()
            .map(|entry| Layer {
                policy: Policy {
                    allowed: entry.allowed_pins(),
                    primary_count: entry.allowed_pins().len(),
                    denied: entry.denied_pins(),
                    denied_everywhere: global,
                },
                standing: Standing::Pins {
                    enforced: entry.mode() == EnforcementMode::Enforce,
                },
            })
            .collect()
    }
}

/// The client pinning error for a refused path.
fn refusal_error(
    entries: &[&ClientPinEntry],
    finding: &Finding,
    refusal: Refusal,
) -> ClientPinningError {
    let verified_paths = || {
        finding
            .described
            .iter()
            .map(|path| path.certificates.clone())
            .collect::<Vec<_>>()
    };
    let (layer, verdict) = match refusal.verdict {
        PathVerdict::Rejected { layer, verdict } | PathVerdict::Tolerated { layer, verdict } => {
            (layer, verdict)
        }
        PathVerdict::Accepted { .. } => {
            return ClientPinningError::ClientNotPinned {
                presented: Vec::new(),
            }
        }
    };
    let entry = entries.get(layer);
    if let Verdict::Denied {
        pin,
        index,
        everywhere,
    } = verdict
    {
        let certificate = finding
            .described
            .get(refusal.path)
            .and_then(|path| path.certificates.get(index));
        if let Some(certificate) = certificate {
            return ClientPinningError::DeniedPinMatched {
                identity: match everywhere {
                    true => None,
                    false => entry.map(|entry| entry.identity().clone()),
                },
                denied: pin,
                certificate: certificate.clone(),
                verified_paths: verified_paths(),
            };
        }
    }
    ClientPinningError::NoPinMatched {
        identity: entry.map_or(ClientIdentity::Any, |entry| entry.identity().clone()),
        allowed: entry.map_or_else(Vec::new, |entry| entry.allowed_pins().to_vec()),
        verified_paths: verified_paths(),
    }
}

impl ClientCertVerifier for PinningClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.root_hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let cert = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        // A URI that claims to be a SPIFFE ID but is not a valid one names nobody the policy
        // could know; it must not fall through to another entry. It is refused once the chain
        // is known to be valid (chain errors are reported first, as everywhere).
        let invalid_spiffe = der::alt_names(end_entity.as_ref()).find_map(|name| match name {
            AltName::Uri(uri) => invalid_presented_spiffe_id(uri).map(|reason| (uri, reason)),
            AltName::Dns(_) => None,
        });
        let entries = self.applicable_entries(end_entity.as_ref());
        let layers = self.layers(&entries);
        let search = Search::new(Judge::new(&layers, Combination::All), false, false);
        // With an invalid SPIFFE ID only the chain is validated: the certificate is refused
        // whatever its pins.
        let look = invalid_spiffe.is_none() && search.looks_at_paths();
        self.trust.search(
            &search,
            &cert,
            intermediates,
            KeyUsage::client_auth(),
            now,
            look,
        )?;
        if let Some((uri, reason)) = invalid_spiffe {
            return Err(ClientPinningError::InvalidSpiffeId {
                presented: String::from_utf8_lossy(uri).into_owned(),
                reason,
            }
            .into_rustls());
        }
        let refused = search.judge().host_rule() == HostRule::Refused;
        let finding = search.finish();
        if finding.accepted.is_none()
            && (finding.tolerated.is_none() || refused)
            && let Some(refusal) = finding.most_severe_refusal()
        {
            return Err(refusal_error(&entries, &finding, refusal).into_rustls());
        }
        if refused {
            return Err(ClientPinningError::ClientNotPinned {
                presented: der::alt_names(end_entity.as_ref())
                    .map(ClientIdentity::describe)
                    .collect(),
            }
            .into_rustls());
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.trust.supported)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.trust.supported)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.supported.supported_schemes()
    }
}

impl fmt::Debug for PinningClientVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinningClientVerifier")
            .field("roots", &self.trust.roots.len())
            .field("entries", &self.policy.len())
            .field("mandatory", &self.mandatory)
            .finish()
    }
}

/// Builds a [`PinningClientVerifier`]. Revocation options mirror rustls's
/// `ClientCertVerifierBuilder` (of `WebPkiClientVerifier`) and default the same way.
#[must_use]
pub struct PinningClientVerifierBuilder {
    webpki: WebPkiOptions,
    policy: ClientPinSet,
    provider: Arc<CryptoProvider>,
    mandatory: bool,
}

impl fmt::Debug for PinningClientVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinningClientVerifierBuilder")
            .field("roots", &self.webpki.roots.len())
            .field("entries", &self.policy.len())
            .field("crls", &self.webpki.crls.len())
            .field("mandatory", &self.mandatory)
            .finish()
    }
}

impl PinningClientVerifierBuilder {
    webpki_options_methods!("PinningClientVerifier", "ClientPinSet");

    /// Lets clients without a certificate through (the application must then tell
    /// authenticated and anonymous connections apart). A client that does present a
    /// certificate is still validated and pinned.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls::server::danger::ClientCertVerifier;
    /// # use rustls_pinning::{ClientPinSet, PinningClientVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningClientVerifier::builder(roots, ClientPinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .allow_unauthenticated()
    ///     .build()?;
    /// assert!(!verifier.client_auth_mandatory());
    /// # Ok(()) }
    /// ```
    pub fn allow_unauthenticated(mut self) -> Self {
        self.mandatory = false;
        self
    }

    /// Validates the configuration and precomputes the trust anchors' digests.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{ClientPinSet, PinningClientVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningClientVerifier::builder(roots, ClientPinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An empty root store, a CRL or root certificate that does not parse, a root certificate
    /// missing from the store, or a certificate pin scoped to the root without root
    /// certificates.
    pub fn build(self) -> Result<Arc<PinningClientVerifier>, VerifierBuilderError> {
        if self.webpki.lacks_root_certificates()
            && let Some((identity, scoped)) = self.policy.root_certificate_pin()
        {
            return Err(
                VerifierBuilderError::ClientCertificatePinOnRootWithoutRootCertificates {
                    identity: identity.cloned(),
                    pin: scoped.pin(),
                },
            );
        }
        let root_hints = self.webpki.roots.subjects();
        let trust = WebPkiTrust::new(self.webpki, self.provider.signature_verification_algorithms)?;
        Ok(Arc::new(PinningClientVerifier {
            policy: self.policy,
            trust,
            root_hints,
            mandatory: self.mandatory,
        }))
    }
}
