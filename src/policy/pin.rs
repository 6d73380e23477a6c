//! Pins: SHA-256 digests of a public key (SPKI) or of a whole certificate.

use core::fmt;
use core::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use sha2::{Digest, Sha256};

use crate::der;

/// A SHA-256 pin on a public key or on a whole certificate.
///
/// An SPKI pin (`sha256/<base64>`) survives certificate renewal with the same key, and is what
/// HPKP, OkHttp and curl use. A certificate pin (`cert-sha256/<base64>`) names one exact
/// certificate, as Envoy's `verify_certificate_hash` and `openssl x509 -fingerprint` do.
///
/// Parsing accepts the common spellings; [`Display`](fmt::Display) always prints the canonical
/// one, which parses back to the same pin.
///
/// ```
/// use rustls_pinning::{Pin, PinKind};
///
/// let pin: Pin = "pin-sha256=\"r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=\"".parse()?;
/// assert_eq!(pin.kind(), PinKind::Spki);
/// assert_eq!(pin.to_string(), "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=");
///
/// let fingerprint = "AF:BE:5F:4D:1A:21:9A:B1:66:FC:10:F0:4D:85:1E:0C:\
///                    59:BE:7F:76:C9:40:EA:41:6B:A0:39:23:86:B6:21:8C";
/// let cert_pin: Pin = fingerprint.parse()?;
/// assert_eq!(cert_pin.kind(), PinKind::Certificate);
/// assert!(cert_pin.to_string().starts_with("cert-sha256/"));
/// # Ok::<(), rustls_pinning::PinError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin {
    kind: PinKind,
    digest: [u8; 32],
}

/// What a [`Pin`] is a digest of.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PinKind {
    /// The DER SubjectPublicKeyInfo: the key, whatever certificate carries it.
    Spki,
    /// The whole DER certificate.
    Certificate,
}

impl Pin {
    /// The SPKI pin of a certificate's public key.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinKind};
    /// # use rustls::pki_types::CertificateDer;
    /// # fn demo(certificate: &CertificateDer<'_>) -> Result<(), rustls_pinning::PinError> {
    /// let pin = Pin::spki_of(certificate)?;
    /// assert_eq!(pin.kind(), PinKind::Spki);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`PinError::MalformedCertificate`] if `certificate` is not a DER X.509 certificate.
    pub fn spki_of(certificate: &CertificateDer<'_>) -> Result<Self, PinError> {
        let fields =
            der::certificate_fields(certificate.as_ref()).ok_or(PinError::MalformedCertificate)?;
        Ok(Self::spki_sha256(sha256(fields.spki)))
    }

    /// The certificate pin of a whole DER certificate.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinKind};
    /// # use rustls::pki_types::CertificateDer;
    /// let certificate = CertificateDer::from(vec![0x30, 0x00]);
    /// assert_eq!(Pin::certificate_of(&certificate).kind(), PinKind::Certificate);
    /// ```
    pub fn certificate_of(certificate: &CertificateDer<'_>) -> Self {
        Self::certificate_sha256(sha256(certificate.as_ref()))
    }

