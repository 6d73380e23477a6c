//! Reading certificates from files: PEM (one certificate or a bundle), DER, or standard input.
//! Every certificate keeps where it was found, so later errors can point at it.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use rustls::pki_types::CertificateDer;

use crate::error::{InputError, Location, Problem};

/// The file name that means standard input.
pub(crate) const STDIN: &str = "-";

/// Larger files are refused rather than read: a bundle of every public root is under 1 MiB,
/// and keys and signed bundles are smaller still (a bundle's policy is bounded by
/// `config::MAX_POLICY_BYTES`).
pub(crate) const SIZE_LIMIT: usize = 16 * 1024 * 1024;

/// Certificates read from one input.
#[derive(Debug)]
pub(crate) struct LoadedFile {
    /// The name to show: the path as given, or `<stdin>`.
    pub(crate) name: String,
    pub(crate) format: Format,
    /// In file order; never empty.
    pub(crate) certificates: Vec<LoadedCertificate>,
    /// PEM blocks of other types (keys, CSRs...), which are not certificates.
    pub(crate) skipped: Vec<SkippedBlock>,
}

/// The encoding of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    Pem,
    Der,
}

/// One certificate and where it was found.
#[derive(Debug)]
pub(crate) struct LoadedCertificate {
    pub(crate) der: CertificateDer<'static>,
    pub(crate) location: Location,
}

/// A PEM block that is not a certificate.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SkippedBlock {
    pub(crate) label: String,
    pub(crate) location: Location,
}

/// The name a path is shown with: `<stdin>` for `-`.
pub(crate) fn display_name(path: &Path) -> String {
    if path.as_os_str() == STDIN {
        String::from("<stdin>")
    } else {
        path.display().to_string()
    }
}

/// Reads and decodes `path` (`-` for standard input).
///
/// The certificates are decoded, not validated: use [`crate::describe`] to parse them.
pub(crate) fn load(path: &Path) -> Result<LoadedFile, InputError> {
    let name = display_name(path);
    let bytes =
        read_limited(path, SIZE_LIMIT).map_err(|problem| InputError::new(&name, None, problem))?;
    decode(&name, &bytes)
}

