//! `PinningServerVerifier`: WebPKI validation with pins matched against the verified path.

use core::fmt;
use std::borrow::Cow;
use std::sync::Arc;

use pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage, RevocationCheckDepth,
    UnknownStatusPolicy, VerifiedPath,
};

use crate::check::{check_path, AnchorDigests, PathEntry, Policy, Verdict};
use crate::danger::PinsOnly;
use crate::decision::explain::{Decision, ExplainedPath, Explanation, PolicyStanding};
use crate::decision::judge::{HostRule, PathVerdict};
use crate::decision::search::{Finding, RecordedPath, Refusal, Search};
use crate::decision::{host_text, Resolution, ServerLayers};
use crate::der;
use crate::error::{ServerPinningError, VerifierBuilderError};
use crate::pin_set::{PinSet, Position};
use crate::report::{Connection, Observation, Outcome, Reporter, Reporting};
use crate::webpki_error::pki_error;
use crate::wrap::{Exhausted, Wrapped};

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
/// them; a pin failure is `CertificateError::Other` carrying a [`ServerPinningError`].
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
    pins: PinSet,
    trust: Trust,
    reporter: Option<Reporter>,
}

pub(crate) enum Trust {
    WebPki(WebPkiTrust),
    Wrapped(Wrapped),
    PinsOnly(PinsOnly),
}

pub(crate) struct WebPkiTrust {
    pub(crate) roots: Arc<RootCertStore>,
    /// Parallel to `roots.roots`.
    anchors: Vec<AnchorDigests>,
    crls: Vec<CertRevocationList<'static>>,
    revocation: RevocationSettings,
    pub(crate) supported: WebPkiSupportedAlgorithms,
}

/// The revocation options both WebPKI builders share, defaulting as rustls's do.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RevocationSettings {
    pub(crate) check_depth: RevocationCheckDepth,
    pub(crate) unknown_status: UnknownStatusPolicy,
    pub(crate) expiration: ExpirationPolicy,
}

