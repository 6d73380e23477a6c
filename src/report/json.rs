//! A [`PinEvent`] as an RFC 7469 section 3 violation report, with TrustKit's additions.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use crate::date::format_rfc3339;
use crate::decision::error::ServerPinningError;
use crate::policy::host_pattern::HostPatternKind;
use crate::policy::pin::PinKind;
use crate::policy::EnforcementMode;
use crate::report::PinEvent;

/// An RFC 7469 section 3 pin validation failure report, plus TrustKit's `enforce-pinning`
/// and `validation-result`. Field names are those of the RFC; serialize it with serde (for
/// example `serde_json::to_string`), or use [`PinEvent::to_json`].
///
/// Mapping from an event:
/// - `noted-hostname` and `include-subdomains`: an exact or IP pattern is noted as itself;
///   `*.example.com` and `**.example.com` as `example.com` with subdomains included. With no
///   entry (an unpinned host hit by a global deny pin), the host itself.
/// - `port` is left out when the verifier was not told it ([`Reporting::port`](crate::Reporting::port)).
/// - `date-time` and `effective-expiration-date` (the entry's expiry, `null` if it has
///   none) are RFC 3339 UTC times; an instant after 9999-12-31T23:59:59Z, which RFC 3339's
///   four-digit years cannot name, is written as that last second.
/// - `known-pins` lists SPKI pins as the RFC spells them (`pin-sha256="..."`); certificate
///   pins, which HPKP does not have, as `cert-sha256="..."`.
/// - `validation-result` follows TrustKit: 0 success, 1 no matching pin (also used for a
///   deny pin or an unpinned host that must be pinned).
///
/// ```
/// use rustls_pinning::{PinEvent, ViolationReport};
///
/// fn to_collector(event: &PinEvent) -> Result<String, serde_json::Error> {
///     let report = ViolationReport::from(event);
///     serde_json::to_string(&report)
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationReport {
    /// When the failure happened (RFC 3339, UTC).
    #[serde(rename = "date-time")]
    pub date_time: String,
    /// The host the client connected to.
    pub hostname: String,
    /// The port, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// When the pinning policy expires (RFC 3339), if it does.
    #[serde(rename = "effective-expiration-date")]
    pub effective_expiration_date: Option<String>,
    /// Whether the noted policy covers subdomains.
    #[serde(rename = "include-subdomains")]
    pub include_subdomains: bool,
    /// The host the policy was noted for.
    #[serde(rename = "noted-hostname")]
    pub noted_hostname: String,
    /// The certificates the server presented, PEM, leaf first.
    #[serde(rename = "served-certificate-chain")]
    pub served_certificate_chain: Vec<String>,
    /// The verified path, PEM, leaf first.
    #[serde(rename = "validated-certificate-chain")]
    pub validated_certificate_chain: Vec<String>,
    /// The pins the policy allows, `pin-sha256="..."`.
    #[serde(rename = "known-pins")]
    pub known_pins: Vec<String>,
    /// Whether the policy was enforced (TrustKit).
    #[serde(rename = "enforce-pinning")]
    pub enforce_pinning: bool,
    /// TrustKit's `TSKTrustEvaluationResult`: 0 success, 1 no matching pin.
    #[serde(rename = "validation-result")]
    pub validation_result: u8,
}

/// TrustKit's `TSKTrustEvaluationSuccess`.
const VALIDATION_SUCCESS: u8 = 0;
/// TrustKit's `TSKTrustEvaluationFailedNoMatchingPin`.
const VALIDATION_FAILED_NO_MATCHING_PIN: u8 = 1;

/// PEM text of a certificate: base64 in 64-character lines between the usual markers.
fn pem(certificate: &CertificateDer<'_>) -> String {
    let encoded = STANDARD.encode(certificate.as_ref());
    let mut text = String::with_capacity(encoded.len() + encoded.len() / 64 + 60);
    text.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        text.push_str(core::str::from_utf8(line).unwrap_or_default());
        text.push('\n');
    }
    text.push_str("-----END CERTIFICATE-----\n");
    text
}

impl From<&PinEvent> for ViolationReport {
    fn from(event: &PinEvent) -> Self {
        let (noted_hostname, include_subdomains) = match &event.pattern {
            Some(pattern) => match pattern.kind() {
                HostPatternKind::OneLabelWildcard | HostPatternKind::AnyDepthWildcard => {
                    let text = pattern.to_string();
                    let suffix = text
                        .split_once('.')
                        .map_or_else(|| text.clone(), |(_, suffix)| suffix.to_owned());
                    (suffix, true)
                }
                _ => (pattern.to_string(), false),
            },
            None => (event.host.clone(), false),
        };
        let validation_result = match &event.error {
            Some(
                ServerPinningError::NoPinMatched { .. }
                | ServerPinningError::DeniedPinMatched { .. }
                | ServerPinningError::HostNotPinned { .. }
                | ServerPinningError::ProofBudgetExhausted { .. }
                | ServerPinningError::EntryExpiredWithoutFallback { .. },
            ) => VALIDATION_FAILED_NO_MATCHING_PIN,
            None => VALIDATION_SUCCESS,
        };
        Self {
            date_time: format_rfc3339(event.time.as_secs()),
            hostname: event.host.clone(),
            port: event.port,
            effective_expiration_date: event
                .expires_at
                .map(|expiry| format_rfc3339(expiry.as_secs())),
            include_subdomains,
            noted_hostname,
            served_certificate_chain: event.served_chain.iter().map(pem).collect(),
            validated_certificate_chain: event.verified_chain.iter().map(pem).collect(),
            known_pins: event
                .known_pins
                .iter()
                .map(|scoped| {
                    let pin = scoped.pin();
                    let directive = match pin.kind() {
                        PinKind::Spki => "pin-sha256",
                        PinKind::Certificate => "cert-sha256",
                    };
                    format!("{directive}=\"{}\"", pin.base64())
                })
                .collect(),
            enforce_pinning: event.mode != Some(EnforcementMode::ReportOnly),
            validation_result,
        }
    }
}

impl PinEvent {
    /// The event as an RFC 7469 report ([`ViolationReport`]).
    ///
    /// ```
    /// # use rustls_pinning::PinEvent;
    /// # fn demo(event: &PinEvent) {
    /// let report = event.to_report();
    /// println!("{} failed pinning", report.hostname);
    /// # }
    /// ```
    pub fn to_report(&self) -> ViolationReport {
        ViolationReport::from(self)
    }

    /// The event as RFC 7469 report JSON.
    ///
    /// ```
    /// # use rustls_pinning::PinEvent;
    /// # fn demo(event: &PinEvent) -> Result<(), serde_json::Error> {
    /// let body = event.to_json()?;
    /// assert!(body.starts_with('{'));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Only if serde_json fails to write a string, which it does not for this type.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.to_report())
    }
}
