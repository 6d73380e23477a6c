//! Real TLS over loopback with rustls's blocking API.
//!
//! Pinning decisions surface as handshake errors, so tests need an actual
//! server and client rather than calling verifiers by hand. Everything here
//! is std-only (no async runtime) and bounded by [`IO_TIMEOUT`] so a broken
//! test fails instead of hanging.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::StreamOwned;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

/// Read/write/connect timeout for every socket in these helpers.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// The line [`TestServer`] answers every request with.
pub const GREETING: &str = "hello\n";

/// The line [`connect`] sends once the handshake is complete.
pub const REQUEST: &str = "ping\n";

/// How long the accept loop sleeps between polls of its non-blocking
/// listener (and therefore the worst-case delay to notice a stop request).
const ACCEPT_POLL: Duration = Duration::from_millis(5);

/// A server config presenting `chain` (leaf first) with `key`, offering
/// TLS 1.3 and TLS 1.2 and not asking for client certificates.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    provider: Arc<CryptoProvider>,
) -> Arc<ServerConfig> {
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("provider supports TLS 1.3 and 1.2")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate and key are usable");
    Arc::new(config)
}

/// A client config using rustls's standard WebPKI verification against
/// `roots`, safe default protocol versions, no client certificate.
pub fn client_config(
    provider: Arc<CryptoProvider>,
    roots: Arc<RootCertStore>,
) -> Arc<ClientConfig> {
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("provider supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A client config that verifies servers with `verifier`, installed the way users do
/// (`with_pinning`), restricted to one protocol version.
pub fn pinned_client_config(
    verifier: Arc<rustls_pinning::PinningServerVerifier>,
    provider: &Arc<CryptoProvider>,
    version: &'static rustls::SupportedProtocolVersion,
) -> Arc<ClientConfig> {
    use rustls_pinning::BuilderPinningExt;
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .expect("provider supports the protocol version")
        .with_pinning(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// A client config using a prebuilt WebPKI verifier (e.g. one with CRLs).
pub fn client_config_with_webpki(
    provider: Arc<CryptoProvider>,
    verifier: Arc<WebPkiServerVerifier>,
) -> Arc<ClientConfig> {
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("provider supports the default protocol versions")
        .with_webpki_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// A client config using an arbitrary certificate verifier, such as a
/// pinning verifier wrapping WebPKI.
pub fn client_config_with_verifier(
    provider: Arc<CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Arc<ClientConfig> {
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("provider supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// A TLS server on `127.0.0.1:<ephemeral>` running in background threads.
///
/// Each connection: handshake, read one line, answer [`GREETING`], close.
/// A failed handshake just drops that connection (the client observes the
/// failure itself). Dropping the `TestServer` stops the accept loop; any
/// connection still in flight ends within [`IO_TIMEOUT`].
pub struct TestServer {
    /// Where to connect.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    completed: Arc<AtomicUsize>,
    accept_thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Binds a loopback port and starts serving with `config`.
    pub fn start(config: Arc<ServerConfig>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let addr = listener.local_addr().expect("listener address");
        // Non-blocking so the loop can notice `stop` without a wake-up
        // connection.
        listener
            .set_nonblocking(true)
            .expect("making the listener non-blocking");
        let stop = Arc::new(AtomicBool::new(false));
        let completed = Arc::new(AtomicUsize::new(0));
        let accept_thread = {
            let stop = Arc::clone(&stop);
            let completed = Arc::clone(&completed);
            thread::Builder::new()
                .name(format!("test-server-{addr}"))
                .spawn(move || accept_loop(listener, config, stop, completed))
                .expect("spawning the accept thread")
        };
        TestServer {
            addr,
            stop,
            completed,
            accept_thread: Some(accept_thread),
        }
    }

    /// Starts a server presenting `chain` with `key` (see [`server_config`]).
    pub fn with_chain(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        provider: Arc<CryptoProvider>,
    ) -> TestServer {
        TestServer::start(server_config(chain, key, provider))
    }

    /// Number of connections the server fully served (handshake, request,
    /// reply). Lets a test check the *server* saw a failure too.
    pub fn completed(&self) -> usize {
        self.completed.load(Ordering::SeqCst)
    }

    /// Waits (up to [`IO_TIMEOUT`]) until at least `expected` connections
    /// were fully served, then returns the count. The server bumps its
    /// counter after the client may already have read the reply, so
    /// asserting on [`completed`](Self::completed) right away would race.
    pub fn wait_for_completed(&self, expected: usize) -> usize {
        let deadline = Instant::now() + IO_TIMEOUT;
        while self.completed() < expected && Instant::now() < deadline {
            thread::sleep(ACCEPT_POLL);
        }
        self.completed()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.accept_thread.take() {
            // Only panics if the accept loop panicked; don't double-panic.
            let _ = thread.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    stop: Arc<AtomicBool>,
    completed: Arc<AtomicUsize>,
) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((sock, _peer)) => {
                let config = Arc::clone(&config);
                let completed = Arc::clone(&completed);
                // One thread per connection, so a client that stalls cannot
                // block the next one. Detached: bounded by IO_TIMEOUT.
                thread::spawn(move || {
                    if serve_one(sock, config).is_ok() {
                        completed.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(ACCEPT_POLL),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Transient (e.g. ECONNABORTED, EMFILE): keep serving.
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
}

fn serve_one(sock: TcpStream, config: Arc<ServerConfig>) -> io::Result<()> {
    // Accepted sockets inherit non-blocking mode on some platforms.
    sock.set_nonblocking(false)?;
    sock.set_read_timeout(Some(IO_TIMEOUT))?;
    sock.set_write_timeout(Some(IO_TIMEOUT))?;
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, sock);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    let mut line = String::new();
    BufReader::new(&mut tls).read_line(&mut line)?;
    tls.write_all(GREETING.as_bytes())?;
    tls.conn.send_close_notify();
    tls.flush()?;
    while tls.conn.wants_write() {
        tls.conn.write_tls(&mut tls.sock)?;
    }
    Ok(())
}

/// Connects to `addr`, validates the server as `server_name` (a DNS name or
/// an IP literal), sends [`REQUEST`] and returns the server's reply line.
///
/// A TLS failure (certificate rejected, alert received, ...) is returned as
/// the client-side `rustls::Error`, which is what tests assert on. Any other
/// I/O failure means the test harness itself broke, so it panics.
pub fn connect(
    addr: SocketAddr,
    server_name: &str,
    client_config: Arc<ClientConfig>,
) -> Result<String, rustls::Error> {
    let name = ServerName::try_from(server_name.to_owned())
        .unwrap_or_else(|e| panic!("invalid server name {server_name:?}: {e}"));
    let conn = ClientConnection::new(client_config, name)?;
    let sock = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("connecting to {addr}: {e}"));
    sock.set_read_timeout(Some(IO_TIMEOUT))
        .expect("setting read timeout");
    sock.set_write_timeout(Some(IO_TIMEOUT))
        .expect("setting write timeout");
    let mut tls = StreamOwned::new(conn, sock);

    // Drive the handshake explicitly so certificate errors surface here
    // rather than from whichever read/write happens to come first.
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .map_err(tls_error_or_panic)?;
    }
    tls.write_all(REQUEST.as_bytes())
        .map_err(tls_error_or_panic)?;
    tls.flush().map_err(tls_error_or_panic)?;
    let mut reply = String::new();
    BufReader::new(&mut tls)
        .read_line(&mut reply)
        .map_err(tls_error_or_panic)?;
    Ok(reply)
}

/// Recovers the `rustls::Error` that rustls wraps inside an `io::Error`
/// (`io::Error::new(InvalidData, err)`); panics on any other I/O error.
pub fn tls_error_or_panic(e: io::Error) -> rustls::Error {
    let kind = e.kind();
    let shown = e.to_string();
    match e
        .into_inner()
        .map(|inner| inner.downcast::<rustls::Error>())
    {
        Some(Ok(tls)) => *tls,
        Some(Err(other)) => panic!("non-TLS I/O error ({kind:?}): {other}"),
        None => panic!("non-TLS I/O error ({kind:?}): {shown}"),
    }
}
