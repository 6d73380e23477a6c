//! Pin events: each one raised exactly when it should be and never otherwise, in every trust
//! mode; report-only behaviour; the ready reporters; the RFC 7469 JSON report; and reporters
//! that panic or block cannot decide or stall a handshake.

use rustls_pinning_test_support as common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{root_store, Ca, TestServer};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::time_provider::TimeProvider;
use rustls::{CertificateError, Error};
use rustls_pinning::reporters::{BackgroundReporter, DeduplicatingReporter, MemoryReporter};
use rustls_pinning::{
    danger, AfterExpiry, EnforcementMode, Outcome, Pin, PinEntry, PinEntryBuilder, PinEvent,
    PinEventKind, PinReporter, PinSet, PinningServerVerifier, Reporting, ScopedPin,
    ServerPinningError, UnpinnedHostPolicy,
};

use super::{provider, PROVIDER};

const HOST: &str = "pinned.test";
const DAY: u64 = 24 * 60 * 60;

/// A root, an intermediate and a leaf for [`HOST`], plus an unrelated key pin.
struct Pki {
    root: Ca,
    intermediate: Ca,
    leaf: CertificateDer<'static>,
}

impl Pki {
    fn new() -> Self {
        let root = Ca::root("Reports Root");
        let intermediate = root.intermediate("Reports Intermediate");
        let leaf = intermediate.leaf(&[HOST]).cert;
        Self {
            root,
            intermediate,
            leaf,
        }
    }

    fn intermediates(&self) -> Vec<CertificateDer<'static>> {
        vec![self.intermediate.cert_der().clone()]
    }

    fn leaf_pin(&self) -> Pin {
        Pin::spki_of(&self.leaf).unwrap()
    }

    fn intermediate_pin(&self) -> Pin {
        Pin::spki_of(self.intermediate.cert_der()).unwrap()
    }

    /// Leaf, intermediate, root: the path as events report it when the verifier has the
    /// root's certificate.
    fn verified_chain(&self) -> Vec<CertificateDer<'static>> {
        vec![
            self.leaf.clone(),
            self.intermediate.cert_der().clone(),
            self.root.cert_der().clone(),
        ]
    }

    fn served_chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.leaf.clone(), self.intermediate.cert_der().clone()]
    }

    fn webpki(
        &self,
        pins: PinSet,
        reporting: Reporting,
        provider: &Arc<CryptoProvider>,
    ) -> Arc<PinningServerVerifier> {
        PinningServerVerifier::builder(root_store(&[&self.root]), pins, provider.clone())
            .with_root_certificates([self.root.cert_der().clone()])
            .with_reporting(reporting)
            .build()
            .unwrap()
    }

    fn verify(&self, verifier: &dyn ServerCertVerifier, now: UnixTime) -> Result<(), Error> {
        verifier
            .verify_server_cert(
                &self.leaf,
                &self.intermediates(),
                &ServerName::try_from(HOST).unwrap(),
                &[],
                now,
            )
            .map(|_| ())
    }
}

/// A pin no certificate here carries.
fn stranger(byte: u8) -> Pin {
    Pin::spki_sha256([byte; 32])
}

fn entry() -> PinEntryBuilder {
    PinEntry::builder(HOST.parse().unwrap())
}

fn set(entry: PinEntryBuilder) -> PinSet {
    PinSet::builder().entry(entry).build().unwrap()
}

fn now() -> UnixTime {
    UnixTime::now()
}

fn after(now: UnixTime, secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(now.as_secs() + secs))
}

fn memory() -> (Arc<MemoryReporter>, Reporting) {
    let events = Arc::new(MemoryReporter::new(64));
    let reporting = Reporting::new(events.clone()).port(8443);
    (events, reporting)
}

fn kinds(events: &[PinEvent]) -> Vec<PinEventKind> {
    events.iter().map(|event| event.kind).collect()
}

fn pinning_error(error: &Error) -> &ServerPinningError {
    ServerPinningError::from_rustls(error)
        .unwrap_or_else(|| panic!("not a pinning error: {error:?}"))
}

fn any(pin: Pin) -> ScopedPin {
    ScopedPin::new(pin, rustls_pinning::PinScope::Any)
}

