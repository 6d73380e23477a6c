//! A server pinning its clients (mutual TLS): `cargo run --example mtls_server`.
//!
//! Every workload gets its certificate from the same internal CA; the server only lets in
//! the workload whose key it pinned for its SPIFFE ID. Another workload of the same CA is
//! refused with a typed `ClientPinningError`, and so is a client without a certificate.

use rustls_pinning_test_support::demo as common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use common::{DemoPki, DemoResult, Identity};
use rcgen::SanType;
use rustls::{ClientConnection, ServerConnection, StreamOwned};
use rustls_pinning::{
    ClientPinEntry, ClientPinSet, ClientPinningError, Pin, PinningClientVerifier,
};

const BILLING: &str = "spiffe://prod.example/ns/billing/sa/api";
const BATCH: &str = "spiffe://prod.example/ns/batch/sa/worker";

/// Serves one connection; returns what the server's handshake concluded.
fn serve_once(
    config: Arc<rustls::ServerConfig>,
) -> DemoResult<(
    std::net::SocketAddr,
    std::thread::JoinHandle<Result<(), rustls::Error>>,
)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let handle = std::thread::spawn(move || {
        let (sock, _) = listener
            .accept()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let mut tls = StreamOwned::new(ServerConnection::new(config)?, sock);
        let mut line = String::new();
        if let Err(error) = BufReader::new(&mut tls).read_line(&mut line) {
            return Err(
                match error.into_inner().map(|e| e.downcast::<rustls::Error>()) {
                    Some(Ok(tls)) => *tls,
                    _ => rustls::Error::General("connection failed".into()),
                },
            );
        }
        let _ = tls.write_all(b"welcome\n");
        tls.conn.send_close_notify();
        let _ = tls.flush();
        Ok(())
    });
    Ok((addr, handle))
}

fn attempt(
    pki: &DemoPki,
    server: Arc<rustls::ServerConfig>,
    client: Option<&Identity>,
) -> DemoResult<Result<(), rustls::Error>> {
    let provider = rustls_pinning::default_crypto_provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(pki.roots()?);
    let config = match client {
        Some(identity) => builder.with_client_auth_cert(identity.chain.clone(), identity.key())?,
        None => builder.with_no_client_auth(),
    };
    let (addr, outcome) = serve_once(server)?;
    let sock = std::net::TcpStream::connect(addr)?;
    let mut tls = StreamOwned::new(
        ClientConnection::new(Arc::new(config), "127.0.0.1".try_into()?)?,
        sock,
    );
    let _ = tls.write_all(b"hello\n").and_then(|()| tls.flush());
    let mut reply = String::new();
    let _ = BufReader::new(&mut tls).read_line(&mut reply);
    outcome.join().map_err(|_| "server thread panicked".into())
}

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::new()?;
    let billing = pki.issue(&[SanType::URI(BILLING.try_into()?)], true)?;
    let batch = pki.issue(&[SanType::URI(BATCH.try_into()?)], true)?;

    let policy = ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(BILLING.parse()?)
                .pin(Pin::spki_of(&billing.chain[0])?)
                .pin("sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?),
        )
        .build()?;
    let verifier =
        PinningClientVerifier::builder(pki.roots()?, policy, provider.clone()).build()?;
    let server = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(pki.genuine.chain.clone(), pki.genuine.key())?,
    );

    attempt(&pki, server.clone(), Some(&billing))??;
    println!("billing workload (pinned key) accepted");

    match attempt(&pki, server.clone(), Some(&batch))? {
        Err(error) => match ClientPinningError::from_rustls(&error) {
            Some(pinning) => println!("batch workload refused: {pinning}"),
            None => return Err(format!("expected a client pinning failure, got {error:?}").into()),
        },
        Ok(()) => return Err("the batch workload was accepted".into()),
    }

    match attempt(&pki, server, None)? {
        Err(rustls::Error::NoCertificatesPresented) => {
            println!("client without a certificate refused")
        }
        other => return Err(format!("expected NoCertificatesPresented, got {other:?}").into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        if let Err(error) = super::main() {
            panic!("example failed: {error}");
        }
    }
}
