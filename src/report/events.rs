//! Pin events: what a verifier tells a [`PinReporter`] about violations, report-only
//! mismatches, skipped expired entries, rotations and coming expiries.

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use pki_types::{CertificateDer, ServerName, UnixTime};

use crate::decision::error::ServerPinningError;
use crate::decision::{host_text, Resolution};
use crate::policy::host_pattern::HostPattern;
use crate::policy::{EnforcementMode, PinEntry, PinSet, ScopedPin};

/// Receives [`PinEvent`]s from a verifier.
///
/// It is called synchronously, on the thread doing the handshake, after the verifier has
/// decided; it cannot change the decision. It must return quickly and never block: hand slow
/// work (network, disk) to another thread, as
/// [`BackgroundReporter`](crate::report::reporters::BackgroundReporter) does. A panic inside
/// `report` is caught and does not affect the handshake (unless the program is built with
/// `panic = "abort"`).
///
/// ```
/// use rustls_pinning::{PinEvent, PinEventKind, PinReporter};
///
/// #[derive(Debug)]
/// struct Alarm;
///
/// impl PinReporter for Alarm {
///     fn report(&self, event: &PinEvent) {
///         if event.kind == PinEventKind::Violation {
///             eprintln!("refused {}: {:?}", event.host, event.error);
///         }
///     }
/// }
/// ```
pub trait PinReporter: Send + Sync + fmt::Debug {
    /// Handles one event. Must not block.
    fn report(&self, event: &PinEvent);
}

/// What happened.
///
/// ```
/// use rustls_pinning::PinEventKind;
/// assert_eq!(PinEventKind::BackupPinInUse.to_string(), "backup-pin-in-use");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinEventKind {
    /// An enforced pin check failed and the connection was rejected.
    Violation,
    /// A pin check failed in report-only mode; the connection was accepted.
    ReportOnlyViolation,
    /// An expired entry was not enforced ([`AfterExpiry::Skip`](crate::AfterExpiry::Skip)).
    ExpiredEntrySkipped,
    /// The connection matched only pins marked as backup: the server rotated to a reserve
    /// key, and the entry's primary pin should be updated.
    BackupPinInUse,
    /// The entry expires within the configured warning window
    /// ([`Reporting::warn_before_expiry`]).
    ExpiresSoon,
}

impl PinEventKind {
    fn label(self) -> &'static str {
        match self {
            Self::Violation => "violation",
            Self::ReportOnlyViolation => "report-only-violation",
            Self::ExpiredEntrySkipped => "expired-entry-skipped",
            Self::BackupPinInUse => "backup-pin-in-use",
            Self::ExpiresSoon => "expires-soon",
        }
    }
}

impl fmt::Display for PinEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Whether the connection went ahead.
///
/// ```
/// use rustls_pinning::Outcome;
/// assert_ne!(Outcome::Accepted, Outcome::Rejected);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The verifier accepted the server.
    Accepted,
    /// The verifier rejected the server.
    Rejected,
}

/// One event, with everything needed to act on it without reproducing the connection.
///
/// Events are only raised for chains that passed validation and the name check: a broken
/// chain is a chain error, reported by rustls as usual, not a pin event.
///
/// ```
/// use rustls_pinning::{PinEvent, PinEventKind, Outcome};
///
/// fn describe(event: &PinEvent) -> String {
///     let pattern = event.pattern.as_ref().map(|p| p.to_string()).unwrap_or_default();
///     format!("{} for {} (entry {pattern}): {:?}", event.kind, event.host, event.outcome)
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinEvent {
    /// What happened.
    pub kind: PinEventKind,
    /// The server name the client asked for.
    pub host: String,
    /// The port, when the verifier was told it ([`Reporting::port`]); rustls does not pass
    /// it to verifiers.
    pub port: Option<u16>,
    /// The pattern of the entry concerned, if an entry applied.
    pub pattern: Option<HostPattern>,
    /// That entry's mode.
    pub mode: Option<EnforcementMode>,
    /// When that entry expires, if it does.
    pub expires_at: Option<UnixTime>,
    /// The verified path, leaf first. The trust anchor's certificate is last when the
    /// verifier was given it (`with_root_certificates`); a trust anchor alone has no
    /// certificate to show. In wrap mode: the leaf and the CA certificates proven to sign it;
    /// in pins-only mode: the leaf.
    pub verified_chain: Vec<CertificateDer<'static>>,
    /// The certificates the server presented, leaf first.
    pub served_chain: Vec<CertificateDer<'static>>,
    /// The entry's allowed pins, primary first, then backup.
    pub known_pins: Vec<ScopedPin>,
    /// How many of `known_pins` are primary; the rest are backup pins.
    pub primary_pin_count: usize,
    /// The entry's deny pins, then the pins denied everywhere.
    pub denied_pins: Vec<ScopedPin>,
    /// For [`PinEventKind::BackupPinInUse`], the backup pin that matched.
    pub matched_pin: Option<ScopedPin>,
    /// Whether the connection went ahead.
    pub outcome: Outcome,
    /// The pin failure: the error returned for a violation, or the one that enforcement
    /// would have returned for a report-only violation.
    pub error: Option<ServerPinningError>,
    /// The verification time rustls passed to the verifier.
    pub time: UnixTime,
}

