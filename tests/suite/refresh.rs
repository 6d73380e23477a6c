//! The refresh loop under failure: a source or an `on_outcome` callback that panics must not
//! end the loop; it counts as a failed refresh (backoff, the last good bundle kept) and the
//! next fetch applies what is published.

#![cfg(feature = "dynamic")]

use rustls_pinning_test_support as common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::KeyPair;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer, UnixTime};
use rustls_pinning::bundle::{self, BundleKey, BundleVerifier};
use rustls_pinning::pin_store::PinStore;
use rustls_pinning::refresh::{
    FetchError, FetchedBundle, PinSource, RefreshOutcome, RefreshSchedule, Refresher,
};
use rustls_pinning::{Pin, PinEntry, PinSet, PinningServerVerifier};

/// Long enough for a loaded machine; the tests wait for a state, never for a time.
const PATIENCE: Duration = Duration::from_secs(30);

struct Signer {
    private: PrivateKeyDer<'static>,
    public: BundleKey,
}

impl Signer {
    fn new() -> Self {
        let pair = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&pair);
        Self {
            private: PrivateKeyDer::Pkcs8(pair.serialize_der().into()),
            public: BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(spki)).unwrap(),
        }
    }

    /// A bundle of version `version` pinning `host`, valid for a week from now.
    fn bundle(&self, version: u64, host: &str, provider: &Arc<CryptoProvider>) -> FetchedBundle {
        let pins = PinSet::builder()
            .entry(
                PinEntry::builder(host.parse().unwrap())
                    .pin(Pin::spki_sha256([1; 32]))
                    .backup_pin(Pin::spki_sha256([2; 32])),
            )
            .build()
            .unwrap();
        let now = UnixTime::now().as_secs();
        let at = |secs| UnixTime::since_unix_epoch(Duration::from_secs(secs));
        let body = bundle::body(&pins, version, at(now - 60), at(now + 7 * 86_400)).unwrap();
        let signature = bundle::sign(&body, &self.private, provider).unwrap();
        FetchedBundle::new(body, signature)
    }
}

fn store(signer: &Signer, provider: &Arc<CryptoProvider>) -> Arc<PinStore> {
    let roots = common::root_store(&[&common::Ca::root("Refresh Root")]);
    let factory_provider = provider.clone();
    let store = PinStore::builder(
        PinSet::builder().build().unwrap(),
        move |pins| {
            PinningServerVerifier::builder(roots.clone(), pins, factory_provider.clone()).build()
        },
        BundleVerifier::new(vec![signer.public.clone()], provider).unwrap(),
    )
    .build()
    .unwrap();
    Arc::new(store)
}

/// A source serving what was last published, after panicking `panics` times.
#[derive(Debug, Default)]
struct Source {
    published: Mutex<Option<FetchedBundle>>,
    panics: AtomicUsize,
    fetches: AtomicUsize,
}

impl PinSource for Source {
    fn fetch(&self) -> Result<FetchedBundle, FetchError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if self
            .panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
        {
            panic!("the source broke");
        }
        self.published
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| "nothing published".into())
    }
}

fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

fn version(store: &PinStore) -> Option<u64> {
    store.bundle().map(|bundle| bundle.version())
}

/// Retries come quickly, so that the tests see the loop go on after a failure.
fn quick() -> RefreshSchedule {
    RefreshSchedule::default()
        .interval(Duration::from_secs(3600))
        .retry(Duration::from_millis(10), Duration::from_millis(50))
}

#[test]
fn a_panicking_source_is_a_failed_fetch_and_the_next_fetch_applies_the_bundle() {
    let provider = rustls_pinning::default_crypto_provider();
    let signer = Signer::new();
    let store = store(&signer, &provider);
    let source = Arc::new(Source::default());
    *source.published.lock().unwrap() = Some(signer.bundle(1, "a.example", &provider));
    source.panics.store(1, Ordering::SeqCst);
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let seen = outcomes.clone();
    let refresher = Refresher::spawn(store.clone(), source.clone(), quick(), move |outcome| {
        seen.lock().unwrap().push(format!("{outcome:?}"))
    })
    .unwrap();
    assert!(
        wait_for(|| version(&store) == Some(1)),
        "the fetch after the panic applied nothing: {:?}",
        outcomes.lock().unwrap()
    );
    assert!(wait_for(|| refresher.consecutive_failures() == 0));
    assert!(refresher.is_running());

    // A panic while a bundle is in force: kept, reported, and the loop goes on.
    source.panics.store(2, Ordering::SeqCst);
    *source.published.lock().unwrap() = Some(signer.bundle(2, "b.example", &provider));
    refresher.refresh_now();
    assert!(
        wait_for(|| version(&store) == Some(2)),
        "{:?}",
        outcomes.lock().unwrap()
    );
    assert!(refresher.is_running());
    drop(refresher);
    let outcomes = outcomes.lock().unwrap();
    let panics = outcomes
        .iter()
        .filter(|outcome| {
            outcome.starts_with("Panicked")
                && outcome.contains("Source")
                && outcome.contains("the source broke")
        })
        .count();
    assert_eq!(panics, 3, "{outcomes:?}");
    assert_eq!(
        outcomes.iter().filter(|o| o.starts_with("Applied")).count(),
        2,
        "{outcomes:?}"
    );
}