    /// The SPKI pin of a DER SubjectPublicKeyInfo (with its SEQUENCE header, as
    /// `openssl pkey -pubin -outform der` writes it).
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinKind};
    /// # use rustls::pki_types::SubjectPublicKeyInfoDer;
    /// let spki = SubjectPublicKeyInfoDer::from(vec![0x30, 0x00]);
    /// assert_eq!(Pin::from_spki(&spki).kind(), PinKind::Spki);
    /// ```
    pub fn from_spki(spki: &SubjectPublicKeyInfoDer<'_>) -> Self {
        Self::spki_sha256(sha256(spki.as_ref()))
    }

    /// An SPKI pin from its raw SHA-256 digest.
    ///
    /// ```
    /// # use rustls_pinning::Pin;
    /// let pin = Pin::spki_sha256([0; 32]);
    /// assert_eq!(pin.to_string(), "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    /// ```
    pub const fn spki_sha256(digest: [u8; 32]) -> Self {
        Self {
            kind: PinKind::Spki,
            digest,
        }
    }

    /// A certificate pin from its raw SHA-256 digest.
    ///
    /// ```
    /// # use rustls_pinning::Pin;
    /// let pin = Pin::certificate_sha256([0; 32]);
    /// assert_eq!(pin.to_string(), "cert-sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    /// ```
    pub const fn certificate_sha256(digest: [u8; 32]) -> Self {
        Self {
            kind: PinKind::Certificate,
            digest,
        }
    }

    /// Whether this pins a key or a whole certificate.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinKind};
    /// assert_eq!(Pin::spki_sha256([1; 32]).kind(), PinKind::Spki);
    /// ```
    pub const fn kind(&self) -> PinKind {
        self.kind
    }

    /// The SHA-256 digest.
    ///
    /// ```
    /// # use rustls_pinning::Pin;
    /// assert_eq!(Pin::spki_sha256([7; 32]).sha256(), &[7; 32]);
    /// ```
    pub const fn sha256(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The digest alone in padded standard base64, as `pin-sha256="..."` (RFC 7469) and
    /// Android's `<pin digest="SHA-256">` spell it.
    ///
    /// ```
    /// use rustls_pinning::Pin;
    /// assert_eq!(Pin::spki_sha256([0; 32]).base64(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    /// ```
    pub fn base64(&self) -> String {
        STANDARD.encode(self.digest)
    }

    /// Parses a list of pins separated by `;`, as curl's `--pinnedpubkey` takes them
    /// (`sha256//A=;sha256//B=`). Spaces around each pin are ignored.
    ///
    /// ```
    /// # use rustls_pinning::Pin;
    /// let pins = Pin::parse_list(
    ///     "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;\
    ///      sha256//AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    /// )?;
    /// assert_eq!(pins.len(), 2);
    /// # Ok::<(), rustls_pinning::PinError>(())
    /// ```
    ///
    /// # Errors
    /// The first pin that does not parse, as [`Pin::from_str`] reports it; an empty list is
    /// [`PinError::Empty`].
    pub fn parse_list(list: &str) -> Result<Vec<Self>, PinError> {
        let pins = list
            .split(';')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if pins.is_empty() {
            return Err(PinError::Empty);
        }
        Ok(pins)
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The length of a 32-byte digest in padded base64.
const BASE64_DIGEST_LEN: usize = 44;

impl FromStr for Pin {
    type Err = PinError;

    /// Accepts `sha256/B64`, `pin-sha256="B64"`, `sha256//B64` (SPKI pins),
    /// `cert-sha256/B64` and 64 hex digits with or without colons, optionally after openssl's
    /// `sha256 Fingerprint=` (certificate pins). Base64 must be standard, padded and canonical.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.is_empty() {
            return Err(PinError::Empty);
        }
        // `sha256//` is curl's spelling, but the canonical `sha256/` followed by a digest
        // whose base64 starts with '/' looks the same. A 32-byte digest is always 44
        // base64 characters, so the length tells which one it is.
        if let Some(b64) = input.strip_prefix("sha256//")
            && b64.len() == BASE64_DIGEST_LEN
        {
            return decode_base64(input, b64).map(Self::spki_sha256);
        }
        if let Some(b64) = input.strip_prefix("sha256/") {
            return decode_base64(input, b64).map(Self::spki_sha256);
        }
        if let Some(b64) = input.strip_prefix("cert-sha256/") {
            return decode_base64(input, b64).map(Self::certificate_sha256);
        }
        if let Some(quoted) = input.strip_prefix("pin-sha256=") {
            let b64 = quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .ok_or_else(|| PinError::UnquotedHpkpPin {
                    input: quote(input),
                })?;
            return decode_base64(input, b64).map(Self::spki_sha256);
        }
        if let Some(algorithm) = other_hash_prefix(input) {
            return Err(PinError::UnsupportedHash {
                input: quote(input),
                algorithm,
            });
        }
        let hex = strip_prefix_ignore_case(input, "sha256 fingerprint=").unwrap_or(input);
        if let Some(digest) = decode_hex(hex) {
            return Ok(Self::certificate_sha256(digest));
        }
        let hex_digits = hex.bytes().filter(u8::is_ascii_hexdigit).count();
        if hex_digits == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(PinError::UnsupportedHash {
                input: quote(input),
                algorithm: "sha1",
            });
        }
        Err(PinError::UnrecognizedFormat {
            input: quote(input),
        })
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.kind {
            PinKind::Spki => "sha256/",
            PinKind::Certificate => "cert-sha256/",
        };
        write!(f, "{prefix}{}", STANDARD.encode(self.digest))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({self})")
    }
}

