//! The pin set: host patterns mapped to the pins that must appear on their verified path.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;

use pki_types::UnixTime;

use crate::date::Date;
use crate::host_pattern::{canonical_host, CanonicalHost, HostPattern};
use crate::name_index::{Form, NameIndex};
use crate::pin::{Pin, PinKind};

/// Which certificates of the verified path a pin may match.
///
/// ```
/// use rustls_pinning::{PinScope, ScopedPin, Pin};
///
/// let root_only = ScopedPin::new(Pin::spki_sha256([0; 32]), PinScope::Root);
/// assert_eq!(root_only.scope(), PinScope::Root);
/// assert_eq!(PinScope::default(), PinScope::Any);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PinScope {
    /// Any certificate of the verified path: leaf, intermediate or trust anchor.
    #[default]
    Any,
    /// The end-entity (leaf) certificate only.
    Leaf,
    /// Any certificate between the leaf and the trust anchor.
    Intermediate,
    /// The trust anchor (root) that the verified path ends in.
    Root,
}

impl PinScope {
    pub(crate) fn admits(self, position: Position) -> bool {
        matches!(
            (self, position),
            (Self::Any, _)
                | (Self::Leaf, Position::Leaf)
                | (Self::Intermediate, Position::Intermediate)
                | (Self::Root, Position::Root)
        )
    }

    fn label(self) -> &'static str {
        match self {
            Self::Any => "any position",
            Self::Leaf => "leaf",
            Self::Intermediate => "intermediate",
            Self::Root => "root",
        }
    }
}

/// Where a certificate sits on a verified path.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    /// The end-entity certificate the server presented first.
    Leaf,
    /// A CA certificate between the leaf and the trust anchor.
    Intermediate,
    /// The trust anchor.
    Root,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Leaf => "leaf",
            Self::Intermediate => "intermediate",
            Self::Root => "root",
        })
    }
}

/// A [`Pin`] together with the [`PinScope`] it applies to.
///
/// ```
/// use rustls_pinning::{Pin, PinScope, ScopedPin};
///
/// let pin = ScopedPin::new(Pin::spki_sha256([0; 32]), PinScope::Leaf);
/// assert_eq!(
///     pin.to_string(),
///     "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= (leaf)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScopedPin {
    pin: Pin,
    scope: PinScope,
}

impl ScopedPin {
    /// A pin restricted to `scope`.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinScope, ScopedPin};
    /// let pin = ScopedPin::new(Pin::spki_sha256([0; 32]), PinScope::Any);
    /// assert_eq!(pin.pin(), Pin::spki_sha256([0; 32]));
    /// ```
    pub const fn new(pin: Pin, scope: PinScope) -> Self {
        Self { pin, scope }
    }

    /// The pin.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinScope, ScopedPin};
    /// assert_eq!(ScopedPin::new(Pin::spki_sha256([1; 32]), PinScope::Any).pin().sha256(), &[1; 32]);
    /// ```
    pub const fn pin(&self) -> Pin {
        self.pin
    }

    /// The pin, borrowed: the pin check compares digests in place.
    pub(crate) const fn pin_ref(&self) -> &Pin {
        &self.pin
    }

    /// The certificates it may match.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinScope, ScopedPin};
    /// assert_eq!(ScopedPin::new(Pin::spki_sha256([1; 32]), PinScope::Leaf).scope(), PinScope::Leaf);
    /// ```
    pub const fn scope(&self) -> PinScope {
        self.scope
    }
}

impl fmt::Display for ScopedPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.pin, self.scope.label())
    }
}

/// Whether an entry's pin failures reject the connection.
///
/// ```
/// use rustls_pinning::EnforcementMode;
/// assert_eq!(EnforcementMode::default(), EnforcementMode::Enforce);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EnforcementMode {
    /// A pin failure rejects the connection.
    #[default]
    Enforce,
    /// A pin failure is noted but the connection proceeds (chain and name failures still
    /// reject). For rolling pins out before enforcing them.
    ReportOnly,
}

