//! Mutual TLS over loopback with `PinningClientVerifier` on the server: client pins keyed
//! by the workload's identity (SPIFFE IDs and DNS names), checked on the verified path.

use rustls_pinning_test_support as common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use common::{connect, tls_error_or_panic, Ca, Leaf, LeafOptions, GREETING, IO_TIMEOUT};
use rustls::crypto::CryptoProvider;
use rustls::server::danger::ClientCertVerifier;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, ServerConfig, ServerConnection, StreamOwned,
    SupportedProtocolVersion,
};
use rustls_pinning::{
    ClientIdentity, ClientPinEntry, ClientPinSet, ClientPinningError, Pin, PinScope,
    PinningClientVerifier, Position, UnpinnedClientPolicy,
};

use super::{provider, PROVIDER};

const SERVER_NAME: &str = "api.mtls.test";
const BILLING: &str = "spiffe://prod.test/ns/billing/sa/api";
const BATCH: &str = "spiffe://prod.test/ns/batch/sa/worker";

const VERSIONS: [(&str, &SupportedProtocolVersion); 2] = [
    ("TLS1.3", &rustls::version::TLS13),
    ("TLS1.2", &rustls::version::TLS12),
];

/// One client CA issuing every workload's certificate, and a server certificate.
struct Pki {
    root: Ca,
    intermediate: Ca,
    server: Leaf,
    billing: Leaf,
    batch: Leaf,
}

fn workload(intermediate: &Ca, uris: &[&str], dns: &[&str]) -> Leaf {
    let mut options = LeafOptions::new(dns).client_auth().common_name("workload");
    for uri in uris {
        options = options.uri(uri);
    }
    intermediate.leaf_with(options)
}

impl Pki {
    fn new() -> Self {
        let root = Ca::root("mTLS Root");
        let intermediate = root.intermediate("mTLS Workload CA");
        let server = intermediate.leaf(&[SERVER_NAME]);
        let billing = workload(&intermediate, &[BILLING], &[]);
        let batch = workload(&intermediate, &[BATCH], &[]);
        Pki {
            root,
            intermediate,
            server,
            billing,
            batch,
        }
    }

    fn server_config(
        &self,
        policy: ClientPinSet,
        provider: &Arc<CryptoProvider>,
        configure: impl FnOnce(
            rustls_pinning::PinningClientVerifierBuilder,
        ) -> rustls_pinning::PinningClientVerifierBuilder,
    ) -> Arc<ServerConfig> {
        let verifier = configure(PinningClientVerifier::builder(
            self.root.root_store(),
            policy,
            provider.clone(),
        ))
        .build()
        .unwrap();
        let config = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                self.server.chain(&[&self.intermediate]),
                self.server.private_key(),
            )
            .unwrap();
        Arc::new(config)
    }

    fn client_config(
        &self,
        workload: Option<&Leaf>,
        provider: &Arc<CryptoProvider>,
        version: &'static SupportedProtocolVersion,
    ) -> Arc<ClientConfig> {
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(self.root.root_store());
        let config = match workload {
            Some(leaf) => builder
                .with_client_auth_cert(leaf.chain(&[&self.intermediate]), leaf.private_key())
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        Arc::new(config)
    }
}

fn spki_pin(leaf: &Leaf) -> Pin {
    Pin::spki_of(&leaf.cert).unwrap()
}

fn backup() -> Pin {
    Pin::spki_sha256([0xB0; 32])
}

fn pinned(identity: &str, pin: Pin) -> ClientPinSet {
    ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(identity.parse().unwrap())
                .pin(pin)
                .pin(backup()),
        )
        .build()
        .unwrap()
}

/// Serves one connection and returns what the server's handshake concluded.
fn serve_once(config: Arc<ServerConfig>) -> (SocketAddr, JoinHandle<Result<(), rustls::Error>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        sock.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
        while tls.conn.is_handshaking() {
            tls.conn
                .complete_io(&mut tls.sock)
                .map_err(tls_error_or_panic)?;
        }
        let mut line = String::new();
        BufReader::new(&mut tls)
            .read_line(&mut line)
            .map_err(tls_error_or_panic)?;
        tls.write_all(GREETING.as_bytes()).unwrap();
        tls.conn.send_close_notify();
        tls.flush().unwrap();
        Ok(())
    });
    (addr, handle)
}

/// Runs one handshake; returns the client's and the server's outcomes.
fn handshake(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
) -> (Result<String, rustls::Error>, Result<(), rustls::Error>) {
    let (addr, server_outcome) = serve_once(server);
    let client_outcome = connect(addr, SERVER_NAME, client);
    (client_outcome, server_outcome.join().unwrap())
}

