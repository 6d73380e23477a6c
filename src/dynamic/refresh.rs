//! Fetching bundles in the background: a [`PinSource`] and the loop that keeps a
//! [`PinStore`] up to date (feature `dynamic`).

use core::fmt;
use std::any::Any;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pki_types::UnixTime;

use crate::dynamic::bundle::BundleError;
use crate::dynamic::pin_store::{ApplyOutcome, PinStore};

/// A bundle as fetched: the body and its detached signature, both unverified.
///
/// ```
/// use rustls_pinning::refresh::FetchedBundle;
/// let fetched = FetchedBundle::new(b"{...}".to_vec(), b"{...}".to_vec());
/// assert_eq!(fetched.body, b"{...}");
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedBundle {
    /// The body's exact bytes.
    pub body: Vec<u8>,
    /// The signature document.
    pub signature: Vec<u8>,
}

impl FetchedBundle {
    /// A fetched body and its detached signature document.
    ///
    /// ```
    /// # use rustls_pinning::refresh::FetchedBundle;
    /// let fetched = FetchedBundle::new(Vec::new(), Vec::new());
    /// assert!(fetched.signature.is_empty());
    /// ```
    pub fn new(body: Vec<u8>, signature: Vec<u8>) -> Self {
        Self { body, signature }
    }
}

/// The error a source reports; the loop only logs it and retries.
pub type FetchError = Box<dyn std::error::Error + Send + Sync>;

/// Where bundles come from: an HTTP endpoint, a file, a configuration service.
///
/// `fetch` runs on the refresh thread and may block. Whatever it returns is verified by the
/// store before it is used, so a source needs no trust of its own; still, fetch over a
/// connection pinned by the static policy, so that an attacker cannot even delay updates
/// unnoticed.
///
/// What a source must bound itself, because the refresher cannot:
///
/// - **Time.** Give every fetch its own deadline (connection, and the whole response: a
///   server can trickle a body one byte at a time). The refresher cannot interrupt a fetch:
///   while one hangs, no other refresh happens, [`Refresher::fetching_for`] keeps growing,
///   and dropping the [`Refresher`] waits only [`Refresher::STOP_WAIT`] for it.
/// - **Size.** Stop reading a body at the bundle layer's limit (`bundle::MAX_BUNDLE_BODY_BYTES`,
///   1 MiB) and a signature document at its own (`bundle::MAX_BUNDLE_SIGNATURE_BYTES`,
///   4 KiB), for instance with `Read::take` or the HTTP client's body limit: the store refuses
///   larger ones with `BundleError::TooLarge`, but only once they are in memory.
/// - **Errors.** Return them. A panic in `fetch` is caught and reported as
///   [`RefreshOutcome::Panicked`], counted as a failed fetch like an error, but the source's
///   own state is whatever the panic left.
///
/// ```
/// use rustls_pinning::refresh::{FetchError, FetchedBundle, PinSource};
///
/// #[derive(Debug)]
/// struct Files;
///
/// impl PinSource for Files {
///     fn fetch(&self) -> Result<FetchedBundle, FetchError> {
///         Ok(FetchedBundle::new(
///             std::fs::read("/etc/app/pins.bundle.json")?,
///             std::fs::read("/etc/app/pins.bundle.json.sig")?,
///         ))
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
    /// Code the refresher called panicked. The panic was caught: it counts as a failed
    /// refresh (the bundle in force, if any, is kept, and the next try backs off) and the
    /// loop goes on.
    Panicked {
        /// Where the panic happened.
        site: PanicSite,
        /// The panic's message.
        message: String,
    },
}

impl RefreshOutcome {
    fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::FetchFailed(_) | Self::Rejected(_) | Self::Panicked { .. }
        )
    }
}

/// Where a panic caught by the refresher happened.
///
/// ```
/// use rustls_pinning::refresh::{PanicSite, RefreshOutcome};
///
/// fn log(outcome: &RefreshOutcome) {
///     if let RefreshOutcome::Panicked { site: PanicSite::Source, message, .. } = outcome {
///         eprintln!("the pin bundle source panicked: {message}");
///     }
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PanicSite {
    /// The source's [`PinSource::fetch`].
    Source,
    /// The store, checking expiry or applying what was fetched.
    Store,
    /// The `on_outcome` callback given to [`Refresher::spawn`]. It is told of its own panic
    /// once; a panic while it is told is dropped.
    OnOutcome,
}

