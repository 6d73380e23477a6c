//! Signed pin bundles and `PinStore`: what is applied, what is refused (with the state left
//! alone), expiry and the static fallback, hybrid modes, resumption after an update,
//! concurrent readers during updates, the audit trail and the refresh loop.

#![cfg(feature = "dynamic")]

use rustls_pinning_test_support as common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{root_store, Ca, TestServer};
use rcgen::KeyPair;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{PrivateKeyDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::RootCertStore;
use rustls_pinning::bundle::{self, BundleAlgorithm, BundleError, BundleKey, BundleVerifier};
use rustls_pinning::pin_store::{ApplyOutcome, BundleEvent, BundleEventKind, HybridMode, PinStore};
use rustls_pinning::refresh::{self, FetchError, FetchedBundle, PinSource, RefreshOutcome};
use rustls_pinning::{
    Pin, PinEntry, PinSet, PinningServerVerifier, ServerPinningError, UnpinnedHostPolicy,
};

use super::{provider, PROVIDER};

const HOST: &str = "dynamic.test";
const OTHER: &str = "other.test";
const DAY: u64 = 24 * 3600;

/// A bundle-signing key pair.
struct Signer {
    private: PrivateKeyDer<'static>,
    public: BundleKey,
}

impl Signer {
    fn new(algorithm: &'static rcgen::SignatureAlgorithm) -> Self {
        let pair = KeyPair::generate_for(algorithm).unwrap();
        let private = PrivateKeyDer::Pkcs8(pair.serialize_der().into());
        let public =
            BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(common::spki_of(&pair))).unwrap();
        Self { private, public }
    }

    fn ed25519() -> Self {
        Self::new(&rcgen::PKCS_ED25519)
    }

    fn ecdsa() -> Self {
        Self::new(&rcgen::PKCS_ECDSA_P256_SHA256)
    }

    fn sign(&self, body: &[u8], provider: &Arc<CryptoProvider>) -> Vec<u8> {
        bundle::sign(body, &self.private, provider).unwrap()
    }
}

/// A root, an intermediate, and two leaves for [`HOST`] with different keys (the "old" and
/// the "new" server), plus a leaf for [`OTHER`].
struct Pki {
    root: Ca,
    intermediate: Ca,
    old: common::Leaf,
    new: common::Leaf,
    other: common::Leaf,
}

impl Pki {
    fn new() -> Self {
        let root = Ca::root("Dynamic Root");
        let intermediate = root.intermediate("Dynamic Intermediate");
        let old = intermediate.leaf(&[HOST]);
        let new = intermediate.leaf(&[HOST]);
        let other = intermediate.leaf(&[OTHER]);
        Self {
            root,
            intermediate,
            old,
            new,
            other,
        }
    }

    fn roots(&self) -> Arc<RootCertStore> {
        root_store(&[&self.root])
    }

    fn verify(
        &self,
        verifier: &dyn ServerCertVerifier,
        leaf: &common::Leaf,
        host: &str,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        verifier
            .verify_server_cert(
                &leaf.cert,
                &[self.intermediate.cert_der().clone()],
                &ServerName::try_from(host.to_owned()).unwrap(),
                &[],
                now,
            )
            .map(|_| ())
    }
}

fn spki(leaf: &common::Leaf) -> Pin {
    Pin::spki_of(&leaf.cert).unwrap()
}

fn reserve(byte: u8) -> Pin {
    Pin::spki_sha256([byte; 32])
}

/// A set pinning `host` to `pin` with a reserve backup.
fn pinning(host: &str, pin: Pin) -> PinSet {
    PinSet::builder()
        .entry(
            PinEntry::builder(host.parse().unwrap())
                .pin(pin)
                .backup_pin(reserve(0xEE)),
        )
        .build()
        .unwrap()
}

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

fn now() -> UnixTime {
    UnixTime::now()
}

fn plus(time: UnixTime, secs: u64) -> UnixTime {
    at(time.as_secs() + secs)
}

/// A signed bundle of `pins`, version `version`, valid from `issued` for `days` days.
fn signed(
    signer: &Signer,
    pins: &PinSet,
    version: u64,
    issued: UnixTime,
    days: u64,
    provider: &Arc<CryptoProvider>,
) -> (Vec<u8>, Vec<u8>) {
    let body = bundle::body(pins, version, issued, plus(issued, days * DAY)).unwrap();
    let signature = signer.sign(&body, provider);
    (body, signature)
}