/// Names the hash of a pin spelled with another algorithm, so the error can say what to do.
fn other_hash_prefix(input: &str) -> Option<&'static str> {
    // Bytes, not a string slice: the input may have a multi-byte character at any offset.
    let lower = input.as_bytes()[..input.len().min(16)].to_ascii_lowercase();
    [
        ("sha1", "sha1"),
        ("pin-sha1", "sha1"),
        ("cert-sha1", "sha1"),
        ("sha384", "sha384"),
        ("pin-sha384", "sha384"),
        ("cert-sha384", "sha384"),
        ("sha512", "sha512"),
        ("pin-sha512", "sha512"),
        ("cert-sha512", "sha512"),
        ("md5", "md5"),
    ]
    .into_iter()
    .find(|(prefix, _)| {
        lower.starts_with(prefix.as_bytes()) && matches!(lower.get(prefix.len()), Some(b'/' | b'='))
    })
    .map(|(_, algorithm)| algorithm)
}

fn strip_prefix_ignore_case<'a>(input: &'a str, prefix: &str) -> Option<&'a str> {
    let head = input.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &input[prefix.len()..])
}

fn decode_base64(input: &str, b64: &str) -> Result<[u8; 32], PinError> {
    // The STANDARD engine insists on padding and canonical trailing bits, so every digest has
    // exactly one spelling and a pin copied with a typo is refused rather than silently altered.
    let bytes = STANDARD.decode(b64).map_err(|_| PinError::InvalidBase64 {
        input: quote(input),
    })?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| PinError::WrongLength {
        input: quote(input),
        length: bytes.len(),
    })
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    let mut digest = [0u8; 32];
    let with_colons = bytes.len() == 32 * 3 - 1;
    if !(with_colons || bytes.len() == 64) {
        return None;
    }
    let stride = if with_colons { 3 } else { 2 };
    for (index, out) in digest.iter_mut().enumerate() {
        let at = index * stride;
        let high = hex_value(*bytes.get(at)?)?;
        let low = hex_value(*bytes.get(at + 1)?)?;
        if with_colons && index < 31 && bytes.get(at + 2) != Some(&b':') {
            return None;
        }
        *out = (high << 4) | low;
    }
    Some(digest)
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Quotes user input for an error message, cut short so a pasted file cannot flood a log.
pub(crate) fn quote(input: &str) -> String {
    const LIMIT: usize = 120;
    match input.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", &input[..cut]),
        None => input.to_owned(),
    }
}

