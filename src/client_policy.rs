//! The client pin policy: client identities (DNS or URI subjectAltNames, such as SPIFFE IDs)
//! mapped to the pins their verified path must contain.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use crate::der::AltName;
use crate::host_pattern::normalize_host_into;
use crate::pin::{Pin, PinKind};
use crate::pin_set::{EnforcementMode, PinScope, ScopedPin};

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

/// What to do with a client whose certificate names no identity of the policy (and the policy
/// has no [`ClientIdentity::Any`] entry).
///
/// ```
/// use rustls_pinning::UnpinnedClientPolicy;
/// assert_eq!(UnpinnedClientPolicy::default(), UnpinnedClientPolicy::Reject);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnpinnedClientPolicy {
    /// Reject it: only pinned workloads get in.
    #[default]
    Reject,
    /// Accept it on WebPKI validation alone (deny pins still apply).
    WebPkiOnly,
}

/// The pins of one client identity. Built with [`ClientPinEntry::builder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPinEntry {
    identity: ClientIdentity,
    allowed: Box<[ScopedPin]>,
    denied: Box<[ScopedPin]>,
    mode: EnforcementMode,
}

impl ClientPinEntry {
    /// Starts an entry for `identity`.
    ///
    /// ```
    /// use rustls_pinning::{ClientPinEntry, Pin};
    /// let entry = ClientPinEntry::builder("spiffe://prod.example/billing".parse()?)
    ///     .pin(Pin::spki_sha256([1; 32]))
    ///     .pin(Pin::spki_sha256([2; 32]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(identity: ClientIdentity) -> ClientPinEntryBuilder {
        ClientPinEntryBuilder {
            identity,
            allowed: Vec::new(),
            denied: Vec::new(),
            mode: EnforcementMode::Enforce,
            allow_missing_backup_pin: false,
        }
    }

    /// The identity this entry is keyed by.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, Pin};
    /// # let policy = ClientPinSet::builder().entry(ClientPinEntry::builder(ClientIdentity::Any)
    /// #     .deny(Pin::spki_sha256([1; 32]))).build()?;
    /// assert_eq!(policy.entries().next().unwrap().identity(), &ClientIdentity::Any);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn identity(&self) -> &ClientIdentity {
        &self.identity
    }

    /// The pins of which one must match a certificate of the client's verified path.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, Pin};
    /// # let policy = ClientPinSet::builder().entry(ClientPinEntry::builder(ClientIdentity::Any)
    /// #     .pin(Pin::spki_sha256([1; 32])).pin(Pin::spki_sha256([2; 32]))).build()?;
    /// assert_eq!(policy.entries().next().unwrap().allowed_pins().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed_pins(&self) -> &[ScopedPin] {
        &self.allowed
    }

    /// The pins no certificate of the client's verified path may match.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, Pin};
    /// # let policy = ClientPinSet::builder().entry(ClientPinEntry::builder(ClientIdentity::Any)
    /// #     .deny(Pin::spki_sha256([1; 32]))).build()?;
    /// assert_eq!(policy.entries().next().unwrap().denied_pins().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn denied_pins(&self) -> &[ScopedPin] {
        &self.denied
    }

    /// Whether a pin failure rejects the client.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, EnforcementMode, Pin};
    /// # let policy = ClientPinSet::builder().entry(ClientPinEntry::builder(ClientIdentity::Any)
    /// #     .pin(Pin::spki_sha256([1; 32])).report_only()).build()?;
    /// assert_eq!(policy.entries().next().unwrap().mode(), EnforcementMode::ReportOnly);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(&self) -> EnforcementMode {
        self.mode
    }
}

/// Builds a [`ClientPinEntry`]; added to a policy with [`ClientPinSetBuilder::entry`],
/// validated by [`ClientPinSetBuilder::build`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientPinEntryBuilder {
    identity: ClientIdentity,
    allowed: Vec<ScopedPin>,
    denied: Vec<ScopedPin>,
    mode: EnforcementMode,
    allow_missing_backup_pin: bool,
}

impl ClientPinEntryBuilder {
    /// Allows `pin` on any certificate of the client's verified path.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, Pin};
    /// let entry = ClientPinEntry::builder(ClientIdentity::Any).pin(Pin::spki_sha256([1; 32]));
    /// ```
    pub fn pin(self, pin: Pin) -> Self {
        self.pin_at(pin, PinScope::Any)
    }