impl Default for RevocationSettings {
    fn default() -> Self {
        Self {
            check_depth: RevocationCheckDepth::Chain,
            unknown_status: UnknownStatusPolicy::Deny,
            expiration: ExpirationPolicy::Ignore,
        }
    }
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
            roots,
            pins,
            supported: provider.signature_verification_algorithms,
            root_certificates: Vec::new(),
            crls: Vec::new(),
            revocation: RevocationSettings::default(),
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
    ) -> crate::wrap::WrappingBuilder {
        crate::wrap::WrappingBuilder::new(inner, pins, provider)
    }

    pub(crate) fn from_parts(
        pins: PinSet,
        trust: Trust,
        reporting: Option<Reporting>,
    ) -> Arc<Self> {
        let reporter = reporting.map(|config| Reporter::new(config, &pins));
        Arc::new(Self {
            pins,
            trust,
            reporter,
        })
    }

    /// Verifies a server against `layers` (this verifier's pin set, or a store's static and
    /// bundle sets), with this verifier's trust: the one verification every mode runs, for
    /// `verify_server_cert` (events raised, nothing recorded) and for an explanation (no
    /// events, every path recorded) alike.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn verify_layers(
        &self,
        layers: &ServerLayers<'_>,
        reporters: &[Option<&Reporter>],
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
        record: bool,
    ) -> Verification {
        let connection = Connection {
            server_name,
            end_entity,
            intermediates,
            now,
        };
        // Events need the certificates of the path they speak of; they are copied only when
        // an event may be raised, so the accept path stays free of allocations.
        let keep_der = reporters.iter().any(Option::is_some);
        let keep_accepted_der = layers.iter().any(|(layer, pins, resolution)| {
            reporters
                .get(layer)
                .copied()
                .flatten()
                .is_some_and(|reporter| reporter.wants_accepted_path(pins, resolution, now))
        });
        let mut search = Search::new(layers.judge(), keep_der, keep_accepted_der);
        if record {
            search = search.recording();
        }
        let found = match &self.trust {
            Trust::WebPki(trust) => trust
                .search(&search, end_entity, intermediates, server_name, now)
                .map(|()| None),
            Trust::Wrapped(wrapped) => wrapped.search(
                &search,
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            Trust::PinsOnly(pins_only) => match pins_only.without_trust(layers, server_name) {
                Some((layer, resolution, error)) => {
                    // Nothing vouches for the server: a rejection, reported before the
                    // certificate checks since no trust could come of them.
                    if let Some(reporter) = reporters.get(layer).copied().flatten() {
                        reporter.observe(
                            layers.set(layer),
                            &connection,
                            Observation {
                                resolution: &resolution,
                                verified_chain: Vec::new(),
                                backup: None,
                                error: Some(error.clone()),
                                outcome: Outcome::Rejected,
                            },
                        );
                    }
                    Err(error.into_rustls())
                }
                None => pins_only
                    .search(&search, end_entity, server_name, now)
                    .map(|()| None),
            },
        };
        let mut finding = search.finish();
        let recorded = core::mem::take(&mut finding.recorded);
        let (result, decision) = match found {
            Ok(exhausted) => conclude(layers, reporters, &connection, finding, exhausted),
            Err(error) => (Err(error), Decision::Rejected),
        };
        Verification {
            result,
            decision,
            recorded,
        }
    }

    /// Explains what [`verify_server_cert`](ServerCertVerifier::verify_server_cert) decides
    /// for this chain, name and time, and why: the same verification, recording every path it
    /// judges and raising no events. `explanation.result` is exactly what
    /// `verify_server_cert` returns (with no OCSP response).
    ///
    /// ```
    /// # use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    /// # use rustls_pinning::{Decision, PinningServerVerifier};
    /// # fn demo(verifier: &PinningServerVerifier, chain: &[CertificateDer<'static>]) -> Result<(), Box<dyn std::error::Error>> {
    /// let name = ServerName::try_from("api.example.com")?;
    /// let explanation = verifier.explain(&chain[0], &chain[1..], &name, UnixTime::now());
    /// if explanation.decision == Decision::Rejected {
    ///     eprintln!("refused: {:?}", explanation.result);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn explain(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Explanation {
        let layers = ServerLayers::single(&self.pins, server_name, now);
        self.explain_layers(&layers, end_entity, intermediates, server_name, now)
    }

    /// [`explain`](Self::explain) against `layers`.
    pub(crate) fn explain_layers(
        &self,
        layers: &ServerLayers<'_>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Explanation {
        let verification = self.verify_layers(
            layers,
            &[],
            end_entity,
            intermediates,
            server_name,
            &[],
            now,
            true,
        );
        Explanation {
            host: host_text(server_name),
            time: now,
            decision: verification.decision,
            result: verification.result,
            policies: layers
                .iter()
                .map(|(_, pins, resolution)| PolicyStanding::of(pins, resolution))
                .collect(),
            paths: verification
                .recorded
                .into_iter()
                .map(ExplainedPath::of)
                .collect(),
        }
    }

    pub(crate) fn reporter(&self) -> Option<&Reporter> {
        self.reporter.as_ref()
    }

    /// The pin set this verifier enforces.
    ///
    /// ```
    /// # use rustls_pinning::PinningServerVerifier;
    /// # fn demo(verifier: &PinningServerVerifier) {
    /// println!("{} pinned patterns", verifier.pins().len());
    /// # }
    /// ```
    pub fn pins(&self) -> &PinSet {
        &self.pins
    }

    pub(crate) fn trust(&self) -> &Trust {
        &self.trust
    }
}

/// The shape of webpki's `verify_path` hook.
pub(crate) type PathCallback<'a> = dyn Fn(&VerifiedPath<'_>) -> Result<(), webpki::Error> + 'a;

