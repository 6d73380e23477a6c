//! RFC 7469 `Public-Key-Pins` header values, to import a policy a web server already
//! publishes (or once published) and to write one back.

use core::fmt;
use std::time::Duration;

use pki_types::UnixTime;

use crate::date::LAST_WRITABLE_SECOND;
use crate::policy::host_pattern::{HostPattern, HostPatternKind};
use crate::policy::pin::{Pin, PinKind};
use crate::policy::{AfterExpiry, EnforcementMode, PinEntry, PinEntryBuilder, PinScope};

/// A parsed `Public-Key-Pins` or `Public-Key-Pins-Report-Only` header value.
///
/// Parsing follows RFC 7469 section 2.1: directives are separated by `;`, names are
/// case-insensitive, at least one `pin-sha256` is required and its value must be a quoted
/// string, no directive may appear twice (pins aside), and unknown directives, including pins
/// with other hash algorithms, are ignored. `max-age` is required in a `Public-Key-Pins`
/// header and optional in a `Public-Key-Pins-Report-Only` one (section 2.1.2); a value too
/// large for 64 bits is taken as the largest one, as RFC 7234 section 1.2.1 asks of
/// delta-seconds. A header in which any directive, known or not, breaks the grammar (a value
/// that is neither a token nor a quoted string, a control character in a quoted string) is
/// refused as a whole (section 2.1, rule 4), and so is a value longer than
/// [`HpkpPolicy::MAX_HEADER_BYTES`].
///
/// ```
/// use rustls_pinning::{HpkpPolicy, PinSet};
///
/// let header = r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=";
///     pin-sha256="YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg="; max-age=5184000;
///     includeSubDomains; report-uri="https://reports.example.com/hpkp""#;
/// let policy = HpkpPolicy::parse(header)?;
/// assert_eq!(policy.max_age().as_secs(), 5_184_000);
/// assert!(policy.include_subdomains());
///
/// let entry = policy.to_entry("example.com".parse()?, rustls::pki_types::UnixTime::now())
///     .expect("max-age is not 0");
/// let pins = PinSet::builder().entry(entry).build()?;
/// assert!(pins.lookup("www.example.com").is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpkpPolicy {
    pins: Vec<Pin>,
    /// `None` only for a report-only header without `max-age`.
    max_age: Option<Duration>,
    include_subdomains: bool,
    report_uri: Option<String>,
    report_only: bool,
}

/// Why a header value was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HpkpError {
    /// `max-age` is missing from a `Public-Key-Pins` header (a report-only header may omit
    /// it).
    #[error("Public-Key-Pins: the max-age directive is required")]
    MissingMaxAge,
    /// The header value is longer than [`HpkpPolicy::MAX_HEADER_BYTES`]; it was refused
    /// before being parsed.
    #[error(
        "Public-Key-Pins: {size} bytes is more than the {limit} bytes a header value may have"
    )]
    TooLarge {
        /// Its length in bytes.
        size: usize,
        /// The most this crate reads.
        limit: usize,
    },
    /// No `pin-sha256` directive.
    #[error("Public-Key-Pins: at least one pin-sha256 directive is required")]
    NoPins,
    /// A directive other than a pin appears twice.
    #[error("Public-Key-Pins: directive \"{directive}\" appears more than once")]
    DuplicateDirective {
        /// Its name, lower-cased.
        directive: String,
    },
    /// A directive's value is malformed.
    #[error("Public-Key-Pins: directive \"{directive}\" at byte {offset}: {reason}")]
    InvalidDirective {
        /// Its name, lower-cased.
        directive: String,
        /// Where it starts in the header value.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// The entry cannot be written as a header.
    #[error("entry \"{pattern}\" cannot be written as a Public-Key-Pins header: {reason}")]
    NotExpressible {
        /// The entry.
        pattern: HostPattern,
        /// What has no HPKP equivalent.
        reason: &'static str,
    },
}

/// One `name[=value]` directive with where it starts.
struct Directive<'a> {
    name: String,
    value: Option<Value<'a>>,
    offset: usize,
}

