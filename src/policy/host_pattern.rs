//! Host patterns that select which pin-set entry applies to a server name.
//!
//! DNS names are compared in a normalised form: ASCII lower case, without a
//! trailing dot, with Unicode labels converted to punycode A-labels. Labels
//! may contain ASCII letters, digits, hyphens and underscores, the same
//! repertoire `rustls_pki_types::DnsName` accepts, so every name rustls can
//! connect to can also be pinned. Underscores are rare in certificates but do
//! occur (for example in some CDN and service-discovery names).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

const MAX_LABEL_OCTETS: usize = 63;
const MAX_NAME_OCTETS: usize = 253;

/// A host pattern selecting the servers a pin-set entry applies to.
///
/// Accepted forms:
///
/// * `api.example.com` matches exactly that name;
/// * `*.example.com` matches names with exactly one more label, such as
///   `a.example.com`, but neither `example.com` nor `a.b.example.com`;
/// * `**.example.com` matches `example.com` itself and any name below it;
/// * `192.0.2.1`, `::1` or `[::1]` match exactly that IP address.
///
/// Wildcards need a suffix of at least two labels and never combine with IP
/// addresses. Matching is case-insensitive, ignores one trailing dot and
/// treats Unicode names and their punycode form as equal.
///
/// ```
/// use rustls_pinning::HostPattern;
///
/// let pattern: HostPattern = "*.example.com".parse()?;
/// assert!(pattern.matches("api.example.com"));
/// assert!(!pattern.matches("example.com"));
/// assert!(!pattern.matches("a.b.example.com"));
/// # Ok::<(), rustls_pinning::HostPatternError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPattern {
    rule: Rule,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Rule {
    // Boxed rather than `String`: a pattern never grows, and a pin set may hold 100 000.
    Exact(Box<str>),
    Ip(IpAddr),
    OneLabel { suffix: Box<str> },
    AnyDepth { suffix: Box<str> },
}

/// The form of a [`HostPattern`].
///
/// ```
/// use rustls_pinning::{HostPattern, HostPatternKind};
///
/// let pattern: HostPattern = "**.example.com".parse()?;
/// assert_eq!(pattern.kind(), HostPatternKind::AnyDepthWildcard);
/// # Ok::<(), rustls_pinning::HostPatternError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostPatternKind {
    /// A single DNS name, such as `api.example.com`.
    Exact,
    /// A single IPv4 or IPv6 address.
    IpAddress,
    /// `*.suffix`: the suffix plus exactly one label.
    OneLabelWildcard,
    /// `**.suffix`: the suffix itself and any name below it.
    AnyDepthWildcard,
}

impl HostPattern {
    /// Whether `host` is covered by this pattern.
    ///
    /// `host` is normalised like a pattern: case, one trailing dot, Unicode
    /// versus punycode and IPv6 brackets make no difference. An IP-address
    /// host only matches an IP-address pattern, and a host that is neither a
    /// valid DNS name nor an IP address matches nothing.
    ///
    /// ```
    /// use rustls_pinning::HostPattern;
    ///
    /// let pattern: HostPattern = "**.example.com".parse()?;
    /// assert!(pattern.matches("example.com"));
    /// assert!(pattern.matches("A.B.Example.COM."));
    /// assert!(!pattern.matches("badexample.com"));
    /// # Ok::<(), rustls_pinning::HostPatternError>(())
    /// ```
    pub fn matches(&self, host: &str) -> bool {
        match canonical_host(host) {
            Some(CanonicalHost::Ip(ip)) => self.rule == Rule::Ip(ip),
            Some(CanonicalHost::Dns(name)) => self.matches_dns_name(&name),
            None => false,
        }
    }

    /// The form of this pattern.
    ///
    /// ```
    /// use rustls_pinning::{HostPattern, HostPatternKind};
    ///
    /// let pattern: HostPattern = "[::1]".parse()?;
    /// assert_eq!(pattern.kind(), HostPatternKind::IpAddress);
    /// # Ok::<(), rustls_pinning::HostPatternError>(())
    /// ```
    pub fn kind(&self) -> HostPatternKind {
        match self.rule {
            Rule::Exact(_) => HostPatternKind::Exact,
            Rule::Ip(_) => HostPatternKind::IpAddress,
            Rule::OneLabel { .. } => HostPatternKind::OneLabelWildcard,
            Rule::AnyDepth { .. } => HostPatternKind::AnyDepthWildcard,
        }
    }