    /// Allows `pin` only at the positions `scope` names (for example the workload's own key
    /// with [`PinScope::Leaf`]).
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, Pin, PinScope};
    /// let entry = ClientPinEntry::builder(ClientIdentity::Any).pin_at(Pin::spki_sha256([1; 32]), PinScope::Leaf);
    /// ```
    pub fn pin_at(mut self, pin: Pin, scope: PinScope) -> Self {
        self.allowed.push(ScopedPin::new(pin, scope));
        self
    }

    /// Rejects any client whose verified path has a certificate matching `pin`, even when an
    /// allowed pin matches too.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, Pin};
    /// let entry = ClientPinEntry::builder(ClientIdentity::Any).deny(Pin::spki_sha256([6; 32]));
    /// ```
    pub fn deny(self, pin: Pin) -> Self {
        self.deny_at(pin, PinScope::Any)
    }

    /// Like [`deny`](Self::deny), at the positions `scope` names.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, Pin, PinScope};
    /// let entry = ClientPinEntry::builder(ClientIdentity::Any).deny_at(Pin::spki_sha256([6; 32]), PinScope::Leaf);
    /// ```
    pub fn deny_at(mut self, pin: Pin, scope: PinScope) -> Self {
        self.denied.push(ScopedPin::new(pin, scope));
        self
    }

    /// A pin failure of this entry (a missing pin or the entry's own deny pin) is tolerated;
    /// chain failures and pins denied everywhere still reject.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, Pin};
    /// let entry = ClientPinEntry::builder(ClientIdentity::Any).pin(Pin::spki_sha256([1; 32])).report_only();
    /// ```
    pub fn report_only(mut self) -> Self {
        self.mode = EnforcementMode::ReportOnly;
        self
    }

    /// Accepts an enforced entry with a single allowed pin. Without a backup pin, the next key
    /// rotation of the workload locks it out.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, Pin};
    /// let entry = ClientPinEntry::builder(ClientIdentity::Any)
    ///     .pin(Pin::spki_sha256([1; 32]))
    ///     .allow_missing_backup_pin();
    /// ```
    pub fn allow_missing_backup_pin(mut self) -> Self {
        self.allow_missing_backup_pin = true;
        self
    }

    fn build(self, global_deny: &[ScopedPin]) -> Result<ClientPinEntry, ClientPinSetError> {
        let identity = self.identity;
        if self.allowed.is_empty() && self.denied.is_empty() {
            return Err(ClientPinSetError::EmptyEntry { identity });
        }
        for allowed in &self.allowed {
            if self
                .denied
                .iter()
                .any(|denied| denied.pin() == allowed.pin())
            {
                return Err(ClientPinSetError::PinAllowedAndDenied {
                    identity,
                    pin: allowed.pin(),
                });
            }
            if global_deny
                .iter()
                .any(|denied| denied.pin() == allowed.pin())
            {
                return Err(ClientPinSetError::PinAllowedAndDeniedEverywhere {
                    identity,
                    pin: allowed.pin(),
                });
            }
        }
        let distinct = self
            .allowed
            .iter()
            .map(ScopedPin::pin)
            .collect::<HashSet<_>>()
            .len();
        if self.mode == EnforcementMode::Enforce
            && !self.allowed.is_empty()
            && distinct < 2
            && !self.allow_missing_backup_pin
        {
            return Err(ClientPinSetError::MissingBackupPin { identity });
        }
        Ok(ClientPinEntry {
            identity,
            allowed: dedup(self.allowed),
            denied: dedup(self.denied),
            mode: self.mode,
        })
    }
}

fn dedup(pins: Vec<ScopedPin>) -> Box<[ScopedPin]> {
    let mut seen = HashSet::new();
    pins.into_iter().filter(|pin| seen.insert(*pin)).collect()
}

/// An immutable, validated map from client identities to pins, for
/// [`PinningClientVerifier`](crate::PinningClientVerifier).
///
/// Which entries apply to a client: every DNS or URI entry that one of the subjectAltNames of
/// its (verified) certificate names, and **each** of them must be satisfied, so a certificate
/// cannot borrow a pinned identity by listing it next to its own. Only when no such entry
/// applies does the [`ClientIdentity::Any`] entry, if any, apply; with neither, the
/// [`UnpinnedClientPolicy`] decides (reject by default). Pins denied everywhere apply to every
/// client whatever the entries' modes.
///
/// ```
/// use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, Pin};
///
/// let billing_key: Pin = "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=".parse()?;
/// let billing_backup: Pin = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?;
/// let policy = ClientPinSet::builder()
///     .entry(ClientPinEntry::builder("spiffe://prod.example/ns/billing".parse()?)
///         .pin(billing_key)
///         .pin(billing_backup))
///     .build()?;
/// assert_eq!(policy.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientPinSet {
    entries: Vec<ClientPinEntry>,
    dns: HashMap<Box<str>, usize>,
    uris: Vec<usize>,
    any: Option<usize>,
    global_deny: Box<[ScopedPin]>,
    unpinned_clients: UnpinnedClientPolicy,
}

