//! Ready-made [`PinReporter`]s: in memory, de-duplicating, on a background thread, and
//! through the `log` facade.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pki_types::UnixTime;
use rustls::time_provider::{DefaultTimeProvider, TimeProvider};
use sha2::{Digest, Sha256};

use crate::report::{PinEvent, PinReporter};

/// A poisoned lock only means another reporter call panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Keeps the last `capacity` events in memory: for tests, and for a health endpoint that
/// shows recent pin trouble.
///
/// ```
/// use std::sync::Arc;
/// use rustls_pinning::{reporters::MemoryReporter, Reporting};
///
/// let events = Arc::new(MemoryReporter::new(50));
/// let reporting = Reporting::new(events.clone());
/// // ... build a verifier with `with_reporting(reporting)` and connect ...
/// assert!(events.events().is_empty());
/// ```
pub struct MemoryReporter {
    capacity: usize,
    events: Mutex<VecDeque<PinEvent>>,
}

impl MemoryReporter {
    /// Keeps at most `capacity` events, dropping the oldest.
    ///
    /// ```
    /// # use rustls_pinning::reporters::MemoryReporter;
    /// let events = MemoryReporter::new(10);
    /// assert_eq!(events.len(), 0);
    /// ```
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            events: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    /// The events kept, oldest first.
    ///
    /// ```
    /// # use rustls_pinning::reporters::MemoryReporter;
    /// assert!(MemoryReporter::new(10).events().is_empty());
    /// ```
    pub fn events(&self) -> Vec<PinEvent> {
        lock(&self.events).iter().cloned().collect()
    }

    /// Removes and returns the events kept, oldest first.
    ///
    /// ```
    /// # use rustls_pinning::reporters::MemoryReporter;
    /// let events = MemoryReporter::new(10);
    /// assert!(events.take().is_empty());
    /// ```
    pub fn take(&self) -> Vec<PinEvent> {
        lock(&self.events).drain(..).collect()
    }

    /// How many events are kept.
    ///
    /// ```
    /// # use rustls_pinning::reporters::MemoryReporter;
    /// assert_eq!(MemoryReporter::new(10).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        lock(&self.events).len()
    }

    /// Whether no event is kept.
    ///
    /// ```
    /// # use rustls_pinning::reporters::MemoryReporter;
    /// assert!(MemoryReporter::new(10).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        lock(&self.events).is_empty()
    }
}

impl PinReporter for MemoryReporter {
    fn report(&self, event: &PinEvent) {
        if self.capacity == 0 {
            return;
        }
        let mut events = lock(&self.events);
        while events.len() >= self.capacity {
            events.pop_front();
        }
        events.push_back(event.clone());
    }
}

impl fmt::Debug for MemoryReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReporter")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

/// The default [`DeduplicatingReporter`] window: 24 hours, as TrustKit does.
pub const DEFAULT_DEDUPLICATION_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// The most distinct reports a [`DeduplicatingReporter`] remembers; beyond it the oldest are
/// forgotten (and may be sent again), so a flood of distinct failures cannot grow memory.
pub const MAX_REMEMBERED_REPORTS: usize = 4096;

/// Passes an event on to another reporter unless an identical one (same kind, host, port,
/// served and verified chains, pins and outcome) was passed on within the window.
///
/// Time comes from a [`TimeProvider`], the system clock unless
/// [`with_time_provider`](Self::with_time_provider) injects another.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use rustls_pinning::reporters::{DeduplicatingReporter, MemoryReporter};
///
/// let inner = Arc::new(MemoryReporter::new(100));
/// let deduplicated = DeduplicatingReporter::new(inner.clone())
///     .with_window(Duration::from_secs(3600));
/// ```
pub struct DeduplicatingReporter {
    inner: Arc<dyn PinReporter>,
    window: Duration,
    clock: Arc<dyn TimeProvider>,
    /// When each report was last passed on, by a digest of what makes it identical.
    sent: Mutex<HashMap<[u8; 32], UnixTime>>,
    suppressed: AtomicU64,
}

