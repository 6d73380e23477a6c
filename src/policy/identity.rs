//! Client identities: the DNS names and URIs (such as SPIFFE IDs) a client certificate's
//! subjectAltNames state, which client pin entries are keyed by.

use std::fmt;
use std::str::FromStr;

use crate::der::AltName;
use crate::policy::host_pattern::normalize_host_into;

/// Who a client certificate says it is: a name a client pin entry is keyed by.
///
/// A client certificate names its workload in its subjectAltName extension. Entries are
/// keyed by a DNS name (`dNSName`, compared case-insensitively, without a trailing dot) or a
/// URI (`uniformResourceIdentifier`, such as a [SPIFFE ID](https://spiffe.io)
/// `spiffe://trust-domain/path`; scheme and authority compared case-insensitively, the rest
/// exactly). [`ClientIdentity::Any`] keys the entry that applies to clients no other entry
/// names.
///
/// Parsing: a string containing `:` is a URI, anything else a DNS name; `*` is
/// [`ClientIdentity::Any`].
///
/// ```
/// use rustls_pinning::ClientIdentity;
///
/// let billing: ClientIdentity = "spiffe://prod.example/ns/billing/sa/api".parse()?;
/// assert!(matches!(billing, ClientIdentity::Uri(_)));
/// let batch: ClientIdentity = "Batch.Internal.Example.".parse()?;
/// assert_eq!(batch.to_string(), "DNS:batch.internal.example");
/// # Ok::<(), rustls_pinning::ClientIdentityError>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClientIdentity {
    /// Every client that no DNS or URI entry names.
    Any,
    /// A `dNSName` subjectAltName, lower-case, without a trailing dot.
    DnsName(String),
    /// A `uniformResourceIdentifier` subjectAltName, scheme and authority lower-case.
    Uri(String),
}

impl ClientIdentity {
    /// A DNS-name identity; lower-cased, one trailing dot dropped.
    ///
    /// ```
    /// use rustls_pinning::ClientIdentity;
    /// assert_eq!(ClientIdentity::dns_name("Worker-1.Example.")?, ClientIdentity::DnsName("worker-1.example".into()));
    /// assert!(ClientIdentity::dns_name("not a name").is_err());
    /// # Ok::<(), rustls_pinning::ClientIdentityError>(())
    /// ```
    ///
    /// # Errors
    /// [`ClientIdentityError::InvalidDnsName`] if `name` is not an ASCII DNS name.
    pub fn dns_name(name: &str) -> Result<Self, ClientIdentityError> {
        let invalid = || ClientIdentityError::InvalidDnsName {
            input: name.to_owned(),
        };
        let mut buf = [0u8; 256];
        let normalized = normalize_host_into(name, &mut buf).ok_or_else(invalid)?;
        pki_types::DnsName::try_from(normalized).map_err(|_| invalid())?;
        Ok(Self::DnsName(normalized.to_owned()))
    }

