//! HTTPS servers on loopback (tokio-rustls and hyper, HTTP/1.1), for the clients of the
//! ecosystem tests and examples, and the tokio runtime they run on.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::ServerConfig;
use tokio::sync::oneshot;

/// The name clients ask for: the loopback address, so that no client needs a resolver
/// override. Server certificates carry it as an IP subjectAltName; pins are keyed by it.
pub const HOST: &str = "127.0.0.1";

/// What the HTTPS servers answer.
pub const BODY: &str = "hello from the pinned server";

/// A current-thread tokio runtime with I/O and timers.
pub fn runtime() -> tokio::runtime::Runtime {
    try_runtime().expect("building a tokio runtime")
}

fn try_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// An HTTPS server on `127.0.0.1:<ephemeral>`, running on a thread of its own so blocking
/// clients can use it too. Every request gets [`BODY`]. Dropping it stops the server.
pub struct HttpsServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HttpsServer {
    /// Starts a server presenting `config`'s certificate.
    pub fn start(config: ServerConfig) -> Self {
        Self::try_start(config).expect("starting an HTTPS server on loopback")
    }

    /// [`start`](Self::start), returning what went wrong instead of panicking.
    pub fn try_start(config: ServerConfig) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = try_runtime()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
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
        Ok(HttpsServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("https://{}/", self.addr)
    }

    /// Leaves the server running until the process exits, and returns its address.
    pub fn detach(mut self) -> SocketAddr {
        // The server stops when the sender is dropped: keep it alive for good.
        std::mem::forget(self.stop.take());
        drop(self.thread.take());
        self.addr
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
