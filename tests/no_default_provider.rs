//! With both crypto providers compiled into rustls and no process default installed,
//! `ClientConfig::builder()` and `ServerConfig::builder()` panic. None of this crate's APIs
//! may take that path. This binary never installs a default provider, so the process-global
//! state is exactly that of an application that did not either.

use rustls_pinning_test_support as common;

use std::sync::Arc;

use common::{connect, Ca, TestServer, GREETING};
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, ServerConfig};
use rustls_pinning::{
    danger, BuilderPinningExt, ClientIdentity, ClientPinEntry, ClientPinSet, Pin, PinEntry, PinSet,
    PinningClientVerifier, PinningServerVerifier,
};

#[test]
fn our_builders_never_need_a_process_default_provider() {
    assert!(
        CryptoProvider::get_default().is_none(),
        "nothing in this binary installs a default provider"
    );
    let provider = rustls_pinning::default_crypto_provider();
    assert!(
        CryptoProvider::get_default().is_none(),
        "default_crypto_provider() does not install one either"
    );

    let root = Ca::root("No Default Root");
    let leaf = root.leaf(&["api.nodefault.test"]);
    let pins = || {
        PinSet::builder()
            .entry(
                PinEntry::builder("api.nodefault.test".parse().unwrap())
                    .pin(Pin::spki_of(&leaf.cert).unwrap())
                    .pin(Pin::spki_sha256([0xB0; 32])),
            )
            .build()
            .unwrap()
    };

    let webpki = PinningServerVerifier::builder(root.root_store(), pins(), provider.clone())
        .build()
        .unwrap();
    let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
        root.root_store(),
        provider.clone(),
    )
    .build()
    .unwrap();
    let wrapped = PinningServerVerifier::wrap(inner, pins(), provider.clone())
        .build()
        .unwrap();
    let pins_only = danger::pins_only(pins(), provider.clone()).build().unwrap();
    let client_verifier = PinningClientVerifier::builder(
        root.root_store(),
        ClientPinSet::builder()
            .entry(
                ClientPinEntry::builder(ClientIdentity::Any)
                    .pin(Pin::spki_sha256([1; 32]))
                    .pin(Pin::spki_sha256([2; 32])),
            )
            .build()
            .unwrap(),
        provider.clone(),
    )
    .build()
    .unwrap();
    let _ = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(client_verifier)
        .with_single_cert(vec![leaf.cert.clone()], leaf.private_key())
        .unwrap();

    let server = TestServer::with_chain(
        vec![leaf.cert.clone()],
        leaf.private_key(),
        provider.clone(),
    );
    let builder = || {
        ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
    };
    let configs = [
        builder().with_pinning(webpki).with_no_client_auth(),
        builder().with_pinning(wrapped).with_no_client_auth(),
        // A pins-only verifier replaces the CA: only rustls's dangerous path takes it.
        builder()
            .dangerous()
            .with_custom_certificate_verifier(pins_only)
            .with_no_client_auth(),
    ];
    for config in configs {
        let reply = connect(server.addr, "api.nodefault.test", Arc::new(config)).unwrap();
        assert_eq!(reply, GREETING);
    }
    assert!(CryptoProvider::get_default().is_none());

    // The trap is real in this build: rustls's own shortcut panics.
    #[cfg(all(feature = "aws-lc-rs", feature = "ring"))]
    assert!(
        std::panic::catch_unwind(ClientConfig::builder).is_err(),
        "with both providers and no default, ClientConfig::builder() panics"
    );
}