    /// The normalised DNS name of an exact pattern.
    pub(crate) fn exact_name(&self) -> Option<&str> {
        match &self.rule {
            Rule::Exact(name) => Some(name),
            _ => None,
        }
    }

    /// The address of an IP-address pattern.
    pub(crate) fn ip(&self) -> Option<IpAddr> {
        match self.rule {
            Rule::Ip(address) => Some(address),
            _ => None,
        }
    }

    /// The normalised suffix (without `*.`) of a one-label wildcard.
    pub(crate) fn one_label_suffix(&self) -> Option<&str> {
        match &self.rule {
            Rule::OneLabel { suffix } => Some(suffix),
            _ => None,
        }
    }

    /// The normalised suffix (without `**.`) of an any-depth wildcard.
    pub(crate) fn any_depth_suffix(&self) -> Option<&str> {
        match &self.rule {
            Rule::AnyDepth { suffix } => Some(suffix),
            _ => None,
        }
    }

    /// `name` must already be normalised and valid.
    fn matches_dns_name(&self, name: &str) -> bool {
        match &self.rule {
            Rule::Exact(exact) => name == &**exact,
            Rule::Ip(_) => false,
            Rule::OneLabel { suffix } => {
                label_below(name, suffix).is_some_and(|prefix| !prefix.contains('.'))
            }
            Rule::AnyDepth { suffix } => name == &**suffix || label_below(name, suffix).is_some(),
        }
    }
}

/// The non-empty part of `name` before `.suffix`, if `name` lies strictly
/// below `suffix`. Requiring the dot prevents `badexample.com` from counting
/// as below `example.com`.
fn label_below<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    let prefix = name.strip_suffix(suffix)?.strip_suffix('.')?;
    (!prefix.is_empty()).then_some(prefix)
}

impl FromStr for HostPattern {
    type Err = HostPatternError;

    fn from_str(input: &str) -> Result<HostPattern, HostPatternError> {
        if input.is_empty() {
            return Err(HostPatternError::Empty);
        }
        if input.starts_with('[') {
            return parse_ip_literal(input)
                .map(|address| HostPattern {
                    rule: Rule::Ip(address),
                })
                .ok_or_else(|| HostPatternError::InvalidIpv6 {
                    input: input.to_owned(),
                });
        }
        if let Ok(address) = input.parse::<IpAddr>() {
            return Ok(HostPattern {
                rule: Rule::Ip(address),
            });
        }

        let (wildcard, name) = if let Some(rest) = input.strip_prefix("**.") {
            (Some(HostPatternKind::AnyDepthWildcard), rest)
        } else if let Some(rest) = input.strip_prefix("*.") {
            (Some(HostPatternKind::OneLabelWildcard), rest)
        } else {
            (None, input)
        };
        if name.contains('*') || (wildcard.is_some() && name.is_empty()) {
            return Err(HostPatternError::MisplacedWildcard {
                input: input.to_owned(),
            });
        }
        if wildcard.is_some() {
            let name_without_dot = name.strip_suffix('.').unwrap_or(name);
            if parse_ip_literal(name).is_some() || parse_ip_literal(name_without_dot).is_some() {
                return Err(HostPatternError::WildcardOnIpAddress {
                    input: input.to_owned(),
                });
            }
        }

        let name = normalize_dns_name(name)
            .map_err(|problem| problem.into_error(input))?
            .into_boxed_str();
        let rule = match wildcard {
            None => Rule::Exact(name),
            Some(_) if !name.contains('.') => {
                return Err(HostPatternError::WildcardSuffixTooShort {
                    input: input.to_owned(),
                })
            }
            Some(HostPatternKind::OneLabelWildcard) => Rule::OneLabel { suffix: name },
            Some(_) => Rule::AnyDepth { suffix: name },
        };
        Ok(HostPattern { rule })
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Rule::Exact(name) => f.write_str(name),
            Rule::Ip(address) => write!(f, "{address}"),
            Rule::OneLabel { suffix } => write!(f, "*.{suffix}"),
            Rule::AnyDepth { suffix } => write!(f, "**.{suffix}"),
        }
    }
}