impl DeduplicatingReporter {
    /// Wraps `inner` with a 24-hour window and the system clock.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::reporters::{DeduplicatingReporter, MemoryReporter};
    /// let reporter = DeduplicatingReporter::new(Arc::new(MemoryReporter::new(10)));
    /// ```
    pub fn new(inner: Arc<dyn PinReporter>) -> Self {
        Self {
            inner,
            window: DEFAULT_DEDUPLICATION_WINDOW,
            clock: Arc::new(DefaultTimeProvider),
            sent: Mutex::new(HashMap::new()),
            suppressed: AtomicU64::new(0),
        }
    }

    /// Sets how long an identical report is held back.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use rustls_pinning::reporters::{DeduplicatingReporter, MemoryReporter};
    /// let reporter = DeduplicatingReporter::new(Arc::new(MemoryReporter::new(10)))
    ///     .with_window(Duration::from_secs(600));
    /// ```
    #[must_use]
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Reads time from `clock` instead of the system clock. If it has no time, the event's
    /// own time is used.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::reporters::{DeduplicatingReporter, MemoryReporter};
    /// let reporter = DeduplicatingReporter::new(Arc::new(MemoryReporter::new(10)))
    ///     .with_time_provider(Arc::new(rustls::time_provider::DefaultTimeProvider));
    /// ```
    #[must_use]
    pub fn with_time_provider(mut self, clock: Arc<dyn TimeProvider>) -> Self {
        self.clock = clock;
        self
    }

    /// How many events were held back so far.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::reporters::{DeduplicatingReporter, MemoryReporter};
    /// let reporter = DeduplicatingReporter::new(Arc::new(MemoryReporter::new(10)));
    /// assert_eq!(reporter.suppressed(), 0);
    /// ```
    pub fn suppressed(&self) -> u64 {
        self.suppressed.load(Ordering::Relaxed)
    }

    /// What makes two reports identical, hashed so the table stays small.
    fn identity(event: &PinEvent) -> [u8; 32] {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        };
        field(event.kind.to_string().as_bytes());
        field(event.host.as_bytes());
        field(&event.port.map_or([0; 3], |port| {
            let [high, low] = port.to_be_bytes();
            [1, high, low]
        }));
        for certificate in &event.served_chain {
            field(certificate.as_ref());
        }
        field(b"|");
        for certificate in &event.verified_chain {
            field(certificate.as_ref());
        }
        field(b"|");
        for pin in event.known_pins.iter().chain(&event.denied_pins) {
            field(pin.to_string().as_bytes());
        }
        field(format!("{:?}", event.outcome).as_bytes());
        hasher.finalize().into()
    }
}

