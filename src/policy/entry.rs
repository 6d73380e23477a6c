//! One entry of a pin set: a host pattern, its primary, backup and deny pins, its expiry and
//! its mode.

use std::time::Duration;

use pki_types::UnixTime;

use crate::date::Date;
use crate::policy::error::PinSetError;
use crate::policy::host_pattern::HostPattern;
use crate::policy::pin::Pin;
use crate::policy::rules::{self, entry_pin_methods, Broken, EnforcementMode, EntryPins};
use crate::policy::scope::{PinScope, ScopedPin};

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

/// One host pattern and its pins. Built with [`PinEntry::builder`], read back from
/// [`PinSet::entries`](crate::PinSet::entries) and [`PinSet::lookup`](crate::PinSet::lookup).
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
            pins: EntryPins::default(),
            expires_at: None,
            after_expiry: AfterExpiry::default(),
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

    /// Whether the entry is still in force at `now` but expires within `window` after it: what
    /// [`PinEventKind::ExpiresSoon`](crate::PinEventKind::ExpiresSoon) warns of. A zero window
    /// is never due.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rustls::pki_types::UnixTime;
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// # let set = PinSet::builder().entry(PinEntry::builder("a.example".parse()?)
    /// #     .deny(Pin::spki_sha256([1; 32])).expires_at(UnixTime::since_unix_epoch(Duration::from_secs(100)))).build()?;
    /// let entry = set.lookup("a.example").unwrap();
    /// let at = |secs| UnixTime::since_unix_epoch(Duration::from_secs(secs));
    /// assert!(entry.expires_within(at(90), Duration::from_secs(10)));
    /// assert!(!entry.expires_within(at(89), Duration::from_secs(10)));
    /// assert!(!entry.expires_within(at(100), Duration::from_secs(10)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expires_within(&self, now: UnixTime, window: Duration) -> bool {
        let Some(expiry) = self.expires_at else {
            return false;
        };
        let remaining = expiry.as_secs().saturating_sub(now.as_secs());
        !window.is_zero() && remaining > 0 && remaining <= window.as_secs()
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

/// Builds a [`PinEntry`]; added to a set with [`PinSetBuilder::entry`](crate::PinSetBuilder::entry), validated by
/// [`PinSetBuilder::build`](crate::PinSetBuilder::build).
#[derive(Clone, Debug)]
#[must_use]
pub struct PinEntryBuilder {
    pattern: HostPattern,
    pins: EntryPins,
    expires_at: Option<ExpiryInput>,
    after_expiry: AfterExpiry,
}

#[derive(Clone, Copy, Debug)]
enum ExpiryInput {
    Time(UnixTime),
    Date(Date),
}

impl PinEntryBuilder {
    entry_pin_methods!("PinEntry", "PinEntry::builder(\"a.example\".parse()?)");

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
        self.pins.backup.push(ScopedPin::new(pin, scope));
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

    pub(crate) fn build(self, global_deny: &[ScopedPin]) -> Result<PinEntry, PinSetError> {
        let pattern = self.pattern;
        if let Err(broken) = rules::check(&self.pins, global_deny) {
            return Err(match broken {
                Broken::Empty => PinSetError::EmptyEntry { pattern },
                Broken::BackupWithoutPrimary => PinSetError::BackupWithoutPrimaryPin { pattern },
                Broken::AllowedAndDenied(pin) => PinSetError::PinAllowedAndDenied { pattern, pin },
                Broken::AllowedAndDeniedEverywhere(pin) => {
                    PinSetError::PinAllowedAndDeniedEverywhere { pattern, pin }
                }
                Broken::MissingBackupPin => PinSetError::MissingBackupPin { pattern },
            });
        }
        let expires_at = self.expires_at.map(|input| match input {
            ExpiryInput::Time(time) => time,
            ExpiryInput::Date(date) => date.to_unix_time(),
        });
        // A pin given as both primary and backup is primary.
        let mut allowed = rules::dedup(self.pins.primary).into_vec();
        let backup_from = allowed.len();
        let backup = rules::dedup(self.pins.backup);
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
            denied: rules::dedup(self.pins.denied),
            expires_at,
            after_expiry: self.after_expiry,
            mode: self.pins.mode,
        })
    }
}
