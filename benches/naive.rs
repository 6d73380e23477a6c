//! The pin check against the approach common in hand-written Rust pinning code: parse each
//! presented certificate with x509-parser, SHA-256 its SPKI, base64-encode the digest into a
//! `sha256/...` string and look for it in a `Vec<String>` of configured pins. That code
//! lives here, as a reference; the library does none of it.
//!
//! To give the naive code every chance, it is handed leaf, intermediate and root (as if the
//! server sent its root), checks certificates in order and stops at the first match, and
//! needs no host lookup. `ours` is the lookup plus the pin check on the verified path, as in
//! the `pinset_size` bench.
//!
//! Run with `cargo bench --bench naive`; compare `naive` with `ours` within one run.

use rustls_pinning_test_support::bench as support;

use std::hint::black_box;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use rustls::pki_types::{CertificateDer, UnixTime};
use sha2::{Digest, Sha256};

use support::{server_name, Chain, Match, KEY_KINDS};

/// The `sha256/<base64>` pin of a certificate's key, the way hand-written code computes it.
fn naive_pin(der: &CertificateDer<'_>) -> Option<String> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let digest = Sha256::digest(certificate.public_key().raw);
    Some(format!("sha256/{}", STANDARD.encode(digest)))
}

/// Whether any presented certificate's key is pinned.
fn naive_check(presented: &[&CertificateDer<'_>], pins: &[String]) -> bool {
    presented
        .iter()
        .any(|der| naive_pin(der).is_some_and(|pin| pins.contains(&pin)))
}

fn naive(c: &mut Criterion) {
    let provider = rustls_pinning::default_crypto_provider();
    let name = server_name();
    let now = UnixTime::now();
    let mut group = c.benchmark_group("naive");
    for (kind, kind_label) in KEY_KINDS {
        let chain = Chain::new(kind);
        let presented = chain.certificates();
        for der in presented {
            assert_eq!(
                naive_pin(der),
                Some(
                    rustls_pinning::Pin::spki_of(der)
                        .expect("parses")
                        .to_string()
                )
            );
        }
        chain.with_verified_path(&provider, now, |path| {
            for position in Match::ALL {
                let verifier = chain.verifier_matching(position, &provider);
                let pins: Vec<String> = verifier
                    .pins()
                    .lookup(support::HOST)
                    .expect("entry")
                    .allowed_pins()
                    .iter()
                    .map(|scoped| scoped.pin().to_string())
                    .collect();
                let matches = position != Match::None;
                assert_eq!(naive_check(&presented, &pins), matches);
                assert_eq!(
                    rustls_pinning::unstable_bench::check_verified_path(
                        &verifier, &name, path, now
                    ),
                    Some(matches)
                );
                let label = format!("{kind_label}/{}", position.label());
                group.bench_function(format!("{label}/ours"), |b| {
                    b.iter(|| {
                        rustls_pinning::unstable_bench::check_verified_path(
                            black_box(&verifier),
                            black_box(&name),
                            black_box(path),
                            now,
                        )
                    })
                });
                group.bench_function(format!("{label}/naive"), |b| {
                    b.iter(|| naive_check(black_box(&presented), black_box(&pins)))
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
    targets = naive
}
criterion_main!(benches);
