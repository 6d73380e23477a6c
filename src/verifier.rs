//! `PinningVerifier`: WebPKI validation with pins matched against the verified path.

use core::cell::{Cell, RefCell};
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
use crate::der;
use crate::error::{PathCertificate, PinningError, VerifierBuilderError};
use crate::host_pattern::normalize_host_into;
use crate::pin_set::{
    AfterExpiry, EnforcementMode, PinEntry, PinSet, Position, ScopedPin, UnpinnedHostPolicy,
};
use crate::report::{Connection, Observation, Outcome, Reporter, Reporting};
use crate::webpki_error::pki_error;
use crate::wrap::Wrapped;

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
/// them; a pin failure is `CertificateError::Other` carrying a [`PinningError`].
///
/// Three ways to build one:
/// - [`PinningVerifier::builder`]: WebPKI with your roots (the normal case);
/// - [`PinningVerifier::wrap`]: pins on top of another verifier, such as the platform's;
/// - [`crate::danger::pins_only`]: a pin as the only trust, for private services.
///
/// ```
/// use std::sync::Arc;
/// use rustls_pinning::{BuilderPinningExt, Pin, PinEntry, PinSet, PinningVerifier};
/// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
/// let provider = rustls_pinning::default_crypto_provider();
/// let pins = PinSet::builder()
///     .entry(PinEntry::builder("api.example.com".parse()?)
///         .pin("sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=".parse()?)
///         .pin("sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?))
///     .build()?;
/// let verifier = PinningVerifier::builder(roots, pins, provider.clone()).build()?;
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_pinning(verifier)
///     .with_no_client_auth();
/// # Ok(()) }
/// ```
pub struct PinningVerifier {
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

impl PinningVerifier {
    /// Starts a verifier that validates with WebPKI against `roots`, then enforces `pins`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{PinSet, PinningVerifier, VerifierBuilderError};
    /// let empty_roots = Arc::new(rustls::RootCertStore::empty());
    /// let result = PinningVerifier::builder(
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
    ) -> PinningVerifierBuilder {
        PinningVerifierBuilder {
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
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(inner: Arc<dyn rustls::client::danger::ServerCertVerifier>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningVerifier::wrap(inner, PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
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

    /// Whether an entry of the pin set is in force for `server_name` at `now`.
    #[cfg_attr(not(feature = "dynamic"), allow(dead_code))]
    pub(crate) fn governs(&self, server_name: &ServerName<'_>, now: UnixTime) -> bool {
        matches!(resolve(&self.pins, server_name, now), Resolution::Pinned(_))
    }

    /// The pin set this verifier enforces.
    ///
    /// ```
    /// # use rustls_pinning::PinningVerifier;
    /// # fn demo(verifier: &PinningVerifier) {
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

/// The entry, if any, that governs a connection.
pub(crate) enum Resolution<'a> {
    /// An entry applies and is in force.
    Pinned(&'a PinEntry),
    /// Plain validation (global deny pins still apply); `Some` when an entry was skipped
    /// because it expired.
    Unpinned(Option<&'a PinEntry>),
    /// No entry, and the set rejects unpinned hosts.
    Rejected,
}

impl<'a> Resolution<'a> {
    /// The entry whose pins are enforced, if any.
    pub(crate) fn entry(&self) -> Option<&'a PinEntry> {
        match self {
            Self::Pinned(entry) => Some(entry),
            _ => None,
        }
    }
}

pub(crate) fn is_report_only(entry: Option<&PinEntry>) -> bool {
    entry.is_some_and(|entry| entry.mode() == EnforcementMode::ReportOnly)
}

pub(crate) fn resolve<'a>(
    pins: &'a PinSet,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Resolution<'a> {
    let entry = match server_name {
        ServerName::DnsName(name) => {
            let mut buf = [0u8; 256];
            normalize_host_into(name.as_ref(), &mut buf)
                .and_then(|name| pins.lookup_normalized_dns(name))
        }
        ServerName::IpAddress(ip) => pins.lookup_ip(std::net::IpAddr::from(*ip)),
        _ => None,
    };
    match entry {
        Some(entry) if entry.is_expired_at(now) && entry.after_expiry() == AfterExpiry::Skip => {
            Resolution::Unpinned(Some(entry))
        }
        Some(entry) => Resolution::Pinned(entry),
        None => match pins.unpinned_host_policy() {
            UnpinnedHostPolicy::Reject => Resolution::Rejected,
            _ => Resolution::Unpinned(None),
        },
    }
}

pub(crate) fn host_text(server_name: &ServerName<'_>) -> String {
    match server_name {
        ServerName::DnsName(name) => name.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

pub(crate) fn policy_for<'a>(pins: &'a PinSet, entry: Option<&'a PinEntry>) -> Policy<'a> {
    Policy {
        allowed: entry.map_or(&[], PinEntry::allowed_pins),
        primary_count: entry.map_or(0, |entry| entry.primary_pins().len()),
        denied: entry.map_or(&[], PinEntry::denied_pins),
        denied_everywhere: pins.globally_denied_pins(),
    }
}

/// The shape of webpki's `verify_path` hook.
pub(crate) type PathCallback<'a> = dyn Fn(&VerifiedPath<'_>) -> Result<(), webpki::Error> + 'a;

/// A verified path that failed the pin check, kept for the error message.
pub(crate) struct RejectedPath {
    pub(crate) certificates: Vec<PathCertificate>,
    pub(crate) verdict: Verdict,
    /// The path's certificates, kept only when an event will need them.
    pub(crate) der: Vec<CertificateDer<'static>>,
}

/// The most paths a failure message lists; more only happen with unusual cross-signing.
const MAX_REPORTED_PATHS: usize = 8;

/// What the pin check saw while webpki searched for a path.
#[derive(Default)]
pub(crate) struct Search {
    pub(crate) valid_path_seen: Cell<bool>,
    pub(crate) rejected: RefCell<Vec<RejectedPath>>,
}

impl Search {
    pub(crate) fn record(
        &self,
        certificates: Vec<PathCertificate>,
        verdict: Verdict,
        der: Vec<CertificateDer<'static>>,
    ) {
        let mut rejected = self.rejected.borrow_mut();
        if rejected.len() < MAX_REPORTED_PATHS {
            rejected.push(RejectedPath {
                certificates,
                verdict,
                der,
            });
        }
    }

    /// The certificates of the first rejected path, for an event.
    pub(crate) fn take_first_path_der(&self) -> Vec<CertificateDer<'static>> {
        self.rejected
            .borrow_mut()
            .first_mut()
            .map(|path| core::mem::take(&mut path.der))
            .unwrap_or_default()
    }

    /// Whether report-only mode may let the connection through: some path failed only the
    /// entry's own pins.
    fn tolerable_in_report_only(&self) -> bool {
        self.rejected
            .borrow()
            .iter()
            .any(|path| path.verdict.tolerable_in_report_only())
    }

    pub(crate) fn into_error(self, host: String, entry: Option<&PinEntry>) -> PinningError {
        let rejected = self.rejected.into_inner();
        let denied = rejected.iter().find_map(|path| match path.verdict {
            Verdict::Denied {
                pin,
                index,
                everywhere,
            } => Some((pin, path.certificates.get(index).cloned(), everywhere)),
            _ => None,
        });
        let verified_paths = rejected.into_iter().map(|path| path.certificates).collect();
        match (denied, entry) {
            (Some((denied, Some(certificate), everywhere)), _) => PinningError::DeniedPinMatched {
                host,
                pattern: if everywhere {
                    None
                } else {
                    entry.map(|entry| entry.pattern().clone())
                },
                denied,
                certificate,
                verified_paths,
            },
            (_, Some(entry)) => PinningError::NoPinMatched {
                host,
                pattern: entry.pattern().clone(),
                allowed: entry.allowed_pins().to_vec(),
                verified_paths,
            },
            // A rejection always has a deny verdict or an entry; keep a sound answer anyway.
            (_, None) => PinningError::HostNotPinned { host },
        }
    }
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

    pub(crate) fn path_entries<'p>(
        &self,
        path: &'p VerifiedPath<'p>,
        anchor: &'p AnchorDigests,
    ) -> impl Iterator<Item = (Position, PathEntry<'p>)> {
        core::iter::once((Position::Leaf, PathEntry::Parsed(path.end_entity())))
            .chain(
                path.intermediate_certificates()
                    .map(|cert| (Position::Intermediate, PathEntry::Parsed(cert))),
            )
            .chain(core::iter::once((
                Position::Root,
                PathEntry::Anchor {
                    digests: anchor,
                    subject: path.anchor().subject.as_ref(),
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

    /// The pin check proper on one path webpki verified: the hot path, run inside webpki's
    /// path search.
    pub(crate) fn path_verdict(&self, policy: &Policy<'_>, path: &VerifiedPath<'_>) -> Verdict {
        let anchor = self.anchor_digests(path.anchor());
        check_path(policy, self.path_entries(path, &anchor))
    }

    fn verify(
        &self,
        pins: &PinSet,
        reporter: Option<&Reporter>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let cert = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        let resolution = resolve(pins, server_name, now);
        let entry = resolution.entry();
        let policy = policy_for(pins, entry);
        let search = Search::default();
        // Events need the certificates of the path they speak of; they are copied only when
        // an event may be raised, so the accept path stays free of allocations.
        let keep_accepted_path =
            reporter.is_some_and(|reporter| reporter.wants_accepted_path(pins, &resolution, now));
        let accepted: RefCell<(Option<ScopedPin>, Vec<CertificateDer<'static>>)> =
            RefCell::default();
        let check = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
            search.valid_path_seen.set(true);
            let verdict = self.path_verdict(&policy, path);
            if let Verdict::Accepted { backup } = verdict {
                if reporter.is_some() && (keep_accepted_path || backup.is_some()) {
                    let anchor = self.anchor_digests(path.anchor());
                    *accepted.borrow_mut() = (backup, Self::path_der(path, &anchor));
                }
                return Ok(());
            }
            // Failure only: describe the path for the error message.
            let anchor = self.anchor_digests(path.anchor());
            let certificates = self
                .path_entries(path, &anchor)
                .map(|(position, entry)| PathCertificate::describe(position, entry))
                .collect();
            let der = match reporter {
                Some(_) => Self::path_der(path, &anchor),
                None => Vec::new(),
            };
            search.record(certificates, verdict, der);
            // Any error makes webpki try the next candidate path; which one is irrelevant,
            // because `search` tells the outcome apart from genuine chain failures.
            Err(webpki::Error::UnknownIssuer)
        };

        let verify_path: Option<&PathCallback<'_>> = if policy.is_empty() && !keep_accepted_path {
            None
        } else {
            Some(&check)
        };
        let result = self.verify_for_usage(
            &cert,
            intermediates,
            now,
            KeyUsage::server_auth(),
            verify_path,
        );
        let pinned_path_found = match result {
            Ok(_) => true,
            Err(_) if search.valid_path_seen.get() => false,
            Err(error) => return Err(pki_error(error)),
        };

        // The name is checked after the chain, as rustls does, and before reporting a pin
        // failure: a pin error should mean "valid certificate, wrong key", nothing else.
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(pki_error)?;

        let connection = Connection {
            server_name,
            end_entity,
            intermediates,
            now,
        };
        let (error, outcome, verified_chain, backup) = if pinned_path_found {
            let (backup, chain) = accepted.into_inner();
            match resolution {
                Resolution::Rejected => (
                    Some(PinningError::HostNotPinned {
                        host: host_text(server_name),
                    }),
                    Outcome::Rejected,
                    chain,
                    None,
                ),
                _ => (None, Outcome::Accepted, chain, backup),
            }
        } else {
            let tolerated = is_report_only(entry) && search.tolerable_in_report_only();
            let outcome = match tolerated {
                true => Outcome::Accepted,
                false => Outcome::Rejected,
            };
            // A tolerated failure is worth describing only to a reporter.
            match tolerated && reporter.is_none() {
                true => (None, outcome, Vec::new(), None),
                false => {
                    let chain = search.take_first_path_der();
                    let error = search.into_error(host_text(server_name), entry);
                    (Some(error), outcome, chain, None)
                }
            }
        };
        finish(
            pins,
            reporter,
            &connection,
            Observation {
                resolution: &resolution,
                verified_chain,
                backup,
                error,
                outcome,
            },
        )
        .map(|()| ServerCertVerified::assertion())
    }
}

/// Raises the observation's events, then turns it into the verifier's answer.
pub(crate) fn finish(
    pins: &PinSet,
    reporter: Option<&Reporter>,
    connection: &Connection<'_>,
    observation: Observation<'_>,
) -> Result<(), Error> {
    let rejection = match observation.outcome {
        Outcome::Rejected => {
            Some(
                observation
                    .error
                    .clone()
                    .unwrap_or_else(|| PinningError::HostNotPinned {
                        host: host_text(connection.server_name),
                    }),
            )
        }
        Outcome::Accepted => None,
    };
    match reporter {
        Some(reporter) => reporter.observe(pins, connection, observation),
        None => drop(observation),
    }
    match rejection {
        Some(error) => Err(error.into_rustls()),
        None => Ok(()),
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match &self.trust {
            Trust::WebPki(trust) => trust.verify(
                &self.pins,
                self.reporter.as_ref(),
                end_entity,
                intermediates,
                server_name,
                now,
            ),
            Trust::Wrapped(wrapped) => wrapped.verify(
                &self.pins,
                self.reporter.as_ref(),
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            Trust::PinsOnly(pins_only) => pins_only.verify(
                &self.pins,
                self.reporter.as_ref(),
                end_entity,
                intermediates,
                server_name,
                now,
            ),
        }
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

impl fmt::Debug for PinningVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.trust {
            Trust::WebPki(trust) => format!("WebPki({} roots)", trust.roots.len()),
            Trust::Wrapped(wrapped) => format!("Wrapped({:?})", wrapped.inner()),
            Trust::PinsOnly(_) => String::from("PinsOnly"),
        };
        f.debug_struct("PinningVerifier")
            .field("trust", &mode)
            .field("entries", &self.pins.len())
            .finish()
    }
}

/// Builds a WebPKI [`PinningVerifier`]. Revocation options mirror rustls's
/// `ServerCertVerifierBuilder` and default the same way.
#[derive(Debug)]
#[must_use]
pub struct PinningVerifierBuilder {
    roots: Arc<RootCertStore>,
    pins: PinSet,
    supported: WebPkiSupportedAlgorithms,
    root_certificates: Vec<CertificateDer<'static>>,
    crls: Vec<CertificateRevocationListDer<'static>>,
    revocation: RevocationSettings,
    reporting: Option<Reporting>,
}

impl PinningVerifierBuilder {
    /// Reports violations, report-only mismatches, skipped expired entries, backup-pin use
    /// and coming expiries (see [`PinEventKind`](crate::PinEventKind)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{reporters::MemoryReporter, PinSet, PinningVerifier, Reporting};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let events = Arc::new(MemoryReporter::new(100));
    /// let verifier = PinningVerifier::builder(roots, PinSet::builder().build()?,
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
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(root: CertificateDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut roots = rustls::RootCertStore::empty();
    /// roots.add(root.clone())?;
    /// let verifier = PinningVerifier::builder(Arc::new(roots), PinSet::builder().build()?,
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
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>, crl: CertificateRevocationListDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningVerifier::builder(roots, PinSet::builder().build()?,
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
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = PinningVerifier::builder(roots, PinSet::builder().build()?,
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
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = PinningVerifier::builder(roots, PinSet::builder().build()?,
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
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = PinningVerifier::builder(roots, PinSet::builder().build()?,
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
    /// # use rustls_pinning::{PinSet, PinningVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PinningVerifier::builder(roots, PinSet::builder().build()?,
    ///         rustls_pinning::default_crypto_provider())
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An empty root store, a CRL or root certificate that does not parse, a root certificate
    /// missing from the store, or a certificate pin scoped to the root without root
    /// certificates.
    pub fn build(self) -> Result<Arc<PinningVerifier>, VerifierBuilderError> {
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
        Ok(PinningVerifier::from_parts(
            self.pins,
            Trust::WebPki(trust),
            self.reporting,
        ))
    }
}