/// Why a host pattern was rejected.
///
/// ```
/// use rustls_pinning::{HostPattern, HostPatternError};
///
/// let error = "*.com".parse::<HostPattern>().unwrap_err();
/// assert!(matches!(error, HostPatternError::WildcardSuffixTooShort { .. }));
/// assert!(error.to_string().contains("\"*.com\""));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostPatternError {
    /// The pattern is the empty string.
    #[error("invalid host pattern \"\": the pattern is empty")]
    Empty,
    /// A `*` appears somewhere other than as a whole leading `*.` or `**.`.
    #[error(
        "invalid host pattern \"{input}\": a wildcard must be a leading \"*.\" or \"**.\" followed by a domain"
    )]
    MisplacedWildcard {
        /// The rejected pattern.
        input: String,
    },
    /// The name contains an empty label, as in `a..b` or `.example.com`.
    #[error("invalid host pattern \"{input}\": empty label")]
    EmptyLabel {
        /// The rejected pattern.
        input: String,
    },
    /// A wildcard applies to a single-label suffix such as `*.com`.
    #[error("invalid host pattern \"{input}\": a wildcard needs a suffix of at least two labels")]
    WildcardSuffixTooShort {
        /// The rejected pattern.
        input: String,
    },
    /// A wildcard applies to an IP address, as in `*.192.0.2.1`.
    #[error("invalid host pattern \"{input}\": wildcards cannot be combined with IP addresses")]
    WildcardOnIpAddress {
        /// The rejected pattern.
        input: String,
    },
    /// A label is longer than 63 octets (after punycode conversion).
    #[error("invalid host pattern \"{input}\": a label is longer than 63 octets")]
    LabelTooLong {
        /// The rejected pattern.
        input: String,
    },
    /// The name is longer than 253 octets (after punycode conversion).
    #[error("invalid host pattern \"{input}\": the name is longer than 253 octets")]
    NameTooLong {
        /// The rejected pattern.
        input: String,
    },
    /// A label starts or ends with a hyphen.
    #[error("invalid host pattern \"{input}\": a label starts or ends with '-'")]
    HyphenAtLabelEdge {
        /// The rejected pattern.
        input: String,
    },
    /// The pattern contains a character not allowed in a DNS name; only
    /// letters, digits, `-`, `_` and `.` are (plus a leading wildcard).
    #[error("invalid host pattern \"{input}\": character {character:?} is not allowed")]
    InvalidCharacter {
        /// The rejected pattern.
        input: String,
        /// The first offending character.
        character: char,
    },
    /// The last label is a number, which is reserved for IPv4 addresses
    /// (`1.2.3` and `example.0x10` are not DNS names).
    #[error("invalid host pattern \"{input}\": the last label is numeric")]
    NumericLastLabel {
        /// The rejected pattern.
        input: String,
    },
    /// An internationalised name could not be converted to punycode.
    #[error("invalid host pattern \"{input}\": not a valid internationalised domain name")]
    InvalidIdn {
        /// The rejected pattern.
        input: String,
    },
    /// A bracketed pattern is not an IPv6 address.
    #[error("invalid host pattern \"{input}\": brackets must enclose an IPv6 address")]
    InvalidIpv6 {
        /// The rejected pattern.
        input: String,
    },
}

/// A problem with a DNS name, before it is known which input to quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameProblem {
    EmptyLabel,
    LabelTooLong,
    NameTooLong,
    HyphenAtLabelEdge,
    InvalidCharacter(char),
    NumericLastLabel,
    InvalidIdn,
}

impl NameProblem {
    fn into_error(self, input: &str) -> HostPatternError {
        let input = input.to_owned();
        match self {
            NameProblem::EmptyLabel => HostPatternError::EmptyLabel { input },
            NameProblem::LabelTooLong => HostPatternError::LabelTooLong { input },
            NameProblem::NameTooLong => HostPatternError::NameTooLong { input },
            NameProblem::HyphenAtLabelEdge => HostPatternError::HyphenAtLabelEdge { input },
            NameProblem::InvalidCharacter(character) => {
                HostPatternError::InvalidCharacter { input, character }
            }
            NameProblem::NumericLastLabel => HostPatternError::NumericLastLabel { input },
            NameProblem::InvalidIdn => HostPatternError::InvalidIdn { input },
        }
    }
}