/// How a verifier reports: the reporter and its options. Attach it with the verifier
/// builders' `with_reporting`.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use rustls_pinning::{reporters::MemoryReporter, Reporting};
///
/// let memory = Arc::new(MemoryReporter::new(100));
/// let reporting = Reporting::new(memory.clone())
///     .warn_before_expiry(Duration::from_secs(14 * 24 * 3600))
///     .port(443);
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Reporting {
    reporter: Arc<dyn PinReporter>,
    expiry_warning: Duration,
    port: Option<u16>,
}

/// The default [`Reporting::warn_before_expiry`] window: 30 days.
pub const DEFAULT_EXPIRY_WARNING: Duration = Duration::from_secs(30 * 24 * 60 * 60);

impl Reporting {
    /// Reports to `reporter`, warning 30 days before an entry expires.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{reporters::MemoryReporter, Reporting};
    /// let reporting = Reporting::new(Arc::new(MemoryReporter::new(10)));
    /// ```
    pub fn new(reporter: Arc<dyn PinReporter>) -> Self {
        Self {
            reporter,
            expiry_warning: DEFAULT_EXPIRY_WARNING,
            port: None,
        }
    }

    /// Raises [`PinEventKind::ExpiresSoon`] for a connection to an entry that expires within
    /// `window`: once per entry and verifier, on the first such connection. A zero window
    /// turns the warning off.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use rustls_pinning::{reporters::MemoryReporter, Reporting};
    /// let reporting = Reporting::new(Arc::new(MemoryReporter::new(10)))
    ///     .warn_before_expiry(Duration::from_secs(7 * 24 * 3600));
    /// ```
    pub fn warn_before_expiry(mut self, window: Duration) -> Self {
        self.expiry_warning = window;
        self
    }

    /// The port every connection through this verifier uses, for the events' `port`.
    /// Leave it unset when one verifier serves several ports.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{reporters::MemoryReporter, Reporting};
    /// let reporting = Reporting::new(Arc::new(MemoryReporter::new(10))).port(8443);
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
}

/// A verifier's reporting state.
pub(crate) struct Reporter {
    config: Reporting,
    /// One flag per entry of the pin set: whether `ExpiresSoon` was raised for it.
    warned: Box<[AtomicBool]>,
}

/// What a verification found, for the events it raises.
pub(crate) struct Observation<'a> {
    pub(crate) resolution: &'a Resolution<'a>,
    /// The verified path: the accepted one, or the first rejected one.
    pub(crate) verified_chain: Vec<CertificateDer<'static>>,
    /// The backup pin an accepted path matched through, if only a backup matched.
    pub(crate) backup: Option<ScopedPin>,
    /// The pin failure, enforced or tolerated.
    pub(crate) error: Option<ServerPinningError>,
    pub(crate) outcome: Outcome,
}

/// The connection an observation is about.
pub(crate) struct Connection<'a> {
    pub(crate) server_name: &'a ServerName<'a>,
    pub(crate) end_entity: &'a CertificateDer<'a>,
    pub(crate) intermediates: &'a [CertificateDer<'a>],
    pub(crate) now: UnixTime,
}

