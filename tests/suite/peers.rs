//! Independent peers: curl and openssl, against loopback rustls servers whose certificates are
//! made at test time, agree with this crate. (Running them, and openssl's pins for certificate
//! files, are in `peer_tools.rs`.)
//!
//! - `curl --pinnedpubkey 'sha256//...'` pins the leaf's SPKI. For the same server and the same
//!   pin text, curl and a `PinningServerVerifier` with the pin scoped to the leaf reach the same
//!   verdict: both accept the right pin (alone or in a `;` list), both refuse a wrong one (curl
//!   with exit code 90, `CURLE_SSL_PINNEDPUBKEYNOTMATCH`; the verifier with `NoPinMatched`).
//! - openssl's SPKI pin and certificate fingerprint equal `Pin::spki_of` and
//!   `Pin::certificate_of` for the chain `openssl s_client` fetches from the server; the pin
//!   openssl computes from the fetched leaf is accepted by curl and by the verifier alike.
//!
//! Leaves use ECDSA P-256, RSA 2048 and Ed25519 keys, whose SPKI encodings differ. A test
//! whose tool is missing prints why and returns; CI installs both (`.ci/run`).

use rustls_pinning_test_support as common;

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::{Ca, KeyKind, Leaf, LeafOptions};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use rustls_pinning::{Pin, PinEntry, PinScope, PinSet, PinningServerVerifier, ServerPinningError};

use super::{provider, PROVIDER};
use crate::peer_tools::{
    available, openssl_fingerprint, openssl_spki_pin, run, Scratch, HOST, KEY_KINDS,
};

/// curl's exit code when the peer's public key does not match `--pinnedpubkey`.
const CURLE_SSL_PINNEDPUBKEYNOTMATCH: i32 = 90;

// ---------------------------------------------------------------------------------------------
// A loopback server that answers HTTP
// ---------------------------------------------------------------------------------------------