// ---------------------------------------------------------------------------------------------
// Which event, when
// ---------------------------------------------------------------------------------------------

#[test]
fn a_primary_pin_match_raises_no_event() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let pins = set(entry().pin(pki.leaf_pin()).backup_pin(stranger(1)));
    let verifier = pki.webpki(pins, reporting, &provider);
    assert_eq!(pki.verify(&*verifier, now()), Ok(()), "{PROVIDER}");
    assert_eq!(events.events(), Vec::new(), "{PROVIDER}");
}

#[test]
fn an_enforced_mismatch_is_a_violation_with_the_whole_context() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let pins = set(entry().pin(stranger(1)).pin(stranger(2)));
    let verifier = pki.webpki(pins, reporting, &provider);
    let time = now();
    let error = pki.verify(&*verifier, time).unwrap_err();
    let returned = pinning_error(&error).clone();
    assert!(
        matches!(returned, ServerPinningError::NoPinMatched { .. }),
        "{PROVIDER}: {returned}"
    );

    let events = events.take();
    assert_eq!(kinds(&events), [PinEventKind::Violation], "{PROVIDER}");
    let event = &events[0];
    assert_eq!(event.host, HOST);
    assert_eq!(event.port, Some(8443));
    assert_eq!(event.pattern, Some(HOST.parse().unwrap()));
    assert_eq!(event.mode, Some(EnforcementMode::Enforce));
    assert_eq!(event.expires_at, None);
    assert_eq!(event.verified_chain, pki.verified_chain(), "{PROVIDER}");
    assert_eq!(event.served_chain, pki.served_chain(), "{PROVIDER}");
    assert_eq!(event.known_pins, [any(stranger(1)), any(stranger(2))]);
    assert_eq!(event.primary_pin_count, 2);
    assert_eq!(event.denied_pins, []);
    assert_eq!(event.matched_pin, None);
    assert_eq!(event.outcome, Outcome::Rejected);
    assert_eq!(event.error.as_ref(), Some(&returned), "{PROVIDER}");
    assert_eq!(event.time, time);
}

#[test]
fn a_deny_pin_is_a_violation_naming_the_deny_pin() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let pins = set(entry()
        .pin(pki.leaf_pin())
        .pin(stranger(1))
        .deny(pki.intermediate_pin()));
    let verifier = pki.webpki(pins, reporting, &provider);
    let error = pki.verify(&*verifier, now()).unwrap_err();
    assert!(matches!(
        pinning_error(&error),
        ServerPinningError::DeniedPinMatched { denied, .. } if denied.pin() == pki.intermediate_pin()
    ));
    let events = events.take();
    assert_eq!(kinds(&events), [PinEventKind::Violation], "{PROVIDER}");
    assert_eq!(events[0].denied_pins, [any(pki.intermediate_pin())]);
    assert_eq!(events[0].outcome, Outcome::Rejected);
}

#[test]
fn report_only_accepts_a_mismatch_and_reports_what_enforcement_would_have_said() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let pins = set(entry().pin(stranger(1)).report_only());
    let verifier = pki.webpki(pins, reporting, &provider);
    assert_eq!(pki.verify(&*verifier, now()), Ok(()), "{PROVIDER}");

    let events = events.take();
    assert_eq!(
        kinds(&events),
        [PinEventKind::ReportOnlyViolation],
        "{PROVIDER}"
    );
    let event = &events[0];
    assert_eq!(event.outcome, Outcome::Accepted);
    assert_eq!(event.mode, Some(EnforcementMode::ReportOnly));
    assert_eq!(event.verified_chain, pki.verified_chain());
    match &event.error {
        Some(ServerPinningError::NoPinMatched { host, allowed, .. }) => {
            assert_eq!(host, HOST);
            assert_eq!(allowed, &[any(stranger(1))]);
        }
        other => panic!("{PROVIDER}: expected NoPinMatched, got {other:?}"),
    }
}

