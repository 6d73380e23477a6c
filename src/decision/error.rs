//! The error a pin failure carries inside `rustls::Error`, and the builder errors.

use core::fmt;

use pki_types::UnixTime;

use crate::date::format_rfc3339;
use crate::decision::pin_check::PathEntry;
use crate::der;
use crate::policy::host_pattern::HostPattern;
use crate::policy::pin::{sha256, Pin, PinKind};
use crate::policy::ClientIdentity;
use crate::policy::{Position, ScopedPin};

/// Why a verifier refused a server whose chain and name were otherwise valid.
///
/// It reaches the caller as
/// `rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(..)))` and can be
/// downcast back with [`ServerPinningError::from_rustls`]. Its message lists each verified path
/// as `sha256/...: subject` lines next to the configured pins, so the right new pin can be
/// copied from the error alone.
///
/// `Debug` prints the same text as `Display`: rustls shows the errors of other verifiers with
/// `{:?}`, and a pin failure should read the same wherever it is printed.
///
/// ```
/// use rustls_pinning::ServerPinningError;
///
/// fn explain(error: &rustls::Error) -> String {
///     match ServerPinningError::from_rustls(error) {
///         Some(pinning) => format!("pinning refused {}: {pinning}", pinning.host()),
///         None => format!("TLS failed: {error}"),
///     }
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub enum ServerPinningError {
    /// Every verified path lacked an allowed pin (and none matched a deny pin).
    NoPinMatched {
        /// The server name the client asked for.
        host: String,
        /// The entry that applied.
        pattern: HostPattern,
        /// The entry's allowed pins.
        allowed: Vec<ScopedPin>,
        /// The verified paths that were tried, each leaf first.
        verified_paths: Vec<Vec<PathCertificate>>,
    },
    /// A verified path contained a certificate matching a deny pin, and no other verified
    /// path was acceptable.
    DeniedPinMatched {
        /// The server name the client asked for.
        host: String,
        /// The entry whose deny list matched, or `None` for a pin denied everywhere.
        pattern: Option<HostPattern>,
        /// The deny pin that matched.
        denied: ScopedPin,
        /// The certificate that matched it.
        certificate: PathCertificate,
        /// The verified paths that were tried, each leaf first.
        verified_paths: Vec<Vec<PathCertificate>>,
    },
    /// The pin set rejects hosts without an entry, and none matched this one.
    HostNotPinned {
        /// The server name the client asked for.
        host: String,
    },
    /// Wrap mode could not decide the CA pins within the proofs it makes per handshake: the
    /// server presented more candidate CA certificates carrying pinned or denied keys than it
    /// can prove. The chain is refused rather than judged on part of it.
    ProofBudgetExhausted {
        /// The server name the client asked for.
        host: String,
        /// How many candidates were left undecided.
        candidates: usize,
        /// Whether those carry a denied key (`false`: only allowed keys, and nothing else
        /// accepted the chain).
        denied: bool,
        /// The most proofs made per handshake.
        budget: usize,
    },
    /// The entry expired, and the verifier has no other trust to fall back on (pins-only
    /// mode), so nothing can vouch for the server.
    EntryExpiredWithoutFallback {
        /// The server name the client asked for.
        host: String,
        /// The expired entry.
        pattern: HostPattern,
        /// When it expired.
        expired_at: UnixTime,
    },
}

