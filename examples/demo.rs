//! End-to-end tour of `rustls-pinning` over real TLS on the loopback interface.
//!
//! The demo builds a private PKI in memory (root CA -> intermediate CA -> server leaf for
//! `api.demo.test`), keeps a second key pair "offline" as the backup pin, and starts a
//! blocking TLS server on `127.0.0.1`. A client pinned to the primary and backup keys then
//! goes through four scenarios:
//!
//! - (a) the genuine server is accepted because the pinned key is the leaf's;
//! - (b) an impostor certificate for the same name, issued by the same trusted intermediate,
//!   is rejected with a readable [`ServerPinningError`], while a plain WebPKI client accepts it;
//! - (c) the impostor appends the genuine pinned leaf to its chain ("chain stuffing") and is
//!   still rejected, because pins are matched only against the verified path;
//! - (d) the server rotates to a certificate for the backup key, and the unchanged client is
//!   accepted; its reporter raises `BackupPinInUse`, the signal to update the primary pin.
//!
//! Every outcome is checked: the demo exits with an error if any step behaves differently.
//!
//! Run it with `cargo run --example demo`.

use std::error::Error;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, SubjectPublicKeyInfoDer};
use rustls::{
    ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection, StreamOwned,
};
use rustls_pinning::reporters::MemoryReporter;
use rustls_pinning::{
    BuilderPinningExt, Pin, PinEntry, PinEventKind, PinSet, PinningServerVerifier, Reporting,
    ServerPinningError,
};

type DemoResult<T> = Result<T, Box<dyn Error>>;

/// A step that did not behave as described. `Debug` prints the plain message, so that
/// `main` returning it reads as a sentence rather than a quoted string.
struct StepFailed(String);

impl std::fmt::Debug for StepFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for StepFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for StepFailed {}

fn fail<T>(message: impl Into<String>) -> DemoResult<T> {
    Err(Box::new(StepFailed(message.into())))
}

/// The name the server's certificates are issued for and the client asks for.
const SERVER_NAME: &str = "api.demo.test";

/// Bounds every socket operation, so a broken step fails instead of hanging.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Organization in every subject of the demo PKI.
const ORGANIZATION: &str = "rustls-pinning demo";

/// A CA that can issue certificates.
struct Ca {
    cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate chain with its private key.
struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// Everything the demo generates up front.
struct DemoPki {
    roots: Arc<RootCertStore>,
    intermediate: Ca,
    genuine: ServerIdentity,
    impostor: ServerIdentity,
    /// Generated now, but no certificate exists for it until the rotation in step (d).
    backup_key: KeyPair,
}

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::generate()?;
    let primary_pin = Pin::spki_of(&pki.genuine.chain[0])?;
    let backup_pin = spki_pin_of_key(&pki.backup_key);
    let impostor_pin = Pin::spki_of(&pki.impostor.chain[0])?;

    let events = Arc::new(MemoryReporter::new(16));
    let pinned = pinned_client(&pki.roots, primary_pin, backup_pin, &events, &provider)?;
    let plain = plain_client(&pki.roots, &provider)?;

    let server = DemoServer::start(server_config(&pki.genuine, "primary key", &provider)?)?;
    println!(
        "rustls-pinning demo: client pins {SERVER_NAME} to the primary key + an offline backup key, \
         server on {}",
        server.addr
    );
    println!("    primary pin: {primary_pin}");
    println!("    backup pin:  {backup_pin}");

    step_genuine(&server, &pinned, primary_pin)?;

    server.present(server_config(&pki.impostor, "impostor", &provider)?);
    step_impostor(&server, &pinned, &plain, impostor_pin)?;

    let stuffed = ServerIdentity {
        chain: [
            pki.impostor.chain.clone(),
            vec![pki.genuine.chain[0].clone()],
        ]
        .concat(),
        key: pki.impostor.key.clone_key(),
    };
    server.present(server_config(&stuffed, "impostor", &provider)?);
    step_chain_stuffing(&server, &pinned, primary_pin)?;

    let rotated = issue_leaf(&pki.intermediate, copy_key_pair(&pki.backup_key)?)?;
    server.present(server_config(&rotated, "backup key", &provider)?);
    events.take();
    step_rotation(&server, &pinned, backup_pin, &events)?;

    server.shutdown()?;
    println!();
    println!(
        "All 4 checks passed: pins accepted the genuine and rotated keys and refused the \
         impostor that plain WebPKI accepted."
    );
    Ok(())
}