impl Reporter {
    pub(crate) fn new(config: Reporting, pins: &PinSet) -> Self {
        Self {
            config,
            warned: pins.entries().map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// Whether a connection resolved this way could raise an event when it is accepted, so
    /// that the accepted path is worth keeping. Cheap: no allocation.
    pub(crate) fn wants_accepted_path(
        &self,
        pins: &PinSet,
        resolution: &Resolution<'_>,
        now: UnixTime,
    ) -> bool {
        match resolution {
            Resolution::Pinned(entry) => self.expiry_warning_due(pins, entry, now),
            Resolution::Unpinned(expired) => expired.is_some(),
            Resolution::Rejected => true,
        }
    }

    fn expiry_warning_due(&self, pins: &PinSet, entry: &PinEntry, now: UnixTime) -> bool {
        entry.expires_within(now, self.config.expiry_warning)
            && pins
                .index_of(entry)
                .and_then(|index| self.warned.get(index))
                .is_some_and(|flag| !flag.load(Ordering::Relaxed))
    }

    /// Takes the right to raise `ExpiresSoon` for `entry`: true once per entry.
    fn claim_expiry_warning(&self, pins: &PinSet, entry: &PinEntry, now: UnixTime) -> bool {
        self.expiry_warning_due(pins, entry, now)
            && pins
                .index_of(entry)
                .and_then(|index| self.warned.get(index))
                .is_some_and(|flag| {
                    flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                        .is_ok()
                })
    }

    /// Raises the events an observation calls for.
    pub(crate) fn observe(
        &self,
        pins: &PinSet,
        connection: &Connection<'_>,
        observation: Observation<'_>,
    ) {
        let resolution = observation.resolution;
        let entry = match resolution {
            Resolution::Pinned(entry) => Some(*entry),
            Resolution::Unpinned(expired) => *expired,
            Resolution::Rejected => None,
        };
        // At most one event of each kind; kept on the stack so that a connection with
        // nothing to report costs no allocation.
        let mut kinds = [None; 4];
        if let Resolution::Unpinned(Some(_)) = resolution {
            kinds[0] = Some(PinEventKind::ExpiredEntrySkipped);
        }
        if observation.error.is_some() {
            kinds[1] = Some(match observation.outcome {
                Outcome::Accepted => PinEventKind::ReportOnlyViolation,
                Outcome::Rejected => PinEventKind::Violation,
            });
        }
        if let Resolution::Pinned(entry) = resolution {
            if observation.backup.is_some() && observation.outcome == Outcome::Accepted {
                kinds[2] = Some(PinEventKind::BackupPinInUse);
            }
            if self.claim_expiry_warning(pins, entry, connection.now) {
                kinds[3] = Some(PinEventKind::ExpiresSoon);
            }
        }
        if kinds.iter().all(Option::is_none) {
            return;
        }
        let mut event = PinEvent {
            kind: PinEventKind::Violation,
            host: host_text(connection.server_name),
            port: self.config.port,
            pattern: entry.map(|entry| entry.pattern().clone()),
            mode: entry.map(PinEntry::mode),
            expires_at: entry.and_then(PinEntry::expires_at),
            verified_chain: observation.verified_chain,
            served_chain: core::iter::once(connection.end_entity)
                .chain(connection.intermediates)
                .map(|certificate| certificate.clone().into_owned())
                .collect(),
            known_pins: entry.map_or_else(Vec::new, |entry| entry.allowed_pins().to_vec()),
            primary_pin_count: entry.map_or(0, |entry| entry.primary_pins().len()),
            denied_pins: entry
                .map_or(&[][..], PinEntry::denied_pins)
                .iter()
                .chain(pins.globally_denied_pins())
                .copied()
                .collect(),
            matched_pin: None,
            outcome: observation.outcome,
            error: observation.error,
            time: connection.now,
        };
        for kind in kinds.into_iter().flatten() {
            event.kind = kind;
            event.matched_pin = match kind {
                PinEventKind::BackupPinInUse => observation.backup,
                _ => None,
            };
            self.emit(&event);
        }
    }

    fn emit(&self, event: &PinEvent) {
        let reporter = &self.config.reporter;
        // A reporter's bug must not decide a handshake: the verdict is already made.
        let _ = catch_unwind(AssertUnwindSafe(|| reporter.report(event)));
    }
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
