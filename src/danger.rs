//! Verifiers that trust something other than a certificate authority.
//!
//! Everything here gives up a protection the rest of the crate keeps. Each item says which.

use std::sync::Arc;

use pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use webpki::EndEntityCert;

use crate::check::{check_path, PathEntry, Verdict};
use crate::der;
use crate::error::{PathCertificate, PinningError, VerifierBuilderError};
use crate::pin_set::{EnforcementMode, PinScope, PinSet, Position};
use crate::report::{Connection, Observation, Outcome, Reporter, Reporting};
use crate::verifier::{
    finish, host_text, policy_for, resolve, PinningVerifier, Resolution, Search, Trust,
};
use crate::webpki_error::pki_error;

/// Starts a verifier for private or self-signed services where **a leaf pin is the only
/// trust anchor**: no certificate authority is consulted and any chain the server sends is
/// ignored.
///
/// What it still checks, unless switched off by a call named for what it gives up: the leaf's
/// validity dates, the server name in the leaf, and the handshake signature (which proves the
/// server holds the pinned key). Every host must have an enforced entry with at least one pin
/// that may match the leaf; anything else is rejected, because there is nothing to fall back
/// on.
///
/// ```
/// use rustls_pinning::{danger, BuilderPinningExt, Pin, PinEntry, PinSet};
///
/// # fn demo(device_certificate: rustls::pki_types::CertificateDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
/// let pins = PinSet::builder()
///     .entry(PinEntry::builder("device.local".parse()?)
///         .pin(Pin::spki_of(&device_certificate)?)
///         .allow_missing_backup_pin())
///     .build()?;
/// let provider = rustls_pinning::default_crypto_provider();
/// let verifier = danger::pins_only(pins, provider.clone()).build()?;
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_pinning(verifier)
///     .with_no_client_auth();
/// # Ok(()) }
/// ```
pub fn pins_only(pins: PinSet, provider: Arc<CryptoProvider>) -> PinsOnlyBuilder {
    PinsOnlyBuilder {
        pins,
        supported: provider.signature_verification_algorithms,
        checks: Checks {
            validity_dates: true,
            server_name: true,
            handshake_signatures: true,
        },
        reporting: None,
    }
}

#[derive(Clone, Copy, Debug)]
struct Checks {
    validity_dates: bool,
    server_name: bool,
    handshake_signatures: bool,
}

/// Builds a pins-only verifier; see [`pins_only`].
#[derive(Debug)]
#[must_use]
pub struct PinsOnlyBuilder {
    pins: PinSet,
    supported: WebPkiSupportedAlgorithms,
    checks: Checks,
    reporting: Option<Reporting>,
}

/// A rejection decided before any certificate of the path was checked.
fn rejection<'a>(resolution: &'a Resolution<'a>, error: PinningError) -> Observation<'a> {
    Observation {
        resolution,
        verified_chain: Vec::new(),
        backup: None,
        error: Some(error),
        outcome: Outcome::Rejected,
    }
}

impl PinsOnlyBuilder {
    /// Reports pin events (see [`PinningVerifierBuilder::with_reporting`](crate::PinningVerifierBuilder::with_reporting)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{danger, reporters::MemoryReporter, PinSet, Reporting};
    /// let builder = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .with_reporting(Reporting::new(Arc::new(MemoryReporter::new(100))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_reporting(mut self, reporting: Reporting) -> Self {
        self.reporting = Some(reporting);
        self
    }

    /// Accepts a pinned leaf outside its validity dates: for devices without a clock or
    /// certificates nobody renews. An expired key is then trusted for as long as it is pinned.
    ///
    /// ```
    /// # use rustls_pinning::{danger, PinSet};
    /// let builder = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .allow_expired_certificates();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_expired_certificates(mut self) -> Self {
        self.checks.validity_dates = false;
        self
    }

    /// Accepts a pinned leaf whatever names it carries: for certificates issued to the wrong
    /// name. A key pinned for one host then authenticates any host it is pinned for.
    ///
    /// ```
    /// # use rustls_pinning::{danger, PinSet};
    /// let builder = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .allow_any_server_name();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_any_server_name(mut self) -> Self {
        self.checks.server_name = false;
        self
    }

    /// Does not verify the TLS handshake signature. **Anyone can then impersonate the
    /// server** by replaying its public certificate: only for test rigs that must accept a
    /// server whose key cannot sign.
    ///
    /// ```
    /// # use rustls_pinning::{danger, PinSet};
    /// let builder = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .skip_handshake_signature_verification();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip_handshake_signature_verification(mut self) -> Self {
        self.checks.handshake_signatures = false;
        self
    }

    /// Checks that every entry can stand on its own and builds the verifier.
    ///
    /// ```
    /// # use rustls_pinning::{danger, PinSet};
    /// let verifier = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`VerifierBuilderError::UnsupportedInPinsOnlyMode`] for a report-only entry (it would
    /// accept any certificate), an entry with no pin that may match the leaf, or a pin scoped
    /// to an intermediate or root (there is no CA path to match it against).
    pub fn build(self) -> Result<Arc<PinningVerifier>, VerifierBuilderError> {
        for entry in self.pins.entries() {
            let unsupported = |reason| VerifierBuilderError::UnsupportedInPinsOnlyMode {
                pattern: entry.pattern().clone(),
                reason,
            };
            if entry.mode() == EnforcementMode::ReportOnly {
                return Err(unsupported(
                    "a report-only entry would accept any certificate",
                ));
            }
            if entry
                .allowed_pins()
                .iter()
                .any(|pin| matches!(pin.scope(), PinScope::Intermediate | PinScope::Root))
            {
                return Err(unsupported(
                    "pins scoped to an intermediate or root need a CA path; only the leaf is checked",
                ));
            }
            if entry.allowed_pins().is_empty() {
                return Err(unsupported(
                    "it needs at least one allowed pin for the leaf, the only trust there is",
                ));
            }
        }
        Ok(PinningVerifier::from_parts(
            self.pins,
            Trust::PinsOnly(PinsOnly {
                supported: self.supported,
                checks: self.checks,
            }),
            self.reporting,
        ))
    }
}

