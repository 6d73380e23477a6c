//! Smoke tests for the shared fixtures of `test-support` (its `pki` and `net`), using only
//! rustls's own `WebPkiServerVerifier`: if these fail, the fixture is wrong,
//! not the pinning code.

use rustls_pinning_test_support as common;

use std::net::{IpAddr, Ipv4Addr};

use common::{
    client_config, client_config_with_webpki, connect, copy_key_pair, root_store, Ca, KeyKind,
    LeafOptions, TestServer, GREETING,
};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, Error};

use super::{provider, PROVIDER};

const HOST: &str = "pinned.test";
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The SPKI of `cert` as webpki parses it (contents only, no SEQUENCE
/// header), to cross-check our `spki_der()` helpers.
fn webpki_spki(cert: &CertificateDer<'_>) -> Vec<u8> {
    webpki::anchor_from_trusted_cert(cert)
        .expect("parsable certificate")
        .subject_public_key_info
        .as_ref()
        .to_vec()
}

fn assert_full_spki(full: &[u8], cert: &CertificateDer<'_>) {
    assert_eq!(full[0], 0x30, "SPKI must start with a SEQUENCE header");
    let contents = webpki_spki(cert);
    assert!(
        full.len() > contents.len() && full.ends_with(&contents),
        "spki_der() must be the certificate's SPKI including its header"
    );
}

/// The module's provider is the one its label names (main.rs checks that each provider
/// feature has its module).
#[test]
fn the_provider_is_the_one_its_label_names() {
    let named = match PROVIDER {
        #[cfg(feature = "aws-lc-rs")]
        "aws-lc-rs" => rustls::crypto::aws_lc_rs::default_provider(),
        #[cfg(feature = "ring")]
        "ring" => rustls::crypto::ring::default_provider(),
        other => panic!("no provider is labelled {other}"),
    };
    assert_eq!(
        format!("{:?}", provider()),
        format!("{named:?}"),
        "[{PROVIDER}]"
    );
}

#[test]
fn valid_chain_handshakes_by_dns_name_and_ip() {
    let provider = provider();
    let root = Ca::root("Smoke Root");
    let int = root.intermediate("Smoke Intermediate");
    let leaf = int.leaf_with(LeafOptions::new(&[HOST]).ip(LOOPBACK));
    assert_full_spki(&leaf.spki_der(), &leaf.cert);
    assert_full_spki(&int.spki_der(), int.cert_der());
    assert_full_spki(&root.spki_der(), root.cert_der());

    let server = TestServer::with_chain(leaf.chain(&[&int]), leaf.private_key(), provider.clone());
    let client = client_config(provider.clone(), root.root_store());
    for name in [HOST, "127.0.0.1"] {
        let reply = connect(server.addr, name, client.clone())
            .unwrap_or_else(|e| panic!("[{PROVIDER}] {name}: {e}"));
        assert_eq!(reply, GREETING, "[{PROVIDER}] {name}");
    }
    assert_eq!(server.wait_for_completed(2), 2, "[{PROVIDER}]");
}

#[test]
fn leaf_from_untrusted_root_is_unknown_issuer() {
    let provider = provider();
    let trusted = Ca::root("Trusted Root");
    let impostor_root = Ca::root("Impostor Root");
    let impostor = impostor_root.leaf(&[HOST]);

    let server = TestServer::with_chain(
        impostor.chain(&[]),
        impostor.private_key(),
        provider.clone(),
    );
    let err = connect(
        server.addr,
        HOST,
        client_config(provider.clone(), trusted.root_store()),
    )
    .expect_err("impostor must be rejected");
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::UnknownIssuer),
        "[{PROVIDER}]"
    );
    assert_eq!(server.completed(), 0, "[{PROVIDER}]");
}

#[test]
fn expired_leaf_is_rejected() {
    let provider = provider();
    let root = Ca::root("Expiry Root");
    let leaf = root.leaf_with(LeafOptions::new(&[HOST]).expired());

    let server = TestServer::with_chain(leaf.chain(&[]), leaf.private_key(), provider.clone());
    let err = connect(
        server.addr,
        HOST,
        client_config(provider.clone(), root.root_store()),
    )
    .expect_err("expired leaf must be rejected");
    assert!(
        matches!(
            err,
            Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
        ),
        "[{PROVIDER}] got {err:?}"
    );
}