/// Whether `cert` has the subject and key of `anchor`. The subjects are compared first, so a
/// path without such a copy costs one slice comparison per intermediate.
fn is_copy_of_anchor(cert: &webpki::Cert<'_>, anchor: &pki_types::TrustAnchor<'_>) -> bool {
    if cert.subject() != anchor.subject.as_ref() {
        return false;
    }
    let contents = anchor.subject_public_key_info.as_ref();
    let der = cert.der();
    let Some(spki) = der::spki_after_subject(der.as_ref(), cert.subject())
        .or_else(|| der::certificate_spki(der.as_ref()))
    else {
        return false;
    };
    let (header, header_len) = der::sequence_header(contents.len());
    spki.len() == header_len + contents.len()
        && spki.get(..header_len) == header.get(..header_len)
        && spki.get(header_len..) == Some(contents)
}

impl WebPkiTrust {
    /// Validates the roots, root certificates and CRLs and precomputes the trust anchors'
    /// digests.
    pub(crate) fn new(
        roots: Arc<RootCertStore>,
        root_certificates: &[CertificateDer<'static>],
        crls: &[CertificateRevocationListDer<'static>],
        revocation: RevocationSettings,
        supported: WebPkiSupportedAlgorithms,
    ) -> Result<Self, VerifierBuilderError> {
        if roots.is_empty() {
            return Err(VerifierBuilderError::NoRootAnchors);
        }
        let mut anchors: Vec<AnchorDigests> = roots
            .roots
            .iter()
            .map(|anchor| AnchorDigests {
                spki: AnchorDigests::of_anchor_spki(&anchor.subject_public_key_info),
                certificates: Vec::new(),
                certificate: None,
            })
            .collect();
        for (index, certificate) in root_certificates.iter().enumerate() {
            let parsed = webpki::anchor_from_trusted_cert(certificate).map_err(|error| {
                VerifierBuilderError::InvalidRootCertificate {
                    index,
                    reason: error.to_string(),
                }
            })?;
            let digest = crate::pin::sha256(certificate.as_ref());
            let mut found = false;
            for (anchor, digests) in roots.roots.iter().zip(anchors.iter_mut()) {
                if anchor.subject == parsed.subject
                    && anchor.subject_public_key_info == parsed.subject_public_key_info
                {
                    if !digests.certificates.contains(&digest) {
                        digests.certificates.push(digest);
                    }
                    digests
                        .certificate
                        .get_or_insert_with(|| certificate.clone());
                    found = true;
                }
            }
            if !found {
                return Err(VerifierBuilderError::RootCertificateNotInStore {
                    index,
                    subject: der::format_name(&parsed.subject),
                });
            }
        }
        let crls = crls
            .iter()
            .enumerate()
            .map(|(index, der)| {
                webpki::OwnedCertRevocationList::from_der(der.as_ref())
                    .map(CertRevocationList::from)
                    .map_err(|error| VerifierBuilderError::InvalidCrl {
                        index,
                        reason: error.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            roots,
            anchors,
            crls,
            revocation,
            supported,
        })
    }

    /// Runs webpki's path search for `end_entity` with `usage`, handing each fully verified
    /// candidate path to `verify_path`.
    pub(crate) fn verify_for_usage<'p>(
        &'p self,
        end_entity: &'p EndEntityCert<'p>,
        intermediates: &'p [CertificateDer<'p>],
        now: UnixTime,
        usage: KeyUsage,
        verify_path: Option<&PathCallback<'_>>,
    ) -> Result<(), webpki::Error> {
        let crl_refs = self.crls.iter().collect::<Vec<_>>();
        let revocation = match crl_refs.is_empty() {
            true => None,
            false => webpki::RevocationOptionsBuilder::new(&crl_refs)
                .ok()
                .map(|builder| {
                    builder
                        .with_depth(self.revocation.check_depth)
                        .with_status_policy(self.revocation.unknown_status)
                        .with_expiration_policy(self.revocation.expiration)
                        .build()
                }),
        };
        end_entity
            .verify_for_usage(
                self.supported.all,
                &self.roots.roots,
                intermediates,
                now,
                usage,
                revocation,
                verify_path,
            )
            .map(|_| ())
    }

    pub(crate) fn anchor_digests(
        &self,
        anchor: &pki_types::TrustAnchor<'_>,
    ) -> Cow<'_, AnchorDigests> {
        // webpki hands back a reference into the slice we passed, so its address gives the
        // index of the precomputed digests in constant time, whatever the size of the store,
        // and identity confirms it.
        let roots = &self.roots.roots;
        let offset = (anchor as *const pki_types::TrustAnchor<'_> as usize)
            .checked_sub(roots.as_ptr() as usize);
        let size = core::mem::size_of::<pki_types::TrustAnchor<'_>>();
        offset
            .filter(|offset| offset % size == 0)
            .map(|offset| offset / size)
            .filter(|&index| {
                roots
                    .get(index)
                    .is_some_and(|candidate| core::ptr::eq(candidate, anchor))
            })
            .and_then(|index| self.anchors.get(index))
            .map_or_else(
                || {
                    Cow::Owned(AnchorDigests {
                        spki: AnchorDigests::of_anchor_spki(&anchor.subject_public_key_info),
                        certificates: Vec::new(),
                        certificate: None,
                    })
                },
                Cow::Borrowed,
            )
    }

    /// The certificates of a verified path with their positions, leaf first. A presented
    /// certificate that is a copy of the path's trust anchor (same subject and key: a server
    /// that sends its self-signed root lets webpki validate that copy under the anchor) is
    /// the root by its role, never an intermediate, so a pin's position does not depend on
    /// whether the server sends its root.
    pub(crate) fn path_entries<'p>(
        &self,
        path: &'p VerifiedPath<'p>,
        anchor: &'p AnchorDigests,
    ) -> impl Iterator<Item = (Position, PathEntry<'p>)> {
        let trust_anchor = path.anchor();
        core::iter::once((Position::Leaf, PathEntry::Parsed(path.end_entity())))
            .chain(path.intermediate_certificates().map(move |cert| {
                let position = match is_copy_of_anchor(cert, trust_anchor) {
                    true => Position::Root,
                    false => Position::Intermediate,
                };
                (position, PathEntry::Parsed(cert))
            }))
            .chain(core::iter::once((
                Position::Root,
                PathEntry::Anchor {
                    digests: anchor,
                    subject: trust_anchor.subject.as_ref(),
                },
            )))
    }

    /// The certificates of a verified path as an event reports them: the anchor's certificate
    /// is included when the verifier was given it.
    fn path_der(path: &VerifiedPath<'_>, anchor: &AnchorDigests) -> Vec<CertificateDer<'static>> {
        core::iter::once(path.end_entity().der().into_owned())
            .chain(
                path.intermediate_certificates()
                    .map(|cert| cert.der().into_owned()),
            )
            .chain(anchor.certificate.clone())
            .collect()
    }

    /// The pin check alone on one path webpki verified, for the benches.
    pub(crate) fn path_verdict(&self, policy: &Policy<'_>, path: &VerifiedPath<'_>) -> Verdict {
        let anchor = self.anchor_digests(path.anchor());
        check_path(policy, self.path_entries(path, &anchor))
    }

    /// Feeds every path webpki verifies for `end_entity` to `search`, then checks the server
    /// name. Chain and name failures are returned exactly as rustls reports them; a path the
    /// pins refuse makes webpki try the next candidate path.
    pub(crate) fn search(
        &self,
        search: &Search<'_>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let cert = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        let check = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
            let anchor = self.anchor_digests(path.anchor());
            match search.consider(
                || self.path_entries(path, &anchor),
                || Self::path_der(path, &anchor),
            ) {
                true => Ok(()),
                // Any error makes webpki try the next candidate path; which one is
                // irrelevant, because `search` tells a refusal apart from a chain failure.
                false => Err(webpki::Error::UnknownIssuer),
            }
        };
        let verify_path: Option<&PathCallback<'_>> = match search.looks_at_paths() {
            true => Some(&check),
            false => None,
        };
        let result = self.verify_for_usage(
            &cert,
            intermediates,
            now,
            KeyUsage::server_auth(),
            verify_path,
        );
        match result {
            Ok(()) if verify_path.is_none() => search.accept_unseen(),
            Ok(()) => {}
            Err(_) if search.valid_path_seen() => {}
            Err(error) => return Err(pki_error(error)),
        }
        // The name is checked after the chain, as rustls does, and before reporting a pin
        // failure: a pin error should mean "valid certificate, wrong key", nothing else.
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(pki_error)
    }
}

