//! The ratios of the benches, measured so that background load cancels out: the variants
//! being compared run in alternating short batches, and each keeps its fastest batch. On a
//! machine shared with other work, where criterion's back-to-back runs drift, these ratios
//! move far less from run to run.
//!
//! Run with `cargo run --release --example interleaved_ratios --features
//! dynamic,unstable-bench` (about ten seconds; without `dynamic`, the hybrid store is left
//! out). `unstable-bench` gives the pin check alone, apart from chain validation.

use rustls_pinning_test_support::bench as support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::UnixTime;
use rustls_pinning::{Pin, PinEntry, PinSet, PinningServerVerifier};
use sha2::{Digest, Sha256};

use support::common::KeyKind;
use support::loopback::{self, EchoServer};
use support::{fleet, server_name, Chain, Match, KEY_KINDS};

/// How to alternate: rounds over all variants, batches of each per round, iterations per
/// batch.
struct Schedule {
    rounds: usize,
    batches: usize,
    iterations: usize,
}

/// For the pin check and the lookup: a fraction of a microsecond each.
const SUB_MICROSECOND: Schedule = Schedule {
    rounds: 40,
    batches: 5,
    iterations: 2_000,
};

/// For certificate verification (tens of microseconds) and handshakes (about a millisecond).
const SLOW: Schedule = Schedule {
    rounds: 30,
    batches: 3,
    iterations: 10,
};

/// The fastest per-iteration time, in nanoseconds, of each variant over interleaved batches.
fn fastest(schedule: &Schedule, variants: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let mut best = vec![f64::MAX; variants.len()];
    for _ in 0..schedule.rounds {
        for (variant, best) in variants.iter_mut().zip(best.iter_mut()) {
            for _ in 0..schedule.batches {
                let start = Instant::now();
                for _ in 0..schedule.iterations {
                    variant();
                }
                let elapsed = start.elapsed().as_nanos() as f64;
                *best = best.min(elapsed / schedule.iterations as f64);
            }
        }
    }
    best
}