/// An IP address written as `192.0.2.1`, `::1` or `[::1]`.
fn parse_ip_literal(text: &str) -> Option<IpAddr> {
    match text.strip_prefix('[') {
        Some(rest) => rest
            .strip_suffix(']')?
            .parse::<Ipv6Addr>()
            .ok()
            .map(IpAddr::V6),
        None => text.parse().ok(),
    }
}

/// Lower-cases an ASCII host name into `buf`, dropping one trailing dot,
/// without allocating; a name already in lower case is returned as it is.
///
/// Returns `None` for empty, non-ASCII or over-long (more than 253 octets
/// without the trailing dot) input. The characters and labels are not
/// checked: this serves names rustls has already validated.
pub(crate) fn normalize_host_into<'b>(host: &'b str, buf: &'b mut [u8; 256]) -> Option<&'b str> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.len() > MAX_NAME_OCTETS || !host.is_ascii() {
        return None;
    }
    // Names are usually lower case already: then there is nothing to copy.
    if !host.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return Some(host);
    }
    let normalized = &mut buf[..host.len()];
    normalized.copy_from_slice(host.as_bytes());
    normalized.make_ascii_lowercase();
    std::str::from_utf8(normalized).ok()
}

/// A host as the client names it, normalised and validated: what patterns are matched with.
pub(crate) enum CanonicalHost {
    Ip(IpAddr),
    Dns(String),
}

/// Normalises `host` (an IP literal, or a DNS name in ASCII or Unicode) the way patterns are
/// normalised; `None` if it is not a valid host name.
pub(crate) fn canonical_host(host: &str) -> Option<CanonicalHost> {
    if let Some(ip) = parse_ip_literal(host) {
        return Some(CanonicalHost::Ip(ip));
    }
    let mut buf = [0u8; 256];
    if let Some(name) = normalize_host_into(host, &mut buf) {
        return check_ascii_dns_name(name)
            .is_ok()
            .then(|| CanonicalHost::Dns(name.to_owned()));
    }
    normalize_dns_name(host).ok().map(CanonicalHost::Dns)
}

/// Normalises and validates a DNS name (no wildcard, no IP literal).
fn normalize_dns_name(name: &str) -> Result<String, NameProblem> {
    let name = name.strip_suffix('.').unwrap_or(name);
    // Checked before any IDN processing so that structural and ASCII
    // mistakes are reported as such rather than as a conversion failure.
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err(NameProblem::EmptyLabel);
    }
    if let Some(character) = name
        .chars()
        .find(|&character| character.is_ascii() && !is_name_character(character as u8))
    {
        return Err(NameProblem::InvalidCharacter(character));
    }

    let ascii = if name.is_ascii() {
        // Pure-ASCII names, including existing A-labels, are taken as they
        // are: rustls hands them over unchanged, so running them through
        // UTS 46 here could make a pattern unmatchable.
        name.to_ascii_lowercase()
    } else {
        // The ASCII deny list is empty because the repertoire is enforced
        // below, after mapping, where it also catches mapped characters
        // (full-width punctuation, for example).
        idna::domain_to_ascii(name).map_err(|_| NameProblem::InvalidIdn)?
    };
    check_ascii_dns_name(&ascii)?;
    Ok(ascii)
}

fn is_name_character(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.')
}

/// Validates an ASCII name without a trailing dot against the rules that
/// `rustls_pki_types::DnsName` applies.
fn check_ascii_dns_name(name: &str) -> Result<(), NameProblem> {
    if let Some(character) = name
        .chars()
        .find(|&c| !c.is_ascii() || !is_name_character(c as u8))
    {
        return Err(NameProblem::InvalidCharacter(character));
    }
    let mut last_label = "";
    for label in name.split('.') {
        if label.is_empty() {
            return Err(NameProblem::EmptyLabel);
        }
        if label.len() > MAX_LABEL_OCTETS {
            return Err(NameProblem::LabelTooLong);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NameProblem::HyphenAtLabelEdge);
        }
        last_label = label;
    }
    if name.len() > MAX_NAME_OCTETS {
        return Err(NameProblem::NameTooLong);
    }
    if is_numeric_label(last_label) {
        return Err(NameProblem::NumericLastLabel);
    }
    Ok(())
}