/// The verifier's answer from what a search found, after raising the events it calls for.
///
/// `exhausted` is set when wrap mode could not prove every candidate it had to: the chain is
/// refused whatever else was found.
pub(crate) fn conclude(
    layers: &ServerLayers<'_>,
    reporters: &[Option<&Reporter>],
    connection: &Connection<'_>,
    finding: Finding,
    exhausted: Option<Exhausted>,
) -> (Result<(), Error>, Decision) {
    let rule = layers.judge().host_rule();
    let host = || host_text(connection.server_name);
    // The layer whose entry an event speaks of when no pin decided: an expired entry that
    // was skipped, if any.
    let unpinned_layer = || {
        layers
            .iter()
            .find(|(_, _, resolution)| matches!(resolution, Resolution::Unpinned(Some(_))))
            .map_or(0, |(layer, _, _)| layer)
    };
    let mut finding = finding;
    let expired_entry_skipped = layers
        .iter()
        .any(|(_, _, resolution)| matches!(resolution, Resolution::Unpinned(Some(_))));
    let mut decision = Decision::Rejected;
    let (layer, outcome, error, verified_chain, backup) = match (exhausted, finding.accepted.take())
    {
        (Some(exhausted), _) => (
            unpinned_layer(),
            Outcome::Rejected,
            Some(ServerPinningError::ProofBudgetExhausted {
                host: host(),
                candidates: exhausted.candidates,
                denied: exhausted.denied,
                budget: crate::wrap::MAX_PROOFS,
            }),
            Vec::new(),
            None,
        ),
        (None, Some(accepted)) if rule == HostRule::Refused => (
            unpinned_layer(),
            Outcome::Rejected,
            Some(ServerPinningError::HostNotPinned { host: host() }),
            accepted.der,
            None,
        ),
        (None, Some(accepted)) => (
            match rule {
                HostRule::Pinned => {
                    decision = Decision::Accepted;
                    accepted.layer
                }
                _ => {
                    decision = match expired_entry_skipped {
                        true => Decision::AcceptedExpiredEntry,
                        false => Decision::AcceptedUnpinned,
                    };
                    unpinned_layer()
                }
            },
            Outcome::Accepted,
            None,
            accepted.der,
            accepted
                .matched
                .filter(|matched| matched.backup)
                .map(|matched| matched.pin),
        ),
        (None, None) => {
            // Report-only entries let the connection through on a path they alone refused;
            // the error reported is the most severe refusal seen, what enforcement would say.
            let outcome = match finding.tolerated {
                Some(_) if rule != HostRule::Refused => {
                    decision = Decision::AcceptedReportOnly;
                    Outcome::Accepted
                }
                _ => Outcome::Rejected,
            };
            match finding.most_severe_refusal() {
                Some(refusal) => {
                    let error = refusal_error(layers, &finding, refusal, host());
                    let der = finding
                        .described
                        .get_mut(refusal.path)
                        .map(|path| core::mem::take(&mut path.der))
                        .unwrap_or_default();
                    (refusal.verdict.layer(), outcome, Some(error), der, None)
                }
                // Nothing verified and nothing refused: no answer but a rejection is sound.
                None => (
                    0,
                    Outcome::Rejected,
                    Some(ServerPinningError::HostNotPinned { host: host() }),
                    Vec::new(),
                    None,
                ),
            }
        }
    };
    let rejection = match outcome {
        Outcome::Rejected => error.clone(),
        Outcome::Accepted => None,
    };
    match reporters.get(layer).copied().flatten() {
        Some(reporter) => reporter.observe(
            layers.set(layer),
            connection,
            Observation {
                resolution: layers.resolution(layer),
                verified_chain,
                backup,
                error,
                outcome,
            },
        ),
        None => drop((verified_chain, error)),
    }
    match rejection {
        Some(error) => (Err(error.into_rustls()), Decision::Rejected),
        None => (Ok(()), decision),
    }
}