impl ServerPinningError {
    /// The pinning error inside a `rustls::Error`, if that is what it carries.
    ///
    /// ```
    /// use rustls_pinning::ServerPinningError;
    /// let error = rustls::Error::General("unrelated".into());
    /// assert!(ServerPinningError::from_rustls(&error).is_none());
    /// ```
    pub fn from_rustls(error: &rustls::Error) -> Option<&Self> {
        match error {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
                other.0.downcast_ref::<Self>()
            }
            _ => None,
        }
    }

    /// The server name the client asked for.
    ///
    /// ```
    /// use rustls_pinning::ServerPinningError;
    /// # fn demo(error: &ServerPinningError) {
    /// println!("refused {}", error.host());
    /// # }
    /// ```
    pub fn host(&self) -> &str {
        match self {
            Self::NoPinMatched { host, .. }
            | Self::DeniedPinMatched { host, .. }
            | Self::HostNotPinned { host }
            | Self::ProofBudgetExhausted { host, .. }
            | Self::EntryExpiredWithoutFallback { host, .. } => host,
        }
    }

    pub(crate) fn into_rustls(self) -> rustls::Error {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
            std::sync::Arc::new(self),
        )))
    }
}

/// One certificate of a verified path, as a pin failure reports it.
///
/// ```
/// use rustls_pinning::ServerPinningError;
/// # fn demo(error: &ServerPinningError) {
/// if let ServerPinningError::NoPinMatched { verified_paths, .. } = error {
///     for certificate in &verified_paths[0] {
///         println!("{}: {} {}", certificate.position(), certificate.spki_pin(), certificate.subject());
///     }
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathCertificate {
    pub(crate) position: Position,
    pub(crate) spki_pin: Pin,
    pub(crate) certificate_pin: Option<Pin>,
    pub(crate) subject: String,
}

impl PathCertificate {
    /// Describes a certificate of a path for an error message (failure path only: it
    /// hashes and allocates).
    pub(crate) fn describe(position: Position, entry: PathEntry<'_>) -> Self {
        match entry {
            PathEntry::Parsed(cert) => Self::describe(position, PathEntry::Der(cert.der())),
            PathEntry::Der(der) => {
                let fields = der::certificate_fields(der.as_ref());
                Self {
                    position,
                    spki_pin: Pin::spki_sha256(
                        fields.map_or([0; 32], |fields| sha256(fields.spki)),
                    ),
                    certificate_pin: Some(Pin::certificate_of(&der)),
                    subject: fields.map_or_else(
                        || String::from("(unparsable certificate)"),
                        |fields| der::format_name(fields.subject),
                    ),
                }
            }
            PathEntry::Anchor { digests, subject } => Self {
                position,
                spki_pin: Pin::spki_sha256(digests.spki),
                certificate_pin: digests
                    .certificates
                    .first()
                    .copied()
                    .map(Pin::certificate_sha256),
                subject: der::format_name(subject),
            },
        }
    }

    /// Where it sits on the path.
    ///
    /// ```
    /// # use rustls_pinning::{PathCertificate, Position};
    /// # fn demo(certificate: &PathCertificate) {
    /// let is_leaf = certificate.position() == Position::Leaf;
    /// # }
    /// ```
    pub fn position(&self) -> Position {
        self.position
    }

    /// The SPKI pin of its key.
    ///
    /// ```
    /// # use rustls_pinning::PathCertificate;
    /// # fn demo(certificate: &PathCertificate) {
    /// println!("pin this key with {}", certificate.spki_pin());
    /// # }
    /// ```
    pub fn spki_pin(&self) -> Pin {
        self.spki_pin
    }

    /// The certificate pin, unless it is a trust anchor whose certificate the verifier was
    /// not given.
    ///
    /// ```
    /// # use rustls_pinning::PathCertificate;
    /// # fn demo(certificate: &PathCertificate) {
    /// if let Some(pin) = certificate.certificate_pin() { println!("{pin}"); }
    /// # }
    /// ```
    pub fn certificate_pin(&self) -> Option<Pin> {
        self.certificate_pin
    }

    /// The subject distinguished name, RFC 4514 style (`CN=..., O=...`).
    ///
    /// ```
    /// # use rustls_pinning::PathCertificate;
    /// # fn demo(certificate: &PathCertificate) {
    /// println!("{}", certificate.subject());
    /// # }
    /// ```
    pub fn subject(&self) -> &str {
        &self.subject
    }
}