type Events = Arc<Mutex<Vec<BundleEvent>>>;

/// A refusal case: its name, the bundle and signature, and what the error must look like.
type Case = (
    &'static str,
    (Vec<u8>, Vec<u8>),
    Box<dyn Fn(&BundleError) -> bool>,
);

fn store(
    pki: &Pki,
    static_pins: PinSet,
    signer: &Signer,
    mode: HybridMode,
    provider: &Arc<CryptoProvider>,
) -> (PinStore, Events) {
    let events: Events = Arc::default();
    let sink = events.clone();
    let roots = pki.roots();
    let factory_provider = provider.clone();
    let config_provider = provider.clone();
    let store = PinStore::builder(
        static_pins,
        move |pins| {
            PinningServerVerifier::builder(roots.clone(), pins, factory_provider.clone()).build()
        },
        BundleVerifier::new(vec![signer.public.clone()], provider).unwrap(),
    )
    .hybrid_mode(mode)
    .with_client_config(move |verifier| {
        Ok(
            rustls::ClientConfig::builder_with_provider(config_provider.clone())
                .with_safe_default_protocol_versions()?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth(),
        )
    })
    .with_observer(Arc::new(move |event: &BundleEvent| {
        sink.lock().unwrap().push(event.clone())
    }))
    .build()
    .unwrap();
    (store, events)
}

fn pinning_error(result: Result<(), rustls::Error>) -> ServerPinningError {
    let error = result.expect_err("expected a pinning rejection");
    ServerPinningError::from_rustls(&error)
        .unwrap_or_else(|| panic!("not a pinning error: {error:?}"))
        .clone()
}

/// The store's observable state, to check that a refusal changed nothing.
fn state(store: &PinStore) -> (Option<u64>, Option<u64>, usize) {
    (
        store.bundle().map(|bundle| bundle.version()),
        store.newest_version(),
        Arc::as_ptr(&store.client_config().unwrap()) as *const () as usize,
    )
}

// ---------------------------------------------------------------------------------------------
// Applying and refusing
// ---------------------------------------------------------------------------------------------

#[test]
fn a_valid_bundle_is_applied_with_either_signature_algorithm() {
    let provider = provider();
    for signer in [Signer::ed25519(), Signer::ecdsa()] {
        let pki = Pki::new();
        let (store, events) = store(
            &pki,
            pinning(HOST, spki(&pki.old)),
            &signer,
            HybridMode::Either,
            &provider,
        );
        let time = now();
        // Before: OTHER is not pinned at all, so any valid chain passes.
        assert_eq!(
            pki.verify(&*store.verifier(), &pki.other, OTHER, time),
            Ok(())
        );

        let (body, signature) = signed(
            &signer,
            &pinning(OTHER, reserve(0x01)),
            1,
            time,
            7,
            &provider,
        );
        assert_eq!(
            store.apply(&body, &signature, time).unwrap(),
            ApplyOutcome::Applied {
                old_version: None,
                new_version: 1
            },
            "{PROVIDER} {}",
            signer.public.algorithm()
        );
        assert_eq!(store.bundle().unwrap().version(), 1);
        assert_eq!(store.bundle().unwrap().signed_by(), signer.public.id());
        // After: the bundle pins OTHER to a key its server does not have.
        assert!(matches!(
            pinning_error(pki.verify(&*store.verifier(), &pki.other, OTHER, time)),
            ServerPinningError::NoPinMatched { .. }
        ));
        // HOST keeps its static pins.
        assert_eq!(pki.verify(&*store.verifier(), &pki.old, HOST, time), Ok(()));

        // The same bytes again change nothing and raise no event.
        assert_eq!(
            store.apply(&body, &signature, time).unwrap(),
            ApplyOutcome::Unchanged
        );
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 1, "{PROVIDER}");
        assert_eq!(events[0].kind, BundleEventKind::Applied);
        assert_eq!(
            (events[0].old_version, events[0].new_version),
            (None, Some(1))
        );
        assert_eq!(events[0].added.len(), 2);
        assert!(events[0]
            .added
            .iter()
            .all(|change| change.pattern.as_deref() == Some(OTHER)));
        assert_eq!(events[0].removed, []);
    }
}