/// Why a [`Pin`] could not be parsed or computed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The text was empty.
    #[error("empty pin: expected sha256/<base64> or cert-sha256/<base64>")]
    Empty,
    /// The text is not any accepted pin spelling.
    #[error(
        "unrecognised pin \"{input}\": expected sha256/<base64>, pin-sha256=\"<base64>\", \
         sha256//<base64>, cert-sha256/<base64> or 64 hex digits"
    )]
    UnrecognizedFormat {
        /// The input, quoted.
        input: String,
    },
    /// The pin uses a hash other than SHA-256.
    #[error("pin \"{input}\" uses {algorithm}; SHA-256 is required")]
    UnsupportedHash {
        /// The input, quoted.
        input: String,
        /// The hash the input names.
        algorithm: &'static str,
    },
    /// The base64 is not standard, padded and canonical.
    #[error("pin \"{input}\": the digest is not canonical padded standard base64")]
    InvalidBase64 {
        /// The input, quoted.
        input: String,
    },
    /// The digest does not have the 32 bytes of a SHA-256 digest.
    #[error("pin \"{input}\": the digest is {length} bytes; a SHA-256 digest is 32")]
    WrongLength {
        /// The input, quoted.
        input: String,
        /// How many bytes it decoded to.
        length: usize,
    },
    /// `pin-sha256=` without the quotes RFC 7469 requires.
    #[error("pin \"{input}\": RFC 7469 pins are quoted, as pin-sha256=\"<base64>\"")]
    UnquotedHpkpPin {
        /// The input, quoted.
        input: String,
    },
    /// The bytes given as a certificate are not a DER X.509 certificate.
    #[error("not a DER X.509 certificate")]
    MalformedCertificate,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZEROS: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    #[test]
    fn accepts_every_spki_spelling() {
        for text in [
            format!("sha256/{ZEROS}"),
            format!("sha256//{ZEROS}"),
            format!("pin-sha256=\"{ZEROS}\""),
        ] {
            assert_eq!(text.parse::<Pin>(), Ok(Pin::spki_sha256([0; 32])), "{text}");
        }
    }

    #[test]
    fn accepts_every_certificate_spelling() {
        let mut digest = [0u8; 32];
        digest[0] = 0xab;
        digest[31] = 0x01;
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let colons: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
        let colons = colons.join(":");
        let expected = Pin::certificate_sha256(digest);
        for text in [
            hex.clone(),
            hex.to_uppercase(),
            colons.clone(),
            colons.to_lowercase(),
            format!("SHA256 Fingerprint={colons}"),
            format!("sha256 Fingerprint={hex}"),
            format!("cert-sha256/{}", STANDARD.encode(digest)),
        ] {
            assert_eq!(text.parse::<Pin>(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn a_canonical_pin_whose_base64_starts_with_a_slash_is_not_mistaken_for_curls_form() {
        // 0xFC 0x00 0x00 encodes as "/AAA": the canonical text starts with "sha256//".
        let mut digest = [0u8; 32];
        digest[0] = 0xFC;
        for pin in [Pin::spki_sha256(digest), Pin::certificate_sha256(digest)] {
            let text = pin.to_string();
            assert!(text.contains("//"), "{text}");
            assert_eq!(text.parse::<Pin>(), Ok(pin), "{text}");
        }
        // curl's spelling of the same digest still parses.
        let curl = format!("sha256//{}", STANDARD.encode(digest));
        assert_eq!(curl.parse::<Pin>(), Ok(Pin::spki_sha256(digest)));
    }

    #[test]
    fn display_round_trips() {
        for pin in [
            Pin::spki_sha256([9; 32]),
            Pin::certificate_sha256([200; 32]),
        ] {
            assert_eq!(pin.to_string().parse::<Pin>(), Ok(pin));
        }
        assert_eq!(
            format!("{:?}", Pin::spki_sha256([0; 32])),
            format!("Pin(sha256/{ZEROS})")
        );
    }

    #[test]
    fn rejects_other_hashes_naming_them() {
        let cases = [
            ("sha1/AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "sha1"),
            ("pin-sha1=\"AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"", "sha1"),
            ("sha384/AAAA", "sha384"),
            ("SHA512/AAAA", "sha512"),
            ("sha1/ÀÀÀÀÀÀÀÀÀÀÀ=", "sha1"),
            ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1"),
            (
                "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09",
                "sha1",
            ),
        ];
        for (text, algorithm) in cases {
            assert_eq!(
                text.parse::<Pin>(),
                Err(PinError::UnsupportedHash {
                    input: text.to_owned(),
                    algorithm
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_bad_base64_and_lengths() {
        let non_canonical = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=";
        assert_eq!(
            non_canonical.parse::<Pin>(),
            Err(PinError::InvalidBase64 {
                input: non_canonical.into()
            })
        );
        let unpadded = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(matches!(
            unpadded.parse::<Pin>(),
            Err(PinError::InvalidBase64 { .. })
        ));
        let url_safe = "sha256/_____________________________________w=";
        assert!(matches!(
            url_safe.parse::<Pin>(),
            Err(PinError::InvalidBase64 { .. })
        ));
        let short = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert_eq!(
            short.parse::<Pin>(),
            Err(PinError::WrongLength {
                input: short.into(),
                length: 20
            })
        );
    }

    #[test]
    fn rejects_unknown_forms_quoting_the_input() {
        for text in [
            "sha257/AAAA",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            &"ab".repeat(33),
            &format!(" sha256/{ZEROS}"),
        ] {
            let err = text.parse::<Pin>().unwrap_err();
            assert_eq!(
                err,
                PinError::UnrecognizedFormat { input: quote(text) },
                "{text}"
            );
            assert!(err.to_string().contains(&quote(text)));
        }
        assert_eq!("".parse::<Pin>(), Err(PinError::Empty));
        assert_eq!(
            format!("pin-sha256={ZEROS}").parse::<Pin>(),
            Err(PinError::UnquotedHpkpPin {
                input: format!("pin-sha256={ZEROS}")
            })
        );
    }

    #[test]
    fn long_input_is_cut_in_messages() {
        let long = "x".repeat(500);
        let err = long.parse::<Pin>().unwrap_err();
        assert!(err.to_string().len() < 300);
    }

    #[test]
    fn parses_curl_lists() {
        let list = format!("sha256//{ZEROS}; sha256//{ZEROS}");
        assert_eq!(Pin::parse_list(&list).unwrap().len(), 2);
        assert_eq!(Pin::parse_list(" ; "), Err(PinError::Empty));
        assert!(matches!(
            Pin::parse_list(&format!("sha256//{ZEROS};bogus")),
            Err(PinError::UnrecognizedFormat { .. })
        ));
    }

    #[test]
    fn malformed_certificate_is_an_error() {
        let not_a_certificate = CertificateDer::from(vec![1, 2, 3]);
        assert_eq!(
            Pin::spki_of(&not_a_certificate),
            Err(PinError::MalformedCertificate)
        );
    }
}
