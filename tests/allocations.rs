//! The accept path of a pinned `verify_server_cert` performs no heap allocation.
//!
//! A counting global allocator tallies allocations per thread, so tests running in parallel
//! do not disturb each other's counts. It sees Rust's global allocator only: memory that a C
//! crypto library (aws-lc) obtains from `malloc` directly is not counted.

use rustls_pinning_test_support as common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use common::{providers, Ca, Leaf};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::Error;
use rustls_pinning::{
    Pin, PinEntry, PinEntryBuilder, PinScope, PinSet, PinningServerVerifier, ServerPinningError,
};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct CountingAllocator;

fn count_one() {
    // `try_with`: never panic inside the allocator, even during thread teardown.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the only
// addition is bumping a thread-local counter, which neither allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Runs `f` and returns its result with the number of allocations it made on this thread.
fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = allocations();
    let result = f();
    let after = allocations();
    (result, after - before)
}

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
fn counter_sees_allocations_on_this_thread() {
    let (vector, count) = counted(|| vec![1u8; 64]);
    assert_eq!(vector.len(), 64);
    assert_eq!(count, 1);
}

#[test]
fn accepted_pinned_chain_allocates_nothing() {
    for (name, provider) in providers() {
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
            warm_up.unwrap_or_else(|e| panic!("[{name}] {case}: warm-up rejected: {e}"));

            let (result, count) = verify_once(
                &*verifier,
                &chain.leaf.cert,
                &intermediates,
                &server_name,
                now,
            );
            result.unwrap_or_else(|e| panic!("[{name}] {case}: rejected: {e}"));
            assert_eq!(
                count, 0,
                "[{name}] {case}: heap allocations on the accept path"
            );
        }
    }
}

#[test]
fn plain_webpki_baseline_allocates_nothing() {
    // The same chain through rustls's own verifier, to tell this crate's allocations apart
    // from those of rustls and webpki if the test above ever fails.
    for (name, provider) in providers() {
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
        warm_up.unwrap_or_else(|e| panic!("[{name}] warm-up rejected: {e}"));
        let (result, count) = verify_once(
            &*verifier,
            &chain.leaf.cert,
            &intermediates,
            &server_name,
            now,
        );
        result.unwrap_or_else(|e| panic!("[{name}] rejected: {e}"));
        assert_eq!(count, 0, "[{name}] rustls WebPkiServerVerifier allocations");
    }
}

#[test]
fn rejected_pin_is_reported_and_allocates() {
    for (name, provider) in providers() {
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
        warm_up.unwrap_or_else(|e| panic!("[{name}] warm-up rejected: {e}"));

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
            "[{name}] got {error:?}"
        );
        assert!(
            count > 0,
            "[{name}] building the error allocates, so the counter must see it"
        );
    }
}

#[test]
fn a_reporter_adds_no_allocation_when_there_is_nothing_to_report() {
    for (name, provider) in providers() {
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
        let verifier =
            PinningServerVerifier::builder(chain.root.root_store(), pins, provider.clone())
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
        warm_up.unwrap_or_else(|e| panic!("[{name}] warm-up rejected: {e}"));
        let (result, count) = verify_once(
            &*verifier,
            &chain.leaf.cert,
            &intermediates,
            &server_name,
            now,
        );
        result.unwrap_or_else(|e| panic!("[{name}] rejected: {e}"));
        assert_eq!(
            count, 0,
            "[{name}] heap allocations with a reporter attached"
        );
        assert!(events.is_empty(), "[{name}] unexpected events");
    }
}