#[test]
fn tampered_foreign_replayed_and_expired_bundles_are_refused_leaving_the_state_alone() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    let stranger = Signer::ed25519();
    let (store, events) = store(
        &pki,
        pinning(HOST, spki(&pki.old)),
        &signer,
        HybridMode::Either,
        &provider,
    );
    let time = now();
    let (body, signature) = signed(&signer, &pinning(OTHER, reserve(1)), 5, time, 7, &provider);
    store.apply(&body, &signature, time).unwrap();
    let before = state(&store);
    events.lock().unwrap().clear();

    // A tampered body: one pin byte changed after signing.
    let tampered = {
        let (body, signature) = signed(&signer, &pinning(OTHER, reserve(2)), 6, time, 7, &provider);
        let text = String::from_utf8(body).unwrap();
        let altered = text.replacen(&reserve(2).base64(), &reserve(3).base64(), 1);
        assert_ne!(altered, text);
        (altered.into_bytes(), signature)
    };
    // A bundle signed by an untrusted key, and one that claims the trusted key's id.
    let foreign = signed(
        &stranger,
        &pinning(OTHER, reserve(2)),
        6,
        time,
        7,
        &provider,
    );
    let impersonating = {
        let text = String::from_utf8(foreign.1.clone()).unwrap();
        let text = text.replace(
            &stranger.public.id().to_string(),
            &signer.public.id().to_string(),
        );
        (foreign.0.clone(), text.into_bytes())
    };
    let replayed = signed(&signer, &pinning(OTHER, reserve(2)), 4, time, 7, &provider);
    let same_version = signed(&signer, &pinning(OTHER, reserve(2)), 5, time, 7, &provider);
    let expired = signed(
        &signer,
        &pinning(OTHER, reserve(2)),
        9,
        at(time.as_secs() - 10 * DAY),
        7,
        &provider,
    );
    let future = signed(
        &signer,
        &pinning(OTHER, reserve(2)),
        9,
        plus(time, DAY),
        7,
        &provider,
    );

    let cases: Vec<Case> = vec![
        (
            "tampered",
            tampered,
            Box::new(|e| matches!(e, BundleError::BadSignature { .. })),
        ),
        (
            "foreign key",
            foreign,
            Box::new(|e| matches!(e, BundleError::UnknownKey { .. })),
        ),
        (
            "impersonated key id",
            impersonating,
            Box::new(|e| matches!(e, BundleError::BadSignature { .. })),
        ),
        (
            "older version",
            replayed,
            Box::new(|e| {
                matches!(
                    e,
                    BundleError::NotNewer {
                        version: 4,
                        current: 5
                    }
                )
            }),
        ),
        (
            "same version",
            same_version,
            Box::new(|e| {
                matches!(
                    e,
                    BundleError::NotNewer {
                        version: 5,
                        current: 5
                    }
                )
            }),
        ),
        (
            "expired",
            expired,
            Box::new(|e| matches!(e, BundleError::Expired { version: 9, .. })),
        ),
        (
            "issued in the future",
            future,
            Box::new(|e| matches!(e, BundleError::NotYetValid { version: 9, .. })),
        ),
    ];
    for (case, (body, signature), expected) in cases {
        let error = store.apply(&body, &signature, time).unwrap_err();
        assert!(expected(&error), "{PROVIDER} {case}: {error}");
        assert_eq!(state(&store), before, "{PROVIDER} {case}: state changed");
        let event = events.lock().unwrap().pop().unwrap();
        assert_eq!(event.kind, BundleEventKind::Rejected, "{PROVIDER} {case}");
        assert_eq!(event.old_version, Some(5));
        assert_eq!(event.reason.as_deref(), Some(error.to_string().as_str()));
    }
    // The bundle in force still applies.
    assert!(pki
        .verify(&*store.verifier(), &pki.other, OTHER, time)
        .is_err());
}