/// Reads `path` (`-` for standard input), refusing more than `limit` bytes: a file that says
/// it is larger is not read at all, and no more than one byte past the limit is read from
/// anything else.
pub(crate) fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, Problem> {
    let too_large = |size| Problem::TooLarge { size, limit };
    let mut bytes = Vec::new();
    // One byte over the limit tells "too large" from "exactly at the limit".
    let most = limit as u64 + 1;
    if path.as_os_str() == STDIN {
        io::stdin()
            .lock()
            .take(most)
            .read_to_end(&mut bytes)
            .map_err(Problem::Read)?;
    } else {
        let file = File::open(path).map_err(Problem::Read)?;
        let declared = file.metadata().map_err(Problem::Read)?.len();
        if declared > limit as u64 {
            return Err(too_large(declared));
        }
        file.take(most)
            .read_to_end(&mut bytes)
            .map_err(Problem::Read)?;
    }
    if bytes.len() > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Decodes the contents of a file named `name`: PEM if it has a PEM BEGIN or END marker,
/// otherwise DER.
pub(crate) fn decode(name: &str, bytes: &[u8]) -> Result<LoadedFile, InputError> {
    let error = |location, problem| InputError::new(name, location, problem);
    let Some(&first) = bytes.first() else {
        return Err(error(None, Problem::Empty));
    };
    if contains(bytes, b"-----BEGIN ") || contains(bytes, b"-----END ") {
        let (certificates, skipped) = decode_pem(name, bytes)?;
        if certificates.is_empty() {
            if skipped.is_empty() {
                return Err(error(None, Problem::NoPemBlock));
            }
            let labels = skipped
                .iter()
                .map(|block| block.label.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(error(None, Problem::NoCertificateBlock { labels }));
        }
        return Ok(LoadedFile {
            name: name.to_owned(),
            format: Format::Pem,
            certificates,
            skipped,
        });
    }
    if first != 0x30 {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(error(None, Problem::Empty));
        }
        return Err(error(
            Some(Location::Byte(0)),
            Problem::UnknownFormat { first },
        ));
    }
    let der = decode_der(bytes)
        .map_err(|(offset, problem)| error(Some(Location::Byte(offset)), problem))?;
    Ok(LoadedFile {
        name: name.to_owned(),
        format: Format::Der,
        certificates: vec![LoadedCertificate {
            der: CertificateDer::from(der.to_vec()),
            location: Location::Byte(0),
        }],
        skipped: Vec::new(),
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Checks the outer DER header of a single certificate: its declared length must be exactly
/// the file. The contents are parsed later.
fn decode_der(bytes: &[u8]) -> Result<&[u8], (usize, Problem)> {
    let declared = der_length(bytes).ok_or((
        0,
        Problem::NotACertificate {
            reason: String::from("the DER header of the outer SEQUENCE is malformed"),
        },
    ))?;
    match declared.cmp(&bytes.len()) {
        core::cmp::Ordering::Greater => Err((
            0,
            Problem::DerTruncated {
                declared,
                available: bytes.len(),
            },
        )),
        core::cmp::Ordering::Less => Err((
            declared,
            Problem::DerTrailingData {
                count: bytes.len() - declared,
            },
        )),
        core::cmp::Ordering::Equal => Ok(bytes),
    }
}

/// The total length (header included) a DER element declares, `None` if its header is
/// malformed or uses the indefinite form DER forbids.
fn der_length(bytes: &[u8]) -> Option<usize> {
    let first_length = *bytes.get(1)?;
    if first_length < 0x80 {
        return Some(2 + usize::from(first_length));
    }
    let octets = usize::from(first_length & 0x7f);
    if octets == 0 || octets > 4 {
        return None;
    }
    let length = bytes
        .get(2..2 + octets)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    length.checked_add(2 + octets)
}

/// A PEM block being read.
struct OpenBlock {
    label: String,
    location: Location,
    body: String,
}

/// Splits PEM text into its blocks. Text outside blocks (such as `openssl x509 -text` output)
/// is ignored, as openssl does.
fn decode_pem(
    name: &str,
    bytes: &[u8],
) -> Result<(Vec<LoadedCertificate>, Vec<SkippedBlock>), InputError> {
    let error = |location, problem| InputError::new(name, Some(location), problem);
    let mut certificates = Vec::new();
    let mut skipped = Vec::new();
    let mut open: Option<OpenBlock> = None;
    let mut blocks = 0;
    for (index, raw_line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_number = index + 1;
        let line = raw_line.trim_ascii();
        if let Some(label) = marker(line, b"-----BEGIN ") {
            if let Some(block) = open {
                return Err(error(
                    block.location,
                    Problem::PemUnterminated { label: block.label },
                ));
            }
            blocks += 1;
            open = Some(OpenBlock {
                label,
                location: Location::PemBlock {
                    index: blocks,
                    line: line_number,
                },
                body: String::new(),
            });
        } else if let Some(label) = marker(line, b"-----END ") {
            let Some(block) = open.take() else {
                return Err(error(
                    Location::Line(line_number),
                    Problem::PemStrayEnd { label },
                ));
            };
            if block.label != label {
                return Err(error(
                    block.location,
                    Problem::PemMismatchedEnd {
                        expected: block.label,
                        found: label,
                    },
                ));
            }
            if is_certificate_label(&block.label) {
                let der = PEM_BASE64.decode(&block.body).map_err(|e| {
                    error(
                        block.location,
                        Problem::PemBase64 {
                            reason: e.to_string(),
                        },
                    )
                })?;
                certificates.push(LoadedCertificate {
                    der: CertificateDer::from(der),
                    location: block.location,
                });
            } else {
                skipped.push(SkippedBlock {
                    label: block.label,
                    location: block.location,
                });
            }
        } else if let Some(block) = open.as_mut() {
            if !is_certificate_label(&block.label) {
                continue;
            }
            let text = core::str::from_utf8(line)
                .ok()
                .filter(|text| text.bytes().all(is_base64_byte))
                .ok_or_else(|| {
                    error(block.location, Problem::PemNotBase64 { line: line_number })
                })?;
            block.body.push_str(text);
        }
    }
    if let Some(block) = open {
        return Err(error(
            block.location,
            Problem::PemUnterminated { label: block.label },
        ));
    }
    Ok((certificates, skipped))
}

/// Standard base64, tolerant of missing padding and of non-zero trailing bits, as openssl is.
const PEM_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn is_base64_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=')
}

fn is_certificate_label(label: &str) -> bool {
    // RFC 7468 section 5.1, and the older name some tools still write.
    matches!(label, "CERTIFICATE" | "X509 CERTIFICATE")
}

/// The label of a `-----BEGIN LABEL-----` or `-----END LABEL-----` line.
fn marker(line: &[u8], prefix: &[u8]) -> Option<String> {
    let label = line.strip_prefix(prefix)?.strip_suffix(b"-----")?;
    Some(String::from_utf8_lossy(label).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(bytes: &[u8]) -> (Option<Location>, Problem) {
        let error = decode("f", bytes).unwrap_err();
        (error.location, error.problem)
    }

    #[test]
    fn empty_and_blank_files() {
        assert!(matches!(problem(b""), (None, Problem::Empty)));
        assert!(matches!(problem(b" \n\r\n"), (None, Problem::Empty)));
    }

    #[test]
    fn garbage_is_neither_pem_nor_der() {
        assert!(matches!(
            problem(b"hello"),
            (
                Some(Location::Byte(0)),
                Problem::UnknownFormat { first: b'h' }
            )
        ));
    }

    #[test]
    fn pem_blocks_are_numbered_with_their_lines() {
        let text = b"junk\n-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n\
                     -----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n\
                     -----BEGIN CERTIFICATE-----\r\nMAE\r\nA\r\n-----END CERTIFICATE-----\r\n";
        let file = decode("f", text).unwrap();
        assert_eq!(file.format, Format::Pem);
        assert_eq!(file.certificates.len(), 2);
        assert_eq!(file.certificates[0].der.as_ref(), &[0x30, 0x00]);
        assert_eq!(
            file.certificates[0].location,
            Location::PemBlock { index: 1, line: 2 }
        );
        assert_eq!(file.certificates[1].der.as_ref(), &[0x30, 0x01, 0x00]);
        assert_eq!(
            file.certificates[1].location,
            Location::PemBlock { index: 3, line: 8 }
        );
        assert_eq!(
            file.skipped,
            vec![SkippedBlock {
                label: String::from("PRIVATE KEY"),
                location: Location::PemBlock { index: 2, line: 5 }
            }]
        );
    }

    #[test]
    fn malformed_pem_points_at_the_block() {
        let unterminated = b"-----BEGIN CERTIFICATE-----\nMAA=\n";
        assert!(matches!(
            problem(unterminated),
            (
                Some(Location::PemBlock { index: 1, line: 1 }),
                Problem::PemUnterminated { .. }
            )
        ));
        let bad_line = b"-----BEGIN CERTIFICATE-----\nMAA=\nM*A=\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            problem(bad_line),
            (
                Some(Location::PemBlock { index: 1, line: 1 }),
                Problem::PemNotBase64 { line: 3 }
            )
        ));
        let stray = b"x\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            problem(stray),
            (Some(Location::Line(2)), Problem::PemStrayEnd { .. })
        ));
        let mismatched = b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            problem(mismatched),
            (
                Some(Location::PemBlock { .. }),
                Problem::PemMismatchedEnd { .. }
            )
        ));
        let bad_base64 = b"-----BEGIN CERTIFICATE-----\nMA=A\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            problem(bad_base64),
            (Some(_), Problem::PemBase64 { .. })
        ));
        let only_key = b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            problem(only_key),
            (None, Problem::NoCertificateBlock { labels }) if labels == "PRIVATE KEY"
        ));
    }

    #[test]
    fn der_length_must_be_the_file() {
        assert_eq!(decode("f", &[0x30, 0x00]).unwrap().format, Format::Der);
        assert!(matches!(
            problem(&[0x30, 0x82, 0x01, 0x00, 0x00]),
            (
                Some(Location::Byte(0)),
                Problem::DerTruncated {
                    declared: 260,
                    available: 5
                }
            )
        ));
        assert!(matches!(
            problem(&[0x30, 0x00, 0xff]),
            (
                Some(Location::Byte(2)),
                Problem::DerTrailingData { count: 1 }
            )
        ));
        assert!(matches!(
            problem(&[0x30, 0x80]),
            (Some(Location::Byte(0)), Problem::NotACertificate { .. })
        ));
        assert!(matches!(
            problem(&[0x30]),
            (Some(Location::Byte(0)), Problem::NotACertificate { .. })
        ));
    }
}