/// One verification: the verifier's answer, the decision in one word, and the paths judged
/// when they were recorded.
pub(crate) struct Verification {
    pub(crate) result: Result<(), Error>,
    pub(crate) decision: Decision,
    pub(crate) recorded: Vec<RecordedPath>,
}

impl Verification {
    pub(crate) fn into_verified(self) -> Result<ServerCertVerified, Error> {
        self.result.map(|()| ServerCertVerified::assertion())
    }
}

/// The pinning error for a refused path.
fn refusal_error(
    layers: &ServerLayers<'_>,
    finding: &Finding,
    refusal: Refusal,
    host: String,
) -> ServerPinningError {
    let described = finding.described.get(refusal.path);
    let verified_paths = || {
        finding
            .described
            .iter()
            .map(|path| path.certificates.clone())
            .collect()
    };
    let (layer, verdict) = match refusal.verdict {
        PathVerdict::Rejected { layer, verdict } | PathVerdict::Tolerated { layer, verdict } => {
            (layer, verdict)
        }
        PathVerdict::Accepted { .. } => return ServerPinningError::HostNotPinned { host },
    };
    let entry = layers.resolution(layer).entry();
    if let Verdict::Denied {
        pin,
        index,
        everywhere,
    } = verdict
    {
        if let Some(certificate) = described.and_then(|path| path.certificates.get(index)) {
            return ServerPinningError::DeniedPinMatched {
                host,
                pattern: match everywhere {
                    true => None,
                    false => entry.map(|entry| entry.pattern().clone()),
                },
                denied: pin,
                certificate: certificate.clone(),
                verified_paths: verified_paths(),
            };
        }
    }
    match entry {
        Some(entry) => ServerPinningError::NoPinMatched {
            host,
            pattern: entry.pattern().clone(),
            allowed: entry.allowed_pins().to_vec(),
            verified_paths: verified_paths(),
        },
        // A refusal always has a deny verdict or an entry; keep a sound answer anyway.
        None => ServerPinningError::HostNotPinned { host },
    }
}

