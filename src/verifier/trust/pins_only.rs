//! Pins-only trust: no certificate authority; the one path is the leaf, whose pin is the
//! only trust there is.

use pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use webpki::EndEntityCert;

use crate::decision::error::ServerPinningError;
use crate::decision::judge::HostRule;
use crate::decision::pin_check::PathEntry;
use crate::decision::search::Search;
use crate::decision::{host_text, Resolution, ServerLayers};
use crate::der;
use crate::policy::Position;
use crate::verifier::webpki_error::pki_error;

/// What pins-only mode still checks; each is switched off only by a builder call named for
/// what it gives up.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Checks {
    pub(crate) validity_dates: bool,
    pub(crate) server_name: bool,
    pub(crate) handshake_signatures: bool,
}

pub(crate) struct PinsOnly {
    supported: WebPkiSupportedAlgorithms,
    checks: Checks,
}

impl PinsOnly {
    pub(crate) fn new(supported: WebPkiSupportedAlgorithms, checks: Checks) -> Self {
        Self { supported, checks }
    }
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