#[test]
fn report_only_still_rejects_a_broken_chain_and_raises_no_pin_event() {
    let provider = provider();
    let pki = Pki::new();
    let untrusted = Ca::root("Untrusted Root");
    let impostor = untrusted.leaf(&[HOST]).cert;
    let (events, reporting) = memory();
    let pins = set(entry().pin(stranger(1)).report_only());
    let verifier = pki.webpki(pins, reporting, &provider);
    let result = verifier.verify_server_cert(
        &impostor,
        &[],
        &ServerName::try_from(HOST).unwrap(),
        &[],
        now(),
    );
    assert_eq!(
        result.map(|_| ()),
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        "{PROVIDER}"
    );
    assert_eq!(events.events(), Vec::new(), "{PROVIDER}");
}

#[test]
fn report_only_never_waives_a_pin_denied_everywhere() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let pins = PinSet::builder()
        .entry(entry().pin(stranger(1)).report_only())
        .deny_everywhere(pki.intermediate_pin())
        .build()
        .unwrap();
    let verifier = pki.webpki(pins, reporting, &provider);
    let error = pki.verify(&*verifier, now()).unwrap_err();
    assert!(matches!(
        pinning_error(&error),
        ServerPinningError::DeniedPinMatched { pattern: None, .. }
    ));
    assert_eq!(
        kinds(&events.take()),
        [PinEventKind::Violation],
        "{PROVIDER}"
    );
}

#[test]
fn an_expired_entry_that_is_skipped_says_so() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let time = now();
    let expired_at = UnixTime::since_unix_epoch(Duration::from_secs(time.as_secs() - DAY));
    let pins = set(entry()
        .pin(stranger(1))
        .pin(stranger(2))
        .expires_at(expired_at));
    let verifier = pki.webpki(pins, reporting, &provider);
    assert_eq!(pki.verify(&*verifier, time), Ok(()), "{PROVIDER}");

    let events = events.take();
    assert_eq!(
        kinds(&events),
        [PinEventKind::ExpiredEntrySkipped],
        "{PROVIDER}"
    );
    let event = &events[0];
    assert_eq!(event.outcome, Outcome::Accepted);
    assert_eq!(event.expires_at, Some(expired_at));
    assert_eq!(event.pattern, Some(HOST.parse().unwrap()));
    assert_eq!(event.verified_chain, pki.verified_chain(), "{PROVIDER}");
    assert_eq!(event.error, None);
}

#[test]
fn an_expired_entry_kept_in_force_is_a_violation_not_a_skip() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let time = now();
    let pins = set(entry()
        .pin(stranger(1))
        .pin(stranger(2))
        .expires_at(UnixTime::since_unix_epoch(Duration::from_secs(
            time.as_secs() - DAY,
        )))
        .after_expiry(AfterExpiry::KeepEnforcing));
    let verifier = pki.webpki(pins, reporting, &provider);
    assert!(pki.verify(&*verifier, time).is_err());
    assert_eq!(
        kinds(&events.take()),
        [PinEventKind::Violation],
        "{PROVIDER}"
    );
}

#[test]
fn matching_only_a_backup_pin_signals_a_rotation() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let pins = set(entry().pin(stranger(1)).backup_pin(pki.leaf_pin()));
    let verifier = pki.webpki(pins, reporting, &provider);
    assert_eq!(pki.verify(&*verifier, now()), Ok(()), "{PROVIDER}");

    let events = events.take();
    assert_eq!(kinds(&events), [PinEventKind::BackupPinInUse], "{PROVIDER}");
    let event = &events[0];
    assert_eq!(event.matched_pin, Some(any(pki.leaf_pin())));
    assert_eq!(event.outcome, Outcome::Accepted);
    assert_eq!(event.known_pins, [any(stranger(1)), any(pki.leaf_pin())]);
    assert_eq!(event.primary_pin_count, 1);
    assert_eq!(event.verified_chain, pki.verified_chain(), "{PROVIDER}");
}

#[test]
fn a_backup_pin_beside_a_primary_pin_on_the_same_path_is_no_rotation() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    // The backup matches the leaf, which is checked first; the primary matches the
    // intermediate further up.
    let pins = set(entry()
        .pin(pki.intermediate_pin())
        .backup_pin(pki.leaf_pin()));
    let verifier = pki.webpki(pins, reporting, &provider);
    assert_eq!(pki.verify(&*verifier, now()), Ok(()), "{PROVIDER}");
    assert_eq!(events.events(), Vec::new(), "{PROVIDER}");
}