/// (a) The genuine server, serving the primary key, is accepted.
fn step_genuine(server: &DemoServer, pinned: &Arc<ClientConfig>, primary: Pin) -> DemoResult<()> {
    println!();
    println!("(a) Genuine server: the leaf carries the primary key.");
    let (reply, leaf_pin) = expect_accepted("(a)", exchange(server.addr, pinned)?)?;
    check(
        leaf_pin == primary,
        "(a): the server did not present the primary key",
    )?;
    println!("    reply: \"{reply}\"");
    println!("    accepted: pinned key matched at the leaf");
    Ok(())
}

/// (b) An impostor certificate from the same trusted CA is rejected by the pins only.
fn step_impostor(
    server: &DemoServer,
    pinned: &Arc<ClientConfig>,
    plain: &Arc<ClientConfig>,
    impostor: Pin,
) -> DemoResult<()> {
    println!();
    println!(
        "(b) Impostor: a different key, certified for {SERVER_NAME} by the same trusted \
         intermediate."
    );
    let error = expect_rejected("(b)", exchange(server.addr, pinned)?)?;
    let pinning = pinning_error("(b)", &error)?;
    let verified_leaf = verified_path(pinning)
        .and_then(|path| path.first())
        .map(|certificate| certificate.spki_pin());
    check(
        verified_leaf == Some(impostor),
        "(b): the error does not report the impostor's leaf on the verified path",
    )?;
    println!("    pinned client: rejected");
    print_indented(&pinning.to_string(), 6);

    let (reply, leaf_pin) = expect_accepted("(b) plain WebPKI", exchange(server.addr, plain)?)?;
    check(
        leaf_pin == impostor,
        "(b): the plain WebPKI client did not see the impostor's key",
    )?;
    println!("    plain WebPKI client (same roots, no pins): accepted, reply \"{reply}\"");
    println!("    The chain is perfectly valid: only the pin tells the impostor apart.");
    Ok(())
}

/// (c) Appending the genuine leaf to the impostor's chain does not satisfy the pins.
fn step_chain_stuffing(
    server: &DemoServer,
    pinned: &Arc<ClientConfig>,
    primary: Pin,
) -> DemoResult<()> {
    println!();
    println!(
        "(c) Chain stuffing: the impostor sends leaf, intermediate, then the genuine pinned leaf."
    );
    let error = expect_rejected("(c)", exchange(server.addr, pinned)?)?;
    let pinning = pinning_error("(c)", &error)?;
    let Some(path) = verified_path(pinning) else {
        return fail("(c): the error lists no verified path");
    };
    check(
        path.iter()
            .all(|certificate| certificate.spki_pin() != primary),
        "(c): the appended genuine leaf ended up on the verified path",
    )?;
    println!("    pinned client: rejected; the verified path was:");
    for certificate in path {
        println!(
            "      {:<12}  {}: {}",
            certificate.position().to_string(),
            certificate.spki_pin(),
            certificate.subject()
        );
    }
    println!(
        "    Pins are matched only against the verified path, never against extra certificates \
         the server sends."
    );
    Ok(())
}

/// (d) After rotation to the backup key, the unchanged client is accepted.
fn step_rotation(
    server: &DemoServer,
    pinned: &Arc<ClientConfig>,
    backup: Pin,
    events: &MemoryReporter,
) -> DemoResult<()> {
    println!();
    println!(
        "(d) Rotation: the server now serves a new certificate for the offline backup key \
         (client unchanged)."
    );
    let (reply, leaf_pin) = expect_accepted("(d)", exchange(server.addr, pinned)?)?;
    check(
        leaf_pin == backup,
        "(d): the server did not present the backup key",
    )?;
    println!("    reply: \"{reply}\"");
    println!("    accepted: backup pin matched");
    let raised = events.take();
    check(
        raised.len() == 1
            && raised[0].kind == PinEventKind::BackupPinInUse
            && raised[0].matched_pin.map(|scoped| scoped.pin()) == Some(backup),
        "(d): the reporter did not see exactly one backup-pin-in-use event",
    )?;
    println!(
        "    reported: {} (the server rotated: make the backup the primary pin and add a new \
         backup)",
        raised[0].kind
    );
    Ok(())
}