/// What an entry does once its expiry time has passed.
///
/// ```
/// use rustls_pinning::AfterExpiry;
/// assert_eq!(AfterExpiry::default(), AfterExpiry::Skip);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AfterExpiry {
    /// The entry is ignored and the host gets plain WebPKI validation: a stale pin set degrades
    /// to ordinary TLS instead of bricking clients that were never updated.
    #[default]
    Skip,
    /// The entry keeps being enforced: for pins whose loss is worse than an outage.
    KeepEnforcing,
}

/// What to do for a host that no entry matches.
///
/// ```
/// use rustls_pinning::UnpinnedHostPolicy;
/// assert_eq!(UnpinnedHostPolicy::default(), UnpinnedHostPolicy::WebPkiOnly);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnpinnedHostPolicy {
    /// Plain WebPKI validation (global deny pins still apply).
    #[default]
    WebPkiOnly,
    /// Reject the connection: every host the client talks to must be pinned.
    Reject,
}

/// One host pattern and its pins. Built with [`PinEntry::builder`], read back from
/// [`PinSet::entries`] and [`PinSet::lookup`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinEntry {
    pattern: HostPattern,
    /// Primary pins first, then backup pins from `backup_from` on.
    allowed: Box<[ScopedPin]>,
    backup_from: usize,
    denied: Box<[ScopedPin]>,
    expires_at: Option<UnixTime>,
    after_expiry: AfterExpiry,
    mode: EnforcementMode,
}