pub(crate) struct PinsOnly {
    supported: WebPkiSupportedAlgorithms,
    checks: Checks,
}

impl PinsOnly {
    pub(crate) fn verify(
        &self,
        pins: &PinSet,
        reporter: Option<&Reporter>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let cert = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        let connection = Connection {
            server_name,
            end_entity,
            intermediates,
            now,
        };
        let resolution = resolve(pins, server_name, now);
        let entry = match resolution {
            Resolution::Pinned(entry) => entry,
            // Nothing vouches for the server: a rejection, reported before the certificate
            // checks since no trust could come of them.
            Resolution::Unpinned(Some(expired)) => {
                let error = PinningError::EntryExpiredWithoutFallback {
                    host: host_text(server_name),
                    pattern: expired.pattern().clone(),
                    expired_at: expired.expires_at().unwrap_or(now),
                };
                return finish(
                    pins,
                    reporter,
                    &connection,
                    rejection(&Resolution::Pinned(expired), error),
                )
                .map(|()| ServerCertVerified::assertion());
            }
            Resolution::Unpinned(None) | Resolution::Rejected => {
                let error = PinningError::HostNotPinned {
                    host: host_text(server_name),
                };
                return finish(
                    pins,
                    reporter,
                    &connection,
                    rejection(&Resolution::Rejected, error),
                )
                .map(|()| ServerCertVerified::assertion());
            }
        };
        // As in WebPKI mode, certificate problems are reported before pin problems.
        if self.checks.validity_dates {
            let (not_before, not_after) = der::certificate_fields(end_entity.as_ref())
                .and_then(|fields| fields.validity())
                .ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))?;
            if now.as_secs() < not_before.as_secs() {
                return Err(CertificateError::NotValidYetContext {
                    time: now,
                    not_before,
                }
                .into());
            }
            if now.as_secs() > not_after.as_secs() {
                return Err(CertificateError::ExpiredContext {
                    time: now,
                    not_after,
                }
                .into());
            }
        }
        if self.checks.server_name {
            cert.verify_is_valid_for_subject_name(server_name)
                .map_err(pki_error)?;
        }
        let policy = policy_for(pins, Some(entry));
        let leaf = [(Position::Leaf, PathEntry::Der(end_entity.clone()))];
        let verdict = check_path(&policy, leaf.clone().into_iter());
        let keep_leaf =
            reporter.is_some_and(|reporter| reporter.wants_accepted_path(pins, &resolution, now));
        let observation = match verdict {
            Verdict::Accepted { backup } => Observation {
                resolution: &resolution,
                verified_chain: match reporter.is_some() && (keep_leaf || backup.is_some()) {
                    true => vec![end_entity.clone().into_owned()],
                    false => Vec::new(),
                },
                backup,
                error: None,
                outcome: Outcome::Accepted,
            },
            verdict => {
                let search = Search::default();
                search.record(
                    leaf.into_iter()
                        .map(|(position, entry)| PathCertificate::describe(position, entry))
                        .collect(),
                    verdict,
                    Vec::new(),
                );
                Observation {
                    resolution: &resolution,
                    verified_chain: vec![end_entity.clone().into_owned()],
                    backup: None,
                    error: Some(search.into_error(host_text(server_name), Some(entry))),
                    outcome: Outcome::Rejected,
                }
            }
        };
        finish(pins, reporter, &connection, observation).map(|()| ServerCertVerified::assertion())
    }

    pub(crate) fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        if !self.checks.handshake_signatures {
            return Ok(HandshakeSignatureValid::assertion());
        }
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.supported)
    }

    pub(crate) fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        if !self.checks.handshake_signatures {
            return Ok(HandshakeSignatureValid::assertion());
        }
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.supported)
    }

    pub(crate) fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.supported.supported_schemes()
    }
}