#[test]
fn expiry_warning_is_raised_once_per_entry_inside_the_window_only() {
    let provider = provider();
    let pki = Pki::new();
    let time = now();
    let expiring = |days: u64| {
        set(entry()
            .pin(pki.leaf_pin())
            .pin(stranger(1))
            .expires_at(after(time, days * DAY)))
    };

    let (events, reporting) = memory();
    let verifier = pki.webpki(
        expiring(10),
        reporting.warn_before_expiry(Duration::from_secs(30 * DAY)),
        &provider,
    );
    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    assert_eq!(pki.verify(&*verifier, after(time, DAY)), Ok(()));
    let raised = events.take();
    assert_eq!(kinds(&raised), [PinEventKind::ExpiresSoon], "{PROVIDER}");
    assert_eq!(raised[0].expires_at, Some(after(time, 10 * DAY)));
    assert_eq!(raised[0].outcome, Outcome::Accepted);
    assert_eq!(raised[0].verified_chain, pki.verified_chain(), "{PROVIDER}");

    let (events, reporting) = memory();
    let verifier = pki.webpki(
        expiring(40),
        reporting.warn_before_expiry(Duration::from_secs(30 * DAY)),
        &provider,
    );
    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    assert_eq!(
        events.events(),
        Vec::new(),
        "{PROVIDER}: outside the window"
    );
    // Entering the window later raises it then.
    assert_eq!(pki.verify(&*verifier, after(time, 11 * DAY)), Ok(()));
    assert_eq!(
        kinds(&events.take()),
        [PinEventKind::ExpiresSoon],
        "{PROVIDER}"
    );

    let (events, reporting) = memory();
    let verifier = pki.webpki(
        expiring(10),
        reporting.warn_before_expiry(Duration::ZERO),
        &provider,
    );
    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    assert_eq!(events.events(), Vec::new(), "{PROVIDER}: warning off");
}

#[test]
fn the_default_expiry_window_is_thirty_days() {
    assert_eq!(
        rustls_pinning::DEFAULT_EXPIRY_WARNING,
        Duration::from_secs(30 * DAY)
    );
    let provider = provider();
    let pki = Pki::new();
    let time = now();
    let (events, reporting) = memory();
    let pins = set(entry()
        .pin(pki.leaf_pin())
        .pin(stranger(1))
        .expires_at(after(time, 29 * DAY)));
    let verifier = pki.webpki(pins, reporting, &provider);
    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    assert_eq!(
        kinds(&events.take()),
        [PinEventKind::ExpiresSoon],
        "{PROVIDER}"
    );
}

#[test]
fn a_host_that_must_be_pinned_but_is_not_is_a_violation() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let pins = PinSet::builder()
        .unpinned_hosts(UnpinnedHostPolicy::Reject)
        .build()
        .unwrap();
    let verifier = pki.webpki(pins, reporting, &provider);
    let error = pki.verify(&*verifier, now()).unwrap_err();
    assert!(matches!(
        pinning_error(&error),
        ServerPinningError::HostNotPinned { .. }
    ));
    let events = events.take();
    assert_eq!(kinds(&events), [PinEventKind::Violation], "{PROVIDER}");
    assert_eq!(events[0].pattern, None);
    assert_eq!(events[0].verified_chain, pki.verified_chain(), "{PROVIDER}");
}

#[test]
fn an_unpinned_host_raises_nothing() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let pins = set(PinEntry::builder("other.test".parse().unwrap())
        .pin(stranger(1))
        .pin(stranger(2)));
    let verifier = pki.webpki(pins, reporting, &provider);
    assert_eq!(pki.verify(&*verifier, now()), Ok(()), "{PROVIDER}");
    assert_eq!(events.events(), Vec::new(), "{PROVIDER}");
}

// ---------------------------------------------------------------------------------------------
// Wrap and pins-only modes
// ---------------------------------------------------------------------------------------------

