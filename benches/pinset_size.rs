//! Lookup plus pin check for one host in pin sets of 1, 100, 10 000 and 100 000 entries,
//! whose patterns mix exact names, `*.` and `**.` wildcards: the cost of a fleet-sized set.
//!
//! The host's entry is an exact name, a `*.` or a `**.` pattern (the last one needs the most
//! probes: exact, `*.` and `**.` for the name, then `**.` for its parent). The path is an
//! ECDSA P-256 chain pinned at the leaf, so the check itself is the same in every case.
//!
//! Run with `cargo bench --bench pinset_size`; compare each size with size 1 within one run.
//! The loop asks for the same host again and again, so the set's memory stays in cache; a
//! real client asking for many hosts also pays a few cache misses per lookup.

use rustls_pinning_test_support::bench as support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::pki_types::UnixTime;
use rustls_pinning::{Pin, PinEntry};

use support::common::KeyKind;
use support::{fleet, server_name, Chain, Match};

/// The patterns the host's entry may have, with a label.
const ENTRIES: [(&str, &str); 3] = [
    ("exact", support::HOST),
    ("one-label", "*.bench.test"),
    ("any-depth", "**.bench.test"),
];

const SIZES: [usize; 4] = [1, 100, 10_000, 100_000];

fn pinset_size(c: &mut Criterion) {
    let provider = rustls_pinning::default_crypto_provider();
    let name = server_name();
    let now = UnixTime::now();
    let chain = Chain::new(KeyKind::EcdsaP256);
    let mut group = c.benchmark_group("pinset_size");
    chain.with_verified_path(&provider, now, |path| {
        for (label, pattern) in ENTRIES {
            for size in SIZES {
                let entry = PinEntry::builder(pattern.parse().expect("pattern"))
                    .pin(chain.pin(Match::Leaf))
                    .pin(Pin::spki_sha256([0xB0; 32]));
                let verifier = chain.verifier(fleet::pin_set(size, entry), &provider);
                let found = verifier.pins().lookup(support::HOST).map(|e| e.pattern());
                assert_eq!(found.map(ToString::to_string).as_deref(), Some(pattern));
                let accepted = rustls_pinning::unstable_bench::check_verified_path(
                    &verifier, &name, path, now,
                );
                assert_eq!(accepted, Some(true));
                group.bench_function(format!("{label}/{size}"), |b| {
                    b.iter(|| {
                        rustls_pinning::unstable_bench::check_verified_path(
                            black_box(&verifier),
                            black_box(&name),
                            black_box(path),
                            now,
                        )
                    })
                });
            }
        }
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = pinset_size
}
criterion_main!(benches);