impl PinEntry {
    /// Starts an entry for `pattern`.
    ///
    /// ```
    /// use rustls_pinning::{Pin, PinEntry, PinScope};
    ///
    /// let entry = PinEntry::builder("api.example.com".parse()?)
    ///     .pin(Pin::spki_sha256([1; 32]))
    ///     .pin_at(Pin::spki_sha256([2; 32]), PinScope::Root)
    ///     .expires_on("2030-01-01".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(pattern: HostPattern) -> PinEntryBuilder {
        PinEntryBuilder {
            pattern,
            allowed: Vec::new(),
            backup: Vec::new(),
            denied: Vec::new(),
            expires_at: None,
            after_expiry: AfterExpiry::default(),
            mode: EnforcementMode::default(),
            allow_missing_backup_pin: false,
        }
    }

    /// The host pattern.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .pin(Pin::spki_sha256([1; 32])).pin(Pin::spki_sha256([2; 32]))).build()?;
    /// assert_eq!(set.lookup("a.example").unwrap().pattern().to_string(), "a.example");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pattern(&self) -> &HostPattern {
        &self.pattern
    }

    /// The pins of which at least one must match a certificate of the verified path: the
    /// primary pins, then the backup pins.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .pin(Pin::spki_sha256([1; 32])).backup_pin(Pin::spki_sha256([2; 32]))).build()?;
    /// assert_eq!(set.lookup("a.example").unwrap().allowed_pins().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed_pins(&self) -> &[ScopedPin] {
        &self.allowed
    }

    /// The allowed pins not marked as backup: the keys servers are expected to present.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .pin(Pin::spki_sha256([1; 32])).backup_pin(Pin::spki_sha256([2; 32]))).build()?;
    /// let entry = set.lookup("a.example").unwrap();
    /// assert_eq!(entry.primary_pins()[0].pin(), Pin::spki_sha256([1; 32]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn primary_pins(&self) -> &[ScopedPin] {
        self.allowed
            .get(..self.backup_from)
            .unwrap_or(&self.allowed)
    }

    /// The allowed pins marked as backup: keys held in reserve for the next rotation. A
    /// connection that matches only these is reported as
    /// [`PinEventKind::BackupPinInUse`](crate::PinEventKind::BackupPinInUse).
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .pin(Pin::spki_sha256([1; 32])).backup_pin(Pin::spki_sha256([2; 32]))).build()?;
    /// let entry = set.lookup("a.example").unwrap();
    /// assert_eq!(entry.backup_pins()[0].pin(), Pin::spki_sha256([2; 32]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backup_pins(&self) -> &[ScopedPin] {
        self.allowed.get(self.backup_from..).unwrap_or(&[])
    }

    /// The pins no certificate of the verified path may match.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .deny(Pin::spki_sha256([1; 32]))).build()?;
    /// assert_eq!(set.lookup("a.example").unwrap().denied_pins().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn denied_pins(&self) -> &[ScopedPin] {
        &self.denied
    }

    /// When the entry expires, if it does.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .deny(Pin::spki_sha256([1; 32])).expires_on("2030-01-01".parse()?)).build()?;
    /// let expiry = set.lookup("a.example").unwrap().expires_at().unwrap();
    /// assert_eq!(expiry.as_secs(), 1_893_456_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.expires_at
    }

    /// What happens after the expiry.
    ///
    /// ```
    /// # use rustls_pinning::{AfterExpiry, Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .deny(Pin::spki_sha256([1; 32]))).build()?;
    /// assert_eq!(set.lookup("a.example").unwrap().after_expiry(), AfterExpiry::Skip);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn after_expiry(&self) -> AfterExpiry {
        self.after_expiry
    }

    /// Whether pin failures reject.
    ///
    /// ```
    /// # use rustls_pinning::{EnforcementMode, Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .pin(Pin::spki_sha256([1; 32])).report_only()).build()?;
    /// assert_eq!(set.lookup("a.example").unwrap().mode(), EnforcementMode::ReportOnly);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(&self) -> EnforcementMode {
        self.mode
    }

    /// Whether the entry is past its expiry at `now` (the time rustls passes the verifier).
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// # use rustls::pki_types::UnixTime;
    /// # use std::time::Duration;
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .deny(Pin::spki_sha256([1; 32])).expires_at(UnixTime::since_unix_epoch(Duration::from_secs(100)))).build()?;
    /// let entry = set.lookup("a.example").unwrap();
    /// assert!(!entry.is_expired_at(UnixTime::since_unix_epoch(Duration::from_secs(99))));
    /// assert!(entry.is_expired_at(UnixTime::since_unix_epoch(Duration::from_secs(100))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_expired_at(&self, now: UnixTime) -> bool {
        self.expires_at
            .is_some_and(|expiry| now.as_secs() >= expiry.as_secs())
    }
}

/// Builds a [`PinEntry`]; added to a set with [`PinSetBuilder::entry`], validated by
/// [`PinSetBuilder::build`].
#[derive(Clone, Debug)]
#[must_use]
pub struct PinEntryBuilder {
    pattern: HostPattern,
    allowed: Vec<ScopedPin>,
    backup: Vec<ScopedPin>,
    denied: Vec<ScopedPin>,
    expires_at: Option<ExpiryInput>,
    after_expiry: AfterExpiry,
    mode: EnforcementMode,
    allow_missing_backup_pin: bool,
}

#[derive(Clone, Copy, Debug)]
enum ExpiryInput {
    Time(UnixTime),
    Date(Date),
}