fn wrapped(
    pki: &Pki,
    pins: PinSet,
    reporting: Reporting,
    provider: &Arc<CryptoProvider>,
) -> Arc<PinningServerVerifier> {
    let inner =
        WebPkiServerVerifier::builder_with_provider(root_store(&[&pki.root]), provider.clone())
            .build()
            .unwrap();
    PinningServerVerifier::wrap(inner, pins, provider.clone())
        .with_reporting(reporting)
        .build()
        .unwrap()
}

#[test]
fn wrap_mode_raises_the_same_events() {
    let provider = provider();
    let pki = Pki::new();

    let (events, reporting) = memory();
    let verifier = wrapped(
        &pki,
        set(entry().pin(stranger(1)).pin(stranger(2))),
        reporting,
        &provider,
    );
    let error = pki.verify(&*verifier, now()).unwrap_err();
    let events = events.take();
    assert_eq!(kinds(&events), [PinEventKind::Violation], "{PROVIDER}");
    assert_eq!(events[0].error.as_ref(), Some(pinning_error(&error)));
    // Wrap mode knows the leaf and the CAs it proved; the root is not sent.
    assert_eq!(events[0].verified_chain, pki.served_chain(), "{PROVIDER}");

    let (events, reporting) = memory();
    let verifier = wrapped(
        &pki,
        set(entry().pin(stranger(1)).report_only()),
        reporting,
        &provider,
    );
    assert_eq!(pki.verify(&*verifier, now()), Ok(()));
    assert_eq!(
        kinds(&events.take()),
        [PinEventKind::ReportOnlyViolation],
        "{PROVIDER}"
    );

    let (events, reporting) = memory();
    let verifier = wrapped(
        &pki,
        set(entry().pin(stranger(1)).backup_pin(pki.intermediate_pin())),
        reporting,
        &provider,
    );
    assert_eq!(pki.verify(&*verifier, now()), Ok(()));
    let events = events.take();
    assert_eq!(kinds(&events), [PinEventKind::BackupPinInUse], "{PROVIDER}");
    assert_eq!(events[0].matched_pin, Some(any(pki.intermediate_pin())));

    let (events, reporting) = memory();
    let time = now();
    let verifier = wrapped(
        &pki,
        set(entry()
            .pin(stranger(1))
            .pin(stranger(2))
            .expires_at(UnixTime::since_unix_epoch(Duration::from_secs(
                time.as_secs() - 1,
            )))),
        reporting,
        &provider,
    );
    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    let events = events.take();
    assert_eq!(
        kinds(&events),
        [PinEventKind::ExpiredEntrySkipped],
        "{PROVIDER}"
    );
    assert_eq!(events[0].verified_chain[0], pki.leaf, "{PROVIDER}");
}

#[test]
fn pins_only_mode_reports_violations_and_rotations() {
    let provider = provider();
    let pki = Pki::new();

    let (events, reporting) = memory();
    let verifier = danger::pins_only(
        set(entry().pin(stranger(1)).pin(stranger(2))),
        provider.clone(),
    )
    .with_reporting(reporting)
    .build()
    .unwrap();
    let error = pki.verify(&*verifier, now()).unwrap_err();
    let events = events.take();
    assert_eq!(kinds(&events), [PinEventKind::Violation], "{PROVIDER}");
    assert_eq!(events[0].error.as_ref(), Some(pinning_error(&error)));
    assert_eq!(events[0].verified_chain, std::slice::from_ref(&pki.leaf));

    let (events, reporting) = memory();
    let verifier = danger::pins_only(
        set(entry().pin(stranger(1)).backup_pin(pki.leaf_pin())),
        provider.clone(),
    )
    .with_reporting(reporting)
    .build()
    .unwrap();
    assert_eq!(pki.verify(&*verifier, now()), Ok(()));
    assert_eq!(
        kinds(&events.take()),
        [PinEventKind::BackupPinInUse],
        "{PROVIDER}"
    );

    let (events, reporting) = memory();
    let time = now();
    let verifier =
        danger::pins_only(
            set(entry().pin(pki.leaf_pin()).pin(stranger(1)).expires_at(
                UnixTime::since_unix_epoch(Duration::from_secs(time.as_secs() - 1)),
            )),
            provider.clone(),
        )
        .with_reporting(reporting)
        .build()
        .unwrap();
    let error = pki.verify(&*verifier, time).unwrap_err();
    assert!(matches!(
        pinning_error(&error),
        ServerPinningError::EntryExpiredWithoutFallback { .. }
    ));
    // Nothing is skipped in pins-only mode: the expired entry is a violation.
    assert_eq!(
        kinds(&events.take()),
        [PinEventKind::Violation],
        "{PROVIDER}"
    );
}