#[test]
fn malformed_signatures_and_policies_are_refused_with_the_reason() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ecdsa();
    let (store, _) = store(
        &pki,
        pinning(HOST, spki(&pki.old)),
        &signer,
        HybridMode::Either,
        &provider,
    );
    let time = now();
    let (body, signature) = signed(&signer, &pinning(OTHER, reserve(1)), 1, time, 7, &provider);
    let signature_text = String::from_utf8(signature.clone()).unwrap();
    for broken in [
        String::from("not json"),
        signature_text.replace("ecdsa-p256-sha256", "rsa-pss"),
        signature_text.replace("\"signature\": \"", "\"signature\": \"!!"),
    ] {
        let error = store.apply(&body, broken.as_bytes(), time).unwrap_err();
        assert!(
            matches!(error, BundleError::MalformedSignature { .. }),
            "{error}"
        );
    }
    let ed_signature = {
        let other = Signer::ed25519();
        let text = String::from_utf8(other.sign(&body, &provider)).unwrap();
        text.replace(
            &other.public.id().to_string(),
            &signer.public.id().to_string(),
        )
    };
    assert!(matches!(
        store
            .apply(&body, ed_signature.as_bytes(), time)
            .unwrap_err(),
        BundleError::AlgorithmMismatch {
            expected: BundleAlgorithm::EcdsaP256Sha256,
            found: BundleAlgorithm::Ed25519,
            ..
        }
    ));

    // Signed but invalid: the policy breaks a builder rule.
    let lonely = format!(
        "{{\"version\": 2, \"issued_at\": \"{}\", \"expires_at\": \"2099-01-01T00:00:00Z\", \"policy\": {{\"version\": 1, \"entry\": [{{\"pattern\": \"a.test\", \"pins\": [\"{}\"]}}]}}}}",
        rustls_pinning::Date::from_unix_time(time).to_string() + "T00:00:00Z",
        reserve(1)
    );
    let error = store
        .apply(
            lonely.as_bytes(),
            &signer.sign(lonely.as_bytes(), &provider),
            time,
        )
        .unwrap_err();
    assert!(matches!(error, BundleError::InvalidPolicy(_)), "{error}");
    assert!(error.to_string().contains("has one allowed pin"), "{error}");

    let not_json = b"{\"version\": 3,".to_vec();
    let error = store
        .apply(&not_json, &signer.sign(&not_json, &provider), time)
        .unwrap_err();
    assert!(
        matches!(error, BundleError::MalformedBundle { line: 1, .. }),
        "{error}"
    );
    assert!(store.bundle().is_none());
    assert_eq!(store.newest_version(), None);
}

// ---------------------------------------------------------------------------------------------
// Expiry and hybrid modes
// ---------------------------------------------------------------------------------------------

#[test]
fn an_expired_bundle_falls_back_to_the_static_policy_and_says_so_once() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    let (store, events) = store(
        &pki,
        pinning(HOST, spki(&pki.old)),
        &signer,
        HybridMode::Either,
        &provider,
    );
    let time = now();
    // The bundle moves HOST to the new key only (Both mode would be needed to narrow;
    // here the bundle pins OTHER to a key its server lacks, which shows whether it applies).
    let (body, signature) = signed(&signer, &pinning(OTHER, reserve(1)), 1, time, 1, &provider);
    store.apply(&body, &signature, time).unwrap();
    let verifier = store.verifier();
    assert!(
        pki.verify(&*verifier, &pki.other, OTHER, plus(time, DAY - 1))
            .is_err(),
        "{PROVIDER}"
    );
    // After the expiry, the same verifier falls back by itself.
    let after = plus(time, DAY);
    assert_eq!(
        pki.verify(&*verifier, &pki.other, OTHER, after),
        Ok(()),
        "{PROVIDER}"
    );
    assert_eq!(
        pki.verify(&*verifier, &pki.other, OTHER, after),
        Ok(()),
        "{PROVIDER}"
    );
    assert!(store.check_expiry(after));
    assert_eq!(store.bundle().map(|bundle| bundle.version()), None);
    assert_eq!(
        store.newest_version(),
        Some(1),
        "{PROVIDER}: the version is remembered"
    );
    assert_eq!(
        pki.verify(&*store.verifier(), &pki.other, OTHER, after),
        Ok(())
    );

    let events = events.lock().unwrap();
    let expired = events
        .iter()
        .filter(|event| event.kind == BundleEventKind::Expired)
        .collect::<Vec<_>>();
    assert_eq!(expired.len(), 1, "{PROVIDER}: {events:?}");
    assert_eq!(expired[0].old_version, Some(1));
    assert_eq!(expired[0].removed.len(), 2);
    drop(events);

    // The expired version cannot come back.
    assert!(matches!(
        store.apply(&body, &signature, time).unwrap_err(),
        BundleError::NotNewer { .. }
    ));
}

