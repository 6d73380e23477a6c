//! Full TLS 1.3 handshakes over loopback, client and server in this process: a client using
//! `PinningServerVerifier` against one using rustls's `WebPkiServerVerifier`, same chain, same roots.
//!
//! Each iteration opens a TCP connection to a server thread on 127.0.0.1, completes a full
//! handshake (no resumption, ECDSA P-256 chain: leaf, intermediate, root), sends one byte and
//! reads the server's echo, so both sides' cryptography and the loopback round trips are in
//! the time: what a client pays per new connection.
//!
//! Run with `cargo bench --bench handshake`; compare within one run. A few percent is within
//! the noise of a machine shared with other work.

use rustls_pinning_test_support::bench as support;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use support::common::KeyKind;
use support::loopback::{self, EchoServer};
use support::{server_name, Chain, Match};

fn handshake(c: &mut Criterion) {
    let provider = rustls_pinning::default_crypto_provider();
    let chain = Chain::new(KeyKind::EcdsaP256);
    let server = EchoServer::start(loopback::server_config(&chain, &provider));
    let name = server_name();
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
    let mut group = c.benchmark_group("handshake");
    for (label, config) in &clients {
        loopback::connect(server.addr, config, &name);
        group.bench_function(format!("ecdsa-p256/{label}"), |b| {
            b.iter(|| loopback::connect(server.addr, config, &name))
        });
    }
    group.finish();
    drop(server);
}
criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = handshake
}
criterion_main!(benches);