impl PinEntryBuilder {
    /// Allows `pin` on any certificate of the verified path.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry};
    /// let entry = PinEntry::builder("a.example".parse()?).pin("sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pin(self, pin: Pin) -> Self {
        self.pin_at(pin, PinScope::Any)
    }

    /// Allows `pin` only at the positions `scope` names.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinScope};
    /// let entry = PinEntry::builder("a.example".parse()?).pin_at(Pin::spki_sha256([3; 32]), PinScope::Intermediate);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pin_at(mut self, pin: Pin, scope: PinScope) -> Self {
        self.allowed.push(ScopedPin::new(pin, scope));
        self
    }

    /// Allows `pin` on any certificate of the verified path, marked as a backup: a key kept in
    /// reserve that servers are not expected to present yet. It counts towards the backup-pin
    /// rule, and a connection that matches only backup pins is reported as
    /// [`PinEventKind::BackupPinInUse`](crate::PinEventKind::BackupPinInUse), the sign that
    /// the server rotated and the primary pin should be replaced.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry};
    /// let entry = PinEntry::builder("a.example".parse()?)
    ///     .pin(Pin::spki_sha256([1; 32]))
    ///     .backup_pin(Pin::spki_sha256([2; 32]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backup_pin(self, pin: Pin) -> Self {
        self.backup_pin_at(pin, PinScope::Any)
    }

    /// Like [`backup_pin`](Self::backup_pin), at the positions `scope` names.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinScope};
    /// let entry = PinEntry::builder("a.example".parse()?)
    ///     .pin_at(Pin::spki_sha256([1; 32]), PinScope::Intermediate)
    ///     .backup_pin_at(Pin::spki_sha256([2; 32]), PinScope::Intermediate);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backup_pin_at(mut self, pin: Pin, scope: PinScope) -> Self {
        self.backup.push(ScopedPin::new(pin, scope));
        self
    }

    /// Rejects any verified path with a certificate matching `pin`, even when an allowed pin
    /// matches too: for a key known to be compromised or retired.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry};
    /// let entry = PinEntry::builder("a.example".parse()?).deny(Pin::spki_sha256([6; 32]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deny(self, pin: Pin) -> Self {
        self.deny_at(pin, PinScope::Any)
    }

    /// Like [`deny`](Self::deny), at the positions `scope` names.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinScope};
    /// let entry = PinEntry::builder("a.example".parse()?).deny_at(Pin::spki_sha256([6; 32]), PinScope::Leaf);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deny_at(mut self, pin: Pin, scope: PinScope) -> Self {
        self.denied.push(ScopedPin::new(pin, scope));
        self
    }

    /// The entry expires at `time`.
    ///
    /// ```
    /// # use rustls_pinning::PinEntry;
    /// # use rustls::pki_types::UnixTime;
    /// # use std::time::Duration;
    /// let entry = PinEntry::builder("a.example".parse()?)
    ///     .expires_at(UnixTime::since_unix_epoch(Duration::from_secs(1_900_000_000)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expires_at(mut self, time: UnixTime) -> Self {
        self.expires_at = Some(ExpiryInput::Time(time));
        self
    }

    /// The entry expires at 00:00:00 UTC on `date`.
    ///
    /// ```
    /// # use rustls_pinning::PinEntry;
    /// let entry = PinEntry::builder("a.example".parse()?).expires_on("2031-03-01".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expires_on(mut self, date: Date) -> Self {
        self.expires_at = Some(ExpiryInput::Date(date));
        self
    }

    /// What happens after expiry ([`AfterExpiry::Skip`] unless set).
    ///
    /// ```
    /// # use rustls_pinning::{AfterExpiry, PinEntry};
    /// let entry = PinEntry::builder("a.example".parse()?).after_expiry(AfterExpiry::KeepEnforcing);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn after_expiry(mut self, after_expiry: AfterExpiry) -> Self {
        self.after_expiry = after_expiry;
        self
    }

    /// Sets the enforcement mode ([`EnforcementMode::Enforce`] unless set).
    ///
    /// ```
    /// # use rustls_pinning::{EnforcementMode, PinEntry};
    /// let entry = PinEntry::builder("a.example".parse()?).mode(EnforcementMode::ReportOnly);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(mut self, mode: EnforcementMode) -> Self {
        self.mode = mode;
        self
    }

    /// Shorthand for `mode(EnforcementMode::ReportOnly)`.
    ///
    /// ```
    /// # use rustls_pinning::PinEntry;
    /// let entry = PinEntry::builder("a.example".parse()?).report_only();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report_only(self) -> Self {
        self.mode(EnforcementMode::ReportOnly)
    }

    /// Accepts an enforced entry with a single allowed pin. Without a backup pin, the next key
    /// rotation on the server breaks every client still carrying this entry.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// let set = PinSet::builder()
    ///     .entry(PinEntry::builder("a.example".parse()?)
    ///         .pin(Pin::spki_sha256([1; 32]))
    ///         .allow_missing_backup_pin())
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_missing_backup_pin(mut self) -> Self {
        self.allow_missing_backup_pin = true;
        self
    }

    fn build(self, global_deny: &[ScopedPin]) -> Result<PinEntry, PinSetError> {
        let pattern = self.pattern;
        if self.allowed.is_empty() && self.backup.is_empty() && self.denied.is_empty() {
            return Err(PinSetError::EmptyEntry { pattern });
        }
        if self.allowed.is_empty() && !self.backup.is_empty() {
            return Err(PinSetError::BackupWithoutPrimaryPin { pattern });
        }
        for allowed in self.allowed.iter().chain(&self.backup) {
            if self.denied.iter().any(|denied| denied.pin == allowed.pin) {
                return Err(PinSetError::PinAllowedAndDenied {
                    pattern,
                    pin: allowed.pin,
                });
            }
            if global_deny.iter().any(|denied| denied.pin == allowed.pin) {
                return Err(PinSetError::PinAllowedAndDeniedEverywhere {
                    pattern,
                    pin: allowed.pin,
                });
            }
        }
        // Copies of one pin do not make a backup: count distinct digests.
        let distinct = self
            .allowed
            .iter()
            .chain(&self.backup)
            .map(|scoped| scoped.pin)
            .collect::<HashSet<_>>()
            .len();
        if self.mode == EnforcementMode::Enforce
            && !self.allowed.is_empty()
            && distinct < 2
            && !self.allow_missing_backup_pin
        {
            return Err(PinSetError::MissingBackupPin { pattern });
        }
        let expires_at = self.expires_at.map(|input| match input {
            ExpiryInput::Time(time) => time,
            ExpiryInput::Date(date) => date.to_unix_time(),
        });
        // A pin given as both primary and backup is primary.
        let mut allowed = dedup(self.allowed).into_vec();
        let backup_from = allowed.len();
        let backup = dedup(self.backup);
        let backup = backup
            .iter()
            .filter(|pin| !allowed.contains(pin))
            .copied()
            .collect::<Vec<_>>();
        allowed.extend(backup);
        Ok(PinEntry {
            pattern,
            allowed: allowed.into_boxed_slice(),
            backup_from,
            denied: dedup(self.denied),
            expires_at,
            after_expiry: self.after_expiry,
            mode: self.mode,
        })
    }
}