fn client_pinning_error(error: &rustls::Error) -> &ClientPinningError {
    ClientPinningError::from_rustls(error)
        .unwrap_or_else(|| panic!("expected a ClientPinningError, got {error:?}"))
}

fn assert_refusal_alert(client: Result<String, rustls::Error>, label: &str) {
    assert_eq!(
        client.unwrap_err(),
        rustls::Error::AlertReceived(AlertDescription::CertificateUnknown),
        "[{label}] the client is told its certificate was refused"
    );
}

#[test]
fn pinned_workload_accepted_other_workload_of_the_same_ca_rejected() {
    let provider = provider();
    let pki = Pki::new();
    for (version_name, version) in VERSIONS {
        let label = format!("{PROVIDER} {version_name}");
        let policy = || pinned(BILLING, spki_pin(&pki.billing));

        let server = pki.server_config(policy(), &provider, |b| b);
        let (client, server) = handshake(
            server,
            pki.client_config(Some(&pki.billing), &provider, version),
        );
        assert_eq!(client.unwrap(), GREETING, "[{label}]");
        server.unwrap_or_else(|e| panic!("[{label}] pinned workload refused: {e}"));

        // Another workload with a valid certificate from the same CA, for an identity the
        // policy does not pin: refused because unpinned clients are rejected.
        let server = pki.server_config(policy(), &provider, |b| b);
        let (client, server) = handshake(
            server,
            pki.client_config(Some(&pki.batch), &provider, version),
        );
        assert_refusal_alert(client, &label);
        let error = server.unwrap_err();
        assert_eq!(
            client_pinning_error(&error),
            &ClientPinningError::ClientNotPinned {
                presented: vec![ClientIdentity::uri(BATCH).unwrap()],
            },
            "[{label}]"
        );
    }
}

#[test]
fn a_certificate_claiming_the_pinned_identity_with_another_key_is_rejected() {
    let provider = provider();
    let pki = Pki::new();
    let impostor = workload(&pki.intermediate, &[BILLING], &[]);
    let server = pki.server_config(pinned(BILLING, spki_pin(&pki.billing)), &provider, |b| b);
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&impostor), &provider, &rustls::version::TLS13),
    );
    assert_refusal_alert(client, PROVIDER);
    let error = server.unwrap_err();
    match client_pinning_error(&error) {
        ClientPinningError::NoPinMatched {
            identity,
            allowed,
            verified_paths,
        } => {
            assert_eq!(
                identity,
                &ClientIdentity::uri(BILLING).unwrap(),
                "[{PROVIDER}]"
            );
            assert_eq!(allowed.len(), 2, "[{PROVIDER}]");
            let path = &verified_paths[0];
            assert_eq!(path[0].position(), Position::Leaf);
            assert_eq!(path[0].spki_pin(), spki_pin(&impostor), "[{PROVIDER}]");
            assert_eq!(path.len(), 3, "[{PROVIDER}] leaf, intermediate, root");
        }
        other => panic!("[{PROVIDER}] unexpected {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "client certificate pinning failure for URI:{BILLING}"
        )),
        "[{PROVIDER}] {message}"
    );
}

#[test]
fn a_pinned_certificate_sent_along_with_an_impostor_chain_does_not_count() {
    let provider = provider();
    let pki = Pki::new();
    let impostor = workload(&pki.intermediate, &[BILLING], &[]);
    let server = pki.server_config(pinned(BILLING, spki_pin(&pki.billing)), &provider, |b| b);
    // The impostor appends the genuine (public) billing certificate to its chain.
    let stuffed = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(pki.root.root_store())
        .with_client_auth_cert(
            vec![
                impostor.cert.clone(),
                pki.intermediate.cert_der().clone(),
                pki.billing.cert.clone(),
            ],
            impostor.private_key(),
        )
        .unwrap();
    let (client, server) = handshake(server, Arc::new(stuffed));
    assert_refusal_alert(client, PROVIDER);
    let error = server.unwrap_err();
    match client_pinning_error(&error) {
        ClientPinningError::NoPinMatched { verified_paths, .. } => {
            for path in verified_paths {
                assert!(
                    path.iter()
                        .all(|cert| cert.spki_pin() != spki_pin(&pki.billing)),
                    "[{PROVIDER}] the appended certificate is not on a verified path"
                );
            }
        }
        other => panic!("[{PROVIDER}] unexpected {other:?}"),
    }
}

