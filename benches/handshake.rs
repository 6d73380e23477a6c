//! Full TLS 1.3 handshakes over loopback, client and server in this process: a client using
//! `PinningVerifier` against one using rustls's `WebPkiServerVerifier`, same chain, same roots.
//!
//! Each iteration opens a TCP connection to a server thread on 127.0.0.1, completes a full
//! handshake (no resumption, ECDSA P-256 chain: leaf, intermediate, root), sends one byte and
//! reads the server's echo, so both sides' cryptography and the loopback round trips are in
//! the time: what a client pays per new connection.
//!
//! Run with `cargo bench --bench handshake`; compare within one run. A few percent is within
//! the noise of a machine shared with other work.

#[path = "support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use rustls_pinning::BuilderPinningExt;

use support::common::KeyKind;
use support::{server_name, Chain, Match};

/// A server on 127.0.0.1 answering one connection at a time: handshake, echo one byte, close.
struct EchoServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoServer {
    fn start(config: Arc<ServerConfig>) -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let addr = listener.local_addr().expect("listener address");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // A failed connection is the client's to report.
                        let _ = serve(stream, &config);
                    }
                }
            })
        };
        EchoServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut sock: TcpStream, config: &Arc<ServerConfig>) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut conn = ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    let mut byte = [0u8; 1];
    tls.read_exact(&mut byte)?;
    tls.write_all(&byte)?;
    conn.send_close_notify();
    conn.write_tls(&mut sock)?;
    Ok(())
}

/// One full handshake and a one-byte round trip.
fn connect(addr: SocketAddr, config: &Arc<ClientConfig>, name: &ServerName<'static>) {
    let mut sock = TcpStream::connect(addr).expect("connecting over loopback");
    sock.set_nodelay(true).expect("TCP_NODELAY");
    let mut conn = ClientConnection::new(config.clone(), name.clone()).expect("client");
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.write_all(b"x").expect("handshake and request");
    let mut byte = [0u8; 1];
    tls.read_exact(&mut byte).expect("reply");
    assert_eq!(&byte, b"x");
}

fn client(
    provider: &Arc<CryptoProvider>,
    with_verifier: impl FnOnce(
        rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>,
    ) -> ClientConfig,
) -> Arc<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3");
    let mut config = with_verifier(builder);
    // Every iteration is a full handshake.
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

fn handshake(c: &mut Criterion) {
    let provider = rustls_pinning::default_crypto_provider();
    let chain = Chain::new(KeyKind::EcdsaP256);
    let mut server_config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_no_client_auth()
        .with_single_cert(
            chain.leaf.chain(&[&chain.intermediate]),
            chain.leaf.private_key(),
        )
        .expect("server certificate");
    server_config.send_tls13_tickets = 0;
    let server = EchoServer::start(Arc::new(server_config));
    let name = server_name();

    let webpki = client(&provider, |builder| {
        builder
            .with_root_certificates(chain.roots.clone())
            .with_no_client_auth()
    });
    let pinned = |position: Match| {
        client(&provider, |builder| {
            builder
                .with_pinning(chain.verifier_matching(position, &provider))
                .with_no_client_auth()
        })
    };
    let clients = [
        ("webpki", webpki),
        ("pinning, leaf pin", pinned(Match::Leaf)),
        ("pinning, root pin", pinned(Match::Root)),
    ];
    let mut group = c.benchmark_group("handshake");
    for (label, config) in &clients {
        connect(server.addr, config, &name);
        group.bench_function(format!("ecdsa-p256/{label}"), |b| {
            b.iter(|| connect(server.addr, config, &name))
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