/// A TLS server on loopback answering each connection's first request line: with a small
/// HTTP/1.1 response to a `GET` (for curl), with a line otherwise.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(config: Arc<ServerConfig>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            while !flag.load(Ordering::Acquire) {
                match listener.accept() {
                    Ok((socket, _)) => {
                        let config = config.clone();
                        thread::spawn(move || {
                            let _ = serve(socket, config);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(socket: TcpStream, config: Arc<ServerConfig>) -> io::Result<()> {
    socket.set_nonblocking(false)?;
    socket.set_read_timeout(Some(common::IO_TIMEOUT))?;
    socket.set_write_timeout(Some(common::IO_TIMEOUT))?;
    let connection = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(connection, socket);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    // curl sends its whole request in one record, so reading one line takes all of it.
    let mut line = String::new();
    BufReader::new(&mut tls).read_line(&mut line)?;
    let reply = match line.starts_with("GET ") {
        true => "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n",
        false => common::GREETING,
    };
    tls.write_all(reply.as_bytes())?;
    tls.conn.send_close_notify();
    tls.flush()?;
    Ok(())
}

/// A root, an intermediate and a leaf for [`HOST`] with a key of `kind`, served on loopback.
struct Service {
    root: Ca,
    int: Ca,
    leaf: Leaf,
    server: Server,
}

impl Service {
    fn start(kind: KeyKind, provider: &Arc<CryptoProvider>) -> Service {
        let root = Ca::root("Peers Root");
        let int = root.intermediate("Peers Intermediate");
        let leaf = int.leaf_with(LeafOptions::new(&[HOST]).key(kind));
        let config =
            common::server_config(leaf.chain(&[&int]), leaf.private_key(), provider.clone());
        let server = Server::start(config);
        Service {
            root,
            int,
            leaf,
            server,
        }
    }

    /// curl fetching `https://HOST:port/` with `--pinnedpubkey pins`; its exit code, and the
    /// body when it succeeded.
    fn curl(&self, root_pem: &Path, pins: &str) -> (i32, String) {
        let port = self.server.addr.port();
        let output = run(Command::new("curl")
            .args([
                "--silent",
                "--show-error",
                "--max-time",
                "10",
                "--noproxy",
                "*",
            ])
            .arg("--cacert")
            .arg(root_pem)
            .args(["--resolve", &format!("{HOST}:{port}:127.0.0.1")])
            .args(["--pinnedpubkey", pins])
            .arg(format!("https://{HOST}:{port}/")));
        let code = output.status.code().expect("curl exited normally");
        (code, String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// This crate's verdict for the same server and pin text: a WebPKI verifier trusting the
    /// same root, with the pins scoped as `scope` (curl's semantics are `PinScope::Leaf`).
    fn ours(
        &self,
        pins: &str,
        scope: PinScope,
        provider: &Arc<CryptoProvider>,
    ) -> Result<(), rustls::Error> {
        let entry = Pin::parse_list(pins)
            .unwrap()
            .into_iter()
            .fold(PinEntry::builder(HOST.parse().unwrap()), |entry, pin| {
                entry.pin_at(pin, scope)
            })
            .allow_missing_backup_pin();
        let set = PinSet::builder().entry(entry).build().unwrap();
        let verifier =
            PinningServerVerifier::builder(self.root.root_store(), set, provider.clone())
                .build()
                .unwrap();
        let config = common::pinned_client_config(verifier, provider, &rustls::version::TLS13);
        common::connect(self.server.addr, HOST, config).map(|reply| {
            assert_eq!(reply, common::GREETING);
        })
    }
}

fn curl_spelling(pin: &Pin) -> String {
    format!("sha256//{}", pin.base64())
}

fn assert_pin_refused(result: &Result<(), rustls::Error>, label: &str) {
    match result
        .as_ref()
        .err()
        .and_then(ServerPinningError::from_rustls)
    {
        Some(ServerPinningError::NoPinMatched { host, .. }) => assert_eq!(host, HOST, "[{label}]"),
        _ => panic!("[{label}] expected NoPinMatched, got {result:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// curl
// ---------------------------------------------------------------------------------------------

#[test]
fn curl_and_the_verifier_agree_on_leaf_spki_pins() {
    if !available("curl", &["--version"]) {
        return;
    }
    let provider = provider();
    for kind in KEY_KINDS {
        let label = format!("{PROVIDER}, {kind:?} leaf");
        let service = Service::start(kind, &provider);
        let scratch = Scratch::new("curl");
        let root_pem = scratch.pem("root.pem", service.root.cert_der());
        let right = curl_spelling(&Pin::spki_of(&service.leaf.cert).unwrap());
        let wrong = curl_spelling(&Pin::spki_of(&service.int.leaf(&[HOST]).cert).unwrap());

        // The leaf's pin, alone or anywhere in a list: both accept.
        for pins in [
            right.clone(),
            format!("{wrong};{right}"),
            format!("{right};{wrong}"),
        ] {
            assert_eq!(
                service.curl(&root_pem, &pins),
                (0, String::from("hello\n")),
                "[{label}] curl with {pins}"
            );
            assert_eq!(
                service.ours(&pins, PinScope::Leaf, &provider),
                Ok(()),
                "[{label}] verifier with {pins}"
            );
        }

        // Another key of the same CA, and the intermediate's key: both refuse. curl pins
        // the leaf only, which a pin scoped to the leaf does too.
        let intermediate = curl_spelling(&Pin::spki_of(service.int.cert_der()).unwrap());
        for pins in [
            wrong.clone(),
            format!("{wrong};{wrong}"),
            intermediate.clone(),
        ] {
            let (code, _) = service.curl(&root_pem, &pins);
            assert_eq!(
                code, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
                "[{label}] curl with {pins}"
            );
            assert_pin_refused(
                &service.ours(&pins, PinScope::Leaf, &provider),
                &format!("{label}: verifier with {pins}"),
            );
        }

        // The one place the verdicts part, by design: a pin at any position (this crate's
        // default) also matches the intermediate of the verified path, which curl's
        // leaf-only pinning never looks at.
        assert_eq!(
            service.ours(&intermediate, PinScope::Any, &provider),
            Ok(()),
            "[{label}] verifier, intermediate pin at any position"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// openssl
// ---------------------------------------------------------------------------------------------

#[test]
fn openssl_s_client_fetches_the_chain_whose_pins_curl_and_the_verifier_accept() {
    if !available("openssl", &["version"]) {
        return;
    }
    let with_curl = available("curl", &["--version"]);
    let provider = provider();
    for kind in KEY_KINDS {
        let label = format!("{PROVIDER}, {kind:?} leaf");
        let service = Service::start(kind, &provider);
        let scratch = Scratch::new("s_client");
        let root_pem = scratch.pem("root.pem", service.root.cert_der());
        let output = run(Command::new("openssl")
            .args(["s_client", "-showcerts", "-verify_return_error"])
            .args(["-connect", &service.server.addr.to_string()])
            .args(["-servername", HOST, "-verify_hostname", HOST])
            .arg("-CAfile")
            .arg(&root_pem));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("Verify return code: 0 (ok)"),
            "[{label}] s_client did not verify the server:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );

        // The chain openssl fetched is the chain the server sends, byte for byte.
        let fetched = CertificateDer::pem_slice_iter(stdout.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(
            fetched,
            service.leaf.chain(&[&service.int]),
            "[{label}] fetched chain"
        );

        // openssl's pins for the fetched certificates equal this crate's.
        for (index, certificate) in fetched.iter().enumerate() {
            let path = scratch.pem(&format!("fetched-{index}.pem"), certificate);
            assert_eq!(
                openssl_spki_pin(&path),
                Pin::spki_of(certificate).unwrap().to_string(),
                "[{label}] SPKI pin of fetched certificate {index}"
            );
            assert_eq!(
                openssl_fingerprint(&path).parse::<Pin>(),
                Ok(Pin::certificate_of(certificate)),
                "[{label}] fingerprint of fetched certificate {index}"
            );
        }

        // The leaf pin openssl computed, in curl's spelling, is accepted by both clients.
        let leaf_path = scratch.pem("fetched-leaf.pem", &fetched[0]);
        let openssl_pin = openssl_spki_pin(&leaf_path).replacen("sha256/", "sha256//", 1);
        assert_eq!(
            service.ours(&openssl_pin, PinScope::Leaf, &provider),
            Ok(()),
            "[{label}] verifier with openssl's pin"
        );
        if with_curl {
            assert_eq!(
                service.curl(&root_pem, &openssl_pin),
                (0, String::from("hello\n")),
                "[{label}] curl with openssl's pin"
            );
        }
    }
}
