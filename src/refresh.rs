//! Fetching bundles in the background: a [`PinSource`] and the loop that keeps a
//! [`PinStore`] up to date (feature `dynamic`).

use core::fmt;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use pki_types::UnixTime;

use crate::bundle::BundleError;
use crate::pin_store::{ApplyOutcome, PinStore};

/// A bundle as fetched: the body and its detached signature, both unverified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedBundle {
    /// The body's exact bytes.
    pub body: Vec<u8>,
    /// The signature document.
    pub signature: Vec<u8>,
}

/// The error a source reports; the loop only logs it and retries.
pub type FetchError = Box<dyn std::error::Error + Send + Sync>;

/// Where bundles come from: an HTTP endpoint, a file, a configuration service.
///
/// `fetch` runs on the refresh thread and may block (with its own timeouts). Whatever it
/// returns is verified by the store before it is used, so a source needs no trust of its
/// own; still, fetch over a connection pinned by the static policy, so that an attacker
/// cannot even delay updates unnoticed.
///
/// ```
/// use rustls_pinning::refresh::{FetchError, FetchedBundle, PinSource};
///
/// #[derive(Debug)]
/// struct Files;
///
/// impl PinSource for Files {
///     fn fetch(&self) -> Result<FetchedBundle, FetchError> {
///         Ok(FetchedBundle {
///             body: std::fs::read("/etc/app/pins.bundle.json")?,
///             signature: std::fs::read("/etc/app/pins.bundle.json.sig")?,
///         })
///     }
/// }
/// ```
pub trait PinSource: Send + Sync + fmt::Debug {
    /// Fetches the current bundle.
    fn fetch(&self) -> Result<FetchedBundle, FetchError>;
}

/// When the loop runs.
///
/// ```
/// use std::time::Duration;
/// use rustls_pinning::refresh::RefreshSchedule;
///
/// let schedule = RefreshSchedule::default().interval(Duration::from_secs(3600));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct RefreshSchedule {
    interval: Duration,
    first_retry: Duration,
    max_retry: Duration,
}

impl Default for RefreshSchedule {
    /// Every 6 hours; after a failure, retry after 30 seconds, doubling up to 1 hour.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(6 * 3600),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(3600),
        }
    }
}

/// What one refresh did.
#[non_exhaustive]
#[derive(Debug)]
pub enum RefreshOutcome {
    /// A new bundle was applied.
    Applied {
        /// Its version.
        version: u64,
    },
    /// The source served the bundle already in force.
    Unchanged,
    /// The source failed; the bundle in force (if any) is kept.
    FetchFailed(FetchError),
    /// The store refused the bundle; the bundle in force (if any) is kept.
    Rejected(BundleError),
}

impl RefreshOutcome {
    fn is_failure(&self) -> bool {
        matches!(self, Self::FetchFailed(_) | Self::Rejected(_))
    }
}

impl RefreshSchedule {
    /// The time between successful refreshes.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rustls_pinning::refresh::RefreshSchedule;
    /// let schedule = RefreshSchedule::default().interval(Duration::from_secs(600));
    /// ```
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The first retry delay after a failure, and the most it doubles to.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rustls_pinning::refresh::RefreshSchedule;
    /// let schedule = RefreshSchedule::default().retry(Duration::from_secs(5), Duration::from_secs(300));
    /// ```
    pub fn retry(mut self, first: Duration, max: Duration) -> Self {
        self.first_retry = first.max(Duration::from_millis(1));
        self.max_retry = max.max(self.first_retry);
        self
    }

    /// The delay before the next refresh.
    ///
    /// After `failures` consecutive failures (0 after a success): the first retry delay
    /// doubled per further failure, capped, then jittered down by up to half (`jitter` in
    /// `[0, 1)`), so that a fleet does not retry in step. Otherwise the interval, shortened
    /// near the bundle's expiry to a quarter of the time left (at least the first retry
    /// delay), so that several attempts happen before the fallback to static pins.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rustls_pinning::refresh::RefreshSchedule;
    /// let schedule = RefreshSchedule::default()
    ///     .interval(Duration::from_secs(3600))
    ///     .retry(Duration::from_secs(10), Duration::from_secs(600));
    /// assert_eq!(schedule.next_delay(0, None, 0.0), Duration::from_secs(3600));
    /// assert_eq!(schedule.next_delay(0, Some(Duration::from_secs(4000)), 0.0), Duration::from_secs(1000));
    /// assert_eq!(schedule.next_delay(3, None, 0.0), Duration::from_secs(40));
    /// assert_eq!(schedule.next_delay(3, None, 0.5), Duration::from_secs(30));
    /// assert_eq!(schedule.next_delay(30, None, 0.0), Duration::from_secs(600));
    /// ```
    pub fn next_delay(
        &self,
        failures: u32,
        until_expiry: Option<Duration>,
        jitter: f64,
    ) -> Duration {
        if failures > 0 {
            let doubled = self
                .first_retry
                .checked_mul(1u32 << (failures - 1).min(20))
                .unwrap_or(self.max_retry)
                .min(self.max_retry);
            let jitter = jitter.clamp(0.0, 0.999);
            return doubled.mul_f64(1.0 - jitter / 2.0);
        }
        match until_expiry {
            Some(left) if left / 4 < self.interval => (left / 4).max(self.first_retry),
            _ => self.interval,
        }
    }
}