#[test]
fn refresh_once_reports_a_panicking_source_and_keeps_the_bundle() {
    let provider = rustls_pinning::default_crypto_provider();
    let signer = Signer::new();
    let store = store(&signer, &provider);
    let source = Source::default();
    *source.published.lock().unwrap() = Some(signer.bundle(1, "a.example", &provider));
    let now = UnixTime::now();
    assert!(matches!(
        rustls_pinning::refresh::refresh_once(&store, &source, now),
        RefreshOutcome::Applied { version: 1 }
    ));
    source.panics.store(1, Ordering::SeqCst);
    match rustls_pinning::refresh::refresh_once(&store, &source, now) {
        RefreshOutcome::Panicked { site, message } => {
            assert_eq!(site, rustls_pinning::refresh::PanicSite::Source);
            assert_eq!(message, "the source broke");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(version(&store), Some(1));
}

#[test]
fn a_panicking_callback_does_not_end_the_loop() {
    let provider = rustls_pinning::default_crypto_provider();
    let signer = Signer::new();
    let store = store(&signer, &provider);
    let source = Arc::new(Source::default());
    *source.published.lock().unwrap() = Some(signer.bundle(1, "a.example", &provider));
    let calls = Arc::new(AtomicUsize::new(0));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let (counted, reported) = (calls.clone(), reports.clone());
    let refresher = Refresher::spawn(store.clone(), source.clone(), quick(), move |outcome| {
        // The first outcome (version 1 applied) makes the callback panic.
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("the callback broke");
        }
        reported.lock().unwrap().push(format!("{outcome:?}"));
    })
    .unwrap();
    assert!(wait_for(|| version(&store) == Some(1)));
    // The panic is reported to the callback itself, as a typed failure.
    assert!(
        wait_for(|| reports
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.starts_with("Panicked")
                && r.contains("OnOutcome")
                && r.contains("the callback broke"))),
        "{:?}",
        reports.lock().unwrap()
    );
    assert!(refresher.is_running());

    *source.published.lock().unwrap() = Some(signer.bundle(2, "b.example", &provider));
    refresher.refresh_now();
    assert!(
        wait_for(|| version(&store) == Some(2)),
        "{:?}",
        reports.lock().unwrap()
    );
    assert!(wait_for(|| refresher.consecutive_failures() == 0));
    assert!(refresher.is_running());
}

/// A source whose fetch blocks until the test releases it, as one without a deadline does
/// against a server that never answers.
#[derive(Debug)]
struct Stuck {
    release: Mutex<std::sync::mpsc::Receiver<()>>,
    bundle: FetchedBundle,
    entered: std::sync::atomic::AtomicBool,
}

impl PinSource for Stuck {
    fn fetch(&self) -> Result<FetchedBundle, FetchError> {
        self.entered.store(true, Ordering::SeqCst);
        let _ = self.release.lock().unwrap().recv();
        Ok(self.bundle.clone())
    }
}

#[test]
fn dropping_the_refresher_does_not_wait_forever_for_a_stuck_fetch() {
    let provider = rustls_pinning::default_crypto_provider();
    let signer = Signer::new();
    let store = store(&signer, &provider);
    let (release, released) = std::sync::mpsc::channel();
    let source = Arc::new(Stuck {
        release: Mutex::new(released),
        bundle: signer.bundle(1, "a.example", &provider),
        entered: Default::default(),
    });
    let refresher = Refresher::spawn(store.clone(), source.clone(), quick(), |_| {}).unwrap();
    assert!(wait_for(|| source.entered.load(Ordering::SeqCst)));
    // The health check sees the fetch that does not return.
    assert!(wait_for(|| refresher
        .fetching_for()
        .is_some_and(|running| running >= Duration::from_millis(50))));
    assert!(refresher.is_running());

    let started = Instant::now();
    drop(refresher);
    assert!(
        started.elapsed() < Refresher::STOP_WAIT + Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // Once the fetch returns, what it brought is not applied: the refresher was dropped.
    release.send(()).unwrap();
    assert!(
        wait_for(|| Arc::strong_count(&store) == 1),
        "the refresh thread did not end"
    );
    assert_eq!(version(&store), None);
}