impl PinReporter for DeduplicatingReporter {
    fn report(&self, event: &PinEvent) {
        let now = self.clock.current_time().unwrap_or(event.time);
        let identity = Self::identity(event);
        let window = self.window.as_secs();
        let fresh = {
            let mut sent = lock(&self.sent);
            let recent = sent
                .get(&identity)
                .is_some_and(|last| now.as_secs().saturating_sub(last.as_secs()) < window);
            if !recent {
                if sent.len() >= MAX_REMEMBERED_REPORTS {
                    sent.retain(|_, last| now.as_secs().saturating_sub(last.as_secs()) < window);
                }
                if sent.len() >= MAX_REMEMBERED_REPORTS {
                    let oldest = sent
                        .iter()
                        .min_by_key(|(_, last)| last.as_secs())
                        .map(|(key, _)| *key);
                    if let Some(oldest) = oldest {
                        sent.remove(&oldest);
                    }
                }
                sent.insert(identity, now);
            }
            !recent
        };
        // The inner reporter runs outside the lock, so a slow one holds back nobody else.
        match fresh {
            true => self.inner.report(event),
            false => {
                self.suppressed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl fmt::Debug for DeduplicatingReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeduplicatingReporter")
            .field("inner", &self.inner)
            .field("window", &self.window)
            .field("suppressed", &self.suppressed())
            .finish_non_exhaustive()
    }
}

/// Hands events to another reporter on a thread of its own, through a bounded queue: for
/// reporters that block (network, disk). When the queue is full, events are dropped and
/// counted rather than making the handshake wait.
///
/// The thread ends once the `BackgroundReporter` is dropped and the queue is drained.
///
/// ```
/// use std::sync::Arc;
/// use rustls_pinning::reporters::{BackgroundReporter, MemoryReporter};
///
/// let slow = Arc::new(MemoryReporter::new(100)); // stands for a reporter that posts over HTTP
/// let background = BackgroundReporter::spawn(slow, 256)?;
/// assert_eq!(background.dropped(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct BackgroundReporter {
    queue: SyncSender<PinEvent>,
    dropped: AtomicU64,
    inner: Arc<dyn PinReporter>,
}

impl BackgroundReporter {
    /// Starts the thread, with room for `capacity` waiting events.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::reporters::{BackgroundReporter, MemoryReporter};
    /// let reporter = BackgroundReporter::spawn(Arc::new(MemoryReporter::new(10)), 64)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn spawn(inner: Arc<dyn PinReporter>, capacity: usize) -> std::io::Result<Self> {
        let (queue, events) = sync_channel::<PinEvent>(capacity.max(1));
        let worker = inner.clone();
        std::thread::Builder::new()
            .name(String::from("pin-reporter"))
            .spawn(move || {
                for event in events {
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        worker.report(&event)
                    }));
                }
            })?;
        Ok(Self {
            queue,
            dropped: AtomicU64::new(0),
            inner,
        })
    }

    /// How many events were dropped because the queue was full.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::reporters::{BackgroundReporter, MemoryReporter};
    /// let reporter = BackgroundReporter::spawn(Arc::new(MemoryReporter::new(10)), 64)?;
    /// assert_eq!(reporter.dropped(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl PinReporter for BackgroundReporter {
    fn report(&self, event: &PinEvent) {
        match self.queue.try_send(event.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl fmt::Debug for BackgroundReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundReporter")
            .field("inner", &self.inner)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

/// Logs each event through the `log` facade, as rustls logs: violations at `error`, other
/// events at `warn`, with the host, entry, outcome and error text. Target:
/// `rustls_pinning::report`.
///
/// ```
/// use std::sync::Arc;
/// use rustls_pinning::{reporters::LogReporter, Reporting};
/// let reporting = Reporting::new(Arc::new(LogReporter));
/// ```
#[cfg(feature = "log")]
#[derive(Clone, Copy, Debug, Default)]
pub struct LogReporter;

#[cfg(feature = "log")]
impl PinReporter for LogReporter {
    fn report(&self, event: &PinEvent) {
        use crate::report::PinEventKind;
        let level = match event.kind {
            PinEventKind::Violation => log::Level::Error,
            _ => log::Level::Warn,
        };
        let pattern = event
            .pattern
            .as_ref()
            .map_or_else(|| String::from("(none)"), ToString::to_string);
        let detail = match (&event.error, event.matched_pin) {
            (Some(error), _) => format!(": {error}"),
            (None, Some(pin)) => format!(": matched backup pin {pin}; promote it to primary"),
            (None, None) => event
                .expires_at
                .map(|expiry| {
                    format!(
                        ": entry expires at {}",
                        crate::date::format_rfc3339(expiry.as_secs())
                    )
                })
                .unwrap_or_default(),
        };
        log::log!(
            target: "rustls_pinning::report",
            level,
            "{} for \"{}\" (entry {pattern}, {:?}){detail}",
            event.kind,
            event.host,
            event.outcome,
        );
    }
}