fn dedup(pins: Vec<ScopedPin>) -> Box<[ScopedPin]> {
    let mut seen = HashSet::new();
    pins.into_iter().filter(|pin| seen.insert(*pin)).collect()
}

/// An immutable, validated map from host patterns to pins. Lookup costs a few hash probes per
/// label of the host name, whatever the number of entries.
///
/// Precedence: an exact pattern beats `*.suffix`, which beats the longest matching
/// `**.suffix`; only the winning entry's pins apply.
///
/// ```
/// use rustls_pinning::{Pin, PinEntry, PinSet, UnpinnedHostPolicy};
///
/// let primary: Pin = "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=".parse()?;
/// let backup: Pin = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?;
///
/// let pins = PinSet::builder()
///     .entry(PinEntry::builder("**.example.com".parse()?).pin(primary).pin(backup))
///     .entry(PinEntry::builder("legacy.example.com".parse()?).pin(backup).report_only())
///     .unpinned_hosts(UnpinnedHostPolicy::Reject)
///     .build()?;
///
/// assert_eq!(pins.lookup("api.example.com").unwrap().pattern().to_string(), "**.example.com");
/// assert_eq!(pins.lookup("legacy.example.com").unwrap().allowed_pins().len(), 1);
/// assert!(pins.lookup("example.org").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct PinSet {
    entries: Vec<PinEntry>,
    /// DNS patterns, each stored once, in its entry.
    names: NameIndex,
    ips: HashMap<IpAddr, usize>,
    global_deny: Box<[ScopedPin]>,
    unpinned_hosts: UnpinnedHostPolicy,
}

