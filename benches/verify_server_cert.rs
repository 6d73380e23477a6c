//! `PinningVerifier` against rustls's own `WebPkiServerVerifier` on the same chain, roots and
//! `now`: the cost pinning adds to certificate verification on every full handshake.
//!
//! Run with `cargo bench --bench verify_server_cert`; compare the ratios within one run.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{ServerName, UnixTime};
use rustls_pinning::{Pin, PinEntry, PinScope, PinSet, PinningVerifier};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Ca, KeyKind};

fn verify_server_cert(c: &mut Criterion) {
    let provider = rustls_pinning::default_crypto_provider();
    let root = Ca::root_with("Bench Root", KeyKind::EcdsaP256);
    let intermediate = root.intermediate("Bench Intermediate");
    let leaf = intermediate.leaf(&["bench.test"]);
    let intermediates = [intermediate.cert_der().clone()];
    let roots = root.root_store();
    let name = ServerName::try_from("bench.test").expect("valid name");
    let now = UnixTime::now();

    let webpki = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
        .build()
        .expect("webpki verifier");
    let pinned_at = |pin: Pin, scope: PinScope| -> Arc<PinningVerifier> {
        let pins = PinSet::builder()
            .entry(
                PinEntry::builder("bench.test".parse().expect("pattern"))
                    .pin_at(pin, scope)
                    .pin(Pin::spki_sha256([0; 32])),
            )
            .build()
            .expect("pin set");
        PinningVerifier::builder(roots.clone(), pins, provider.clone())
            .build()
            .expect("pinning verifier")
    };
    let leaf_pin = Pin::spki_of(&leaf.cert).expect("leaf pin");
    let root_pin = Pin::from_spki(&root.spki_der().into());

    let mut group = c.benchmark_group("verify_server_cert/ecdsa-p256");
    let mut bench = |label: &str, verifier: &dyn ServerCertVerifier| {
        group.bench_function(label, |b| {
            b.iter(|| {
                verifier
                    .verify_server_cert(
                        black_box(&leaf.cert),
                        black_box(&intermediates),
                        &name,
                        &[],
                        now,
                    )
                    .expect("accepted")
            })
        });
    };
    bench("webpki", webpki.as_ref());
    bench(
        "pinning, leaf pin",
        pinned_at(leaf_pin, PinScope::Leaf).as_ref(),
    );
    bench(
        "pinning, root pin",
        pinned_at(root_pin, PinScope::Root).as_ref(),
    );
    group.finish();
}

criterion_group!(benches, verify_server_cert);
criterion_main!(benches);