fn write_paths(
    f: &mut fmt::Formatter<'_>,
    paths: &[Vec<PathCertificate>],
    show_certificate_pins: bool,
) -> fmt::Result {
    for (number, path) in paths.iter().enumerate() {
        if paths.len() == 1 {
            writeln!(f, "  verified path:")?;
        } else {
            writeln!(f, "  verified path {} of {}:", number + 1, paths.len())?;
        }
        for certificate in path {
            writeln!(
                f,
                "    {:<12}  {}: {}",
                certificate.position.to_string(),
                certificate.spki_pin,
                certificate.subject
            )?;
            if show_certificate_pins && let Some(pin) = certificate.certificate_pin {
                writeln!(f, "    {:<12}  {pin}", "")?;
            }
        }
    }
    Ok(())
}

fn any_certificate_pin(pins: &[ScopedPin]) -> bool {
    pins.iter()
        .any(|scoped| scoped.pin().kind() == PinKind::Certificate)
}

impl fmt::Display for ServerPinningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPinMatched {
                host,
                pattern,
                allowed,
                verified_paths,
            } => {
                writeln!(
                    f,
                    "certificate pinning failure for \"{host}\" (entry \"{pattern}\"): \
                     no certificate of the verified path matches a pinned key"
                )?;
                write_paths(f, verified_paths, any_certificate_pin(allowed))?;
                write!(f, "  pinned for \"{pattern}\":")?;
                for pin in allowed {
                    write!(f, "\n    {pin}")?;
                }
                Ok(())
            }
            Self::DeniedPinMatched {
                host,
                pattern,
                denied,
                certificate,
                verified_paths,
            } => {
                let list = match pattern {
                    Some(pattern) => format!("entry \"{pattern}\""),
                    None => String::from("the global deny list"),
                };
                writeln!(
                    f,
                    "certificate pinning failure for \"{host}\": the {} certificate \"{}\" \
                     matches deny pin {denied} of {list}",
                    certificate.position, certificate.subject
                )?;
                write_paths(
                    f,
                    verified_paths,
                    denied.pin().kind() == PinKind::Certificate,
                )
            }
            Self::HostNotPinned { host } => write!(
                f,
                "certificate pinning failure for \"{host}\": no pin-set entry matches this \
                 host and unpinned hosts are rejected"
            ),
            Self::ProofBudgetExhausted {
                host,
                candidates,
                denied,
                budget,
            } => write!(
                f,
                "certificate pinning failure for \"{host}\": {candidates} CA certificate(s) \
                 carrying {} keys could not be proven within the {budget} proofs made per \
                 handshake, so the chain is refused rather than judged on part of it",
                match denied {
                    true => "denied",
                    false => "pinned",
                }
            ),
            Self::EntryExpiredWithoutFallback {
                host,
                pattern,
                expired_at,
            } => write!(
                f,
                "certificate pinning failure for \"{host}\": entry \"{pattern}\" expired at {} \
                 and this verifier has no certificate authority to fall back on",
                format_rfc3339(expired_at.as_secs())
            ),
        }
    }
}

impl fmt::Debug for ServerPinningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ServerPinningError {}