    /// A URI identity, such as a SPIFFE ID. The scheme and authority are lower-cased. A
    /// `spiffe` URI must also follow the SPIFFE ID rules: a trust domain of lower-case letters,
    /// digits, `.`, `-` and `_`, a path of non-empty segments other than `.` and `..`, and no
    /// port, user, query or fragment.
    ///
    /// ```
    /// use rustls_pinning::ClientIdentity;
    /// let id = ClientIdentity::uri("SPIFFE://prod.example/ns/billing")?;
    /// assert_eq!(id.to_string(), "URI:spiffe://prod.example/ns/billing");
    /// assert!(ClientIdentity::uri("spiffe://prod.example/ns/../billing").is_err());
    /// # Ok::<(), rustls_pinning::ClientIdentityError>(())
    /// ```
    ///
    /// # Errors
    /// [`ClientIdentityError::InvalidUri`] naming the rule the input breaks.
    pub fn uri(uri: &str) -> Result<Self, ClientIdentityError> {
        let invalid = |reason: &'static str| ClientIdentityError::InvalidUri {
            input: uri.to_owned(),
            reason,
        };
        if uri.is_empty() || !uri.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "a URI is printable ASCII without spaces (percent-encode the rest)",
            ));
        }
        let (scheme, _) = uri
            .split_once(':')
            .ok_or_else(|| invalid("a URI starts with a scheme and ':'"))?;
        let scheme_ok = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok {
            return Err(invalid(
                "the scheme must be a letter then letters, digits, '+', '-' or '.'",
            ));
        }
        let normalized = normalize_uri(uri);
        if let Some(rest) = normalized.strip_prefix("spiffe://") {
            check_spiffe_id(rest).map_err(invalid)?;
        } else if normalized.starts_with("spiffe:") {
            return Err(invalid("a SPIFFE ID starts with spiffe://"));
        }
        Ok(Self::Uri(normalized))
    }

    /// Whether this identity is a subjectAltName `name` of a certificate.
    pub(crate) fn names(&self, name: AltName<'_>) -> bool {
        match (self, name) {
            (Self::DnsName(expected), AltName::Dns(presented)) => {
                let presented = presented.strip_suffix(b".").unwrap_or(presented);
                presented.eq_ignore_ascii_case(expected.as_bytes())
            }
            (Self::Uri(expected), AltName::Uri(presented)) => uri_eq(expected, presented),
            _ => false,
        }
    }

    /// The identity a subjectAltName states, for error messages (failure path only).
    pub(crate) fn describe(name: AltName<'_>) -> Self {
        match name {
            AltName::Dns(dns) => {
                let text = String::from_utf8_lossy(dns);
                let text = text.strip_suffix('.').unwrap_or(&text);
                Self::DnsName(text.to_ascii_lowercase())
            }
            AltName::Uri(uri) => Self::Uri(normalize_uri(&String::from_utf8_lossy(uri))),
        }
    }
}

/// The length of a URI's scheme and authority (`scheme:` or `scheme://authority`), the part
/// compared without regard to case.
fn case_insensitive_prefix(uri: &[u8]) -> usize {
    let Some(colon) = uri.iter().position(|&b| b == b':') else {
        return 0;
    };
    match uri.get(colon + 1..colon + 3) {
        Some(b"//") => {
            let start = colon + 3;
            start
                + uri
                    .get(start..)
                    .unwrap_or_default()
                    .iter()
                    .position(|&b| matches!(b, b'/' | b'?' | b'#'))
                    .unwrap_or(uri.len() - start)
        }
        _ => colon + 1,
    }
}

fn normalize_uri(uri: &str) -> String {
    let prefix = case_insensitive_prefix(uri.as_bytes());
    let (head, tail) = uri.split_at(prefix);
    head.to_ascii_lowercase() + tail
}

fn uri_eq(expected: &str, presented: &[u8]) -> bool {
    let expected = expected.as_bytes();
    let prefix = case_insensitive_prefix(presented);
    prefix == case_insensitive_prefix(expected)
        && expected.len() == presented.len()
        && expected[..prefix].eq_ignore_ascii_case(&presented[..prefix])
        && expected[prefix..] == presented[prefix..]
}

/// The longest SPIFFE ID, in bytes, and the longest trust domain (SPIFFE ID specification,
/// section 2).
const MAX_SPIFFE_ID_BYTES: usize = 2048;
const MAX_TRUST_DOMAIN_BYTES: usize = 255;

/// Checks the part of a SPIFFE ID after `spiffe://`, by the SPIFFE ID specification: a trust
/// domain of lower-case letters, digits, `.`, `-` and `_` (so no port, user or upper case),
/// then a path of `/`-separated segments of letters, digits, `.`, `-` and `_` (so no
/// percent-encoding), none empty, `.` or `..`, and no query or fragment.
fn check_spiffe_id(rest: &str) -> Result<(), &'static str> {
    if rest.len() + "spiffe://".len() > MAX_SPIFFE_ID_BYTES {
        return Err("a SPIFFE ID is at most 2048 bytes long");
    }
    if rest.contains(['?', '#']) {
        return Err("a SPIFFE ID has no query or fragment");
    }
    let (trust_domain, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if trust_domain.is_empty() {
        return Err("a SPIFFE ID needs a trust domain");
    }
    if trust_domain.len() > MAX_TRUST_DOMAIN_BYTES {
        return Err("a SPIFFE trust domain is at most 255 bytes long");
    }
    if !trust_domain
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Err(
            "a SPIFFE trust domain has only lower-case letters, digits, '.', '-' and '_' (no port or user)",
        );
    }
    if path.is_empty() {
        return Ok(());
    }
    if path
        .split('/')
        .skip(1)
        .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        return Err("a SPIFFE ID path has no empty, '.' or '..' segments and no trailing '/'");
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_'))
    {
        return Err(
            "a SPIFFE ID path has only letters, digits, '.', '-' and '_' (no percent-encoding)",
        );
    }
    Ok(())
}