enum Value<'a> {
    Token(&'a str),
    Quoted(String),
}

impl HpkpPolicy {
    /// The longest header value [`parse`](Self::parse) and
    /// [`parse_report_only`](Self::parse_report_only) read: 8 KiB.
    ///
    /// HTTP servers and clients commonly refuse a header field longer than 8 KiB (nginx's and
    /// Apache httpd's default limits), so no header a server could send is longer, while a
    /// header with twenty pins and a report URI takes under 2 KiB. Longer text is refused with
    /// [`HpkpError::TooLarge`] before any of it is parsed.
    ///
    /// ```
    /// # use rustls_pinning::{HpkpError, HpkpPolicy};
    /// let long = format!("max-age=60; {}", " ".repeat(HpkpPolicy::MAX_HEADER_BYTES));
    /// assert_eq!(HpkpPolicy::parse(&long),
    ///     Err(HpkpError::TooLarge { size: long.len(), limit: HpkpPolicy::MAX_HEADER_BYTES }));
    /// ```
    pub const MAX_HEADER_BYTES: usize = 8 * 1024;

    /// Parses a `Public-Key-Pins` header value.
    ///
    /// ```
    /// # use rustls_pinning::{HpkpError, HpkpPolicy};
    /// assert_eq!(HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=""#),
    ///     Err(HpkpError::MissingMaxAge));
    /// ```
    ///
    /// # Errors
    /// See [`HpkpError`].
    pub fn parse(value: &str) -> Result<Self, HpkpError> {
        Self::parse_as(value, false)
    }

    /// Parses a `Public-Key-Pins-Report-Only` header value: the same syntax, imported as a
    /// report-only entry. `max-age` is optional here: RFC 7469 section 2.1.2 calls it
    /// meaningless in this header.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse_report_only(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=60"#)?;
    /// assert!(policy.is_report_only());
    /// let without = HpkpPolicy::parse_report_only(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=""#)?;
    /// assert!(!without.has_max_age());
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    ///
    /// # Errors
    /// See [`HpkpError`].
    pub fn parse_report_only(value: &str) -> Result<Self, HpkpError> {
        Self::parse_as(value, true)
    }

    fn parse_as(value: &str, report_only: bool) -> Result<Self, HpkpError> {
        if value.len() > Self::MAX_HEADER_BYTES {
            return Err(HpkpError::TooLarge {
                size: value.len(),
                limit: Self::MAX_HEADER_BYTES,
            });
        }
        let mut pins = Vec::new();
        let mut max_age = None;
        let mut include_subdomains = false;
        let mut report_uri = None;
        let mut seen: Vec<String> = Vec::new();
        for directive in directives(value)? {
            let invalid = |reason: &str| HpkpError::InvalidDirective {
                directive: directive.name.clone(),
                offset: directive.offset,
                reason: reason.to_owned(),
            };
            if !directive.name.starts_with("pin-") {
                if seen.contains(&directive.name) {
                    return Err(HpkpError::DuplicateDirective {
                        directive: directive.name,
                    });
                }
                seen.push(directive.name.clone());
            }
            match (directive.name.as_str(), &directive.value) {
                ("pin-sha256", Some(Value::Quoted(base64))) => {
                    let pin = format!("sha256/{base64}")
                        .parse::<Pin>()
                        .map_err(|error| invalid(&error.to_string()))?;
                    if !pins.contains(&pin) {
                        pins.push(pin);
                    }
                }
                ("pin-sha256", _) => return Err(invalid("the value must be a quoted string")),
                ("max-age", Some(value)) => {
                    let text = match value {
                        Value::Token(text) => *text,
                        Value::Quoted(text) => text.as_str(),
                    };
                    let seconds = delta_seconds(text)
                        .ok_or_else(|| invalid("expected a number of seconds"))?;
                    max_age = Some(Duration::from_secs(seconds));
                }
                ("max-age", None) => return Err(invalid("expected a number of seconds")),
                ("includesubdomains", None) => include_subdomains = true,
                ("includesubdomains", Some(_)) => return Err(invalid("it takes no value")),
                ("report-uri", Some(Value::Quoted(uri))) => report_uri = Some(uri.clone()),
                ("report-uri", _) => return Err(invalid("the value must be a quoted URI")),
                // Other hash algorithms and future directives are ignored, as the RFC requires
                // (section 2.1, rule 5), but only when they follow the grammar: a header with a
                // directive that does not is ignored as a whole (rule 4).
                (_, Some(Value::Token(token))) if !token.bytes().all(is_token_byte) => {
                    return Err(invalid(
                        "the value is neither a token nor a quoted string, so the header does \
                         not follow the RFC 7469 grammar",
                    ))
                }
                _ => {}
            }
        }
        if max_age.is_none() && !report_only {
            return Err(HpkpError::MissingMaxAge);
        }
        if pins.is_empty() {
            return Err(HpkpError::NoPins);
        }
        Ok(Self {
            pins,
            max_age,
            include_subdomains,
            report_uri,
            report_only,
        })
    }

