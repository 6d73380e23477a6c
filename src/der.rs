//! A minimal, allocation-free DER reader for the few certificate fields pinning needs.
//!
//! webpki parses certificates but keeps the fields we hash (the SubjectPublicKeyInfo with its
//! SEQUENCE header) private, and its public accessor allocates. Hashing on the hot path must
//! not allocate, so the leaf and intermediate SPKIs are located here, directly in the DER.
//!
//! Certificates are untrusted input, so nothing here recurses: every walk is a loop that
//! consumes at least one element header (two bytes) per step, so its work is bounded by the
//! input's length whatever its nesting, and `tests/suite/parser_limits.rs` feeds 50 000 nested
//! SEQUENCEs on a small stack.

use pki_types::UnixTime;

use crate::date::Date;

const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
const TAG_INTEGER: u8 = 0x02;
const TAG_OID: u8 = 0x06;
const TAG_UTC_TIME: u8 = 0x17;
const TAG_GENERALIZED_TIME: u8 = 0x18;
const TAG_EXPLICIT_VERSION: u8 = 0xa0;

/// One DER element: its tag, its whole encoding (header included) and its contents.
#[derive(Clone, Copy)]
struct Element<'a> {
    tag: u8,
    encoded: &'a [u8],
    contents: &'a [u8],
}

/// Splits the first element off `input`. Only definite lengths of up to four octets are
/// accepted, which covers every certificate webpki accepts.
fn split_element(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first_len, rest) = rest.split_first()?;
    let (len, rest) = if first_len < 0x80 {
        (usize::from(first_len), rest)
    } else {
        let octets = usize::from(first_len & 0x7f);
        if octets == 0 || octets > 4 || rest.len() < octets {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(octets);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let header_len = input.len() - rest.len();
    let encoded = input.get(..header_len + len)?;
    let (contents, remaining) = rest.split_at(len);
    Some((
        Element {
            tag,
            encoded,
            contents,
        },
        remaining,
    ))
}

fn expect_element(input: &[u8], tag: u8) -> Option<(Element<'_>, &[u8])> {
    let (element, rest) = split_element(input)?;
    (element.tag == tag).then_some((element, rest))
}

/// The algorithm identifier (its contents, as `pki_types::AlgorithmIdentifier` holds them)
/// and the key bytes (the BIT STRING without its unused-bits octet) of a
/// SubjectPublicKeyInfo.
#[cfg_attr(not(feature = "dynamic"), allow(dead_code))]
pub(crate) fn spki_parts(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    const TAG_BIT_STRING: u8 = 0x03;
    let (outer, rest) = expect_element(spki, TAG_SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    let (algorithm, rest) = expect_element(outer.contents, TAG_SEQUENCE)?;
    let (key, rest) = expect_element(rest, TAG_BIT_STRING)?;
    if !rest.is_empty() {
        return None;
    }
    let (&unused_bits, key_bytes) = key.contents.split_first()?;
    (unused_bits == 0).then_some((algorithm.contents, key_bytes))
}

/// The tag, header length and contents length of the element `input` starts with, without
/// checking that the contents are all there. Same length rules as [`split_element`].
#[inline]
fn header(input: &[u8]) -> Option<(u8, usize, usize)> {
    let (&tag, rest) = input.split_first()?;
    let (&first_len, rest) = rest.split_first()?;
    if first_len < 0x80 {
        return Some((tag, 2, usize::from(first_len)));
    }
    let octets = usize::from(first_len & 0x7f);
    if octets == 0 || octets > 4 {
        return None;
    }
    let len = rest
        .get(..octets)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some((tag, 2 + octets, len))
}

/// The contents of the `tag` element `input` starts with.
#[inline]
fn contents_of(input: &[u8], tag: u8) -> Option<&[u8]> {
    let (found, header_len, len) = header(input)?;
    (found == tag).then_some(())?;
    input.get(header_len..header_len.checked_add(len)?)
}

/// What follows the `tag` element `input` starts with.
#[inline]
fn skip(input: &[u8], tag: u8) -> Option<&[u8]> {
    let (found, header_len, len) = header(input)?;
    (found == tag).then_some(())?;
    input.get(header_len.checked_add(len)?..)
}

/// The SubjectPublicKeyInfo of `der`, an X.509 certificate, including its SEQUENCE header:
/// exactly the bytes an SPKI pin hashes. The same bytes as [`certificate_fields`] finds, by
/// the shortest walk: the pin check's hot path runs it on every certificate it hashes.
pub(crate) fn certificate_spki(der: &[u8]) -> Option<&[u8]> {
    let certificate = contents_of(der, TAG_SEQUENCE)?;
    let mut tbs = contents_of(certificate, TAG_SEQUENCE)?;
    if tbs.first() == Some(&TAG_EXPLICIT_VERSION) {
        tbs = skip(tbs, TAG_EXPLICIT_VERSION)?;
    }
    // serial, signature algorithm, issuer, validity, subject
    for tag in [
        TAG_INTEGER,
        TAG_SEQUENCE,
        TAG_SEQUENCE,
        TAG_SEQUENCE,
        TAG_SEQUENCE,
    ] {
        tbs = skip(tbs, tag)?;
    }
    let (tag, header_len, len) = header(tbs)?;
    (tag == TAG_SEQUENCE).then_some(())?;
    tbs.get(..header_len.checked_add(len)?)
}

/// The SubjectPublicKeyInfo (with its SEQUENCE header) of a certificate webpki parsed, given
/// its DER and the subject webpki found in it: in a TBSCertificate the SPKI comes right after
/// the subject, so it is one header away. `None` if `subject` is not a slice of `der` or no
/// SEQUENCE follows it (callers then fall back to [`certificate_spki`]).
pub(crate) fn spki_after_subject<'a>(der: &'a [u8], subject: &[u8]) -> Option<&'a [u8]> {
    let start = (subject.as_ptr() as usize).checked_sub(der.as_ptr() as usize)?;
    let rest = der.get(start.checked_add(subject.len())?..)?;
    let (tag, header_len, len) = header(rest)?;
    (tag == TAG_SEQUENCE).then_some(())?;
    let spki = rest.get(..header_len.checked_add(len)?)?;
    debug_assert_eq!(Some(spki), certificate_spki(der));
    Some(spki)
}