impl ServerCertVerifier for PinningServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let layers = ServerLayers::single(&self.pins, server_name, now);
        self.verify_layers(
            &layers,
            &[self.reporter.as_ref()],
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
            false,
        )
        .into_verified()
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        match &self.trust {
            Trust::WebPki(trust) => {
                rustls::crypto::verify_tls12_signature(message, cert, dss, &trust.supported)
            }
            Trust::Wrapped(wrapped) => wrapped.inner().verify_tls12_signature(message, cert, dss),
            Trust::PinsOnly(pins_only) => pins_only.verify_tls12_signature(message, cert, dss),
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        match &self.trust {
            Trust::WebPki(trust) => {
                rustls::crypto::verify_tls13_signature(message, cert, dss, &trust.supported)
            }
            Trust::Wrapped(wrapped) => wrapped.inner().verify_tls13_signature(message, cert, dss),
            Trust::PinsOnly(pins_only) => pins_only.verify_tls13_signature(message, cert, dss),
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        match &self.trust {
            Trust::WebPki(trust) => trust.supported.supported_schemes(),
            Trust::Wrapped(wrapped) => wrapped.inner().supported_verify_schemes(),
            Trust::PinsOnly(pins_only) => pins_only.supported_verify_schemes(),
        }
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        match &self.trust {
            Trust::Wrapped(wrapped) => wrapped.inner().root_hint_subjects(),
            _ => None,
        }
    }
}

