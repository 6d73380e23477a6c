//! Shared pieces of the ecosystem integration tests (reqwest, hyper-rustls, tokio-rustls,
//! tonic, quinn, ureq, the platform verifier): a pinned server and an impostor from the same
//! CA, async HTTPS servers on loopback, and a walk down error source chains to the
//! `rustls::Error` a client library wrapped.
//!
//! Include with `mod support;` next to `mod common;`.
#![allow(dead_code)]

use std::error::Error as StdError;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pinning::{
    BuilderPinningExt, Pin, PinEntry, PinSet, PinningServerVerifier, ServerPinningError,
};
use tokio::sync::oneshot;

use crate::common::{Ca, Leaf, LeafOptions};

/// The name clients ask for: the loopback address, so that no client needs a resolver
/// override. Server certificates carry it as an IP subjectAltName; pins are keyed by it.
pub const HOST: &str = "127.0.0.1";

/// What the HTTP servers answer.
pub const BODY: &str = "hello from the pinned server\n";

/// A CA, the genuine server's leaf, and an impostor: a leaf for the same name from the same
/// CA (so plain WebPKI accepts it) with another key.
pub struct Scenario {
    pub root: Ca,
    pub intermediate: Ca,
    pub genuine: Leaf,
    pub impostor: Leaf,
}

impl Scenario {
    pub fn new() -> Self {
        let root = Ca::root("Integration Root");
        let intermediate = root.intermediate("Integration Issuing CA");
        let leaf = || {
            intermediate.leaf_with(LeafOptions::new(&["api.pinned.test"]).ip(Ipv4Addr::LOCALHOST))
        };
        let genuine = leaf();
        let impostor = leaf();
        Scenario {
            root,
            intermediate,
            genuine,
            impostor,
        }
    }

    pub fn roots(&self) -> Arc<RootCertStore> {
        self.root.root_store()
    }

    /// The genuine leaf's key and an offline backup.
    pub fn pins(&self) -> PinSet {
        PinSet::builder()
            .entry(
                PinEntry::builder(HOST.parse().unwrap())
                    .pin(Pin::spki_of(&self.genuine.cert).unwrap())
                    .pin(Pin::spki_sha256([0xB0; 32])),
            )
            .build()
            .unwrap()
    }

    pub fn verifier(&self, provider: &Arc<CryptoProvider>) -> Arc<PinningServerVerifier> {
        PinningServerVerifier::builder(self.roots(), self.pins(), provider.clone())
            .build()
            .unwrap()
    }

    /// A pinned client configuration without ALPN, for the given protocol versions.
    pub fn client_config(
        &self,
        provider: &Arc<CryptoProvider>,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> ClientConfig {
        ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap()
            .with_pinning(self.verifier(provider))
            .with_no_client_auth()
    }

    /// A server configuration presenting `leaf` and its intermediate.
    pub fn server_config(
        &self,
        leaf: &Leaf,
        provider: &Arc<CryptoProvider>,
        versions: &[&'static rustls::SupportedProtocolVersion],
        alpn: &[&[u8]],
    ) -> ServerConfig {
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(leaf.chain(&[&self.intermediate]), leaf.private_key())
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }

    /// Asserts that `error` is the pin failure the impostor causes.
    pub fn assert_impostor_refused(&self, error: &rustls::Error, label: &str) {
        let pinning = ServerPinningError::from_rustls(error)
            .unwrap_or_else(|| panic!("[{label}] expected a ServerPinningError, got {error:?}"));
        match pinning {
            ServerPinningError::NoPinMatched {
                host,
                verified_paths,
                ..
            } => {
                assert_eq!(host, HOST, "[{label}]");
                assert_eq!(
                    verified_paths[0][0].spki_pin(),
                    Pin::spki_of(&self.impostor.cert).unwrap(),
                    "[{label}] the error names the impostor's key"
                );
            }
            other => panic!("[{label}] unexpected pinning error {other:?}"),
        }
    }
}

/// Both TLS versions rustls offers.
pub const BOTH_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The first `rustls::Error` down the source chain of `error`.
///
/// `io::Error::source()` skips the error it wraps (it returns the *wrapped error's* source),
/// so an `io::Error` is opened with `get_ref()` instead: client libraries commonly carry the
/// handshake failure as `io::Error::new(InvalidData, rustls::Error)`.
pub fn find_rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(tls) = find_rustls_error(inner) {
                    return Some(tls);
                }
            }
        }
        current = error.source();
    }
    None
}

/// A current-thread tokio runtime with I/O and timers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// An HTTPS server (tokio-rustls + hyper, HTTP/1.1) on `127.0.0.1:<ephemeral>`, running on a
/// thread of its own so blocking clients can use it too. Every request gets [`BODY`].
/// Dropping it stops the server.
pub struct HttpsServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HttpsServer {
    pub fn start(config: ServerConfig) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let thread = std::thread::spawn(move || {
            runtime().block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let serve = async {
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            continue;
                        };
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            // A refused handshake just ends this connection.
                            let Ok(tls) = acceptor.accept(tcp).await else {
                                return;
                            };
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(tls), service_fn(hello))
                                .await;
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                }
            });
        });
        HttpsServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("https://{}/", self.addr)
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        BODY.as_bytes(),
    ))))
}
