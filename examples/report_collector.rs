//! Pin violation reports posted as RFC 7469 JSON to a collector, without ever holding up a
//! handshake.
//!
//! Everything runs on the loopback interface: a TLS server with a freshly generated PKI, a
//! tiny HTTP collector that parses each report, and a client whose verifier reports through
//! a [`BackgroundReporter`] (a bounded queue and a thread of its own) around a
//! [`DeduplicatingReporter`] around an HTTP poster. The collector deliberately holds its
//! first answer until the client's handshake has finished: if reporting could stall a
//! handshake, the example would fail instead of completing.
//!
//! Steps: (1) a report-only entry with a wrong pin lets the connection through and a
//! `report-only-violation` report arrives with `enforce-pinning: false`; (2) the same
//! mismatch repeated is de-duplicated; (3) an enforced entry rejects the server and a
//! `violation` report arrives with `enforce-pinning: true`.
//!
//! Run it with `cargo run --example report_collector --features serde`.

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use rustls_pinning::reporters::{BackgroundReporter, DeduplicatingReporter};
use rustls_pinning::{
    BuilderPinningExt, Pin, PinEntry, PinEvent, PinReporter, PinSet, PinningServerVerifier,
    Reporting, ServerPinningError, ViolationReport,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const HOST: &str = "api.collector.test";
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> Result<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let (root, server_config) = pki(&provider)?;
    let tls_addr = serve_tls(server_config)?;

    let (reports, arrived) = mpsc::channel();
    let (handshake_done, gate) = mpsc::channel();
    let collector = start_collector(reports, gate)?;
    println!("TLS server on {tls_addr}, report collector on http://{collector}/report");

    // Posting happens on the background reporter's thread; the handshake only enqueues.
    let poster = Arc::new(DeduplicatingReporter::new(Arc::new(HttpReporter {
        collector,
    })));
    let reporter: Arc<dyn PinReporter> = Arc::new(BackgroundReporter::spawn(poster, 64)?);

    // A pin that is not the server's key: what a stale configuration looks like.
    let stale: Pin = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse()?;
    let stale_backup: Pin = "sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=".parse()?;

    println!("\n(1) report-only: the mismatch is reported, the connection goes ahead");
    let report_only = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse()?)
                .pin(stale)
                .pin(stale_backup)
                .report_only(),
        )
        .build()?;
    let pinned = client(&root, report_only, &reporter, &provider)?;
    let reply = connect(tls_addr, &pinned)?;
    println!("    connection accepted, server said {:?}", reply.trim());
    // Only now may the collector answer: reporting did not wait for it.
    handshake_done.send(())?;
    let report = next_report(&arrived)?;
    show(&report);
    check(
        !report.enforce_pinning && report.hostname == HOST && report.port == Some(443),
        "the report-only report",
    )?;

    println!("\n(2) the same mismatch again: suppressed for 24 hours by the de-duplicator");
    connect(tls_addr, &pinned)?;
    check(
        arrived.recv_timeout(Duration::from_millis(500)).is_err(),
        "no second identical report",
    )?;
    println!("    connection accepted, no second report");

    println!("\n(3) enforced: the connection is refused and the violation is reported");
    let enforced = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse()?)
                .pin(stale)
                .pin(stale_backup),
        )
        .build()?;
    let pinned = client(&root, enforced, &reporter, &provider)?;
    match connect(tls_addr, &pinned) {
        Ok(_) => return Err("the enforced entry accepted a server without its pin".into()),
        Err(error) => {
            let pinning = error
                .downcast_ref::<rustls::Error>()
                .and_then(ServerPinningError::from_rustls)
                .ok_or_else(|| format!("expected a pinning error, got {error}"))?;
            println!(
                "    refused: {}",
                pinning.to_string().lines().next().unwrap_or("")
            );
        }
    }
    let report = next_report(&arrived)?;
    show(&report);
    check(
        report.enforce_pinning && report.validation_result == 1,
        "the enforced report",
    )?;
    println!("\nall reports arrived; no handshake waited for the collector");
    Ok(())
}

/// Posts each event's RFC 7469 JSON to the collector. It blocks on the network, which is
/// why it runs behind a `BackgroundReporter`.
#[derive(Debug)]
struct HttpReporter {
    collector: SocketAddr,
}

impl PinReporter for HttpReporter {
    fn report(&self, event: &PinEvent) {
        if let Err(error) = self.post(event) {
            eprintln!("could not deliver a pin report: {error}");
        }
    }
}

