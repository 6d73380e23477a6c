//! Real TLS handshakes over loopback with a WebPKI `PinningServerVerifier` installed through
//! `BuilderPinningExt::with_pinning`.

use rustls_pinning_test_support as common;

use std::sync::Arc;

use common::{
    connect, copy_key_pair, pinned_client_config, spki_of, Ca, KeyKind, LeafOptions, TestServer,
    GREETING,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::SubjectPublicKeyInfoDer;
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use rustls_pinning::{Pin, PinEntry, PinSet, PinningServerVerifier, ServerPinningError};

use super::{provider, PROVIDER};

const HOST: &str = "api.pinned.test";

const VERSIONS: [(&str, &SupportedProtocolVersion); 2] = [
    ("TLS1.3", &rustls::version::TLS13),
    ("TLS1.2", &rustls::version::TLS12),
];

fn client(
    roots: Arc<RootCertStore>,
    pins: PinSet,
    provider: &Arc<CryptoProvider>,
    version: &'static SupportedProtocolVersion,
) -> Arc<ClientConfig> {
    let verifier = PinningServerVerifier::builder(roots, pins, provider.clone())
        .build()
        .unwrap();
    pinned_client_config(verifier, provider, version)
}

fn spki_pin_of_key(key: &rcgen::KeyPair) -> Pin {
    Pin::from_spki(&SubjectPublicKeyInfoDer::from(spki_of(key)))
}

#[test]
fn pinned_server_accepted_and_impostor_from_the_same_ca_rejected() {
    let provider = provider();
    let root = Ca::root("Handshake Root");
    let int = root.intermediate("Handshake Intermediate");
    let genuine = int.leaf(&[HOST]);
    let impostor = int.leaf(&[HOST]);
    let pins = || {
        PinSet::builder()
            .entry(
                PinEntry::builder(HOST.parse().unwrap())
                    .pin(Pin::spki_of(&genuine.cert).unwrap())
                    .pin(Pin::spki_sha256([0xB0; 32])),
            )
            .build()
            .unwrap()
    };
    let genuine_server = TestServer::with_chain(
        genuine.chain(&[&int]),
        genuine.private_key(),
        provider.clone(),
    );
    let impostor_server = TestServer::with_chain(
        impostor.chain(&[&int]),
        impostor.private_key(),
        provider.clone(),
    );

    for (version_name, version) in VERSIONS {
        let label = format!("{PROVIDER} {version_name}");
        let config = client(root.root_store(), pins(), &provider, version);

        let reply = connect(genuine_server.addr, HOST, config.clone())
            .unwrap_or_else(|e| panic!("[{label}] pinned server: {e}"));
        assert_eq!(reply, GREETING, "[{label}]");

        let error = connect(impostor_server.addr, HOST, config).unwrap_err();
        let pinning = ServerPinningError::from_rustls(&error)
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
                    Pin::spki_of(&impostor.cert).unwrap(),
                    "[{label}] the error lists the impostor's leaf first"
                );
            }
            other => panic!("[{label}] expected NoPinMatched, got {other}"),
        }
        let shown = pinning.to_string();
        assert!(
            shown.contains(&format!("\"{HOST}\"")),
            "[{label}] message must name the host: {shown}"
        );
        assert!(
            shown.contains(&Pin::spki_of(&genuine.cert).unwrap().to_string()),
            "[{label}] message must list the configured pin: {shown}"
        );
    }
    assert_eq!(genuine_server.wait_for_completed(2), 2, "[{PROVIDER}]");
    assert_eq!(impostor_server.completed(), 0, "[{PROVIDER}]");
}

#[test]
fn rotation_to_the_backup_pin() {
    let provider = provider();
    let root = Ca::root("Rotation Root");
    let int = root.intermediate("Rotation Intermediate");
    let primary_key = KeyKind::EcdsaP256.generate();
    // The backup key is kept offline; only its pin ships in the client.
    let backup_key = KeyKind::EcdsaP256.generate();
    let pins = || {
        PinSet::builder()
            .entry(
                PinEntry::builder(HOST.parse().unwrap())
                    .pin(spki_pin_of_key(&primary_key))
                    .pin(spki_pin_of_key(&backup_key)),
            )
            .build()
            .unwrap()
    };

    let before = int.leaf_with(LeafOptions::new(&[HOST]).key(copy_key_pair(&primary_key)));
    let after = int.leaf_with(LeafOptions::new(&[HOST]).key(copy_key_pair(&backup_key)));
    let unknown = int.leaf_with(LeafOptions::new(&[HOST]).key(KeyKind::EcdsaP256));
    assert_eq!(
        Pin::spki_of(&before.cert).unwrap(),
        spki_pin_of_key(&primary_key)
    );

    for (version_name, version) in VERSIONS {
        let label = format!("{PROVIDER} {version_name}");
        let config = client(root.root_store(), pins(), &provider, version);

        let server = TestServer::with_chain(
            before.chain(&[&int]),
            before.private_key(),
            provider.clone(),
        );
        assert_eq!(
            connect(server.addr, HOST, config.clone()).as_deref(),
            Ok(GREETING),
            "[{label}] primary key"
        );
        drop(server);

        let server =
            TestServer::with_chain(after.chain(&[&int]), after.private_key(), provider.clone());
        assert_eq!(
            connect(server.addr, HOST, config.clone()).as_deref(),
            Ok(GREETING),
            "[{label}] backup key after rotation"
        );
        drop(server);

        let server = TestServer::with_chain(
            unknown.chain(&[&int]),
            unknown.private_key(),
            provider.clone(),
        );
        let error = connect(server.addr, HOST, config).unwrap_err();
        assert!(
            matches!(
                ServerPinningError::from_rustls(&error),
                Some(ServerPinningError::NoPinMatched { host, .. }) if host == HOST
            ),
            "[{label}] third key: {error:?}"
        );
    }
}