impl PinSet {
    /// Starts an empty set.
    ///
    /// ```
    /// use rustls_pinning::PinSet;
    /// let empty = PinSet::builder().build()?;
    /// assert!(empty.is_empty());
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn builder() -> PinSetBuilder {
        PinSetBuilder::default()
    }

    /// The entry that applies to `host` (a DNS name, Unicode or punycode, or an IP literal),
    /// by precedence; `None` if no pattern matches.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// let set = PinSet::builder()
    ///     .entry(PinEntry::builder("*.example.com".parse()?).deny(Pin::spki_sha256([1; 32])))
    ///     .build()?;
    /// assert!(set.lookup("www.example.com").is_some());
    /// assert!(set.lookup("example.com").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lookup(&self, host: &str) -> Option<&PinEntry> {
        match canonical_host(host)? {
            CanonicalHost::Ip(ip) => self.lookup_ip(ip),
            CanonicalHost::Dns(name) => self.lookup_normalized_dns(&name),
        }
    }

    /// Lookup for a name that is already lower-case ASCII without a trailing dot.
    pub(crate) fn lookup_normalized_dns(&self, name: &str) -> Option<&PinEntry> {
        let names = &self.names;
        let find = |form, name, digest| {
            names
                .find(|index| self.pattern(index), form, name, digest)
                .and_then(|index| self.entries.get(index))
        };
        // Each suffix of the name is hashed once and probed with every form that applies.
        let any_depth = names.has(Form::AnyDepth);
        let name_digest = (names.has(Form::Exact) || any_depth).then(|| names.digest(name));
        if let Some(entry) = name_digest.and_then(|digest| find(Form::Exact, name, digest)) {
            return Some(entry);
        }
        let parent = name.split_once('.').map(|(_, parent)| parent);
        let parent_digest = parent
            .filter(|_| names.has(Form::OneLabel) || any_depth)
            .map(|parent| (parent, names.digest(parent)));
        if let Some(entry) =
            parent_digest.and_then(|(parent, digest)| find(Form::OneLabel, parent, digest))
        {
            return Some(entry);
        }
        if !any_depth {
            return None;
        }
        if let Some(entry) = name_digest.and_then(|digest| find(Form::AnyDepth, name, digest)) {
            return Some(entry);
        }
        let (mut candidate, digest) = parent_digest?;
        if let Some(entry) = find(Form::AnyDepth, candidate, digest) {
            return Some(entry);
        }
        loop {
            candidate = candidate.split_once('.')?.1;
            if let Some(entry) = find(Form::AnyDepth, candidate, names.digest(candidate)) {
                return Some(entry);
            }
        }
    }

    fn pattern(&self, index: usize) -> Option<&HostPattern> {
        self.entries.get(index).map(|entry| &entry.pattern)
    }

    pub(crate) fn lookup_ip(&self, ip: IpAddr) -> Option<&PinEntry> {
        self.ips.get(&ip).and_then(|&index| self.entries.get(index))
    }

    /// Every entry, in the order they were added.
    ///
    /// ```
    /// # use rustls_pinning::PinSet;
    /// assert_eq!(PinSet::builder().build()?.entries().count(), 0);
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &PinEntry> + '_ {
        self.entries.iter()
    }

    /// The number of entries.
    ///
    /// ```
    /// # use rustls_pinning::PinSet;
    /// assert_eq!(PinSet::builder().build()?.len(), 0);
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set has no entries.
    ///
    /// ```
    /// # use rustls_pinning::PinSet;
    /// assert!(PinSet::builder().build()?.is_empty());
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Pins denied for every host, pinned or not.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinSet};
    /// let set = PinSet::builder().deny_everywhere(Pin::spki_sha256([9; 32])).build()?;
    /// assert_eq!(set.globally_denied_pins().len(), 1);
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn globally_denied_pins(&self) -> &[ScopedPin] {
        &self.global_deny
    }

    /// What happens to hosts no entry matches.
    ///
    /// ```
    /// # use rustls_pinning::{PinSet, UnpinnedHostPolicy};
    /// let set = PinSet::builder().build()?;
    /// assert_eq!(set.unpinned_host_policy(), UnpinnedHostPolicy::WebPkiOnly);
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn unpinned_host_policy(&self) -> UnpinnedHostPolicy {
        self.unpinned_hosts
    }

    /// The position of `entry` in this set, if it is one of its entries (by address, so that
    /// per-entry state can be kept beside the set without hashing patterns).
    pub(crate) fn index_of(&self, entry: &PinEntry) -> Option<usize> {
        let size = core::mem::size_of::<PinEntry>().max(1);
        let offset =
            (entry as *const PinEntry as usize).checked_sub(self.entries.as_ptr() as usize)?;
        let index = offset / size;
        (offset % size == 0 && index < self.entries.len()).then_some(index)
    }

    /// Every pin of every entry and of the global deny list.
    pub(crate) fn all_pins(&self) -> impl Iterator<Item = (Option<&HostPattern>, ScopedPin)> {
        self.entries
            .iter()
            .flat_map(|entry| {
                entry
                    .allowed
                    .iter()
                    .chain(entry.denied.iter())
                    .map(move |pin| (Some(&entry.pattern), *pin))
            })
            .chain(self.global_deny.iter().map(|pin| (None, *pin)))
    }

    /// Whether any pin of the set could need a trust anchor's whole certificate.
    pub(crate) fn root_certificate_pin(&self) -> Option<(Option<&HostPattern>, ScopedPin)> {
        self.all_pins().find(|(_, scoped)| {
            scoped.pin.kind() == PinKind::Certificate && scoped.scope == PinScope::Root
        })
    }
}