/// Why a [`PinningClientVerifier`](crate::PinningClientVerifier) refused a client
/// whose certificate chain was otherwise valid.
///
/// It reaches the server as
/// `rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(..)))` (the client
/// sees a `bad_certificate` alert) and can be downcast back with
/// [`ClientPinningError::from_rustls`]. Like [`ServerPinningError`], its message lists the verified
/// path as `sha256/...: subject` lines next to the configured pins, and `Debug` prints the
/// same text as `Display`.
///
/// ```
/// use rustls_pinning::ClientPinningError;
///
/// fn log_refusal(error: &rustls::Error) {
///     if let Some(pinning) = ClientPinningError::from_rustls(error) {
///         eprintln!("refused a client: {pinning}");
///     }
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub enum ClientPinningError {
    /// The verified path lacked every allowed pin of an entry that applies to the client.
    NoPinMatched {
        /// The identity of the entry that was not satisfied.
        identity: ClientIdentity,
        /// That entry's allowed pins.
        allowed: Vec<ScopedPin>,
        /// The verified paths that were tried, each leaf first.
        verified_paths: Vec<Vec<PathCertificate>>,
    },
    /// A certificate of the verified path matched a deny pin.
    DeniedPinMatched {
        /// The entry whose deny list matched, or `None` for a pin denied everywhere.
        identity: Option<ClientIdentity>,
        /// The deny pin that matched.
        denied: ScopedPin,
        /// The certificate that matched it.
        certificate: PathCertificate,
        /// The verified paths that were tried, each leaf first.
        verified_paths: Vec<Vec<PathCertificate>>,
    },
    /// The client certificate names a URI that claims to be a SPIFFE ID (its scheme is
    /// `spiffe`) but breaks the SPIFFE ID rules (percent-encoding, `.` or `..` segments, a
    /// trailing `/`, a port, user, query or fragment, upper case in the scheme or trust
    /// domain). It is refused rather than matched, or not matched, as some other identity.
    InvalidSpiffeId {
        /// The URI as the certificate states it (lossily decoded if not UTF-8).
        presented: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// No entry applies to the client and the policy rejects unpinned clients.
    ClientNotPinned {
        /// The DNS and URI identities the client certificate states.
        presented: Vec<ClientIdentity>,
    },
}

impl ClientPinningError {
    /// The client pinning error inside a `rustls::Error`, if that is what it carries.
    ///
    /// ```
    /// use rustls_pinning::ClientPinningError;
    /// let error = rustls::Error::NoCertificatesPresented;
    /// assert!(ClientPinningError::from_rustls(&error).is_none());
    /// ```
    pub fn from_rustls(error: &rustls::Error) -> Option<&Self> {
        match error {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
                other.0.downcast_ref::<Self>()
            }
            _ => None,
        }
    }

    pub(crate) fn into_rustls(self) -> rustls::Error {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
            std::sync::Arc::new(self),
        )))
    }
}

impl fmt::Display for ClientPinningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPinMatched {
                identity,
                allowed,
                verified_paths,
            } => {
                writeln!(
                    f,
                    "client certificate pinning failure for {identity}: no certificate of the \
                     verified path matches a pinned key"
                )?;
                write_paths(f, verified_paths, any_certificate_pin(allowed))?;
                write!(f, "  pinned for {identity}:")?;
                for pin in allowed {
                    write!(f, "\n    {pin}")?;
                }
                Ok(())
            }
            Self::DeniedPinMatched {
                identity,
                denied,
                certificate,
                verified_paths,
            } => {
                let list = match identity {
                    Some(identity) => format!("the entry for {identity}"),
                    None => String::from("the global deny list"),
                };
                writeln!(
                    f,
                    "client certificate pinning failure: the {} certificate \"{}\" matches deny \
                     pin {denied} of {list}",
                    certificate.position, certificate.subject
                )?;
                write_paths(
                    f,
                    verified_paths,
                    denied.pin().kind() == PinKind::Certificate,
                )
            }
            Self::InvalidSpiffeId { presented, reason } => write!(
                f,
                "client certificate pinning failure: the certificate names \"{presented}\", \
                 which claims to be a SPIFFE ID but is not a valid one: {reason}"
            ),
            Self::ClientNotPinned { presented } => {
                write!(
                    f,
                    "client certificate pinning failure: no policy entry applies to this client \
                     and unpinned clients are rejected; the certificate names "
                )?;
                if presented.is_empty() {
                    return f.write_str("no DNS or URI identity");
                }
                for (index, identity) in presented.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{identity}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for ClientPinningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ClientPinningError {}