impl DemoPki {
    fn generate() -> DemoResult<Self> {
        let root_params = ca_params("Demo Root CA")?;
        let root_key = KeyPair::generate()?;
        let root_cert = root_params.self_signed(&root_key)?.der().clone();
        let root = Issuer::new(root_params, root_key);

        let intermediate_params = ca_params("Demo Intermediate CA")?;
        let intermediate_key = KeyPair::generate()?;
        let intermediate = Ca {
            cert: intermediate_params
                .signed_by(&intermediate_key, &root)?
                .der()
                .clone(),
            issuer: Issuer::new(intermediate_params, intermediate_key),
        };

        let mut roots = RootCertStore::empty();
        roots.add(root_cert)?;
        Ok(Self {
            roots: Arc::new(roots),
            genuine: issue_leaf(&intermediate, KeyPair::generate()?)?,
            impostor: issue_leaf(&intermediate, KeyPair::generate()?)?,
            backup_key: KeyPair::generate()?,
            intermediate,
        })
    }
}

fn subject(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, ORGANIZATION);
    name.push(DnType::CommonName, common_name);
    name
}

fn ca_params(common_name: &str) -> DemoResult<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = subject(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// A server certificate for [`SERVER_NAME`] with `key`, issued by `ca`, chained as a server
/// sends it (leaf, intermediate).
fn issue_leaf(ca: &Ca, key: KeyPair) -> DemoResult<ServerIdentity> {
    let mut params = CertificateParams::new(vec![SERVER_NAME.to_owned()])?;
    params.distinguished_name = subject(SERVER_NAME);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let leaf = params.signed_by(&key, &ca.issuer)?.der().clone();
    Ok(ServerIdentity {
        chain: vec![leaf, ca.cert.clone()],
        key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    })
}

/// `KeyPair` is not `Clone`: round-trip it through its PKCS#8 encoding.
fn copy_key_pair(key: &KeyPair) -> DemoResult<KeyPair> {
    Ok(KeyPair::try_from(key.serialized_der())?)
}

/// The SPKI pin of a key that has no certificate yet.
fn spki_pin_of_key(key: &KeyPair) -> Pin {
    Pin::from_spki(&SubjectPublicKeyInfoDer::from(
        key.subject_public_key_info(),
    ))
}

/// The pinned client: WebPKI against `roots`, plus primary and backup pins for the host,
/// reporting pin events to `events`.
fn pinned_client(
    roots: &Arc<RootCertStore>,
    primary: Pin,
    backup: Pin,
    events: &Arc<MemoryReporter>,
    provider: &Arc<CryptoProvider>,
) -> DemoResult<Arc<ClientConfig>> {
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder(SERVER_NAME.parse()?)
                .pin(primary)
                .backup_pin(backup),
        )
        .build()?;
    let verifier = PinningServerVerifier::builder(Arc::clone(roots), pins, Arc::clone(provider))
        .with_reporting(Reporting::new(events.clone()))
        .build()?;
    let config = ClientConfig::builder_with_provider(Arc::clone(provider))
        .with_safe_default_protocol_versions()?
        .with_pinning(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A client using rustls's default WebPKI verifier with the same roots and no pins.
fn plain_client(
    roots: &Arc<RootCertStore>,
    provider: &Arc<CryptoProvider>,
) -> DemoResult<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(Arc::clone(provider))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(Arc::clone(roots))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server configuration presenting `identity`; `label` goes into the server's reply.
fn server_config(
    identity: &ServerIdentity,
    label: &'static str,
    provider: &Arc<CryptoProvider>,
) -> DemoResult<Served> {
    let config = ServerConfig::builder_with_provider(Arc::clone(provider))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())?;
    Ok(Served {
        config: Arc::new(config),
        label,
    })
}

/// What the server currently presents.
#[derive(Clone)]
struct Served {
    config: Arc<ServerConfig>,
    label: &'static str,
}

/// A loopback TLS server on one thread, serving one connection at a time: handshake, read a
/// line, reply with a line, close. Its certificate can be switched between connections.
struct DemoServer {
    addr: SocketAddr,
    current: Arc<Mutex<Served>>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl DemoServer {
    fn start(served: Served) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let current = Arc::new(Mutex::new(served));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let current = Arc::clone(&current);
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("demo-server".into())
                .spawn(move || accept_loop(&listener, &current, &stop))?
        };
        Ok(Self {
            addr,
            current,
            stop,
            thread,
        })
    }

    /// Switches the certificate for the next connections.
    fn present(&self, served: Served) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = served;
    }

    /// Stops the accept loop (a connection wakes it up) and waits for the thread.
    fn shutdown(self) -> DemoResult<()> {
        self.stop.store(true, Ordering::SeqCst);
        drop(TcpStream::connect_timeout(&self.addr, IO_TIMEOUT)?);
        self.thread
            .join()
            .map_err(|_| "the demo server thread panicked")?;
        Ok(())
    }
}