/// Runs `f`, turning a panic into [`RefreshOutcome::Panicked`].
///
/// `AssertUnwindSafe`: after a panic the refresher only reports it and carries on. It never
/// reads state the panicking code was changing: a source is called again as after an error
/// (its state is its own business), the store replaces its state in one atomic swap (a
/// panic before the swap leaves the previous state in force), and the callback is called
/// again with the next outcome.
fn catch<T>(site: PanicSite, f: impl FnOnce() -> T) -> Result<T, RefreshOutcome> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| RefreshOutcome::Panicked {
        site,
        message: panic_message(payload.as_ref()),
    })
}

/// The text a panic was raised with (`panic!("...")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(text), _) => (*text).to_owned(),
        (None, Some(text)) => text.clone(),
        (None, None) => String::from("a panic whose payload is not text"),
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
/// A panic in the source (or in the store) is caught and returned as
/// [`RefreshOutcome::Panicked`]; the bundle in force is kept.
///
/// ```
/// # use rustls_pinning::{pin_store::PinStore, refresh::{self, PinSource}};
/// # fn demo(store: &PinStore, source: &dyn PinSource) {
/// let outcome = refresh::refresh_once(store, source, rustls::pki_types::UnixTime::now());
/// # }
/// ```
pub fn refresh_once(store: &PinStore, source: &dyn PinSource, now: UnixTime) -> RefreshOutcome {
    match fetch(store, source, now) {
        Ok(fetched) => apply(store, &fetched, now),
        Err(outcome) => outcome,
    }
}

/// The first half of a refresh: lets the store drop an expired bundle at `now`, then asks
/// the source. The source's answer, or the outcome that ends the step (an error, a panic).
fn fetch(
    store: &PinStore,
    source: &dyn PinSource,
    now: UnixTime,
) -> Result<FetchedBundle, RefreshOutcome> {
    catch(PanicSite::Store, || store.check_expiry(now))?;
    match catch(PanicSite::Source, || source.fetch())? {
        Ok(fetched) => Ok(fetched),
        Err(error) => Err(RefreshOutcome::FetchFailed(error)),
    }
}

fn apply(store: &PinStore, fetched: &FetchedBundle, now: UnixTime) -> RefreshOutcome {
    let applied = catch(PanicSite::Store, || {
        store.apply(&fetched.body, &fetched.signature, now)
    });
    match applied {
        Ok(Ok(ApplyOutcome::Applied { new_version, .. })) => RefreshOutcome::Applied {
            version: new_version,
        },
        Ok(Ok(_)) => RefreshOutcome::Unchanged,
        Ok(Err(error)) => RefreshOutcome::Rejected(error),
        Err(panicked) => panicked,
    }
}

/// The background refresh thread. Dropping it stops the thread: it waits for a fetch in
/// progress to return, up to [`Refresher::STOP_WAIT`] (give sources their own deadlines).
///
/// A panic in the source, the store or the `on_outcome` callback does not end the loop: it
/// is caught, reported as [`RefreshOutcome::Panicked`] and counted as a failed refresh.
/// [`is_running`](Self::is_running), [`consecutive_failures`](Self::consecutive_failures)
/// and [`fetching_for`](Self::fetching_for) tell a health check how the loop is doing.
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
    status: Arc<Status>,
    thread: Option<JoinHandle<()>>,
}

/// What the application asks of the loop.
#[derive(Default)]
struct Control {
    flags: Mutex<Flags>,
    wake: Condvar,
}

#[derive(Default)]
struct Flags {
    stop: bool,
    refresh: bool,
    /// The thread has returned (or unwound).
    exited: bool,
}

/// What the loop tells the application.
struct Status {
    running: AtomicBool,
    failures: AtomicU32,
    /// When the fetch in progress started.
    fetching_since: Mutex<Option<Instant>>,
}

/// Marks the loop as ended when the thread returns, however it returns.
struct Exit {
    control: Arc<Control>,
    status: Arc<Status>,
}

impl Drop for Exit {
    fn drop(&mut self) {
        self.status.running.store(false, Ordering::SeqCst);
        self.control.lock().exited = true;
        self.control.wake.notify_all();
    }
}