#[test]
fn either_mode_lets_a_bundle_add_keys_and_hosts() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    let (store, _) = store(
        &pki,
        pinning(HOST, spki(&pki.old)),
        &signer,
        HybridMode::Either,
        &provider,
    );
    let time = now();
    // Static pins accept the old server only.
    assert_eq!(pki.verify(&*store.verifier(), &pki.old, HOST, time), Ok(()));
    assert!(pki
        .verify(&*store.verifier(), &pki.new, HOST, time)
        .is_err());

    // A rotation the static pins did not foresee: the bundle pins the new key.
    let (body, signature) = signed(
        &signer,
        &pinning(HOST, spki(&pki.new)),
        1,
        time,
        7,
        &provider,
    );
    store.apply(&body, &signature, time).unwrap();
    assert_eq!(
        pki.verify(&*store.verifier(), &pki.old, HOST, time),
        Ok(()),
        "{PROVIDER}: static still accepts"
    );
    assert_eq!(
        pki.verify(&*store.verifier(), &pki.new, HOST, time),
        Ok(()),
        "{PROVIDER}: bundle accepts"
    );
    // A key neither policy pins is still refused.
    let impostor = pki.intermediate.leaf(&[HOST]);
    assert!(
        pki.verify(&*store.verifier(), &impostor, HOST, time)
            .is_err(),
        "{PROVIDER}"
    );
}

#[test]
fn both_mode_lets_a_bundle_revoke_a_static_pin() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    let static_pins = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse().unwrap())
                .pin(spki(&pki.old))
                .pin(spki(&pki.new)),
        )
        .build()
        .unwrap();
    let (store, _) = store(&pki, static_pins, &signer, HybridMode::Both, &provider);
    let time = now();
    assert_eq!(pki.verify(&*store.verifier(), &pki.old, HOST, time), Ok(()));
    assert_eq!(pki.verify(&*store.verifier(), &pki.new, HOST, time), Ok(()));

    // The old key is compromised: the bundle keeps only the new one.
    let (body, signature) = signed(
        &signer,
        &pinning(HOST, spki(&pki.new)),
        1,
        time,
        7,
        &provider,
    );
    store.apply(&body, &signature, time).unwrap();
    assert!(
        matches!(
            pinning_error(pki.verify(&*store.verifier(), &pki.old, HOST, time)),
            ServerPinningError::NoPinMatched { .. }
        ),
        "{PROVIDER}"
    );
    assert_eq!(
        pki.verify(&*store.verifier(), &pki.new, HOST, time),
        Ok(()),
        "{PROVIDER}"
    );
}

#[test]
fn a_bundle_deny_everywhere_rejects_even_in_either_mode() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    let (store, _) = store(
        &pki,
        pinning(HOST, spki(&pki.old)),
        &signer,
        HybridMode::Either,
        &provider,
    );
    let time = now();
    let deny = PinSet::builder()
        .deny_everywhere(Pin::spki_of(pki.intermediate.cert_der()).unwrap())
        .build()
        .unwrap();
    let (body, signature) = signed(&signer, &deny, 1, time, 7, &provider);
    store.apply(&body, &signature, time).unwrap();
    assert!(
        matches!(
            pinning_error(pki.verify(&*store.verifier(), &pki.old, HOST, time)),
            ServerPinningError::DeniedPinMatched { pattern: None, .. }
        ),
        "{PROVIDER}"
    );
}