impl fmt::Debug for PinningServerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.trust {
            Trust::WebPki(trust) => format!("WebPki({} roots)", trust.roots.len()),
            Trust::Wrapped(wrapped) => format!("Wrapped({:?})", wrapped.inner()),
            Trust::PinsOnly(_) => String::from("PinsOnly"),
        };
        f.debug_struct("PinningServerVerifier")
            .field("trust", &mode)
            .field("entries", &self.pins.len())
            .finish()
    }
}

/// Builds a WebPKI [`PinningServerVerifier`]. Revocation options mirror rustls's
/// `ServerCertVerifierBuilder` and default the same way.
#[derive(Debug)]
#[must_use]
pub struct PinningServerVerifierBuilder {
    roots: Arc<RootCertStore>,
    pins: PinSet,
    supported: WebPkiSupportedAlgorithms,
    root_certificates: Vec<CertificateDer<'static>>,
    crls: Vec<CertificateRevocationListDer<'static>>,
    revocation: RevocationSettings,
    reporting: Option<Reporting>,
}

impl PinningServerVerifierBuilder {
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

    /// Gives the whole certificates of (some of) the trust anchors, so that certificate pins
    /// can match a root. A trust anchor keeps only a name and a key, so without this only
    /// SPKI pins can match a root. Every certificate must be an anchor of the root store.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls::pki_types::CertificateDer;
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(root: CertificateDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut roots = rustls::RootCertStore::empty();
    /// roots.add(root.clone())?;
    /// let verifier = PinningServerVerifier::builder(Arc::new(roots), PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .with_root_certificates([root])
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn with_root_certificates(
        mut self,
        certificates: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> Self {
        self.root_certificates.extend(certificates);
        self
    }

    /// Checks revocation against these CRLs (by default for every certificate of the chain,
    /// with unknown status rejected, as rustls does).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls::pki_types::CertificateRevocationListDer;
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>, crl: CertificateRevocationListDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningServerVerifier::builder(roots, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .with_crls([crl])
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn with_crls(
        mut self,
        crls: impl IntoIterator<Item = CertificateRevocationListDer<'static>>,
    ) -> Self {
        self.crls.extend(crls);
        self
    }

    /// Checks revocation of the leaf only, not of the intermediates.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = PinningServerVerifier::builder(roots, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .only_check_end_entity_revocation();
    /// # Ok(()) }
    /// ```
    pub fn only_check_end_entity_revocation(mut self) -> Self {
        self.revocation.check_depth = RevocationCheckDepth::EndEntity;
        self
    }

    /// Accepts certificates whose revocation status no CRL covers.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = PinningServerVerifier::builder(roots, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .allow_unknown_revocation_status();
    /// # Ok(()) }
    /// ```
    pub fn allow_unknown_revocation_status(mut self) -> Self {
        self.revocation.unknown_status = UnknownStatusPolicy::Allow;
        self
    }

    /// Rejects a CRL whose `nextUpdate` has passed.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningServerVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = PinningServerVerifier::builder(roots, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .enforce_revocation_expiration();
    /// # Ok(()) }
    /// ```
    pub fn enforce_revocation_expiration(mut self) -> Self {
        self.revocation.expiration = ExpirationPolicy::Enforce;
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
        if self.root_certificates.is_empty() && !self.roots.is_empty() {
            if let Some((pattern, scoped)) = self.pins.root_certificate_pin() {
                return Err(
                    VerifierBuilderError::CertificatePinOnRootWithoutRootCertificates {
                        pattern: pattern.cloned(),
                        pin: scoped.pin(),
                    },
                );
            }
        }
        let trust = WebPkiTrust::new(
            self.roots,
            &self.root_certificates,
            &self.crls,
            self.revocation,
            self.supported,
        )?;
        Ok(PinningServerVerifier::from_parts(
            self.pins,
            Trust::WebPki(trust),
            self.reporting,
        ))
    }
}