// ---------------------------------------------------------------------------------------------
// Reporters that misbehave
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Panicking;

impl PinReporter for Panicking {
    fn report(&self, _: &PinEvent) {
        panic!("reporter bug");
    }
}

#[test]
fn a_panicking_reporter_changes_no_verdict() {
    let provider = provider();
    let pki = Pki::new();
    let reporting = || Reporting::new(Arc::new(Panicking));

    let accepting = pki.webpki(
        set(entry().pin(stranger(1)).backup_pin(pki.leaf_pin())),
        reporting(),
        &provider,
    );
    assert_eq!(pki.verify(&*accepting, now()), Ok(()), "{PROVIDER}");

    let report_only = pki.webpki(
        set(entry().pin(stranger(1)).report_only()),
        reporting(),
        &provider,
    );
    assert_eq!(pki.verify(&*report_only, now()), Ok(()), "{PROVIDER}");

    let rejecting = pki.webpki(
        set(entry().pin(stranger(1)).pin(stranger(2))),
        reporting(),
        &provider,
    );
    let error = pki.verify(&*rejecting, now()).unwrap_err();
    assert!(matches!(
        pinning_error(&error),
        ServerPinningError::NoPinMatched { .. }
    ));
}

/// Blocks every call until released, counting the calls that arrived.
#[derive(Debug)]
struct Blocking {
    release: Mutex<mpsc::Receiver<()>>,
    arrived: AtomicU64,
}

impl PinReporter for Blocking {
    fn report(&self, _: &PinEvent) {
        self.arrived.fetch_add(1, Ordering::SeqCst);
        let _ = self.release.lock().unwrap().recv();
    }
}

#[test]
fn a_blocking_reporter_behind_a_background_reporter_cannot_stall_handshakes() {
    let provider = provider();
    let pki = Pki::new();
    let leaf = pki.intermediate.leaf(&[HOST]);
    let server = TestServer::start(common::server_config(
        leaf.chain(&[&pki.intermediate]),
        leaf.private_key(),
        provider.clone(),
    ));
    let (release, released) = mpsc::channel();
    let blocking = Arc::new(Blocking {
        release: Mutex::new(released),
        arrived: AtomicU64::new(0),
    });
    let background = Arc::new(BackgroundReporter::spawn(blocking.clone(), 1).unwrap());
    let pins = set(entry().pin(stranger(1)).report_only());
    let verifier = pki.webpki(pins, Reporting::new(background.clone()), &provider);
    // Without resumption, every handshake verifies the chain and raises an event.
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    let config = Arc::new(config);
    let wait_for_arrivals = |count: u64| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while blocking.arrived.load(Ordering::SeqCst) < count
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        blocking.arrived.load(Ordering::SeqCst)
    };

    // The reporter never returns while the handshakes run. They run on another thread so
    // that a stall fails the test instead of hanging it.
    let (done, finished) = mpsc::channel();
    let (go_on, proceed) = mpsc::channel::<()>();
    let addr = server.addr;
    std::thread::spawn(move || {
        let mut replies = vec![common::connect(addr, HOST, config.clone())];
        let _ = proceed.recv();
        replies.extend((0..4).map(|_| common::connect(addr, HOST, config.clone())));
        let _ = done.send(replies);
    });
    // The first event is taken by the reporter thread, which then blocks in it.
    assert_eq!(wait_for_arrivals(1), 1, "{PROVIDER}");
    go_on.send(()).unwrap();
    let replies = finished
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{PROVIDER}: handshakes stalled behind the reporter"));
    assert_eq!(replies.len(), 5);
    for reply in replies {
        assert_eq!(reply.as_deref(), Ok(common::GREETING), "{PROVIDER}");
    }
    // One event is being handled, one waits in the queue, three were dropped.
    assert_eq!(background.dropped(), 3, "{PROVIDER}");
    for _ in 0..5 {
        let _ = release.send(());
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while blocking.arrived.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(blocking.arrived.load(Ordering::SeqCst), 2, "{PROVIDER}");
}