#[test]
fn every_pinned_identity_a_certificate_names_must_be_satisfied() {
    let provider = provider();
    let pki = Pki::new();
    // The batch workload's key, in a certificate that also claims the billing identity.
    let borrowing = workload(&pki.intermediate, &[BATCH, BILLING], &[]);
    let policy = ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(BILLING.parse().unwrap())
                .pin(spki_pin(&pki.billing))
                .pin(backup()),
        )
        .entry(
            ClientPinEntry::builder(BATCH.parse().unwrap())
                .pin(spki_pin(&borrowing))
                .pin(backup()),
        )
        .build()
        .unwrap();
    let server = pki.server_config(policy, &provider, |b| b);
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&borrowing), &provider, &rustls::version::TLS13),
    );
    assert_refusal_alert(client, PROVIDER);
    let error = server.unwrap_err();
    assert!(
        matches!(
            client_pinning_error(&error),
            ClientPinningError::NoPinMatched { identity, .. }
                if identity == &ClientIdentity::uri(BILLING).unwrap()
        ),
        "[{PROVIDER}] {error}"
    );
}

#[test]
fn no_client_certificate_is_rejected_when_client_auth_is_mandatory() {
    let provider = provider();
    let pki = Pki::new();
    for (version_name, version) in VERSIONS {
        let label = format!("{PROVIDER} {version_name}");
        let server = pki.server_config(pinned(BILLING, spki_pin(&pki.billing)), &provider, |b| b);
        let (client, server) = handshake(server, pki.client_config(None, &provider, version));
        assert!(client.is_err(), "[{label}]");
        assert_eq!(
            server.unwrap_err(),
            rustls::Error::NoCertificatesPresented,
            "[{label}]"
        );
    }

    // Optional client auth lets an anonymous client in, but still pins one that presents
    // a certificate.
    let server = pki.server_config(pinned(BILLING, spki_pin(&pki.billing)), &provider, |b| {
        b.allow_unauthenticated()
    });
    let (client, server) = handshake(
        server,
        pki.client_config(None, &provider, &rustls::version::TLS13),
    );
    assert_eq!(client.unwrap(), GREETING, "[{PROVIDER}]");
    server.unwrap();
    let server = pki.server_config(pinned(BILLING, spki_pin(&pki.billing)), &provider, |b| {
        b.allow_unauthenticated()
    });
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&pki.batch), &provider, &rustls::version::TLS13),
    );
    assert_refusal_alert(client, PROVIDER);
    client_pinning_error(&server.unwrap_err());
}

#[test]
fn deny_pins_reject_even_when_an_allowed_pin_matches() {
    let provider = provider();
    let pki = Pki::new();
    let ca_pin = Pin::spki_of(pki.intermediate.cert_der()).unwrap();

    // The entry trusts every billing key issued by the workload CA, except a retired one.
    let policy = ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(BILLING.parse().unwrap())
                .pin_at(ca_pin, PinScope::Intermediate)
                .pin(backup())
                .deny_at(spki_pin(&pki.billing), PinScope::Leaf),
        )
        .build()
        .unwrap();
    let server = pki.server_config(policy, &provider, |b| b);
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&pki.billing), &provider, &rustls::version::TLS13),
    );
    assert_refusal_alert(client, PROVIDER);
    let error = server.unwrap_err();
    match client_pinning_error(&error) {
        ClientPinningError::DeniedPinMatched {
            identity,
            denied,
            certificate,
            ..
        } => {
            assert_eq!(identity, &Some(ClientIdentity::uri(BILLING).unwrap()));
            assert_eq!(denied.pin(), spki_pin(&pki.billing));
            assert_eq!(certificate.position(), Position::Leaf);
        }
        other => panic!("[{PROVIDER}] unexpected {other:?}"),
    }

    // A fresh billing key from the same CA gets in.
    let fresh = workload(&pki.intermediate, &[BILLING], &[]);
    let policy = ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(BILLING.parse().unwrap())
                .pin_at(ca_pin, PinScope::Intermediate)
                .pin(backup())
                .deny_at(spki_pin(&pki.billing), PinScope::Leaf),
        )
        .build()
        .unwrap();
    let server = pki.server_config(policy, &provider, |b| b);
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&fresh), &provider, &rustls::version::TLS13),
    );
    assert_eq!(client.unwrap(), GREETING, "[{PROVIDER}]");
    server.unwrap();

    // A CA denied everywhere refuses every client it issued, pinned or not.
    let policy = ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(BILLING.parse().unwrap())
                .pin(spki_pin(&pki.billing))
                .pin(backup())
                .report_only(),
        )
        .deny_everywhere_at(ca_pin, PinScope::Intermediate)
        .build()
        .unwrap();
    let server = pki.server_config(policy, &provider, |b| b);
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&pki.billing), &provider, &rustls::version::TLS13),
    );
    assert_refusal_alert(client, PROVIDER);
    let error = server.unwrap_err();
    assert!(
        matches!(
            client_pinning_error(&error),
            ClientPinningError::DeniedPinMatched { identity: None, certificate, .. }
                if certificate.position() == Position::Intermediate
        ),
        "[{PROVIDER}] report-only never waives a global deny: {error}"
    );
}