/// Fetches once and applies what came, at `now`: the step the background loop repeats.
///
/// ```
/// # use rustls_pinning::{pin_store::PinStore, refresh::{self, PinSource}};
/// # fn demo(store: &PinStore, source: &dyn PinSource) {
/// let outcome = refresh::refresh_once(store, source, rustls::pki_types::UnixTime::now());
/// # }
/// ```
pub fn refresh_once(store: &PinStore, source: &dyn PinSource, now: UnixTime) -> RefreshOutcome {
    store.check_expiry(now);
    let fetched = match source.fetch() {
        Ok(fetched) => fetched,
        Err(error) => return RefreshOutcome::FetchFailed(error),
    };
    match store.apply(&fetched.body, &fetched.signature, now) {
        Ok(ApplyOutcome::Applied { new_version, .. }) => RefreshOutcome::Applied {
            version: new_version,
        },
        Ok(_) => RefreshOutcome::Unchanged,
        Err(error) => RefreshOutcome::Rejected(error),
    }
}

/// The background refresh thread; dropping it stops the thread (waiting for a fetch in
/// progress to return, so give sources timeouts).
///
/// ```
/// # use std::sync::Arc;
/// # use rustls_pinning::{pin_store::PinStore, refresh::{PinSource, RefreshSchedule, Refresher}};
/// # fn demo(store: Arc<PinStore>, source: Arc<dyn PinSource>) -> std::io::Result<()> {
/// let refresher = Refresher::spawn(store, source, RefreshSchedule::default(), |outcome| {
///     eprintln!("pin bundle refresh: {outcome:?}");
/// })?;
/// // ... the application runs; the refresher stops when dropped.
/// # Ok(()) }
/// ```
pub struct Refresher {
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Control {
    /// (stop requested, refresh requested)
    flags: Mutex<(bool, bool)>,
    wake: Condvar,
}

impl Refresher {
    /// Starts the loop: a refresh at once, then by `schedule`. `on_outcome` sees every
    /// outcome (for logs and metrics) and must not block for long.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{pin_store::PinStore, refresh::{PinSource, RefreshSchedule, Refresher}};
    /// # fn demo(store: Arc<PinStore>, source: Arc<dyn PinSource>) -> std::io::Result<()> {
    /// let refresher = Refresher::spawn(store, source, RefreshSchedule::default(), |_| {})?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn spawn(
        store: Arc<PinStore>,
        source: Arc<dyn PinSource>,
        schedule: RefreshSchedule,
        on_outcome: impl Fn(&RefreshOutcome) + Send + 'static,
    ) -> std::io::Result<Self> {
        let control = Arc::new(Control::default());
        let thread_control = control.clone();
        let thread = std::thread::Builder::new()
            .name(String::from("pin-refresh"))
            .spawn(move || {
                let jitter_source = RandomState::new();
                let mut failures = 0u32;
                let mut round = 0u64;
                loop {
                    let now = UnixTime::now();
                    let outcome = refresh_once(&store, source.as_ref(), now);
                    failures = match outcome.is_failure() {
                        true => failures.saturating_add(1),
                        false => 0,
                    };
                    on_outcome(&outcome);
                    let until_expiry = store.bundle().map(|bundle| {
                        Duration::from_secs(
                            bundle.expires_at().as_secs().saturating_sub(now.as_secs()),
                        )
                    });
                    round += 1;
                    let mut hasher = jitter_source.build_hasher();
                    hasher.write_u64(round);
                    let jitter = (hasher.finish() % 1000) as f64 / 1000.0;
                    let delay = schedule.next_delay(failures, until_expiry, jitter);
                    if !thread_control.wait(delay) {
                        return;
                    }
                }
            })?;
        Ok(Self {
            control,
            thread: Some(thread),
        })
    }

    /// Asks for a refresh now rather than at the next scheduled time.
    ///
    /// ```
    /// # use rustls_pinning::refresh::Refresher;
    /// # fn demo(refresher: &Refresher) { refresher.refresh_now(); }
    /// ```
    pub fn refresh_now(&self) {
        let mut flags = self.control.flags.lock().unwrap_or_else(|p| p.into_inner());
        flags.1 = true;
        self.control.wake.notify_all();
    }
}

impl Control {
    /// Waits up to `delay` or until woken; false if the loop must stop.
    fn wait(&self, delay: Duration) -> bool {
        let flags = self.flags.lock().unwrap_or_else(|p| p.into_inner());
        let (mut flags, _) = self
            .wake
            .wait_timeout_while(flags, delay, |(stop, refresh)| !*stop && !*refresh)
            .unwrap_or_else(|p| p.into_inner());
        flags.1 = false;
        !flags.0
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        {
            let mut flags = self.control.flags.lock().unwrap_or_else(|p| p.into_inner());
            flags.0 = true;
            self.control.wake.notify_all();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresher").finish_non_exhaustive()
    }
}