// ---------------------------------------------------------------------------------------------
// De-duplication, driven by an injected clock
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct ManualClock(AtomicU64);

impl ManualClock {
    fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl TimeProvider for ManualClock {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_secs(
            self.0.load(Ordering::SeqCst),
        )))
    }
}

#[test]
fn deduplication_suppresses_identical_reports_until_the_window_passes() {
    let provider = provider();
    let pki = Pki::new();
    let sink = Arc::new(MemoryReporter::new(64));
    let clock = Arc::new(ManualClock(AtomicU64::new(1_900_000_000)));
    let deduplicated =
        Arc::new(DeduplicatingReporter::new(sink.clone()).with_time_provider(clock.clone()));
    let verifier = pki.webpki(
        set(entry().pin(stranger(1)).report_only()),
        Reporting::new(deduplicated.clone()),
        &provider,
    );
    let time = now();

    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    clock.advance(DAY - 1);
    assert_eq!(pki.verify(&*verifier, after(time, 5)), Ok(()));
    assert_eq!(sink.len(), 1, "{PROVIDER}: identical within 24 h");
    assert_eq!(deduplicated.suppressed(), 2, "{PROVIDER}");

    clock.advance(1);
    assert_eq!(pki.verify(&*verifier, time), Ok(()));
    assert_eq!(
        sink.len(),
        2,
        "{PROVIDER}: sent again once the window passed"
    );

    // A different chain is a different report.
    let other_leaf = pki.intermediate.leaf(&[HOST]).cert;
    let result = verifier.verify_server_cert(
        &other_leaf,
        &pki.intermediates(),
        &ServerName::try_from(HOST).unwrap(),
        &[],
        time,
    );
    assert!(result.is_ok(), "{PROVIDER}");
    assert_eq!(sink.len(), 3, "{PROVIDER}: another chain is reported");
    assert_eq!(deduplicated.suppressed(), 2, "{PROVIDER}");
}

#[test]
fn deduplication_window_is_configurable_and_defaults_to_a_day() {
    assert_eq!(
        rustls_pinning::reporters::DEFAULT_DEDUPLICATION_WINDOW,
        Duration::from_secs(DAY)
    );
    let provider = provider();
    let pki = Pki::new();
    let sink = Arc::new(MemoryReporter::new(64));
    let clock = Arc::new(ManualClock(AtomicU64::new(1_900_000_000)));
    let deduplicated = Arc::new(
        DeduplicatingReporter::new(sink.clone())
            .with_time_provider(clock.clone())
            .with_window(Duration::from_secs(60)),
    );
    let verifier = pki.webpki(
        set(entry().pin(stranger(1)).report_only()),
        Reporting::new(deduplicated),
        &provider,
    );
    assert_eq!(pki.verify(&*verifier, now()), Ok(()));
    clock.advance(59);
    assert_eq!(pki.verify(&*verifier, now()), Ok(()));
    assert_eq!(sink.len(), 1, "{PROVIDER}");
    clock.advance(1);
    assert_eq!(pki.verify(&*verifier, now()), Ok(()));
    assert_eq!(sink.len(), 2, "{PROVIDER}");
}

#[test]
fn memory_reporter_keeps_the_last_n_events() {
    let provider = provider();
    let pki = Pki::new();
    let events = Arc::new(MemoryReporter::new(2));
    let verifier = pki.webpki(
        set(entry().pin(stranger(1)).report_only()),
        Reporting::new(events.clone()),
        &provider,
    );
    let time = now();
    for offset in 0..3 {
        assert_eq!(pki.verify(&*verifier, after(time, offset)), Ok(()));
    }
    let kept = events.events();
    assert_eq!(
        kept.iter().map(|event| event.time).collect::<Vec<_>>(),
        [after(time, 1), after(time, 2)]
    );
}

// ---------------------------------------------------------------------------------------------
// The failure message: the right new pin can be copied from it
// ---------------------------------------------------------------------------------------------