#[test]
fn revoked_leaf_is_rejected_via_crl() {
    let provider = provider();
    let root = Ca::root("CRL Root");
    let int = root.intermediate("CRL Intermediate");
    let revoked = int.leaf_with(LeafOptions::new(&[HOST]).serial(4242));
    let good = int.leaf(&[HOST]);
    assert_ne!(revoked.serial, good.serial);

    // webpki checks the whole chain by default and denies unknown status,
    // so the root's (empty) CRL is needed to vouch for the intermediate.
    let verifier = WebPkiServerVerifier::builder_with_provider(root.root_store(), provider.clone())
        .with_crls([root.crl(&[]), int.crl(&[revoked.serial, 99_999])])
        .build()
        .expect("verifier with CRLs");
    let client = client_config_with_webpki(provider.clone(), verifier);

    let server = TestServer::with_chain(good.chain(&[&int]), good.private_key(), provider.clone());
    assert_eq!(
        connect(server.addr, HOST, client.clone()).as_deref(),
        Ok(GREETING),
        "[{PROVIDER}] unrevoked sibling must pass"
    );

    let server = TestServer::with_chain(
        revoked.chain(&[&int]),
        revoked.private_key(),
        provider.clone(),
    );
    let err = connect(server.addr, HOST, client).expect_err("revoked leaf must fail");
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::Revoked),
        "[{PROVIDER}]"
    );
}

#[test]
fn cross_signed_root_validates_under_old_root() {
    let provider = provider();
    let old_root = Ca::root("Old Root");
    let new_root = Ca::root_with("New Root", KeyKind::Rsa2048);
    let int = new_root.intermediate("New Intermediate");
    let leaf = int.leaf(&[HOST]);
    let cross = old_root.cross_sign(&new_root);
    assert_ne!(&cross, new_root.cert_der());
    assert_eq!(
        webpki_spki(&cross),
        webpki_spki(new_root.cert_der()),
        "cross-signed cert carries the new root's key"
    );

    let name = ServerName::try_from(HOST).unwrap();
    let verify = |roots, intermediates: &[CertificateDer<'static>]| {
        WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .unwrap()
            .verify_server_cert(&leaf.cert, intermediates, &name, &[], UnixTime::now())
    };

    let with_cross = [int.cert_der().clone(), cross.clone()];
    verify(old_root.root_store(), &with_cross)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] via cross-sign: {e}"));
    verify(new_root.root_store(), &with_cross)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] directly under new root: {e}"));
    assert_eq!(
        verify(old_root.root_store(), &[int.cert_der().clone()]).unwrap_err(),
        Error::InvalidCertificate(CertificateError::UnknownIssuer),
        "[{PROVIDER}] without the cross-signed cert there is no path"
    );
}

#[test]
fn rsa_and_ed25519_chains_handshake() {
    let provider = provider();
    for kind in [KeyKind::Rsa2048, KeyKind::Ed25519] {
        let root = Ca::root_with(&format!("{kind:?} Root"), kind);
        let int = root.intermediate_with(
            &format!("{kind:?} Intermediate"),
            common::CaOptions::with_key(kind),
        );
        let leaf = int.leaf_with(LeafOptions::new(&[HOST]).key(kind));
        assert_full_spki(&leaf.spki_der(), &leaf.cert);

        let server =
            TestServer::with_chain(leaf.chain(&[&int]), leaf.private_key(), provider.clone());
        let reply = connect(
            server.addr,
            HOST,
            client_config(provider.clone(), root.root_store()),
        )
        .unwrap_or_else(|e| panic!("[{PROVIDER}] {kind:?}: {e}"));
        assert_eq!(reply, GREETING, "[{PROVIDER}] {kind:?}");
    }
}

#[test]
fn same_key_reissued_has_same_spki_but_new_certificate() {
    let provider = provider();
    let root = Ca::root("Reissue Root");
    let first = root.leaf(&[HOST]);
    let second = root.leaf_with(LeafOptions::new(&[HOST]).key(copy_key_pair(&first.key_pair)));
    assert_eq!(first.spki_der(), second.spki_der(), "[{PROVIDER}]");
    assert_ne!(first.cert, second.cert, "[{PROVIDER}]");
    assert_ne!(first.serial, second.serial, "[{PROVIDER}]");
    assert_eq!(webpki_spki(&first.cert), webpki_spki(&second.cert));

    // Same for CAs: a root re-issued with the same key.
    let key = KeyKind::Ed25519.generate();
    let root_a = Ca::root_with_key("Same Key Root", copy_key_pair(&key));
    let root_b = Ca::root_with_key("Same Key Root", key);
    assert_eq!(root_a.spki_der(), root_b.spki_der());
    assert_ne!(root_a.cert_der(), root_b.cert_der());

    // The re-issued leaf works in a real handshake, trusted via a store
    // holding both roots.
    let server = TestServer::with_chain(second.chain(&[]), second.private_key(), provider.clone());
    let roots = root_store(&[&root_a, &root]);
    assert_eq!(
        connect(server.addr, HOST, client_config(provider.clone(), roots)).as_deref(),
        Ok(GREETING),
        "[{PROVIDER}]"
    );
}
