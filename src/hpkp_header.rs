//! RFC 7469 `Public-Key-Pins` header values, to import a policy a web server already
//! publishes (or once published) and to write one back.

use core::fmt;
use std::time::Duration;

use pki_types::UnixTime;

use crate::host_pattern::{HostPattern, HostPatternKind};
use crate::pin::{Pin, PinKind};
use crate::pin_set::{AfterExpiry, EnforcementMode, PinEntry, PinEntryBuilder, PinScope};

/// A parsed `Public-Key-Pins` or `Public-Key-Pins-Report-Only` header value.
///
/// Parsing follows RFC 7469 section 2.1: directives are separated by `;`, names are
/// case-insensitive, `max-age` is required, at least one `pin-sha256` is required and its
/// value must be a quoted string, no directive may appear twice (pins aside), and unknown
/// directives, including pins with other hash algorithms, are ignored.
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
    max_age: Duration,
    include_subdomains: bool,
    report_uri: Option<String>,
    report_only: bool,
}

/// Why a header value was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HpkpError {
    /// `max-age` is missing.
    #[error("Public-Key-Pins: the max-age directive is required")]
    MissingMaxAge,
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
    /// report-only entry.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse_report_only(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=60"#)?;
    /// assert!(policy.is_report_only());
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    ///
    /// # Errors
    /// See [`HpkpError`].
    pub fn parse_report_only(value: &str) -> Result<Self, HpkpError> {
        Self::parse_as(value, true)
    }

    fn parse_as(value: &str, report_only: bool) -> Result<Self, HpkpError> {
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
                    let seconds = text
                        .parse::<u64>()
                        .ok()
                        .filter(|_| text.bytes().all(|byte| byte.is_ascii_digit()))
                        .ok_or_else(|| invalid("expected a number of seconds"))?;
                    max_age = Some(Duration::from_secs(seconds));
                }
                ("max-age", None) => return Err(invalid("expected a number of seconds")),
                ("includesubdomains", None) => include_subdomains = true,
                ("includesubdomains", Some(_)) => return Err(invalid("it takes no value")),
                ("report-uri", Some(Value::Quoted(uri))) => report_uri = Some(uri.clone()),
                ("report-uri", _) => return Err(invalid("the value must be a quoted URI")),
                // Other hash algorithms and future directives: ignored, as the RFC requires.
                _ => {}
            }
        }
        let max_age = max_age.ok_or(HpkpError::MissingMaxAge)?;
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

    /// `max-age`.
    ///
    /// ```
    /// # use rustls_pinning::HpkpPolicy;
    /// let policy = HpkpPolicy::parse(r#"pin-sha256="r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="; max-age=60"#)?;
    /// assert_eq!(policy.max_age().as_secs(), 60);
    /// # Ok::<(), rustls_pinning::HpkpError>(())
    /// ```
    pub fn max_age(&self) -> Duration {
        self.max_age
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
    /// report-only header. `None` when `max-age` is 0, which means "not pinned".
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
        if self.max_age.is_zero() {
            return None;
        }
        let pattern = match (self.include_subdomains, host.exact_name()) {
            (true, Some(name)) => format!("**.{name}").parse().unwrap_or(host),
            _ => host,
        };
        let expiry = UnixTime::since_unix_epoch(Duration::from_secs(
            now.as_secs().saturating_add(self.max_age.as_secs()),
        ));
        let mode = match self.report_only {
            true => EnforcementMode::ReportOnly,
            false => EnforcementMode::Enforce,
        };
        let entry = self
            .pins
            .iter()
            .fold(PinEntry::builder(pattern), |entry, pin| entry.pin(*pin))
            .expires_at(expiry)
            .after_expiry(AfterExpiry::Skip)
            .mode(mode);
        Some(entry)
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
            max_age,
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
        for pin in &self.pins {
            write!(f, "pin-sha256=\"{}\"; ", pin.base64())?;
        }
        write!(f, "max-age={}", self.max_age.as_secs())?;
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
                            text.push(escaped);
                            position += 1 + escaped.len_utf8();
                        }
                        Some(_) => {
                            let character = value
                                .get(position..)
                                .and_then(|rest| rest.chars().next())
                                .ok_or_else(|| invalid(&name, "unterminated quoted string"))?;
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
