//! The `pin_check` and `pinset_size` ratios measured so that background load cancels out:
//! the variants being compared run in alternating short batches, and each keeps its fastest
//! batch. On a machine shared with other work, where criterion's back-to-back runs drift,
//! these ratios move far less from run to run.
//!
//! Run with `cargo run --release --example interleaved_ratios`.

#[path = "../benches/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Instant;

use rustls::pki_types::UnixTime;
use rustls_pinning::{Pin, PinEntry};
use sha2::{Digest, Sha256};

use support::common::KeyKind;
use support::{fleet, server_name, Chain, Match, KEY_KINDS};

/// Alternations of the variants, batches per alternation, iterations per batch.
const ROUNDS: usize = 40;
const BATCHES: usize = 5;
const ITERATIONS: usize = 2_000;

/// The fastest per-iteration time, in nanoseconds, of each variant over interleaved batches.
fn fastest(variants: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let mut best = vec![f64::MAX; variants.len()];
    for _ in 0..ROUNDS {
        for (variant, best) in variants.iter_mut().zip(best.iter_mut()) {
            for _ in 0..BATCHES {
                let start = Instant::now();
                for _ in 0..ITERATIONS {
                    variant();
                }
                let per_iteration = start.elapsed().as_nanos() as f64 / ITERATIONS as f64;
                *best = best.min(per_iteration);
            }
        }
    }
    best
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
                let times = fastest(&mut [
                    &mut || {
                        black_box(rustls_pinning::__bench::check_entry(
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
                ]);
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
                        black_box(rustls_pinning::__bench::check_verified_path(
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
            let times = fastest(&mut variants);
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

fn main() {
    pin_check();
    pinset_size();
}