/// The fields of an X.509 certificate that pinning and its messages use, borrowed from the DER.
#[derive(Clone, Copy)]
pub(crate) struct CertificateFields<'a> {
    /// The issuer Name, contents only (no SEQUENCE header).
    pub(crate) issuer: &'a [u8],
    /// The subject Name, contents only (no SEQUENCE header), as webpki stores names.
    pub(crate) subject: &'a [u8],
    /// The SubjectPublicKeyInfo including its SEQUENCE header: exactly the bytes an SPKI pin
    /// hashes.
    pub(crate) spki: &'a [u8],
    pub(crate) not_before: &'a [u8],
    pub(crate) not_before_tag: u8,
    pub(crate) not_after: &'a [u8],
    pub(crate) not_after_tag: u8,
}

/// Locates the fields of `der`, an X.509 certificate; `None` if it is not one.
pub(crate) fn certificate_fields(der: &[u8]) -> Option<CertificateFields<'_>> {
    let (certificate, _) = expect_element(der, TAG_SEQUENCE)?;
    let (tbs, _) = expect_element(certificate.contents, TAG_SEQUENCE)?;
    let mut rest = tbs.contents;
    if rest.first() == Some(&TAG_EXPLICIT_VERSION) {
        rest = split_element(rest)?.1;
    }
    let (_serial, rest) = expect_element(rest, TAG_INTEGER)?;
    let (_signature, rest) = expect_element(rest, TAG_SEQUENCE)?;
    let (issuer, rest) = expect_element(rest, TAG_SEQUENCE)?;
    let (validity, rest) = expect_element(rest, TAG_SEQUENCE)?;
    let (subject, rest) = expect_element(rest, TAG_SEQUENCE)?;
    let (spki, _) = expect_element(rest, TAG_SEQUENCE)?;
    let (not_before, after) = split_element(validity.contents)?;
    let (not_after, _) = split_element(after)?;
    Some(CertificateFields {
        issuer: issuer.contents,
        subject: subject.contents,
        spki: spki.encoded,
        not_before: not_before.contents,
        not_before_tag: not_before.tag,
        not_after: not_after.contents,
        not_after_tag: not_after.tag,
    })
}