/// Builds a [`PinSet`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct PinSetBuilder {
    entries: Vec<PinEntryBuilder>,
    global_deny: Vec<ScopedPin>,
    unpinned_hosts: UnpinnedHostPolicy,
}

impl PinSetBuilder {
    /// Adds an entry.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// let set = PinSet::builder()
    ///     .entry(PinEntry::builder("a.example".parse()?).pin(Pin::spki_sha256([1; 32])).pin(Pin::spki_sha256([2; 32])))
    ///     .build()?;
    /// assert_eq!(set.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn entry(mut self, entry: PinEntryBuilder) -> Self {
        self.entries.push(entry);
        self
    }

    /// Denies `pin` on the verified path of every host, pinned or not, whatever the entry's
    /// mode: for a key known to be compromised.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinSet};
    /// let set = PinSet::builder().deny_everywhere(Pin::spki_sha256([9; 32])).build()?;
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn deny_everywhere(self, pin: Pin) -> Self {
        self.deny_everywhere_at(pin, PinScope::Any)
    }

    /// Like [`deny_everywhere`](Self::deny_everywhere), at the positions `scope` names.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinScope, PinSet};
    /// let set = PinSet::builder().deny_everywhere_at(Pin::spki_sha256([9; 32]), PinScope::Root).build()?;
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn deny_everywhere_at(mut self, pin: Pin, scope: PinScope) -> Self {
        self.global_deny.push(ScopedPin::new(pin, scope));
        self
    }

    /// What to do for hosts no entry matches ([`UnpinnedHostPolicy::WebPkiOnly`] unless set).
    ///
    /// ```
    /// # use rustls_pinning::{PinSet, UnpinnedHostPolicy};
    /// let set = PinSet::builder().unpinned_hosts(UnpinnedHostPolicy::Reject).build()?;
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn unpinned_hosts(mut self, policy: UnpinnedHostPolicy) -> Self {
        self.unpinned_hosts = policy;
        self
    }

    /// Validates every entry and builds the lookup index.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet, PinSetError};
    /// let lonely = PinSet::builder()
    ///     .entry(PinEntry::builder("a.example".parse()?).pin(Pin::spki_sha256([1; 32])))
    ///     .build();
    /// assert!(matches!(lonely, Err(PinSetError::MissingBackupPin { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The first problem found, naming the entry's pattern and, where one is at fault, the pin.
    pub fn build(self) -> Result<PinSet, PinSetError> {
        let global_deny = dedup(self.global_deny);
        let mut set = PinSet {
            entries: Vec::with_capacity(self.entries.len()),
            names: NameIndex::with_capacity(self.entries.len()),
            ips: HashMap::new(),
            global_deny,
            unpinned_hosts: self.unpinned_hosts,
        };
        for builder in self.entries {
            let entry = builder.build(&set.global_deny)?;
            let index = set.entries.len();
            let pattern = &entry.pattern;
            let fresh = if let Some(ip) = pattern.ip() {
                set.ips.insert(ip, index).is_none()
            } else if let Some((form, name)) = Form::of(pattern) {
                let entries = &set.entries;
                set.names.insert(
                    |index| entries.get(index).map(|entry| &entry.pattern),
                    form,
                    name,
                    index,
                )
            } else {
                true
            };
            if !fresh {
                return Err(PinSetError::DuplicatePattern {
                    pattern: entry.pattern,
                });
            }
            set.entries.push(entry);
        }
        set.names.shrink_to_fit();
        set.ips.shrink_to_fit();
        Ok(set)
    }
}

