//! Verifiers that trust something other than a certificate authority.
//!
//! Everything here gives up a protection the rest of the crate keeps. Each item says which.

use std::sync::Arc;

use pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use webpki::EndEntityCert;

use crate::check::PathEntry;
use crate::decision::judge::HostRule;
use crate::decision::search::Search;
use crate::decision::{host_text, Resolution, ServerLayers};
use crate::der;
use crate::error::{ServerPinningError, VerifierBuilderError};
use crate::pin_set::{EnforcementMode, PinScope, PinSet, Position};
use crate::report::Reporting;
use crate::verifier::{PinningServerVerifier, Trust};
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

impl PinsOnlyBuilder {
    /// Reports pin events (see [`PinningServerVerifierBuilder::with_reporting`](crate::PinningServerVerifierBuilder::with_reporting)).
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
    pub fn build(self) -> Result<Arc<PinningServerVerifier>, VerifierBuilderError> {
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
        Ok(PinningServerVerifier::from_parts(
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
    /// The rejection for a host no layer pins: with no certificate authority behind the pins,
    /// nothing could vouch for it. The layer and resolution an event speaks of come with it.
    pub(crate) fn without_trust<'a>(
        &self,
        layers: &ServerLayers<'a>,
        server_name: &ServerName<'_>,
    ) -> Option<(usize, Resolution<'a>, ServerPinningError)> {
        if layers.judge().host_rule() == HostRule::Pinned {
            return None;
        }
        let expired = layers
            .iter()
            .find_map(|(layer, _, resolution)| match resolution {
                Resolution::Unpinned(Some(expired)) => Some((layer, *expired)),
                _ => None,
            });
        Some(match expired {
            Some((layer, expired)) => (
                layer,
                Resolution::Pinned(expired),
                ServerPinningError::EntryExpiredWithoutFallback {
                    host: host_text(server_name),
                    pattern: expired.pattern().clone(),
                    expired_at: expired
                        .expires_at()
                        .unwrap_or(UnixTime::since_unix_epoch(core::time::Duration::ZERO)),
                },
            ),
            None => (
                0,
                Resolution::Rejected,
                ServerPinningError::HostNotPinned {
                    host: host_text(server_name),
                },
            ),
        })
    }

    /// Checks the leaf's validity dates and name (unless switched off), then feeds `search`
    /// the one path this mode has: the leaf.
    pub(crate) fn search(
        &self,
        search: &Search<'_>,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let cert = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
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
        let leaf = [(Position::Leaf, PathEntry::Der(end_entity.clone()))];
        search.consider(
            || leaf.iter().cloned(),
            || vec![end_entity.clone().into_owned()],
        );
        Ok(())
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