impl CertificateFields<'_> {
    /// The validity period as unix times, `None` if either time is malformed.
    pub(crate) fn validity(&self) -> Option<(UnixTime, UnixTime)> {
        Some((
            parse_time(self.not_before_tag, self.not_before)?,
            parse_time(self.not_after_tag, self.not_after)?,
        ))
    }
}

const TAG_OCTET_STRING: u8 = 0x04;
const TAG_BOOLEAN: u8 = 0x01;
const TAG_EXPLICIT_EXTENSIONS: u8 = 0xa3;
const TAG_DNS_NAME: u8 = 0x82;
const TAG_URI: u8 = 0x86;
/// id-ce-subjectAltName, 2.5.29.17.
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// A subjectAltName entry that can name a client: the two kinds client pins are keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AltName<'a> {
    /// A dNSName, as the certificate spells it.
    Dns(&'a [u8]),
    /// A uniformResourceIdentifier, such as a SPIFFE ID.
    Uri(&'a [u8]),
}

/// The DNS and URI subjectAltNames of `der`, an X.509 certificate, in certificate order. A
/// certificate without the extension, or one this reader cannot follow, has none.
pub(crate) fn alt_names(der: &[u8]) -> impl Iterator<Item = AltName<'_>> + Clone {
    let mut names = alt_name_sequence(der).unwrap_or(&[]);
    core::iter::from_fn(move || loop {
        let (element, rest) = split_element(names)?;
        names = rest;
        match element.tag {
            TAG_DNS_NAME => return Some(AltName::Dns(element.contents)),
            TAG_URI => return Some(AltName::Uri(element.contents)),
            _ => {}
        }
    })
}

/// The contents of the subjectAltName extension's GeneralNames SEQUENCE.
fn alt_name_sequence(der: &[u8]) -> Option<&[u8]> {
    let (certificate, _) = expect_element(der, TAG_SEQUENCE)?;
    let (tbs, _) = expect_element(certificate.contents, TAG_SEQUENCE)?;
    let mut rest = tbs.contents;
    // Skip everything up to the optional [3] extensions: version, serial, signature, issuer,
    // validity, subject, SPKI and the optional unique identifiers.
    let extensions = loop {
        let (element, remaining) = split_element(rest)?;
        if element.tag == TAG_EXPLICIT_EXTENSIONS {
            break element;
        }
        rest = remaining;
    };
    let (extensions, _) = expect_element(extensions.contents, TAG_SEQUENCE)?;
    let mut rest = extensions.contents;
    while !rest.is_empty() {
        let (extension, remaining) = expect_element(rest, TAG_SEQUENCE)?;
        rest = remaining;
        let (oid, mut fields) = expect_element(extension.contents, TAG_OID)?;
        if oid.contents != OID_SUBJECT_ALT_NAME {
            continue;
        }
        if fields.first() == Some(&TAG_BOOLEAN) {
            fields = split_element(fields)?.1;
        }
        let (value, _) = expect_element(fields, TAG_OCTET_STRING)?;
        let (names, _) = expect_element(value.contents, TAG_SEQUENCE)?;
        return Some(names.contents);
    }
    None
}

