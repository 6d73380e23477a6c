//! The pin check alone, on a path webpki has already verified (leaf, intermediate, root),
//! against its physical limit: SHA-256 over exactly the SPKI bytes the check has to hash.
//!
//! For each key type and each position the pin matches at (leaf, intermediate, root, none):
//! - `ours`: the pin check `PinningServerVerifier` runs on each verified path, given the host's
//!   entry (the lookup is timed by the `pinset_size` bench): it locates each certificate's SPKI
//!   in the DER, hashes lazily and stops at the first match;
//! - `sha256`: the sha2 digests of the SPKIs that check hashes: the leaf's alone when the leaf
//!   matches, the leaf's and the intermediate's otherwise (the root's digest is computed once,
//!   when the verifier is built).
//!
//! Pins are scoped to any position, as `.pin()` makes them: the most hashing a match needs.
//!
//! Run with `cargo bench --bench pin_check`; compare `ours` with `sha256` within one run.

use rustls_pinning_test_support::bench as support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::pki_types::UnixTime;
use sha2::{Digest, Sha256};

use support::{Chain, Match, KEY_KINDS};

fn pin_check(c: &mut Criterion) {
    let provider = rustls_pinning::default_crypto_provider();
    let now = UnixTime::now();
    let mut group = c.benchmark_group("pin_check");
    for (kind, kind_label) in KEY_KINDS {
        let chain = Chain::new(kind);
        let spkis = chain.spkis();
        chain.with_verified_path(&provider, now, |path| {
            for position in Match::ALL {
                let verifier = chain.verifier_matching(position, &provider);
                let entry = verifier.pins().lookup(support::HOST);
                assert!(entry.is_some());
                let accepted = rustls_pinning::unstable_bench::check_entry(&verifier, entry, path);
                assert_eq!(accepted, Some(position != Match::None));
                let label = format!("{kind_label}/{}", position.label());
                group.bench_function(format!("{label}/ours"), |b| {
                    b.iter(|| {
                        rustls_pinning::unstable_bench::check_entry(
                            black_box(&verifier),
                            black_box(entry),
                            black_box(path),
                        )
                    })
                });
                let hashed = &spkis[..position.certificates_hashed()];
                group.bench_function(format!("{label}/sha256"), |b| {
                    b.iter(|| {
                        for spki in black_box(hashed) {
                            black_box(<[u8; 32]>::from(Sha256::digest(spki)));
                        }
                    })
                });
            }
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = pin_check
}
criterion_main!(benches);
