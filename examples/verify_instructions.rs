//! Instruction counts of `verify_server_cert`, for a noise-free comparison of the verifiers
//! the `verify_server_cert` bench times. Run under callgrind, one variant at a time:
//!
//! ```sh
//! cargo build --release --example verify_instructions
//! for variant in webpki pinning-leaf pinning-intermediate pinning-root; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
//!     --toggle-collect='*verify_instructions::measure*' \
//!     target/release/examples/verify_instructions $variant 2>&1 | grep Collected
//! done
//! ```
//!
//! Only `measure`, the verifications, is counted; building the test PKI is not. Under
//! valgrind, crypto libraries pick the code paths of the CPU valgrind emulates, so the counts
//! compare the verifiers with each other, not with the bench's timings.

use rustls_pinning_test_support::bench as support;

use std::hint::black_box;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::UnixTime;

use support::common::KeyKind;
use support::{server_name, Chain, Match};

/// Verifications per run: enough to make the one-off costs (lazy statics) negligible.
const ROUNDS: usize = 100;

#[inline(never)]
fn measure(verifier: &dyn ServerCertVerifier, chain: &Chain, now: UnixTime) {
    let name = server_name();
    for _ in 0..ROUNDS {
        black_box(verifier.verify_server_cert(
            black_box(&chain.leaf.cert),
            black_box(&chain.intermediates),
            &name,
            &[],
            now,
        ))
        .expect("accepted");
    }
}

fn main() {
    let variant = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "webpki".to_owned());
    let kind = match std::env::args().nth(2).as_deref() {
        Some("rsa-2048") => KeyKind::Rsa2048,
        _ => KeyKind::EcdsaP256,
    };
    let provider = rustls_pinning::default_crypto_provider();
    let chain = Chain::new(kind);
    let verifier: Arc<dyn ServerCertVerifier> = match variant.as_str() {
        "webpki" => WebPkiServerVerifier::builder_with_provider(chain.roots.clone(), provider)
            .build()
            .expect("webpki verifier"),
        "pinning-leaf" => chain.verifier_matching(Match::Leaf, &provider),
        "pinning-intermediate" => chain.verifier_matching(Match::Intermediate, &provider),
        "pinning-root" => chain.verifier_matching(Match::Root, &provider),
        other => panic!("unknown variant {other:?}"),
    };
    let now = UnixTime::now();
    measure(&*verifier, &chain, now);
    println!("{variant}: {ROUNDS} verifications");
}