/// The DER header of a SEQUENCE holding `len` bytes, for re-wrapping a trust anchor's SPKI
/// (webpki stores it without its header).
pub(crate) fn sequence_header(len: usize) -> ([u8; 6], usize) {
    let mut header = [TAG_SEQUENCE, 0, 0, 0, 0, 0];
    let len_bytes = (len as u64).to_be_bytes();
    if len < 0x80 {
        header[1] = len_bytes[7];
        return (header, 2);
    }
    let significant = len_bytes.iter().skip_while(|&&b| b == 0).count().min(4);
    header[1] = 0x80 | significant as u8;
    header[2..2 + significant].copy_from_slice(&len_bytes[8 - significant..]);
    (header, 2 + significant)
}

fn two_digits(bytes: &[u8]) -> Option<u32> {
    match bytes {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some(u32::from(a - b'0') * 10 + u32::from(b - b'0')),
        _ => None,
    }
}

/// Parses an X.509 UTCTime or GeneralizedTime in the `Z` form RFC 5280 requires.
fn parse_time(tag: u8, value: &[u8]) -> Option<UnixTime> {
    let (year, rest) = match tag {
        TAG_UTC_TIME if value.len() == 13 => {
            let yy = two_digits(value.get(0..2)?)?;
            // RFC 5280 section 4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &value[2..])
        }
        TAG_GENERALIZED_TIME if value.len() == 15 => {
            let century = two_digits(value.get(0..2)?)?;
            let yy = two_digits(value.get(2..4)?)?;
            (century * 100 + yy, &value[4..])
        }
        _ => return None,
    };
    if rest.get(10) != Some(&b'Z') {
        return None;
    }
    let month = two_digits(rest.get(0..2)?)?;
    let day = two_digits(rest.get(2..4)?)?;
    let hour = two_digits(rest.get(4..6)?)?;
    let minute = two_digits(rest.get(6..8)?)?;
    let second = two_digits(rest.get(8..10)?)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let day_start = if year < 1970 {
        // Before the epoch: only ever seen in notBefore, where "long ago" is all that matters.
        return Some(UnixTime::since_unix_epoch(core::time::Duration::ZERO));
    } else {
        Date::new(year, u8::try_from(month).ok()?, u8::try_from(day).ok()?).ok()?
    };
    let secs = day_start.to_unix_time().as_secs()
        + u64::from(hour) * 3600
        + u64::from(minute) * 60
        + u64::from(second);
    Some(UnixTime::since_unix_epoch(core::time::Duration::from_secs(
        secs,
    )))
}

/// Short names for the attribute types seen in practice (RFC 4514 and common extensions).
fn attribute_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x05] => "serialNumber",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x09] => "STREET",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID",
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress",
        _ => return None,
    })
}

fn write_oid(out: &mut String, oid: &[u8]) {
    use core::fmt::Write;
    let mut arcs = oid.iter();
    let mut value: u64 = 0;
    let mut first = true;
    for &byte in arcs.by_ref() {
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            if first {
                let (a, b) = if value < 80 {
                    (value / 40, value % 40)
                } else {
                    (2, value - 80)
                };
                let _ = write!(out, "{a}.{b}");
                first = false;
            } else {
                let _ = write!(out, ".{value}");
            }
            value = 0;
        }
    }
}

/// Renders a Name (contents of its SEQUENCE) in RFC 4514 order, most specific first, e.g.
/// `CN=api.example.com, O=Example`. Values that are not strings are shown as `#hex`.
pub(crate) fn format_name(name: &[u8]) -> String {
    let mut rdns = Vec::new();
    let mut rest = name;
    while let Some((rdn, after)) = split_element(rest) {
        rest = after;
        if rdn.tag != TAG_SET {
            continue;
        }
        let mut parts = Vec::new();
        let mut attributes = rdn.contents;
        while let Some((attribute, after)) = split_element(attributes) {
            attributes = after;
            if let Some(text) = format_attribute(attribute.contents) {
                parts.push(text);
            }
        }
        if !parts.is_empty() {
            rdns.push(parts.join("+"));
        }
    }
    rdns.reverse();
    if rdns.is_empty() {
        return String::from("(empty subject)");
    }
    rdns.join(", ")
}

