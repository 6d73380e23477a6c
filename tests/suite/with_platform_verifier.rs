//! rustls-platform-verifier wrapped in pinning: the operating system's trust decision (plus
//! the test CA as an extra root), then pins on top.

use rustls_pinning_test_support as common;
use rustls_pinning_test_support::integration as support;

use std::sync::Arc;

use common::{connect, Ca, TestServer, GREETING};
use rustls::{CertificateError, ClientConfig};
use rustls_pinning::{BuilderPinningExt, PinningServerVerifier};
use rustls_platform_verifier::Verifier;
use support::{Scenario, HOST};

use super::{provider, PROVIDER};

#[test]
fn platform_verifier_decides_trust_and_pins_decide_the_key() {
    let provider = provider();
    let scenario = Scenario::new();
    // The test CA is not in the OS store: the platform verifier takes it as an extra root
    // (on Linux it joins the roots rustls-native-certs loads; on Windows and macOS it is
    // honoured next to the system's own decision).
    let platform =
        Verifier::new_with_extra_roots([scenario.root.cert_der().clone()], provider.clone())
            .unwrap();
    let verifier =
        PinningServerVerifier::wrap(Arc::new(platform), scenario.pins(), provider.clone())
            .build()
            .unwrap();
    let config = Arc::new(
        ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_pinning(verifier)
            .with_no_client_auth(),
    );

    let serve = |leaf: &common::Leaf, chain| {
        TestServer::with_chain(chain, leaf.private_key(), provider.clone())
    };
    let genuine = serve(
        &scenario.genuine,
        scenario.genuine.chain(&[&scenario.intermediate]),
    );
    let impostor = serve(
        &scenario.impostor,
        scenario.impostor.chain(&[&scenario.intermediate]),
    );
    let stranger_ca = Ca::root("Not Trusted By Anyone");
    let stranger = stranger_ca.leaf_with(
        common::LeafOptions::new(&["api.pinned.test"]).ip(std::net::Ipv4Addr::LOCALHOST),
    );
    let untrusted = serve(&stranger, stranger.chain(&[]));

    let reply = connect(genuine.addr, HOST, config.clone())
        .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned server: {e}"));
    assert_eq!(reply, GREETING, "[{PROVIDER}]");

    let error = connect(impostor.addr, HOST, config.clone()).unwrap_err();
    scenario.assert_impostor_refused(&error, PROVIDER);

    // Trust is the platform verifier's call: an unknown CA never reaches the pin check.
    let error = connect(untrusted.addr, HOST, config).unwrap_err();
    assert_eq!(
        error,
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        "[{PROVIDER}]"
    );
}