impl Refresher {
    /// How long dropping a refresher waits for its thread, which may be inside a fetch it
    /// cannot interrupt. After that the thread is left to end by itself once the fetch
    /// returns; it applies nothing fetched after the drop.
    pub const STOP_WAIT: Duration = Duration::from_secs(5);

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
        let status = Arc::new(Status {
            running: AtomicBool::new(true),
            failures: AtomicU32::new(0),
            fetching_since: Mutex::new(None),
        });
        let exit = Exit {
            control: control.clone(),
            status: status.clone(),
        };
        let thread = std::thread::Builder::new()
            .name(String::from("pin-refresh"))
            .spawn(move || {
                // Dropped when the thread ends, however it ends.
                let exit = exit;
                let (control, status) = (&exit.control, &exit.status);
                let jitter_source = RandomState::new();
                let mut failures = 0u32;
                let mut round = 0u64;
                loop {
                    let now = UnixTime::now();
                    status.fetching(Some(Instant::now()));
                    let fetched = fetch(&store, source.as_ref(), now);
                    status.fetching(None);
                    // Nothing fetched after a drop is applied: the application is done
                    // with this refresher, and may be shutting down.
                    if control.lock().stop {
                        return;
                    }
                    let outcome = match fetched {
                        Ok(fetched) => apply(&store, &fetched, now),
                        Err(outcome) => outcome,
                    };
                    failures = match outcome.is_failure() {
                        true => failures.saturating_add(1),
                        false => 0,
                    };
                    if let Err(panicked) = catch(PanicSite::OnOutcome, || on_outcome(&outcome)) {
                        failures = failures.saturating_add(1);
                        // Told once; a panic while telling it has nowhere left to go.
                        let _ = catch(PanicSite::OnOutcome, || on_outcome(&panicked));
                    }
                    status.failures.store(failures, Ordering::SeqCst);
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
                    if !control.wait(delay) {
                        return;
                    }
                }
            })?;
        Ok(Self {
            control,
            status,
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
        self.control.lock().refresh = true;
        self.control.wake.notify_all();
    }

    /// Whether the loop is alive. It ends only when the refresher is dropped: panics in the
    /// source, the store and the callback are caught.
    ///
    /// ```
    /// # use rustls_pinning::refresh::Refresher;
    /// # fn demo(refresher: &Refresher) {
    /// assert!(refresher.is_running());
    /// # }
    /// ```
    pub fn is_running(&self) -> bool {
        self.status.running.load(Ordering::SeqCst)
    }

    /// How many refreshes in a row have failed (fetch errors and panics, refused bundles,
    /// a panicking callback); 0 after a success. The loop backs off while it grows, and the
    /// bundle in force is kept.
    ///
    /// ```
    /// # use rustls_pinning::refresh::Refresher;
    /// # fn demo(refresher: &Refresher) {
    /// if refresher.consecutive_failures() > 5 {
    ///     eprintln!("pin bundles have not been refreshed for a while");
    /// }
    /// # }
    /// ```
    pub fn consecutive_failures(&self) -> u32 {
        self.status.failures.load(Ordering::SeqCst)
    }

    /// How long the fetch in progress has been running, if one is. The refresher cannot
    /// interrupt a fetch; a health check can flag one that outlives the source's own
    /// deadline.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rustls_pinning::refresh::Refresher;
    /// # fn demo(refresher: &Refresher) {
    /// if refresher.fetching_for() > Some(Duration::from_secs(60)) {
    ///     eprintln!("the pin bundle source is stuck");
    /// }
    /// # }
    /// ```
    pub fn fetching_for(&self) -> Option<Duration> {
        self.status
            .fetching_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map(|since| since.elapsed())
    }
}

impl Status {
    fn fetching(&self, since: Option<Instant>) {
        *self
            .fetching_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = since;
    }
}

impl Control {
    fn lock(&self) -> std::sync::MutexGuard<'_, Flags> {
        self.flags.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `delay` or until woken; false if the loop must stop.
    fn wait(&self, delay: Duration) -> bool {
        let (mut flags, _) = self
            .wake
            .wait_timeout_while(self.lock(), delay, |flags| !flags.stop && !flags.refresh)
            .unwrap_or_else(PoisonError::into_inner);
        flags.refresh = false;
        !flags.stop
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.control.lock().stop = true;
        self.control.wake.notify_all();
        let (flags, _) = self
            .control
            .wake
            .wait_timeout_while(self.control.lock(), Self::STOP_WAIT, |flags| !flags.exited)
            .unwrap_or_else(PoisonError::into_inner);
        let exited = flags.exited;
        drop(flags);
        if let Some(thread) = self.thread.take() {
            // Still inside a fetch: leave the thread to end by itself (dropping the handle
            // detaches it) rather than hold the application up.
            if exited {
                let _ = thread.join();
            }
        }
    }
}

impl fmt::Debug for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresher")
            .field("running", &self.is_running())
            .field("consecutive_failures", &self.consecutive_failures())
            .finish_non_exhaustive()
    }
}