    /// The SPKI pins, in header order, without repeats.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=60"#)?;
    /// assert_eq!(policy.pins().len(), 1);
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }

    /// `max-age`: zero for a report-only header without it (see
    /// [`has_max_age`](Self::has_max_age)). A value too large for 64 bits reads as
    /// `u64::MAX` seconds.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=60"#)?;
    /// assert_eq!(policy.max_age().as_secs(), 60);
    /// let huge = HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=99999999999999999999"#)?;
    /// assert_eq!(huge.max_age().as_secs(), u64::MAX);
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    pub fn max_age(&self) -> Duration {
        self.max_age.unwrap_or(Duration::ZERO)
    }

    /// Whether the header has a `max-age` directive: always for `Public-Key-Pins`, and for
    /// `Public-Key-Pins-Report-Only` when it gives one.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse_report_only(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=""#)?;
    /// assert!(!policy.has_max_age());
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    pub fn has_max_age(&self) -> bool {
        self.max_age.is_some()
    }

    /// Whether `includeSubDomains` was given.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=60"#)?;
    /// assert!(!policy.include_subdomains());
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    pub fn include_subdomains(&self) -> bool {
        self.include_subdomains
    }

    /// `report-uri`, if given.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=60; report-uri="https://r.example/""#)?;
    /// assert_eq!(policy.report_uri(), Some("https://r.example/"));
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    pub fn report_uri(&self) -> Option<&str> {
        self.report_uri.as_deref()
    }

    /// Whether it came from a `Public-Key-Pins-Report-Only` header.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=60"#)?;
    /// assert!(!policy.is_report_only());
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    pub fn is_report_only(&self) -> bool {
        self.report_only
    }

    /// The pin-set entry for `host` as seen at `now`: `**.host` with `includeSubDomains`,
    /// `host` otherwise; expiring `max-age` after `now` and then skipped; report-only for a
    /// report-only header. `None` when `max-age` is 0, which means "not pinned". A report-only
    /// header without `max-age` gives an entry that does not expire.
    ///
    /// The expiry is capped at 9999-12-31T23:59:59Z, the last instant RFC 3339 can write
    /// (RFC 7469 section 4.1 lets clients cap `max-age`): an entry imported from a header with
    /// a huge `max-age` can still be saved as a policy file and reported.
    ///
    /// The entry still goes through the set builder's rules; in particular a header with a
    /// single pin has no backup, which RFC 7469 also forbids.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=0"#)?;
    /// assert!(policy.to_entry("example.com".parse()?, rustls::pki_types::UnixTime::now()).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_entry(&self, host: HostPattern, now: UnixTime) -> Option<PinEntryBuilder> {
        if self.max_age.is_some_and(|max_age| max_age.is_zero()) {
            return None;
        }
        let pattern = match (self.include_subdomains, host.exact_name()) {
            (true, Some(name)) => format!("**.{name}").parse().unwrap_or(host),
            _ => host,
        };
        let mode = match self.report_only {
            true => EnforcementMode::ReportOnly,
            false => EnforcementMode::Enforce,
        };
        let entry = self
            .pins
            .iter()
            .fold(PinEntry::builder(pattern), |entry, pin| entry.pin(*pin))
            .mode(mode);
        let Some(max_age) = self.max_age else {
            return Some(entry);
        };
        let expiry = now
            .as_secs()
            .saturating_add(max_age.as_secs())
            .min(LAST_WRITABLE_SECOND);
        Some(
            entry
                .expires_at(UnixTime::since_unix_epoch(Duration::from_secs(expiry)))
                .after_expiry(AfterExpiry::Skip),
        )
    }

    /// The header that expresses `entry` at `now`: its SPKI pins, `max-age` until its expiry
    /// (or `default_max_age` if it has none) and `includeSubDomains` for a `**.` pattern.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rustls_pinning::{HpkpPolicy, Pin, PinEntry, PinSet};
    /// let pins = PinSet::builder().entry(PinEntry::builder("**.example.com".parse()?)
    ///     .pin(Pin::spki_sha256([1; 32])).backup_pin(Pin::spki_sha256([2; 32]))).build()?;
    /// let entry = pins.entries().next().unwrap();
    /// let header = HpkpPolicy::from_entry(entry, rustls::pki_types::UnixTime::now(), Duration::from_secs(60))?;
    /// assert!(header.to_string().ends_with("max-age=60; includeSubDomains"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`HpkpError::NotExpressible`] for what HPKP has no words for: certificate pins, pins
    /// scoped to a position, deny pins, `*.` and IP patterns, or an entry already expired.
    pub fn from_entry(
        entry: &PinEntry,
        now: UnixTime,
        default_max_age: Duration,
    ) -> Result<Self, HpkpError> {
        let refuse = |reason| HpkpError::NotExpressible {
            pattern: entry.pattern().clone(),
            reason,
        };
        let include_subdomains = match entry.pattern().kind() {
            HostPatternKind::Exact => false,
            HostPatternKind::AnyDepthWildcard => true,
            _ => {
                return Err(refuse(
                    "HPKP only pins a host name, with or without its subdomains",
                ))
            }
        };
        if !entry.denied_pins().is_empty() {
            return Err(refuse("HPKP has no deny pins"));
        }
        let mut pins = Vec::new();
        for scoped in entry.allowed_pins() {
            if scoped.pin().kind() != PinKind::Spki {
                return Err(refuse("HPKP only has SPKI pins"));
            }
            if scoped.scope() != PinScope::Any {
                return Err(refuse("HPKP pins match any certificate of the path"));
            }
            pins.push(scoped.pin());
        }
        let max_age = match entry.expires_at() {
            Some(expiry) if expiry.as_secs() <= now.as_secs() => {
                return Err(refuse("the entry has expired"))
            }
            Some(expiry) => Duration::from_secs(expiry.as_secs() - now.as_secs()),
            None => default_max_age,
        };
        Ok(Self {
            pins,
            max_age: Some(max_age),
            include_subdomains,
            report_uri: None,
            report_only: entry.mode() == EnforcementMode::ReportOnly,
        })
    }
}