impl ClientPinSet {
    /// Starts an empty policy.
    ///
    /// ```
    /// use rustls_pinning::ClientPinSet;
    /// assert!(ClientPinSet::builder().build()?.is_empty());
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn builder() -> ClientPinSetBuilder {
        ClientPinSetBuilder::default()
    }

    /// Every entry, in the order they were added.
    ///
    /// ```
    /// # use rustls_pinning::ClientPinSet;
    /// assert_eq!(ClientPinSet::builder().build()?.entries().count(), 0);
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &ClientPinEntry> + '_ {
        self.entries.iter()
    }

    /// The number of entries.
    ///
    /// ```
    /// # use rustls_pinning::ClientPinSet;
    /// assert_eq!(ClientPinSet::builder().build()?.len(), 0);
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the policy has no entries.
    ///
    /// ```
    /// # use rustls_pinning::ClientPinSet;
    /// assert!(ClientPinSet::builder().build()?.is_empty());
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Pins denied for every client.
    ///
    /// ```
    /// # use rustls_pinning::{ClientPinSet, Pin};
    /// let policy = ClientPinSet::builder().deny_everywhere(Pin::spki_sha256([9; 32])).build()?;
    /// assert_eq!(policy.globally_denied_pins().len(), 1);
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn globally_denied_pins(&self) -> &[ScopedPin] {
        &self.global_deny
    }

    /// What happens to clients no entry applies to.
    ///
    /// ```
    /// # use rustls_pinning::{ClientPinSet, UnpinnedClientPolicy};
    /// let policy = ClientPinSet::builder().build()?;
    /// assert_eq!(policy.unpinned_client_policy(), UnpinnedClientPolicy::Reject);
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn unpinned_client_policy(&self) -> UnpinnedClientPolicy {
        self.unpinned_clients
    }

    /// The entry a subjectAltName selects, if any.
    pub(crate) fn entry_for(&self, name: AltName<'_>) -> Option<&ClientPinEntry> {
        let index = match name {
            AltName::Dns(dns) => {
                let text = std::str::from_utf8(dns).ok()?;
                let mut buf = [0u8; 256];
                let normalized = normalize_host_into(text, &mut buf)?;
                *self.dns.get(normalized)?
            }
            AltName::Uri(_) => *self.uris.iter().find(|&&index| {
                self.entries
                    .get(index)
                    .is_some_and(|e| e.identity.names(name))
            })?,
        };
        self.entries.get(index)
    }

    /// The entry for clients no other entry names.
    pub(crate) fn any_client_entry(&self) -> Option<&ClientPinEntry> {
        self.any.and_then(|index| self.entries.get(index))
    }

    /// A pin that needs a trust anchor's whole certificate, if any.
    pub(crate) fn root_certificate_pin(&self) -> Option<(Option<&ClientIdentity>, ScopedPin)> {
        self.entries
            .iter()
            .flat_map(|entry| {
                entry
                    .allowed
                    .iter()
                    .chain(entry.denied.iter())
                    .map(move |pin| (Some(&entry.identity), *pin))
            })
            .chain(self.global_deny.iter().map(|pin| (None, *pin)))
            .find(|(_, scoped)| {
                scoped.pin().kind() == PinKind::Certificate && scoped.scope() == PinScope::Root
            })
    }
}

/// Builds a [`ClientPinSet`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ClientPinSetBuilder {
    entries: Vec<ClientPinEntryBuilder>,
    global_deny: Vec<ScopedPin>,
    unpinned_clients: UnpinnedClientPolicy,
}