#[test]
fn the_pin_copied_from_a_failure_message_makes_the_connection_work() {
    let provider = provider();
    let pki = Pki::new();
    let (_, reporting) = memory();
    let verifier = pki.webpki(
        set(entry().pin(stranger(1)).pin(stranger(2))),
        reporting,
        &provider,
    );
    let message = pki.verify(&*verifier, now()).unwrap_err().to_string();

    // As a person would: take the line naming the leaf, copy the `sha256/...` token.
    let leaf_line = message
        .lines()
        .find(|line| line.trim_start().starts_with("leaf"))
        .unwrap_or_else(|| panic!("{PROVIDER}: no leaf line in:\n{message}"));
    let copied = leaf_line
        .split_whitespace()
        .find(|word| word.starts_with("sha256/"))
        .unwrap()
        .trim_end_matches(':');
    let pin: Pin = copied.parse().unwrap();
    assert_eq!(pin, pki.leaf_pin(), "{PROVIDER}: {message}");

    let (_, reporting) = memory();
    let fixed = pki.webpki(set(entry().pin(pin).pin(stranger(2))), reporting, &provider);
    assert_eq!(pki.verify(&*fixed, now()), Ok(()), "{PROVIDER}");
}

// ---------------------------------------------------------------------------------------------
// RFC 7469 JSON
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "serde")]
#[test]
fn the_json_report_matches_the_fixture_field_by_field() {
    use rustls::pki_types::pem::PemObject;

    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/report");
    let root = CertificateDer::from_pem_file(format!("{fixtures}/root.pem")).unwrap();
    let leaf = CertificateDer::from_pem_file(format!("{fixtures}/leaf.pem")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{fixtures}/violation.json")).unwrap(),
    )
    .unwrap();

    let provider = provider();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let events = Arc::new(MemoryReporter::new(4));
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder("**.report.test".parse().unwrap())
                .pin(stranger(1))
                .pin(stranger(2))
                .expires_on("2030-01-01".parse().unwrap()),
        )
        .build()
        .unwrap();
    let verifier = PinningServerVerifier::builder(Arc::new(roots), pins, provider.clone())
        .with_root_certificates([root.clone()])
        .with_reporting(Reporting::new(events.clone()).port(443))
        .build()
        .unwrap();
    let at = UnixTime::since_unix_epoch(Duration::from_secs(1_798_761_600));
    let result = verifier.verify_server_cert(
        &leaf,
        &[],
        &ServerName::try_from("api.report.test").unwrap(),
        &[],
        at,
    );
    assert!(result.is_err(), "{PROVIDER}");

    let events = events.take();
    assert_eq!(kinds(&events), [PinEventKind::Violation], "{PROVIDER}");
    let json: serde_json::Value = serde_json::from_str(&events[0].to_json().unwrap()).unwrap();
    let (expected, json) = (expected.as_object().unwrap(), json.as_object().unwrap());
    for (field, value) in expected {
        assert_eq!(json.get(field), Some(value), "{PROVIDER}: field {field}");
    }
    assert_eq!(
        json.keys().collect::<Vec<_>>().len(),
        expected.len(),
        "{PROVIDER}: unexpected extra fields in {json:?}"
    );
    assert!(events[0].to_report().enforce_pinning, "{PROVIDER}");
}

#[cfg(feature = "serde")]
#[test]
fn a_report_only_report_says_pinning_was_not_enforced() {
    let provider = provider();
    let pki = Pki::new();
    let (events, reporting) = memory();
    let verifier = pki.webpki(
        set(entry().pin(stranger(1)).report_only()),
        reporting,
        &provider,
    );
    assert_eq!(pki.verify(&*verifier, now()), Ok(()));
    let report = events.take()[0].to_report();
    assert!(!report.enforce_pinning, "{PROVIDER}");
    assert_eq!(report.validation_result, 1, "{PROVIDER}");
    assert_eq!(report.noted_hostname, HOST);
    assert!(!report.include_subdomains);
    assert_eq!(report.port, Some(8443));
    assert_eq!(report.validated_certificate_chain.len(), 3, "{PROVIDER}");
    assert!(report.validated_certificate_chain[0].starts_with("-----BEGIN CERTIFICATE-----\n"));
}