/// Why a [`PinSet`] could not be built.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinSetError {
    /// An enforced entry has a single distinct allowed pin and did not opt out with
    /// [`PinEntryBuilder::allow_missing_backup_pin`].
    #[error(
        "entry \"{pattern}\" has one allowed pin and no backup: add a backup_pin() (a key \
         not served today, kept offline for rotation) or call allow_missing_backup_pin()"
    )]
    MissingBackupPin {
        /// The entry's pattern.
        pattern: HostPattern,
    },
    /// An entry has neither allowed nor denied pins.
    #[error("entry \"{pattern}\" has no pins")]
    EmptyEntry {
        /// The entry's pattern.
        pattern: HostPattern,
    },
    /// An entry has backup pins but no primary pin: the primary is the key servers present
    /// today, and without one every connection would look like a rotation.
    #[error(
        "entry \"{pattern}\" has backup pins but no primary pin: mark the key servers present \
         today with pin() and keep backup_pin() for keys held in reserve"
    )]
    BackupWithoutPrimaryPin {
        /// The entry's pattern.
        pattern: HostPattern,
    },
    /// Two entries have the same pattern.
    #[error("pattern \"{pattern}\" appears in more than one entry")]
    DuplicatePattern {
        /// The repeated pattern.
        pattern: HostPattern,
    },
    /// A pin is both allowed and denied in one entry.
    #[error("entry \"{pattern}\" both allows and denies {pin}")]
    PinAllowedAndDenied {
        /// The entry's pattern.
        pattern: HostPattern,
        /// The contradictory pin.
        pin: Pin,
    },
    /// An entry allows a pin that is denied for every host.
    #[error("entry \"{pattern}\" allows {pin}, which is denied everywhere")]
    PinAllowedAndDeniedEverywhere {
        /// The entry's pattern.
        pattern: HostPattern,
        /// The contradictory pin.
        pin: Pin,
    },
}
