//! `PinningServerVerifier` against rustls's own `WebPkiServerVerifier` on the same chain, roots and
//! `now`: the cost pinning adds to certificate verification on every full handshake. Then
//! wrap mode (`PinningServerVerifier::wrap`) against the verifier it wraps, here that same
//! `WebPkiServerVerifier`.
//!
//! Pins are scoped to any position, as `.pin()` makes them. In wrap mode a CA pin costs a
//! second chain validation, the proof that the pinned CA signs the leaf's chain; the root,
//! which the server does not send, is given with `with_ca_certificates`.
//!
//! With the `dynamic` feature, the hybrid `PinStore` with a bundle in force is measured too,
//! to compare with "pinning, intermediate pin" (its static policy).
//!
//! Run with `cargo bench --bench verify_server_cert --features dynamic`; compare within one
//! run.

use rustls_pinning_test_support::bench as support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::UnixTime;
use rustls_pinning::{PinSet, PinningServerVerifier};

use support::{server_name, Chain, Match, KEY_KINDS};

fn verify_server_cert(c: &mut Criterion) {
    let provider = rustls_pinning::default_crypto_provider();
    let name = server_name();
    let now = UnixTime::now();
    let mut group = c.benchmark_group("verify_server_cert");
    for (kind, kind_label) in KEY_KINDS {
        let chain = Chain::new(kind);
        let webpki: Arc<dyn ServerCertVerifier> =
            WebPkiServerVerifier::builder_with_provider(chain.roots.clone(), provider.clone())
                .build()
                .expect("webpki verifier");
        let wrapped = |position: Match| -> Arc<dyn ServerCertVerifier> {
            let pins = PinSet::builder()
                .entry(chain.entry(position))
                .build()
                .expect("pin set");
            PinningServerVerifier::wrap(webpki.clone(), pins, provider.clone())
                .with_ca_certificates([chain.root.cert_der().clone()])
                .build()
                .expect("wrapping verifier")
        };
        let mut verifiers: Vec<(String, Arc<dyn ServerCertVerifier>)> =
            vec![("webpki".to_owned(), webpki.clone())];
        for position in [Match::Leaf, Match::Intermediate, Match::Root] {
            verifiers.push((
                format!("pinning, {} pin", position.label()),
                chain.verifier_matching(position, &provider),
            ));
        }
        for position in [Match::Leaf, Match::Intermediate, Match::Root] {
            verifiers.push((format!("wrap, {} pin", position.label()), wrapped(position)));
        }
        // The hybrid store with a bundle in force, against "pinning, intermediate pin": the
        // static policy pins the intermediate, the bundle the leaf.
        #[cfg(feature = "dynamic")]
        for mode in [
            rustls_pinning::pin_store::HybridMode::Either,
            rustls_pinning::pin_store::HybridMode::Both,
        ] {
            let single = |position| {
                PinSet::builder()
                    .entry(chain.entry(position))
                    .build()
                    .expect("pin set")
            };
            let store = support::store_with_bundle(
                &chain,
                single(Match::Intermediate),
                &single(Match::Leaf),
                mode,
                &provider,
            );
            verifiers.push((format!("store {mode:?}, bundle in force"), store.verifier()));
        }
        for (label, verifier) in verifiers {
            let verify = || {
                verifier.verify_server_cert(
                    black_box(&chain.leaf.cert),
                    black_box(&chain.intermediates),
                    &name,
                    &[],
                    now,
                )
            };
            verify().unwrap_or_else(|error| panic!("{kind_label} {label}: {error}"));
            group.bench_function(format!("{kind_label}/{label}"), |b| b.iter(verify));
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = verify_server_cert
}
criterion_main!(benches);
