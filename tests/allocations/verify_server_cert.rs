//! The accept path of a pinned `verify_server_cert` performs no heap allocation, counted by
//! main.rs's allocator.

use rustls_pinning_test_support as common;

use std::sync::Arc;

use common::{Ca, Leaf};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::Error;
use rustls_pinning::{
    Pin, PinEntry, PinEntryBuilder, PinScope, PinSet, PinningServerVerifier, ServerPinningError,
};

use super::{provider, PROVIDER};
use crate::counted;

const HOST: &str = "alloc.test";

struct Chain {
    root: Ca,
    int: Ca,
    leaf: Leaf,
}

impl Chain {
    fn new() -> Self {
        let root = Ca::root("Alloc Root");
        let int = root.intermediate("Alloc Intermediate");
        let leaf = int.leaf(&[HOST]);
        Chain { root, int, leaf }
    }
}

fn entry(pin: Pin, scope: PinScope) -> PinEntryBuilder {
    PinEntry::builder(HOST.parse().unwrap())
        .pin_at(pin, scope)
        .pin(Pin::spki_sha256([0xB0; 32]))
}

fn verifier(
    chain: &Chain,
    entry: PinEntryBuilder,
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Arc<PinningServerVerifier> {
    let pins = PinSet::builder().entry(entry).build().unwrap();
    PinningServerVerifier::builder(chain.root.root_store(), pins, provider.clone())
        .build()
        .unwrap()
}

fn verify_once(
    verifier: &dyn ServerCertVerifier,
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    name: &ServerName<'_>,
    now: UnixTime,
) -> (Result<ServerCertVerified, Error>, u64) {
    counted(|| verifier.verify_server_cert(leaf, intermediates, name, &[], now))
}

#[test]
fn accepted_pinned_chain_allocates_nothing() {
    let provider = provider();
    let chain = Chain::new();
    let intermediates = [chain.int.cert_der().clone()];
    let server_name = ServerName::try_from(HOST).unwrap();
    let now = UnixTime::now();
    let leaf_pin = Pin::spki_of(&chain.leaf.cert).unwrap();
    let cases = [
        ("leaf pin", entry(leaf_pin, PinScope::Leaf)),
        (
            "intermediate pin",
            entry(
                Pin::spki_of(chain.int.cert_der()).unwrap(),
                PinScope::Intermediate,
            ),
        ),
        (
            "root pin",
            entry(Pin::spki_of(chain.root.cert_der()).unwrap(), PinScope::Root),
        ),
        // A deny pin forces a look at every certificate of the path.
        (
            "leaf pin with an unmatched deny pin",
            entry(leaf_pin, PinScope::Leaf).deny(Pin::spki_sha256([0xDE; 32])),
        ),
    ];
    for (case, entry) in cases {
        let verifier = verifier(&chain, entry, &provider);
        // Warm-up: lazy statics in the crypto backends and the like.
        let (warm_up, _) = verify_once(
            &*verifier,
            &chain.leaf.cert,
            &intermediates,
            &server_name,
            now,
        );
        warm_up.unwrap_or_else(|e| panic!("[{PROVIDER}] {case}: warm-up rejected: {e}"));

        let (result, count) = verify_once(
            &*verifier,
            &chain.leaf.cert,
            &intermediates,
            &server_name,
            now,
        );
        result.unwrap_or_else(|e| panic!("[{PROVIDER}] {case}: rejected: {e}"));
        assert_eq!(
            count, 0,
            "[{PROVIDER}] {case}: heap allocations on the accept path"
        );
    }
}

#[test]
fn plain_webpki_baseline_allocates_nothing() {
    // The same chain through rustls's own verifier, to tell this crate's allocations apart
    // from those of rustls and webpki if the test above ever fails.
    let provider = provider();
    let chain = Chain::new();
    let intermediates = [chain.int.cert_der().clone()];
    let server_name = ServerName::try_from(HOST).unwrap();
    let now = UnixTime::now();
    let verifier =
        WebPkiServerVerifier::builder_with_provider(chain.root.root_store(), provider.clone())
            .build()
            .unwrap();
    let (warm_up, _) = verify_once(
        &*verifier,
        &chain.leaf.cert,
        &intermediates,
        &server_name,
        now,
    );
    warm_up.unwrap_or_else(|e| panic!("[{PROVIDER}] warm-up rejected: {e}"));
    let (result, count) = verify_once(
        &*verifier,
        &chain.leaf.cert,
        &intermediates,
        &server_name,
        now,
    );
    result.unwrap_or_else(|e| panic!("[{PROVIDER}] rejected: {e}"));
    assert_eq!(
        count, 0,
        "[{PROVIDER}] rustls WebPkiServerVerifier allocations"
    );
}

#[test]
fn rejected_pin_is_reported_and_allocates() {
    let provider = provider();
    let chain = Chain::new();
    let impostor = chain.int.leaf(&[HOST]);
    let intermediates = [chain.int.cert_der().clone()];
    let server_name = ServerName::try_from(HOST).unwrap();
    let now = UnixTime::now();
    let verifier = verifier(
        &chain,
        entry(Pin::spki_of(&chain.leaf.cert).unwrap(), PinScope::Leaf),
        &provider,
    );
    let (warm_up, _) = verify_once(
        &*verifier,
        &chain.leaf.cert,
        &intermediates,
        &server_name,
        now,
    );
    warm_up.unwrap_or_else(|e| panic!("[{PROVIDER}] warm-up rejected: {e}"));

    let (result, count) = verify_once(
        &*verifier,
        &impostor.cert,
        &intermediates,
        &server_name,
        now,
    );
    let error = result.expect_err("impostor must be rejected");
    assert!(
        matches!(
            ServerPinningError::from_rustls(&error),
            Some(ServerPinningError::NoPinMatched { .. })
        ),
        "[{PROVIDER}] got {error:?}"
    );
    assert!(
        count > 0,
        "[{PROVIDER}] building the error allocates, so the counter must see it"
    );
}

#[test]
fn a_reporter_adds_no_allocation_when_there_is_nothing_to_report() {
    let provider = provider();
    let chain = Chain::new();
    let intermediates = [chain.int.cert_der().clone()];
    let server_name = ServerName::try_from(HOST).unwrap();
    let now = UnixTime::now();
    let events = Arc::new(rustls_pinning::reporters::MemoryReporter::new(8));
    // Far from expiry, matched through a primary pin: no event is due.
    let far = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        now.as_secs() + 400 * 24 * 3600,
    ));
    let pins = PinSet::builder()
        .entry(entry(Pin::spki_of(&chain.leaf.cert).unwrap(), PinScope::Leaf).expires_at(far))
        .build()
        .unwrap();
    let verifier = PinningServerVerifier::builder(chain.root.root_store(), pins, provider.clone())
        .with_reporting(rustls_pinning::Reporting::new(events.clone()))
        .build()
        .unwrap();
    let (warm_up, _) = verify_once(
        &*verifier,
        &chain.leaf.cert,
        &intermediates,
        &server_name,
        now,
    );
    warm_up.unwrap_or_else(|e| panic!("[{PROVIDER}] warm-up rejected: {e}"));
    let (result, count) = verify_once(
        &*verifier,
        &chain.leaf.cert,
        &intermediates,
        &server_name,
        now,
    );
    result.unwrap_or_else(|e| panic!("[{PROVIDER}] rejected: {e}"));
    assert_eq!(
        count, 0,
        "[{PROVIDER}] heap allocations with a reporter attached"
    );
    assert!(events.is_empty(), "[{PROVIDER}] unexpected events");
}