/// Whether a label reads as a number, following the WHATWG URL "ends in a
/// number" rule: a name ending in such a label is parsed as IPv4 by
/// browsers and rejected by rustls, so it can never be a server name.
fn is_numeric_label(label: &str) -> bool {
    let hex_digits = label
        .strip_prefix("0x")
        .or_else(|| label.strip_prefix("0X"));
    match hex_digits {
        Some(digits) => digits.bytes().all(|byte| byte.is_ascii_hexdigit()),
        None => !label.is_empty() && label.bytes().all(|byte| byte.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> HostPattern {
        text.parse()
            .unwrap_or_else(|error| panic!("{text:?} should parse: {error}"))
    }

    #[test]
    fn matching_table() {
        let cases: &[(&str, &str, bool)] = &[
            // Exact names.
            ("api.example.com", "api.example.com", true),
            ("api.example.com", "API.Example.COM", true),
            ("API.Example.COM", "api.example.com", true),
            ("api.example.com", "example.com", false),
            ("api.example.com", "x.api.example.com", false),
            ("api.example.com", "api.example.co", false),
            ("localhost", "localhost", true),
            ("localhost", "LOCALHOST.", true),
            ("under_score.example.com", "under_score.example.com", true),
            // Trailing dots on either side.
            ("api.example.com.", "api.example.com", true),
            ("api.example.com", "api.example.com.", true),
            ("api.example.com.", "api.example.com.", true),
            ("api.example.com", "api.example.com..", false),
            // One-label wildcard.
            ("*.example.com", "a.example.com", true),
            ("*.example.com", "A.EXAMPLE.COM.", true),
            ("*.example.com", "example.com", false),
            ("*.example.com", "a.b.example.com", false),
            ("*.example.com", "badexample.com", false),
            ("*.example.com", ".example.com", false),
            ("*.example.com", "*.example.com", false),
            ("*.example.com", "a b.example.com", false),
            ("*.example.com.", "a.example.com", true),
            // Any-depth wildcard.
            ("**.example.com", "example.com", true),
            ("**.example.com", "a.example.com", true),
            ("**.example.com", "a.b.example.com", true),
            ("**.example.com", "A.B.Example.Com.", true),
            ("**.example.com", "badexample.com", false),
            ("**.example.com", "example.org", false),
            ("**.example.com", "com", false),
            // Internationalised names.
            ("*.bücher.example", "a.xn--bcher-kva.example", true),
            ("*.bücher.example", "a.bücher.example", true),
            ("*.bücher.example", "a.BÜCHER.example", true),
            ("*.xn--bcher-kva.example", "a.bücher.example", true),
            ("bücher.example", "xn--bcher-kva.example", true),
            ("bücher.example", "bucher.example", false),
            // IPv4.
            ("192.0.2.1", "192.0.2.1", true),
            ("192.0.2.1", "192.0.2.2", false),
            ("192.0.2.1", "[192.0.2.1]", false),
            ("192.0.2.1", "::ffff:192.0.2.1", false),
            // IPv6 in its various spellings.
            ("::1", "::1", true),
            ("::1", "[::1]", true),
            ("[::1]", "::1", true),
            ("[::1]", "0:0:0:0:0:0:0:1", true),
            ("0:0:0:0:0:0:0:1", "[::1]", true),
            ("2001:DB8::1", "2001:db8:0::1", true),
            ("::1", "::2", false),
            ("::1", "[::1", false),
            // IP hosts never match DNS patterns and vice versa.
            ("**.example.com", "192.0.2.1", false),
            ("**.example.com", "::1", false),
            ("localhost", "127.0.0.1", false),
            ("127.0.0.1", "localhost", false),
            // Unparseable hosts match nothing.
            ("**.example.com", "", false),
            ("**.example.com", ".", false),
            ("**.example.com", "a..example.com", false),
            ("**.example.com", "-a.example.com", false),
            ("**.example.com", "a!.example.com", false),
            ("**.example.com", " example.com", false),
        ];
        for &(pattern_text, host, expected) in cases {
            assert_eq!(
                pattern(pattern_text).matches(host),
                expected,
                "pattern {pattern_text:?} against host {host:?}"
            );
        }
    }

    #[test]
    fn invalid_patterns_table() {
        use HostPatternError as E;
        let long_label = "a".repeat(64);
        let long_name = format!("{}.com", vec!["a".repeat(62); 4].join("."));
        let long_unicode_label = format!("{}.example", "ü".repeat(60));
        type ExpectedError = fn(String) -> HostPatternError;
        let cases: Vec<(&str, ExpectedError)> = vec![
            ("a*.example.com", |input| E::MisplacedWildcard { input }),
            ("*example.com", |input| E::MisplacedWildcard { input }),
            ("foo.*.com", |input| E::MisplacedWildcard { input }),
            ("*", |input| E::MisplacedWildcard { input }),
            ("**", |input| E::MisplacedWildcard { input }),
            ("*.", |input| E::MisplacedWildcard { input }),
            ("***.a.com", |input| E::MisplacedWildcard { input }),
            ("*.*.example.com", |input| E::MisplacedWildcard { input }),
            ("a..b", |input| E::EmptyLabel { input }),
            (".a.com", |input| E::EmptyLabel { input }),
            ("a.com..", |input| E::EmptyLabel { input }),
            (".", |input| E::EmptyLabel { input }),
            ("*..example.com", |input| E::EmptyLabel { input }),
            ("*.com", |input| E::WildcardSuffixTooShort { input }),
            ("**.com", |input| E::WildcardSuffixTooShort { input }),
            ("*.localhost", |input| E::WildcardSuffixTooShort { input }),
            ("*.com.", |input| E::WildcardSuffixTooShort { input }),
            ("*.1.2.3.4", |input| E::WildcardOnIpAddress { input }),
            ("**.1.2.3.4", |input| E::WildcardOnIpAddress { input }),
            ("*.1.2.3.4.", |input| E::WildcardOnIpAddress { input }),
            ("*.[::1]", |input| E::WildcardOnIpAddress { input }),
            ("*.::1", |input| E::WildcardOnIpAddress { input }),
            ("-a.example.com", |input| E::HyphenAtLabelEdge { input }),
            ("a-.example.com", |input| E::HyphenAtLabelEdge { input }),
            ("*.example-.com", |input| E::HyphenAtLabelEdge { input }),
            (" example.com", |input| E::InvalidCharacter {
                input,
                character: ' ',
            }),
            ("example.com ", |input| E::InvalidCharacter {
                input,
                character: ' ',
            }),
            ("exa mple.com", |input| E::InvalidCharacter {
                input,
                character: ' ',
            }),
            ("example.com:443", |input| E::InvalidCharacter {
                input,
                character: ':',
            }),
            ("user@example.com", |input| E::InvalidCharacter {
                input,
                character: '@',
            }),
            ("fe80::1%eth0", |input| E::InvalidCharacter {
                input,
                character: ':',
            }),
            ("ｅｘａｍｐｌｅ！.com", |input| {
                E::InvalidCharacter {
                    input,
                    character: '!',
                }
            }),
            ("1.2.3", |input| E::NumericLastLabel { input }),
            ("01.2.3.4", |input| E::NumericLastLabel { input }),
            ("1.2.3.4.", |input| E::NumericLastLabel { input }),
            ("*.example.0x1f", |input| E::NumericLastLabel { input }),
            ("xn--a.ü.example", |input| E::InvalidIdn { input }),
            ("[example.com]", |input| E::InvalidIpv6 { input }),
            ("[192.0.2.1]", |input| E::InvalidIpv6 { input }),
            ("[::1", |input| E::InvalidIpv6 { input }),
        ];
        assert_eq!("".parse::<HostPattern>(), Err(E::Empty));
        for (input, expected) in cases {
            assert_eq!(
                input.parse::<HostPattern>(),
                Err(expected(input.to_owned())),
                "{input:?}"
            );
        }
        for (input, expected) in [
            (
                &long_label,
                E::LabelTooLong {
                    input: long_label.clone(),
                },
            ),
            (
                &long_name,
                E::NameTooLong {
                    input: long_name.clone(),
                },
            ),
            (
                &long_unicode_label,
                E::LabelTooLong {
                    input: long_unicode_label.clone(),
                },
            ),
        ] {
            assert_eq!(input.parse::<HostPattern>(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn length_limits_are_inclusive() {
        let longest_label = format!("{}.com", "a".repeat(63));
        assert!(longest_label.parse::<HostPattern>().is_ok());
        let longest_name = format!("{}.{}", vec!["a".repeat(63); 3].join("."), "a".repeat(61));
        assert_eq!(longest_name.len(), 253);
        assert!(longest_name.parse::<HostPattern>().is_ok());
        assert!(format!("{longest_name}.").parse::<HostPattern>().is_ok());
    }

    #[test]
    fn error_messages_quote_the_input() {
        for input in ["a*.example.com", "*.com", "a..b", "[x]", "bad name"] {
            let error = input.parse::<HostPattern>().unwrap_err();
            assert!(
                error.to_string().contains(&format!("\"{input}\"")),
                "{error}"
            );
        }
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        let cases = [
            ("api.example.com", "api.example.com"),
            ("API.Example.COM.", "api.example.com"),
            ("*.Example.com", "*.example.com"),
            ("**.example.com.", "**.example.com"),
            ("*.bücher.example", "*.xn--bcher-kva.example"),
            ("127.0.0.1", "127.0.0.1"),
            ("[::1]", "::1"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("under_score.example.com", "under_score.example.com"),
        ];
        for (input, canonical) in cases {
            let parsed = pattern(input);
            assert_eq!(parsed.to_string(), canonical);
            assert_eq!(pattern(canonical), parsed);
            assert_eq!(pattern(&parsed.to_string()).to_string(), canonical);
        }
    }

    #[test]
    fn kinds_and_accessors() {
        let exact = pattern("API.example.com");
        assert_eq!(exact.kind(), HostPatternKind::Exact);
        assert_eq!(exact.exact_name(), Some("api.example.com"));
        assert_eq!(exact.ip(), None);

        let address = pattern("[::1]");
        assert_eq!(address.kind(), HostPatternKind::IpAddress);
        assert_eq!(address.ip(), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(address.exact_name(), None);

        let one_label = pattern("*.example.com");
        assert_eq!(one_label.kind(), HostPatternKind::OneLabelWildcard);
        assert_eq!(one_label.one_label_suffix(), Some("example.com"));
        assert_eq!(one_label.any_depth_suffix(), None);

        let any_depth = pattern("**.example.com");
        assert_eq!(any_depth.kind(), HostPatternKind::AnyDepthWildcard);
        assert_eq!(any_depth.any_depth_suffix(), Some("example.com"));
        assert_eq!(any_depth.one_label_suffix(), None);
    }

    #[test]
    fn normalize_host_into_cases() {
        let mut buf = [0u8; 256];
        assert_eq!(
            normalize_host_into("API.Example.COM.", &mut buf),
            Some("api.example.com")
        );
        assert_eq!(normalize_host_into("a.b", &mut buf), Some("a.b"));
        assert_eq!(normalize_host_into("a.b..", &mut buf), Some("a.b."));
        assert_eq!(normalize_host_into("", &mut buf), None);
        assert_eq!(normalize_host_into(".", &mut buf), None);
        assert_eq!(normalize_host_into("bücher.example", &mut buf), None);

        let longest = "a".repeat(253);
        assert_eq!(
            normalize_host_into(&longest, &mut buf),
            Some(longest.as_str())
        );
        let longest_with_dot = format!("{longest}.");
        assert_eq!(
            normalize_host_into(&longest_with_dot, &mut buf),
            Some(longest.as_str())
        );
        assert_eq!(normalize_host_into(&"a".repeat(254), &mut buf), None);
        assert_eq!(normalize_host_into(&"a".repeat(300), &mut buf), None);
    }
}