impl ClientPinSetBuilder {
    /// Adds an entry.
    ///
    /// ```
    /// # use rustls_pinning::{ClientPinEntry, ClientPinSet, Pin};
    /// let policy = ClientPinSet::builder()
    ///     .entry(ClientPinEntry::builder("worker.internal.example".parse()?)
    ///         .pin(Pin::spki_sha256([1; 32])).pin(Pin::spki_sha256([2; 32])))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn entry(mut self, entry: ClientPinEntryBuilder) -> Self {
        self.entries.push(entry);
        self
    }

    /// Denies `pin` on the verified path of every client, whatever the entries' modes.
    ///
    /// ```
    /// # use rustls_pinning::{ClientPinSet, Pin};
    /// let policy = ClientPinSet::builder().deny_everywhere(Pin::spki_sha256([9; 32])).build()?;
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn deny_everywhere(self, pin: Pin) -> Self {
        self.deny_everywhere_at(pin, PinScope::Any)
    }

    /// Like [`deny_everywhere`](Self::deny_everywhere), at the positions `scope` names.
    ///
    /// ```
    /// # use rustls_pinning::{ClientPinSet, Pin, PinScope};
    /// let policy = ClientPinSet::builder().deny_everywhere_at(Pin::spki_sha256([9; 32]), PinScope::Leaf).build()?;
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn deny_everywhere_at(mut self, pin: Pin, scope: PinScope) -> Self {
        self.global_deny.push(ScopedPin::new(pin, scope));
        self
    }

    /// What to do with clients no entry applies to ([`UnpinnedClientPolicy::Reject`] unless
    /// set).
    ///
    /// ```
    /// # use rustls_pinning::{ClientPinSet, UnpinnedClientPolicy};
    /// let policy = ClientPinSet::builder().unpinned_clients(UnpinnedClientPolicy::WebPkiOnly).build()?;
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn unpinned_clients(mut self, policy: UnpinnedClientPolicy) -> Self {
        self.unpinned_clients = policy;
        self
    }

    /// Validates every entry and builds the lookup index.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, ClientPinSetError, Pin};
    /// let lonely = ClientPinSet::builder()
    ///     .entry(ClientPinEntry::builder(ClientIdentity::Any).pin(Pin::spki_sha256([1; 32])))
    ///     .build();
    /// assert!(matches!(lonely, Err(ClientPinSetError::MissingBackupPin { .. })));
    /// ```
    ///
    /// # Errors
    /// The first problem found, naming the entry's identity and, where one is at fault, the pin.
    pub fn build(self) -> Result<ClientPinSet, ClientPinSetError> {
        let mut policy = ClientPinSet {
            entries: Vec::with_capacity(self.entries.len()),
            dns: HashMap::new(),
            uris: Vec::new(),
            any: None,
            global_deny: dedup(self.global_deny),
            unpinned_clients: self.unpinned_clients,
        };
        let mut seen = HashSet::new();
        for builder in self.entries {
            let entry = builder.build(&policy.global_deny)?;
            if !seen.insert(entry.identity.clone()) {
                return Err(ClientPinSetError::DuplicateIdentity {
                    identity: entry.identity,
                });
            }
            let index = policy.entries.len();
            match &entry.identity {
                ClientIdentity::Any => policy.any = Some(index),
                ClientIdentity::DnsName(name) => {
                    policy.dns.insert(name.as_str().into(), index);
                }
                ClientIdentity::Uri(_) => policy.uris.push(index),
            }
            policy.entries.push(entry);
        }
        Ok(policy)
    }
}

/// Why a [`ClientPinSet`] could not be built.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientPinSetError {
    /// An enforced entry has a single distinct allowed pin and did not opt out with
    /// [`ClientPinEntryBuilder::allow_missing_backup_pin`].
    #[error(
        "client entry \"{identity}\" has one allowed pin and no backup: add a second pin (the \
         workload's next key) or call allow_missing_backup_pin()"
    )]
    MissingBackupPin {
        /// The entry's identity.
        identity: ClientIdentity,
    },
    /// An entry has neither allowed nor denied pins.
    #[error("client entry \"{identity}\" has no pins")]
    EmptyEntry {
        /// The entry's identity.
        identity: ClientIdentity,
    },
    /// Two entries have the same identity.
    #[error("client identity \"{identity}\" appears in more than one entry")]
    DuplicateIdentity {
        /// The repeated identity.
        identity: ClientIdentity,
    },
    /// A pin is both allowed and denied in one entry.
    #[error("client entry \"{identity}\" both allows and denies {pin}")]
    PinAllowedAndDenied {
        /// The entry's identity.
        identity: ClientIdentity,
        /// The contradictory pin.
        pin: Pin,
    },
    /// An entry allows a pin that is denied for every client.
    #[error("client entry \"{identity}\" allows {pin}, which is denied everywhere")]
    PinAllowedAndDeniedEverywhere {
        /// The entry's identity.
        identity: ClientIdentity,
        /// The contradictory pin.
        pin: Pin,
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