impl HttpReporter {
    fn post(&self, event: &PinEvent) -> Result<()> {
        let body = event.to_json()?;
        let mut stream = TcpStream::connect_timeout(&self.collector, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        write!(
            stream,
            "POST /report HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.collector,
            body.len()
        )?;
        let mut status = String::new();
        BufReader::new(stream).read_line(&mut status)?;
        match status.split_whitespace().nth(1) {
            Some("204") => Ok(()),
            _ => Err(format!("collector answered {status:?}").into()),
        }
    }
}

/// A one-route HTTP/1.1 server: `POST /report` with a JSON body, parsed as a
/// [`ViolationReport`]. The first answer waits until `gate` says the handshake finished.
fn start_collector(reports: Sender<ViolationReport>, gate: Receiver<()>) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let gate = Mutex::new(Some(gate));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(gate) = gate.lock().ok().and_then(|mut gate| gate.take())
                && gate.recv_timeout(IO_TIMEOUT * 3).is_err()
            {
                // The handshake never finished while this request was held: reporting
                // stalled it. Drop the report so the example fails.
                eprintln!("collector: the handshake waited for the collector");
                continue;
            }
            match receive(stream) {
                Ok(report) => {
                    if reports.send(report).is_err() {
                        return;
                    }
                }
                Err(error) => eprintln!("collector: bad request: {error}"),
            }
        }
    });
    Ok(addr)
}

fn receive(stream: TcpStream) -> Result<ViolationReport> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>()?;
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let (status, result) = match request_line.starts_with("POST /report ") {
        true => match serde_json::from_slice::<ViolationReport>(&body) {
            Ok(report) => ("204 No Content", Ok(report)),
            Err(error) => ("400 Bad Request", Err(error.into())),
        },
        false => ("404 Not Found", Err("unknown route".into())),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    result
}

fn next_report(arrived: &Receiver<ViolationReport>) -> Result<ViolationReport> {
    Ok(arrived.recv_timeout(IO_TIMEOUT * 3)?)
}

fn show(report: &ViolationReport) {
    println!(
        "    collector got: hostname={} port={:?} enforce-pinning={} validation-result={} \
         known-pins={:?} served chain: {} certificate(s), validated chain: {}",
        report.hostname,
        report.port,
        report.enforce_pinning,
        report.validation_result,
        report.known_pins,
        report.served_certificate_chain.len(),
        report.validated_certificate_chain.len(),
    );
}

fn check(condition: bool, what: &str) -> Result<()> {
    match condition {
        true => Ok(()),
        false => Err(format!("unexpected: {what}").into()),
    }
}

fn client(
    root: &CertificateDer<'static>,
    pins: PinSet,
    reporter: &Arc<dyn PinReporter>,
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.add(root.clone())?;
    let verifier = PinningServerVerifier::builder(Arc::new(roots), pins, provider.clone())
        .with_root_certificates([root.clone()])
        .with_reporting(Reporting::new(reporter.clone()).port(443))
        .build()?;
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_pinning(verifier)
        .with_no_client_auth();
    // Each connection of the example verifies the chain again.
    config.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(config))
}

fn connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> Result<String> {
    let connection = ClientConnection::new(config.clone(), ServerName::try_from(HOST)?)?;
    let socket = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    socket.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut tls = rustls::StreamOwned::new(connection, socket);
    tls.write_all(b"ping\n").map_err(unwrap_tls)?;
    let mut reply = String::new();
    BufReader::new(&mut tls)
        .read_line(&mut reply)
        .map_err(unwrap_tls)?;
    Ok(reply)
}

/// rustls reports a TLS failure inside an `io::Error`; take it out so callers can inspect it.
fn unwrap_tls(error: std::io::Error) -> Box<dyn Error> {
    match error.into_inner() {
        Some(inner) => match inner.downcast::<rustls::Error>() {
            Ok(tls) => tls,
            Err(other) => other,
        },
        None => "I/O error without detail".into(),
    }
}

/// A root CA and a server configuration for [`HOST`] issued by it.
fn pki(
    provider: &Arc<rustls::crypto::CryptoProvider>,
) -> Result<(CertificateDer<'static>, Arc<ServerConfig>)> {
    let root_key = KeyPair::generate()?;
    let mut root_params = CertificateParams::new(Vec::<String>::new())?;
    root_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Collector Example Root");
    root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root = root_params.self_signed(&root_key)?;
    let issuer = Issuer::new(root_params, root_key);
    let leaf_key = KeyPair::generate()?;
    let leaf = CertificateParams::new(vec![HOST.to_owned()])?.signed_by(&leaf_key, &issuer)?;
    let config = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )?;
    Ok((root.der().clone(), Arc::new(config)))
}

/// Serves each connection: handshake, read a line, answer `hello`.
fn serve_tls(config: Arc<ServerConfig>) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || -> std::io::Result<()> {
                stream.set_read_timeout(Some(IO_TIMEOUT))?;
                let connection = ServerConnection::new(config).map_err(std::io::Error::other)?;
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let mut line = String::new();
                BufReader::new(&mut tls).read_line(&mut line)?;
                tls.write_all(b"hello\n")?;
                tls.conn.send_close_notify();
                tls.flush()
            });
        }
    });
    Ok(addr)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_runs_to_completion() {
        super::main().unwrap();
    }
}
