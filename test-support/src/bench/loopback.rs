//! Full TLS handshakes over loopback: an echo server thread on 127.0.0.1 and a client that
//! opens a new connection (and a full handshake, no resumption) per call.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use rustls_pinning::BuilderPinningExt;

use super::{Chain, Match};

/// A server on 127.0.0.1 answering one connection at a time: handshake, echo one byte, close.
pub struct EchoServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoServer {
    pub fn start(config: Arc<ServerConfig>) -> EchoServer {
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
pub fn connect(addr: SocketAddr, config: &Arc<ClientConfig>, name: &ServerName<'static>) {
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

/// A TLS 1.3 server presenting `chain`'s leaf and intermediate, sending no session tickets.
pub fn server_config(chain: &Chain, provider: &Arc<CryptoProvider>) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_no_client_auth()
        .with_single_cert(
            chain.leaf.chain(&[&chain.intermediate]),
            chain.leaf.private_key(),
        )
        .expect("server certificate");
    config.send_tls13_tickets = 0;
    Arc::new(config)
}

/// A client verifying with rustls's `WebPkiServerVerifier` against `chain`'s root.
pub fn webpki_client(chain: &Chain, provider: &Arc<CryptoProvider>) -> Arc<ClientConfig> {
    client(provider, |builder| {
        builder
            .with_root_certificates(chain.roots.clone())
            .with_no_client_auth()
    })
}

/// A client verifying with a `PinningServerVerifier` whose pin matches at `position`.
pub fn pinned_client(
    chain: &Chain,
    position: Match,
    provider: &Arc<CryptoProvider>,
) -> Arc<ClientConfig> {
    client(provider, |builder| {
        builder
            .with_pinning(chain.verifier_matching(position, provider))
            .with_no_client_auth()
    })
}