fn accept_loop(listener: &TcpListener, current: &Mutex<Served>, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let served = current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        // A refused handshake ends here for the server; the client reports why.
        let _ = serve(stream, served);
    }
}

fn serve(stream: TcpStream, served: Served) -> io::Result<()> {
    set_timeouts(&stream)?;
    let conn = ServerConnection::new(served.config).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, stream);
    let mut request = String::new();
    BufReader::new(&mut tls).read_line(&mut request)?;
    writeln!(tls, "hello from {SERVER_NAME} ({})", served.label)?;
    tls.conn.send_close_notify();
    tls.flush()
}

fn set_timeouts(stream: &TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))
}

/// How a client connection ended.
enum Outcome {
    /// The handshake succeeded: the server's reply and the SPKI pin of the leaf it presented.
    Accepted { reply: String, leaf_pin: Pin },
    /// The handshake failed with this TLS error.
    Rejected(rustls::Error),
}

/// Connects as `SERVER_NAME`, sends a line and reads the reply. TLS failures are an
/// [`Outcome`]; anything else (socket trouble) is an error of the demo itself.
fn exchange(addr: SocketAddr, config: &Arc<ClientConfig>) -> DemoResult<Outcome> {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    set_timeouts(&stream)?;
    let conn = ClientConnection::new(Arc::clone(config), ServerName::try_from(SERVER_NAME)?)?;
    let mut tls = StreamOwned::new(conn, stream);
    // Drive the handshake explicitly so a certificate error surfaces here.
    while tls.conn.is_handshaking() {
        if let Err(error) = tls.conn.complete_io(&mut tls.sock) {
            return match tls_error(&error) {
                Some(tls_error) => Ok(Outcome::Rejected(tls_error.clone())),
                None => Err(error.into()),
            };
        }
    }
    let Some(leaf) = tls.conn.peer_certificates().and_then(|chain| chain.first()) else {
        return fail("the server presented no certificate");
    };
    let leaf_pin = Pin::spki_of(leaf)?;
    writeln!(tls, "hello from the demo client")?;
    tls.flush()?;
    let mut reply = String::new();
    BufReader::new(&mut tls).read_line(&mut reply)?;
    Ok(Outcome::Accepted {
        reply: reply.trim_end().to_owned(),
        leaf_pin,
    })
}

/// The `rustls::Error` that rustls wraps in the `io::Error` of a failed handshake.
fn tls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

fn expect_accepted(step: &str, outcome: Outcome) -> DemoResult<(String, Pin)> {
    match outcome {
        Outcome::Accepted { reply, leaf_pin } => Ok((reply, leaf_pin)),
        Outcome::Rejected(error) => fail(format!(
            "{step}: expected the connection to succeed, but: {error}"
        )),
    }
}

fn expect_rejected(step: &str, outcome: Outcome) -> DemoResult<rustls::Error> {
    match outcome {
        Outcome::Rejected(error) => Ok(error),
        Outcome::Accepted { reply, .. } => fail(format!(
            "{step}: expected a rejection, but the server replied \"{reply}\""
        )),
    }
}

/// The typed pinning error inside a handshake failure; any other failure fails the step.
fn pinning_error<'e>(step: &str, error: &'e rustls::Error) -> DemoResult<&'e ServerPinningError> {
    match ServerPinningError::from_rustls(error) {
        Some(pinning) => Ok(pinning),
        None => fail(format!("{step}: expected a pinning failure, got: {error}")),
    }
}

/// The first verified path a pin failure reports.
fn verified_path(error: &ServerPinningError) -> Option<&[rustls_pinning::PathCertificate]> {
    match error {
        ServerPinningError::NoPinMatched { verified_paths, .. } => {
            verified_paths.first().map(Vec::as_slice)
        }
        _ => None,
    }
}

fn check(condition: bool, failure: &str) -> DemoResult<()> {
    if condition {
        Ok(())
    } else {
        fail(failure)
    }
}

fn print_indented(text: &str, indent: usize) {
    for line in text.lines() {
        println!("{:indent$}{line}", "");
    }
}

#[cfg(test)]
mod tests {
    /// `cargo test` runs the whole demo: each step checks its own outcome and fails the
    /// demo (and so this test) if pinning does not behave as the output claims.
    #[test]
    fn demo_checks_pass() {
        if let Err(error) = super::main() {
            panic!("demo failed: {error}");
        }
    }
}