#[test]
fn a_chain_failure_is_reported_as_such_in_every_mode() {
    let provider = provider();
    for mode in [HybridMode::Either, HybridMode::Both] {
        let pki = Pki::new();
        let signer = Signer::ed25519();
        let (store, _) = store(
            &pki,
            pinning(HOST, spki(&pki.old)),
            &signer,
            mode,
            &provider,
        );
        let time = now();
        let (body, signature) = signed(
            &signer,
            &pinning(HOST, spki(&pki.new)),
            1,
            time,
            7,
            &provider,
        );
        store.apply(&body, &signature, time).unwrap();
        let untrusted = Ca::root("Untrusted").leaf(&[HOST]);
        let result = store.verifier().verify_server_cert(
            &untrusted.cert,
            &[],
            &ServerName::try_from(HOST).unwrap(),
            &[],
            time,
        );
        assert_eq!(
            result.map(|_| ()),
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            )),
            "{PROVIDER} {mode:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Resumption, concurrency
// ---------------------------------------------------------------------------------------------

#[test]
fn a_session_resumed_after_an_update_cannot_skip_the_new_policy() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    // A shared session cache across configurations: the most permissive setup.
    let sessions = Arc::new(rustls::client::ClientSessionMemoryCache::new(32));
    let events: Events = Arc::default();
    let roots = pki.roots();
    let factory_provider = provider.clone();
    let config_provider = provider.clone();
    let shared = sessions.clone();
    let static_pins = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse().unwrap())
                .pin(spki(&pki.old))
                .pin(spki(&pki.new)),
        )
        .unpinned_hosts(UnpinnedHostPolicy::WebPkiOnly)
        .build()
        .unwrap();
    let sink = events.clone();
    let store = PinStore::builder(
        static_pins,
        move |pins| {
            PinningServerVerifier::builder(roots.clone(), pins, factory_provider.clone()).build()
        },
        BundleVerifier::new(vec![signer.public.clone()], &provider).unwrap(),
    )
    .hybrid_mode(HybridMode::Both)
    .with_client_config(move |verifier| {
        let mut config = rustls::ClientConfig::builder_with_provider(config_provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.resumption = rustls::client::Resumption::store(shared.clone());
        Ok(config)
    })
    .with_observer(Arc::new(move |event: &BundleEvent| {
        sink.lock().unwrap().push(event.clone())
    }))
    .build()
    .unwrap();

    let server = TestServer::with_chain(
        pki.old.chain(&[&pki.intermediate]),
        pki.old.private_key(),
        provider.clone(),
    );
    let before = store.client_config().unwrap();
    // Two connections: the second resumes, proving the cache works.
    for _ in 0..2 {
        assert_eq!(
            common::connect(server.addr, HOST, before.clone()).as_deref(),
            Ok(common::GREETING)
        );
    }

    // The bundle removes the old key.
    let time = now();
    let (body, signature) = signed(
        &signer,
        &pinning(HOST, spki(&pki.new)),
        1,
        time,
        7,
        &provider,
    );
    store.apply(&body, &signature, time).unwrap();
    let after = store.client_config().unwrap();
    assert!(
        !Arc::ptr_eq(&before, &after),
        "{PROVIDER}: an update makes a new configuration"
    );
    let error = common::connect(server.addr, HOST, after).unwrap_err();
    assert!(
        matches!(
            ServerPinningError::from_rustls(&error),
            Some(ServerPinningError::NoPinMatched { .. })
        ),
        "{PROVIDER}: {error:?}"
    );
    assert_eq!(events.lock().unwrap().len(), 1);
}