fn format_attribute(attribute: &[u8]) -> Option<String> {
    let (oid, rest) = expect_element(attribute, TAG_OID)?;
    let (value, _) = split_element(rest)?;
    let mut out = String::new();
    match attribute_name(oid.contents) {
        Some(name) => out.push_str(name),
        None => write_oid(&mut out, oid.contents),
    }
    out.push('=');
    // UTF8String, PrintableString, TeletexString, IA5String, BMPString is rare and shown as hex.
    let text = match value.tag {
        0x0c | 0x13 | 0x14 | 0x16 => core::str::from_utf8(value.contents).ok(),
        _ => None,
    };
    match text {
        Some(text) => {
            for ch in text.chars() {
                if matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';') {
                    out.push('\\');
                }
                if ch.is_control() {
                    out.push('?');
                } else {
                    out.push(ch);
                }
            }
        }
        None => {
            out.push('#');
            for byte in value.encoded {
                out.push_str(&format!("{byte:02x}"));
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alt_names_reads_dns_and_uri_names_in_order() {
        let mut params = rcgen::CertificateParams::new(vec!["a.example".to_owned()]).unwrap();
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress([127, 0, 0, 1].into()));
        params.subject_alt_names.push(rcgen::SanType::URI(
            "spiffe://td/workload".try_into().unwrap(),
        ));
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let names: Vec<_> = alt_names(cert.der()).collect();
        assert_eq!(
            names,
            [
                AltName::Dns(b"a.example"),
                AltName::Uri(b"spiffe://td/workload")
            ]
        );

        let bare = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        let cert = bare.self_signed(&key).unwrap();
        assert_eq!(alt_names(cert.der()).count(), 0);
        assert_eq!(alt_names(&[]).count(), 0);
        assert_eq!(alt_names(&cert.der()[..40]).count(), 0);
    }

    #[test]
    fn sequence_header_matches_der_length_forms() {
        assert_eq!(sequence_header(0x10), ([0x30, 0x10, 0, 0, 0, 0], 2));
        assert_eq!(sequence_header(0x7f), ([0x30, 0x7f, 0, 0, 0, 0], 2));
        assert_eq!(sequence_header(0x80), ([0x30, 0x81, 0x80, 0, 0, 0], 3));
        assert_eq!(sequence_header(0x122), ([0x30, 0x82, 0x01, 0x22, 0, 0], 4));
        assert_eq!(
            sequence_header(0x01_0000),
            ([0x30, 0x83, 0x01, 0x00, 0x00, 0], 5)
        );
    }

    #[test]
    fn split_element_rejects_truncated_and_indefinite_lengths() {
        assert!(split_element(&[0x30]).is_none());
        assert!(split_element(&[0x30, 0x05, 0x00]).is_none());
        assert!(split_element(&[0x30, 0x80]).is_none());
        assert!(split_element(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        let (element, rest) = split_element(&[0x02, 0x01, 0x07, 0xff]).unwrap();
        assert_eq!(element.tag, 0x02);
        assert_eq!(element.contents, &[0x07]);
        assert_eq!(element.encoded, &[0x02, 0x01, 0x07]);
        assert_eq!(rest, &[0xff]);
    }

    #[test]
    fn parses_utc_and_generalized_times() {
        let utc = parse_time(TAG_UTC_TIME, b"240229123456Z").unwrap();
        assert_eq!(utc.as_secs(), 1_709_210_096);
        let generalized = parse_time(TAG_GENERALIZED_TIME, b"20500101000000Z").unwrap();
        assert_eq!(generalized.as_secs(), 2_524_608_000);
        let nineteen = parse_time(TAG_UTC_TIME, b"991231235959Z").unwrap();
        assert_eq!(nineteen.as_secs(), 946_684_799);
        assert!(parse_time(TAG_UTC_TIME, b"240229123456+0100").is_none());
        assert!(parse_time(TAG_UTC_TIME, b"240230123456Z").is_none());
        assert!(parse_time(TAG_UTC_TIME, b"240229253456Z").is_none());
        assert!(parse_time(TAG_GENERALIZED_TIME, b"240229123456Z").is_none());
    }

    #[test]
    fn formats_names_most_specific_first_and_escapes() {
        // SEQUENCE OF SET { O = "Example, Inc" } SET { CN = "api" }
        let name: Vec<u8> = [
            &[
                0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0c,
            ][..],
            b"Example, Inc",
            &[
                0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x03,
            ],
            b"api",
        ]
        .concat();
        assert_eq!(format_name(&name), "CN=api, O=Example\\, Inc");
        assert_eq!(format_name(&[]), "(empty subject)");
    }

    #[test]
    fn unknown_attribute_types_show_their_oid() {
        let mut out = String::new();
        write_oid(&mut out, &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37]);
        assert_eq!(out, "1.3.6.1.4.1.311");
    }

    #[test]
    fn rejects_non_certificates() {
        assert!(certificate_fields(b"").is_none());
        assert!(certificate_fields(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_none());
        assert!(certificate_spki(b"").is_none());
        assert!(certificate_spki(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_none());
    }

    /// A certificate-shaped DER: the fields before the SPKI are arbitrary, which is all the
    /// walk looks at.
    fn certificate(version: bool, spki: &[u8], truncate: usize) -> Vec<u8> {
        fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
            let (mut header, len) = sequence_header(contents.len());
            header[0] = tag;
            [&header[..len], contents].concat()
        }
        let mut tbs = Vec::new();
        if version {
            tbs.extend(element(TAG_EXPLICIT_VERSION, &element(TAG_INTEGER, &[2])));
        }
        tbs.extend(element(TAG_INTEGER, &[0x01, 0x02]));
        tbs.extend(element(TAG_SEQUENCE, &element(TAG_OID, &[0x2a])));
        tbs.extend(element(TAG_SEQUENCE, &[]));
        tbs.extend(element(
            TAG_SEQUENCE,
            &[
                element(TAG_UTC_TIME, b"240229123456Z"),
                element(TAG_UTC_TIME, b"340229123456Z"),
            ]
            .concat(),
        ));
        tbs.extend(element(TAG_SEQUENCE, &[0u8; 200]));
        tbs.extend_from_slice(spki);
        tbs.truncate(tbs.len() - truncate);
        element(TAG_SEQUENCE, &element(TAG_SEQUENCE, &tbs))
    }

    #[test]
    fn spki_after_subject_needs_a_subject_inside_the_der() {
        let spki = [0x30, 0x01, 0xAB];
        let der = certificate(true, &spki, 0);
        let fields = certificate_fields(&der).unwrap();
        assert_eq!(spki_after_subject(&der, fields.subject), Some(&spki[..]));
        let elsewhere = fields.subject.to_vec();
        assert_eq!(spki_after_subject(&der, &elsewhere), None);
        assert_eq!(spki_after_subject(&der, &der[der.len()..]), None);
    }

    #[test]
    fn certificate_spki_finds_what_certificate_fields_finds() {
        let spki = [&[0x30, 0x81, 0x80][..], &[0xAB; 0x80]].concat();
        for version in [false, true] {
            let der = certificate(version, &spki, 0);
            assert_eq!(certificate_spki(&der), Some(&spki[..]));
            assert_eq!(certificate_fields(&der).unwrap().spki, &spki[..]);
        }
        let truncated = certificate(true, &spki, 1);
        assert!(certificate_spki(&truncated).is_none());
        assert!(certificate_fields(&truncated).is_none());
    }
}