#[test]
fn report_only_entries_let_a_mismatching_client_through() {
    let provider = provider();
    let pki = Pki::new();
    let policy = ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(BILLING.parse().unwrap())
                .pin(backup())
                .report_only(),
        )
        .build()
        .unwrap();
    let server = pki.server_config(policy, &provider, |b| b);
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&pki.billing), &provider, &rustls::version::TLS13),
    );
    assert_eq!(client.unwrap(), GREETING, "[{PROVIDER}]");
    server.unwrap();
}

#[test]
fn any_client_entry_and_dns_identities() {
    let provider = provider();
    let pki = Pki::new();
    let worker = workload(&pki.intermediate, &[], &["worker-1.jobs.test"]);
    let policy = || {
        ClientPinSet::builder()
            .entry(
                ClientPinEntry::builder("Worker-1.Jobs.Test".parse().unwrap())
                    .pin(spki_pin(&worker))
                    .pin(backup()),
            )
            .entry(
                ClientPinEntry::builder(ClientIdentity::Any)
                    .pin(spki_pin(&pki.batch))
                    .pin(backup()),
            )
            .build()
            .unwrap()
    };
    for (leaf, accepted) in [(&worker, true), (&pki.batch, true), (&pki.billing, false)] {
        let server = pki.server_config(policy(), &provider, |b| b);
        let (client, server) = handshake(
            server,
            pki.client_config(Some(leaf), &provider, &rustls::version::TLS13),
        );
        assert_eq!(client.is_ok(), accepted, "[{PROVIDER}] {client:?}");
        match server {
            Ok(()) => assert!(accepted),
            Err(error) => {
                assert!(!accepted);
                assert!(matches!(
                    client_pinning_error(&error),
                    ClientPinningError::NoPinMatched {
                        identity: ClientIdentity::Any,
                        ..
                    }
                ));
            }
        }
    }

    // With no entry applying and WebPKI-only unpinned clients, the CA alone decides.
    let policy = ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(BILLING.parse().unwrap())
                .pin(spki_pin(&pki.billing))
                .pin(backup()),
        )
        .unpinned_clients(UnpinnedClientPolicy::WebPkiOnly)
        .build()
        .unwrap();
    let server = pki.server_config(policy, &provider, |b| b);
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&pki.batch), &provider, &rustls::version::TLS13),
    );
    assert_eq!(client.unwrap(), GREETING, "[{PROVIDER}]");
    server.unwrap();
}

#[test]
fn chain_failures_are_rustls_errors_not_pin_errors() {
    let provider = provider();
    let pki = Pki::new();
    let other_ca = Ca::root("Unrelated Root");
    let stranger = other_ca.leaf_with(LeafOptions::new(&[]).uri(BILLING).client_auth());
    let server = pki.server_config(pinned(BILLING, spki_pin(&stranger)), &provider, |b| b);
    let verifier = PinningClientVerifier::builder(
        pki.root.root_store(),
        pinned(BILLING, spki_pin(&stranger)),
        provider.clone(),
    )
    .build()
    .unwrap();
    assert_eq!(
        verifier.root_hint_subjects().len(),
        1,
        "[{PROVIDER}] the client-CA root is hinted"
    );
    let client = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(pki.root.root_store())
        .with_client_auth_cert(vec![stranger.cert.clone()], stranger.private_key())
        .unwrap();
    let (client, server) = handshake(server, Arc::new(client));
    assert!(client.is_err(), "[{PROVIDER}]");
    assert_eq!(
        server.unwrap_err(),
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        "[{PROVIDER}]"
    );

    // A server certificate (serverAuth only) is not a client certificate.
    let server = pki.server_config(pinned(BILLING, spki_pin(&pki.billing)), &provider, |b| b);
    let wrong_purpose = pki
        .intermediate
        .leaf_with(LeafOptions::new(&["billing.test"]).uri(BILLING));
    let (client, server) = handshake(
        server,
        pki.client_config(Some(&wrong_purpose), &provider, &rustls::version::TLS13),
    );
    assert!(client.is_err(), "[{PROVIDER}]");
    let error = server.unwrap_err();
    assert!(
        ClientPinningError::from_rustls(&error).is_none()
            && matches!(error, rustls::Error::InvalidCertificate(_)),
        "[{PROVIDER}] {error:?}"
    );
}