#[test]
fn readers_never_fail_for_a_host_pinned_in_every_policy_during_ten_thousand_updates() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    let (store, _) = store(
        &pki,
        pinning(HOST, spki(&pki.old)),
        &signer,
        HybridMode::Both,
        &provider,
    );
    let store = Arc::new(store);
    let time = now();
    // Every bundle keeps HOST on the old key and changes OTHER's pins.
    const UPDATES: u64 = 10_000;
    let bundles = (1..=UPDATES)
        .map(|version| {
            let pins = PinSet::builder()
                .entry(
                    PinEntry::builder(HOST.parse().unwrap())
                        .pin(spki(&pki.old))
                        .backup_pin(reserve(0xEE)),
                )
                .entry(
                    PinEntry::builder(OTHER.parse().unwrap())
                        .pin(reserve((version % 200) as u8))
                        .backup_pin(reserve(0xEF)),
                )
                .build()
                .unwrap();
            signed(&signer, &pins, version, time, 7, &provider)
        })
        .collect::<Vec<_>>();

    let done = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let pki = Arc::new(pki);
    let readers = (0..3)
        .map(|_| {
            let (store, done, checks, failures, pki) = (
                store.clone(),
                done.clone(),
                checks.clone(),
                failures.clone(),
                pki.clone(),
            );
            std::thread::spawn(move || {
                while !done.load(Ordering::Acquire) {
                    if pki
                        .verify(&*store.verifier(), &pki.old, HOST, time)
                        .is_err()
                    {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    checks.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect::<Vec<_>>();
    for (body, signature) in &bundles {
        store.apply(body, signature, time).unwrap();
    }
    done.store(true, Ordering::Release);
    for reader in readers {
        reader.join().unwrap();
    }
    assert_eq!(store.bundle().unwrap().version(), UPDATES);
    assert_eq!(failures.load(Ordering::Relaxed), 0, "{PROVIDER}");
    assert!(checks.load(Ordering::Relaxed) > 0);
    println!(
        "{} reader checks during {UPDATES} updates, no failure",
        checks.load(Ordering::Relaxed)
    );
}

// ---------------------------------------------------------------------------------------------
// The refresh loop
// ---------------------------------------------------------------------------------------------

/// A source serving whatever was last published, or failing on demand.
#[derive(Debug, Default)]
struct Published {
    current: Mutex<Option<FetchedBundle>>,
    failing: AtomicBool,
}

impl PinSource for Published {
    fn fetch(&self) -> Result<FetchedBundle, FetchError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err("bundle server unreachable".into());
        }
        self.current
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| "nothing published".into())
    }
}

impl Published {
    fn publish(&self, (body, signature): (Vec<u8>, Vec<u8>)) {
        *self.current.lock().unwrap() = Some(FetchedBundle::new(body, signature));
    }
}

#[test]
fn refresh_keeps_the_last_good_bundle_when_the_source_fails_or_serves_garbage() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    let (store, _) = store(
        &pki,
        pinning(HOST, spki(&pki.old)),
        &signer,
        HybridMode::Either,
        &provider,
    );
    let source = Published::default();
    let time = now();

    assert!(matches!(
        refresh::refresh_once(&store, &source, time),
        RefreshOutcome::FetchFailed(_)
    ));
    source.publish(signed(
        &signer,
        &pinning(OTHER, reserve(1)),
        1,
        time,
        7,
        &provider,
    ));
    assert!(matches!(
        refresh::refresh_once(&store, &source, time),
        RefreshOutcome::Applied { version: 1 }
    ));
    assert!(matches!(
        refresh::refresh_once(&store, &source, time),
        RefreshOutcome::Unchanged
    ));

    source.failing.store(true, Ordering::SeqCst);
    assert!(matches!(
        refresh::refresh_once(&store, &source, time),
        RefreshOutcome::FetchFailed(_)
    ));
    assert_eq!(store.bundle().unwrap().version(), 1);

    source.failing.store(false, Ordering::SeqCst);
    let stranger = Signer::ed25519();
    source.publish(signed(
        &stranger,
        &pinning(OTHER, reserve(2)),
        2,
        time,
        7,
        &provider,
    ));
    assert!(matches!(
        refresh::refresh_once(&store, &source, time),
        RefreshOutcome::Rejected(BundleError::UnknownKey { .. })
    ));
    assert_eq!(store.bundle().unwrap().version(), 1);
}

#[test]
fn the_background_refresher_applies_what_is_published() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::ed25519();
    let (store, _) = store(
        &pki,
        pinning(HOST, spki(&pki.old)),
        &signer,
        HybridMode::Either,
        &provider,
    );
    let store = Arc::new(store);
    let source = Arc::new(Published::default());
    let time = now();
    source.publish(signed(
        &signer,
        &pinning(OTHER, reserve(1)),
        1,
        time,
        7,
        &provider,
    ));
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let seen = outcomes.clone();
    let refresher = refresh::Refresher::spawn(
        store.clone(),
        source.clone(),
        refresh::RefreshSchedule::default().interval(Duration::from_secs(3600)),
        move |outcome| seen.lock().unwrap().push(format!("{outcome:?}")),
    )
    .unwrap();
    let wait_for = |version: u64| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while store.bundle().map(|bundle| bundle.version()) != Some(version)
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        store.bundle().map(|bundle| bundle.version())
    };
    assert_eq!(wait_for(1), Some(1));
    source.publish(signed(
        &signer,
        &pinning(OTHER, reserve(2)),
        2,
        time,
        7,
        &provider,
    ));
    refresher.refresh_now();
    assert_eq!(wait_for(2), Some(2));
    drop(refresher);
    let outcomes = outcomes.lock().unwrap();
    assert!(
        outcomes
            .iter()
            .filter(|outcome| outcome.starts_with("Applied"))
            .count()
            == 2,
        "{outcomes:?}"
    );
}