/// Why a URI a certificate presents claims to be a SPIFFE ID (its scheme is `spiffe`, in any
/// case) but is not a valid one, exactly as written: `None` if it is valid or makes no such
/// claim. A presented ID is not normalised: upper case in its scheme or trust domain is
/// invalid, as the specification says.
pub(crate) fn invalid_presented_spiffe_id(uri: &[u8]) -> Option<&'static str> {
    let scheme = uri.split(|&b| b == b':').next().unwrap_or_default();
    if !scheme.eq_ignore_ascii_case(b"spiffe") {
        return None;
    }
    let Some(rest) = uri.strip_prefix(b"spiffe://") else {
        return Some(match uri.strip_prefix(b"spiffe:") {
            Some(_) => "a SPIFFE ID starts with spiffe://",
            None => "the scheme of a SPIFFE ID is lower-case spiffe",
        });
    };
    match std::str::from_utf8(rest) {
        Ok(rest) => check_spiffe_id(rest).err(),
        Err(_) => Some("a SPIFFE ID is ASCII"),
    }
}

impl FromStr for ClientIdentity {
    type Err = ClientIdentityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "*" {
            Ok(Self::Any)
        } else if text.contains(':') {
            Self::uri(text)
        } else {
            Self::dns_name(text)
        }
    }
}

impl fmt::Display for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any client"),
            Self::DnsName(name) => write!(f, "DNS:{name}"),
            Self::Uri(uri) => write!(f, "URI:{uri}"),
        }
    }
}

/// Why a string is not a [`ClientIdentity`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdentityError {
    /// Not an ASCII DNS name.
    #[error("\"{input}\" is not a DNS name")]
    InvalidDnsName {
        /// The text given.
        input: String,
    },
    /// Not a URI, or a `spiffe` URI that breaks the SPIFFE ID rules.
    #[error("\"{input}\" is not a valid URI identity: {reason}")]
    InvalidUri {
        /// The text given.
        input: String,
        /// The rule it breaks.
        reason: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_comparison_ignores_case_of_scheme_and_authority_only() {
        let id = ClientIdentity::uri("SPIFFE://Prod.Example/ns/Billing").unwrap();
        assert_eq!(
            id,
            ClientIdentity::Uri("spiffe://prod.example/ns/Billing".into())
        );
        let id = ClientIdentity::uri("https://Prod.Example/ns/Billing").unwrap();
        assert_eq!(
            id,
            ClientIdentity::Uri("https://prod.example/ns/Billing".into())
        );
        assert!(id.names(AltName::Uri(b"HTTPS://PROD.example/ns/Billing")));
        assert!(!id.names(AltName::Uri(b"https://prod.example/ns/billing")));
        assert!(!id.names(AltName::Uri(b"https://prod.example/ns/Billing/x")));
        assert!(!id.names(AltName::Dns(b"prod.example")));
    }

    #[test]
    fn spiffe_ids_follow_the_spiffe_rules() {
        assert!(ClientIdentity::uri("spiffe://prod.example").is_ok());
        assert!(ClientIdentity::uri("spiffe://prod.example/a/b").is_ok());
        for bad in [
            "spiffe://",
            "spiffe://prod.example/",
            "spiffe://prod.example//a",
            "spiffe://prod.example/./a",
            "spiffe://prod.example:443/a",
            "spiffe://user@prod.example/a",
            "spiffe://prod.example/a?x=1",
            "spiffe:prod.example/a",
        ] {
            assert!(ClientIdentity::uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_identities_match_case_insensitively() {
        let id = ClientIdentity::dns_name("Worker.Example.").unwrap();
        assert!(id.names(AltName::Dns(b"WORKER.example")));
        assert!(id.names(AltName::Dns(b"worker.example.")));
        assert!(!id.names(AltName::Dns(b"other.example")));
        assert!(!id.names(AltName::Uri(b"worker.example")));
    }
}
