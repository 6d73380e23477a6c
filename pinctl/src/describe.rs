//! Describing a certificate for people: subject, issuer, validity, key type and its two pins.
//!
//! The pins come from the library ([`Pin::spki_of`], [`Pin::certificate_of`]), so `pinctl`
//! prints exactly what a verifier compares; the rest is read with x509-parser.

use core::fmt;
use std::net::IpAddr;

use rustls::pki_types::CertificateDer;
use rustls_pinning::Pin;
use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::objects::{oid2abbrev, oid_registry};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::time::ASN1Time;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use crate::error::Problem;

/// What `pinctl` shows of one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct CertificateInfo {
    /// RFC 4514 order, most specific first (`CN=..., O=...`), as the library's errors print.
    pub(crate) subject: String,
    pub(crate) issuer: String,
    /// Whether subject and issuer are the same name (a root or a self-signed certificate).
    pub(crate) self_issued: bool,
    /// RFC 3339, UTC.
    pub(crate) not_before: String,
    /// RFC 3339, UTC.
    pub(crate) not_after: String,
    pub(crate) key: KeyType,
    #[serde(serialize_with = "display")]
    pub(crate) spki_pin: Pin,
    #[serde(serialize_with = "display")]
    pub(crate) certificate_pin: Pin,
    /// `not_before` in seconds since the epoch, for computations.
    #[serde(skip)]
    pub(crate) not_before_unix: i64,
    /// `not_after` in seconds since the epoch, for computations.
    #[serde(skip)]
    pub(crate) not_after_unix: i64,
    /// The DNS names and IP addresses of the subjectAltName extension, in order.
    #[serde(skip)]
    pub(crate) names: Vec<String>,
}

impl CertificateInfo {
    /// The length of the validity period, in seconds (0 if it ends before it starts).
    pub(crate) fn lifetime_seconds(&self) -> u64 {
        u64::try_from(self.not_after_unix.saturating_sub(self.not_before_unix)).unwrap_or(0)
    }
}

/// The kind and size of a certificate's public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "algorithm")]
pub(crate) enum KeyType {
    #[serde(rename = "RSA")]
    Rsa {
        bits: usize,
    },
    #[serde(rename = "EC")]
    Ec {
        curve: String,
    },
    Ed25519,
    Ed448,
    #[serde(rename = "other")]
    Other {
        oid: String,
    },
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { bits } => write!(f, "RSA {bits}"),
            Self::Ec { curve } => write!(f, "EC {curve}"),
            Self::Ed25519 => f.write_str("Ed25519"),
            Self::Ed448 => f.write_str("Ed448"),
            Self::Other { oid } => write!(f, "other ({oid})"),
        }
    }
}

fn display<T: fmt::Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Parses `der` and describes it.
///
/// # Errors
/// [`Problem::NotACertificate`] if x509-parser or the library's pin computation refuses it,
/// or if bytes follow the certificate.
pub(crate) fn describe(der: &CertificateDer<'_>) -> Result<CertificateInfo, Problem> {
    let not_a_certificate = |reason: String| Problem::NotACertificate { reason };
    let (rest, certificate) =
        X509Certificate::from_der(der.as_ref()).map_err(|e| not_a_certificate(e.to_string()))?;
    if !rest.is_empty() {
        return Err(not_a_certificate(format!(
            "{} bytes follow the certificate",
            rest.len()
        )));
    }
    let spki_pin = Pin::spki_of(der).map_err(|e| not_a_certificate(e.to_string()))?;
    let validity = certificate.validity();
    Ok(CertificateInfo {
        subject: format_name(certificate.subject()),
        issuer: format_name(certificate.issuer()),
        self_issued: certificate.subject().as_raw() == certificate.issuer().as_raw(),
        not_before: rfc3339(&validity.not_before),
        not_after: rfc3339(&validity.not_after),
        key: key_type(&certificate),
        spki_pin,
        certificate_pin: Pin::certificate_of(der),
        not_before_unix: validity.not_before.timestamp(),
        not_after_unix: validity.not_after.timestamp(),
        names: subject_alt_names(&certificate),
    })
}