/// Writes the header value (without the header name; see [`HpkpPolicy::is_report_only`]
/// for which header it belongs in).
impl fmt::Display for HpkpPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = "";
        for pin in &self.pins {
            write!(f, "{separator}pin-sha256=\"{}\"", pin.base64())?;
            separator = "; ";
        }
        if let Some(max_age) = self.max_age {
            write!(f, "{separator}max-age={}", max_age.as_secs())?;
        }
        if self.include_subdomains {
            f.write_str("; includeSubDomains")?;
        }
        if let Some(uri) = &self.report_uri {
            write!(
                f,
                "; report-uri=\"{}\"",
                uri.replace('\\', "\\\\").replace('"', "\\\"")
            )?;
        }
        Ok(())
    }
}

/// Splits a header value into directives (RFC 7469 section 2.1 grammar: `;`-separated,
/// optional whitespace, `name[=token|quoted-string]`).
fn directives(value: &str) -> Result<Vec<Directive<'_>>, HpkpError> {
    let bytes = value.as_bytes();
    let mut directives = Vec::new();
    let mut position = 0;
    let skip_whitespace = |mut position: usize| {
        while bytes
            .get(position)
            .is_some_and(|byte| matches!(byte, b' ' | b'\t' | b'\r' | b'\n'))
        {
            position += 1;
        }
        position
    };
    loop {
        position = skip_whitespace(position);
        if position >= bytes.len() {
            break;
        }
        if bytes[position] == b';' {
            // Empty directives (";;") are tolerated.
            position += 1;
            continue;
        }
        let start = position;
        while bytes.get(position).is_some_and(|byte| is_token_byte(*byte)) {
            position += 1;
        }
        let name = value
            .get(start..position)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let invalid = |name: &str, reason: &str| HpkpError::InvalidDirective {
            directive: name.to_owned(),
            offset: start,
            reason: reason.to_owned(),
        };
        if name.is_empty() {
            return Err(invalid("", "expected a directive name"));
        }
        position = skip_whitespace(position);
        let mut directive_value = None;
        if bytes.get(position) == Some(&b'=') {
            position = skip_whitespace(position + 1);
            if bytes.get(position) == Some(&b'"') {
                let mut text = String::new();
                position += 1;
                loop {
                    match bytes.get(position) {
                        None => return Err(invalid(&name, "unterminated quoted string")),
                        Some(b'"') => {
                            position += 1;
                            break;
                        }
                        Some(b'\\') => {
                            let escaped = value
                                .get(position + 1..)
                                .and_then(|rest| rest.chars().next())
                                .ok_or_else(|| invalid(&name, "unterminated quoted string"))?;
                            if !is_quoted_text(escaped) {
                                return Err(invalid(
                                    &name,
                                    "a control character in a quoted string",
                                ));
                            }
                            text.push(escaped);
                            position += 1 + escaped.len_utf8();
                        }
                        Some(_) => {
                            let character = value
                                .get(position..)
                                .and_then(|rest| rest.chars().next())
                                .ok_or_else(|| invalid(&name, "unterminated quoted string"))?;
                            if !is_quoted_text(character) {
                                return Err(invalid(
                                    &name,
                                    "a control character in a quoted string",
                                ));
                            }
                            text.push(character);
                            position += character.len_utf8();
                        }
                    }
                }
                directive_value = Some(Value::Quoted(text));
            } else {
                // Read up to the next separator, so that a value which is not a token (an
                // unquoted pin) is reported by its directive rather than as a stray byte.
                let token_start = position;
                while bytes
                    .get(position)
                    .is_some_and(|byte| !matches!(byte, b';' | b' ' | b'\t' | b'\r' | b'\n'))
                {
                    position += 1;
                }
                let token = value.get(token_start..position).unwrap_or_default();
                if token.is_empty() {
                    return Err(invalid(&name, "expected a value after '='"));
                }
                directive_value = Some(Value::Token(token));
            }
        }
        position = skip_whitespace(position);
        match bytes.get(position) {
            None => {}
            Some(b';') => position += 1,
            Some(_) => return Err(invalid(&name, "expected ';' after the directive")),
        }
        directives.push(Directive {
            name,
            value: directive_value,
            offset: start,
        });
    }
    Ok(directives)
}

/// RFC 7230 `tchar`.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// What RFC 7230 allows in a quoted string, directly (`qdtext`) or after a backslash
/// (`quoted-pair`), quotes and backslashes aside: tab, space, visible ASCII and `obs-text`
/// (here, any non-ASCII character). Control characters are not allowed.
fn is_quoted_text(character: char) -> bool {
    character == '\t' || !character.is_ascii_control()
}

/// RFC 7234 `delta-seconds` (`1*DIGIT`), saturating: section 1.2.1 asks a recipient to take a
/// value larger than it can represent as the largest one it can.
fn delta_seconds(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |seconds, digit| {
        seconds
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    }))
}