/// Runs `variants` interleaved and prints each one's time and ratio to the first.
fn compare(title: &str, schedule: &Schedule, variants: Vec<(String, Box<dyn FnMut() + '_>)>) {
    let (labels, mut closures): (Vec<_>, Vec<_>) = variants.into_iter().unzip();
    let mut refs: Vec<&mut dyn FnMut()> = closures
        .iter_mut()
        .map(|closure| &mut **closure as &mut dyn FnMut())
        .collect();
    let times = fastest(schedule, &mut refs);
    println!("  {title}");
    for (label, time) in labels.iter().zip(&times) {
        println!(
            "    {label:<24} {:>10.1} µs  ratio {:.4}",
            time / 1e3,
            time / times[0]
        );
    }
}

fn pin_check() {
    let provider = rustls_pinning::default_crypto_provider();
    let now = UnixTime::now();
    println!("pin_check: ours / sha256 of the same SPKI bytes");
    for (kind, kind_label) in KEY_KINDS {
        let chain = Chain::new(kind);
        let spkis = chain.spkis();
        chain.with_verified_path(&provider, now, |path| {
            for position in Match::ALL {
                let verifier = chain.verifier_matching(position, &provider);
                let entry = verifier.pins().lookup(support::HOST);
                let hashed = &spkis[..position.certificates_hashed()];
                let times = fastest(
                    &SUB_MICROSECOND,
                    &mut [
                        &mut || {
                            black_box(rustls_pinning::unstable_bench::check_entry(
                                black_box(&verifier),
                                black_box(entry),
                                black_box(path),
                            ));
                        },
                        &mut || {
                            for spki in black_box(hashed) {
                                black_box(<[u8; 32]>::from(Sha256::digest(spki)));
                            }
                        },
                    ],
                );
                println!(
                    "  {kind_label:<10} {:<12} ours {:>6.1} ns  sha256 {:>6.1} ns  ratio {:.3}",
                    position.label(),
                    times[0],
                    times[1],
                    times[0] / times[1]
                );
            }
        });
    }
}

fn pinset_size() {
    let provider = rustls_pinning::default_crypto_provider();
    let now = UnixTime::now();
    let name = &server_name();
    let chain = Chain::new(KeyKind::EcdsaP256);
    let sizes = [1, 100, 10_000, 100_000];
    println!("pinset_size: lookup plus check, n entries / 1 entry");
    chain.with_verified_path(&provider, now, |path| {
        for (label, pattern) in [
            ("exact", support::HOST),
            ("one-label", "*.bench.test"),
            ("any-depth", "**.bench.test"),
        ] {
            let verifiers: Vec<_> = sizes
                .iter()
                .map(|&size| {
                    let entry = PinEntry::builder(pattern.parse().expect("pattern"))
                        .pin(chain.pin(Match::Leaf))
                        .pin(Pin::spki_sha256([0xB0; 32]));
                    chain.verifier(fleet::pin_set(size, entry), &provider)
                })
                .collect();
            let mut closures: Vec<_> = verifiers
                .iter()
                .map(|verifier| {
                    move || {
                        black_box(rustls_pinning::unstable_bench::check_verified_path(
                            black_box(verifier),
                            black_box(name),
                            black_box(path),
                            now,
                        ));
                    }
                })
                .collect();
            let mut variants: Vec<&mut dyn FnMut()> = closures
                .iter_mut()
                .map(|closure| closure as &mut dyn FnMut())
                .collect();
            let times = fastest(&SUB_MICROSECOND, &mut variants);
            let ratios: Vec<String> = sizes
                .iter()
                .zip(&times)
                .skip(1)
                .map(|(size, time)| format!("{size}: {:.3}", time / times[0]))
                .collect();
            println!(
                "  {label:<10} 1 entry {:>6.1} ns  {}",
                times[0],
                ratios.join("  ")
            );
        }
    });
}

fn verify_server_cert() {
    let provider = rustls_pinning::default_crypto_provider();
    let now = UnixTime::now();
    let name = &server_name();
    println!("verify_server_cert: verifier / WebPkiServerVerifier");
    for (kind, kind_label) in KEY_KINDS {
        let chain = Chain::new(kind);
        let webpki: Arc<dyn ServerCertVerifier> =
            WebPkiServerVerifier::builder_with_provider(chain.roots.clone(), provider.clone())
                .build()
                .expect("webpki verifier");
        let mut verifiers = vec![("webpki".to_owned(), webpki.clone())];
        for position in [Match::Leaf, Match::Intermediate, Match::Root] {
            let pinning: Arc<dyn ServerCertVerifier> = chain.verifier_matching(position, &provider);
            verifiers.push((format!("pinning, {} pin", position.label()), pinning));
        }
        for position in [Match::Leaf, Match::Intermediate, Match::Root] {
            let pins = PinSet::builder()
                .entry(chain.entry(position))
                .build()
                .expect("pin set");
            let wrapped: Arc<dyn ServerCertVerifier> =
                PinningServerVerifier::wrap(webpki.clone(), pins, provider.clone())
                    .with_ca_certificates([chain.root.cert_der().clone()])
                    .build()
                    .expect("wrapping verifier");
            verifiers.push((format!("wrap, {} pin", position.label()), wrapped));
        }
        let chain = &chain;
        let variants = verifiers
            .into_iter()
            .map(|(label, verifier)| {
                let verify = move || {
                    black_box(verifier.verify_server_cert(
                        black_box(&chain.leaf.cert),
                        black_box(&chain.intermediates),
                        name,
                        &[],
                        now,
                    ))
                    .expect("accepted");
                };
                (label, Box::new(verify) as Box<dyn FnMut()>)
            })
            .collect();
        compare(kind_label, &SLOW, variants);
    }
}

/// The hybrid store with a bundle in force: both policies judged inside one validation,
/// against a plain verifier enforcing the static policy alone, on the same chain.
#[cfg(feature = "dynamic")]
fn store() {
    use rustls_pinning::pin_store::HybridMode;

    let provider = rustls_pinning::default_crypto_provider();
    let now = UnixTime::now();
    let name = &server_name();
    println!("store with a bundle in force / PinningServerVerifier with the static policy");
    for (kind, kind_label) in KEY_KINDS {
        let chain = Chain::new(kind);
        let static_pins = PinSet::builder()
            .entry(chain.entry(Match::Intermediate))
            .build()
            .expect("static pins");
        // The bundle pins the leaf: the rotation the static policy did not foresee.
        let bundle_pins = PinSet::builder()
            .entry(chain.entry(Match::Leaf))
            .build()
            .expect("bundle pins");
        let mut verifiers: Vec<(String, Arc<dyn ServerCertVerifier>)> = vec![(
            "pinning, static pins".to_owned(),
            chain.verifier(static_pins.clone(), &provider),
        )];
        for mode in [HybridMode::Either, HybridMode::Both] {
            let store = support::store_with_bundle(
                &chain,
                static_pins.clone(),
                &bundle_pins,
                mode,
                &provider,
            );
            verifiers.push((format!("store, {mode:?}"), store.verifier()));
        }
        let chain = &chain;
        let variants = verifiers
            .into_iter()
            .map(|(label, verifier)| {
                let verify = move || {
                    black_box(verifier.verify_server_cert(
                        black_box(&chain.leaf.cert),
                        black_box(&chain.intermediates),
                        name,
                        &[],
                        now,
                    ))
                    .expect("accepted");
                };
                (label, Box::new(verify) as Box<dyn FnMut()>)
            })
            .collect();
        compare(kind_label, &SLOW, variants);
    }
}

fn handshake() {
    let provider = rustls_pinning::default_crypto_provider();
    let chain = Chain::new(KeyKind::EcdsaP256);
    let server = EchoServer::start(loopback::server_config(&chain, &provider));
    let name = &server_name();
    let addr = server.addr;
    println!("handshake: PinningServerVerifier / WebPkiServerVerifier");
    let clients = [
        ("webpki", loopback::webpki_client(&chain, &provider)),
        (
            "pinning, leaf pin",
            loopback::pinned_client(&chain, Match::Leaf, &provider),
        ),
        (
            "pinning, root pin",
            loopback::pinned_client(&chain, Match::Root, &provider),
        ),
    ];
    let variants = clients
        .into_iter()
        .map(|(label, config)| {
            let connect = move || loopback::connect(addr, &config, name);
            (label.to_owned(), Box::new(connect) as Box<dyn FnMut()>)
        })
        .collect();
    compare("ecdsa-p256", &SLOW, variants);
    drop(server);
}

fn main() {
    pin_check();
    pinset_size();
    verify_server_cert();
    #[cfg(feature = "dynamic")]
    store();
    handshake();
}