/// The DNS names and IP addresses a certificate is for (an unreadable extension gives none).
fn subject_alt_names(certificate: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(extension)) = certificate.subject_alternative_name() else {
        return Vec::new();
    };
    extension
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => <[u8; 4]>::try_from(*bytes)
                    .ok()
                    .map(|octets| IpAddr::from(octets).to_string()),
                16 => <[u8; 16]>::try_from(*bytes)
                    .ok()
                    .map(|octets| IpAddr::from(octets).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn rfc3339(time: &ASN1Time) -> String {
    // RFC 3339 cannot show years past 9999 or before 0; X.509 times cannot hold them either.
    time.to_datetime()
        .format(&Rfc3339)
        .unwrap_or_else(|_| format!("@{}", time.timestamp()))
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";
const ED448: &str = "1.3.101.113";

fn key_type(certificate: &X509Certificate<'_>) -> KeyType {
    let spki = certificate.public_key();
    let algorithm = spki.algorithm.algorithm.to_id_string();
    match algorithm.as_str() {
        RSA_ENCRYPTION | RSASSA_PSS => match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => KeyType::Rsa {
                bits: rsa.key_size(),
            },
            _ => KeyType::Other { oid: algorithm },
        },
        EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.as_oid().ok())
                .map(|oid| oid.to_id_string());
            KeyType::Ec {
                curve: match curve.as_deref() {
                    Some("1.2.840.10045.3.1.7") => String::from("P-256"),
                    Some("1.3.132.0.34") => String::from("P-384"),
                    Some("1.3.132.0.35") => String::from("P-521"),
                    Some("1.3.132.0.10") => String::from("secp256k1"),
                    Some(other) => other.to_owned(),
                    None => String::from("unnamed curve"),
                },
            }
        }
        ED25519 => KeyType::Ed25519,
        ED448 => KeyType::Ed448,
        _ => KeyType::Other { oid: algorithm },
    }
}

/// A Name in RFC 4514 order (the last RDN first), e.g. `CN=api.example.com, O=Example`.
fn format_name(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(format_attribute)
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    if rdns.is_empty() {
        return String::from("(empty)");
    }
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

fn format_attribute(attribute: &AttributeTypeAndValue<'_>) -> String {
    let oid = attribute.attr_type();
    let mut out = match oid2abbrev(oid, oid_registry()) {
        Ok(name) => name.to_owned(),
        Err(_) => oid.to_id_string(),
    };
    out.push('=');
    match attribute.as_str() {
        Ok(text) => {
            for ch in text.chars() {
                if matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
                    out.push('\\');
                }
                out.push(if ch.is_control() { '?' } else { ch });
            }
        }
        // Not a string type shown as text: `#` and the bytes of the value in hex.
        Err(_) => {
            out.push('#');
            for byte in attribute.attr_value().as_bytes() {
                out.push_str(&format!("{byte:02x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_certificate() {
        for bytes in [&[][..], &[0x30, 0x00], &[0x02, 0x01, 0x00], b"hello"] {
            assert!(matches!(
                describe(&CertificateDer::from(bytes)),
                Err(Problem::NotACertificate { .. })
            ));
        }
    }

    #[test]
    fn key_types_read_like_openssl() {
        assert_eq!(KeyType::Rsa { bits: 2048 }.to_string(), "RSA 2048");
        assert_eq!(
            KeyType::Ec {
                curve: String::from("P-256")
            }
            .to_string(),
            "EC P-256"
        );
        assert_eq!(
            serde_json::to_string(&KeyType::Rsa { bits: 4096 }).unwrap(),
            r#"{"algorithm":"RSA","bits":4096}"#
        );
        assert_eq!(
            serde_json::to_string(&KeyType::Ed448).unwrap(),
            r#"{"algorithm":"Ed448"}"#
        );
    }
}
